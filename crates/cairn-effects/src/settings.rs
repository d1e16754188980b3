//! The typed settings of the accounts this crate sends through, as stored in
//! the `accounts.settings` JSON column. Nothing here is secret: the SMTP
//! password, the Slack webhook URL and the webhook signing secret live in
//! the vault under the account's name.
//!
//! SMTP settings keys (all under `settings`):
//!
//! | key | meaning | default |
//! | --- | --- | --- |
//! | `host`, `port` | the submission server | — |
//! | `security` | `none`, `starttls` or `tls` (implicit TLS, port 465) | — |
//! | `username` | the login; the password is the account's vault secret | no login |
//! | `from` | `Name <address>` or `address`; the From header | — |
//! | `reply_to` | the Reply-To header | none |
//! | `owner` | where "email the owner" goes ([`OWNER_KEY`]) | the From address |
//! | `rate_per_second` | sends allowed per second, 0 for no limit | 1 |
//! | `rate_per_day` | sends allowed per rolling 24 hours, 0 for no limit | 500 |
//! | `extra_root_certificate` | a PEM file of a CA to trust besides the system's (a private CA; the tests' self-signed server) | none |
//! | `imap` | the From address's mailbox, read over IMAP ([`MailboxSettings`]) | none |
//! | `unsubscribe_via` | `mailto`, `postmark` or `mailgun` ([`UnsubscribeVia`]) | `mailto` |
//! | `timeout_secs` | connect and command timeout, at most [`MAX_TIMEOUT_SECS`] | 30 |
//! | `pool_size` | messages sent at a time through the account, each over a kept-open connection (1–64) | 4 |
//!
//! Webhook and Slack accounts take `rate_per_second` and `rate_per_day`
//! too (default 0, no limit; see `limit::RateSettings`); a webhook counts
//! against the account that signs it.
//!
//! The daily default is Gmail's documented limit for a consumer account
//! (about 500 recipients a day; Google Workspace allows 2,000). Gmail counts
//! over a rolling 24 hours, and so does Cairn.

use std::path::PathBuf;

use cairn_model::account::{AccountKind, MailboxSettings};
use cairn_store::accounts::Account;
use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};

use crate::EffectsError;

/// The settings key the engine reads for "email the owner"
/// (see also `cairn_store::accounts::Account::owner_address`).
pub const OWNER_KEY: &str = "owner";

pub const DEFAULT_RATE_PER_SECOND: u32 = 1;
pub const DEFAULT_RATE_PER_DAY: u32 = 500;
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// The longest SMTP timeout accepted: a server slower than this per command
/// is as good as down.
pub const MAX_TIMEOUT_SECS: u64 = 300;
/// The most connections one account may keep (its `pool_size`).
pub const MAX_POOL_SIZE: u32 = 64;

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain text. Allowed with a password only towards this machine.
    None,
    /// Plain connect, then STARTTLS (required, never opportunistic).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl SmtpSecurity {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Some(SmtpSecurity::None),
            "starttls" => Some(SmtpSecurity::Starttls),
            "tls" | "ssl" => Some(SmtpSecurity::Tls),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::None => "none",
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
        }
    }
}

fn default_per_second() -> u32 {
    DEFAULT_RATE_PER_SECOND
}
fn default_per_day() -> u32 {
    DEFAULT_RATE_PER_DAY
}
fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

/// Who handles the unsubscribe link and `List-Unsubscribe` header of
/// marketing mail (docs/accounts.md, "Unsubscribes").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsubscribeVia {
    /// `mailto:<From>?subject=unsubscribe <token>`, read back from the
    /// account's mailbox (its `imap` setting).
    #[default]
    Mailto,
    /// Postmark's broadcast stream: the link is Postmark's
    /// `{{{ pm:unsubscribe }}}`, and Postmark adds `List-Unsubscribe` with
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058); a
    /// Postmark account polls the unsubscribes.
    Postmark,
    /// Mailgun's unsubscribe tracking: the link is `%unsubscribe_url%`, and
    /// Mailgun adds the one-click headers; a Mailgun account polls the
    /// unsubscribes.
    Mailgun,
}

impl UnsubscribeVia {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mailto" => Some(UnsubscribeVia::Mailto),
            "postmark" => Some(UnsubscribeVia::Postmark),
            "mailgun" => Some(UnsubscribeVia::Mailgun),
            _ => None,
        }
    }
    /// The provider's placeholder for the recipient's unsubscribe link.
    pub fn placeholder(self) -> Option<&'static str> {
        match self {
            UnsubscribeVia::Mailto => None,
            UnsubscribeVia::Postmark => Some("{{{ pm:unsubscribe }}}"),
            UnsubscribeVia::Mailgun => Some("%unsubscribe_url%"),
        }
    }
    fn is_mailto(&self) -> bool {
        *self == UnsubscribeVia::Mailto
    }
}

/// An SMTP account's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Filled with the From address when the account is added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default = "default_per_second")]
    pub rate_per_second: u32,
    #[serde(default = "default_per_day")]
    pub rate_per_day: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_root_certificate: Option<PathBuf>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Messages sent at a time (connections kept open); the default when
    /// absent is `cairn_engine::sender::DEFAULT_SMTP_POOL`. The dispatcher
    /// reads the same key to size the account's lane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<u32>,
    /// The mailbox of the From address, read over IMAP for replies,
    /// bounces, complaints and mailto unsubscribes (cairn-connectors'
    /// `mailbox`); its password is this account's secret unless
    /// `own_password`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap: Option<MailboxSettings>,
    /// Who handles unsubscribes: `mailto` (default), `postmark`, `mailgun`.
    #[serde(default, skip_serializing_if = "UnsubscribeVia::is_mailto")]
    pub unsubscribe_via: UnsubscribeVia,
}

impl SmtpSettings {
    /// The settings of a stored SMTP account, checked.
    pub fn of(account: &Account) -> Result<SmtpSettings, EffectsError> {
        expect_kind(account, AccountKind::Smtp, "it cannot send email")?;
        let s: SmtpSettings = serde_json::from_value(account.settings.clone())
            .map_err(|e| EffectsError::invalid(&account.name, "settings", e.to_string()))?;
        s.check(&account.name)?;
        Ok(s)
    }

    /// Checks every field; the error names the setting and what is wrong.
    pub fn check(&self, account: &str) -> Result<(), EffectsError> {
        let host = self.host.trim();
        if host.is_empty() || host.contains("://") || host.chars().any(char::is_whitespace) {
            return Err(EffectsError::invalid(
                account,
                "host",
                format!("{:?} is not a host name such as smtp.gmail.com", self.host),
            ));
        }
        if self.port == 0 {
            return Err(EffectsError::invalid(
                account,
                "port",
                "must be between 1 and 65535 (587 for STARTTLS, 465 for TLS)",
            ));
        }
        self.from_mailbox(account)?;
        if let Some(r) = &self.reply_to {
            parse_mailbox(account, "reply_to", r)?;
        }
        parse_mailbox(account, OWNER_KEY, &self.owner_address(account)?)?;
        if self.username.is_some() && self.security == SmtpSecurity::None && !is_loopback(host) {
            return Err(EffectsError::invalid(
                account,
                "security",
                format!(
                    "\"none\" would send the password unencrypted to {host}; use starttls (port 587) or tls (port 465)"
                ),
            ));
        }
        if let Some(m) = &self.imap {
            m.check().map_err(|e| {
                let (key, reason) = e.split_once(": ").unwrap_or(("imap", e.as_str()));
                let key = match key {
                    "imap_host" => "imap_host",
                    "imap_port" => "imap_port",
                    "imap_username" => "imap_username",
                    "imap_folder" => "imap_folder",
                    "imap_security" => "imap_security",
                    _ => "imap",
                };
                EffectsError::invalid(account, key, reason.to_string())
            })?;
        }
        if !(1..=MAX_TIMEOUT_SECS).contains(&self.timeout_secs) {
            return Err(EffectsError::invalid(
                account,
                "timeout_secs",
                format!("must be between 1 and {MAX_TIMEOUT_SECS} seconds"),
            ));
        }
        if let Some(n) = self.pool_size
            && !(1..=MAX_POOL_SIZE).contains(&n)
        {
            return Err(EffectsError::invalid(
                account,
                "pool_size",
                format!("must be between 1 and {MAX_POOL_SIZE} connections"),
            ));
        }
        Ok(())
    }

    /// Connections kept open and messages sent at a time.
    pub fn pool_size(&self) -> u32 {
        self.pool_size
            .unwrap_or(cairn_engine::sender::DEFAULT_SMTP_POOL as u32)
            .clamp(1, MAX_POOL_SIZE)
    }

    pub fn from_mailbox(&self, account: &str) -> Result<Mailbox, EffectsError> {
        parse_mailbox(account, "from", &self.from)
    }

    pub fn reply_to_mailbox(&self, account: &str) -> Result<Option<Mailbox>, EffectsError> {
        self.reply_to
            .as_deref()
            .map(|r| parse_mailbox(account, "reply_to", r))
            .transpose()
    }

    /// The owner address: the `owner` setting, else the From address.
    pub fn owner_address(&self, account: &str) -> Result<String, EffectsError> {
        match self
            .owner
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(o) => Ok(o.to_string()),
            None => Ok(self.from_mailbox(account)?.email.to_string()),
        }
    }
}

/// A change to an account's sending settings (`cairn account update`):
/// what is `None` stays as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendingChange {
    /// An SMTP account's connections kept open (1–[`MAX_POOL_SIZE`]).
    pub pool_size: Option<u32>,
    /// Sends allowed per second, 0 for no limit.
    pub per_second: Option<u32>,
    /// Sends allowed per rolling 24 hours, 0 for no limit.
    pub per_day: Option<u32>,
}

/// `account`'s settings with `change` applied, checked; for
/// `Store::set_account_settings`. An SMTP account takes all three; a
/// webhook or Slack account its rate limits (it has no connection pool:
/// webhooks go [`cairn_engine::sender::WEBHOOK_HOST_CONCURRENCY`] at a time
/// to one host, Slack posts [`cairn_engine::sender::SLACK_CONCURRENCY`] at a
/// time per account); other accounts send nothing.
pub fn with_change(
    account: &Account,
    change: SendingChange,
) -> Result<serde_json::Value, EffectsError> {
    match account.kind {
        AccountKind::Smtp => {
            let mut s = SmtpSettings::of(account)?;
            if let Some(n) = change.pool_size {
                s.pool_size = Some(n);
            }
            if let Some(n) = change.per_second {
                s.rate_per_second = n;
            }
            if let Some(n) = change.per_day {
                s.rate_per_day = n;
            }
            s.check(&account.name)?;
            // Keys this version does not know are kept.
            let mut v = account.settings.clone();
            let new = serde_json::to_value(&s)
                .map_err(|e| EffectsError::invalid(&account.name, "settings", e.to_string()))?;
            if let (Some(old), serde_json::Value::Object(new)) = (v.as_object_mut(), new) {
                old.extend(new);
            }
            Ok(v)
        }
        AccountKind::Webhook | AccountKind::Slack => {
            if change.pool_size.is_some() {
                return Err(EffectsError::invalid(
                    &account.name,
                    "pool_size",
                    format!(
                        "only an SMTP account keeps a pool of connections; a {} account sends {} at a time",
                        account.kind,
                        if account.kind == AccountKind::Webhook {
                            "to each host 32"
                        } else {
                            "2"
                        }
                    ),
                ));
            }
            let limits = crate::limit::limits_of(account)?;
            Ok(crate::limit::with_limits(
                &account.settings,
                crate::limit::RateLimits {
                    per_second: change.per_second.unwrap_or(limits.per_second),
                    per_day: change.per_day.unwrap_or(limits.per_day),
                },
            ))
        }
        _ => Err(EffectsError::WrongKind {
            account: account.name.clone(),
            found: account.kind.to_string(),
            wanted: "it sends nothing, so it has no pool or send limits (an smtp, webhook or slack account has)".into(),
        }),
    }
}

/// A webhook account: only a name for its signing secret (in the vault).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WebhookSettings {
    /// Whether a signing secret was stored; requests through an account
    /// without one are refused rather than sent unsigned.
    #[serde(default)]
    pub signed: bool,
}

impl WebhookSettings {
    pub fn of(account: &Account) -> Result<WebhookSettings, EffectsError> {
        expect_kind(account, AccountKind::Webhook, "it cannot sign webhooks")?;
        serde_json::from_value(account.settings.clone())
            .map_err(|e| EffectsError::invalid(&account.name, "settings", e.to_string()))
    }
}

/// Checks that `account` is of `kind`; `why` ends the error sentence.
pub(crate) fn expect_kind(
    account: &Account,
    kind: AccountKind,
    why: &str,
) -> Result<(), EffectsError> {
    if account.kind != kind {
        return Err(EffectsError::WrongKind {
            account: account.name.clone(),
            found: account.kind.to_string(),
            wanted: format!("{why} (a {kind} account is needed)"),
        });
    }
    Ok(())
}

pub(crate) fn parse_mailbox(
    account: &str,
    key: &'static str,
    value: &str,
) -> Result<Mailbox, EffectsError> {
    value.trim().parse::<Mailbox>().map_err(|e| {
        EffectsError::invalid(
            account,
            key,
            format!("{value:?} is not an address such as \"Ada Coach <ada@example.com>\" or \"ada@example.com\" ({e})"),
        )
    })
}

/// Whether a host name stays on this machine (plain SMTP is fine there).
pub(crate) fn is_loopback(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp() -> SmtpSettings {
        SmtpSettings {
            host: "smtp.example.com".into(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: Some("ada".into()),
            from: "Ada Coach <ada@example.com>".into(),
            reply_to: None,
            owner: None,
            rate_per_second: 1,
            rate_per_day: 500,
            extra_root_certificate: None,
            timeout_secs: 30,
            pool_size: None,
            imap: None,
            unsubscribe_via: UnsubscribeVia::Mailto,
        }
    }

    #[test]
    fn owner_defaults_to_the_from_address() {
        assert_eq!(smtp().owner_address("m").unwrap(), "ada@example.com");
        let s = SmtpSettings {
            owner: Some("boss@example.com".into()),
            ..smtp()
        };
        assert_eq!(s.owner_address("m").unwrap(), "boss@example.com");
    }

    #[test]
    fn bad_settings_are_named() {
        let e = SmtpSettings {
            from: "not an address".into(),
            ..smtp()
        }
        .check("mail")
        .unwrap_err();
        assert_eq!(e.code(), "invalid_account_setting");
        assert!(
            e.to_string()
                .starts_with("account \"mail\": from: \"not an address\""),
            "{e}"
        );
        let e = SmtpSettings {
            security: SmtpSecurity::None,
            ..smtp()
        }
        .check("mail")
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("security: \"none\" would send the password unencrypted"),
            "{e}"
        );
        // Towards this machine, plain is fine.
        SmtpSettings {
            security: SmtpSecurity::None,
            host: "127.0.0.1".into(),
            ..smtp()
        }
        .check("mail")
        .unwrap();
        let e = SmtpSettings {
            host: "smtp://x".into(),
            ..smtp()
        }
        .check("mail")
        .unwrap_err();
        assert!(e.to_string().contains("host:"), "{e}");
    }

    #[test]
    fn defaults_fill_missing_rate_limits() {
        let s: SmtpSettings = serde_json::from_value(serde_json::json!({
            "host": "h", "port": 25, "security": "none", "from": "a@b.c"
        }))
        .unwrap();
        assert_eq!(
            (s.rate_per_second, s.rate_per_day, s.timeout_secs),
            (1, 500, 30)
        );
    }

    fn account(kind: AccountKind, settings: serde_json::Value) -> Account {
        Account {
            id: 1,
            name: "acct".into(),
            kind,
            settings,
            status: cairn_store::accounts::AccountStatus::Ok,
            status_message: None,
            poll_interval_secs: None,
            cursor: None,
            last_poll_at: None,
            next_poll_at: None,
            consecutive_failures: 0,
            created_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_change_sets_the_pool_and_limits_and_keeps_the_rest() {
        let mut v = serde_json::to_value(smtp()).unwrap();
        v["a_future_key"] = serde_json::json!("kept");
        let a = account(AccountKind::Smtp, v);
        let changed = with_change(
            &a,
            SendingChange {
                pool_size: Some(8),
                per_second: Some(0),
                per_day: None,
            },
        )
        .unwrap();
        assert_eq!(changed["pool_size"], 8);
        assert_eq!(changed["rate_per_second"], 0);
        assert_eq!(changed["rate_per_day"], 500);
        assert_eq!(changed["a_future_key"], "kept");
        assert_eq!(changed["host"], "smtp.example.com");
        let e = with_change(
            &a,
            SendingChange {
                pool_size: Some(65),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("pool_size: must be between 1 and 64"),
            "{e}"
        );

        // A webhook account: limits beside its other settings, no pool.
        let hook = account(AccountKind::Webhook, serde_json::json!({"signed": true}));
        let changed = with_change(
            &hook,
            SendingChange {
                per_day: Some(1000),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            changed,
            serde_json::json!({"signed": true, "rate_per_second": 0, "rate_per_day": 1000})
        );
        let e = with_change(
            &hook,
            SendingChange {
                pool_size: Some(2),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("only an SMTP account"), "{e}");
        // A source sends nothing.
        let feed = account(AccountKind::Stripe, serde_json::json!({}));
        assert_eq!(
            with_change(
                &feed,
                SendingChange {
                    per_second: Some(1),
                    ..Default::default()
                }
            )
            .unwrap_err()
            .code(),
            "wrong_account_kind"
        );
    }
}
