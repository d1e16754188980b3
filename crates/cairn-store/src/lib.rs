//! Cairn's store: everything Cairn knows lives in one SQLite file.
//!
//! A [`Store`] owns one connection. It is deliberately not shared behind a
//! mutex: SQLite in WAL mode lets many connections read while one writes, so
//! each user of the database (the executor, each sender, the app's command
//! handlers, the CLI) opens its own `Store` on the same path, and writers
//! queue on SQLite's own lock (`busy_timeout`) instead of on ours.
//!
//! Every write that changes state goes through [`Store::write`], a
//! `BEGIN IMMEDIATE` transaction: the state change and the events it records
//! commit together or not at all. Functions that write inside a caller's
//! transaction are named `*_using(tx)` and take `now` from the caller, who
//! got it from a `Clock`.

pub mod accounts;
pub mod analytics;
pub mod board;
pub mod bulk;
pub mod catalog;
pub mod consent;
pub mod contacts;
pub mod course_platforms;
pub mod csv_import;
pub mod deals;
pub mod drift;
pub mod error;
pub mod events;
pub mod experience;
pub mod failures;
pub mod forecast;
pub mod hygiene;
pub mod identity;
pub mod incidents;
pub mod lock;
pub mod outbox;
pub mod pause;
pub mod pipelines;
pub mod privacy;
pub mod private_file;
pub mod runs;
pub mod settings;
pub mod splits;
pub mod step_detail;
pub mod trigger_schedule;
pub mod unsubscribe;
pub mod watch;
pub mod workflows;

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use cairn_model::Timestamp;
use chrono::TimeZone;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Migrations, in order. `PRAGMA user_version` holds how many were applied.
/// A migration is never edited once released: a change to the schema is a
/// new file at the end of this list.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_contact_sort.sql"),
    include_str!("../migrations/0003_analytics.sql"),
    include_str!("../migrations/0004_hygiene.sql"),
    include_str!("../migrations/0005_lean_indexes.sql"),
    include_str!("../migrations/0006_database_identity.sql"),
    include_str!("../migrations/0007_sending.sql"),
    include_str!("../migrations/0008_privacy.sql"),
    include_str!("../migrations/0010_unsubscribe_key.sql"),
    include_str!("../migrations/0011_outbox_lanes.sql"),
    include_str!("../migrations/0012_course_platforms.sql"),
    include_str!("../migrations/0013_deal_board.sql"),
    include_str!("../migrations/0014_run_retries.sql"),
    include_str!("../migrations/0015_split_exits.sql"),
    include_str!("../migrations/0016_watch_and_drift.sql"),
    include_str!("../migrations/0017_month_day_index.sql"),
];

/// `PRAGMA application_id` of every Cairn database ("Crn1" in ASCII), so a
/// Cairn file can be told from any other SQLite file.
pub const APPLICATION_ID: i32 = 0x4372_6e31;

/// The environment variable that overrides the default database path.
pub const DB_ENV: &str = "CAIRN_DB";

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// An open Cairn database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The default database location: the platform data directory
/// (`~/.local/share/cairn/cairn.db` on Linux).
pub fn default_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "cairn").ok_or_else(|| {
        StoreError::io_text("cannot find a home directory for the default database; pass --db PATH")
    })?;
    Ok(dirs.data_dir().join("cairn.db"))
}

/// The database to use when none is given: `CAIRN_DB` when set, else
/// [`default_path`].
pub fn configured_path() -> Result<PathBuf> {
    match std::env::var_os(DB_ENV) {
        Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
        _ => default_path(),
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date. A database written by a newer Cairn is refused.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            private_file::create_dir_private(dir)
                .map_err(|e| StoreError::io(format!("cannot create {}", dir.display()), e))?;
        }
        restrict_database_files(&path);
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| StoreError::io(format!("cannot open {}", path.display()), e))?;
        let mut store = Store { conn, path };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    fn configure(&self) -> Result<()> {
        self.conn.busy_timeout(StdDuration::from_secs(10))?;
        // rusqlite keeps 16 prepared statements by default; one contact
        // write alone uses more, and a cache that thrashes re-prepares every
        // statement of a 100,000-row import (measured: several times slower).
        self.conn.set_prepared_statement_cache_capacity(256);
        // The first read of the header tells a non-database file apart.
        if let Err(e) = self
            .conn
            .query_row("PRAGMA schema_version", [], |r| r.get::<_, i64>(0))
        {
            return Err(match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotCairn {
                    path: self.path.display().to_string(),
                    reason: "it is not an SQLite database".into(),
                },
                _ => e.into(),
            });
        }
        // Incremental auto-vacuum lets maintenance hand freed pages back to
        // the file system (hygiene/vacuum.rs). It takes effect only on a file with
        // no tables yet, and only before the switch to WAL writes the header;
        // on an older file it is a no-op until maintenance runs a VACUUM.
        // Setting it takes the write lock even when it changes nothing, so
        // it is set only on a file with no pages yet: every connection the
        // app opens for a read would otherwise wait behind any writer.
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        if pages == 0 {
            self.conn
                .execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")?;
        }
        // secure_delete FAST zeroes what a write frees inside the pages it
        // writes anyway (no extra I/O), so deleted and overwritten values do
        // not linger in the file; erasure turns it fully ON (privacy.rs).
        // Cost measured in docs/BENCHMARKS.md ("Erasure").
        // WAL: readers never block the writer. NORMAL sync is durable across
        // a process crash (kill -9); only an OS crash can lose the last
        // transactions, never corrupt the file. A 32 MB page cache keeps a
        // 100,000-contact import from spilling dirty pages mid-transaction.
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") && !self.path.as_os_str().is_empty() {
            tracing::warn!(mode, "database is not in WAL mode");
        }
        self.conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = NORMAL;
             PRAGMA journal_size_limit = 67108864;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -32768;
             PRAGMA secure_delete = FAST;",
        )?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let found: u32 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerDatabase {
                path: self.path.display().to_string(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Exclusive)?;
        // Re-read inside the lock: another process may have migrated meanwhile.
        let found: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found >= SCHEMA_VERSION {
            return Ok(());
        }
        let app_id: i32 = tx.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        if found == 0 {
            // A fresh file has no tables; one with tables but no version is
            // some other program's database, which we must not write into.
            let tables: i64 = tx.query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )?;
            if tables > 0 {
                return Err(StoreError::NotCairn {
                    path: self.path.display().to_string(),
                    reason: format!("it already holds {tables} tables of another program"),
                });
            }
        } else if app_id != 0 && app_id != APPLICATION_ID {
            return Err(StoreError::NotCairn {
                path: self.path.display().to_string(),
                reason: format!("its application id is {app_id:#x}"),
            });
        }
        tracing::info!(from = found, to = SCHEMA_VERSION, path = %self.path.display(), "upgrading database schema");
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql)
                .map_err(|source| StoreError::Migration {
                    version: i as u32 + 1,
                    source,
                })?;
            tracing::info!(version = i + 1, "applied database migration");
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.commit()?;
        Ok(())
    }

    /// The schema version of the open file (always [`SCHEMA_VERSION`] once
    /// opened).
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens a second connection to the same database.
    pub fn reopen(&self) -> Result<Store> {
        Store::open(&self.path)
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// SQLite's `PRAGMA data_version`: changes when another connection
    /// commits, so a cheap look says whether there may be new work.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committing when it
    /// returns `Ok`. Everything `f` writes commits together or not at all.
    pub fn write<T, E>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

/// Makes the database file the user's only before SQLite opens it: a new
/// one is created empty with mode 0600 (SQLite gives its `-wal` and `-shm`
/// the same mode), an existing one and its companions are narrowed to 0600.
/// Failing to narrow another user's file is not an error here: opening it
/// will say what is wrong.
fn restrict_database_files(path: &Path) {
    let text = path.to_string_lossy();
    if text.is_empty() || text == ":memory:" || text.starts_with("file:") {
        return;
    }
    if !path.exists()
        && let Err(e) = private_file::create_new(path)
        && e.kind() != std::io::ErrorKind::AlreadyExists
    {
        tracing::warn!(path = %path.display(), error = %e, "cannot create the database file");
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Err(e) = private_file::restrict(Path::new(&p)) {
            tracing::warn!(path = %Path::new(&p).display(), error = %e, "cannot make a database file private");
        }
    }
}

/// A row count written into a statement's text as its LIMIT, in the
/// statements run many times a second with the same count (a batch size).
///
/// SQLite (3.50, bundled) treats a bound `LIMIT ?` as a value the query
/// plan may depend on: binding it again, even to the same number, expires
/// the statement, so every run of a cached statement is prepared anew.
/// Measured in the sending benchmark (docs/BENCHMARKS.md): re-preparing
/// the dispatcher's lane query was most of a turn's cost. A literal keeps
/// one prepared statement per count. Capped at `i32::MAX`, the largest
/// LIMIT SQLite takes as a plain integer.
pub fn limit_literal(n: usize) -> usize {
    n.min(i32::MAX as usize)
}

/// Milliseconds since the epoch, as stored.
pub fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

/// The instant a stored millisecond count stands for.
pub fn ts(ms: i64) -> Timestamp {
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(|| chrono::Utc.timestamp_millis_opt(0).single().expect("epoch"))
}

/// Same as [`ts`] for a nullable column.
pub fn ts_opt(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_in_wal_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path().join("a/b/cairn.db")).unwrap();
        let mode: String = s
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = s
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let v: u32 = s
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn refuses_a_newer_database() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cairn.db");
        {
            let s = Store::open(&p).unwrap();
            s.conn()
                .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let e = Store::open(&p).unwrap_err();
        assert_eq!(e.code(), "newer_database");
        assert!(e.to_string().contains("newer version of Cairn"), "{e}");
    }
}
