//! Drift: a workflow's last 7 days against the 28 days before.
//!
//! A downstream rule that changed (a payment page that moved, a provider
//! that started refusing a field) shows as a drop in completion, a rise in
//! errors, or runs that suddenly take much longer or much shorter. For each
//! active workflow, the figures of [`crate::analytics`] over the last
//! [`RECENT_DAYS`] are compared with those over the [`BASELINE_DAYS`] before
//! them, by the rule in [`DriftRule`] (stated in docs/analytics.md, "Drift").
//! A significant change is an incident (kind `drift`, subject
//! `"<workflow id>/<metric>"`), told once by the app's alerts and closed
//! when the change is no longer significant.
//!
//! The decision is pure ([`judge`], [`two_proportion_z`]) so it can be
//! tested on scripted figures; [`drift_report_using`] reads the two periods
//! with [`workflow_stats_using`], so the figures are exactly the ones the
//! analytics screen shows for those ranges.

use cairn_model::Timestamp;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::analytics::{WorkflowStats, workflow_stats_using};
use crate::incidents::{Incident, IncidentKind, Observation, Verdict, open_incidents_using};
use crate::workflows::{WorkflowSummary, summary_by_id_using};
use crate::{Result, Store, StoreError};

/// The recent period, in days before now.
pub const RECENT_DAYS: i64 = 7;
/// The baseline: this many days before the recent period.
pub const BASELINE_DAYS: i64 = 28;

/// When a change counts as drift.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftRule {
    /// Each period needs at least this many runs (ended runs for the
    /// completion rate, finished action steps for the error rate,
    /// completed runs for the time): a quiet workflow raises nothing.
    pub min_runs: u64,
    /// |z| of the two-proportion test at or above which a rate changed
    /// (3.0: about 3 in 1,000 by chance for one test; the check runs
    /// every minute over every workflow, so 1.96 would cry wolf).
    pub z: f64,
    /// And the rate moved by at least this much (0.05 = 5 points): with
    /// thousands of runs a 1-point change is significant but not news.
    pub min_change: f64,
    /// The median time to completion changed by this factor or more,
    /// either way (1.5: 50 % longer, or two thirds as long) …
    pub time_ratio: f64,
    /// … and by at least this many seconds (an instant workflow taking
    /// 2 s instead of 1 s is not drift).
    pub min_time_secs: i64,
}

impl Default for DriftRule {
    fn default() -> Self {
        DriftRule {
            min_runs: 30,
            z: 3.0,
            min_change: 0.05,
            time_ratio: 1.5,
            min_time_secs: 15 * 60,
        }
    }
}

/// The counts of one period that the rule reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Figures {
    #[ts(type = "number")]
    pub ended: u64,
    #[ts(type = "number")]
    pub completed: u64,
    #[ts(type = "number")]
    pub action_steps: u64,
    #[ts(type = "number")]
    pub failed_action_steps: u64,
    /// Median time to completion, over `completed` runs.
    #[ts(type = "number | null")]
    pub median_secs: Option<i64>,
}

impl From<&WorkflowStats> for Figures {
    fn from(s: &WorkflowStats) -> Self {
        Figures {
            ended: s.runs.ended,
            completed: s.runs.completed,
            action_steps: s.action_steps,
            failed_action_steps: s.failed_action_steps,
            median_secs: s.time_to_completion.as_ref().map(|t| t.median_secs),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DriftMetric {
    CompletionRate,
    ErrorRate,
    TimeToCompletion,
}

impl DriftMetric {
    pub const ALL: [DriftMetric; 3] = [
        DriftMetric::CompletionRate,
        DriftMetric::ErrorRate,
        DriftMetric::TimeToCompletion,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DriftMetric::CompletionRate => "completion_rate",
            DriftMetric::ErrorRate => "error_rate",
            DriftMetric::TimeToCompletion => "time_to_completion",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DriftMetric::CompletionRate => "completion rate",
            DriftMetric::ErrorRate => "error rate",
            DriftMetric::TimeToCompletion => "median time to completion",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DriftVerdict {
    /// A significant change for the worse (rates) or either way (time).
    Drift,
    /// Enough runs, no significant change.
    Steady,
    /// Fewer runs than the rule's minimum in one of the periods.
    TooFewRuns,
}

/// One metric, the two periods side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MetricDrift {
    pub metric: DriftMetric,
    /// The last 7 days: a share (rates) or seconds (time); `null` when
    /// nothing to measure.
    pub recent: Option<f64>,
    /// The 28 days before.
    pub baseline: Option<f64>,
    /// What each figure is over (ended runs, finished action steps,
    /// completed runs).
    #[ts(type = "number")]
    pub recent_n: u64,
    #[ts(type = "number")]
    pub baseline_n: u64,
    /// The two-proportion z (rates), recent against baseline.
    pub z: Option<f64>,
    /// recent ÷ baseline (time).
    pub ratio: Option<f64>,
    pub verdict: DriftVerdict,
}

/// A workflow's drift at `until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DriftReport {
    #[ts(type = "number")]
    pub workflow_id: i64,
    pub workflow: String,
    /// Start of the 28-day baseline.
    pub baseline_since: Timestamp,
    /// End of the baseline, start of the recent 7 days.
    pub recent_since: Timestamp,
    pub until: Timestamp,
    pub recent: Figures,
    pub baseline: Figures,
    pub metrics: Vec<MetricDrift>,
    /// This workflow's open drift incidents.
    pub incidents: Vec<Incident>,
}

/// The pooled two-proportion z statistic of `x1/n1` against `x2/n2`;
/// `None` when either is empty or both proportions are 0 or 1 (no
/// variance to test against).
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<f64> {
    cairn_model::significance::pooled_z(x2, n2, x1, n1)
}

fn rate(x: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| x as f64 / n as f64)
}

/// A rate where `worse` is the direction that matters (+1 up, −1 down).
fn judge_rate(
    metric: DriftMetric,
    (x1, n1): (u64, u64),
    (x2, n2): (u64, u64),
    worse: f64,
    rule: &DriftRule,
) -> MetricDrift {
    let (recent, baseline) = (rate(x1, n1), rate(x2, n2));
    let z = two_proportion_z(x1, n1, x2, n2);
    let verdict = if n1 < rule.min_runs || n2 < rule.min_runs {
        DriftVerdict::TooFewRuns
    } else {
        let change = (recent.unwrap_or(0.0) - baseline.unwrap_or(0.0)) * worse;
        match z {
            Some(z) if z * worse >= rule.z && change >= rule.min_change => DriftVerdict::Drift,
            _ => DriftVerdict::Steady,
        }
    };
    MetricDrift {
        metric,
        recent,
        baseline,
        recent_n: n1,
        baseline_n: n2,
        z,
        ratio: None,
        verdict,
    }
}

/// The rule applied to two periods. Pure.
pub fn judge(recent: &Figures, baseline: &Figures, rule: &DriftRule) -> Vec<MetricDrift> {
    let completion = judge_rate(
        DriftMetric::CompletionRate,
        (recent.completed, recent.ended),
        (baseline.completed, baseline.ended),
        -1.0,
        rule,
    );
    let errors = judge_rate(
        DriftMetric::ErrorRate,
        (recent.failed_action_steps, recent.action_steps),
        (baseline.failed_action_steps, baseline.action_steps),
        1.0,
        rule,
    );
    let (r, b) = (recent.median_secs, baseline.median_secs);
    let ratio = match (r, b) {
        (Some(r), Some(b)) if b > 0 => Some(r as f64 / b as f64),
        _ => None,
    };
    let time_verdict = match (r, b) {
        _ if recent.completed < rule.min_runs || baseline.completed < rule.min_runs => {
            DriftVerdict::TooFewRuns
        }
        (Some(r), Some(b)) => {
            let far = ratio.is_none_or(|x| x >= rule.time_ratio || x <= 1.0 / rule.time_ratio);
            if far && (r - b).abs() >= rule.min_time_secs {
                DriftVerdict::Drift
            } else {
                DriftVerdict::Steady
            }
        }
        _ => DriftVerdict::TooFewRuns,
    };
    let time = MetricDrift {
        metric: DriftMetric::TimeToCompletion,
        recent: r.map(|s| s as f64),
        baseline: b.map(|s| s as f64),
        recent_n: recent.completed,
        baseline_n: baseline.completed,
        z: None,
        ratio,
        verdict: time_verdict,
    };
    vec![completion, errors, time]
}

fn percent(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.1} %", x * 100.0))
}

/// Seconds as people read them: `90061` → `1d 1h 1m 1s`, `0` → `0s`
/// (also what `cairn stats` prints).
pub fn span(secs: i64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "m"), (s, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

/// "completion rate 50.0 % (of 40) in the last 7 days, 90.0 % (of 100) in
/// the 28 days before; z = −5.9": the figures side by side, as the
/// incident and `cairn stats` say them.
pub fn describe(m: &MetricDrift) -> String {
    let (recent, baseline) = match m.metric {
        DriftMetric::TimeToCompletion => (
            m.recent.map_or("–".into(), |s| span(s as i64)),
            m.baseline.map_or("–".into(), |s| span(s as i64)),
        ),
        _ => (percent(m.recent), percent(m.baseline)),
    };
    let test = match (m.z, m.ratio) {
        (Some(z), _) => format!("; z = {z:.1}"),
        (_, Some(r)) => format!("; × {r:.2}"),
        _ => String::new(),
    };
    format!(
        "{} {recent} (of {}) in the last {RECENT_DAYS} days, {baseline} (of {}) in the {BASELINE_DAYS} days before{test}",
        m.metric.label(),
        m.recent_n,
        m.baseline_n
    )
}

/// The subject of a drift incident.
pub fn subject(workflow_id: i64, metric: DriftMetric) -> String {
    format!("{workflow_id}/{}", metric.as_str())
}

/// Reads the two periods ending at `now` and judges them.
pub fn drift_report_using(
    c: &Connection,
    workflow: &WorkflowSummary,
    now: Timestamp,
) -> Result<DriftReport> {
    let recent_since = now - chrono::Duration::days(RECENT_DAYS);
    let baseline_since = recent_since - chrono::Duration::days(BASELINE_DAYS);
    let recent = Figures::from(&workflow_stats_using(c, workflow, Some(recent_since), now)?);
    let baseline = Figures::from(&workflow_stats_using(
        c,
        workflow,
        Some(baseline_since),
        recent_since,
    )?);
    let metrics = judge(&recent, &baseline, &DriftRule::default());
    let prefix = format!("{}/", workflow.id);
    let incidents = open_incidents_using(c)?
        .into_iter()
        .filter(|i| i.kind == IncidentKind::Drift && i.subject.starts_with(&prefix))
        .collect();
    Ok(DriftReport {
        workflow_id: workflow.id,
        workflow: workflow.name.clone(),
        baseline_since,
        recent_since,
        until: now,
        recent,
        baseline,
        metrics,
        incidents,
    })
}

/// One observation per active workflow and metric for
/// [`crate::incidents`].
pub fn observe_using(c: &Connection, now: Timestamp) -> Result<Vec<Observation>> {
    let ids: Vec<i64> = c
        .prepare_cached("SELECT id FROM workflows WHERE status = 'active' ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = vec![];
    for id in ids {
        let Some(w) = summary_by_id_using(c, id)? else {
            continue;
        };
        let report = drift_report_using(c, &w, now)?;
        for m in &report.metrics {
            out.push(Observation {
                kind: IncidentKind::Drift,
                subject: subject(id, m.metric),
                title: format!("“{}”: its {} drifted", w.name, m.metric.label()),
                message: format!("{}. A rule downstream may have changed.", describe(m)),
                verdict: match m.verdict {
                    DriftVerdict::Drift => Verdict::Firing,
                    DriftVerdict::Steady => Verdict::Clear,
                    DriftVerdict::TooFewRuns => Verdict::Undecided,
                },
            });
        }
    }
    Ok(out)
}

impl Store {
    /// Workflow `id`'s drift at `now` ([`drift_report_using`]).
    pub fn workflow_drift(&self, id: i64, now: Timestamp) -> Result<DriftReport> {
        let w = summary_by_id_using(self.conn(), id)?
            .ok_or_else(|| StoreError::not_found("workflow", id.to_string()))?;
        drift_report_using(self.conn(), &w, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(ended: u64, completed: u64, steps: u64, failed: u64, median: i64) -> Figures {
        Figures {
            ended,
            completed,
            action_steps: steps,
            failed_action_steps: failed,
            median_secs: Some(median),
        }
    }

    fn verdicts(r: &Figures, b: &Figures) -> Vec<DriftVerdict> {
        judge(r, b, &DriftRule::default())
            .iter()
            .map(|m| m.verdict)
            .collect()
    }

    #[test]
    fn the_z_statistic_matches_a_hand_computation() {
        // 45/100 against 60/100: pooled 0.525, se = sqrt(.525 · .475 · .02)
        // = 0.070622, z = −0.15 / 0.070622 = −2.124.
        let z = two_proportion_z(45, 100, 60, 100).unwrap();
        assert!((z + 2.124).abs() < 0.001, "{z}");
        assert_eq!(two_proportion_z(0, 0, 5, 10), None);
        assert_eq!(two_proportion_z(10, 10, 20, 20), None, "no variance");
    }

    #[test]
    fn a_steady_history_raises_nothing() {
        let base = figures(400, 360, 1200, 12, 3600);
        let recent = figures(100, 89, 300, 4, 3900);
        assert_eq!(verdicts(&recent, &base), vec![DriftVerdict::Steady; 3]);
    }

    #[test]
    fn drops_spikes_and_slowdowns_drift() {
        let base = figures(400, 360, 1200, 12, 3600);
        // Completion 90 % → 60 %, errors 1 % → 10 %, median 1 h → 3 h.
        let recent = figures(100, 60, 300, 30, 3 * 3600);
        let m = judge(&recent, &base, &DriftRule::default());
        assert_eq!(
            m.iter().map(|m| m.verdict).collect::<Vec<_>>(),
            vec![DriftVerdict::Drift; 3]
        );
        assert!(m[0].z.unwrap() < -3.0 && m[1].z.unwrap() > 3.0);
        assert_eq!(m[2].ratio, Some(3.0));
        assert_eq!(
            describe(&m[0]),
            "completion rate 60.0 % (of 100) in the last 7 days, 90.0 % (of 400) in the 28 days before; z = -7.3"
        );
        assert_eq!(
            describe(&m[2]),
            "median time to completion 3h (of 60) in the last 7 days, 1h (of 360) in the 28 days before; × 3.00"
        );
    }

    #[test]
    fn only_the_worse_direction_of_a_rate_drifts_but_time_goes_both_ways() {
        let base = figures(400, 240, 1200, 120, 3 * 3600);
        // Completion up, errors down, median down to a third: better rates
        // are no incident, a much shorter run is (a wait that stopped
        // waiting).
        let recent = figures(100, 95, 300, 1, 3600);
        assert_eq!(
            verdicts(&recent, &base),
            vec![
                DriftVerdict::Steady,
                DriftVerdict::Steady,
                DriftVerdict::Drift
            ]
        );
    }

    #[test]
    fn a_quiet_workflow_raises_nothing() {
        let base = figures(400, 360, 1200, 12, 3600);
        // 29 ended, all failed: fewer than 30 runs.
        let recent = figures(29, 0, 29, 29, 0);
        assert_eq!(verdicts(&recent, &base), vec![DriftVerdict::TooFewRuns; 3]);
        // And a new workflow with no baseline.
        assert_eq!(
            verdicts(&base, &Figures::default()),
            vec![DriftVerdict::TooFewRuns; 3]
        );
    }

    #[test]
    fn small_changes_are_not_news() {
        let rule = DriftRule::default();
        // 90 % → 87 % on 10,000 runs each: z ≈ −6.7 but 3 points.
        let base = figures(10_000, 9_000, 0, 0, 60);
        let recent = figures(10_000, 8_700, 0, 0, 120);
        let m = judge(&recent, &base, &rule);
        assert!(m[0].z.unwrap() < -3.0);
        assert_eq!(m[0].verdict, DriftVerdict::Steady);
        // A minute against two: twice as long, but under 15 minutes apart.
        assert_eq!(m[2].verdict, DriftVerdict::Steady);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(span(0), "0s");
        assert_eq!(span(125), "2m 5s");
        assert_eq!(span(90061), "1d 1h 1m 1s");
    }
}
