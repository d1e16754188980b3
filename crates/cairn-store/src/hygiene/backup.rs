//! Backups: a consistent copy, and checking a file before it is trusted.
//!
//! [`Store::backup_to`] uses SQLite's online backup API: one consistent
//! snapshot while the executor keeps writing, written beside the target and
//! renamed into place, as a single self-contained file (rollback journal,
//! not WAL). [`inspect_backup`] checks a chosen file before a restore
//! trusts it: a Cairn database, of a schema this build opens, undamaged.

use std::path::{Path, PathBuf};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{file_len, io};
use crate::{APPLICATION_ID, Result, SCHEMA_VERSION, Store, StoreError};

/// A backup file, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BackupInfo {
    pub path: String,
    #[ts(type = "number")]
    pub bytes: u64,
    pub schema_version: u32,
    #[ts(type = "number")]
    pub contacts: u64,
    #[ts(type = "number")]
    pub workflows: u64,
    #[ts(type = "number")]
    pub runs: u64,
}

/// Runs one backup step over the whole database: a single consistent
/// snapshot of `from`, one write transaction on `to`.
pub(super) fn copy_database(from: &Connection, to: &mut Connection) -> Result<()> {
    let b = Backup::new(from, to)?;
    match b.step(-1)? {
        StepResult::Done => Ok(()),
        StepResult::More => Err(StoreError::io_text("the copy stopped before its end")),
        StepResult::Busy | StepResult::Locked => {
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                Some("the database is busy; try again in a moment".into()),
            )))
        }
        // StepResult is non-exhaustive.
        _ => Err(StoreError::io_text("unexpected backup step result")),
    }
}

impl Store {
    /// Writes a consistent copy of the database to `dest` (a new file; an
    /// existing one is refused unless `overwrite`). Safe while the executor
    /// writes: the copy is one snapshot.
    pub fn backup_to(&self, dest: &Path, overwrite: bool) -> Result<BackupInfo> {
        if dest.exists() && !overwrite {
            return Err(StoreError::Conflict(format!(
                "{} exists already; choose another name",
                dest.display()
            )));
        }
        if same_file(dest, &self.path) || is_live_companion(dest, &self.path) {
            return Err(StoreError::Conflict(
                "a backup cannot overwrite the database it copies (nor its -wal or -shm file)"
                    .into(),
            ));
        }
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        crate::private_file::create_dir_private(&dir).map_err(|e| io("create", &dir, e))?;
        let mut name = std::ffi::OsString::from(".");
        name.push(dest.file_name().unwrap_or_default());
        name.push(format!(".partial-{}", std::process::id()));
        let tmp = dir.join(name);
        // A backup holds every contact: created empty with mode 0600 (and
        // O_EXCL: a file or link left at this name is removed, not followed)
        // before SQLite writes into it.
        let _ = std::fs::remove_file(&tmp);
        crate::private_file::create_new(&tmp).map_err(|e| io("create", &tmp, e))?;
        let written = (|| {
            let mut to = Connection::open(&tmp).map_err(|e| io("open", &tmp, e))?;
            to.busy_timeout(std::time::Duration::from_secs(10))?;
            copy_database(&self.conn, &mut to)?;
            // One self-contained file: no -wal beside it to lose in a copy.
            let _: String = to.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
            drop(to);
            std::fs::rename(&tmp, dest).map_err(|e| io("write", dest, e))
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        inspect_backup(dest)
    }
}

impl Store {
    /// A scratch copy of the database at `dest` (a new file, private),
    /// opened: one consistent snapshot, taken like [`Store::backup_to`]
    /// while the executor may write, for work whose writes must never
    /// reach this database (a forecast runs the engine on it). The copy
    /// skips `fsync` (`synchronous = OFF`): it is thrown away, and a crash
    /// only loses a copy nobody will read.
    pub fn scratch_copy(&self, dest: &Path) -> Result<Store> {
        if dest.exists() || same_file(dest, &self.path) {
            return Err(StoreError::Conflict(format!(
                "{} exists already; a scratch copy needs a new file",
                dest.display()
            )));
        }
        crate::private_file::create_new(dest).map_err(|e| io("create", dest, e))?;
        {
            let mut to = Connection::open(dest).map_err(|e| io("open", dest, e))?;
            to.busy_timeout(std::time::Duration::from_secs(10))?;
            copy_database(&self.conn, &mut to)?;
        }
        let copy = Store::open(dest)?;
        copy.conn.execute_batch("PRAGMA synchronous = OFF;")?;
        Ok(copy)
    }
}

/// Whether `dest` names the `-wal`, `-shm` or `-journal` file of the
/// database at `db` (existing or not: overwriting either corrupts it).
fn is_live_companion(dest: &Path, db: &Path) -> bool {
    let parent = |p: &Path| {
        let d = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::canonicalize(d).ok()
    };
    let (Some(dd), Some(db_dir)) = (parent(dest), parent(db)) else {
        return false;
    };
    if dd != db_dir {
        return false;
    }
    let (Some(name), Some(db_name)) = (dest.file_name(), db.file_name()) else {
        return false;
    };
    ["-wal", "-shm", "-journal"].iter().any(|suffix| {
        let mut live = db_name.to_owned();
        live.push(suffix);
        live == name
    })
}

pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

pub(super) fn open_read_only(path: &Path) -> Result<Connection> {
    if !path.is_file() {
        return Err(StoreError::io_text(format!(
            "{} is not a file",
            path.display()
        )));
    }
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| io("open", path, e))?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(c)
}

/// Checks that `path` is a Cairn database this build can open (not another
/// program's file, not from a newer Cairn, not damaged) and says what is in
/// it. Reads only.
pub fn inspect_backup(path: &Path) -> Result<BackupInfo> {
    let not_cairn = |reason: String| StoreError::NotCairn {
        path: path.display().to_string(),
        reason,
    };
    let c = open_read_only(path)?;
    let header = c.query_row("PRAGMA application_id", [], |r| r.get::<_, i32>(0));
    let app_id = match header {
        Ok(id) => id,
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => {
            return Err(not_cairn("it is not an SQLite database".into()));
        }
        Err(e) => return Err(e.into()),
    };
    if app_id != APPLICATION_ID {
        return Err(not_cairn(if app_id == 0 {
            "it is an SQLite database of another program".into()
        } else {
            format!("its application id is {app_id:#x}")
        }));
    }
    let version: u32 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerDatabase {
            path: path.display().to_string(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version == 0 {
        return Err(not_cairn("it has no Cairn schema".into()));
    }
    let check: String = c.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(not_cairn(format!("it is damaged ({check})")));
    }
    let count = |t: &str| -> Result<u64> {
        Ok(c.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| {
            r.get::<_, i64>(0)
        })?
        .max(0) as u64)
    };
    Ok(BackupInfo {
        path: path.display().to_string(),
        bytes: file_len(path),
        schema_version: version,
        contacts: count("contacts")?,
        workflows: count("workflows")?,
        runs: count("runs")?,
    })
}
