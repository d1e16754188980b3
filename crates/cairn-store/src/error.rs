//! Errors of the store. Each has a stable `code` for the UI and scripts.

use cairn_model::ModelError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(String),
    #[error(
        "the database {path} was written by a newer version of Cairn (schema version {found}; this Cairn knows up to {supported}); update Cairn to open it"
    )]
    NewerDatabase {
        path: String,
        found: u32,
        supported: u32,
    },
    #[error("{path} is not a Cairn database: {reason}")]
    NotCairn { path: String, reason: String },
    #[error("CSV line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("database migration to version {version} failed: {reason}")]
    Migration { version: u32, reason: String },
    #[error("no {what} named {name:?}")]
    NotFound { what: &'static str, name: String },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Invalid(#[from] ModelError),
    #[error(transparent)]
    File(#[from] cairn_model::file::FileError),
    #[error("{}", describe_report(.0))]
    Validation(cairn_model::validate::Report),
    /// Another executor (the app or `cairn run`) works on this database.
    #[error("{holder} is already running the workflows of {path}; stop it first")]
    ExecutorRunning { path: String, holder: String },
}

fn describe_report(r: &cairn_model::validate::Report) -> String {
    let errs: Vec<String> = r
        .errors()
        .map(|i| match &i.node {
            Some(n) => format!("node {n}: {}", i.message),
            None => i.message.clone(),
        })
        .collect();
    format!(
        "the workflow has {} error{}: {}",
        errs.len(),
        if errs.len() == 1 { "" } else { "s" },
        errs.join("; ")
    )
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Sqlite(_) => "database",
            StoreError::Io(_) => "io",
            StoreError::NewerDatabase { .. } => "newer_database",
            StoreError::NotCairn { .. } => "not_cairn_database",
            StoreError::Csv { .. } => "invalid_csv",
            StoreError::Migration { .. } => "migration_failed",
            StoreError::NotFound { .. } => "not_found",
            StoreError::Conflict(_) => "conflict",
            StoreError::Invalid(e) => e.code(),
            StoreError::File(e) => e.code,
            StoreError::Validation(_) => "validation_failed",
            StoreError::ExecutorRunning { .. } => "executor_running",
        }
    }

    pub fn not_found(what: &'static str, name: impl Into<String>) -> Self {
        StoreError::NotFound {
            what,
            name: name.into(),
        }
    }

    /// Whether trying again later may succeed (the database was busy).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}
