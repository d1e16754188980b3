//! The outbox: effects waiting to leave the machine.
//!
//! A row is written in the same transaction as the step that wants it
//! (`pending`). The dispatcher commits `sending` (the intent) before it hands
//! the row to a sender, and commits the result after. A row found `sending`
//! at start-up was interrupted between the two: it is sent again with the
//! same idempotency key and flagged `possibly_duplicated`.
//!
//! A row being sent carries a lease (`lease_until`): a row still `sending`
//! after its lease, and not in the hands of the running dispatcher, lost its
//! attempt (its result was never recorded) and is taken back the same way,
//! without a restart ([`recover_expired_using`]).
//!
//! Rows of an account that needs attention are held: not attempted, their
//! attempts unspent, until the account is fixed (see [`HELD_BY_ACCOUNT`]).

use cairn_model::Timestamp;
use cairn_model::effect::{Effect, RunMode};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::pause::OUTBOX_HELD;
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

/// The lane of an effect: entries of one lane are sent at most so many at a
/// time, and lanes do not wait for each other (see `cairn_engine::Lane`).
pub fn lane_of(effect: &Effect) -> String {
    match effect {
        Effect::Email(m) => format!("smtp:{}", m.account.trim().to_lowercase()),
        Effect::Webhook(w) => format!("webhook:{}", host_of(&w.url)),
        Effect::Slack(s) => format!("slack:{}", s.account.trim().to_lowercase()),
        Effect::Desktop(_) => "desktop".into(),
        Effect::Course(c) => format!("course:{}", c.account.trim().to_lowercase()),
    }
}

/// The host (and port) of a URL, lower-cased, without parsing it fully: the
/// sender checks the URL; a lane only needs a stable name.
fn host_of(url: &str) -> String {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    host.to_ascii_lowercase()
}

/// An effect to queue, with what its sends need to know.
#[derive(Debug, Clone, Copy)]
pub struct NewOutboxEntry<'a> {
    pub run_id: Option<i64>,
    pub step_id: Option<i64>,
    pub effect: &'a Effect,
    /// Receivers deduplicate on it (Message-ID, Idempotency-Key).
    pub idempotency_key: &'a str,
    pub mode: RunMode,
    pub max_attempts: u32,
    pub backoff_secs: i64,
}

/// Queues an effect. An existing row with the same key is kept (a replayed
/// transaction cannot queue twice); its id is returned.
pub fn enqueue_using(c: &Connection, entry: &NewOutboxEntry<'_>, now: Timestamp) -> Result<i64> {
    let effect = entry.effect;
    let payload = serde_json::to_string(effect).map_err(StoreError::io_source)?;
    c.prepare_cached(
        "INSERT INTO outbox (run_id, step_id, kind, account, idempotency_key, payload, mode, status, attempts,
                             max_attempts, backoff_secs, next_attempt_at, created_at, updated_at, lane)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?9, ?10, ?10, ?10, ?11)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )?
    .execute(params![
        entry.run_id,
        entry.step_id,
        effect.kind(),
        effect.account(),
        entry.idempotency_key,
        payload,
        entry.mode.as_str(),
        entry.max_attempts.max(1),
        entry.backoff_secs,
        ms(now),
        lane_of(effect)
    ])?;
    Ok(
        c.prepare_cached("SELECT id FROM outbox WHERE idempotency_key = ?1")?
            .query_row([entry.idempotency_key], |r| r.get(0))?,
    )
}

pub fn get_using(c: &Connection, id: i64) -> Result<OutboxRow> {
    c.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
        .query_row([id], row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("outbox entry", id.to_string()))
}

/// The condition that holds a row back because its account needs attention
/// (a refused login, a revoked Slack hook, a webhook account answered 401):
/// a fault of the account, not of the message, so the row waits with its
/// attempts unspent until the account's status is `ok` again
/// (`Store::set_account_status`, which `account secret`, `account test` and
/// the Accounts screen all go through).
pub const HELD_BY_ACCOUNT: &str = "EXISTS (SELECT 1 FROM accounts a
    WHERE a.name = outbox.account AND a.status = 'needs_attention')";

/// Pending rows due at `now`, in due order (`next_attempt_at`, then id);
/// rows of held runs (live runs of a paused workflow) and of accounts that
/// need attention wait, and every row waits while the outbox is held after
/// a restore ([`OUTBOX_HELD`]).
pub fn due_using(c: &Connection, now: Timestamp, limit: usize) -> Result<Vec<OutboxRow>> {
    let mut st = c.prepare_cached(&format!(
        "{SELECT} WHERE status = 'pending' AND next_attempt_at <= ?1
           AND NOT EXISTS (SELECT 1 FROM runs r JOIN workflows w ON w.id = r.workflow_id
                           WHERE r.id = outbox.run_id AND w.status = 'paused' AND r.mode = 'live')
           AND NOT {HELD_BY_ACCOUNT}
           AND NOT {OUTBOX_HELD}
         ORDER BY next_attempt_at, id LIMIT ?2"
    ))?;
    let rows = st.query_map(params![ms(now), limit as i64], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Like [`due_using`], leaving out rows of the lanes in `full` (lanes that
/// have as many sends in flight as they may), so that one busy lane does not
/// fill the window and keep the others' due rows waiting.
pub fn due_in_lanes_using(
    c: &Connection,
    now: Timestamp,
    limit: usize,
    full: &[String],
) -> Result<Vec<OutboxRow>> {
    if full.is_empty() {
        return due_using(c, now, limit);
    }
    let full = serde_json::to_string(full).map_err(StoreError::io_source)?;
    let mut st = c.prepare_cached(&format!(
        "{SELECT} WHERE status = 'pending' AND next_attempt_at <= ?1
           AND NOT EXISTS (SELECT 1 FROM runs r JOIN workflows w ON w.id = r.workflow_id
                           WHERE r.id = outbox.run_id AND w.status = 'paused' AND r.mode = 'live')
           AND NOT {HELD_BY_ACCOUNT}
           AND NOT {OUTBOX_HELD}
           AND (lane IS NULL OR lane NOT IN (SELECT value FROM json_each(?3)))
         ORDER BY next_attempt_at, id LIMIT ?2"
    ))?;
    let rows = st.query_map(params![ms(now), limit as i64, full], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The lanes that have pending rows (due or not), in name order; `None`
/// stands for rows queued before lanes existed (migration 0007). A few
/// index seeks (`outbox_lane_due`), however long the queue.
pub fn pending_lanes_using(c: &Connection) -> Result<Vec<Option<String>>> {
    let mut lanes = vec![];
    let null: bool = c
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND lane IS NULL)",
        )?
        .query_row([], |r| r.get(0))?;
    if null {
        lanes.push(None);
    }
    let mut next = c.prepare_cached(
        "SELECT lane FROM outbox WHERE status = 'pending' AND lane > ?1 ORDER BY lane LIMIT 1",
    )?;
    let mut after = String::new();
    while let Some(lane) = next
        .query_row([&after], |r| r.get::<_, String>(0))
        .optional()?
    {
        after.clone_from(&lane);
        lanes.push(Some(lane));
    }
    Ok(lanes)
}

/// Whether nothing may leave the outbox at all (held after a restore).
pub fn outbox_held_using(c: &Connection) -> Result<bool> {
    Ok(c.prepare_cached(&format!("SELECT {OUTBOX_HELD}"))?
        .query_row([], |r| r.get(0))?)
}

/// The most rows [`due_in_lane_using`] reads in one call: more than any
/// lane sends at a time (an SMTP account's pool is at most 64).
pub const LANE_READ_MAX: usize = 64;

/// The first `limit` rows (at most [`LANE_READ_MAX`]) of `lane` (`None`:
/// rows without a lane) due at `now`, in due order, held rows left out as
/// in [`due_using`] (the caller checks [`outbox_held_using`] once).
///
/// The statement's LIMIT is the constant [`LANE_READ_MAX`] and the rows
/// past `limit` are never stepped to: SQLite re-prepares a statement
/// whose `LIMIT ?` is bound again, on every run, and a dispatcher turn
/// runs this once per lane (see [`crate::limit_literal`]).
pub fn due_in_lane_using(
    c: &Connection,
    lane: Option<&str>,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<OutboxRow>> {
    let held = format!(
        "AND NOT EXISTS (SELECT 1 FROM runs r JOIN workflows w ON w.id = r.workflow_id
                         WHERE r.id = outbox.run_id AND w.status = 'paused' AND r.mode = 'live')
         AND NOT {HELD_BY_ACCOUNT}
         ORDER BY next_attempt_at, id LIMIT {LANE_READ_MAX}"
    );
    let limit = limit.min(LANE_READ_MAX);
    let rows = match lane {
        Some(lane) => c
            .prepare_cached(&format!(
                "{SELECT} WHERE status = 'pending' AND lane = ?2 AND next_attempt_at <= ?1 {held}"
            ))?
            .query_map(params![ms(now), lane], row)?
            .take(limit)
            .collect::<rusqlite::Result<_>>()?,
        None => c
            .prepare_cached(&format!(
                "{SELECT} WHERE status = 'pending' AND lane IS NULL AND next_attempt_at <= ?1 {held}"
            ))?
            .query_map(params![ms(now)], row)?
            .take(limit)
            .collect::<rusqlite::Result<_>>()?,
    };
    Ok(rows)
}

/// The earliest instant a pending row falls due (held rows left out).
pub fn next_due_using(c: &Connection) -> Result<Option<Timestamp>> {
    // ORDER BY … LIMIT 1 walks the (status, next_attempt_at) index and
    // stops at the first row not held, however long the queue.
    let v: Option<i64> = c
        .prepare_cached(&format!(
            "SELECT next_attempt_at FROM outbox WHERE status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM runs r JOIN workflows w ON w.id = r.workflow_id
                               WHERE r.id = outbox.run_id AND w.status = 'paused' AND r.mode = 'live')
               AND NOT {HELD_BY_ACCOUNT}
               AND NOT {OUTBOX_HELD}
             ORDER BY next_attempt_at LIMIT 1"
        ))?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(ts_opt(v))
}

/// Records the intent to send: `pending` → `sending`, one more attempt,
/// leased until `lease_until`. Returns false when the row was no longer
/// pending (another dispatcher took it).
pub fn mark_sending_using(
    c: &Connection,
    id: i64,
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<bool> {
    let n = c
        .prepare_cached(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = ?2, lease_until = ?3
             WHERE id = ?1 AND status = 'pending'",
        )?
        .execute(params![id, ms(now), ms(lease_until)])?;
    Ok(n == 1)
}

/// Rows still `sending` whose lease expired at `now`, except those in
/// `in_hand` (sends the dispatcher is still waiting for): their attempt was
/// lost. They go back to `pending`, due now and possibly duplicated, as
/// after a crash. Returns the rows recovered.
pub fn recover_expired_using(
    c: &Connection,
    now: Timestamp,
    in_hand: &[i64],
) -> Result<Vec<OutboxRow>> {
    let mut st = c.prepare_cached(&format!(
        "{SELECT} WHERE status = 'sending' AND lease_until IS NOT NULL AND lease_until <= ?1 ORDER BY id"
    ))?;
    let rows: Vec<OutboxRow> = st
        .query_map([ms(now)], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter(|r| !in_hand.contains(&r.id))
        .collect();
    for r in &rows {
        c.prepare_cached(
            "UPDATE outbox SET status = 'pending', possibly_duplicated = 1, lease_until = NULL,
                    next_attempt_at = MIN(next_attempt_at, ?2), updated_at = ?2
             WHERE id = ?1 AND status = 'sending'",
        )?
        .execute(params![r.id, ms(now)])?;
    }
    Ok(rows)
}

/// Moves the pending rows of `account` due before `at` to `at`: its server
/// cannot be reached, so they would fail the same way, and keeping them
/// together keeps them in due order when it comes back.
pub fn postpone_account_using(
    c: &Connection,
    account: &str,
    at: Timestamp,
    now: Timestamp,
) -> Result<usize> {
    Ok(c.prepare_cached(
        "UPDATE outbox SET next_attempt_at = ?2, updated_at = ?3
         WHERE status = 'pending' AND account = ?1 COLLATE NOCASE AND next_attempt_at < ?2",
    )?
    .execute(params![account, ms(at), ms(now)])?)
}

pub fn mark_sent_using(c: &Connection, id: i64, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "UPDATE outbox SET status = 'sent', sent_at = ?2, updated_at = ?2, last_error = NULL, lease_until = NULL WHERE id = ?1",
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
                attempts = attempts - CASE WHEN ?4 THEN 0 ELSE 1 END, updated_at = ?5, lease_until = NULL
         WHERE id = ?1",
    )?
    .execute(params![id, ms(at), error, count_attempt, ms(now)])?;
    Ok(())
}

pub fn mark_failed_using(c: &Connection, id: i64, error: &str, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "UPDATE outbox SET status = 'failed', last_error = ?2, updated_at = ?3, lease_until = NULL WHERE id = ?1",
    )?
    .execute(params![id, error, ms(now)])?;
    Ok(())
}

/// The entry a step queued, if it queued one.
pub fn of_step_using(c: &Connection, step_id: i64) -> Result<Option<OutboxRow>> {
    Ok(c.prepare_cached(&format!(
        "{SELECT} WHERE step_id = ?1 ORDER BY id DESC LIMIT 1"
    ))?
    .query_row([step_id], row)
    .optional()?)
}

/// Sends a failed entry again, with the same idempotency key (receivers
/// still deduplicate on it): back to `pending`, due `now`, with
/// `more_attempts` attempts beyond those already spent (the attempt count
/// goes on, so the step log says "attempt 6" rather than starting over).
pub fn retry_failed_using(
    c: &Connection,
    id: i64,
    more_attempts: u32,
    now: Timestamp,
) -> Result<bool> {
    let n = c
        .prepare_cached(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?3, max_attempts = attempts + ?2,
                    lease_until = NULL, updated_at = ?3
             WHERE id = ?1 AND status = 'failed'",
        )?
        .execute(params![id, more_attempts.max(1), ms(now)])?;
    Ok(n == 1)
}

/// Marks rows left `sending` by a crash as pending again and possibly
/// duplicated. Returns the rows recovered.
pub fn recover_interrupted_using(c: &Connection, now: Timestamp) -> Result<Vec<OutboxRow>> {
    let mut st = c.prepare_cached(&format!("{SELECT} WHERE status = 'sending' ORDER BY id"))?;
    let rows: Vec<OutboxRow> = st.query_map([], row)?.collect::<rusqlite::Result<_>>()?;
    c.prepare_cached(
        "UPDATE outbox SET status = 'pending', possibly_duplicated = 1, next_attempt_at = MIN(next_attempt_at, ?1),
                updated_at = ?1, lease_until = NULL
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

/// Drops the run's queued (pending) entries: the run left its workflow.
pub fn skip_pending_of_run_using(
    c: &Connection,
    run_id: i64,
    reason: &str,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "UPDATE outbox SET status = 'skipped', last_error = ?2, updated_at = ?3 WHERE run_id = ?1 AND status = 'pending'",
    )?
    .execute(params![run_id, reason, ms(now)])?;
    Ok(())
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
