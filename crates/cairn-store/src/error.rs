//! Errors of the store. Each has a stable code ([`ErrorCode`]) for the UI
//! and scripts.

use cairn_model::{ErrorCode, ModelError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file system, or (de)serialising a value the store keeps; the
    /// error it came from is kept as the source.
    #[error(transparent)]
    Io(IoError),
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
    #[error("database migration to version {version} failed: {source}")]
    Migration {
        version: u32,
        source: rusqlite::Error,
    },
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
    pub fn error_code(&self) -> ErrorCode {
        match self {
            StoreError::Sqlite(_) => ErrorCode::Database,
            StoreError::Io(_) => ErrorCode::Io,
            StoreError::NewerDatabase { .. } => ErrorCode::NewerDatabase,
            StoreError::NotCairn { .. } => ErrorCode::NotCairnDatabase,
            StoreError::Csv { .. } => ErrorCode::InvalidCsv,
            StoreError::Migration { .. } => ErrorCode::MigrationFailed,
            StoreError::NotFound { .. } => ErrorCode::NotFound,
            StoreError::Conflict(_) => ErrorCode::Conflict,
            StoreError::Invalid(e) => e.error_code(),
            StoreError::File(e) => e.error_code(),
            StoreError::Validation(_) => ErrorCode::ValidationFailed,
            StoreError::ExecutorRunning { .. } => ErrorCode::ExecutorRunning,
        }
    }

    /// [`Self::error_code`] as a string (logs, the CLI's `--json`).
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// An I/O failure: "`context`: `source`".
    pub fn io(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Io(IoError {
            context: context.into(),
            source: Some(Box::new(source)),
        })
    }

    /// An I/O failure said by `source` alone (a value that did not
    /// serialise).
    pub fn io_source(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::io(String::new(), source)
    }

    /// An I/O failure with no underlying error.
    pub fn io_text(text: impl Into<String>) -> Self {
        StoreError::Io(IoError {
            context: text.into(),
            source: None,
        })
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

/// What an [`StoreError::Io`] says: "context: source", the context alone,
/// or the source alone; the source stays reachable through
/// [`std::error::Error::source`].
#[derive(Debug)]
pub struct IoError {
    context: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for IoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Some(s) if self.context.is_empty() => write!(f, "{s}"),
            Some(s) => write!(f, "{}: {s}", self.context),
            None => f.write_str(&self.context),
        }
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn an_io_error_says_what_it_said_and_keeps_its_source() {
        let e = StoreError::io(
            "cannot open /d/cairn.db",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert_eq!(e.to_string(), "cannot open /d/cairn.db: permission denied");
        assert_eq!(e.code(), "io");
        let source = e.source().expect("a source");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        assert_eq!(StoreError::io_text("no home").to_string(), "no home");
        assert!(StoreError::io_text("no home").source().is_none());
        let json = serde_json::from_str::<u8>("x").unwrap_err();
        assert_eq!(
            StoreError::io_source(json).to_string(),
            serde_json::from_str::<u8>("x").unwrap_err().to_string()
        );
    }
}
