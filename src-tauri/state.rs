//! What every command can reach: where the database is.
//!
//! There is no shared connection and no mutex around one. SQLite in WAL mode
//! lets many connections read while one writes, so each command opens its
//! own short-lived [`cairn_store::Store`] (cheap: a file open and a few
//! pragmas) on a blocking thread, and concurrent writers queue on SQLite's
//! own lock rather than on ours. The executor, when it runs, holds its own
//! connections the same way.

use cairn_model::ErrorCode;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_store::Store;

use crate::CommandError;

/// The state Tauri hands to commands.
#[derive(Debug, Clone)]
pub struct AppState {
    database: Database,
}

impl AppState {
    pub fn new(db_path: PathBuf) -> Self {
        AppState {
            database: Database {
                path: Arc::new(db_path),
            },
        }
    }

    /// A handle to the database, cheap to clone into a blocking task.
    pub fn database(&self) -> Database {
        self.database.clone()
    }
}

/// Where the database lives, and the way to open it.
#[derive(Debug, Clone)]
pub struct Database {
    path: Arc<PathBuf>,
}

impl Database {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens a connection (creating and migrating the file if needed).
    /// Blocking: call it from a blocking task, never on the UI thread.
    pub fn open(&self) -> Result<Store, CommandError> {
        Ok(Store::open(self.path.as_ref())?)
    }

    /// Runs `f` with a fresh connection on Tauri's blocking thread pool.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, CommandError> + Send + 'static,
    {
        let db = self.clone();
        let outcome = tauri::async_runtime::spawn_blocking(move || {
            let mut store = db.open()?;
            f(&mut store)
        })
        .await;
        let result = outcome.unwrap_or_else(|e| {
            Err(CommandError::new(
                ErrorCode::Internal,
                format!("a database task stopped unexpectedly: {e}"),
            ))
        });
        if let Err(e) = &result {
            tracing::warn!(code = %e.code, "command failed: {}", e.message);
        }
        result
    }
}
