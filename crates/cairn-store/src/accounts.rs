//! Connected accounts: their non-secret settings, status and sync cursor.
//! The secret part lives in the vault (`cairn-vault`), never here; see
//! [`Store::add_account_then`].

use cairn_model::Timestamp;
use cairn_model::account::AccountKind;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Result, Store, StoreError, ms, ts, ts_opt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Ok,
    NeedsAttention,
    Error,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Ok => "ok",
            AccountStatus::NeedsAttention => "needs_attention",
            AccountStatus::Error => "error",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "needs_attention" => AccountStatus::NeedsAttention,
            "error" => AccountStatus::Error,
            _ => AccountStatus::Ok,
        }
    }
}

/// A connected account as stored (never with its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Account {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub kind: AccountKind,
    #[ts(type = "Record<string, unknown>")]
    pub settings: serde_json::Value,
    pub status: AccountStatus,
    pub status_message: Option<String>,
    #[ts(type = "number | null")]
    pub poll_interval_secs: Option<i64>,
    pub cursor: Option<String>,
    pub last_poll_at: Option<Timestamp>,
    pub next_poll_at: Option<Timestamp>,
    pub consecutive_failures: u32,
    pub created_at: Timestamp,
}

impl Account {
    /// Where "email the owner" goes for an SMTP account: the `owner` setting
    /// (written when the account is added; it defaults to the From address),
    /// else the address inside the `from` setting.
    pub fn owner_address(&self) -> Option<String> {
        let text = |k: &str| {
            self.settings
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        if let Some(owner) = text("owner") {
            return Some(owner.to_string());
        }
        let from = text("from")?;
        Some(match (from.rfind('<'), from.rfind('>')) {
            (Some(a), Some(b)) if a < b => from[a + 1..b].trim().to_string(),
            _ => from.to_string(),
        })
    }
}

/// What a poll of a source account leaves behind: where its sync stands and
/// when to look again. Written by the connectors' poller in the same
/// transaction as the events the poll brought in, so a cursor never moves
/// past events that were not stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PollRecord {
    pub cursor: Option<String>,
    /// The last successful poll (unchanged by a failed one).
    pub last_poll_at: Option<Timestamp>,
    /// `None`: not scheduled (an account that needs attention).
    pub next_poll_at: Option<Timestamp>,
    pub consecutive_failures: u32,
    pub status: AccountStatus,
    pub status_message: Option<String>,
}

/// Writes a [`PollRecord`] for account `account_id` inside the caller's
/// transaction.
pub fn record_poll_using(
    tx: &rusqlite::Connection,
    account_id: i64,
    poll: &PollRecord,
    now: Timestamp,
) -> Result<()> {
    let n = tx
        .prepare_cached(
            "UPDATE accounts SET cursor = ?2, last_poll_at = ?3, next_poll_at = ?4,
                consecutive_failures = ?5, status = ?6, status_message = ?7, updated_at = ?8
             WHERE id = ?1",
        )?
        .execute(params![
            account_id,
            poll.cursor,
            poll.last_poll_at.map(ms),
            poll.next_poll_at.map(ms),
            poll.consecutive_failures,
            poll.status.as_str(),
            poll.status_message,
            ms(now)
        ])?;
    if n == 0 {
        return Err(StoreError::not_found("account", account_id.to_string()));
    }
    Ok(())
}

/// Marks account `name` as needing attention with `reason`, inside the
/// caller's transaction: a send found a fault of the account (a refused
/// login, a revoked hook), so its outbox rows are held
/// (`outbox::HELD_BY_ACCOUNT`) until the account is fixed. Returns whether
/// the account exists.
pub fn hold_using(
    tx: &rusqlite::Connection,
    name: &str,
    reason: &str,
    now: Timestamp,
) -> Result<bool> {
    let exists = tx
        .prepare_cached("SELECT 1 FROM accounts WHERE name = ?1")?
        .query_row([name.trim()], |_| Ok(()))
        .optional()?
        .is_some();
    if exists {
        tx.prepare_cached(
            "UPDATE accounts SET status = 'needs_attention', status_message = ?2, updated_at = ?3
             WHERE name = ?1 AND (status != 'needs_attention' OR status_message IS NOT ?2)",
        )?
        .execute(params![name.trim(), reason, ms(now)])?;
    }
    Ok(exists)
}

const SELECT: &str = "SELECT id, name, kind, settings, status, status_message, poll_interval_secs, cursor, last_poll_at, next_poll_at, consecutive_failures, created_at FROM accounts";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let kind: String = r.get(2)?;
    let settings: String = r.get(3)?;
    Ok(Account {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: AccountKind::parse(&kind).unwrap_or(AccountKind::JsonFeed),
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        status: AccountStatus::parse(&r.get::<_, String>(4)?),
        status_message: r.get(5)?,
        poll_interval_secs: r.get(6)?,
        cursor: r.get(7)?,
        last_poll_at: ts_opt(r.get(8)?),
        next_poll_at: ts_opt(r.get(9)?),
        consecutive_failures: r.get(10)?,
        created_at: ts(r.get(11)?),
    })
}

/// An account's settings (`from`, `owner`, `pool_size`, …) by name, if it
/// exists; settings that are not JSON read as `null`.
pub fn settings_using(c: &rusqlite::Connection, name: &str) -> Result<Option<serde_json::Value>> {
    let s: Option<String> = c
        .prepare_cached("SELECT settings FROM accounts WHERE name = ?1")?
        .query_row([name.trim()], |r| r.get(0))
        .optional()?;
    Ok(s.map(|s| serde_json::from_str(&s).unwrap_or_default()))
}

/// The `pool_size` setting of SMTP account `account`, if it has one.
pub fn smtp_pool_using(c: &rusqlite::Connection, account: &str) -> Result<Option<usize>> {
    let v: Option<i64> = c
        .prepare_cached(
            "SELECT json_extract(settings, '$.pool_size') FROM accounts WHERE name = ?1",
        )?
        .query_row([account], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(v.and_then(|n| usize::try_from(n).ok()))
}

impl Store {
    /// Stores a new account's settings. A clashing name is a conflict.
    pub fn add_account(
        &mut self,
        name: &str,
        kind: AccountKind,
        settings: &serde_json::Value,
        poll_interval_secs: Option<i64>,
        now: Timestamp,
    ) -> Result<Account> {
        let name = name.trim();
        if name.is_empty() {
            return Err(cairn_model::ModelError::Invalid("an account needs a name".into()).into());
        }
        self.write(|tx| {
            if tx
                .query_row("SELECT 1 FROM accounts WHERE name = ?1", [name], |_| Ok(()))
                .optional()?
                .is_some()
            {
                return Err(StoreError::Conflict(format!("an account named {name:?} already exists")));
            }
            tx.execute(
                "INSERT INTO accounts (name, kind, settings, poll_interval_secs, next_poll_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)",
                params![name, kind.as_str(), settings.to_string(), poll_interval_secs, ms(now)],
            )?;
            Ok(())
        })?;
        self.account(name)
    }

    /// Adds an account whose secret lives outside the database (the
    /// vault): the row first, so a clashing name stops here before
    /// `keep_secret` touches any secret; then `keep_secret`; when it fails,
    /// the row is taken back out, so no account is left without the secret
    /// it was added with. The one door for adding an account with a secret.
    pub fn add_account_then<E: From<StoreError>>(
        &mut self,
        name: &str,
        kind: AccountKind,
        settings: &serde_json::Value,
        poll_interval_secs: Option<i64>,
        now: Timestamp,
        keep_secret: impl FnOnce(&Account) -> std::result::Result<(), E>,
    ) -> std::result::Result<Account, E> {
        let account = self.add_account(name, kind, settings, poll_interval_secs, now)?;
        if let Err(e) = keep_secret(&account) {
            if let Err(undo) = self.remove_account(&account.name) {
                tracing::error!(account = %account.name, error = %undo, "could not take back an account whose secret was not stored");
            }
            return Err(e);
        }
        Ok(account)
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        let mut st = self
            .conn()
            .prepare_cached(&format!("{SELECT} ORDER BY name COLLATE NOCASE"))?;
        let rows = st.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn account(&self, name: &str) -> Result<Account> {
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE name = ?1"))?
            .query_row([name.trim()], row)
            .optional()?
            .ok_or_else(|| StoreError::not_found("account", name.trim()))
    }

    pub fn remove_account(&mut self, name: &str) -> Result<Account> {
        let a = self.account(name)?;
        self.conn()
            .execute("DELETE FROM accounts WHERE id = ?1", [a.id])?;
        Ok(a)
    }

    /// The emails an account sent (outbox rows marked sent, in any mode but
    /// dry run) after `since`: their outbox ids and when they were recorded
    /// sent. Rate limits count these, so a restart forgets nothing.
    pub fn email_sends_since(
        &self,
        account: &str,
        since: Timestamp,
    ) -> Result<Vec<(i64, Timestamp)>> {
        self.sends_since("email", account, since)
    }

    /// Like [`Store::email_sends_since`] for the sends of any `kind` of
    /// outbox entry (`email`, `webhook`, `slack`) through `account` (a
    /// webhook's is the account that signs it).
    pub fn sends_since(
        &self,
        kind: &str,
        account: &str,
        since: Timestamp,
    ) -> Result<Vec<(i64, Timestamp)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, sent_at FROM outbox
             WHERE status = 'sent' AND kind = ?3 AND mode != 'dry_run'
               AND account = ?1 COLLATE NOCASE AND sent_at > ?2
             ORDER BY sent_at, id",
        )?;
        let rows = st.query_map(params![account.trim(), ms(since), kind], |r| {
            Ok((r.get(0)?, ts(r.get(1)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces an account's (non-secret) settings, checked by the caller
    /// (`cairn account update`, the rate limits of a webhook or Slack
    /// account).
    pub fn set_account_settings(
        &mut self,
        name: &str,
        settings: &serde_json::Value,
        now: Timestamp,
    ) -> Result<Account> {
        let n = self.conn().execute(
            "UPDATE accounts SET settings = ?2, updated_at = ?3 WHERE name = ?1",
            params![name.trim(), settings.to_string(), ms(now)],
        )?;
        if n == 0 {
            return Err(StoreError::not_found("account", name.trim()));
        }
        self.account(name)
    }

    /// Records the outcome of a poll (see [`record_poll_using`]) in its own
    /// transaction: for a poll that failed and so wrote no events.
    pub fn record_poll(
        &mut self,
        account_id: i64,
        poll: &PollRecord,
        now: Timestamp,
    ) -> Result<()> {
        self.write(|tx| record_poll_using(tx, account_id, poll, now))
    }

    /// Records an account's health as seen by a test, a send or a poll.
    ///
    /// This is the one door through which an account is fixed (`cairn
    /// account secret`, `cairn account test`, the Accounts screen's test):
    /// back to `ok`, the outbox rows it held become due again, in due order,
    /// and each goes out once (`outbox::HELD_BY_ACCOUNT`).
    pub fn set_account_status(
        &mut self,
        name: &str,
        status: AccountStatus,
        message: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let n = self.conn().execute(
            "UPDATE accounts SET status = ?2, status_message = ?3, updated_at = ?4 WHERE name = ?1",
            params![name.trim(), status.as_str(), message, ms(now)],
        )?;
        if n == 0 {
            return Err(StoreError::not_found("account", name.trim()));
        }
        Ok(())
    }
}
