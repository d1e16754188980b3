//! The OS keyring through the `keyring` crate, with its failures turned into
//! errors that say what is missing and how to fix it.
//!
//! `keyring` reports an unreachable Secret Service as an opaque platform
//! failure; the D-Bus error names inside it are what tell "no session bus"
//! from "no Secret Service on the bus". A `keyring` built without a platform
//! store silently keeps entries in memory, so every call first checks that
//! the default store persists.

use cairn_model::Sensitive;
use keyring::credential::CredentialPersistence;

use crate::{Result, VaultError};

fn entry(service: &str, key: &str) -> Result<keyring::Entry> {
    let persistence = keyring::default::default_credential_builder().persistence();
    if matches!(
        persistence,
        CredentialPersistence::EntryOnly | CredentialPersistence::ProcessOnly
    ) {
        return Err(VaultError::NoKeyringInBuild);
    }
    keyring::Entry::new(service, key).map_err(|e| map(e, key))
}

pub(crate) fn get(service: &str, key: &str) -> Result<Option<Sensitive<String>>> {
    match entry(service, key)?.get_password() {
        Ok(s) => Ok(Some(Sensitive::new(s))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(map(e, key)),
    }
}

pub(crate) fn set(service: &str, key: &str, secret: &Sensitive<String>) -> Result<()> {
    entry(service, key)?
        .set_password(secret.expose())
        .map_err(|e| map(e, key))
}

pub(crate) fn delete(service: &str, key: &str) -> Result<bool> {
    match entry(service, key)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(map(e, key)),
    }
}

/// Reads an entry that never exists: "no entry" proves the keyring answered.
pub(crate) fn check(service: &str) -> Result<()> {
    get(service, "cairn-keyring-probe").map(|_| ())
}

/// Turns a keyring error into a vault error. Never formats the error with
/// `Debug`, and never the `BadEncoding` payload: those hold secret bytes.
fn map(e: keyring::Error, key: &str) -> VaultError {
    match e {
        keyring::Error::NoStorageAccess(inner) => VaultError::Locked {
            detail: inner.to_string(),
        },
        keyring::Error::PlatformFailure(inner) => {
            let detail = inner.to_string();
            classify_platform_failure(detail)
        }
        keyring::Error::BadEncoding(_) => VaultError::NotText {
            account: key.to_string(),
            store: "the OS keyring".into(),
        },
        keyring::Error::NoEntry => VaultError::NotFound {
            account: key.to_string(),
            store: "the OS keyring".into(),
        },
        keyring::Error::TooLong(attr, limit) => VaultError::Invalid(format!(
            "the keyring refuses a {attr} longer than {limit} characters (account {key:?})"
        )),
        keyring::Error::Invalid(attr, reason) => VaultError::Invalid(format!(
            "the keyring refuses the {attr} of account {key:?}: {reason}"
        )),
        keyring::Error::Ambiguous(found) => VaultError::Keyring {
            detail: format!(
                "{} keyring entries match account {key:?}; remove the extra ones (for example with `secret-tool` or Seahorse)",
                found.len()
            ),
        },
        other => VaultError::Keyring {
            detail: other.to_string(),
        },
    }
}

/// Tells a missing session bus from a missing Secret Service by the D-Bus
/// error text (the `dbus` crate gives no structured kind for either).
fn classify_platform_failure(detail: String) -> VaultError {
    let lower = detail.to_ascii_lowercase();
    if lower.contains("dbus_session_bus_address")
        || lower.contains("autolaunch")
        || lower.contains("failed to connect to socket")
        || lower.contains("no such file or directory")
        || lower.contains("connection refused")
    {
        VaultError::NoSessionBus { detail }
    } else if lower.contains("org.freedesktop.secrets") || lower.contains("serviceunknown") {
        VaultError::NoSecretService { detail }
    } else if lower.contains("locked") || lower.contains("prompt") {
        VaultError::Locked { detail }
    } else {
        VaultError::Keyring { detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbus_failures_are_told_apart() {
        let e = classify_platform_failure(
            "Platform secure storage failure: D-Bus error: Unable to autolaunch a dbus-daemon without a $DISPLAY for X11 (org.freedesktop.DBus.Error.NotSupported)".into(),
        );
        assert_eq!(e.code(), "keyring_no_session_bus");
        assert!(e.to_string().contains("dbus-run-session"), "{e}");
        assert!(e.to_string().contains("CAIRN_SECRETS_FILE"), "{e}");
        let e = classify_platform_failure(
            "D-Bus error: The name org.freedesktop.secrets was not provided by any .service files (org.freedesktop.DBus.Error.ServiceUnknown)".into(),
        );
        assert_eq!(e.code(), "keyring_no_secret_service");
        assert!(e.to_string().contains("gnome-keyring"), "{e}");
    }
}
