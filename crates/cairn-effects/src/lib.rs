//! What leaves the machine: email over SMTP, webhooks over HTTP, Slack
//! messages, desktop notifications and course access on a course platform, each through a connected account
//! whose secret is read from the [`Vault`] at the moment of sending.
//!
//! The engine renders every effect into the outbox and, for each entry that
//! falls due, asks a [`cairn_engine::Sender`] to deliver it. [`Effects`] is
//! the real one: it dispatches on the effect's kind, reads the account's
//! settings from the store and its secret from the vault, applies the
//! account's rate limits, delivers, and turns what the other side said into
//! an honest [`SendOutcome`] (sent, retry, failed, bounced, deferred, or a
//! fault of the account, which holds the account's queue instead of failing
//! the message). Retries, backoff, holds and the outbox's bookkeeping are
//! the engine's.
//!
//! The dispatcher calls [`Effects`] for many entries at once (see
//! `cairn_engine::executor`); nothing here holds a lock across an await.
//! Data that cannot go into a message (a contact name with a line break)
//! fails that message alone, with the field named.
//!
//! Invariants:
//! - A secret is read from the vault for one send and handed to lettre or
//!   reqwest; it is never logged, stored, or put in an outcome's text.
//! - No wall clock: every function that needs the time takes `now`.
//! - Test mode and dry runs are decided by the engine; [`Effects`] checks
//!   them again (a test run sends only email, a dry run nothing) as a
//!   second line of defence.

pub mod accounts;
pub mod course;
pub mod email;
mod error;
pub mod http;
pub mod limit;
pub mod notify;
pub mod settings;
pub mod slack;
pub mod smtp;
pub mod webhook;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use cairn_engine::{OutboxEntry, SendOutcome, Sender, sender::SendFuture};
use cairn_model::account::AccountKind;
use cairn_model::effect::{
    CourseAccess, Effect, EmailMessage, RunMode, SlackMessage, WebhookRequest,
};
use cairn_model::workflow::HeaderSecret;
use cairn_model::{Sensitive, Timestamp};
use cairn_store::accounts::{Account, AccountStatus};
use cairn_store::{Store, StoreError};
pub use cairn_vault::Vault;

pub use error::EffectsError;
pub use notify::{LogNotifier, Notifier};

use crate::limit::{RateLimiter, RateLimits};
use crate::settings::{SmtpSettings, WebhookSettings};

/// The real sender: delivers outbox entries of every kind.
pub struct Effects {
    /// Its own connection (see `cairn_store`: one `Store` per user of the
    /// database). Locked only between awaits, never across one.
    store: Arc<Mutex<Store>>,
    vault: Vault,
    notifier: Arc<dyn Notifier>,
    http: reqwest::Client,
    transports: email::Transports,
    limiter: Mutex<RateLimiter>,
}

impl std::fmt::Debug for Effects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Effects")
            .field("vault", &self.vault)
            .finish_non_exhaustive()
    }
}

impl Effects {
    /// Senders over the database at `db` (for account settings and the
    /// rate limits' send counts), the `vault` (for secrets) and a
    /// `notifier` (for desktop notifications).
    pub fn open(
        db: impl AsRef<Path>,
        vault: Vault,
        notifier: Arc<dyn Notifier>,
    ) -> Result<Effects, EffectsError> {
        let store = Store::open(db)?;
        let http = http::client().map_err(EffectsError::HttpClient)?;
        Ok(Effects {
            store: Arc::new(Mutex::new(store)),
            vault,
            notifier,
            http,
            transports: email::Transports::default(),
            limiter: Mutex::new(RateLimiter::new()),
        })
    }

    /// Runs `f` on the store on a blocking thread: SQLite never runs on
    /// the async runtime's workers, where it would stall other sends.
    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> Result<T, SendOutcome> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut s)
        })
        .await
        .map_err(|e| SendOutcome::Retry {
            error: format!("reading the account stopped: {e}"),
            retry_after: None,
        })
    }

    fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        self.limiter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delivers one entry. See the module docs.
    pub async fn deliver(&self, entry: &OutboxEntry, now: Timestamp) -> SendOutcome {
        let kind = entry.effect.kind();
        if let Some(refusal) = refuse_by_mode(entry) {
            tracing::warn!(
                entry = entry.id,
                kind,
                mode = entry.mode.as_str(),
                "refused to send"
            );
            return refusal;
        }
        let outcome = match &entry.effect {
            Effect::Email(m) => self.send_email(entry, m, now).await,
            Effect::Webhook(w) => self.send_webhook(entry, w, now).await,
            Effect::Slack(s) => self.send_slack(entry, s, now).await,
            Effect::Course(c) => self.send_course(c, now).await,
            Effect::Desktop(d) => match self.notifier.notify(d) {
                Ok(()) => SendOutcome::Sent { detail: None },
                Err(e) => SendOutcome::Failed {
                    error: format!("the desktop notification could not be shown: {e}"),
                },
            },
        };
        log_outcome(entry, &outcome);
        outcome
    }

    async fn account(&self, name: &str) -> Result<Account, SendOutcome> {
        let n = name.to_string();
        match self.with_store(move |s| s.account(&n)).await? {
            Ok(a) => Ok(a),
            Err(StoreError::NotFound { .. }) => Err(SendOutcome::Failed {
                error: format!(
                    "no connected account named {name:?}; add it on the Accounts screen or with `cairn account add`"
                ),
            }),
            Err(e) => Err(store_failure(e)),
        }
    }

    /// The account's secret, read on a blocking thread (the keyring does a
    /// D-Bus round trip). `None` when none is stored.
    async fn secret(&self, account: &str) -> Result<Option<Sensitive<String>>, SendOutcome> {
        let vault = self.vault.clone();
        let name = account.to_string();
        match tokio::task::spawn_blocking(move || vault.find(&name)).await {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) if e.is_retryable() => Err(SendOutcome::Retry {
                error: e.to_string(),
                retry_after: None,
            }),
            Ok(Err(e)) => Err(SendOutcome::Failed {
                error: e.to_string(),
            }),
            Err(e) => Err(SendOutcome::Retry {
                error: format!("the vault lookup stopped: {e}"),
                retry_after: None,
            }),
        }
    }

    /// A secret the account needs is not stored: the account's fault.
    fn missing_secret(&self, account: &str, what: &str) -> SendOutcome {
        SendOutcome::AccountFault {
            account: account.to_string(),
            error: format!(
                "account {account:?} has no {what} in {}; add the account again to store it",
                self.vault.describe()
            ),
        }
    }

    /// Records an account's health after a send that says something about it.
    async fn flag(
        &self,
        account: &Account,
        status: AccountStatus,
        message: Option<&str>,
        now: Timestamp,
    ) {
        if account.status == status && account.status_message.as_deref() == message {
            return;
        }
        let (name, msg) = (account.name.clone(), message.map(str::to_string));
        let done = self
            .with_store(move |s| s.set_account_status(&name, status, msg.as_deref(), now))
            .await;
        if let Ok(Err(e)) = done {
            tracing::warn!(account = %account.name, error = %e, "could not record the account's status");
        }
    }

    async fn send_email(
        &self,
        entry: &OutboxEntry,
        m: &EmailMessage,
        now: Timestamp,
    ) -> SendOutcome {
        let account = match self.account(&m.account).await {
            Ok(a) => a,
            Err(o) => return o,
        };
        let settings = match SmtpSettings::of(&account) {
            Ok(s) => s,
            Err(e) => {
                return SendOutcome::Failed {
                    error: e.to_string(),
                };
            }
        };
        let limits = RateLimits {
            per_second: settings.rate_per_second,
            per_day: settings.rate_per_day,
        };
        if let Err(o) = self.admit("email", &account, entry, limits, now).await {
            return o;
        }
        let outcome = self.send_admitted_email(&account, &settings, m, now).await;
        self.settle(&account.name, entry, &outcome);
        outcome
    }

    /// Admits `entry` through `account` within `limits`, or says when it may
    /// go ([`SendOutcome::Deferred`]). `what` names the kind of send in the
    /// reason ("email", "webhook", "Slack message").
    async fn admit(
        &self,
        what: &str,
        account: &Account,
        entry: &OutboxEntry,
        limits: RateLimits,
        now: Timestamp,
    ) -> Result<(), SendOutcome> {
        // Without limits there is nothing to count.
        if limits.none() {
            return Ok(());
        }
        let name = account.name.clone();
        let kind = entry.effect.kind();
        let since = now.checked_sub_signed(limit::DAY).unwrap_or(now);
        let recorded = match self
            .with_store(move |s| s.sends_since(kind, &name, since))
            .await?
        {
            Ok(r) => r,
            Err(e) => return Err(store_failure(e)),
        };
        self.limiter()
            .admit_one(what, &account.name, entry.id, now, limits, &recorded)
            .map_err(|d| SendOutcome::Deferred {
                until: d.until,
                reason: d.reason,
            })
    }

    /// Gives an admitted send's slot back when it did not go out.
    fn settle(&self, account: &str, entry: &OutboxEntry, outcome: &SendOutcome) {
        if !matches!(outcome, SendOutcome::Sent { .. }) {
            self.limiter().release(account, entry.id);
        }
    }

    async fn send_admitted_email(
        &self,
        account: &Account,
        settings: &SmtpSettings,
        m: &EmailMessage,
        now: Timestamp,
    ) -> SendOutcome {
        let password = if settings.username.is_some() {
            match self.secret(&account.name).await {
                Ok(Some(p)) => Some(p),
                Ok(None) => return self.missing_secret(&account.name, "SMTP password"),
                Err(o) => return o,
            }
        } else {
            None
        };
        // A second line of defence: whatever in the data makes the builder
        // panic fails this message alone.
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            email::build_message(&account.name, settings, m, now)
        }));
        let message = match built {
            Ok(Ok(msg)) => msg,
            Ok(Err(error)) => return SendOutcome::Failed { error },
            Err(_) => {
                return SendOutcome::Failed {
                    error: "the email could not be built from its data (a header lettre cannot write); check the contact's name and the subject".into(),
                };
            }
        };
        let transport = match self.transports.get(&account.name, settings, password) {
            Ok(t) => t,
            Err(e) => {
                return SendOutcome::AccountFault {
                    account: account.name.clone(),
                    error: e.to_string(),
                };
            }
        };
        let outcome = email::deliver(&account.name, &transport, message).await;
        if let SendOutcome::Sent { .. } = &outcome {
            self.flag(account, AccountStatus::Ok, None, now).await;
        }
        outcome
    }

    /// The value of a header that names a webhook account's secret: the
    /// prefix and the secret, read from the vault for this one request.
    async fn header_secret(&self, r: &HeaderSecret) -> Result<Sensitive<String>, SendOutcome> {
        let account = self.account(&r.secret).await?;
        if let Err(e) = settings::expect_kind(
            &account,
            AccountKind::Webhook,
            "it holds no secret for a webhook header",
        ) {
            return Err(SendOutcome::Failed {
                error: e.to_string(),
            });
        }
        match self.secret(&account.name).await? {
            Some(v) => Ok(Sensitive::new(format!("{}{}", r.prefix, v.expose()))),
            None => Err(self.missing_secret(&account.name, "secret for the webhook header")),
        }
    }

    async fn send_webhook(
        &self,
        entry: &OutboxEntry,
        w: &WebhookRequest,
        now: Timestamp,
    ) -> SendOutcome {
        let mut limited: Option<Account> = None;
        let secret = match &w.signing_account {
            None => None,
            Some(name) => {
                let account = match self.account(name).await {
                    Ok(a) => a,
                    Err(o) => return o,
                };
                match WebhookSettings::of(&account) {
                    Ok(s) if s.signed => {}
                    Ok(_) => {
                        return SendOutcome::AccountFault {
                            account: account.name.clone(),
                            error: format!(
                                "webhook account {:?} has no signing secret, so the request was not sent unsigned; add the account again with --signing-secret-stdin",
                                account.name
                            ),
                        };
                    }
                    Err(e) => {
                        return SendOutcome::Failed {
                            error: e.to_string(),
                        };
                    }
                }
                let secret = match self.secret(&account.name).await {
                    Ok(Some(s)) => Some(s),
                    Ok(None) => return self.missing_secret(&account.name, "signing secret"),
                    Err(o) => return o,
                };
                limited = Some(account);
                secret
            }
        };
        let mut secret_headers = Vec::with_capacity(w.secret_headers.len());
        for (header, reference) in &w.secret_headers {
            match self.header_secret(reference).await {
                Ok(v) => secret_headers.push((header.clone(), v)),
                Err(o) => return o,
            }
        }
        // The account that signs the webhook counts it against its limits.
        if let Some(account) = &limited {
            let limits = match limit::limits_of(account) {
                Ok(l) => l,
                Err(e) => {
                    return SendOutcome::Failed {
                        error: e.to_string(),
                    };
                }
            };
            if let Err(o) = self.admit("webhook", account, entry, limits, now).await {
                return o;
            }
        }
        let outcome = webhook::deliver(
            &self.http,
            w,
            &secret_headers,
            &entry.idempotency_key,
            secret.as_ref(),
            now,
        )
        .await;
        let outcome = match (outcome, &w.signing_account) {
            // The receiver refused the signed request's credentials: the
            // webhook account's secret is wrong, for every request.
            (SendOutcome::Failed { error }, Some(account))
                if error.contains("HTTP 401") || error.contains("HTTP 403") =>
            {
                SendOutcome::AccountFault {
                    account: account.clone(),
                    error,
                }
            }
            (o, _) => o,
        };
        if let Some(account) = &limited {
            self.settle(&account.name, entry, &outcome);
        }
        outcome
    }

    async fn send_slack(
        &self,
        entry: &OutboxEntry,
        s: &SlackMessage,
        now: Timestamp,
    ) -> SendOutcome {
        let account = match self.account(&s.account).await {
            Ok(a) => a,
            Err(o) => return o,
        };
        if let Err(e) =
            settings::expect_kind(&account, AccountKind::Slack, "it cannot post to Slack")
        {
            return SendOutcome::Failed {
                error: e.to_string(),
            };
        }
        let url = match self.secret(&account.name).await {
            Ok(Some(u)) => u,
            Ok(None) => return self.missing_secret(&account.name, "Slack webhook URL"),
            Err(o) => return o,
        };
        let limits = match limit::limits_of(&account) {
            Ok(l) => l,
            Err(e) => {
                return SendOutcome::Failed {
                    error: e.to_string(),
                };
            }
        };
        if let Err(o) = self
            .admit("Slack message", &account, entry, limits, now)
            .await
        {
            return o;
        }
        let outcome = slack::deliver(&self.http, &account.name, &url, &s.text, now).await;
        self.settle(&account.name, entry, &outcome);
        match outcome {
            SendOutcome::Sent { .. } => {
                self.flag(&account, AccountStatus::Ok, None, now).await;
                outcome
            }
            // Slack answers 401/403/404/410 for a revoked, unknown or
            // archived hook: only a new URL helps, for every message.
            SendOutcome::Failed { error }
                if ["HTTP 401", "HTTP 403", "HTTP 404", "HTTP 410"]
                    .iter()
                    .any(|c| error.contains(c)) =>
            {
                SendOutcome::AccountFault {
                    account: account.name.clone(),
                    error,
                }
            }
            o => o,
        }
    }
}

impl Effects {
    async fn send_course(&self, c: &CourseAccess, now: Timestamp) -> SendOutcome {
        let account = match self.account(&c.account).await {
            Ok(a) => a,
            Err(o) => return o,
        };
        let key = match self.secret(&account.name).await {
            Ok(Some(k)) => k,
            Ok(None) => return self.missing_secret(&account.name, "API key"),
            Err(o) => return o,
        };
        let change = match course::deliver(&self.http, &account, &key, c, now).await {
            Ok(ch) => ch,
            Err(o) => return o,
        };
        self.flag(&account, AccountStatus::Ok, None, now).await;
        // The platform's ids on the local row: written after the platform
        // answered, and again (the same) by a resend after a crash.
        if let (Some(contact), Some(user)) = (c.contact_id, change.user_id.clone()) {
            let (course, enrollment) = (c.course.clone(), change.enrollment_id.clone());
            let done = self
                .with_store(move |s| {
                    s.record_platform_ids(contact, &course, &user, enrollment.as_deref())
                })
                .await;
            if let Ok(Err(e)) = done {
                tracing::warn!(account = %account.name, error = %e, "could not record the platform's enrollment ids");
            }
        }
        SendOutcome::Sent {
            detail: Some(change.answer),
        }
    }
}

impl Sender for Effects {
    fn send<'a>(&'a self, entry: &'a OutboxEntry, now: Timestamp) -> SendFuture<'a> {
        Box::pin(self.deliver(entry, now))
    }
}

/// The second line of defence behind the engine's own mode handling.
fn refuse_by_mode(entry: &OutboxEntry) -> Option<SendOutcome> {
    let kind = entry.effect.kind();
    match entry.mode {
        RunMode::Live => None,
        RunMode::DryRun => Some(SendOutcome::Failed {
            error: format!("dry run: nothing leaves the machine, so this {kind} was not sent"),
        }),
        RunMode::Test if matches!(entry.effect, Effect::Email(_)) => None,
        RunMode::Test => Some(SendOutcome::Failed {
            error: format!(
                "test mode sends only email, to the test contact, so this {kind} was not sent"
            ),
        }),
    }
}

fn store_failure(e: StoreError) -> SendOutcome {
    if e.is_retryable() {
        SendOutcome::Retry {
            error: e.to_string(),
            retry_after: None,
        }
    } else {
        SendOutcome::Failed {
            error: e.to_string(),
        }
    }
}

fn log_outcome(entry: &OutboxEntry, outcome: &SendOutcome) {
    let kind = entry.effect.kind();
    let account = entry.effect.account().unwrap_or("");
    match outcome {
        SendOutcome::Sent { detail } => {
            tracing::info!(
                entry = entry.id,
                kind,
                account,
                detail = detail.as_deref().unwrap_or(""),
                "sent"
            )
        }
        SendOutcome::Retry { error, retry_after } => tracing::warn!(
            entry = entry.id,
            kind,
            account,
            error = %error,
            retry_after_secs = retry_after.map(|d| d.num_seconds()),
            "temporary failure"
        ),
        SendOutcome::Failed { error } => {
            tracing::warn!(entry = entry.id, kind, account, error = %error, "failed")
        }
        SendOutcome::Bounced { error } => {
            tracing::warn!(entry = entry.id, kind, account, error = %error, "bounced")
        }
        SendOutcome::Deferred { until, reason } => {
            tracing::info!(entry = entry.id, kind, account, until = %until, reason = %reason, "deferred")
        }
        SendOutcome::Unreachable { error } => {
            tracing::info!(entry = entry.id, kind, account, error = %error, "unreachable; kept in the queue")
        }
        SendOutcome::AccountFault { error, .. } => {
            tracing::warn!(entry = entry.id, kind, account, error = %error, "the account needs attention; its sends are held")
        }
    }
}
