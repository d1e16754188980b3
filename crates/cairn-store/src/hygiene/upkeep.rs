//! Upkeep: what the executor runs on its own, by its clock. Every minute
//! or so a WAL checkpoint (`wal.rs`); once a day (by default) the
//! full maintenance, [`Store::maintain`]: retention, space, a truncating
//! checkpoint.

use cairn_model::Timestamp;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::wal::CheckpointReport;
use super::{PruneReport, file_len, wal_path};
use crate::{Result, Store, ms, ts_opt};

/// Settings key: when [`Store::maintain`] last ran (milliseconds).
pub const LAST_MAINTAINED_KEY: &str = "hygiene.last_maintained_at";

/// What [`Store::maintain`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct MaintenanceReport {
    pub prune: PruneReport,
    /// The file was converted to incremental auto-vacuum by a full VACUUM.
    pub converted: bool,
    /// Free pages handed back to the file system.
    #[ts(type = "number")]
    pub pages_freed: u64,
    pub checkpoint: CheckpointReport,
    #[ts(type = "number")]
    pub bytes_before: u64,
    #[ts(type = "number")]
    pub bytes_after: u64,
}

impl Store {
    /// When [`Store::maintain`] last ran.
    pub fn last_maintained_at(&self) -> Result<Option<Timestamp>> {
        Ok(ts_opt(self.setting::<i64>(LAST_MAINTAINED_KEY)?))
    }

    /// Everything, in order: retention, space, a truncating checkpoint.
    /// Safe while the app or `cairn run` works on the same file.
    pub fn maintain(&mut self, now: Timestamp) -> Result<MaintenanceReport> {
        let bytes_before = file_len(&self.path) + file_len(&wal_path(&self.path));
        let days = self.retention_days()?;
        let prune = self.prune(now, days)?;
        let (converted, pages_freed) = self.reclaim_space()?;
        self.set_setting(LAST_MAINTAINED_KEY, &ms(now))?;
        let checkpoint = self.checkpoint(true)?;
        Ok(MaintenanceReport {
            prune,
            converted,
            pages_freed,
            checkpoint,
            bytes_before,
            bytes_after: file_len(&self.path) + file_len(&wal_path(&self.path)),
        })
    }
}

/// When the next full maintenance is due, given when the last ran.
fn maintenance_due(last: Option<Timestamp>, now: Timestamp, every: chrono::Duration) -> bool {
    last.is_none_or(|l| now - l >= every || l > now)
}

/// How often the executor keeps the house.
#[derive(Debug, Clone)]
pub struct UpkeepPolicy {
    /// Full maintenance (retention, space, truncating checkpoint) at most
    /// this often, by the clock the executor runs on.
    pub maintain_every: chrono::Duration,
    /// A `TRUNCATE` checkpoint instead of a `PASSIVE` one when the log is
    /// larger than this.
    pub truncate_wal_above: u64,
}

impl Default for UpkeepPolicy {
    fn default() -> Self {
        UpkeepPolicy {
            maintain_every: chrono::Duration::hours(24),
            truncate_wal_above: 16 * 1024 * 1024,
        }
    }
}

/// What one [`Upkeep::run`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpkeepReport {
    pub checkpoint: Option<CheckpointReport>,
    pub maintenance: Option<MaintenanceReport>,
}

/// The periodic part of hygiene: the executor calls [`Upkeep::run`] every
/// minute or so with its own connection; the soak benchmark calls it the
/// same way on a virtual clock.
#[derive(Debug, Clone, Default)]
pub struct Upkeep {
    pub policy: UpkeepPolicy,
}

impl Upkeep {
    pub fn new(policy: UpkeepPolicy) -> Self {
        Upkeep { policy }
    }

    /// A checkpoint every time; full maintenance when it is due (the last
    /// one, recorded in the database, is older than `maintain_every`).
    pub fn run(&self, store: &mut Store, now: Timestamp) -> Result<UpkeepReport> {
        let mut report = UpkeepReport::default();
        if maintenance_due(store.last_maintained_at()?, now, self.policy.maintain_every) {
            let m = store.maintain(now)?;
            tracing::info!(
                runs = m.prune.runs,
                events = m.prune.events,
                pages_freed = m.pages_freed,
                converted = m.converted,
                bytes_before = m.bytes_before,
                bytes_after = m.bytes_after,
                "database maintenance"
            );
            report.maintenance = Some(m);
            return Ok(report);
        }
        let wal = file_len(&wal_path(store.path()));
        let c = store.checkpoint(wal > self.policy.truncate_wal_above)?;
        if c.truncate {
            tracing::debug!(
                wal_before = c.wal_bytes_before,
                wal_after = c.wal_bytes_after,
                busy = c.busy,
                "WAL truncated"
            );
        }
        report.checkpoint = Some(c);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn maintenance_is_due_daily_and_after_the_clock_went_back() {
        let t = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
        let day = chrono::Duration::hours(24);
        assert!(maintenance_due(None, t, day));
        assert!(!maintenance_due(
            Some(t),
            t + chrono::Duration::hours(23),
            day
        ));
        assert!(maintenance_due(Some(t), t + day, day));
        assert!(maintenance_due(
            Some(t),
            t - chrono::Duration::hours(1),
            day
        ));
    }
}
