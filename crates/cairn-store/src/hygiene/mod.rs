//! Keeping the database file in order on a laptop that runs for months,
//! one concern a module:
//!
//! - `retention.rs`: blanking the bulky details of what is old and finished,
//!   never a row an analytics count reads;
//! - `wal.rs`: checkpoints that keep the write-ahead log bounded;
//! - `vacuum.rs`: handing freed pages back to the file system;
//! - `stats.rs`: what uses the file, for the size report;
//! - `backup.rs`: a consistent copy while the executor writes, and checking
//!   a chosen file before it is trusted;
//! - `restore.rs`: swapping a backup in, upgraded and on hold;
//! - `upkeep.rs`: the daily maintenance and the per-minute checkpoint the
//!   executor drives.
//!
//! Everything public is re-exported here, so callers name
//! `cairn_store::hygiene::…`.

use std::path::{Path, PathBuf};

use crate::StoreError;

mod backup;
mod restore;
mod retention;
mod stats;
mod upkeep;
mod vacuum;
mod wal;

pub use backup::{BackupInfo, inspect_backup};
pub use restore::{RestoreReport, previous_copy_path, restore};
pub use retention::{DEFAULT_RETENTION_DAYS, PruneReport, RETENTION_KEY};
pub use stats::{DatabaseStats, TableUsage};
pub use upkeep::{LAST_MAINTAINED_KEY, MaintenanceReport, Upkeep, UpkeepPolicy, UpkeepReport};
pub use wal::CheckpointReport;

fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push("-wal");
    db.with_file_name(name)
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn io(what: &str, p: &Path, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::io(format!("cannot {what} {}", p.display()), e)
}
