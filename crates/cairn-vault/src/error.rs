//! Errors of the vault. Each has a stable `code()`; none ever carries a
//! secret (the keyring's own `BadEncoding` error holds the raw bytes, so it
//! is mapped here without them).

use cairn_model::ErrorCode;

/// How to opt in to a headless secret store, appended to every "the keyring
/// cannot be reached" message.
const HEADLESS_HINT: &str = "On a machine without a desktop session you can opt in to a secrets file instead: \
set CAIRN_SECRETS_FILE=/path/to/secrets.json (a JSON object of account name to secret, mode 0600), \
or give one account's secret as the environment variable CAIRN_SECRET_<ACCOUNT> (upper case, other characters as _)";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "the OS keyring cannot be reached: there is no D-Bus session bus ({detail}). Run Cairn inside a desktop session, \
         or start one with `dbus-run-session` and an unlocked keyring daemon \
         (`echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets`). {HEADLESS_HINT}"
    )]
    NoSessionBus { detail: String },
    #[error(
        "the OS keyring cannot be reached: the session bus has no Secret Service (org.freedesktop.secrets) ({detail}). \
         Install and start one (gnome-keyring, or KeePassXC with its Secret Service integration). {HEADLESS_HINT}"
    )]
    NoSecretService { detail: String },
    #[error(
        "the OS keyring is locked ({detail}): unlock it (log in to the desktop session, or \
         `echo -n PASSWORD | gnome-keyring-daemon --unlock`) and try again"
    )]
    Locked { detail: String },
    #[error(
        "this build of Cairn has no OS keyring for this platform (it would keep secrets only in memory); \
         rebuild with the keyring features of the workspace. {HEADLESS_HINT}"
    )]
    NoKeyringInBuild,
    #[error("the OS keyring failed: {detail}")]
    Keyring { detail: String },
    #[error(
        "no secret is stored for account {account:?} in {store}; add the account again to store it"
    )]
    NotFound { account: String, store: String },
    #[error("the secret stored for account {account:?} in {store} is not valid UTF-8 text")]
    NotText { account: String, store: String },
    #[error("{0}")]
    Invalid(String),
    #[error(
        "the secrets file {path} can be read by others (mode {mode:04o}); it holds secrets, so only its owner may \
         read or write it: run `chmod 600 {path}`"
    )]
    LoosePermissions { path: String, mode: u32 },
    /// The secrets file cannot be read, parsed or written; `reason` says
    /// what failed (with the I/O error's words, which stays the source).
    #[error("the secrets file {path}: {reason}")]
    SecretsFile {
        path: String,
        reason: String,
        #[source]
        source: Option<std::io::Error>,
    },
}

impl VaultError {
    /// The stable code the UI and scripts branch on.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            VaultError::NoSessionBus { .. } => ErrorCode::KeyringNoSessionBus,
            VaultError::NoSecretService { .. } => ErrorCode::KeyringNoSecretService,
            VaultError::Locked { .. } => ErrorCode::KeyringLocked,
            VaultError::NoKeyringInBuild => ErrorCode::KeyringNotBuiltIn,
            VaultError::Keyring { .. } => ErrorCode::KeyringFailed,
            VaultError::NotFound { .. } => ErrorCode::SecretNotFound,
            VaultError::NotText { .. } => ErrorCode::SecretNotText,
            VaultError::Invalid(_) => ErrorCode::InvalidSecret,
            VaultError::LoosePermissions { .. } => ErrorCode::SecretsFilePermissions,
            VaultError::SecretsFile { .. } => ErrorCode::SecretsFile,
        }
    }

    /// [`Self::error_code`] as a string.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// Whether the same call may succeed later without a change by the user
    /// to Cairn's settings: a locked keyring gets unlocked, a session bus
    /// appears when the user logs in.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            VaultError::Locked { .. }
                | VaultError::NoSessionBus { .. }
                | VaultError::NoSecretService { .. }
        )
    }
}
