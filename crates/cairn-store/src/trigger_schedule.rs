//! How far each time-based trigger (a schedule, a date field) has looked.
//!
//! The engine fires every occurrence in `(checked_until, now]` and moves the
//! mark to `now` in the same transaction, so an occurrence fires exactly
//! once, and one that fell due while the app was closed fires at the next
//! start.
//!
//! A trigger never looked at starts from when its workflow went live (the
//! version's `activated_at`), so a workflow activated while the executor
//! was not running (`cairn workflow activate`, the app closed) still fires
//! what fell due since. A paused workflow's triggers do not look; when it
//! is activated again ([`restart_using`]) they start from that moment: what
//! fell due while it was paused does not fire, as a paused automation
//! enrolls nobody in the hosted tools.

use cairn_model::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Result, ms, ts};

/// How far the trigger `node_id` of the workflow has looked; `None` when it
/// never has (it was just activated).
pub fn checked_until_using(
    c: &Connection,
    workflow_id: i64,
    node_id: &str,
) -> Result<Option<Timestamp>> {
    let v: Option<i64> = c
        .prepare_cached(
            "SELECT checked_until FROM trigger_schedule WHERE workflow_id = ?1 AND node_id = ?2",
        )?
        .query_row(params![workflow_id, node_id], |r| r.get(0))
        .optional()?;
    Ok(v.map(ts))
}

/// Records that the trigger has looked up to `until`.
pub fn set_checked_until_using(
    c: &Connection,
    workflow_id: i64,
    node_id: &str,
    until: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO trigger_schedule (workflow_id, node_id, checked_until) VALUES (?1, ?2, ?3)
         ON CONFLICT (workflow_id, node_id) DO UPDATE SET checked_until = excluded.checked_until",
    )?
    .execute(params![workflow_id, node_id, ms(until)])?;
    Ok(())
}

/// The workflow went live again at `now` (activated by hand, or "Resume
/// all"): its time-based triggers look from `now` on, not from where they
/// stopped when it was paused.
pub fn restart_using(c: &Connection, workflow_id: i64, now: Timestamp) -> Result<()> {
    c.prepare_cached("UPDATE trigger_schedule SET checked_until = ?2 WHERE workflow_id = ?1")?
        .execute(params![workflow_id, ms(now)])?;
    Ok(())
}
