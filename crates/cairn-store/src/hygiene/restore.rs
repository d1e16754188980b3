//! Restoring a backup: upgraded and on hold before it replaces the live file.
//!
//! [`restore`] validates a chosen file first ([`inspect_backup`]:
//! a Cairn database, of a schema this build opens, undamaged), keeps a copy
//! of the current database, and copies the backup *into* the live file with
//! the same backup API. That is the safe way to swap: it writes through
//! SQLite's own locking and WAL, so a connection opened elsewhere sees either
//! the old or the new database, never a file renamed under it; and a crash
//! midway leaves the old database (the copy is one transaction).
//!
//! What replaces the live file is not the backup as it is but a staged copy
//! already upgraded and put on hold (every workflow paused, the outbox held,
//! a new key series: `pause.rs`, `identity.rs`), so whichever executor
//! starts next sees the hold from its first read: a backup's queued sends
//! and overdue waits never go out by surprise.

use std::path::{Path, PathBuf};

use cairn_model::Timestamp;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::backup::{BackupInfo, copy_database, inspect_backup, open_read_only, same_file};
use super::io;
use crate::lock::ExecutorLock;
use crate::pause::RestoreHold;
use crate::{Result, Store, StoreError};

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RestoreReport {
    pub restored: BackupInfo,
    /// The database as it was before, kept beside it (none when there was
    /// no database).
    pub previous_copy: Option<String>,
    /// The schema the restored database has now (upgraded if it was older).
    pub schema_version: u32,
    /// What the restore put on hold until "Resume all": every workflow is
    /// paused and nothing leaves the outbox (pause.rs).
    pub held: RestoreHold,
}

/// Where the database as it was before a restore is kept:
/// `cairn.db` → `cairn.db.before-restore-20260105-080000`; when a copy of
/// that name is there already (a second restore in the same second), the
/// first free of `…-080000-2`, `…-080000-3`, … — an earlier copy is never
/// overwritten, and the second restore is not refused for it.
pub fn previous_copy_path(db: &Path, now: Timestamp) -> PathBuf {
    let mut base = db.file_name().unwrap_or_default().to_os_string();
    base.push(format!(".before-restore-{}", now.format("%Y%m%d-%H%M%S")));
    let taken = |p: &Path| {
        let mut wal = p.as_os_str().to_os_string();
        wal.push("-wal");
        p.exists() || Path::new(&wal).exists()
    };
    let first = db.with_file_name(&base);
    if !taken(&first) {
        return first;
    }
    (2u32..)
        .map(|n| {
            let mut name = base.clone();
            name.push(format!("-{n}"));
            db.with_file_name(name)
        })
        .find(|p| !taken(p))
        .unwrap_or(first)
}

/// Replaces the database at `db` with the backup at `from`. The caller
/// holds the executor lock (no executor may run meanwhile; the app stops
/// its own first). The current database is copied to
/// [`previous_copy_path`] before anything is replaced.
///
/// The backup is first copied to a staging file beside `db`, upgraded to
/// this build's schema and put on hold there (every workflow paused, the
/// outbox held: [`crate::pause::hold_after_restore_using`]; a new key
/// series: [`crate::identity::start_series_using`]); only then does it
/// replace the live file, in one transaction. So no executor, whenever it
/// starts, can see the restored database without its hold.
pub fn restore(
    _held: &ExecutorLock,
    db: &Path,
    from: &Path,
    now: Timestamp,
) -> Result<RestoreReport> {
    if same_file(from, db) {
        return Err(StoreError::Conflict(
            "that file is the database itself; choose a backup".into(),
        ));
    }
    let info = inspect_backup(from)?;
    let previous = previous_copy_path(db, now);
    let mut replaced_identity = None;
    let kept = if !db.exists() {
        None
    } else {
        match Store::open(db) {
            Ok(current) => {
                replaced_identity = Some(current.identity()?);
                current.backup_to(&previous, false)?;
                Some(previous)
            }
            Err(e) => {
                // The database cannot be opened (damaged, or from a newer
                // Cairn): keep its files as they are and start afresh.
                tracing::warn!(
                    code = e.code(),
                    "the current database cannot be opened ({e}); keeping its files as they are"
                );
                for suffix in ["", "-wal"] {
                    let mut from_name = db.as_os_str().to_os_string();
                    from_name.push(suffix);
                    let mut to_name = previous.as_os_str().to_os_string();
                    to_name.push(suffix);
                    if Path::new(&from_name).exists() {
                        std::fs::copy(&from_name, &to_name)
                            .map_err(|e| io("copy", Path::new(&from_name), e))?;
                    }
                }
                for suffix in ["", "-wal", "-shm"] {
                    let mut name = db.as_os_str().to_os_string();
                    name.push(suffix);
                    let _ = std::fs::remove_file(&name);
                }
                Some(previous)
            }
        }
    };
    let mut staged_name = db.file_name().unwrap_or_default().to_os_string();
    staged_name.push(format!(".restoring-{}", std::process::id()));
    let staged = db.with_file_name(staged_name);
    let remove_staged = || {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = staged.as_os_str().to_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(&name);
        }
    };
    remove_staged();
    let swapped = (|| {
        {
            let src = open_read_only(from)?;
            let mut to = Connection::open(&staged).map_err(|e| io("open", &staged, e))?;
            to.busy_timeout(std::time::Duration::from_secs(10))?;
            copy_database(&src, &mut to)?;
        }
        // Migrated when the backup was older, then held.
        let mut store = Store::open(&staged)?;
        let held = store.write(|tx| {
            crate::identity::start_series_using(tx, replaced_identity.as_ref())?;
            crate::pause::hold_after_restore_using(tx, now)
        })?;
        let mut dst = Connection::open(db).map_err(|e| io("open", db, e))?;
        dst.busy_timeout(std::time::Duration::from_secs(10))?;
        copy_database(store.conn(), &mut dst)?;
        Ok::<_, StoreError>(held)
    })();
    remove_staged();
    let held = swapped?;
    // Back in WAL mode.
    let store = Store::open(db)?;
    // Empty the log now, so the restored file alone is the database.
    store.checkpoint(true)?;
    tracing::info!(from = %from.display(), db = %db.display(), "database restored from a backup");
    Ok(RestoreReport {
        restored: info,
        previous_copy: kept.map(|p| p.display().to_string()),
        schema_version: store.schema_version()?,
        held,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_previous_copy_is_named_after_the_instant() {
        let t = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
        assert_eq!(
            previous_copy_path(Path::new("/d/cairn.db"), t),
            PathBuf::from("/d/cairn.db.before-restore-20260105-080000")
        );
    }

    #[test]
    fn a_second_restore_in_the_same_second_keeps_its_own_copy() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cairn.db");
        let t = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
        let first = previous_copy_path(&db, t);
        std::fs::write(&first, b"first").unwrap();
        let second = previous_copy_path(&db, t);
        assert_eq!(
            second,
            dir.path().join("cairn.db.before-restore-20260105-080000-2")
        );
        // A copy left as its WAL alone (a damaged database's files) counts too.
        std::fs::write(
            dir.path()
                .join("cairn.db.before-restore-20260105-080000-2-wal"),
            b"",
        )
        .unwrap();
        assert_eq!(
            previous_copy_path(&db, t),
            dir.path().join("cairn.db.before-restore-20260105-080000-3")
        );
        assert_eq!(std::fs::read(&first).unwrap(), b"first");
    }
}
