//! Checkpoints: keeping the write-ahead log bounded.
//!
//! SQLite checkpoints the WAL itself every 1,000 pages, but a checkpoint
//! cannot reset the log while a reader holds an old snapshot, so under a
//! steady flow of runs plus screens reading, the log can keep growing.
//! [`Upkeep`](super::Upkeep) (driven by the executor every minute) runs a `PASSIVE`
//! checkpoint, and a `TRUNCATE` one when the log passed
//! [`UpkeepPolicy::truncate_wal_above`](super::UpkeepPolicy::truncate_wal_above); `journal_size_limit` (64 MB) caps
//! what a reset log keeps on disk.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{file_len, wal_path};
use crate::{Result, Store};

/// What a WAL checkpoint did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CheckpointReport {
    /// Whether it ran in `TRUNCATE` mode (else `PASSIVE`).
    pub truncate: bool,
    /// A reader or writer prevented a complete checkpoint.
    pub busy: bool,
    /// Frames in the log, and how many of them are now in the database.
    #[ts(type = "number")]
    pub log_frames: i64,
    #[ts(type = "number")]
    pub checkpointed_frames: i64,
    /// Size of the `-wal` file before and after.
    #[ts(type = "number")]
    pub wal_bytes_before: u64,
    #[ts(type = "number")]
    pub wal_bytes_after: u64,
}

impl Store {
    /// A WAL checkpoint: `TRUNCATE` waits for readers and empties the log;
    /// `PASSIVE` copies what it can without waiting for anyone.
    pub fn checkpoint(&self, truncate: bool) -> Result<CheckpointReport> {
        let wal = wal_path(&self.path);
        let before = file_len(&wal);
        let sql = if truncate {
            "PRAGMA wal_checkpoint(TRUNCATE)"
        } else {
            "PRAGMA wal_checkpoint(PASSIVE)"
        };
        let (busy, log, done): (i64, i64, i64) = self
            .conn
            .query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(CheckpointReport {
            truncate,
            busy: busy != 0,
            log_frames: log,
            checkpointed_frames: done,
            wal_bytes_before: before,
            wal_bytes_after: file_len(&wal),
        })
    }
}
