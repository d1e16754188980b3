//! Incidents: what deserves a desktop notification, told once.
//!
//! A workflow that starts failing (its error rate over the last hour crosses
//! a threshold), a watched workflow's first failed run ([`crate::watch`]), a
//! workflow whose last week drifted from the four before
//! ([`crate::drift`]), a connected account that needs attention (a 401 from its
//! API, a refused SMTP login) or a fault of the executor (a task that
//! stopped on a panic and was restarted, an outbox entry that crashed the
//! sender: [`Store::record_executor_fault`]) is an *incident*. It opens when the condition starts and closes when
//! it clears; the user is told when it opens, not at every failure. Open
//! incidents live in the `incidents` table, so a restart re-reads them and
//! stays quiet about what it already said.
//!
//! The decision is two pure functions, [`error_rate_verdict`] (counts in,
//! verdict out) and [`plan`] (what is observed now, against the incidents
//! already open), so it can be tested on any sequence of counts and clock
//! readings. [`Store::review_incidents`] observes the database at `now`,
//! applies the plan in one transaction and returns what still has to be
//! shown; the caller shows it and marks it [`Store::mark_notified`] — a
//! crash in between shows it again at the next start, never silently drops
//! it.

use cairn_model::Timestamp;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Result, Store, StoreError, ms, ts, ts_opt};

/// Settings key of the [`AlertPolicy`].
pub const POLICY_KEY: &str = "alerts.policy";

/// When a workflow counts as failing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AlertPolicy {
    /// Notify at all.
    pub enabled: bool,
    /// Share of finished action steps that failed (0.05 = 5 %) at which a
    /// workflow is failing.
    pub error_rate: f64,
    /// Over the last this many minutes.
    pub window_minutes: u32,
    /// With at least this many finished action steps in the window: three
    /// failures out of ten is not yet a trend.
    pub min_steps: u32,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        AlertPolicy {
            enabled: true,
            error_rate: 0.05,
            window_minutes: 60,
            min_steps: 20,
        }
    }
}

impl AlertPolicy {
    pub fn check(&self) -> Result<()> {
        let bad = |m: &str| {
            Err(StoreError::Invalid(cairn_model::ModelError::Invalid(
                m.into(),
            )))
        };
        if !(self.error_rate > 0.0 && self.error_rate <= 1.0) {
            return bad("the error rate threshold is a share above 0 and at most 1 (0.05 is 5 %)");
        }
        if !(1..=10_080).contains(&self.window_minutes) {
            return bad("the window is between 1 minute and 7 days (10080 minutes)");
        }
        if self.min_steps == 0 {
            return bad("at least 1 step is needed to judge an error rate");
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// A workflow's error rate crossed the threshold.
    ErrorRate,
    /// A connected account needs attention.
    Account,
    /// A task of the executor stopped on a panic (and was restarted), or an
    /// entry made the sender crash (and was failed). Stays open for
    /// [`FAULT_OPEN_HOURS`] after the last fault.
    Executor,
    /// A watched workflow (its first 48 hours live) had its first failed
    /// run ([`crate::watch`]). Closes when the watch ends.
    Watch,
    /// A workflow's last 7 days drifted from the 28 before
    /// ([`crate::drift`]).
    Drift,
}

/// How long an executor fault stays an open incident.
pub const FAULT_OPEN_HOURS: i64 = 24;

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::ErrorRate => "error_rate",
            IncidentKind::Account => "account",
            IncidentKind::Executor => "executor",
            IncidentKind::Watch => "watch",
            IncidentKind::Drift => "drift",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "account" => IncidentKind::Account,
            "executor" => IncidentKind::Executor,
            "watch" => IncidentKind::Watch,
            "drift" => IncidentKind::Drift,
            _ => IncidentKind::ErrorRate,
        }
    }
}

/// Finished action steps of one workflow in the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCounts {
    /// Ok or failed (a skipped step is neither).
    pub steps: u64,
    pub failed: u64,
}

/// What a condition looks like now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The condition holds: open an incident if none is open.
    Firing,
    /// It does not: close the open incident.
    Clear,
    /// Too little to say (failing, but on fewer steps than the minimum): an
    /// open incident stays open, no new one opens.
    Undecided,
}

/// The verdict on a workflow's counts: firing at or above the threshold on
/// enough steps, clear below it (also when nothing ran: a quiet hour ends a
/// failure spell), undecided on too few steps.
pub fn error_rate_verdict(c: StepCounts, p: &AlertPolicy) -> Verdict {
    let failing = c.steps > 0 && (c.failed as f64) >= p.error_rate * c.steps as f64;
    match (failing, c.steps >= u64::from(p.min_steps)) {
        (false, _) => Verdict::Clear,
        (true, true) => Verdict::Firing,
        (true, false) => Verdict::Undecided,
    }
}

/// One condition observed now.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub kind: IncidentKind,
    /// The workflow id or account name.
    pub subject: String,
    pub title: String,
    pub message: String,
    pub verdict: Verdict,
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Incident {
    #[ts(type = "number")]
    pub id: i64,
    pub kind: IncidentKind,
    pub subject: String,
    pub title: String,
    pub message: String,
    pub opened_at: Timestamp,
    pub notified_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
}

/// What to change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// New incidents (each one notification).
    pub open: Vec<Observation>,
    /// Incidents whose condition cleared, or whose subject is gone (a
    /// workflow paused or deleted, an account removed).
    pub close: Vec<i64>,
}

/// Compares what is observed with the incidents open. Pure.
pub fn plan(observed: &[Observation], open: &[Incident]) -> Plan {
    let mut p = Plan::default();
    for o in observed {
        let is_open = open
            .iter()
            .any(|i| i.kind == o.kind && i.subject == o.subject);
        if o.verdict == Verdict::Firing && !is_open {
            p.open.push(o.clone());
        }
    }
    for i in open {
        let now = observed
            .iter()
            .find(|o| o.kind == i.kind && o.subject == i.subject);
        if now.is_none_or(|o| o.verdict == Verdict::Clear) {
            p.close.push(i.id);
        }
    }
    p
}

fn percent(x: f64) -> String {
    let v = x * 100.0;
    if (v - v.round()).abs() < 0.05 {
        format!("{v:.0} %")
    } else {
        format!("{v:.1} %")
    }
}

fn window_text(minutes: u32) -> String {
    match minutes {
        60 => "the last hour".into(),
        m if m % 60 == 0 => format!("the last {} hours", m / 60),
        m => format!("the last {m} minutes"),
    }
}

/// Observes every active workflow's error rate over the policy's window,
/// its watch and its drift, and every account's status, at `now`.
pub fn observe_using(c: &Connection, now: Timestamp, p: &AlertPolicy) -> Result<Vec<Observation>> {
    let since = now - chrono::Duration::minutes(i64::from(p.window_minutes));
    let mut out = vec![];
    let workflows: Vec<(i64, String)> = c
        .prepare_cached("SELECT id, name FROM workflows WHERE status = 'active' ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut count = c.prepare_cached(
        "SELECT COUNT(*), COALESCE(SUM(s.status = 'failed'), 0)
         FROM steps s JOIN runs r ON r.id = s.run_id
         WHERE s.workflow_id = ?1 AND s.started_at >= ?2 AND s.started_at < ?3
           AND s.kind LIKE 'action.%' AND s.status IN ('ok', 'failed') AND r.mode = 'live'",
    )?;
    for (id, name) in workflows {
        let (steps, failed): (i64, i64) = count
            .query_row(params![id, ms(since), ms(now)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let counts = StepCounts {
            steps: steps.max(0) as u64,
            failed: failed.max(0) as u64,
        };
        out.push(Observation {
            kind: IncidentKind::ErrorRate,
            subject: id.to_string(),
            title: format!("“{name}” is failing"),
            message: format!(
                "{} of {} action steps failed in {} ({}). Open the workflow's activity to see why.",
                counts.failed,
                counts.steps,
                window_text(p.window_minutes),
                percent(counts.failed as f64 / counts.steps.max(1) as f64)
            ),
            verdict: error_rate_verdict(counts, p),
        });
    }
    out.extend(crate::watch::observe_using(c, now)?);
    out.extend(crate::drift::observe_using(c, now)?);
    let accounts: Vec<(String, String, Option<String>)> = c
        .prepare_cached("SELECT name, status, status_message FROM accounts ORDER BY name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    // Executor faults are recorded as they happen (record_executor_fault);
    // each stays firing for a day after its last occurrence.
    let faults: Vec<(String, String, String, i64)> = c
        .prepare_cached(
            "SELECT subject, title, message, opened_at FROM incidents
             WHERE kind = 'executor' AND closed_at IS NULL ORDER BY id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (subject, title, message, at) in faults {
        let recent = ts(at) > now - chrono::Duration::hours(FAULT_OPEN_HOURS);
        out.push(Observation {
            kind: IncidentKind::Executor,
            subject,
            title,
            message,
            verdict: if recent {
                Verdict::Firing
            } else {
                Verdict::Clear
            },
        });
    }
    for (name, status, message) in accounts {
        out.push(Observation {
            kind: IncidentKind::Account,
            title: format!("Account “{name}” needs attention"),
            message: message.unwrap_or_else(|| {
                "Cairn cannot use it until you fix its settings or secret.".into()
            }),
            subject: name,
            verdict: if status == "needs_attention" {
                Verdict::Firing
            } else {
                Verdict::Clear
            },
        });
    }
    Ok(out)
}

const SELECT: &str =
    "SELECT id, kind, subject, title, message, opened_at, notified_at, closed_at FROM incidents";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Incident> {
    Ok(Incident {
        id: r.get(0)?,
        kind: IncidentKind::parse(&r.get::<_, String>(1)?),
        subject: r.get(2)?,
        title: r.get(3)?,
        message: r.get(4)?,
        opened_at: ts(r.get(5)?),
        notified_at: ts_opt(r.get(6)?),
        closed_at: ts_opt(r.get(7)?),
    })
}

pub fn open_incidents_using(c: &Connection) -> Result<Vec<Incident>> {
    Ok(
        c.prepare_cached(&format!("{SELECT} WHERE closed_at IS NULL ORDER BY id"))?
            .query_map([], row)?
            .collect::<rusqlite::Result<_>>()?,
    )
}

/// Counts for the tray and the window's status line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct BackgroundSummary {
    /// Runs waiting (or running): what the executor still has to move on.
    #[ts(type = "number")]
    pub waiting_runs: u64,
    /// Live runs that failed in the last 24 hours.
    #[ts(type = "number")]
    pub failed_runs_24h: u64,
    #[ts(type = "number")]
    pub active_workflows: u64,
    /// Workflows "Pause all" paused ("Resume all" would restart them).
    #[ts(type = "number")]
    pub paused_by_pause_all: u64,
    pub open_incidents: Vec<Incident>,
}

impl Store {
    pub fn alert_policy(&self) -> Result<AlertPolicy> {
        Ok(self.setting(POLICY_KEY)?.unwrap_or_default())
    }

    pub fn set_alert_policy(&mut self, p: &AlertPolicy) -> Result<()> {
        p.check()?;
        self.set_setting(POLICY_KEY, p)
    }

    pub fn open_incidents(&self) -> Result<Vec<Incident>> {
        open_incidents_using(self.conn())
    }

    /// Incidents, newest first (open and closed).
    pub fn incidents(&self, limit: usize) -> Result<Vec<Incident>> {
        Ok(self
            .conn()
            .prepare_cached(&format!("{SELECT} ORDER BY id DESC LIMIT ?1"))?
            .query_map([limit as i64], row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Observes the database at `now`, opens and closes incidents in one
    /// transaction, and returns the open incidents not yet shown (new ones,
    /// and any a crash kept from being shown). With notifications off, it
    /// still tracks incidents but returns none.
    pub fn review_incidents(&mut self, now: Timestamp) -> Result<Vec<Incident>> {
        let policy = self.alert_policy()?;
        self.write(|tx| {
            let observed = observe_using(tx, now, &policy)?;
            let open = open_incidents_using(tx)?;
            let p = plan(&observed, &open);
            for id in &p.close {
                tx.prepare_cached("UPDATE incidents SET closed_at = ?2 WHERE id = ?1")?
                    .execute(params![id, ms(now)])?;
            }
            for o in &p.open {
                tx.prepare_cached(
                    "INSERT INTO incidents (kind, subject, title, message, opened_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![o.kind.as_str(), o.subject, o.title, o.message, ms(now)])?;
            }
            if !policy.enabled {
                // Nothing to show; remember that nothing is owed either.
                tx.prepare_cached(
                    "UPDATE incidents SET notified_at = ?1 WHERE closed_at IS NULL AND notified_at IS NULL",
                )?
                .execute([ms(now)])?;
            }
            Ok(open_incidents_using(tx)?
                .into_iter()
                .filter(|i| i.notified_at.is_none())
                .collect())
        })
    }

    /// Records a fault of the executor: `task` ("dispatcher", "engine")
    /// stopped on a panic or an entry crashed the sender. Opens an incident
    /// (told once, by the app's alerts) or, when one is open for the task,
    /// brings its message up to date without telling again.
    pub fn record_executor_fault(
        &mut self,
        task: &str,
        title: &str,
        message: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE incidents SET message = ?2, title = ?3, opened_at = ?4
                     WHERE kind = 'executor' AND subject = ?1 AND closed_at IS NULL",
                )?
                .execute(params![task, message, title, ms(now)])?;
            if n == 0 {
                tx.prepare_cached(
                    "INSERT INTO incidents (kind, subject, title, message, opened_at)
                     VALUES ('executor', ?1, ?2, ?3, ?4)",
                )?
                .execute(params![task, title, message, ms(now)])?;
            }
            Ok(())
        })
    }

    /// Records that an incident was shown.
    pub fn mark_notified(&mut self, id: i64, now: Timestamp) -> Result<()> {
        self.conn().execute(
            "UPDATE incidents SET notified_at = ?2 WHERE id = ?1 AND notified_at IS NULL",
            params![id, ms(now)],
        )?;
        Ok(())
    }

    /// What the tray shows.
    pub fn background_summary(&self, now: Timestamp) -> Result<BackgroundSummary> {
        let c = self.conn();
        let n = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<u64> {
            Ok(c.prepare_cached(sql)?
                .query_row(p, |r| r.get::<_, i64>(0))?
                .max(0) as u64)
        };
        let day_ago = ms(now - chrono::Duration::hours(24));
        Ok(BackgroundSummary {
            waiting_runs: n(
                "SELECT COUNT(*) FROM runs WHERE status IN ('running', 'waiting')",
                &[],
            )?,
            failed_runs_24h: n(
                "SELECT COUNT(*) FROM runs WHERE workflow_id IN (SELECT id FROM workflows)
                 AND ended_at >= ?1 AND status = 'failed' AND mode = 'live'",
                &[&day_ago],
            )?,
            active_workflows: n(
                "SELECT COUNT(*) FROM workflows WHERE status = 'active'",
                &[],
            )?,
            paused_by_pause_all: self.paused_by_pause_all()? as u64,
            open_incidents: open_incidents_using(c)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(subject: &str, verdict: Verdict) -> Observation {
        Observation {
            kind: IncidentKind::ErrorRate,
            subject: subject.into(),
            title: String::new(),
            message: String::new(),
            verdict,
        }
    }

    fn open(id: i64, subject: &str) -> Incident {
        Incident {
            id,
            kind: IncidentKind::ErrorRate,
            subject: subject.into(),
            title: String::new(),
            message: String::new(),
            opened_at: ts(0),
            notified_at: Some(ts(0)),
            closed_at: None,
        }
    }

    #[test]
    fn verdicts_at_the_edges() {
        let p = AlertPolicy::default(); // 5 %, at least 20 steps
        let v = |steps, failed| error_rate_verdict(StepCounts { steps, failed }, &p);
        assert_eq!(v(0, 0), Verdict::Clear, "a quiet window is clear");
        assert_eq!(v(20, 1), Verdict::Firing, "exactly 5 % of 20");
        assert_eq!(v(21, 1), Verdict::Clear, "just under 5 %");
        assert_eq!(v(19, 19), Verdict::Undecided, "too few steps to judge");
        assert_eq!(v(100, 0), Verdict::Clear);
    }

    #[test]
    fn the_plan_opens_once_and_closes_when_clear_or_gone() {
        let p = plan(&[obs("1", Verdict::Firing)], &[]);
        assert_eq!(p.open.len(), 1);
        let p = plan(&[obs("1", Verdict::Firing)], &[open(7, "1")]);
        assert!(p.open.is_empty() && p.close.is_empty(), "already open");
        let p = plan(&[obs("1", Verdict::Undecided)], &[open(7, "1")]);
        assert!(
            p.open.is_empty() && p.close.is_empty(),
            "undecided keeps it"
        );
        let p = plan(&[obs("1", Verdict::Clear)], &[open(7, "1")]);
        assert_eq!(p.close, vec![7]);
        let p = plan(&[], &[open(7, "1")]);
        assert_eq!(p.close, vec![7], "the workflow was paused or deleted");
        let p = plan(&[obs("1", Verdict::Undecided)], &[]);
        assert!(p.open.is_empty(), "no incident opens on too few steps");
    }

    #[test]
    fn messages_read_well() {
        assert_eq!(percent(0.05), "5 %");
        assert_eq!(percent(0.125), "12.5 %");
        assert_eq!(window_text(60), "the last hour");
        assert_eq!(window_text(180), "the last 3 hours");
        assert_eq!(window_text(15), "the last 15 minutes");
    }
}
