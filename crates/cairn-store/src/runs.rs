//! Runs, steps, timers and event waits: the executor's durable state.
//!
//! The engine writes these inside its own transactions (`*_using(tx)`); the
//! CLI and the app read them through the `Store` methods at the bottom.

use cairn_model::Timestamp;
use cairn_model::effect::RunMode;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::step_detail::StepDetail;
use crate::{Result, Store, StoreError, ms, ts, ts_opt};

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Executing right now (only ever seen inside a transaction).
    Running,
    /// Waiting for a timer, an event or an outbox entry.
    Waiting,
    /// Reached the end of a path.
    Completed,
    /// Left early: a goal, removal by another workflow, a late wait.
    Exited,
    /// An action failed and its policy said to fail the run.
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Waiting => "waiting",
            RunStatus::Completed => "completed",
            RunStatus::Exited => "exited",
            RunStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => RunStatus::Running,
            "waiting" => RunStatus::Waiting,
            "completed" => RunStatus::Completed,
            "exited" => RunStatus::Exited,
            "failed" => RunStatus::Failed,
            _ => return None,
        })
    }
    pub fn is_open(self) -> bool {
        matches!(self, RunStatus::Running | RunStatus::Waiting)
    }
}

/// What happened at one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Ok,
    Failed,
    Skipped,
    /// A wait that has not fired yet.
    Waiting,
    /// An external action queued in the outbox.
    Pending,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Ok => "ok",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Waiting => "waiting",
            StepStatus::Pending => "pending",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ok" => StepStatus::Ok,
            "failed" => StepStatus::Failed,
            "skipped" => StepStatus::Skipped,
            "waiting" => StepStatus::Waiting,
            "pending" => StepStatus::Pending,
            _ => return None,
        })
    }
    /// Whether a step in this status is done (it gets a `finished_at`).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            StepStatus::Ok | StepStatus::Failed | StepStatus::Skipped
        )
    }
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Run {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub workflow_id: i64,
    pub workflow: String,
    pub version: u32,
    #[ts(type = "number")]
    pub contact_id: i64,
    pub contact_email: String,
    pub trigger_node: String,
    #[ts(type = "number | null")]
    pub trigger_event_id: Option<i64>,
    #[ts(type = "unknown")]
    pub trigger_payload: serde_json::Value,
    pub status: RunStatus,
    pub current_node: Option<String>,
    pub exit_reason: Option<String>,
    pub goal: Option<String>,
    pub converted: bool,
    pub mode: RunMode,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// How many times the run was taken up again from its failed step
    /// (`cairn_engine`'s retry).
    pub retries: u32,
    /// The failed run this one restarted from the start, if it did.
    #[ts(type = "number | null")]
    pub restarted_from: Option<i64>,
}

/// A step as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Step {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub run_id: i64,
    pub node_id: String,
    pub kind: String,
    pub status: StepStatus,
    pub exit: Option<String>,
    /// What the step recorded: the `StepDetail`s written to it, merged, as
    /// stored (`null` when it recorded nothing). Kept as JSON here because a
    /// merged detail holds the keys of several outcomes; across IPC it is
    /// typed as the union of the outcomes, which the UI narrows by key.
    #[ts(as = "Option<StepDetail>")]
    pub detail: serde_json::Value,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub attempts: u32,
}

pub(crate) const RUN_SELECT: &str = "SELECT r.id, r.workflow_id, w.name, r.version, r.contact_id, c.email, r.trigger_node,
    r.trigger_event_id, r.trigger_payload, r.status, r.current_node, r.exit_reason, r.goal, r.converted, r.mode,
    r.started_at, r.ended_at, r.retries, r.restarted_from
    FROM runs r JOIN workflows w ON w.id = r.workflow_id JOIN contacts c ON c.id = r.contact_id";

pub(crate) fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Run> {
    let payload: String = r.get(8)?;
    Ok(Run {
        id: r.get(0)?,
        workflow_id: r.get(1)?,
        workflow: r.get(2)?,
        version: r.get(3)?,
        contact_id: r.get(4)?,
        contact_email: r.get(5)?,
        trigger_node: r.get(6)?,
        trigger_event_id: r.get(7)?,
        trigger_payload: serde_json::from_str(&payload).unwrap_or_default(),
        status: RunStatus::parse(&r.get::<_, String>(9)?).unwrap_or(RunStatus::Failed),
        current_node: r.get(10)?,
        exit_reason: r.get(11)?,
        goal: r.get(12)?,
        converted: r.get(13)?,
        mode: RunMode::parse(&r.get::<_, String>(14)?).unwrap_or_default(),
        started_at: ts(r.get(15)?),
        ended_at: ts_opt(r.get(16)?),
        retries: r.get(17)?,
        restarted_from: r.get(18)?,
    })
}

const STEP_SELECT: &str = "SELECT id, run_id, node_id, kind, status, exit, detail, started_at, finished_at, attempts FROM steps";

fn step_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Step> {
    let detail: Option<String> = r.get(6)?;
    Ok(Step {
        id: r.get(0)?,
        run_id: r.get(1)?,
        node_id: r.get(2)?,
        kind: r.get(3)?,
        status: StepStatus::parse(&r.get::<_, String>(4)?).unwrap_or(StepStatus::Failed),
        exit: r.get(5)?,
        detail: detail
            .and_then(|d| serde_json::from_str(&d).ok())
            .unwrap_or(serde_json::Value::Null),
        started_at: ts(r.get(7)?),
        finished_at: ts_opt(r.get(8)?),
        attempts: r.get(9)?,
    })
}

pub fn run_using(c: &Connection, id: i64) -> Result<Run> {
    c.prepare_cached(&format!("{RUN_SELECT} WHERE r.id = ?1"))?
        .query_row([id], run_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("run", id.to_string()))
}

/// A run to insert: where it starts and what started it.
#[derive(Debug, Clone, Copy)]
pub struct NewRun<'a> {
    pub workflow_id: i64,
    pub version: u32,
    pub contact_id: i64,
    pub trigger_node: &'a str,
    pub trigger_event_id: Option<i64>,
    pub trigger_payload: &'a serde_json::Value,
    pub mode: RunMode,
}

/// Inserts a run in state `running`, positioned at its trigger node.
pub fn insert_run_using(c: &Connection, run: &NewRun<'_>, now: Timestamp) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO runs (workflow_id, version, contact_id, trigger_node, trigger_event_id, trigger_payload,
                           status, current_node, mode, started_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?4, ?7, ?8, ?8)",
    )?
    .execute(params![
        run.workflow_id,
        run.version,
        run.contact_id,
        run.trigger_node,
        run.trigger_event_id,
        run.trigger_payload.to_string(),
        run.mode.as_str(),
        ms(now)
    ])?;
    Ok(c.last_insert_rowid())
}

/// Moves a run to a node and status.
pub fn set_run_position_using(
    c: &Connection,
    run_id: i64,
    status: RunStatus,
    node: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "UPDATE runs SET status = ?2, current_node = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![run_id, status.as_str(), node, ms(now)])?;
    Ok(())
}

/// Ends a run; removes its timers and event waits.
pub fn end_run_using(
    c: &Connection,
    run_id: i64,
    status: RunStatus,
    reason: Option<&str>,
    goal: Option<&str>,
    converted: bool,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "UPDATE runs SET status = ?2, exit_reason = ?3, goal = ?4, converted = ?5, ended_at = ?6, updated_at = ?6
         WHERE id = ?1",
    )?
    .execute(params![run_id, status.as_str(), reason, goal, converted, ms(now)])?;
    c.prepare_cached("DELETE FROM timers WHERE run_id = ?1")?
        .execute([run_id])?;
    c.prepare_cached("DELETE FROM event_waits WHERE run_id = ?1")?
        .execute([run_id])?;
    Ok(())
}

/// Ends a run that is being advanced (it holds no timer and no event wait:
/// those are removed when they fire), leaving it at `node`. One statement,
/// for the engine's hot path; [`end_run_using`] is for runs taken out while
/// waiting.
pub fn finish_run_using(
    c: &Connection,
    run_id: i64,
    status: RunStatus,
    node: Option<&str>,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "UPDATE runs SET status = ?2, current_node = COALESCE(?3, current_node), exit_reason = ?4,
                ended_at = ?5, updated_at = ?5
         WHERE id = ?1",
    )?
    .execute(params![run_id, status.as_str(), node, reason, ms(now)])?;
    Ok(())
}

/// A step to record: which run and node, how it went, what it noted.
#[derive(Debug, Clone, Copy)]
pub struct NewStep<'a> {
    pub run_id: i64,
    pub workflow_id: i64,
    pub node_id: &'a str,
    /// The node's kind (`"action.send_email"`), kept for analytics.
    pub kind: &'a str,
    pub status: StepStatus,
    pub exit: Option<&'a str>,
    pub detail: Option<&'a serde_json::Value>,
}

/// Records a step; returns its id.
pub fn insert_step_using(c: &Connection, step: &NewStep<'_>, now: Timestamp) -> Result<i64> {
    let finished = step.status.is_final();
    c.prepare_cached(
        "INSERT INTO steps (run_id, workflow_id, node_id, kind, status, exit, detail, started_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        step.run_id,
        step.workflow_id,
        step.node_id,
        step.kind,
        step.status.as_str(),
        step.exit,
        step.detail.map(|d| d.to_string()),
        ms(now),
        finished.then(|| ms(now))
    ])?;
    Ok(c.last_insert_rowid())
}

/// What changes about a recorded step. `detail` and `attempts` left `None`
/// keep what the step had; `exit` is written as given.
#[derive(Debug, Clone, Copy)]
pub struct StepUpdate<'a> {
    pub status: StepStatus,
    pub exit: Option<&'a str>,
    pub detail: Option<&'a serde_json::Value>,
    pub attempts: Option<u32>,
}

impl<'a> StepUpdate<'a> {
    /// A new status (and exit) only.
    pub fn status(status: StepStatus, exit: Option<&'a str>) -> Self {
        StepUpdate {
            status,
            exit,
            detail: None,
            attempts: None,
        }
    }

    /// A new status with no exit and a new detail.
    pub fn with_detail(status: StepStatus, detail: &'a serde_json::Value) -> Self {
        StepUpdate {
            status,
            exit: None,
            detail: Some(detail),
            attempts: None,
        }
    }
}

/// Finishes (or updates) a step.
pub fn update_step_using(
    c: &Connection,
    step_id: i64,
    update: &StepUpdate<'_>,
    now: Timestamp,
) -> Result<()> {
    let finished = update.status.is_final();
    c.prepare_cached(
        "UPDATE steps SET status = ?2, exit = ?3, detail = COALESCE(?4, detail),
                attempts = COALESCE(?5, attempts), finished_at = CASE WHEN ?6 THEN ?7 ELSE finished_at END
         WHERE id = ?1",
    )?
    .execute(params![
        step_id,
        update.status.as_str(),
        update.exit,
        update.detail.map(|d| d.to_string()),
        update.attempts,
        finished,
        ms(now)
    ])?;
    Ok(())
}

pub fn step_using(c: &Connection, id: i64) -> Result<Step> {
    c.prepare_cached(&format!("{STEP_SELECT} WHERE id = ?1"))?
        .query_row([id], step_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("step", id.to_string()))
}

/// The latest step of a run at a node (the one a timer or outbox entry finishes).
pub fn open_step_using(c: &Connection, run_id: i64, node_id: &str) -> Result<Option<Step>> {
    Ok(c.prepare_cached(&format!(
        "{STEP_SELECT} WHERE run_id = ?1 AND node_id = ?2 ORDER BY id DESC LIMIT 1"
    ))?
    .query_row(params![run_id, node_id], step_row)
    .optional()?)
}

/// Purpose of a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerPurpose {
    /// A wait node's due time.
    Wait,
    /// A wait-for-event node's timeout.
    Timeout,
    /// An external action held for the send window's next opening.
    Window,
}

impl TimerPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TimerPurpose::Wait => "wait",
            TimerPurpose::Timeout => "timeout",
            TimerPurpose::Window => "window",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "wait" => TimerPurpose::Wait,
            "timeout" => TimerPurpose::Timeout,
            "window" => TimerPurpose::Window,
            _ => return None,
        })
    }
}

/// A due timer, as the engine reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub id: i64,
    pub run_id: i64,
    pub node_id: String,
    pub purpose: TimerPurpose,
    pub due_at: Timestamp,
}

pub fn insert_timer_using(
    c: &Connection,
    run_id: i64,
    node_id: &str,
    purpose: TimerPurpose,
    due_at: Timestamp,
    now: Timestamp,
) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO timers (run_id, node_id, purpose, due_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![run_id, node_id, purpose.as_str(), ms(due_at), ms(now)])?;
    Ok(c.last_insert_rowid())
}

pub fn delete_timer_using(c: &Connection, id: i64) -> Result<()> {
    c.prepare_cached("DELETE FROM timers WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Timers due at or before `now`, oldest first, skipping runs that are held
/// (live runs of a paused workflow).
pub fn due_timers_using(c: &Connection, now: Timestamp, limit: usize) -> Result<Vec<Timer>> {
    // The engine's batch size: one statement text (`crate::limit_literal`).
    let mut st = c.prepare_cached(&format!(
        "SELECT t.id, t.run_id, t.node_id, t.purpose, t.due_at FROM timers t
         JOIN runs r ON r.id = t.run_id JOIN workflows w ON w.id = r.workflow_id
         WHERE t.due_at <= ?1 AND (w.status != 'paused' OR r.mode != 'live')
         ORDER BY t.due_at, t.id LIMIT {}",
        crate::limit_literal(limit)
    ))?;
    let rows = st.query_map(params![ms(now)], timer_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn timer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Timer> {
    Ok(Timer {
        id: r.get(0)?,
        run_id: r.get(1)?,
        node_id: r.get(2)?,
        purpose: TimerPurpose::parse(&r.get::<_, String>(3)?).unwrap_or(TimerPurpose::Wait),
        due_at: ts(r.get(4)?),
    })
}

/// The earliest timer that is not held, if any.
pub fn next_timer_due_using(c: &Connection) -> Result<Option<Timestamp>> {
    let v: Option<i64> = c
        .prepare_cached(
            "SELECT MIN(t.due_at) FROM timers t JOIN runs r ON r.id = t.run_id JOIN workflows w ON w.id = r.workflow_id
             WHERE w.status != 'paused' OR r.mode != 'live'",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(ts_opt(v))
}

/// When the run's earliest timer falls due (a wait, an event wait's
/// timeout, a send window), if it has one: what a test run's "skip the
/// wait" would fire now.
pub fn run_timer_due_using(c: &Connection, run_id: i64) -> Result<Option<Timestamp>> {
    let v: Option<i64> = c
        .prepare_cached("SELECT MIN(due_at) FROM timers WHERE run_id = ?1")?
        .query_row([run_id], |r| r.get(0))?;
    Ok(ts_opt(v))
}

/// A run waiting for an event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventWait {
    pub run_id: i64,
    pub node_id: String,
    pub correlation: serde_json::Value,
}

pub fn insert_event_wait_using(
    c: &Connection,
    run_id: i64,
    contact_id: i64,
    event_type: &str,
    node_id: &str,
    correlation: &serde_json::Value,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO event_waits (run_id, contact_id, event_type, node_id, correlation, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (run_id) DO UPDATE SET event_type = excluded.event_type, node_id = excluded.node_id,
            correlation = excluded.correlation, created_at = excluded.created_at",
    )?
    .execute(params![run_id, contact_id, event_type, node_id, correlation.to_string(), ms(now)])?;
    Ok(())
}

pub fn event_waits_using(
    c: &Connection,
    contact_id: i64,
    event_type: &str,
) -> Result<Vec<EventWait>> {
    let mut st = c.prepare_cached(
        "SELECT run_id, node_id, correlation FROM event_waits WHERE contact_id = ?1 AND event_type = ?2 ORDER BY run_id",
    )?;
    let rows = st.query_map(params![contact_id, event_type], |r| {
        let corr: String = r.get(2)?;
        Ok(EventWait {
            run_id: r.get(0)?,
            node_id: r.get(1)?,
            correlation: serde_json::from_str(&corr).unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn delete_event_wait_using(c: &Connection, run_id: i64) -> Result<()> {
    c.prepare_cached("DELETE FROM event_waits WHERE run_id = ?1")?
        .execute([run_id])?;
    c.prepare_cached("DELETE FROM timers WHERE run_id = ?1 AND purpose = 'timeout'")?
        .execute([run_id])?;
    Ok(())
}

/// Open runs (running or waiting) of a contact, optionally in one workflow.
pub fn open_runs_of_contact_using(
    c: &Connection,
    contact_id: i64,
    workflow_id: Option<i64>,
) -> Result<Vec<Run>> {
    let mut st = c.prepare_cached(&format!(
        "{RUN_SELECT} WHERE r.contact_id = ?1 AND r.status IN ('running', 'waiting') AND (?2 IS NULL OR r.workflow_id = ?2) ORDER BY r.id"
    ))?;
    let rows = st.query_map(params![contact_id, workflow_id], run_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether the contact has ever had a live run of the workflow, or has one open.
pub fn has_run_using(
    c: &Connection,
    workflow_id: i64,
    contact_id: i64,
    open_only: bool,
) -> Result<bool> {
    let sql = if open_only {
        "SELECT EXISTS (SELECT 1 FROM runs WHERE workflow_id = ?1 AND contact_id = ?2 AND mode = 'live' AND status IN ('running', 'waiting'))"
    } else {
        "SELECT EXISTS (SELECT 1 FROM runs WHERE workflow_id = ?1 AND contact_id = ?2 AND mode = 'live')"
    };
    Ok(c.prepare_cached(sql)?
        .query_row(params![workflow_id, contact_id], |r| r.get(0))?)
}

/// Filter for listing runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RunQuery {
    pub workflow: Option<String>,
    #[ts(type = "number | null")]
    pub contact_id: Option<i64>,
    pub status: Option<RunStatus>,
    #[ts(type = "number | null")]
    pub limit: Option<i64>,
}

/// The run's steps still open (waiting or pending): id and node.
pub fn open_steps_using(c: &Connection, run_id: i64) -> Result<Vec<(i64, String)>> {
    let mut st = c.prepare_cached(
        "SELECT id, node_id FROM steps WHERE run_id = ?1 AND status IN ('waiting', 'pending')",
    )?;
    let rows = st.query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The payload of the event a wait-for-event of this run last received
/// (its step's `arrived_event_id`), if any.
pub fn arrived_event_payload_using(
    c: &Connection,
    run_id: i64,
) -> Result<Option<serde_json::Value>> {
    let p: Option<String> = c
        .prepare_cached(
            "SELECT e.payload FROM steps s JOIN events e ON e.id = json_extract(s.detail, '$.arrived_event_id')
             WHERE s.run_id = ?1 AND s.exit = 'arrived' ORDER BY s.id DESC LIMIT 1",
        )?
        .query_row([run_id], |r| r.get::<_, String>(0))
        .optional()?;
    Ok(p.and_then(|p| serde_json::from_str(&p).ok()))
}

/// The run's earliest timer (what "skip the wait" fires), if it has one.
pub fn first_timer_of_run_using(c: &Connection, run_id: i64) -> Result<Option<Timer>> {
    Ok(c
        .prepare_cached(
            "SELECT id, run_id, node_id, purpose, due_at FROM timers WHERE run_id = ?1 ORDER BY due_at LIMIT 1",
        )?
        .query_row([run_id], timer_row)
        .optional()?)
}

impl Store {
    pub fn run(&self, id: i64) -> Result<Run> {
        run_using(self.conn(), id)
    }

    /// Runs, newest first.
    pub fn runs(&self, q: &RunQuery) -> Result<Vec<Run>> {
        let wf_id = match &q.workflow {
            Some(name) => Some(self.workflow(name)?.id),
            None => None,
        };
        let mut st = self.conn().prepare(&format!(
            "{RUN_SELECT} WHERE (?1 IS NULL OR r.workflow_id = ?1) AND (?2 IS NULL OR r.contact_id = ?2)
             AND (?3 IS NULL OR r.status = ?3) ORDER BY r.id DESC LIMIT ?4"
        ))?;
        let rows = st.query_map(
            params![
                wf_id,
                q.contact_id,
                q.status.map(|s| s.as_str()),
                q.limit.unwrap_or(-1)
            ],
            run_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When the run's earliest timer falls due, if it has one.
    pub fn run_timer_due(&self, run_id: i64) -> Result<Option<Timestamp>> {
        run_timer_due_using(self.conn(), run_id)
    }

    /// A run's steps in order.
    pub fn steps(&self, run_id: i64) -> Result<Vec<Step>> {
        let mut st = self
            .conn()
            .prepare_cached(&format!("{STEP_SELECT} WHERE run_id = ?1 ORDER BY id"))?;
        let rows = st.query_map([run_id], step_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
