//! The reads behind a forecast (`cairn_engine::forecast`): after the engine
//! has run a workflow over a scratch copy of the database on a virtual
//! clock, these count what its live runs did there, per day from the
//! forecast's start, per node, and how its runs stand at the end.
//!
//! They read the run log exactly as analytics does (`runs`, `steps`), so a
//! forecast counts what the engine recorded, not what a model predicts.

use cairn_model::Timestamp;
use rusqlite::{Connection, params};

use crate::runs::{RunStatus, StepStatus};
use crate::{Result, ms};

const DAY_MS: i64 = 86_400_000;

/// Steps of one node in one status, finished on one day of the forecast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepTally {
    /// Whole days since the start (0 is the first 24 hours).
    pub day: u32,
    pub node_id: String,
    pub kind: String,
    pub status: StepStatus,
    pub steps: u64,
}

/// Steps of workflow `workflow_id`'s live runs finished in `[start, end)`,
/// counted per day (24-hour slices from `start`), node and status.
pub fn step_tallies_using(
    c: &Connection,
    workflow_id: i64,
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<StepTally>> {
    let mut st = c.prepare_cached(
        "SELECT (s.finished_at - ?2) / ?4 AS day, s.node_id, s.kind, s.status, COUNT(*)
         FROM steps s JOIN runs r ON r.id = s.run_id
         WHERE s.workflow_id = ?1 AND r.mode = 'live'
           AND s.finished_at >= ?2 AND s.finished_at < ?3
         GROUP BY day, s.node_id, s.kind, s.status
         ORDER BY day, s.node_id, s.status",
    )?;
    let rows = st.query_map(params![workflow_id, ms(start), ms(end), DAY_MS], |r| {
        let status: String = r.get(3)?;
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            status,
            r.get::<_, i64>(4)?,
        ))
    })?;
    let mut out = vec![];
    for row in rows {
        let (day, node_id, kind, status, n) = row?;
        let Some(status) = StepStatus::parse(&status) else {
            continue;
        };
        out.push(StepTally {
            day: day.max(0) as u32,
            node_id,
            kind,
            status,
            steps: n.max(0) as u64,
        });
    }
    Ok(out)
}

/// Live runs of the workflow started in `[start, end)`, per day from `start`.
pub fn runs_started_by_day_using(
    c: &Connection,
    workflow_id: i64,
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<(u32, u64)>> {
    let mut st = c.prepare_cached(
        "SELECT (started_at - ?2) / ?4 AS day, COUNT(*) FROM runs
         WHERE workflow_id = ?1 AND mode = 'live' AND started_at >= ?2 AND started_at < ?3
         GROUP BY day ORDER BY day",
    )?;
    let rows = st.query_map(params![workflow_id, ms(start), ms(end), DAY_MS], |r| {
        Ok((
            r.get::<_, i64>(0)?.max(0) as u32,
            r.get::<_, i64>(1)?.max(0) as u64,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Where a group of runs stands at the end of a forecast: ended (how, at
/// which node, why) or still open at a node, with a few of its contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTally {
    pub status: RunStatus,
    /// The node the run ended at or waits at.
    pub node: Option<String>,
    /// An exit's reason, or the goal reached.
    pub reason: Option<String>,
    pub runs: u64,
    /// Up to the requested number of contacts' emails, lowest run first.
    pub sample: Vec<String>,
}

/// How the workflow's live runs that were open at `start` or started since
/// stand now, grouped by status, node and reason, largest group first, each
/// with up to `sample` contacts.
pub fn run_paths_using(
    c: &Connection,
    workflow_id: i64,
    start: Timestamp,
    sample: usize,
) -> Result<Vec<PathTally>> {
    let mut st = c.prepare_cached(
        "WITH these AS (
           SELECT r.id, r.status, r.current_node AS node,
                  COALESCE(r.goal, r.exit_reason) AS reason, r.contact_id,
                  ROW_NUMBER() OVER (
                    PARTITION BY r.status, r.current_node, COALESCE(r.goal, r.exit_reason)
                    ORDER BY r.id) AS nth
           FROM runs r
           WHERE r.workflow_id = ?1 AND r.mode = 'live'
             AND (r.ended_at IS NULL OR r.ended_at >= ?2))
         SELECT t.status, t.node, t.reason, COUNT(*),
                group_concat(CASE WHEN t.nth <= ?3 THEN c.email END, char(10))
         FROM these t LEFT JOIN contacts c ON c.id = t.contact_id
         GROUP BY t.status, t.node, t.reason
         ORDER BY COUNT(*) DESC, t.status, t.node, t.reason",
    )?;
    let rows = st.query_map(params![workflow_id, ms(start), sample as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out = vec![];
    for row in rows {
        let (status, node, reason, n, emails) = row?;
        let Some(status) = RunStatus::parse(&status) else {
            continue;
        };
        let mut sample: Vec<String> = emails
            .unwrap_or_default()
            .split('\n')
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect();
        sample.sort();
        out.push(PathTally {
            status,
            node,
            reason,
            runs: n.max(0) as u64,
            sample,
        });
    }
    Ok(out)
}

/// Contacts who may receive marketing email now (status `subscribed`, not
/// erased): the list a forecast's share of emails is measured against.
pub fn subscribed_contacts_using(c: &Connection) -> Result<u64> {
    let n: i64 = c
        .prepare_cached(
            "SELECT COUNT(*) FROM contacts WHERE status = 'subscribed' AND erased_at IS NULL AND is_test = 0",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Events of these types recorded but not handled yet: the only events a
/// forecast sees.
pub fn unprocessed_events_using(c: &Connection, event_types: &[String]) -> Result<u64> {
    if event_types.is_empty() {
        return Ok(0);
    }
    let marks = vec!["?"; event_types.len()].join(", ");
    let n: i64 = c
        .prepare(&format!(
            "SELECT COUNT(*) FROM events WHERE processed_at IS NULL AND type IN ({marks})"
        ))?
        .query_row(rusqlite::params_from_iter(event_types), |r| r.get(0))?;
    Ok(n.max(0) as u64)
}
