//! The dispatcher's look at the outbox: due entries taken lane by lane.
//!
//! The queue may hold tens of thousands of entries, most of them in a lane
//! that is full (10,000 purchases' webhooks to one host, 32 at a time). A
//! turn therefore never reads the queue in due order and skips what does
//! not fit: it asks which lanes have pending entries (a few index seeks,
//! `outbox_lane_due`), and from each lane with room reads only as many due
//! entries as the room allows. The entries taken are then merged in due
//! order (the oldest first, whatever their lane) up to the dispatcher's
//! room in all, and committed `sending` with a lease, in one transaction.
//! A turn costs what it takes, not what waits.

use std::collections::HashMap;

use cairn_model::Timestamp;
use cairn_model::effect::Effect;
use cairn_store::outbox::{self, OutboxRow};
use rusqlite::OptionalExtension;

use crate::engine::{Engine, SEND_LEASE};
use crate::error::Result;
use crate::outcome::entry_of;
use crate::sender::{
    DEFAULT_SMTP_POOL, Lane, OutboxEntry, SLACK_CONCURRENCY, WEBHOOK_HOST_CONCURRENCY, later,
};

/// Per lane: sends in flight, the lane's limit.
pub(crate) type Loads = HashMap<String, (usize, usize)>;

/// What a turn took.
#[derive(Debug, Default)]
pub(crate) struct Turn {
    pub entries: Vec<(OutboxEntry, Lane)>,
    /// The earliest instant an entry of a lane with room falls due (none
    /// when nothing waits there). Lanes that are full are left out: a send
    /// of theirs landing starts the next turn.
    pub next: Option<Timestamp>,
}

/// How many sends a lane takes at a time, from its key.
fn lane_limit(tx: &rusqlite::Connection, key: &str) -> Result<usize> {
    Ok(if let Some(account) = key.strip_prefix("smtp:") {
        let pool: Option<i64> = tx
            .prepare_cached(
                "SELECT json_extract(settings, '$.pool_size') FROM accounts WHERE name = ?1",
            )?
            .query_row([account], |r| r.get(0))
            .optional()?
            .flatten();
        pool.and_then(|n| usize::try_from(n).ok())
            .unwrap_or(DEFAULT_SMTP_POOL)
            .clamp(1, 64)
    } else if key.starts_with("webhook:") {
        WEBHOOK_HOST_CONCURRENCY
    } else if key.starts_with("slack:") {
        SLACK_CONCURRENCY
    } else {
        1
    })
}

/// The `pool_size` of the SMTP account of a row without a lane.
fn pool_of(tx: &rusqlite::Connection, row: &OutboxRow) -> Result<Option<usize>> {
    match (&row.effect, &row.account) {
        (Effect::Email(_), Some(a)) => {
            let key = format!("smtp:{}", a.trim().to_lowercase());
            Ok(Some(lane_limit(tx, &key)?))
        }
        _ => Ok(None),
    }
}

/// Takes up to `limit` due entries, lane by lane (see the module docs), and
/// commits them `sending` with a lease of [`SEND_LEASE`]. `loads` holds the
/// sends in flight per lane and is updated with those taken.
pub(crate) fn take(
    engine: &mut Engine,
    now: Timestamp,
    limit: usize,
    loads: &mut Loads,
) -> Result<Turn> {
    let lease_until = later(now, SEND_LEASE);
    let mut counts = loads.clone();
    let turn = engine.store_mut().write(|tx| -> Result<Turn> {
        let mut turn = Turn::default();
        if outbox::outbox_held_using(tx)? {
            return Ok(turn);
        }
        let mut candidates: Vec<(OutboxRow, Option<usize>)> = vec![];
        let mut with_room: Vec<String> = vec![];
        for lane in outbox::pending_lanes_using(tx)? {
            match lane {
                Some(key) => {
                    let max = match counts.get(&key) {
                        Some((_, max)) => *max,
                        None => lane_limit(tx, &key)?,
                    };
                    let load = counts.entry(key.clone()).or_insert((0, max));
                    load.1 = max;
                    let room = max.saturating_sub(load.0).min(limit);
                    if room == 0 {
                        continue;
                    }
                    let rows = outbox::due_in_lane_using(tx, Some(&key), now, room)?;
                    if rows.len() < room {
                        with_room.push(key);
                    }
                    candidates.extend(rows.into_iter().map(|r| (r, None)));
                }
                None => {
                    // Rows queued before lanes existed: their lane is
                    // worked out from the row.
                    for r in outbox::due_in_lane_using(tx, None, now, limit)? {
                        let pool = pool_of(tx, &r)?;
                        candidates.push((r, Some(pool.unwrap_or(0))));
                    }
                }
            }
        }
        candidates.sort_by_key(|(r, _)| (r.next_attempt_at, r.id));
        for (r, pool) in candidates {
            if turn.entries.len() >= limit {
                break;
            }
            let mut e = entry_of(&r);
            let lane = Lane::of(&e, pool.filter(|p| *p > 0));
            let load = counts.entry(lane.key.clone()).or_insert((0, lane.limit));
            if load.0 >= load.1 {
                continue;
            }
            if outbox::mark_sending_using(tx, r.id, now, lease_until)? {
                load.0 += 1;
                e.attempt += 1;
                turn.entries.push((e, lane));
            }
        }
        // When the lanes with room fall due next.
        for key in with_room {
            if counts.get(&key).is_some_and(|(busy, max)| busy >= max) {
                continue;
            }
            let at: Option<i64> = tx
                .prepare_cached(
                    "SELECT next_attempt_at FROM outbox
                     WHERE status = 'pending' AND lane = ?1 AND next_attempt_at > ?2
                     ORDER BY next_attempt_at LIMIT 1",
                )?
                .query_row(rusqlite::params![key, cairn_store::ms(now)], |r| r.get(0))
                .optional()?;
            if let Some(at) = at.map(cairn_store::ts) {
                turn.next = Some(turn.next.map_or(at, |n| n.min(at)));
            }
        }
        Ok(turn)
    })?;
    // Lanes with nothing in flight are forgotten (their limit is read
    // again when they have entries: a changed pool size applies).
    counts.retain(|_, (busy, _)| *busy > 0);
    *loads = counts;
    Ok(turn)
}
