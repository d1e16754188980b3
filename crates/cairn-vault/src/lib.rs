//! Cairn's vault: the one place secrets live.
//!
//! A connected account has two halves. Its settings (host, port, From
//! address, poll interval) sit in SQLite and travel nowhere secret. Its
//! secret (an SMTP password, an API key, a Slack webhook URL, a webhook
//! signing secret) is kept here, under the account's name, and handed out
//! only as a [`Sensitive`] value that prints `<redacted>` and refuses to
//! serialize. The database, workflow files, logs and error messages hold the
//! account's name, never the secret.
//!
//! Where the secret is kept:
//! - **the OS keyring** by default (Secret Service on Linux, the Keychain on
//!   macOS, the Credential Manager on Windows), through the `keyring` crate;
//!   entries live under the service `cairn` and the lower-cased account name
//!   (account names are case-insensitive in the store, so they are here too).
//! - **a secrets file**, only when the user opts in with
//!   `CAIRN_SECRETS_FILE=/path` (for a headless server without a keyring):
//!   a JSON object of account name to secret, which must be readable by its
//!   owner alone (mode 0600); a looser file is refused, never used.
//! - **an environment variable** `CAIRN_SECRET_<ACCOUNT>` (the account name
//!   upper-cased, every other character than A–Z and 0–9 written `_`)
//!   overrides the stored secret of that one account when read. It is never
//!   written or deleted by Cairn.
//!
//! When the keyring cannot be reached (no session bus, no Secret Service, a
//! locked keyring) the error says which, and how to fix it or opt in to one
//! of the headless stores. There is no silent fallback: a build whose
//! `keyring` has no platform store (it would keep secrets in memory only) is
//! refused too.
//!
//! The keyring calls block for a D-Bus round trip; async callers run them on
//! a blocking thread (`tokio::task::spawn_blocking`). A [`Vault`] is cheap to
//! clone.

mod error;
mod file;
mod os_keyring;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use cairn_model::Sensitive;
pub use error::VaultError;

pub type Result<T, E = VaultError> = std::result::Result<T, E>;

/// The environment variable that opts in to a secrets file.
pub const SECRETS_FILE_VAR: &str = "CAIRN_SECRETS_FILE";
/// The prefix of per-account secret environment variables.
pub const SECRET_VAR_PREFIX: &str = "CAIRN_SECRET_";
/// The keyring service Cairn's entries live under.
pub const DEFAULT_SERVICE: &str = "cairn";

/// Where a vault writes secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Backing {
    Keyring { service: String },
    File { path: PathBuf },
}

/// Secrets by account name. See the module docs for where they are kept.
#[derive(Clone)]
pub struct Vault {
    backing: Backing,
    /// `CAIRN_SECRET_<ACCOUNT>` values, keyed by the variable's suffix.
    overrides: Arc<BTreeMap<String, Sensitive<String>>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("store", &self.describe())
            .field(
                "overridden_accounts",
                &self.overrides.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Vault {
    /// The OS keyring, under Cairn's service name.
    pub fn os_keyring() -> Vault {
        Vault::os_keyring_for(DEFAULT_SERVICE)
    }

    /// The OS keyring under another service name (tests use their own, so
    /// they never touch a user's entries).
    pub fn os_keyring_for(service: &str) -> Vault {
        Vault {
            backing: Backing::Keyring {
                service: service.to_string(),
            },
            overrides: Arc::default(),
        }
    }

    /// A secrets file the user chose instead of the keyring. A file that
    /// exists must be readable by its owner alone; a missing one is created
    /// (mode 0600) by the first [`Vault::set`].
    pub fn secrets_file(path: impl AsRef<Path>) -> Result<Vault> {
        let path = path.as_ref().to_path_buf();
        file::check(&path)?;
        Ok(Vault {
            backing: Backing::File { path },
            overrides: Arc::default(),
        })
    }

    /// The vault the process environment asks for: the secrets file named by
    /// `CAIRN_SECRETS_FILE` if set, else the OS keyring; with any
    /// `CAIRN_SECRET_<ACCOUNT>` variables as read overrides.
    pub fn from_env() -> Result<Vault> {
        Vault::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// [`Vault::from_env`] over the given variables (so tests need not change
    /// the process environment).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Vault> {
        let mut file = None;
        let mut overrides = BTreeMap::new();
        for (k, v) in vars {
            if k == SECRETS_FILE_VAR {
                if v.trim().is_empty() {
                    return Err(VaultError::Invalid(format!(
                        "{SECRETS_FILE_VAR} is set but empty; name a file such as ~/.config/cairn/secrets.json, or unset it to use the OS keyring"
                    )));
                }
                file = Some(PathBuf::from(v));
            } else if let Some(suffix) = k.strip_prefix(SECRET_VAR_PREFIX)
                && !suffix.is_empty()
            {
                overrides.insert(suffix.to_string(), Sensitive::new(v));
            }
        }
        let mut vault = match file {
            Some(path) => Vault::secrets_file(path)?,
            None => Vault::os_keyring(),
        };
        vault.overrides = Arc::new(overrides);
        Ok(vault)
    }

    /// Where secrets are written, in words ("the OS keyring", "the secrets file /x").
    pub fn describe(&self) -> String {
        match &self.backing {
            Backing::Keyring { .. } => "the OS keyring".to_string(),
            Backing::File { path } => format!("the secrets file {}", path.display()),
        }
    }

    /// The name of the environment variable that overrides `account`'s secret.
    pub fn override_var(account: &str) -> String {
        format!("{SECRET_VAR_PREFIX}{}", env_suffix(account))
    }

    /// The secret of `account`; an error when there is none.
    pub fn get(&self, account: &str) -> Result<Sensitive<String>> {
        self.find(account)?.ok_or_else(|| VaultError::NotFound {
            account: account.trim().to_string(),
            store: self.describe(),
        })
    }

    /// The secret of `account`, if one is stored.
    pub fn find(&self, account: &str) -> Result<Option<Sensitive<String>>> {
        let key = key(account)?;
        if let Some(v) = self.overrides.get(&env_suffix(account)) {
            return Ok(Some(v.clone()));
        }
        match &self.backing {
            Backing::Keyring { service } => os_keyring::get(service, &key),
            Backing::File { path } => file::get(path, &key),
        }
    }

    /// Stores (or replaces) the secret of `account`.
    pub fn set(&self, account: &str, secret: &Sensitive<String>) -> Result<()> {
        let key = key(account)?;
        if secret.expose().is_empty() {
            return Err(VaultError::Invalid(format!(
                "the secret for account {:?} is empty",
                account.trim()
            )));
        }
        match &self.backing {
            Backing::Keyring { service } => os_keyring::set(service, &key, secret),
            Backing::File { path } => file::set(path, &key, Some(secret)).map(|_| ()),
        }
    }

    /// Deletes the stored secret of `account`. Returns whether there was one.
    /// An environment override is not affected (Cairn cannot unset it).
    pub fn delete(&self, account: &str) -> Result<bool> {
        let key = key(account)?;
        match &self.backing {
            Backing::Keyring { service } => os_keyring::delete(service, &key),
            Backing::File { path } => file::set(path, &key, None),
        }
    }

    /// Whether the store can be reached at all (the keyring answers, the
    /// secrets file is readable), without reading any secret.
    pub fn check(&self) -> Result<()> {
        match &self.backing {
            Backing::Keyring { service } => os_keyring::check(service),
            Backing::File { path } => file::check(path),
        }
    }
}

/// The store key of an account: its trimmed, lower-cased name.
fn key(account: &str) -> Result<String> {
    let k = account.trim().to_lowercase();
    if k.is_empty() {
        return Err(VaultError::Invalid("a secret needs an account name".into()));
    }
    Ok(k)
}

fn env_suffix(account: &str) -> String {
    account
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_name_the_account_in_upper_case() {
        assert_eq!(Vault::override_var("my-gmail"), "CAIRN_SECRET_MY_GMAIL");
        assert_eq!(
            Vault::override_var(" Team Slack "),
            "CAIRN_SECRET_TEAM_SLACK"
        );
    }

    #[test]
    fn an_override_wins_and_never_prints() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::from_vars([
            (
                SECRETS_FILE_VAR.to_string(),
                dir.path().join("s.json").display().to_string(),
            ),
            ("CAIRN_SECRET_MY_GMAIL".to_string(), "hunter2".to_string()),
        ])
        .unwrap();
        assert_eq!(vault.get("My-Gmail").unwrap().expose(), "hunter2");
        assert!(!format!("{vault:?}").contains("hunter2"), "{vault:?}");
        let e = vault.get("other").unwrap_err();
        assert_eq!(e.code(), "secret_not_found");
        assert!(e.to_string().contains("\"other\""), "{e}");
    }

    #[test]
    fn an_empty_secrets_file_variable_is_refused() {
        let e = Vault::from_vars([(SECRETS_FILE_VAR.to_string(), " ".to_string())]).unwrap_err();
        assert!(
            e.to_string()
                .contains("CAIRN_SECRETS_FILE is set but empty"),
            "{e}"
        );
    }

    #[test]
    fn without_opt_in_the_vault_is_the_os_keyring() {
        let vault = Vault::from_vars([("HOME".to_string(), "/root".to_string())]).unwrap();
        assert_eq!(vault.describe(), "the OS keyring");
    }
}
