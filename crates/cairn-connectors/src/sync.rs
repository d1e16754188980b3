//! One poll of one account, from its settings to its committed events.
//!
//! A [`Syncer`] reads the account's secret from the vault, works out the
//! window (the stored cursor minus the provider's overlap, never before the
//! account was connected), lets the account's connector read it, and
//! commits what came back in ONE transaction: the new events, the contacts
//! they create or match, what they do to those contacts (a bounce, a
//! complaint), and the advanced cursor. A crash anywhere before that commit
//! leaves the cursor where it was; the next poll reads the same window and
//! the `(source, external_id)` key drops whatever was stored before.
//!
//! Failures decide the next poll:
//! - the provider refused the credentials (401/403), a setting is wrong,
//!   the secret is missing → "needs attention", and no poll is scheduled
//!   until the user fixes it (`cairn account test`, a new secret) — except
//!   for an SMTP account's mailbox, whose failures all back off: "needs
//!   attention" would hold the account's outgoing mail;
//! - 429 → the next poll waits what `Retry-After` asked (else backoff);
//! - anything else → exponential backoff with jitter
//!   ([`cairn_engine::backoff`]), from 30 s up to six hours.
//!
//! An account not polled for longer than its provider keeps events (Stripe:
//! 30 days) gets a warning in its status message, which stays after the
//! next successful poll until the user tests the account.

use std::sync::Arc;

use cairn_model::account::{AccountKind, MailboxSettings};
use cairn_model::contact::ContactStatus;
use cairn_model::event::Appended;
use cairn_model::{Clock, ErrorCode, Sensitive, Timestamp};
use cairn_store::accounts::{Account, AccountStatus, PollRecord, record_poll_using};
use cairn_store::{Store, contacts, events};
use cairn_vault::{Vault, VaultError};
use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::batch::{Batch, ContactEffect, Cursor, Window};
use crate::error::ConnectorError;
use crate::http::Api;
use crate::pace::{Pacer, Timer};
use crate::provider::{self, Provider};
use crate::settings::SourceSettings;

/// Seconds of the first backoff after a failed poll.
pub const BACKOFF_BASE_SECS: i64 = 30;
/// How many ignored records a report spells out.
const NOTES: usize = 5;

/// What a poll ended in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SyncOutcome {
    /// The window was read and committed.
    Synced,
    /// It failed; the next poll is scheduled (backoff or `Retry-After`).
    Failed { code: ErrorCode, message: String },
    /// Only the user can fix it; polling stopped.
    NeedsAttention { code: ErrorCode, message: String },
    /// Not polled: a kind Cairn cannot read yet.
    Skipped { reason: String },
}

/// What one poll did, for `cairn sync`, the poller's subscribers and the UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncReport {
    pub account: String,
    pub kind: AccountKind,
    #[serde(flatten)]
    pub outcome: SyncOutcome,
    /// Events stored for the first time.
    pub new: usize,
    /// Events already stored (the overlap, a re-read page).
    pub duplicates: usize,
    /// Provider records not turned into events.
    pub ignored: usize,
    /// Why, for the first few.
    pub notes: Vec<String>,
    pub requests: u32,
    /// Where the sync stands now.
    pub cursor_at: Option<Timestamp>,
    pub next_poll_at: Option<Timestamp>,
    /// The account was not polled for longer than its provider keeps events.
    pub warning: Option<String>,
}

impl SyncReport {
    fn new(account: &Account) -> Self {
        SyncReport {
            account: account.name.clone(),
            kind: account.kind,
            outcome: SyncOutcome::Synced,
            new: 0,
            duplicates: 0,
            ignored: 0,
            notes: vec![],
            requests: 0,
            cursor_at: Cursor::parse(account.cursor.as_deref(), &account.name).at,
            next_poll_at: account.next_poll_at,
            warning: None,
        }
    }
}

/// The event source of an account: `<kind>:<lower-cased name>`. With the
/// provider's id, the dedupe key of the event log.
pub fn source_of(account: &Account) -> String {
    format!(
        "{}:{}",
        account.kind.as_str(),
        account.name.trim().to_lowercase()
    )
}

/// The account's poll interval: its own, else the provider's default, and
/// never under [`provider::MIN_POLL_SECS`].
pub fn interval_of(account: &Account, p: &Provider) -> chrono::Duration {
    chrono::Duration::seconds(
        account
            .poll_interval_secs
            .unwrap_or(p.default_poll_secs)
            .max(provider::MIN_POLL_SECS),
    )
}

/// How long the account's provider keeps what Cairn reads.
pub fn retention_of(account: &Account, p: &Provider) -> Option<chrono::Duration> {
    match account.kind {
        AccountKind::JsonFeed => account
            .settings
            .get("retention_days")
            .and_then(serde_json::Value::as_i64)
            .map(chrono::Duration::days),
        _ => p.retention(),
    }
}

/// The warning for an account unpolled longer than its provider keeps
/// events, if it is.
pub fn staleness(account: &Account, now: Timestamp) -> Option<String> {
    let p = provider::of(account.kind)?;
    let keeps = retention_of(account, p)?;
    let since = account.last_poll_at.unwrap_or(account.created_at);
    let gap = now - since;
    (gap > keeps).then(|| {
        format!(
            "not synced since {} ({} days); {} keeps events for {} days, so events before {} may be missing",
            since.format("%Y-%m-%d %H:%M UTC"),
            gap.num_days(),
            p.name,
            keeps.num_days(),
            (now - keeps).format("%Y-%m-%d %H:%M UTC"),
        )
    })
}

/// Whether the poller should poll the account at `now`.
pub fn is_due(account: &Account, now: Timestamp) -> bool {
    provider::of_account(account).is_some()
        && account.status != AccountStatus::NeedsAttention
        && account.next_poll_at.is_none_or(|t| t <= now)
}

/// Polls accounts. Holds what lasts between polls: the HTTP client's
/// connections and each account's place in the rate budget.
pub struct Syncer {
    client: reqwest::Client,
    pacer: Pacer,
    vault: Vault,
    clock: Arc<dyn Clock>,
    timer: Arc<dyn Timer>,
}

impl Syncer {
    pub fn new(
        vault: Vault,
        clock: Arc<dyn Clock>,
        timer: Arc<dyn Timer>,
    ) -> Result<Syncer, ConnectorError> {
        Ok(Syncer {
            client: crate::http::client()?,
            pacer: Pacer::default(),
            vault,
            clock,
            timer,
        })
    }

    async fn secret(&self, account: &str) -> Result<Sensitive<String>, ConnectorError> {
        let vault = self.vault.clone();
        let name = account.to_string();
        tokio::task::spawn_blocking(move || vault.get(&name))
            .await
            .map_err(|e| {
                ConnectorError::Vault(VaultError::Keyring {
                    detail: format!("the vault lookup stopped: {e}"),
                })
            })?
            .map_err(ConnectorError::from)
    }

    /// A source account's secret. A JSON feed without an auth header has
    /// none, and its polls never touch the vault: a machine without a
    /// keyring (no session bus, a server) can still poll a public feed.
    async fn source_secret(
        &self,
        account: &Account,
        settings: &SourceSettings,
    ) -> Result<Sensitive<String>, ConnectorError> {
        if !settings.needs_secret() {
            return Ok(Sensitive::new(String::new()));
        }
        self.secret(&account.name).await
    }

    fn api<'a>(
        &'a self,
        account: &'a Account,
        p: &Provider,
        secret: &'a Sensitive<String>,
    ) -> Api<'a> {
        Api {
            account: &account.name,
            provider: p.name,
            client: &self.client,
            secret,
            spacing: p.spacing(),
            pacer: &self.pacer,
            timer: self.timer.as_ref(),
            clock: self.clock.as_ref(),
            requests: 0,
        }
    }

    /// The mailbox of an SMTP account and its password: the account's own
    /// secret, or the mailbox's own vault entry.
    async fn mailbox(
        &self,
        account: &Account,
    ) -> Result<(MailboxSettings, Sensitive<String>), ConnectorError> {
        let m = MailboxSettings::of_settings(&account.settings)
            .ok_or_else(|| ConnectorError::invalid(&account.name, "imap", "no mailbox is set"))?
            .map_err(|e| ConnectorError::invalid(&account.name, "imap", e))?;
        let entry = if m.own_password {
            MailboxSettings::vault_name(&account.name)
        } else {
            account.name.clone()
        };
        let secret = self.secret(&entry).await?;
        Ok((m, secret))
    }

    /// Proves an account works with one cheap request (`cairn account
    /// test`). Returns what was proven, in words.
    pub async fn probe(&self, account: &Account) -> Result<String, ConnectorError> {
        if provider::of_account(account) == Some(&provider::MAILBOX) {
            let (m, secret) = self.mailbox(account).await?;
            return crate::mailbox::probe(&account.name, &m, &secret).await;
        }
        let p = provider::of(account.kind).ok_or_else(|| {
            ConnectorError::invalid(
                &account.name,
                "kind",
                format!("Cairn cannot poll {} accounts yet", account.kind),
            )
        })?;
        let settings = SourceSettings::of(account)?;
        let secret = self.source_secret(account, &settings).await?;
        let mut api = self.api(account, p, &secret);
        match &settings {
            SourceSettings::Stripe(s) => crate::stripe::probe(&mut api, s).await,
            SourceSettings::Shopify(s) => crate::shopify::probe(&mut api, s).await,
            SourceSettings::Typeform(s) => crate::typeform::probe(&mut api, s).await,
            SourceSettings::Tally(s) => crate::tally::probe(&mut api, s).await,
            SourceSettings::Thinkific(s) => crate::thinkific::probe(&mut api, s).await,
            SourceSettings::Teachable(s) => crate::teachable::probe(&mut api, s).await,
            SourceSettings::Mailgun(s) => crate::mailgun::probe(&mut api, s).await,
            SourceSettings::Postmark(s) => crate::postmark::probe(&mut api, s).await,
            SourceSettings::JsonFeed(s) => crate::json_feed::probe(&mut api, s).await,
        }
    }

    /// Polls one account now and records the outcome (see the module docs).
    pub async fn sync(&self, store: &mut Store, account: &Account) -> SyncReport {
        let now = self.clock.now();
        let mut report = SyncReport::new(account);
        let Some(p) = provider::of_account(account) else {
            report.outcome = SyncOutcome::Skipped {
                reason: if account.kind.is_source() {
                    format!("Cairn cannot poll {} accounts yet", account.kind)
                } else {
                    format!("a {} account sends; it is not polled", account.kind)
                },
            };
            return report;
        };
        report.warning = staleness(account, now);
        if let Some(w) = &report.warning {
            tracing::warn!(account = %account.name, "{w}");
        }
        let (result, requests) = if p == &provider::MAILBOX {
            // Read before the first await: a `&Store` cannot cross it.
            match cairn_store::unsubscribe::key_using(store.conn()) {
                Ok(key) => (self.read_mailbox(account, key, now).await, 1),
                Err(e) => (Err(e.into()), 0),
            }
        } else if account.kind.is_course_platform() {
            // Read before the first await, as above.
            match store.linked_courses(&account.name) {
                Ok(courses) => self.read(account, p, now, courses).await,
                Err(e) => (Err(e.into()), 0),
            }
        } else {
            self.read(account, p, now, Vec::new()).await
        };
        report.requests = requests;
        let result = match result {
            Ok(batch) => commit(store, account, p, batch, &mut report, now),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            self.record_failure(store, account, &e, &mut report, now);
        }
        report
    }

    async fn read_mailbox(
        &self,
        account: &Account,
        key: Vec<u8>,
        now: Timestamp,
    ) -> Result<Batch, ConnectorError> {
        let (m, secret) = self.mailbox(account).await?;
        let cursor = Cursor::parse(account.cursor.as_deref(), &account.name);
        let w = Window {
            source: source_of(account),
            since: cursor.at.unwrap_or(account.created_at),
            start: account.created_at,
            now,
            cursor,
            courses: Vec::new(),
        };
        let cx = crate::mailbox::Context {
            account: &account.name,
            unsubscribe_key: &key,
        };
        crate::mailbox::fetch(&cx, &m, &secret, &w).await
    }

    async fn read(
        &self,
        account: &Account,
        p: &Provider,
        now: Timestamp,
        courses: Vec<cairn_store::course_platforms::CoursePlatform>,
    ) -> (Result<Batch, ConnectorError>, u32) {
        let settings = match SourceSettings::of(account) {
            Ok(s) => s,
            Err(e) => return (Err(e), 0),
        };
        let secret = match self.source_secret(account, &settings).await {
            Ok(s) => s,
            Err(e) => return (Err(e), 0),
        };
        let cursor = Cursor::parse(account.cursor.as_deref(), &account.name);
        let start = account.created_at;
        let since = cursor.at.map_or(start, |at| at - p.overlap()).max(start);
        let w = Window {
            source: source_of(account),
            since,
            start,
            now,
            cursor,
            courses,
        };
        let mut api = self.api(account, p, &secret);
        let r = match &settings {
            SourceSettings::Stripe(s) => crate::stripe::fetch(&mut api, s, &w).await,
            SourceSettings::Shopify(s) => crate::shopify::fetch(&mut api, s, &w).await,
            SourceSettings::Typeform(s) => crate::typeform::fetch(&mut api, s, &w).await,
            SourceSettings::Tally(s) => crate::tally::fetch(&mut api, s, &w).await,
            SourceSettings::Thinkific(s) => crate::thinkific::fetch(&mut api, s, &w).await,
            SourceSettings::Teachable(s) => crate::teachable::fetch(&mut api, s, &w).await,
            SourceSettings::Mailgun(s) => crate::mailgun::fetch(&mut api, s, &w).await,
            SourceSettings::Postmark(s) => crate::postmark::fetch(&mut api, s, &w).await,
            SourceSettings::JsonFeed(s) => crate::json_feed::fetch(&mut api, s, &w).await,
        };
        (r, api.requests)
    }

    fn record_failure(
        &self,
        store: &mut Store,
        account: &Account,
        e: &ConnectorError,
        report: &mut SyncReport,
        now: Timestamp,
    ) {
        let failures = account.consecutive_failures.saturating_add(1);
        let message = e.to_string();
        // An SMTP account's mailbox never puts the account in "needs
        // attention": that status holds the account's outgoing mail, which
        // a wrong IMAP password must not stop. It is retried with backoff.
        let is_mailbox = provider::of_account(account) == Some(&provider::MAILBOX);
        let (status, next) = if e.needs_attention() && !is_mailbox {
            tracing::warn!(account = %account.name, code = e.code(), error = %message, "the account needs attention; polling stopped");
            report.outcome = SyncOutcome::NeedsAttention {
                code: e.error_code(),
                message: message.clone(),
            };
            (AccountStatus::NeedsAttention, None)
        } else {
            let wait = match e {
                ConnectorError::RateLimited {
                    retry_after: Some(d),
                    ..
                } => *d,
                _ => cairn_engine::backoff(BACKOFF_BASE_SECS, failures, &account.name),
            };
            tracing::warn!(account = %account.name, code = e.code(), error = %message, retry_in_secs = wait.num_seconds(), "poll failed; trying again later");
            report.outcome = SyncOutcome::Failed {
                code: e.error_code(),
                message: message.clone(),
            };
            (AccountStatus::Error, Some(now + wait))
        };
        report.next_poll_at = next;
        let record = PollRecord {
            cursor: account.cursor.clone(),
            last_poll_at: account.last_poll_at,
            next_poll_at: next,
            consecutive_failures: failures,
            status,
            status_message: Some(message),
        };
        let record = keep_hold(store.conn(), account, record);
        if let Err(w) = store.record_poll(account.id, &record, now) {
            tracing::error!(account = %account.name, error = %w, "could not record a failed poll");
        }
    }
}

/// A mailbox poll records its outcome on its SMTP account; if the sender put
/// that account in "needs attention" meanwhile (a refused SMTP login), the
/// hold stays: only the user lifts it.
fn keep_hold(c: &rusqlite::Connection, account: &Account, mut record: PollRecord) -> PollRecord {
    if provider::of_account(account) != Some(&provider::MAILBOX) {
        return record;
    }
    let current: Option<(String, Option<String>)> = c
        .query_row(
            "SELECT status, status_message FROM accounts WHERE id = ?1",
            [account.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .unwrap_or(None);
    if let Some((status, message)) = current
        && status == AccountStatus::NeedsAttention.as_str()
    {
        record.status = AccountStatus::NeedsAttention;
        record.status_message = message;
    }
    record
}

/// The message a successful poll leaves: a fresh staleness warning, or a
/// standing one (status ok with a message) until the user tests the account.
fn message_after_success(account: &Account, warning: &Option<String>) -> Option<String> {
    match warning {
        Some(w) => Some(w.clone()),
        None if account.status == AccountStatus::Ok => account.status_message.clone(),
        None => None,
    }
}

/// Writes a batch, its contacts' changes and the new cursor: all or nothing.
fn commit(
    store: &mut Store,
    account: &Account,
    p: &Provider,
    batch: Batch,
    report: &mut SyncReport,
    now: Timestamp,
) -> Result<(), ConnectorError> {
    let next = now + interval_of(account, p);
    let cursor = batch.cursor.clone();
    let mut ignored = batch.ignored;
    let record = PollRecord {
        cursor: Some(cursor.to_json()),
        last_poll_at: Some(now),
        next_poll_at: Some(next),
        consecutive_failures: 0,
        status: AccountStatus::Ok,
        status_message: message_after_success(account, &report.warning),
    };
    let (new, duplicates) = store.write(|tx| -> Result<(usize, usize), ConnectorError> {
        let (mut new, mut duplicates) = (0, 0);
        for inc in batch.items {
            let mut ev = inc.event;
            let sent_message = match (&inc.sent_message, &inc.sent_to) {
                (Some(k), _) => Some(k.clone()),
                (None, Some(to)) => match last_sent_to_using(tx, to)? {
                    Some(k) => Some(k),
                    None => {
                        ignored.push(format!(
                            "{} about {to}, to whom Cairn sent no email",
                            ev.event_type
                        ));
                        continue;
                    }
                },
                (None, None) => None,
            };
            if let Some(key) = &sent_message {
                match sent_email_using(tx, key)? {
                    Some((template, workflow)) => {
                        if let Some(p) = ev.payload.as_object_mut() {
                            p.insert("email".into(), template.into());
                            if let Some(w) = workflow {
                                p.insert("workflow".into(), w.into());
                            }
                        }
                    }
                    None => {
                        ignored.push(format!(
                            "{} about a message Cairn did not send ({key})",
                            ev.event_type
                        ));
                        continue;
                    }
                }
            }
            if let Some(why) = refused_contact_value(&ev) {
                ignored.push(format!("{} skipped: {why}", ev.event_type));
                continue;
            }
            match events::emit_using(tx, &ev, now)? {
                Appended::Stored { .. } => {
                    new += 1;
                    if let (Some(effect), Some(email)) = (inc.effect, &ev.contact_email) {
                        apply_using(tx, effect, email, &ev.source, &ev.event_type, now)?;
                    }
                }
                Appended::Duplicate { .. } => duplicates += 1,
            }
        }
        let record = keep_hold(tx, account, record);
        record_poll_using(tx, account.id, &record, now)?;
        Ok((new, duplicates))
    })?;
    report.new = new;
    report.duplicates = duplicates;
    report.ignored = ignored.len();
    report.notes = ignored.into_iter().take(NOTES).collect();
    report.cursor_at = cursor.at;
    report.next_poll_at = Some(next);
    report.outcome = SyncOutcome::Synced;
    if new > 0 {
        tracing::info!(account = %account.name, new, duplicates, "events arrived");
    }
    Ok(())
}

/// Why a record must be skipped before it reaches a contact: its email, or
/// a name its payload gives the contact, holds a control character (a line
/// break would reach an email header). One such record is skipped and
/// reported in the poll's notes; the rest of the batch goes in.
fn refused_contact_value(ev: &cairn_model::event::NewEvent) -> Option<String> {
    if let Some(email) = &ev.contact_email
        && let Err(e) = contacts::check_no_control("the email", email.trim())
    {
        return Some(e.to_string());
    }
    for key in ["name", "first_name", "last_name", "email"] {
        if let Some(v) = ev.payload.get(key).and_then(|v| v.as_str())
            && let Err(e) = contacts::check_no_control(&format!("the {key}"), v.trim())
        {
            return Some(e.to_string());
        }
    }
    None
}

/// A bounce marks the contact bounced; a complaint unsubscribes a contact
/// that has not bounced; course progress moves the local enrollment's
/// percentage.
fn apply_using(
    tx: &rusqlite::Connection,
    effect: ContactEffect,
    email: &str,
    source: &str,
    event_type: &str,
    now: Timestamp,
) -> Result<(), ConnectorError> {
    use cairn_store::consent::{Consent, ConsentVia};
    let (id, _) = contacts::ensure_using(tx, email, source, now)?;
    // The consent log says how the subscription ended, and through which account.
    let via = match &effect {
        ContactEffect::CourseProgress { course, percent } => {
            cairn_store::course_platforms::record_progress_using(tx, id, course, *percent)?;
            return Ok(());
        }
        ContactEffect::Bounced => ConsentVia::Bounce,
        ContactEffect::Unsubscribed
            if event_type == cairn_model::event::types::EMAIL_COMPLAINED =>
        {
            ConsentVia::Complaint
        }
        ContactEffect::Unsubscribed => ConsentVia::UnsubscribeLink,
    };
    let how = Consent::new(via, Some(source.to_string()));
    let status = match effect {
        ContactEffect::CourseProgress { .. } => return Ok(()),
        ContactEffect::Bounced => ContactStatus::Bounced,
        ContactEffect::Unsubscribed => {
            let current: String = tx
                .query_row("SELECT status FROM contacts WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .map_err(cairn_store::StoreError::from)?;
            if current == ContactStatus::Bounced.as_str() {
                return Ok(());
            }
            ContactStatus::Unsubscribed
        }
    };
    contacts::set_status_as_using(tx, id, status, &how, now)?;
    Ok(())
}

/// The idempotency key of the latest email Cairn sent to `to`.
fn last_sent_to_using(
    tx: &rusqlite::Connection,
    to: &str,
) -> Result<Option<String>, ConnectorError> {
    tx.prepare_cached(
        "SELECT idempotency_key FROM outbox
          WHERE kind = 'email' AND json_extract(payload, '$.to') = ?1 COLLATE NOCASE
          ORDER BY id DESC LIMIT 1",
    )
    .and_then(|mut st| st.query_row([to.trim()], |r| r.get(0)).optional())
    .map_err(|e| cairn_store::StoreError::from(e).into())
}

/// The template and workflow of the email Cairn sent under idempotency key
/// `key` (the local part of its Message-ID), if Cairn sent it.
fn sent_email_using(
    tx: &rusqlite::Connection,
    key: &str,
) -> Result<Option<(String, Option<String>)>, ConnectorError> {
    let row: Option<(String, Option<String>)> = tx
        .prepare_cached(
            "SELECT o.payload, w.name FROM outbox o
               LEFT JOIN runs r ON r.id = o.run_id
               LEFT JOIN workflows w ON w.id = r.workflow_id
             WHERE o.idempotency_key = ?1 AND o.kind = 'email'",
        )
        .and_then(|mut st| {
            st.query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(cairn_store::StoreError::from)?;
    Ok(row.map(|(payload, workflow)| {
        let template = serde_json::from_str::<serde_json::Value>(&payload)
            .ok()
            .and_then(|v| {
                v.get("template")
                    .and_then(|t| t.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_default();
        (template, workflow)
    }))
}
