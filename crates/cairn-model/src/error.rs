//! Errors of the model crate, and [`ErrorCode`]: every stable error code of
//! Cairn in one enum, which the UI receives as a TypeScript union (ts-rs),
//! so a check such as `err.code === "validation_failed"` is type-checked.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Declares [`ErrorCode`] with each variant's code once; a test checks that
/// serde's name of each variant is that code.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// A stable error code: what the UI branches on and what scripts read
        /// from `--json` (`{code, message}`); the message is for people and is
        /// never matched on. Each core error says its code through
        /// `error_code()` (and `code()`, the same as a string).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it crosses IPC and appears in `--json` output.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    // The model: input that does not fit.
    InvalidEmail = "invalid_email",
    InvalidFieldValue = "invalid_field_value",
    InvalidTimezone = "invalid_timezone",
    /// Something invalid that has no code of its own.
    Invalid = "invalid",
    // The workflow file (`file::FileError`).
    FileTooLarge = "file_too_large",
    InvalidJson = "invalid_json",
    NotAWorkflow = "not_a_workflow",
    NewerFormat = "newer_format",
    InvalidVersion = "invalid_version",
    TooManyNodes = "too_many_nodes",
    DuplicateNodeId = "duplicate_node_id",
    InvalidField = "invalid_field",
    // The store.
    Database = "database",
    Io = "io",
    NewerDatabase = "newer_database",
    NotCairnDatabase = "not_cairn_database",
    InvalidCsv = "invalid_csv",
    MigrationFailed = "migration_failed",
    NotFound = "not_found",
    Conflict = "conflict",
    /// A workflow with validation errors was refused (activation, export).
    ValidationFailed = "validation_failed",
    ExecutorRunning = "executor_running",
    // The engine.
    NotActive = "not_active",
    // The vault.
    KeyringNoSessionBus = "keyring_no_session_bus",
    KeyringNoSecretService = "keyring_no_secret_service",
    KeyringLocked = "keyring_locked",
    KeyringNotBuiltIn = "keyring_not_built_in",
    KeyringFailed = "keyring_failed",
    SecretNotFound = "secret_not_found",
    SecretNotText = "secret_not_text",
    InvalidSecret = "invalid_secret",
    SecretsFilePermissions = "secrets_file_permissions",
    SecretsFile = "secrets_file",
    // Connected accounts (effects and connectors).
    InvalidAccountSetting = "invalid_account_setting",
    WrongAccountKind = "wrong_account_kind",
    AccountUnreachable = "account_unreachable",
    HttpClient = "http_client",
    Unauthorized = "unauthorized",
    MailboxLoginRefused = "mailbox_login_refused",
    RateLimited = "rate_limited",
    ProviderUnavailable = "provider_unavailable",
    ProviderUnreachable = "provider_unreachable",
    RequestRejected = "request_rejected",
    BadResponse = "bad_response",
    /// An account only the user can fix (a refused key, a suspended
    /// account): it is not polled until then.
    NeedsAttention = "needs_attention",
    // The app's own commands.
    /// An email template that does not render.
    Template = "template",
    /// A background task of the app stopped unexpectedly.
    Internal = "internal",
    /// Start at login could not be changed.
    Autostart = "autostart",
    InvalidRange = "invalid_range",
    InvalidSetting = "invalid_setting",
    /// A test-run command named a live run.
    LiveRun = "live_run",
    /// The contact did not enter the workflow (its re-entry rule).
    NotStarted = "not_started",
    /// "Skip the wait" on a run that is not waiting.
    NotWaiting = "not_waiting",
}

/// A code equals its wire form (`ErrorCode::NotFound == "not_found"`), so
/// tests read as what the UI and scripts receive.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something in the input does not fit the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("invalid email address {email:?}: {reason}")]
    InvalidEmail { email: String, reason: String },
    #[error("invalid value for field {field:?}: {reason}")]
    InvalidFieldValue { field: String, reason: String },
    #[error("unknown time zone {0:?} (expected an IANA name such as \"Europe/Berlin\")")]
    InvalidTimezone(String),
    #[error("{0}")]
    Invalid(String),
}

impl ModelError {
    pub fn error_code(&self) -> ErrorCode {
        match self {
            ModelError::InvalidEmail { .. } => ErrorCode::InvalidEmail,
            ModelError::InvalidFieldValue { .. } => ErrorCode::InvalidFieldValue,
            ModelError::InvalidTimezone(_) => ErrorCode::InvalidTimezone,
            ModelError::Invalid(_) => ErrorCode::Invalid,
        }
    }

    /// [`Self::error_code`] as a string.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_is_its_serde_name_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::from(c.as_str())
            );
            assert_eq!(
                serde_json::from_value::<ErrorCode>(c.as_str().into()).unwrap(),
                *c
            );
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert_eq!(*c, c.as_str());
        }
    }
}
