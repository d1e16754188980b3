//! The outbox: effects waiting to leave the machine.
//!
//! A row is written in the same transaction as the step that wants it
//! (`pending`). The dispatcher commits `sending` (the intent) before it hands
//! the row to a sender, and commits the result after. A row found `sending`
//! at start-up was interrupted between the two: it is sent again with the
//! same idempotency key and flagged `possibly_duplicated`.

use cairn_model::Timestamp;
use cairn_model::effect::{Effect, RunMode};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Result, Store, StoreError, ms, ts, ts_opt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    Pending,
    Sending,
    Sent,
    Failed,
    Skipped,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Skipped => "skipped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => OutboxStatus::Pending,
            "sending" => OutboxStatus::Sending,
            "sent" => OutboxStatus::Sent,
            "failed" => OutboxStatus::Failed,
            "skipped" => OutboxStatus::Skipped,
            _ => return None,
        })
    }
}

/// An outbox row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OutboxRow {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number | null")]
    pub run_id: Option<i64>,
    #[ts(type = "number | null")]
    pub step_id: Option<i64>,
    pub kind: String,
    pub account: Option<String>,
    pub idempotency_key: String,
    pub effect: Effect,
    pub mode: RunMode,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub max_attempts: u32,
    #[ts(type = "number")]
    pub backoff_secs: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub possibly_duplicated: bool,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

const SELECT: &str = "SELECT id, run_id, step_id, kind, account, idempotency_key, payload, mode, status, attempts,
    max_attempts, backoff_secs, next_attempt_at, last_error, possibly_duplicated, created_at, sent_at FROM outbox";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    let payload: String = r.get(6)?;
    let effect: Effect = serde_json::from_str(&payload).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(OutboxRow {
        id: r.get(0)?,
        run_id: r.get(1)?,
        step_id: r.get(2)?,
        kind: r.get(3)?,
        account: r.get(4)?,
        idempotency_key: r.get(5)?,
        effect,
        mode: RunMode::parse(&r.get::<_, String>(7)?).unwrap_or_default(),
        status: OutboxStatus::parse(&r.get::<_, String>(8)?).unwrap_or(OutboxStatus::Failed),
        attempts: r.get(9)?,
        max_attempts: r.get(10)?,
        backoff_secs: r.get(11)?,
        next_attempt_at: ts(r.get(12)?),
        last_error: r.get(13)?,
        possibly_duplicated: r.get(14)?,
        created_at: ts(r.get(15)?),
        sent_at: ts_opt(r.get(16)?),
    })
}

/// Queues an effect. An existing row with the same key is kept (a replayed
/// transaction cannot queue twice); its id is returned.
#[allow(clippy::too_many_arguments)]
pub fn enqueue_using(
    c: &Connection,
    run_id: Option<i64>,
    step_id: Option<i64>,
    effect: &Effect,
    idempotency_key: &str,
    mode: RunMode,
    max_attempts: u32,
    backoff_secs: i64,
    now: Timestamp,
) -> Result<i64> {
    let payload = serde_json::to_string(effect).map_err(|e| StoreError::Io(e.to_string()))?;
    c.prepare_cached(
        "INSERT INTO outbox (run_id, step_id, kind, account, idempotency_key, payload, mode, status, attempts,
                             max_attempts, backoff_secs, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?9, ?10, ?10, ?10)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )?
    .execute(params![
        run_id,
        step_id,
        effect.kind(),
        effect.account(),
        idempotency_key,
        payload,
        mode.as_str(),
        max_attempts.max(1),
        backoff_secs,
        ms(now)
    ])?;
    Ok(
        c.prepare_cached("SELECT id FROM outbox WHERE idempotency_key = ?1")?
            .query_row([idempotency_key], |r| r.get(0))?,
    )
}

pub fn get_using(c: &Connection, id: i64) -> Result<OutboxRow> {
    c.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
        .query_row([id], row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("outbox entry", id.to_string()))
}

/// Pending rows due at `now`, oldest first; rows of held runs (live runs of
/// a paused workflow) wait.
pub fn due_using(c: &Connection, now: Timestamp, limit: usize) -> Result<Vec<OutboxRow>> {
    let mut st = c.prepare_cached(&format!(
        "{SELECT} WHERE status = 'pending' AND next_attempt_at <= ?1
           AND NOT EXISTS (SELECT 1 FROM runs r JOIN workflows w ON w.id = r.workflow_id
                           WHERE r.id = outbox.run_id AND w.status = 'paused' AND r.mode = 'live')
         ORDER BY next_attempt_at, id LIMIT ?2"
    ))?;
    let rows = st.query_map(params![ms(now), limit as i64], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The earliest instant a pending row falls due.
pub fn next_due_using(c: &Connection) -> Result<Option<Timestamp>> {
    let v: Option<i64> = c
        .prepare_cached(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM runs r JOIN workflows w ON w.id = r.workflow_id
                               WHERE r.id = outbox.run_id AND w.status = 'paused' AND r.mode = 'live')",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(ts_opt(v))
}

/// Records the intent to send: `pending` → `sending`, one more attempt.
/// Returns false when the row was no longer pending (another dispatcher took it).
pub fn mark_sending_using(c: &Connection, id: i64, now: Timestamp) -> Result<bool> {
    let n = c
        .prepare_cached(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = ?2
             WHERE id = ?1 AND status = 'pending'",
        )?
        .execute(params![id, ms(now)])?;
    Ok(n == 1)
}

pub fn mark_sent_using(c: &Connection, id: i64, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "UPDATE outbox SET status = 'sent', sent_at = ?2, updated_at = ?2, last_error = NULL WHERE id = ?1",
    )?
    .execute(params![id, ms(now)])?;
    Ok(())
}

/// Back to `pending`, not before `at`. `count_attempt = false` gives back the
/// attempt taken by `mark_sending` (a rate-limit deferral is not an attempt).
pub fn reschedule_using(
    c: &Connection,
    id: i64,
    at: Timestamp,
    error: Option<&str>,
    count_attempt: bool,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "UPDATE outbox SET status = 'pending', next_attempt_at = ?2, last_error = COALESCE(?3, last_error),
                attempts = attempts - CASE WHEN ?4 THEN 0 ELSE 1 END, updated_at = ?5
         WHERE id = ?1",
    )?
    .execute(params![id, ms(at), error, count_attempt, ms(now)])?;
    Ok(())
}

pub fn mark_failed_using(c: &Connection, id: i64, error: &str, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "UPDATE outbox SET status = 'failed', last_error = ?2, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id, error, ms(now)])?;
    Ok(())
}

/// Marks rows left `sending` by a crash as pending again and possibly
/// duplicated. Returns the rows recovered.
pub fn recover_interrupted_using(c: &Connection, now: Timestamp) -> Result<Vec<OutboxRow>> {
    let mut st = c.prepare_cached(&format!("{SELECT} WHERE status = 'sending' ORDER BY id"))?;
    let rows: Vec<OutboxRow> = st.query_map([], row)?.collect::<rusqlite::Result<_>>()?;
    c.prepare_cached(
        "UPDATE outbox SET status = 'pending', possibly_duplicated = 1, next_attempt_at = ?1, updated_at = ?1
         WHERE status = 'sending'",
    )?
    .execute([ms(now)])?;
    Ok(rows)
}

/// How many emails an account sent since `since` (for daily rate limits).
pub fn sent_since_using(c: &Connection, account: &str, since: Timestamp) -> Result<i64> {
    Ok(c
        .prepare_cached(
            "SELECT COUNT(*) FROM outbox WHERE account = ?1 AND kind = 'email' AND status = 'sent' AND sent_at >= ?2",
        )?
        .query_row(params![account, ms(since)], |r| r.get(0))?)
}

impl Store {
    /// Outbox rows, newest first; only unfinished ones unless `all`.
    pub fn outbox(&self, all: bool, limit: i64) -> Result<Vec<OutboxRow>> {
        let filter = if all {
            ""
        } else {
            "WHERE status IN ('pending', 'sending', 'failed')"
        };
        let mut st = self
            .conn()
            .prepare(&format!("{SELECT} {filter} ORDER BY id DESC LIMIT ?1"))?;
        let rows = st.query_map([limit], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn outbox_entry(&self, id: i64) -> Result<OutboxRow> {
        get_using(self.conn(), id)
    }
}
