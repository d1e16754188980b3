//! Retention: old details go, counts stay.
//!
//! [`Store::prune`] blanks the bulky JSON of what is old and finished — the
//! step details, trigger payload and sent outbox payloads of runs that ended
//! before the cutoff, and the payloads of processed events recorded before
//! it — and stamps `pruned_at`. It never deletes a row: every count the
//! analytics read (runs, steps, their statuses and times, events' types and
//! times) stays, so the numbers of an old month do not change when its
//! details go. It never touches what an open run may still read:
//! - an open run's own steps and trigger payload (only ended runs are
//!   pruned);
//! - any event of a contact who has an open run: conditions (engagement,
//!   "had event", payload filters) read only the run's own contact's events,
//!   and a wait-for-event's trigger correlation lives on the run;
//! - unprocessed events (goals and event waits have not seen them yet);
//! - outbox entries still to send (a run that ended with one is left for a
//!   later pass).
//!
//! A condition that looks back further than the retention period still sees
//! the old event (its type and time) but no longer its payload; the period
//! is a setting (default [`DEFAULT_RETENTION_DAYS`]; 0 keeps everything).

use cairn_model::Timestamp;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Result, Store, StoreError, ms};

/// How long finished runs keep their details unless the user says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// Settings key: retention in days (a number; 0 keeps everything).
pub const RETENTION_KEY: &str = "hygiene.retention_days";

/// Rows pruned per transaction: small enough that the executor, queued on
/// the write lock, waits milliseconds, not seconds.
const PRUNE_BATCH: usize = 500;

/// What [`Store::prune`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PruneReport {
    /// Ended runs whose details were blanked.
    #[ts(type = "number")]
    pub runs: u64,
    /// Their steps that had a detail.
    #[ts(type = "number")]
    pub steps: u64,
    /// Their sent (or failed, or skipped) outbox entries.
    #[ts(type = "number")]
    pub outbox: u64,
    /// Processed events whose payload was blanked.
    #[ts(type = "number")]
    pub events: u64,
    /// Old events kept whole because their contact has an open run.
    #[ts(type = "number")]
    pub events_kept: u64,
    /// Old ended runs left for a later pass (an outbox entry still to send).
    #[ts(type = "number")]
    pub runs_kept: u64,
    /// Everything before this instant was considered (`None`: retention off).
    pub cutoff: Option<Timestamp>,
}

impl Store {
    /// Retention in days (0 keeps everything).
    pub fn retention_days(&self) -> Result<u32> {
        Ok(self
            .setting::<u32>(RETENTION_KEY)?
            .unwrap_or(DEFAULT_RETENTION_DAYS))
    }

    pub fn set_retention_days(&mut self, days: u32) -> Result<()> {
        if days > 36_500 {
            return Err(StoreError::Invalid(cairn_model::ModelError::Invalid(
                "retention is at most 36500 days (100 years); use 0 to keep everything".into(),
            )));
        }
        self.set_setting(RETENTION_KEY, &days)
    }

    /// Blanks the details of runs that ended and of events processed before
    /// `now - retention_days` (see the module docs for what is kept), in
    /// small transactions.
    pub fn prune(&mut self, now: Timestamp, retention_days: u32) -> Result<PruneReport> {
        let mut report = PruneReport::default();
        if retention_days == 0 {
            return Ok(report);
        }
        let cutoff = now - chrono::Duration::days(i64::from(retention_days));
        report.cutoff = Some(cutoff);
        let (c, n) = (ms(cutoff), ms(now));

        // Runs, oldest end first; a run left for later is stepped over by
        // the (ended_at, id) key, so a pass always ends.
        let mut after = (i64::MIN, i64::MIN);
        loop {
            let (batch, last) = self.write(|tx| {
                let rows: Vec<(i64, i64, bool)> = tx
                    .prepare_cached(
                        "SELECT r.id, r.ended_at,
                                EXISTS (SELECT 1 FROM outbox o WHERE o.run_id = r.id
                                        AND o.status IN ('pending', 'sending'))
                         FROM runs r
                         WHERE r.ended_at IS NOT NULL AND r.pruned_at IS NULL
                           AND r.ended_at < ?1 AND (r.ended_at, r.id) > (?2, ?3)
                         ORDER BY r.ended_at, r.id LIMIT ?4",
                    )?
                    .query_map(params![c, after.0, after.1, PRUNE_BATCH as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                for &(id, _, still_sending) in &rows {
                    if still_sending {
                        report.runs_kept += 1;
                        continue;
                    }
                    report.steps += tx
                        .prepare_cached(
                            "UPDATE steps SET detail = NULL WHERE run_id = ?1 AND detail IS NOT NULL",
                        )?
                        .execute([id])? as u64;
                    report.outbox += tx
                        .prepare_cached(
                            "UPDATE outbox SET payload = '{}' WHERE run_id = ?1
                             AND status IN ('sent', 'failed', 'skipped') AND payload <> '{}'",
                        )?
                        .execute([id])? as u64;
                    tx.prepare_cached(
                        "UPDATE runs SET trigger_payload = '{}', pruned_at = ?2 WHERE id = ?1",
                    )?
                    .execute(params![id, n])?;
                    report.runs += 1;
                }
                Ok::<_, StoreError>((rows.len(), rows.last().map(|r| (r.1, r.0))))
            })?;
            match last {
                Some(l) if batch == PRUNE_BATCH => after = l,
                _ => break,
            }
        }

        // Processed events, oldest first, except those of contacts with an
        // open run.
        let mut after = (i64::MIN, i64::MIN);
        loop {
            let (batch, last) = self.write(|tx| {
                let rows: Vec<(i64, i64, bool)> = tx
                    .prepare_cached(
                        "SELECT e.id, e.recorded_at,
                                e.contact_id IS NOT NULL AND EXISTS (
                                  SELECT 1 FROM runs r WHERE r.contact_id = e.contact_id
                                  AND r.status IN ('running', 'waiting'))
                         FROM events e
                         WHERE e.processed_at IS NOT NULL AND e.pruned_at IS NULL
                           AND e.recorded_at < ?1 AND (e.recorded_at, e.id) > (?2, ?3)
                         ORDER BY e.recorded_at, e.id LIMIT ?4",
                    )?
                    .query_map(params![c, after.0, after.1, PRUNE_BATCH as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                for &(id, _, needed) in &rows {
                    if needed {
                        report.events_kept += 1;
                        continue;
                    }
                    tx.prepare_cached(
                        "UPDATE events SET payload = '{}', pruned_at = ?2 WHERE id = ?1",
                    )?
                    .execute(params![id, n])?;
                    report.events += 1;
                }
                Ok::<_, StoreError>((rows.len(), rows.last().map(|r| (r.1, r.0))))
            })?;
            match last {
                Some(l) if batch == PRUNE_BATCH => after = l,
                _ => break,
            }
        }
        Ok(report)
    }
}
