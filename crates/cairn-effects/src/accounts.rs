//! Connected accounts of the kinds this crate sends through: add, test,
//! remove. The same functions serve the CLI (`cairn account …`) and the app.
//!
//! An account is written in two places: its settings as a row in SQLite,
//! its secret in the [`Vault`]. Adding writes the row first (a clashing
//! name stops there, before any secret is touched), then the secret; when
//! the secret cannot be stored, the row is taken back out. Removing deletes
//! the secret first, so a keyring that cannot be reached leaves the account
//! whole rather than half gone.

use cairn_model::account::AccountKind;
use cairn_model::{Sensitive, Timestamp};
use cairn_store::Store;
use cairn_store::accounts::Account;
use cairn_vault::Vault;
use serde::Serialize;

use crate::settings::{self, SmtpSettings, WebhookSettings};
use crate::{EffectsError, email, slack};

fn check_name(name: &str) -> Result<(), EffectsError> {
    cairn_model::account::check_name(name).map_err(|r| EffectsError::invalid(name, "name", r))
}

/// Writes the row, then the secret; takes the row back if the secret fails
/// ([`Store::add_account_then`]).
fn add_with_secret(
    store: &mut Store,
    vault: &Vault,
    name: &str,
    kind: AccountKind,
    settings: serde_json::Value,
    secret: Option<&Sensitive<String>>,
    now: Timestamp,
) -> Result<Account, EffectsError> {
    let account = store.add_account_then(name, kind, &settings, None, now, |a| match secret {
        Some(s) => vault.set(&a.name, s).map_err(EffectsError::from),
        None => Ok(()),
    })?;
    tracing::info!(account = %account.name, kind = %kind, secret_in = %vault.describe(), "account added");
    Ok(account)
}

/// Adds an SMTP account. The owner address defaults to the From address; a
/// login needs a password (given here, or in `CAIRN_SECRET_<NAME>`).
pub fn add_smtp(
    store: &mut Store,
    vault: &Vault,
    name: &str,
    mut settings: SmtpSettings,
    password: Option<Sensitive<String>>,
    now: Timestamp,
) -> Result<Account, EffectsError> {
    check_name(name)?;
    if settings.owner.is_none() {
        settings.owner = Some(settings.owner_address(name)?);
    }
    settings.check(name)?;
    if settings.username.is_some() && password.is_none() && vault.find(name)?.is_none() {
        return Err(EffectsError::invalid(
            name,
            "username",
            format!(
                "a login needs a password: pass --password-stdin, or set {}",
                Vault::override_var(name)
            ),
        ));
    }
    if settings.username.is_none() && password.is_some() {
        return Err(EffectsError::invalid(
            name,
            "username",
            "a password was given without a login (--username)",
        ));
    }
    if let Some(m) = &settings.imap
        && !m.own_password
        && password.is_none()
        && vault.find(name)?.is_none()
    {
        return Err(EffectsError::invalid(
            name,
            "imap",
            "the mailbox logs in with the SMTP password, and there is none: pass --password-stdin, or give the mailbox its own (--imap-password-stdin)",
        ));
    }
    if settings.extra_root_certificate.is_some() {
        // Reads and parses the certificate now, so a wrong path is told at once.
        email::transport(name, &settings, password.as_ref())?;
    }
    let json = serde_json::to_value(&settings)
        .map_err(|e| EffectsError::invalid(name, "settings", e.to_string()))?;
    add_with_secret(
        store,
        vault,
        name,
        AccountKind::Smtp,
        json,
        password.as_ref(),
        now,
    )
}

/// Adds a webhook account: a name for a signing secret. Without a secret
/// the account signs nothing, and webhooks naming it are refused.
pub fn add_webhook(
    store: &mut Store,
    vault: &Vault,
    name: &str,
    signing_secret: Option<Sensitive<String>>,
    now: Timestamp,
) -> Result<Account, EffectsError> {
    check_name(name)?;
    let s = WebhookSettings {
        signed: signing_secret.is_some(),
    };
    let json = serde_json::to_value(&s)
        .map_err(|e| EffectsError::invalid(name, "settings", e.to_string()))?;
    add_with_secret(
        store,
        vault,
        name,
        AccountKind::Webhook,
        json,
        signing_secret.as_ref(),
        now,
    )
}

/// Adds a Slack account: an incoming-webhook URL, kept in the vault.
pub fn add_slack(
    store: &mut Store,
    vault: &Vault,
    name: &str,
    webhook_url: Sensitive<String>,
    now: Timestamp,
) -> Result<Account, EffectsError> {
    check_name(name)?;
    slack::check_url(name, &webhook_url)?;
    add_with_secret(
        store,
        vault,
        name,
        AccountKind::Slack,
        serde_json::json!({}),
        Some(&webhook_url),
        now,
    )
}

/// Removes an account and its secret (secret first; see the module docs).
pub fn remove(store: &mut Store, vault: &Vault, name: &str) -> Result<Account, EffectsError> {
    let account = store.account(name)?;
    vault
        .delete(&account.name)
        .map_err(|e| EffectsError::Unreachable {
            account: account.name.clone(),
            reason: format!(
                "the account was not removed, because its secret could not be deleted: {e}"
            ),
        })?;
    if account
        .settings
        .pointer("/imap/own_password")
        .and_then(serde_json::Value::as_bool)
        == Some(true)
    {
        let entry = cairn_model::account::MailboxSettings::vault_name(&account.name);
        if let Err(e) = vault.delete(&entry) {
            tracing::warn!(account = %account.name, error = %e, "could not delete the mailbox's own password");
        }
    }
    Ok(store.remove_account(&account.name)?)
}

/// Whether an account's secret is in the vault, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum SecretState {
    Stored,
    Missing,
    /// The vault could not be asked (the reason says why).
    Unknown(String),
}

pub fn secret_state(vault: &Vault, account: &str) -> SecretState {
    match vault.find(account) {
        Ok(Some(_)) => SecretState::Stored,
        Ok(None) => SecretState::Missing,
        Err(e) => SecretState::Unknown(e.to_string()),
    }
}

/// Tests an account: SMTP connects, starts TLS and logs in; Slack's URL and
/// a webhook's signing secret are read back and checked; other kinds check
/// that their secret is readable. Returns what was proven, in words.
pub async fn test(account: &Account, vault: &Vault) -> Result<String, EffectsError> {
    let name = account.name.clone();
    let v = vault.clone();
    let secret = tokio::task::spawn_blocking(move || v.find(&name))
        .await
        .map_err(|e| EffectsError::Unreachable {
            account: account.name.clone(),
            reason: format!("the vault lookup stopped: {e}"),
        })??;
    let missing = || {
        EffectsError::Vault(cairn_vault::VaultError::NotFound {
            account: account.name.clone(),
            store: vault.describe(),
        })
    };
    match account.kind {
        AccountKind::Smtp => {
            let s = SmtpSettings::of(account)?;
            let password = match &s.username {
                Some(_) => Some(secret.ok_or_else(missing)?),
                None => None,
            };
            email::check_connection(&account.name, &s, password.as_ref()).await
        }
        AccountKind::Slack => {
            let url = secret.ok_or_else(missing)?;
            let u = slack::check_url(&account.name, &url)?;
            Ok(format!(
                "the webhook URL is in {} and well-formed (posts to {})",
                vault.describe(),
                u.host_str().unwrap_or_default()
            ))
        }
        AccountKind::Webhook => {
            let s = WebhookSettings::of(account)?;
            if !s.signed {
                return Ok(
                    "the account has no signing secret; webhooks naming it are refused".into(),
                );
            }
            secret.ok_or_else(missing)?;
            Ok(format!(
                "the signing secret is in {} and readable",
                vault.describe()
            ))
        }
        _ => {
            secret.ok_or_else(missing)?;
            Ok(format!(
                "the secret is in {} and readable",
                vault.describe()
            ))
        }
    }
}

/// Stores the own password of an SMTP account's mailbox (its `imap`
/// setting with `own_password`), under
/// [`cairn_model::account::MailboxSettings::vault_name`].
pub fn set_mailbox_password(
    vault: &Vault,
    name: &str,
    password: &Sensitive<String>,
) -> Result<(), EffectsError> {
    vault.set(
        &cairn_model::account::MailboxSettings::vault_name(name),
        password,
    )?;
    Ok(())
}

/// Settings for an SMTP account from the CLI's flags; the rest default.
pub fn smtp_settings(
    host: &str,
    port: u16,
    security: settings::SmtpSecurity,
    from: &str,
) -> SmtpSettings {
    SmtpSettings {
        host: host.trim().to_string(),
        port,
        security,
        username: None,
        from: from.trim().to_string(),
        reply_to: None,
        owner: None,
        rate_per_second: settings::DEFAULT_RATE_PER_SECOND,
        rate_per_day: settings::DEFAULT_RATE_PER_DAY,
        extra_root_certificate: None,
        timeout_secs: settings::DEFAULT_TIMEOUT_SECS,
        pool_size: None,
        imap: None,
        unsubscribe_via: settings::UnsubscribeVia::Mailto,
    }
}
