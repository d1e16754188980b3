//! The watch: the first 48 hours after a workflow goes live.
//!
//! Activating a workflow, or saving a changed version of an active one,
//! stamps the current version's `activated_at` ([`mark_activated_using`]).
//! For [`WATCH_HOURS`] from then, while the workflow stays active, it is
//! *watched*: the Workflows screen and the editor show the live runs that
//! started since (how many, at which node the open ones stand, how they
//! ended) and every failed run with its reason ([`WatchState`]). The first
//! failure of a watch is an incident (kind `watch`, subject
//! `"<workflow id>@<start ms>"`), told once by the app's alerts like any
//! other ([`crate::incidents`]); a new activation is a new watch, and may
//! tell again.
//!
//! Whether an instant is inside a watch is the pure [`watch_window`]; the
//! rest are reads.

use cairn_model::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::incidents::{IncidentKind, Observation, Verdict};
use crate::workflows::{WorkflowStatus, summary_by_id_using};
use crate::{Result, Store, StoreError, ms, ts};

/// How long a workflow is watched after it goes live.
pub const WATCH_HOURS: i64 = 48;

/// At most this many failures are listed (the count is always whole).
pub const FAILURES_LISTED: usize = 100;

/// The watch of one workflow: `[since, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub since: Timestamp,
    pub until: Timestamp,
}

/// The watch at `now`, if any: an active workflow whose current version
/// went live less than [`WATCH_HOURS`] ago. Pure.
pub fn watch_window(
    status: WorkflowStatus,
    activated_at: Option<Timestamp>,
    now: Timestamp,
) -> Option<Window> {
    let since = activated_at?;
    let until = since + chrono::Duration::hours(WATCH_HOURS);
    (status == WorkflowStatus::Active && since <= now && now < until)
        .then_some(Window { since, until })
}

/// Runs standing at one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NodeRuns {
    pub node: String,
    #[ts(type = "number")]
    pub runs: u64,
}

/// A failed run of a watched workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WatchFailure {
    #[ts(type = "number")]
    pub run_id: i64,
    /// The node it failed at.
    pub node: Option<String>,
    /// Why, in the engine's words ("hook: HTTP 500 from example.com").
    pub reason: Option<String>,
    pub at: Timestamp,
}

/// What the Workflows screen and the editor show while a workflow is
/// watched. Only live runs started since the watch began count (test and
/// dry runs do not): they are the real traffic of the version watched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WatchState {
    #[ts(type = "number")]
    pub workflow_id: i64,
    /// The version that went live.
    pub version: u32,
    pub since: Timestamp,
    /// When the watch ends.
    pub until: Timestamp,
    #[ts(type = "number")]
    pub runs_started: u64,
    /// Running or waiting now.
    #[ts(type = "number")]
    pub open: u64,
    #[ts(type = "number")]
    pub completed: u64,
    #[ts(type = "number")]
    pub exited: u64,
    #[ts(type = "number")]
    pub failed: u64,
    /// The open runs per node they stand at, most first.
    pub at_nodes: Vec<NodeRuns>,
    /// Failed runs, newest first (at most [`FAILURES_LISTED`]).
    pub failures: Vec<WatchFailure>,
}

/// Records that `version` of workflow `id` went live at `now`.
pub fn mark_activated_using(c: &Connection, id: i64, version: u32, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "UPDATE workflow_versions SET activated_at = ?3 WHERE workflow_id = ?1 AND version = ?2",
    )?
    .execute(params![id, version, ms(now)])?;
    Ok(())
}

/// When the current version of workflow `id` last went live.
pub fn activated_at_using(c: &Connection, id: i64) -> Result<Option<Timestamp>> {
    let at: Option<Option<i64>> = c
        .prepare_cached(
            "SELECT v.activated_at FROM workflows w
             JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
             WHERE w.id = ?1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(at.flatten().map(ts))
}

/// The watch of workflow `id` at `now`, or `None` when it is not watched.
pub fn watch_using(c: &Connection, id: i64, now: Timestamp) -> Result<Option<WatchState>> {
    let w = summary_by_id_using(c, id)?
        .ok_or_else(|| StoreError::not_found("workflow", id.to_string()))?;
    let Some(window) = watch_window(w.status, activated_at_using(c, id)?, now) else {
        return Ok(None);
    };
    let since = ms(window.since);
    let (started, open, completed, exited, failed): (i64, i64, i64, i64, i64) = c
        .prepare_cached(
            "SELECT COUNT(*),
                    COALESCE(SUM(status IN ('running', 'waiting')), 0),
                    COALESCE(SUM(status = 'completed'), 0),
                    COALESCE(SUM(status = 'exited'), 0),
                    COALESCE(SUM(status = 'failed'), 0)
             FROM runs WHERE workflow_id = ?1 AND started_at >= ?2 AND mode = 'live'",
        )?
        .query_row(params![id, since], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    let at_nodes = c
        .prepare_cached(
            "SELECT COALESCE(current_node, ''), COUNT(*) FROM runs
             WHERE workflow_id = ?1 AND started_at >= ?2 AND mode = 'live'
               AND status IN ('running', 'waiting')
             GROUP BY current_node ORDER BY COUNT(*) DESC, current_node",
        )?
        .query_map(params![id, since], |r| {
            Ok(NodeRuns {
                node: r.get(0)?,
                runs: r.get::<_, i64>(1)?.max(0) as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let failures = c
        .prepare_cached(
            "SELECT id, current_node, exit_reason, COALESCE(ended_at, updated_at) FROM runs
             WHERE workflow_id = ?1 AND started_at >= ?2 AND mode = 'live' AND status = 'failed'
             ORDER BY COALESCE(ended_at, updated_at) DESC, id DESC LIMIT ?3",
        )?
        .query_map(params![id, since, FAILURES_LISTED as i64], |r| {
            Ok(WatchFailure {
                run_id: r.get(0)?,
                node: r.get(1)?,
                reason: r.get(2)?,
                at: ts(r.get(3)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let n = |x: i64| x.max(0) as u64;
    Ok(Some(WatchState {
        workflow_id: id,
        version: w.version,
        since: window.since,
        until: window.until,
        runs_started: n(started),
        open: n(open),
        completed: n(completed),
        exited: n(exited),
        failed: n(failed),
        at_nodes,
        failures,
    }))
}

/// The incident subject of a watch.
pub fn subject(workflow_id: i64, since: Timestamp) -> String {
    format!("{workflow_id}@{}", ms(since))
}

/// One observation per watched workflow for [`crate::incidents`]: firing
/// once a watched run failed, undecided before (nothing opens, nothing
/// closes). A watch that ended is not observed, which closes its incident.
pub fn observe_using(c: &Connection, now: Timestamp) -> Result<Vec<Observation>> {
    let ids: Vec<(i64, String)> = c
        .prepare_cached("SELECT id, name FROM workflows WHERE status = 'active' ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = vec![];
    for (id, name) in ids {
        let Some(w) = watch_using(c, id, now)? else {
            continue;
        };
        let first = w.failures.last();
        out.push(Observation {
            kind: IncidentKind::Watch,
            subject: subject(id, w.since),
            title: format!("“{name}” failed in its first 48 hours"),
            message: match first {
                Some(f) => format!(
                    "Run {} failed{}. Open the workflow to see the watch and the run.",
                    f.run_id,
                    f.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
                None => String::new(),
            },
            verdict: if w.failed > 0 {
                Verdict::Firing
            } else {
                Verdict::Undecided
            },
        });
    }
    Ok(out)
}

impl Store {
    /// The watch of workflow `id` at `now` ([`watch_using`]).
    pub fn workflow_watch(&self, id: i64, now: Timestamp) -> Result<Option<WatchState>> {
        watch_using(self.conn(), id, now)
    }

    /// Every watched workflow's watch at `now`, for the Workflows screen.
    pub fn watches(&self, now: Timestamp) -> Result<Vec<WatchState>> {
        let ids: Vec<i64> = self
            .conn()
            .prepare_cached("SELECT id FROM workflows WHERE status = 'active' ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = vec![];
        for id in ids {
            if let Some(w) = watch_using(self.conn(), id, now)? {
                out.push(w);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn watched_for_48_hours_while_active() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        let h = |n: i64| at + chrono::Duration::hours(n);
        let active = WorkflowStatus::Active;
        assert_eq!(
            watch_window(active, Some(at), h(0)),
            Some(Window {
                since: at,
                until: h(48)
            })
        );
        assert!(watch_window(active, Some(at), h(47)).is_some());
        assert!(watch_window(active, Some(at), h(47) + chrono::Duration::minutes(59)).is_some());
        assert_eq!(
            watch_window(active, Some(at), h(48)),
            None,
            "48 h later it ends"
        );
        assert_eq!(watch_window(active, Some(at), h(-1)), None);
        assert_eq!(watch_window(active, None, h(1)), None, "never went live");
        assert_eq!(watch_window(WorkflowStatus::Paused, Some(at), h(1)), None);
        assert_eq!(watch_window(WorkflowStatus::Draft, Some(at), h(1)), None);
    }
}
