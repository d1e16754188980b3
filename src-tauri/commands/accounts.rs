//! Commands behind the Accounts screen: list, add, test, sync now, remove.
//!
//! A secret (an SMTP password, an API key, a Slack webhook URL, a signing
//! secret) arrives once, as a plain argument of an add command, is wrapped
//! in [`Sensitive`] at once and handed to the core function that puts it in
//! the vault. No command returns it, logs it or puts it in an error: the
//! core errors never carry secrets, and the views below hold only whether a
//! secret is stored.
//!
//! Sending accounts (SMTP, webhook, Slack) are added and tested by
//! `cairn_effects::accounts`; accounts polled for events by
//! `cairn_connectors::accounts`. A test records the account's health
//! (`ok`, or "needs attention" with the reason) as `cairn account test` does.

use std::sync::Arc;

use cairn_connectors::batch::Cursor;
use cairn_connectors::{ClockTimer, SourceSettings, SyncOutcome, Syncer};
use cairn_effects::accounts as sending;
use cairn_effects::settings::{SmtpSecurity, SmtpSettings};
use cairn_model::account::AccountKind;
use cairn_model::{Clock, ErrorCode, Sensitive, SystemClock, Timestamp};
use cairn_store::accounts::{Account, AccountStatus};
use cairn_store::course_platforms::CoursePlatform;
use cairn_vault::Vault;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use crate::background::BackgroundHandle;
use crate::{AppState, CommandError};

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

fn vault() -> Result<Vault, CommandError> {
    Ok(Vault::from_env()?)
}

/// Whether an account's secret is in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SecretView {
    Stored,
    Missing,
    /// The vault could not be asked; `code` and `message` say why and what
    /// to do (the vault's own words).
    Unknown {
        code: ErrorCode,
        message: String,
    },
}

/// A connected account as the Accounts screen lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AccountView {
    pub account: Account,
    /// Whether it is polled for events (else it sends).
    pub is_source: bool,
    /// Everything up to this instant has been read (sources only).
    pub cursor_at: Option<Timestamp>,
    /// Not polled for longer than the provider keeps events.
    pub warning: Option<String>,
    pub secret: SecretView,
}

/// How an SMTP connection is protected (`cairn_effects::settings::SmtpSecurity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurityInput {
    None,
    Starttls,
    Tls,
}

/// The SMTP form: every setting but the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SmtpAccountInput {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurityInput,
    pub username: Option<String>,
    pub from: String,
    pub reply_to: Option<String>,
    /// Where "email the owner" goes; the From address when empty.
    pub owner: Option<String>,
    pub rate_per_second: u32,
    pub rate_per_day: u32,
    // The mailbox of the From address, read over IMAP (replies, bounces,
    // complaints, mailto unsubscribes); it logs in with the same password.
    // No mailbox when the host is empty.
    pub imap_host: Option<String>,
    pub imap_port: Option<u16>,
    pub imap_security: Option<SmtpSecurityInput>,
    pub imap_username: Option<String>,
    // Who handles unsubscribes: "mailto" (the default), "postmark", "mailgun".
    pub unsubscribe_via: Option<String>,
}

impl SmtpAccountInput {
    fn into_settings(self) -> SmtpSettings {
        let blank = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let mut s = sending::smtp_settings(
            &self.host,
            self.port,
            match self.security {
                SmtpSecurityInput::None => SmtpSecurity::None,
                SmtpSecurityInput::Starttls => SmtpSecurity::Starttls,
                SmtpSecurityInput::Tls => SmtpSecurity::Tls,
            },
            &self.from,
        );
        s.username = blank(self.username);
        s.reply_to = blank(self.reply_to);
        s.owner = blank(self.owner);
        s.rate_per_second = self.rate_per_second;
        s.rate_per_day = self.rate_per_day;
        if let Some(host) = blank(self.imap_host) {
            s.imap = Some(cairn_model::account::MailboxSettings {
                host,
                port: self.imap_port.unwrap_or(993),
                security: match self.imap_security.unwrap_or(SmtpSecurityInput::Tls) {
                    SmtpSecurityInput::None => cairn_model::account::MailSecurity::None,
                    SmtpSecurityInput::Starttls => cairn_model::account::MailSecurity::Starttls,
                    SmtpSecurityInput::Tls => cairn_model::account::MailSecurity::Tls,
                },
                username: blank(self.imap_username)
                    .or_else(|| s.username.clone())
                    .unwrap_or_default(),
                folder: "INBOX".into(),
                own_password: false,
            });
        }
        s.unsubscribe_via = self
            .unsubscribe_via
            .as_deref()
            .and_then(cairn_effects::settings::UnsubscribeVia::parse)
            .unwrap_or_default();
        s
    }
}

/// How a "sync now" ended ([`cairn_connectors::SyncOutcome`] without its details).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    Synced,
    Failed,
    NeedsAttention,
    Skipped,
}

/// What "sync now" did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SyncSummary {
    pub outcome: SyncStatus,
    /// Why it failed or needs attention.
    pub code: Option<ErrorCode>,
    pub message: Option<String>,
    /// Events stored for the first time.
    #[ts(type = "number")]
    pub new: usize,
    #[ts(type = "number")]
    pub duplicates: usize,
    #[ts(type = "number")]
    pub ignored: usize,
    pub notes: Vec<String>,
    pub warning: Option<String>,
    pub cursor_at: Option<Timestamp>,
}

/// The view of one stored account.
pub fn view(account: Account, vault: &Vault, now: Timestamp) -> AccountView {
    let is_source = account.kind.is_source();
    let cursor_at = if is_source {
        Cursor::parse(account.cursor.as_deref(), &account.name).at
    } else {
        None
    };
    let warning = if is_source {
        cairn_connectors::sync::staleness(&account, now)
    } else {
        None
    };
    let secret = match vault.find(&account.name) {
        Ok(Some(_)) => SecretView::Stored,
        Ok(None) => SecretView::Missing,
        Err(e) => SecretView::Unknown {
            code: e.error_code(),
            message: e.to_string(),
        },
    };
    AccountView {
        account,
        is_source,
        cursor_at,
        warning,
        secret,
    }
}

/// Every connected account, with whether its secret is stored.
#[tauri::command]
pub async fn list_accounts(state: State<'_, AppState>) -> Result<Vec<AccountView>, CommandError> {
    let vault = vault()?;
    state
        .database()
        .with_store(move |s| {
            let now = SystemClock.now();
            Ok(s.accounts()?
                .into_iter()
                .map(|a| view(a, &vault, now))
                .collect())
        })
        .await
}

/// Adds an SMTP account; `password` goes to the vault.
#[tauri::command]
pub async fn add_smtp_account(
    state: State<'_, AppState>,
    name: String,
    settings: SmtpAccountInput,
    password: Option<String>,
) -> Result<Account, CommandError> {
    let vault = vault()?;
    let password = password.filter(|p| !p.is_empty()).map(Sensitive::new);
    state
        .database()
        .with_store(move |s| {
            Ok(sending::add_smtp(
                s,
                &vault,
                &name,
                settings.into_settings(),
                password,
                SystemClock.now(),
            )?)
        })
        .await
}

/// Adds a webhook account; its signing secret (if any) goes to the vault.
#[tauri::command]
pub async fn add_webhook_account(
    state: State<'_, AppState>,
    name: String,
    signing_secret: Option<String>,
) -> Result<Account, CommandError> {
    let vault = vault()?;
    let secret = signing_secret.filter(|p| !p.is_empty()).map(Sensitive::new);
    state
        .database()
        .with_store(move |s| {
            Ok(sending::add_webhook(
                s,
                &vault,
                &name,
                secret,
                SystemClock.now(),
            )?)
        })
        .await
}

/// Adds a Slack account; its incoming-webhook URL goes to the vault.
#[tauri::command]
pub async fn add_slack_account(
    state: State<'_, AppState>,
    name: String,
    webhook_url: String,
) -> Result<Account, CommandError> {
    let vault = vault()?;
    let url = Sensitive::new(webhook_url);
    state
        .database()
        .with_store(move |s| {
            Ok(sending::add_slack(
                s,
                &vault,
                &name,
                url,
                SystemClock.now(),
            )?)
        })
        .await
}

/// Adds an account polled for events (Stripe, Shopify, Typeform, Tally, Mailgun, a
/// JSON feed); `settings` as stored, checked by the connector; `secret` (an
/// API key, an access token) goes to the vault.
#[tauri::command]
pub async fn add_source_account(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    name: String,
    kind: AccountKind,
    settings: serde_json::Value,
    poll_interval_secs: Option<i64>,
    secret: Option<String>,
) -> Result<Account, CommandError> {
    let vault = vault()?;
    let secret = secret.filter(|p| !p.is_empty()).map(Sensitive::new);
    let account = state
        .database()
        .with_store(move |s| {
            let parsed = SourceSettings::parse(kind, &settings, &name)?;
            Ok(cairn_connectors::accounts::add(
                s,
                &vault,
                &name,
                &parsed,
                poll_interval_secs,
                secret,
                SystemClock.now(),
            )?)
        })
        .await?;
    // The poller looks at the new account at its next turn.
    background.wake();
    Ok(account)
}

/// Tests an account (SMTP logs in; a source makes one request to its
/// provider; Slack and webhooks read their secret back) and records its
/// health. Returns what was proven, in words; a failure is the error, and
/// the account is marked "needs attention" with it.
#[tauri::command]
pub async fn test_account(
    state: State<'_, AppState>,
    name: String,
) -> Result<String, CommandError> {
    let db = state.database();
    let vault = vault()?;
    let lookup = name.clone();
    let account = db.with_store(move |s| Ok(s.account(&lookup)?)).await?;
    // A mailbox that cannot be read leaves the account in "error", not
    // "needs attention", which would hold its outgoing mail.
    let mut mailbox_failed = false;
    let result: Result<String, CommandError> =
        if cairn_connectors::provider::of(account.kind).is_some() {
            cairn_connectors::accounts::test(&account, &vault, clock())
                .await
                .map_err(Into::into)
        } else {
            match sending::test(&account, &vault).await {
                // An SMTP account's mailbox is tested with it.
                Ok(m) if cairn_connectors::provider::of_account(&account).is_some() => {
                    cairn_connectors::accounts::test(&account, &vault, clock())
                        .await
                        .map(|read| format!("{m}; mailbox: {read}"))
                        .map_err(|e| {
                            mailbox_failed = true;
                            e.into()
                        })
                }
                other => other.map_err(Into::into),
            }
        };
    let (status, message) = match &result {
        Ok(_) => (AccountStatus::Ok, None),
        Err(e) if mailbox_failed => (AccountStatus::Error, Some(e.message.clone())),
        Err(e) => (AccountStatus::NeedsAttention, Some(e.message.clone())),
    };
    let account_name = account.name.clone();
    db.with_store(move |s| {
        Ok(s.set_account_status(&account_name, status, message.as_deref(), SystemClock.now())?)
    })
    .await?;
    result
}

/// Polls a source account now; wakes the executor when events came in.
#[tauri::command]
pub async fn sync_account(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    name: String,
) -> Result<SyncSummary, CommandError> {
    let vault = vault()?;
    let mut store = state.database().open()?;
    let account = store.account(&name)?;
    let clock = clock();
    let syncer = Syncer::new(vault, clock.clone(), Arc::new(ClockTimer::new(clock)))?;
    let report = syncer.sync(&mut store, &account).await;
    if report.new > 0 {
        background.wake();
    }
    let (outcome, code, message) = match report.outcome {
        SyncOutcome::Synced => (SyncStatus::Synced, None, None),
        SyncOutcome::Failed { code, message } => (SyncStatus::Failed, Some(code), Some(message)),
        SyncOutcome::NeedsAttention { code, message } => {
            (SyncStatus::NeedsAttention, Some(code), Some(message))
        }
        SyncOutcome::Skipped { reason } => (SyncStatus::Skipped, None, Some(reason)),
    };
    Ok(SyncSummary {
        outcome,
        code,
        message,
        new: report.new,
        duplicates: report.duplicates,
        ignored: report.ignored,
        notes: report.notes,
        warning: report.warning,
        cursor_at: report.cursor_at,
    })
}

/// Removes an account and its secret (the keyring entry first).
#[tauri::command]
pub async fn remove_account(state: State<'_, AppState>, name: String) -> Result<(), CommandError> {
    let vault = vault()?;
    state
        .database()
        .with_store(move |s| {
            sending::remove(s, &vault, &name)?;
            Ok(())
        })
        .await
}

/// The courses linked to a course platform account (Thinkific, Teachable).
#[tauri::command]
pub async fn linked_courses(
    state: State<'_, AppState>,
    account: String,
) -> Result<Vec<CoursePlatform>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.linked_courses(&account)?))
        .await
}

/// Links a course (made if missing) to a course platform account and the
/// course's id there, or makes it local again (`link: None`): enrolments in
/// it then reach the platform, or stay in Cairn.
#[tauri::command]
pub async fn link_course(
    state: State<'_, AppState>,
    course: String,
    link: Option<CourseLink>,
) -> Result<Option<CoursePlatform>, CommandError> {
    state
        .database()
        .with_store(move |s| {
            let link = link
                .as_ref()
                .map(|l| (l.account.as_str(), l.platform_course_id.as_str()));
            Ok(s.link_course(&course, link, SystemClock.now())?)
        })
        .await
}

/// Where a course is to live: the platform account and the course's id there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CourseLink {
    pub account: String,
    pub platform_course_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_store::Store;

    fn smtp_input() -> SmtpAccountInput {
        SmtpAccountInput {
            host: "127.0.0.1".into(),
            port: 2525,
            security: SmtpSecurityInput::None,
            username: Some("ada".into()),
            from: "Ada <ada@example.com>".into(),
            reply_to: Some(" ".into()),
            owner: None,
            rate_per_second: 2,
            rate_per_day: 100,
            imap_host: None,
            imap_port: None,
            imap_security: None,
            imap_username: None,
            unsubscribe_via: None,
        }
    }

    #[test]
    fn the_form_becomes_the_effects_settings() {
        let s = smtp_input().into_settings();
        assert_eq!(s.username.as_deref(), Some("ada"));
        assert_eq!(s.reply_to, None, "a blank Reply-To is no Reply-To");
        assert_eq!((s.rate_per_second, s.rate_per_day), (2, 100));
        assert_eq!(s.security, SmtpSecurity::None);
        assert_eq!(s.imap, None);
        let s = SmtpAccountInput {
            imap_host: Some(" imap.example.com ".into()),
            unsubscribe_via: Some("postmark".into()),
            ..smtp_input()
        }
        .into_settings();
        let m = s.imap.unwrap();
        assert_eq!(
            (m.host.as_str(), m.port, m.username.as_str()),
            ("imap.example.com", 993, "ada")
        );
        assert_eq!(m.security, cairn_model::account::MailSecurity::Tls);
        assert_eq!(
            s.unsubscribe_via,
            cairn_effects::settings::UnsubscribeVia::Postmark
        );
    }

    #[test]
    fn a_listed_account_says_where_its_secret_is_and_never_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::secrets_file(dir.path().join("secrets.json")).unwrap();
        let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
        let now = SystemClock.now();
        sending::add_smtp(
            &mut store,
            &vault,
            "mail",
            smtp_input().into_settings(),
            Some(Sensitive::new("hunter2-secret".into())),
            now,
        )
        .unwrap();
        let v = view(store.account("mail").unwrap(), &vault, now);
        assert_eq!(v.secret, SecretView::Stored);
        assert!(!v.is_source);
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("hunter2-secret"), "{json}");
        assert!(json.contains("ada@example.com"), "{json}");
    }

    #[test]
    fn a_source_shows_how_far_its_sync_got() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::secrets_file(dir.path().join("secrets.json")).unwrap();
        let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
        let now = SystemClock.now();
        let settings = SourceSettings::parse(
            AccountKind::Typeform,
            &serde_json::json!({"form_id": "u6nXL7"}),
            "forms",
        )
        .unwrap();
        cairn_connectors::accounts::add(
            &mut store,
            &vault,
            "forms",
            &settings,
            None,
            Some(Sensitive::new("tfp_token".into())),
            now,
        )
        .unwrap();
        let at = now - chrono::Duration::minutes(5);
        store
            .conn()
            .execute(
                "UPDATE accounts SET cursor = ?1 WHERE name = 'forms'",
                [Cursor {
                    at: Some(at),
                    token: None,
                }
                .to_json()],
            )
            .unwrap();
        let v = view(store.account("forms").unwrap(), &vault, now);
        assert!(v.is_source);
        assert_eq!(
            v.cursor_at.map(|t| t.timestamp_millis()),
            Some(at.timestamp_millis())
        );
        assert_eq!(v.warning, None);
    }
}
