//! Source accounts: add, test, and replace a secret. The same functions
//! serve the CLI (`cairn account add stripe …`) and the app.
//!
//! Like the sending accounts of `cairn-effects`, an account is written in
//! two places: its settings as a row in SQLite, its secret (API key, access
//! token, a feed's auth header value) in the [`Vault`]. The row goes first
//! — a clashing name stops there, before any secret is touched — then the
//! secret; when the secret cannot be stored the row is taken back out.

use std::sync::Arc;

use cairn_model::{Clock, Sensitive, Timestamp};
use cairn_store::Store;
use cairn_store::accounts::{Account, AccountStatus};
use cairn_vault::Vault;

use crate::error::ConnectorError;
use crate::pace::ClockTimer;
use crate::provider;
use crate::settings::SourceSettings;
use crate::sync::Syncer;

fn check_name(name: &str) -> Result<(), ConnectorError> {
    cairn_model::account::check_name(name).map_err(|r| ConnectorError::invalid(name, "name", r))
}

/// Adds a source account: checks its settings and poll interval, stores
/// them, then its secret. Every kind needs a secret except a JSON feed
/// without an auth header.
pub fn add(
    store: &mut Store,
    vault: &Vault,
    name: &str,
    settings: &SourceSettings,
    poll_interval_secs: Option<i64>,
    secret: Option<Sensitive<String>>,
    now: Timestamp,
) -> Result<Account, ConnectorError> {
    check_name(name)?;
    settings.check(name)?;
    if let Some(secs) = poll_interval_secs
        && secs < provider::MIN_POLL_SECS
    {
        return Err(ConnectorError::invalid(
            name,
            "poll_every",
            format!(
                "{secs} s is shorter than the shortest interval, {} s",
                provider::MIN_POLL_SECS
            ),
        ));
    }
    if let Some(secs) = poll_interval_secs
        && secs > provider::MAX_POLL_SECS
    {
        return Err(ConnectorError::invalid(
            name,
            "poll_every",
            format!(
                "{secs} s is longer than the longest interval, {} s (7 days)",
                provider::MAX_POLL_SECS
            ),
        ));
    }
    match (&secret, settings.needs_secret()) {
        (None, true) if vault.find(name)?.is_none() => {
            return Err(ConnectorError::invalid(
                name,
                "secret",
                format!(
                    "a {} account needs its secret: pipe it in with --api-key-stdin, or set {}",
                    settings.kind(),
                    Vault::override_var(name)
                ),
            ));
        }
        (Some(_), false) => {
            return Err(ConnectorError::invalid(
                name,
                "secret",
                "a secret was given for a feed without an auth header (--auth-header NAME)",
            ));
        }
        _ => {}
    }
    // The row, then the secret; the row is taken back if the secret fails.
    let account = store.add_account_then(
        name,
        settings.kind(),
        &settings.to_json(),
        poll_interval_secs,
        now,
        |a| match &secret {
            Some(s) => vault.set(&a.name, s).map_err(ConnectorError::from),
            None => Ok(()),
        },
    )?;
    tracing::info!(account = %account.name, kind = %account.kind, "source account added");
    Ok(account)
}

/// Tests a source account with one cheap request to its provider.
pub async fn test(
    account: &Account,
    vault: &Vault,
    clock: Arc<dyn Clock>,
) -> Result<String, ConnectorError> {
    let syncer = Syncer::new(
        vault.clone(),
        clock.clone(),
        Arc::new(ClockTimer::new(clock)),
    )?;
    syncer.probe(account).await
}

/// Replaces an account's secret. A source account that needed attention is
/// polled again at the next turn of the poller (its status is reset).
pub fn replace_secret(
    store: &mut Store,
    vault: &Vault,
    name: &str,
    secret: &Sensitive<String>,
    now: Timestamp,
) -> Result<Account, ConnectorError> {
    let account = store.account(name)?;
    vault.set(&account.name, secret)?;
    if account.status != AccountStatus::Ok {
        store.set_account_status(&account.name, AccountStatus::Ok, None, now)?;
    }
    Ok(store.account(&account.name)?)
}
