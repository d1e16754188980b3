//! Errors of the engine. Each says whether trying again can help.

use cairn_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("workflow {0:?} is not active")]
    NotActive(String),
    #[error("{0}")]
    Invalid(String),
}

impl EngineError {
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Store(e) => e.code(),
            EngineError::NotActive(_) => "not_active",
            EngineError::Invalid(_) => "invalid",
        }
    }

    /// Whether the same call may succeed later (the database was busy).
    pub fn is_retryable(&self) -> bool {
        matches!(self, EngineError::Store(e) if e.is_retryable())
    }
}

impl From<rusqlite::Error> for EngineError {
    fn from(e: rusqlite::Error) -> Self {
        EngineError::Store(StoreError::Sqlite(e))
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
