//! How far each time-based trigger (a schedule, a date field) has looked.
//!
//! The engine fires every occurrence in `(checked_until, now]` and moves the
//! mark to `now` in the same transaction, so an occurrence fires exactly
//! once, and one that fell due while the app was closed fires at the next
//! start.

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
