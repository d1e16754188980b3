//! Connected accounts: the settings of an external service. The secret part
//! (password, API key, webhook URL) lives only in the OS keyring.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The kind of service an account connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// Sends email.
    Smtp,
    /// Signs outgoing webhooks.
    Webhook,
    /// Posts to a Slack incoming webhook.
    Slack,
    Stripe,
    Shopify,
    Typeform,
    Tally,
    Mailgun,
    Postmark,
    JsonFeed,
    /// A course platform: enrolls and unenrolls (through the outbox), and is
    /// polled for progress and completions.
    Thinkific,
    /// A course platform, as Thinkific.
    Teachable,
}

impl AccountKind {
    pub const ALL: [AccountKind; 12] = [
        AccountKind::Smtp,
        AccountKind::Webhook,
        AccountKind::Slack,
        AccountKind::Stripe,
        AccountKind::Shopify,
        AccountKind::Typeform,
        AccountKind::Tally,
        AccountKind::Mailgun,
        AccountKind::Postmark,
        AccountKind::JsonFeed,
        AccountKind::Thinkific,
        AccountKind::Teachable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Smtp => "smtp",
            AccountKind::Webhook => "webhook",
            AccountKind::Slack => "slack",
            AccountKind::Stripe => "stripe",
            AccountKind::Shopify => "shopify",
            AccountKind::Typeform => "typeform",
            AccountKind::Tally => "tally",
            AccountKind::Mailgun => "mailgun",
            AccountKind::Postmark => "postmark",
            AccountKind::JsonFeed => "json_feed",
            AccountKind::Thinkific => "thinkific",
            AccountKind::Teachable => "teachable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        AccountKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the account is a course platform (enrolls contacts).
    pub fn is_course_platform(self) -> bool {
        matches!(self, AccountKind::Thinkific | AccountKind::Teachable)
    }

    /// Whether the account is polled for events.
    pub fn is_source(self) -> bool {
        !matches!(
            self,
            AccountKind::Smtp | AccountKind::Webhook | AccountKind::Slack
        )
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest account name accepted, for sending and source accounts alike.
pub const MAX_NAME_CHARS: usize = 64;

/// Checks the name a user gives a new account (sending or source): not
/// empty, at most [`MAX_NAME_CHARS`] characters, no control character.
/// The error is the reason, for the caller's "invalid setting `name`".
pub fn check_name(name: &str) -> Result<(), String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("an account needs a name".into());
    }
    if n.chars().count() > MAX_NAME_CHARS {
        return Err(format!("is longer than {MAX_NAME_CHARS} characters"));
    }
    if n.chars().any(char::is_control) {
        return Err("contains a control character".into());
    }
    Ok(())
}

/// How a connection to a mail server is protected (IMAP here; SMTP has
/// the same three in `cairn-effects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailSecurity {
    /// Plain text. Allowed with a password only towards this machine.
    None,
    /// Plain connect, then STARTTLS (required, never opportunistic).
    Starttls,
    /// TLS from the first byte (IMAP: port 993).
    Tls,
}

impl MailSecurity {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Some(MailSecurity::None),
            "starttls" => Some(MailSecurity::Starttls),
            "tls" | "ssl" => Some(MailSecurity::Tls),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            MailSecurity::None => "none",
            MailSecurity::Starttls => "starttls",
            MailSecurity::Tls => "tls",
        }
    }
}

fn default_folder() -> String {
    "INBOX".into()
}

/// The mailbox paired with an SMTP account (its `imap` setting): where
/// replies, bounces, complaints and mailto unsubscribes to its From address
/// arrive, read by polling over IMAP. The password is the SMTP account's
/// vault secret, or with `own_password` its own entry,
/// [`MailboxSettings::vault_name`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxSettings {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    pub username: String,
    /// The folder read; `INBOX` unless set.
    #[serde(default = "default_folder")]
    pub folder: String,
    /// The IMAP password is its own vault entry, not the SMTP password.
    #[serde(default)]
    pub own_password: bool,
}

impl MailboxSettings {
    /// The vault entry of a mailbox's own password.
    pub fn vault_name(account: &str) -> String {
        format!("{}.imap", account.trim())
    }

    /// The `imap` setting of an SMTP account's settings, if it has one.
    pub fn of_settings(settings: &serde_json::Value) -> Option<Result<MailboxSettings, String>> {
        let v = settings.get("imap").filter(|v| !v.is_null())?;
        Some(
            serde_json::from_value::<MailboxSettings>(v.clone())
                .map_err(|e| e.to_string())
                .and_then(|m| m.check().map(|()| m)),
        )
    }

    /// Checks every field; the error names the setting (`imap_host`, …).
    pub fn check(&self) -> Result<(), String> {
        let host = self.host.trim();
        if host.is_empty() || host.contains("://") || host.chars().any(char::is_whitespace) {
            return Err(format!(
                "imap_host: {:?} is not a host name such as imap.gmail.com",
                self.host
            ));
        }
        if self.port == 0 {
            return Err("imap_port: must be between 1 and 65535 (993 for TLS)".into());
        }
        if self.username.trim().is_empty() || self.username.chars().any(char::is_control) {
            return Err("imap_username: the mailbox needs a login".into());
        }
        if self.folder.trim().is_empty() || self.folder.chars().any(char::is_control) {
            return Err(format!(
                "imap_folder: {:?} is not a folder name",
                self.folder
            ));
        }
        let loopback = host == "localhost"
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if self.security == MailSecurity::None && !loopback {
            return Err(format!(
                "imap_security: \"none\" would send the password unencrypted to {host}; use tls (port 993) or starttls (port 143)"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod mailbox_tests {
    use super::*;

    #[test]
    fn an_account_name_is_short_printable_and_not_empty() {
        assert_eq!(check_name(" Mail "), Ok(()));
        assert_eq!(check_name("  ").unwrap_err(), "an account needs a name");
        assert_eq!(check_name(&"x".repeat(MAX_NAME_CHARS)), Ok(()));
        assert!(check_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(check_name("a\u{7}b").is_err());
    }

    #[test]
    fn a_mailbox_setting_is_read_and_checked() {
        let s = serde_json::json!({"imap": {"host": "imap.example.com", "port": 993, "security": "tls", "username": "coach@example.com"}});
        let m = MailboxSettings::of_settings(&s).unwrap().unwrap();
        assert_eq!(m.folder, "INBOX");
        assert!(!m.own_password);
        assert!(MailboxSettings::of_settings(&serde_json::json!({})).is_none());
        let plain = serde_json::json!({"imap": {"host": "imap.example.com", "port": 143, "security": "none", "username": "c"}});
        let e = MailboxSettings::of_settings(&plain).unwrap().unwrap_err();
        assert!(e.starts_with("imap_security"), "{e}");
        let local = serde_json::json!({"imap": {"host": "127.0.0.1", "port": 1143, "security": "none", "username": "c"}});
        assert!(MailboxSettings::of_settings(&local).unwrap().is_ok());
        assert_eq!(MailboxSettings::vault_name(" Mail "), "Mail.imap");
    }
}
