//! One executor per database: an advisory lock file beside it.
//!
//! Two executors over one file would mostly be safe — every state change is
//! a `BEGIN IMMEDIATE` transaction, events are marked processed and timers
//! deleted inside the transaction that handles them, and the outbox marks
//! an entry `sending` before it leaves — but not entirely: at start an
//! executor marks every entry still `sending` as interrupted by a crash and
//! sends it again. With a second executor alive, that entry is not
//! interrupted but in flight, and the recipient would get it twice. A
//! restore, too, must not happen under a running executor. So an executor
//! holds [`ExecutorLock`] for as long as it runs.
//!
//! The lock is `flock(2)` (`LockFileEx` on Windows) through
//! [`std::fs::File::try_lock`], not a row with a heartbeat: the operating
//! system releases it when the process ends, however it ends (`kill -9`, a
//! power cut), so there is no stale lock to time out and no clock involved.
//! The file holds who took it, for the message the next one sees. (Advisory
//! locks are unreliable on some network file systems; so is SQLite there.)

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::{Result, StoreError};

/// Held while an executor runs over a database; released on drop (or when
/// the process ends).
#[derive(Debug)]
pub struct ExecutorLock {
    // Never read: holding the open file is holding the lock.
    _file: File,
    path: PathBuf,
}

/// The lock file of the database at `db`: `cairn.db` → `cairn.db-executor`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push("-executor");
    db.with_file_name(name)
}

impl ExecutorLock {
    /// Takes the lock for `holder` (such as "the Cairn app (pid 42)"), or
    /// says who has it ([`StoreError::ExecutorRunning`]).
    pub fn acquire(db: &Path, holder: &str) -> Result<ExecutorLock> {
        let path = lock_path(db);
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::io(format!("cannot create {}", dir.display()), e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io(format!("cannot open {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = text.trim();
                return Err(StoreError::ExecutorRunning {
                    path: db.display().to_string(),
                    holder: if holder.is_empty() {
                        "another Cairn".to_string()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::io(format!("cannot lock {}", path.display()), e));
            }
        }
        let write = file
            .set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(holder.as_bytes()))
            .and_then(|_| file.flush());
        if let Err(e) = write {
            tracing::warn!(path = %path.display(), "could not record the lock holder: {e}");
        }
        Ok(ExecutorLock { _file: file, path })
    }

    /// Who holds the lock of `db` right now, if anyone.
    pub fn holder(db: &Path) -> Option<String> {
        match ExecutorLock::acquire(db, "a check") {
            Ok(_free) => None,
            Err(StoreError::ExecutorRunning { holder, .. }) => Some(holder),
            Err(_) => None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// "cairn run (pid 4242)": how a process names itself in the lock file.
pub fn holder_name(what: &str) -> String {
    format!("{what} (pid {})", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_has_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cairn.db");
        let first = ExecutorLock::acquire(&db, "cairn run (pid 1)").unwrap();
        assert_eq!(first.path(), dir.path().join("cairn.db-executor"));
        let e = ExecutorLock::acquire(&db, "the Cairn app (pid 2)").unwrap_err();
        assert_eq!(e.code(), "executor_running");
        assert!(e.to_string().contains("cairn run (pid 1)"), "{e}");
        assert_eq!(
            ExecutorLock::holder(&db).as_deref(),
            Some("cairn run (pid 1)")
        );
        drop(first);
        assert_eq!(ExecutorLock::holder(&db), None);
        let second = ExecutorLock::acquire(&db, "the Cairn app (pid 2)").unwrap();
        drop(second);
    }

    #[test]
    fn another_database_has_its_own_lock() {
        let dir = tempfile::tempdir().unwrap();
        let _a = ExecutorLock::acquire(&dir.path().join("a.db"), "a").unwrap();
        let _b = ExecutorLock::acquire(&dir.path().join("b.db"), "b").unwrap();
    }
}
