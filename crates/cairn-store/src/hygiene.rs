//! Keeping the database file in order on a laptop that runs for months:
//! retention, a bounded WAL, space handed back, a size report, backup and
//! restore.
//!
//! # Retention
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
//!
//! # Space
//! New databases are created with `auto_vacuum = INCREMENTAL` (see
//! `Store::configure`); a database from before that is converted by one
//! `VACUUM` at its first [`Store::maintain`]. Maintenance then returns the
//! pages retention freed with `PRAGMA incremental_vacuum`.
//!
//! # The WAL
//! SQLite checkpoints the WAL itself every 1,000 pages, but a checkpoint
//! cannot reset the log while a reader holds an old snapshot, so under a
//! steady flow of runs plus screens reading, the log can keep growing.
//! [`Upkeep`] (driven by the executor every minute) runs a `PASSIVE`
//! checkpoint, and a `TRUNCATE` one when the log passed
//! [`UpkeepPolicy::truncate_wal_above`]; `journal_size_limit` (64 MB) caps
//! what a reset log keeps on disk.
//!
//! # Backup and restore
//! [`Store::backup_to`] uses SQLite's online backup API: one consistent
//! snapshot while the executor keeps writing, written beside the target and
//! renamed into place, as a single self-contained file (rollback journal,
//! not WAL). [`restore`] validates a chosen file first ([`inspect_backup`]:
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
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::lock::ExecutorLock;
use crate::pause::RestoreHold;
use crate::{APPLICATION_ID, Result, SCHEMA_VERSION, Store, StoreError, ms, ts_opt};

/// How long finished runs keep their details unless the user says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// Settings key: retention in days (a number; 0 keeps everything).
pub const RETENTION_KEY: &str = "hygiene.retention_days";
/// Settings key: when [`Store::maintain`] last ran (milliseconds).
pub const LAST_MAINTAINED_KEY: &str = "hygiene.last_maintained_at";

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

/// Space used by one table and its indexes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TableUsage {
    pub table: String,
    #[ts(type = "number")]
    pub rows: u64,
    /// The table's own pages.
    #[ts(type = "number")]
    pub bytes: u64,
    /// Its indexes' pages.
    #[ts(type = "number")]
    pub index_bytes: u64,
}

/// The database file and what uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DatabaseStats {
    pub path: String,
    #[ts(type = "number")]
    pub file_bytes: u64,
    #[ts(type = "number")]
    pub wal_bytes: u64,
    #[ts(type = "number")]
    pub page_size: u64,
    #[ts(type = "number")]
    pub page_count: u64,
    /// Pages free inside the file (maintenance gives them back).
    #[ts(type = "number")]
    pub free_pages: u64,
    /// "incremental", "full" or "none".
    pub auto_vacuum: String,
    pub schema_version: u32,
    /// Per table, largest first. Sizes come from SQLite's `dbstat` table;
    /// where a build lacks it, `bytes` and `index_bytes` are 0 and
    /// [`DatabaseStats::per_table_sizes`] is false.
    pub tables: Vec<TableUsage>,
    pub per_table_sizes: bool,
    pub retention_days: u32,
    pub last_maintained_at: Option<Timestamp>,
}

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

fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push("-wal");
    db.with_file_name(name)
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn io(what: &str, p: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(format!("cannot {what} {}: {e}", p.display()))
}

/// Runs one backup step over the whole database: a single consistent
/// snapshot of `from`, one write transaction on `to`.
fn copy_database(from: &Connection, to: &mut Connection) -> Result<()> {
    let b = Backup::new(from, to)?;
    match b.step(-1)? {
        StepResult::Done => Ok(()),
        StepResult::More => Err(StoreError::Io("the copy stopped before its end".into())),
        StepResult::Busy | StepResult::Locked => {
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                Some("the database is busy; try again in a moment".into()),
            )))
        }
        // StepResult is non-exhaustive.
        _ => Err(StoreError::Io("unexpected backup step result".into())),
    }
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

    /// When [`Store::maintain`] last ran.
    pub fn last_maintained_at(&self) -> Result<Option<Timestamp>> {
        Ok(ts_opt(self.setting::<i64>(LAST_MAINTAINED_KEY)?))
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

    /// Hands free pages back to the file system. A database created before
    /// incremental auto-vacuum is converted first (one full `VACUUM`, which
    /// rewrites the file and needs as much free disk as it is large).
    /// Returns (converted, pages freed).
    pub fn reclaim_space(&mut self) -> Result<(bool, u64)> {
        let mode: i64 = self
            .conn
            .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
        if mode != 2 {
            tracing::info!(path = %self.path.display(), "converting the database to incremental auto-vacuum (one full VACUUM)");
            let free: i64 = self
                .conn
                .query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
            self.conn
                .execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
            return Ok((true, free.max(0) as u64));
        }
        let free: i64 = self
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
        if free > 0 {
            // The pragma frees one page per step: step it to the end.
            let mut st = self.conn.prepare("PRAGMA incremental_vacuum")?;
            let mut rows = st.query([])?;
            while rows.next()?.is_some() {}
        }
        let left: i64 = self
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
        Ok((false, (free - left).max(0) as u64))
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

    /// The file's size and what uses it.
    pub fn database_stats(&self) -> Result<DatabaseStats> {
        let c = &self.conn;
        let pragma = |name: &str| -> Result<i64> {
            Ok(c.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?)
        };
        let page_size = pragma("page_size")?.max(0) as u64;
        let tables: Vec<String> = c
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table'
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut usage: Vec<TableUsage> = vec![];
        for t in &tables {
            let rows: i64 =
                c.query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))?;
            usage.push(TableUsage {
                table: t.clone(),
                rows: rows.max(0) as u64,
                bytes: 0,
                index_bytes: 0,
            });
        }
        // dbstat: one row per b-tree (aggregate), named by table or index.
        let sizes = c
            .prepare(
                "SELECT s.name, COALESCE(m.tbl_name, s.name), m.type, SUM(s.pgsize)
                 FROM dbstat AS s LEFT JOIN sqlite_schema AS m ON m.name = s.name
                 WHERE s.aggregate = TRUE GROUP BY s.name",
            )
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            });
        let per_table_sizes = match sizes {
            Ok(rows) => {
                for (table, kind, bytes) in rows {
                    let Some(u) = usage.iter_mut().find(|u| u.table == table) else {
                        continue; // sqlite_schema and other internal b-trees
                    };
                    if kind.as_deref() == Some("index") {
                        u.index_bytes += bytes.max(0) as u64;
                    } else {
                        u.bytes += bytes.max(0) as u64;
                    }
                }
                true
            }
            Err(e) => {
                tracing::debug!("no dbstat in this SQLite: {e}");
                false
            }
        };
        usage.sort_by(|a, b| {
            (b.bytes + b.index_bytes)
                .cmp(&(a.bytes + a.index_bytes))
                .then_with(|| a.table.cmp(&b.table))
        });
        let auto_vacuum = match pragma("auto_vacuum")? {
            1 => "full",
            2 => "incremental",
            _ => "none",
        };
        Ok(DatabaseStats {
            path: self.path.display().to_string(),
            file_bytes: file_len(&self.path),
            wal_bytes: file_len(&wal_path(&self.path)),
            page_size,
            page_count: pragma("page_count")?.max(0) as u64,
            free_pages: pragma("freelist_count")?.max(0) as u64,
            auto_vacuum: auto_vacuum.into(),
            schema_version: self.schema_version()?,
            tables: usage,
            per_table_sizes,
            retention_days: self.retention_days()?,
            last_maintained_at: self.last_maintained_at()?,
        })
    }

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

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn open_read_only(path: &Path) -> Result<Connection> {
    if !path.is_file() {
        return Err(StoreError::Io(format!("{} is not a file", path.display())));
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

/// Where the database as it was before a restore is kept:
/// `cairn.db` → `cairn.db.before-restore-20260105-080000`.
pub fn previous_copy_path(db: &Path, now: Timestamp) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".before-restore-{}", now.format("%Y%m%d-%H%M%S")));
    db.with_file_name(name)
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

    #[test]
    fn the_previous_copy_is_named_after_the_instant() {
        let t = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
        assert_eq!(
            previous_copy_path(Path::new("/d/cairn.db"), t),
            PathBuf::from("/d/cairn.db.before-restore-20260105-080000")
        );
    }
}
