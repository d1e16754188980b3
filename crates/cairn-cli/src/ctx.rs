//! What every command gets: the database, a clock and the output mode.
//!
//! The store is opened on first use, so a command that needs no database
//! (there will be some, such as `simulate` of a file) never touches one.
//! Every command except `init` refuses to create a database that does not
//! exist yet: a mistyped `--db` path must not silently start an empty one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_model::{Clock, SystemClock, Timestamp, VirtualClock};
use cairn_store::Store;

use crate::error::CliError;
use crate::output::{self, Render};

/// The environment variable that pins "now" to an RFC 3339 instant. Meant for
/// tests and reproducible scripts only; the app never reads it.
pub const NOW_ENV: &str = "CAIRN_NOW";

/// The context a command runs in.
pub struct Ctx {
    db_path: PathBuf,
    store: Option<Store>,
    clock: Arc<dyn Clock>,
    json: bool,
}

impl Ctx {
    /// Resolves the database path (`--db`, `CAIRN_DB`, or the platform data
    /// directory) and the clock (`CAIRN_NOW` or the system clock).
    pub fn from_env(db: Option<PathBuf>, json: bool) -> Result<Ctx, CliError> {
        let db_path = match db {
            Some(p) => p,
            None => cairn_store::default_path()?,
        };
        let clock: Arc<dyn Clock> = match std::env::var(NOW_ENV) {
            Ok(s) if !s.trim().is_empty() => {
                let t = chrono::DateTime::parse_from_rfc3339(s.trim()).map_err(|e| {
                    CliError::Usage(format!(
                        "{NOW_ENV}={s:?} is not an RFC 3339 time such as 2026-01-05T09:00:00Z: {e}"
                    ))
                })?;
                Arc::new(VirtualClock::new(t.with_timezone(&chrono::Utc)))
            }
            _ => Arc::new(SystemClock),
        };
        Ok(Ctx {
            db_path,
            store: None,
            clock,
            json,
        })
    }

    /// The database path this invocation uses.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// The open store. Fails when the database file does not exist.
    pub fn store(&mut self) -> Result<&mut Store, CliError> {
        if self.store.is_none() {
            if !self.db_path.exists() {
                return Err(CliError::NoDatabase(self.db_path.display().to_string()));
            }
            self.store = Some(Store::open(&self.db_path)?);
        }
        Ok(self.store.as_mut().expect("opened above"))
    }

    /// Opens the store, creating the file when missing (for `init`). Returns
    /// whether the file was created.
    pub fn create_store(&mut self) -> Result<(&mut Store, bool), CliError> {
        let existed = self.db_path.exists();
        if self.store.is_none() {
            self.store = Some(Store::open(&self.db_path)?);
        }
        Ok((self.store.as_mut().expect("opened above"), !existed))
    }

    /// The clock commands must use (never `Utc::now()`).
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Whether `--json` was given.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Prints a command's result on stdout, as JSON or for people.
    pub fn print<R: Render>(&self, report: &R) -> Result<(), CliError> {
        output::print(report, self.json)
    }
}
