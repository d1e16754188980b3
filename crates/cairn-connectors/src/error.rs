//! Why a poll (or adding, or testing, a source account) failed. Each error
//! has a stable `code()` for the UI and scripts, says whether trying again
//! later can help (`is_retryable()`), and whether only the user can fix it
//! (`needs_attention()`: polling stops until they do). None carries a
//! secret: provider answers are scrubbed of the account's secret before
//! they are quoted.

use cairn_model::ErrorCode;
use cairn_store::StoreError;
use cairn_vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A setting of the account is missing or malformed. `key` names it as
    /// stored in the account's settings (which is also the CLI flag's name).
    #[error("account {account:?}: {key}: {reason}")]
    InvalidSetting {
        account: String,
        key: &'static str,
        reason: String,
    },
    /// The provider refused the credentials (HTTP 401 or 403).
    #[error(
        "account {account:?}: {provider} refused the credentials (HTTP {status}){}; replace the secret with `cairn account secret {account}` or check its permissions, then `cairn account test {account}`",
        detail_suffix(.detail)
    )]
    Unauthorized {
        account: String,
        provider: &'static str,
        status: u16,
        detail: String,
    },
    /// The mail server refused the mailbox's login (IMAP `NO` to LOGIN).
    #[error(
        "account {account:?}: the mailbox refused the login: {reason}; check imap_username, or replace the password with `cairn account secret {account}`, then `cairn account test {account}`"
    )]
    MailboxLoginRefused { account: String, reason: String },
    /// The provider asked us to slow down (HTTP 429).
    #[error("account {account:?}: {provider} asked to slow down (HTTP 429){}", match .retry_after { Some(d) => format!("; it asked for {} s", d.num_seconds()), None => String::new() })]
    RateLimited {
        account: String,
        provider: &'static str,
        retry_after: Option<chrono::Duration>,
    },
    /// The provider failed on its side (5xx, 408): it may work later.
    #[error("account {account:?}: {provider} answered HTTP {status}{}", detail_suffix(.detail))]
    Unavailable {
        account: String,
        provider: &'static str,
        status: u16,
        detail: String,
    },
    /// No answer at all (connection refused, DNS, timeout).
    #[error("account {account:?}: {provider} could not be reached: {reason}")]
    Unreachable {
        account: String,
        provider: &'static str,
        reason: String,
    },
    /// The provider refused the request itself (400, 404, …): a wrong form
    /// id, shop or domain. Only a change of settings helps.
    #[error("account {account:?}: {provider} refused the request (HTTP {status}){}", detail_suffix(.detail))]
    Rejected {
        account: String,
        provider: &'static str,
        status: u16,
        detail: String,
    },
    /// An answer that is not in the documented shape.
    #[error("account {account:?}: {provider} answered something unexpected: {reason}")]
    BadResponse {
        account: String,
        provider: &'static str,
        reason: String,
    },
    #[error("cannot start the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

impl ConnectorError {
    /// The stable code the UI and scripts branch on.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            ConnectorError::Store(e) => e.error_code(),
            ConnectorError::Vault(e) => e.error_code(),
            ConnectorError::InvalidSetting { .. } => ErrorCode::InvalidAccountSetting,
            ConnectorError::Unauthorized { .. } => ErrorCode::Unauthorized,
            ConnectorError::MailboxLoginRefused { .. } => ErrorCode::MailboxLoginRefused,
            ConnectorError::RateLimited { .. } => ErrorCode::RateLimited,
            ConnectorError::Unavailable { .. } => ErrorCode::ProviderUnavailable,
            ConnectorError::Unreachable { .. } => ErrorCode::ProviderUnreachable,
            ConnectorError::Rejected { .. } => ErrorCode::RequestRejected,
            ConnectorError::BadResponse { .. } => ErrorCode::BadResponse,
            ConnectorError::HttpClient(_) => ErrorCode::HttpClient,
        }
    }

    /// [`Self::error_code`] as a string.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// Whether trying again later may help without any change by the user.
    pub fn is_retryable(&self) -> bool {
        match self {
            ConnectorError::Store(e) => e.is_retryable(),
            ConnectorError::Vault(e) => e.is_retryable(),
            ConnectorError::RateLimited { .. }
            | ConnectorError::Unavailable { .. }
            | ConnectorError::Unreachable { .. }
            // A provider glitch as often as a changed API: try again, with backoff.
            | ConnectorError::BadResponse { .. } => true,
            ConnectorError::InvalidSetting { .. }
            | ConnectorError::Unauthorized { .. }
            | ConnectorError::MailboxLoginRefused { .. }
            | ConnectorError::Rejected { .. }
            | ConnectorError::HttpClient(_) => false,
        }
    }

    /// Whether only the user can fix it: the account is marked "needs
    /// attention" and is not polled until they do.
    pub fn needs_attention(&self) -> bool {
        match self {
            ConnectorError::Unauthorized { .. }
            | ConnectorError::MailboxLoginRefused { .. }
            | ConnectorError::Rejected { .. }
            | ConnectorError::InvalidSetting { .. } => true,
            ConnectorError::Vault(e) => !e.is_retryable(),
            _ => false,
        }
    }

    pub(crate) fn invalid(account: &str, key: &'static str, reason: impl Into<String>) -> Self {
        ConnectorError::InvalidSetting {
            account: account.trim().to_string(),
            key,
            reason: reason.into(),
        }
    }
}
