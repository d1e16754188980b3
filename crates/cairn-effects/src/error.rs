//! Errors of connected-account operations (add, test, remove) and of
//! building the senders. Each has a stable `code()`; none carries a secret.
//!
//! Delivery itself does not fail with these: a send ends in a
//! [`cairn_engine::SendOutcome`], whose error text is built from them.

use cairn_model::ErrorCode;
use cairn_store::StoreError;
use cairn_vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum EffectsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A setting of an account is missing or malformed. `key` names it as
    /// stored (`settings.port`), which is also the CLI flag's name.
    #[error("account {account:?}: {key}: {reason}")]
    InvalidSetting {
        account: String,
        key: &'static str,
        reason: String,
    },
    #[error("account {account:?} is a {found} account; {wanted}")]
    WrongKind {
        account: String,
        found: String,
        wanted: String,
    },
    /// The account's service could not be reached or refused us (a test).
    #[error("account {account:?}: {reason}")]
    Unreachable { account: String, reason: String },
    #[error("cannot start the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
}

impl EffectsError {
    /// The stable code the UI and scripts branch on.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            EffectsError::Store(e) => e.error_code(),
            EffectsError::Vault(e) => e.error_code(),
            EffectsError::InvalidSetting { .. } => ErrorCode::InvalidAccountSetting,
            EffectsError::WrongKind { .. } => ErrorCode::WrongAccountKind,
            EffectsError::Unreachable { .. } => ErrorCode::AccountUnreachable,
            EffectsError::HttpClient(_) => ErrorCode::HttpClient,
        }
    }

    /// [`Self::error_code`] as a string.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// Whether trying again later may help without any change by the user.
    pub fn is_retryable(&self) -> bool {
        match self {
            EffectsError::Store(e) => e.is_retryable(),
            EffectsError::Vault(e) => e.is_retryable(),
            EffectsError::Unreachable { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn invalid(account: &str, key: &'static str, reason: impl Into<String>) -> Self {
        EffectsError::InvalidSetting {
            account: account.trim().to_string(),
            key,
            reason: reason.into(),
        }
    }
}
