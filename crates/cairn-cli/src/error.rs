//! Why a command failed. Each variant has a stable `code` so scripts using
//! `--json` can branch on it without matching English text.

use cairn_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] cairn_engine::EngineError),
    #[error("no database at {0}; run `cairn init` first, or pass --db PATH")]
    NoDatabase(String),
    #[error("{0}")]
    Usage(String),
    #[error("cannot {action} {path}: {reason}")]
    Io {
        action: &'static str,
        path: String,
        reason: String,
    },
    /// The command ran but its answer is "no" (a workflow with errors, a CSV
    /// file with invalid rows). What was wrong has already been printed.
    #[error("{message}")]
    Rejected { code: &'static str, message: String },
    #[error("{file}: {source}")]
    WorkflowFile {
        file: String,
        source: cairn_model::file::FileError,
    },
    #[error("cannot write output: {0}")]
    Output(String),
}

impl CliError {
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Store(e) => e.code(),
            CliError::Engine(e) => e.code(),
            CliError::NoDatabase(_) => "no_database",
            CliError::Usage(_) => "usage",
            CliError::Io { .. } => "io",
            CliError::Rejected { code, .. } => code,
            CliError::WorkflowFile { source, .. } => source.code(),
            CliError::Output(_) => "output",
        }
    }

    pub fn io(action: &'static str, path: &std::path::Path, e: std::io::Error) -> Self {
        CliError::Io {
            action,
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }
}
