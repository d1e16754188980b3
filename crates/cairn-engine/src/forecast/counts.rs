//! What a forecast reports: counts of effects per day and per window, how
//! runs end, and what asks for a confirmation — built from the run log the
//! engine wrote in the scratch copy (`cairn_store::forecast`).

use std::collections::BTreeMap;

use cairn_model::workflow::{NodeSpec, WorkflowDef};
use cairn_store::forecast::{PathTally, StepTally};
use cairn_store::runs::{RunStatus, StepStatus};
use serde::Serialize;
use ts_rs::TS;

/// What the workflow's runs would do over a span of days. Every count is of
/// steps that finished in the span (an email counted is an email the engine
/// rendered and would have queued for sending).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct ForecastCounts {
    /// Runs that would start.
    #[ts(type = "number")]
    pub runs_started: u64,
    /// Emails per email template of the workflow.
    #[ts(type = "Record<string, number>")]
    pub emails: BTreeMap<String, u64>,
    /// All emails (the sum of `emails`).
    #[ts(type = "number")]
    pub emails_total: u64,
    /// Emails not sent because the contact may not receive them (an
    /// unsubscribed or bounced contact, a marketing email).
    #[ts(type = "number")]
    pub emails_refused: u64,
    #[ts(type = "number")]
    pub tags_added: u64,
    #[ts(type = "number")]
    pub tags_removed: u64,
    #[ts(type = "number")]
    pub fields_set: u64,
    /// Deals created or moved to a stage.
    #[ts(type = "number")]
    pub deals: u64,
    #[ts(type = "number")]
    pub course_enrollments: u64,
    #[ts(type = "number")]
    pub course_unenrollments: u64,
    #[ts(type = "number")]
    pub webhooks: u64,
    /// Team notices (Slack, desktop, email to the owner).
    #[ts(type = "number")]
    pub notifications: u64,
    /// Runs started in (or removed from) other workflows.
    #[ts(type = "number")]
    pub workflows_started: u64,
    #[ts(type = "number")]
    pub workflows_removed: u64,
    #[ts(type = "number")]
    pub unsubscribes: u64,
    /// Steps that would fail (a missing field, a template that does not render).
    #[ts(type = "number")]
    pub failures: u64,
}

impl ForecastCounts {
    fn add(&mut self, other: &ForecastCounts) {
        self.runs_started += other.runs_started;
        for (t, n) in &other.emails {
            *self.emails.entry(t.clone()).or_default() += n;
        }
        self.emails_total += other.emails_total;
        self.emails_refused += other.emails_refused;
        self.tags_added += other.tags_added;
        self.tags_removed += other.tags_removed;
        self.fields_set += other.fields_set;
        self.deals += other.deals;
        self.course_enrollments += other.course_enrollments;
        self.course_unenrollments += other.course_unenrollments;
        self.webhooks += other.webhooks;
        self.notifications += other.notifications;
        self.workflows_started += other.workflows_started;
        self.workflows_removed += other.workflows_removed;
        self.unsubscribes += other.unsubscribes;
        self.failures += other.failures;
    }

    /// Counts one tally of steps in.
    fn count(&mut self, def: &WorkflowDef, t: &StepTally) {
        if t.status == StepStatus::Failed {
            self.failures += t.steps;
            return;
        }
        if t.kind == "action.send_email" && t.status == StepStatus::Skipped {
            self.emails_refused += t.steps;
            return;
        }
        if t.status != StepStatus::Ok {
            return;
        }
        let slot = match t.kind.as_str() {
            "action.send_email" => {
                // The template the node names in the forecast version; a
                // node only an older version has is named by its id.
                let template = match def.node(&t.node_id).map(|n| &n.spec) {
                    Some(NodeSpec::SendEmail(s)) => s.template.clone(),
                    _ => t.node_id.clone(),
                };
                *self.emails.entry(template).or_default() += t.steps;
                &mut self.emails_total
            }
            "action.add_tag" => &mut self.tags_added,
            "action.remove_tag" => &mut self.tags_removed,
            "action.set_field" => &mut self.fields_set,
            "action.create_deal" | "action.move_deal" => &mut self.deals,
            "action.enroll_course" => &mut self.course_enrollments,
            "action.unenroll_course" => &mut self.course_unenrollments,
            "action.webhook" => &mut self.webhooks,
            "action.notify" => &mut self.notifications,
            "action.start_workflow" => &mut self.workflows_started,
            "action.remove_from_workflow" => &mut self.workflows_removed,
            "action.unsubscribe" => &mut self.unsubscribes,
            _ => return,
        };
        *slot += t.steps;
    }
}

/// The counts over the first `days` days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ForecastWindow {
    pub days: u32,
    pub counts: ForecastCounts,
}

/// Where a group of runs stands at the end of the forecast, with a few of
/// its contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ForecastPath {
    /// `completed`, `exited`, `failed`, or still `waiting`.
    pub status: RunStatus,
    /// The node the runs ended at or wait at.
    pub node: Option<String>,
    /// That node's label, when it has one.
    pub label: Option<String>,
    /// An exit's reason or the goal reached; a failure's error.
    pub reason: Option<String>,
    #[ts(type = "number")]
    pub runs: u64,
    /// A few of these runs' contacts (emails), to check by hand.
    pub sample: Vec<String>,
}

impl ForecastPath {
    pub(crate) fn of(def: &WorkflowDef, p: PathTally) -> ForecastPath {
        let label = p
            .node
            .as_deref()
            .and_then(|n| def.node(n))
            .and_then(|n| n.label.clone());
        ForecastPath {
            status: p.status,
            node: p.node,
            label,
            reason: p.reason,
            runs: p.runs,
            sample: p.sample,
        }
    }
}

/// Why activating needs an explicit confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConfirmReason {
    /// `mass_email` or `unsubscribes`.
    pub code: String,
    pub message: String,
}

/// Per day (index 0 is the first 24 hours), from the store's tallies.
pub(crate) fn per_day(
    def: &WorkflowDef,
    days: u32,
    steps: &[StepTally],
    started: &[(u32, u64)],
) -> Vec<ForecastCounts> {
    let mut out = vec![ForecastCounts::default(); days as usize];
    for t in steps {
        if let Some(d) = out.get_mut(t.day as usize) {
            d.count(def, t);
        }
    }
    for (day, n) in started {
        if let Some(d) = out.get_mut(*day as usize) {
            d.runs_started += n;
        }
    }
    out
}

/// The totals over the first 1, 7 and `days` days (those within `days`).
pub(crate) fn windows(per_day: &[ForecastCounts]) -> Vec<ForecastWindow> {
    let days = per_day.len() as u32;
    let mut spans: Vec<u32> = [1, 7, days].into_iter().filter(|d| *d <= days).collect();
    spans.dedup();
    spans
        .into_iter()
        .map(|span| {
            let mut counts = ForecastCounts::default();
            for d in &per_day[..span as usize] {
                counts.add(d);
            }
            ForecastWindow { days: span, counts }
        })
        .collect()
}

/// What asks for a confirmation: emails on one day to more than
/// `share` of the subscribed contacts, or any unsubscribe.
pub(crate) fn confirm_reasons(
    per_day: &[ForecastCounts],
    subscribed: u64,
    share: f64,
) -> Vec<ConfirmReason> {
    let mut out = vec![];
    let limit = share * subscribed as f64;
    let busiest = per_day
        .iter()
        .enumerate()
        .max_by_key(|(i, d)| (d.emails_total, std::cmp::Reverse(*i)));
    if let Some((day, d)) = busiest
        && d.emails_total > 0
        && d.emails_total as f64 > limit
    {
        let pct = if subscribed == 0 {
            "more than all".to_string()
        } else {
            format!("{:.0} %", 100.0 * d.emails_total as f64 / subscribed as f64)
        };
        out.push(ConfirmReason {
            code: "mass_email".into(),
            message: format!(
                "on day {} it would send {} email{} at once: {pct} of the {subscribed} subscribed contact{} (confirmation is asked above {:.0} %)",
                day + 1,
                d.emails_total,
                plural(d.emails_total),
                plural(subscribed),
                share * 100.0
            ),
        });
    }
    let unsubscribes: u64 = per_day.iter().map(|d| d.unsubscribes).sum();
    if unsubscribes > 0 {
        out.push(ConfirmReason {
            code: "unsubscribes".into(),
            message: format!(
                "it would unsubscribe {unsubscribes} contact{}",
                plural(unsubscribes)
            ),
        });
    }
    out
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(emails: u64, unsubscribes: u64) -> ForecastCounts {
        ForecastCounts {
            emails_total: emails,
            unsubscribes,
            ..Default::default()
        }
    }

    #[test]
    fn windows_sum_the_first_days() {
        let days: Vec<_> = (0..30).map(|i| day(i, 0)).collect();
        let w = windows(&days);
        let spans: Vec<_> = w.iter().map(|w| (w.days, w.counts.emails_total)).collect();
        assert_eq!(spans, [(1, 0), (7, 21), (30, 435)]);
        let short = windows(&[day(2, 0), day(3, 0)]);
        assert_eq!(short.len(), 2, "1 and 2 days: 7 is past the end");
        assert_eq!(short[1].counts.emails_total, 5);
    }

    #[test]
    fn confirmation_above_the_share_or_for_any_unsubscribe() {
        // 100 subscribed, 20 %: 20 emails on a day is fine, 21 is not.
        assert!(confirm_reasons(&[day(20, 0), day(20, 0)], 100, 0.2).is_empty());
        let r = confirm_reasons(&[day(5, 0), day(21, 0)], 100, 0.2);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].code, "mass_email");
        assert!(
            r[0].message.starts_with("on day 2 it would send 21 emails"),
            "{}",
            r[0].message
        );
        let r = confirm_reasons(&[day(0, 1)], 100, 0.2);
        assert_eq!(r[0].code, "unsubscribes");
        // An empty list: any email is more than the share of nobody.
        assert_eq!(confirm_reasons(&[day(1, 0)], 0, 0.2)[0].code, "mass_email");
        assert!(confirm_reasons(&[day(0, 0)], 0, 0.2).is_empty());
    }
}
