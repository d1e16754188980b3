//! Failed runs, and the writes that take one up again.
//!
//! A run fails when an action fails and its policy says so, or when the
//! workflow itself is broken (a missing node, a loop). After the cause is
//! fixed (an account's password, a field declared) the user re-runs it:
//! from its failed step on the version it ran (`retries` counts how often),
//! or from the start on the current version, as a new run whose
//! `restarted_from` names the failed one. The engine decides what a retry
//! does (`cairn_engine`'s `retry`); these are the reads and writes it and
//! the screens need.
//!
//! A failed run that was restarted stays failed (its failure happened) but
//! is no longer a *failure to re-run*: [`failed_runs_using`] leaves it out,
//! so a bulk retry never restarts the same run twice.

use cairn_model::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::runs::{RUN_SELECT, Run, run_row};
use crate::{Result, Store, ms};

/// Which failed runs of a workflow to list (or re-run).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct FailureFilter {
    /// Only runs that failed at this node.
    #[ts(optional)]
    pub node: Option<String>,
    /// Only runs whose error contains this text (case-insensitive).
    #[ts(optional)]
    pub error: Option<String>,
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// The live runs of `workflow_id` that failed and were not restarted,
/// newest first, filtered by the node they failed at and their error.
pub fn failed_runs_using(
    c: &Connection,
    workflow_id: i64,
    filter: &FailureFilter,
) -> Result<Vec<Run>> {
    let error = filter
        .error
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(like_escaped);
    let node = filter
        .node
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let mut st = c.prepare_cached(&format!(
        "{RUN_SELECT} WHERE r.workflow_id = ?1 AND r.status = 'failed' AND r.mode = 'live'
           AND (?2 IS NULL OR r.current_node = ?2)
           AND (?3 IS NULL OR r.exit_reason LIKE ?3 ESCAPE '\\')
           AND NOT EXISTS (SELECT 1 FROM runs n WHERE n.restarted_from = r.id)
         ORDER BY r.id DESC"
    ))?;
    let rows = st.query_map(params![workflow_id, node, error], run_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The run that restarted `run_id` from the start, if one did.
pub fn restarted_as_using(c: &Connection, run_id: i64) -> Result<Option<i64>> {
    Ok(
        c.prepare_cached("SELECT id FROM runs WHERE restarted_from = ?1 ORDER BY id LIMIT 1")?
            .query_row([run_id], |r| r.get(0))
            .optional()?,
    )
}

/// Takes a failed run up again: `running`, no end and no reason, one more
/// retry. The engine then moves it on in the same transaction.
pub fn reopen_run_using(c: &Connection, run_id: i64, now: Timestamp) -> Result<u32> {
    Ok(c.prepare_cached(
        "UPDATE runs SET status = 'running', exit_reason = NULL, ended_at = NULL,
                    retries = retries + 1, updated_at = ?2
             WHERE id = ?1 AND status = 'failed'
             RETURNING retries",
    )?
    .query_row(params![run_id, ms(now)], |r| r.get(0))?)
}

/// Records that `run_id` restarted `failed_run` from the start.
pub fn set_restarted_from_using(c: &Connection, run_id: i64, failed_run: i64) -> Result<()> {
    c.prepare_cached("UPDATE runs SET restarted_from = ?2 WHERE id = ?1")?
        .execute(params![run_id, failed_run])?;
    Ok(())
}

impl Store {
    /// A workflow's failures to re-run (see [`failed_runs_using`]).
    pub fn failed_runs(&self, workflow: &str, filter: &FailureFilter) -> Result<Vec<Run>> {
        let w = self.workflow(workflow)?;
        failed_runs_using(self.conn(), w.id, filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_the_text_only() {
        assert_eq!(like_escaped("535 auth"), "%535 auth%");
        assert_eq!(like_escaped("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }
}
