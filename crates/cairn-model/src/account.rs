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
}

impl AccountKind {
    pub const ALL: [AccountKind; 10] = [
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
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        AccountKind::ALL.into_iter().find(|k| k.as_str() == s)
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
