//! What Cairn knows about each provider it polls: how often to look by
//! default, how fast it may ask (half the documented budget), how far back
//! each poll re-reads, and how long the provider keeps what we read.
//!
//! The figures and where they come from (see docs/connectors.md):
//! - Stripe: 100 reads/s live, 25/s in test mode and per endpoint
//!   (docs.stripe.com/rate-limits) → 10 requests/s. Events are listed for
//!   30 days (docs.stripe.com/api/events/list).
//! - Shopify REST Admin: a leaky bucket of 40 requests draining 2/s on the
//!   standard plan (shopify.dev/docs/api/admin-rest/usage/rate-limits)
//!   → 1 request/s, plus the `X-Shopify-Shop-Api-Call-Limit` header.
//! - Typeform: 2 requests/s per account (developer.typeform.com) → 1/s.
//!   "Very recent responses (within the last 30 minutes) may not be
//!   returned" (the Responses API reference) → a one-hour re-read window.
//! - Tally: 100 requests/minute per key (developers.tally.so, rate
//!   limits) → one request every 1.2 s. Submissions are listed as they are
//!   submitted; a ten-minute overlap re-reads what a clock skew hides.
//! - Mailgun: no figure is published for the Events API; Cairn asks once a
//!   second at most. Events are kept at least 3 days (the Events API
//!   reference); they arrive out of order, so only pages older than half an
//!   hour are trusted (Mailgun's "Event Polling" guide).
//! - Postmark: no request budget is published; Cairn asks once a second
//!   at most. Opens, clicks and bounces are kept 45 days by default (the
//!   Messages API reference); a ten-minute overlap re-reads late records.
//! - Thinkific: 120 requests/minute per school (the Admin API's rate
//!   limits) → one request a second. Enrollments are filtered by
//!   `updated_after`; a ten-minute overlap.
//! - Teachable: 100 requests/minute per key (developers.teachable.com,
//!   rate limits) → one request every 1.2 s. No time filter: the whole
//!   enrollment list is read each poll, every 15 minutes by default.
//! - A JSON feed: the user's own endpoint; one request a second unless its
//!   settings say otherwise.

use cairn_model::account::AccountKind;

/// One provider's polling figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provider {
    pub kind: AccountKind,
    /// Its name in messages ("Stripe").
    pub name: &'static str,
    /// The poll interval when the account sets none.
    pub default_poll_secs: i64,
    /// Milliseconds between two requests of one account.
    pub spacing_ms: i64,
    /// How far behind the cursor each poll starts reading again, seconds.
    pub overlap_secs: i64,
    /// How long the provider keeps what Cairn reads, seconds (`None`: for
    /// as long as the data exists).
    pub retention_secs: Option<i64>,
}

impl Provider {
    pub fn spacing(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.spacing_ms)
    }
    pub fn overlap(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.overlap_secs)
    }
    pub fn retention(&self) -> Option<chrono::Duration> {
        self.retention_secs.map(chrono::Duration::seconds)
    }
}

const DAY: i64 = 86_400;

pub const STRIPE: Provider = Provider {
    kind: AccountKind::Stripe,
    name: "Stripe",
    default_poll_secs: 60,
    spacing_ms: 100,
    overlap_secs: 5 * 60,
    retention_secs: Some(30 * DAY),
};

pub const SHOPIFY: Provider = Provider {
    kind: AccountKind::Shopify,
    name: "Shopify",
    default_poll_secs: 5 * 60,
    spacing_ms: 1000,
    overlap_secs: 10 * 60,
    retention_secs: None,
};

pub const TYPEFORM: Provider = Provider {
    kind: AccountKind::Typeform,
    name: "Typeform",
    default_poll_secs: 5 * 60,
    spacing_ms: 1000,
    overlap_secs: 60 * 60,
    retention_secs: None,
};

pub const TALLY: Provider = Provider {
    kind: AccountKind::Tally,
    name: "Tally",
    default_poll_secs: 5 * 60,
    spacing_ms: 1200,
    overlap_secs: 10 * 60,
    retention_secs: None,
};

pub const THINKIFIC: Provider = Provider {
    kind: AccountKind::Thinkific,
    name: "Thinkific",
    default_poll_secs: 10 * 60,
    spacing_ms: 1000,
    overlap_secs: 10 * 60,
    retention_secs: None,
};

pub const TEACHABLE: Provider = Provider {
    kind: AccountKind::Teachable,
    name: "Teachable",
    default_poll_secs: 15 * 60,
    spacing_ms: 1200,
    overlap_secs: 0,
    retention_secs: None,
};

pub const MAILGUN: Provider = Provider {
    kind: AccountKind::Mailgun,
    name: "Mailgun",
    default_poll_secs: 10 * 60,
    spacing_ms: 1000,
    overlap_secs: 30 * 60,
    retention_secs: Some(3 * DAY),
};

pub const POSTMARK: Provider = Provider {
    kind: AccountKind::Postmark,
    name: "Postmark",
    default_poll_secs: 10 * 60,
    spacing_ms: 1000,
    overlap_secs: 10 * 60,
    retention_secs: Some(45 * DAY),
};

pub const JSON_FEED: Provider = Provider {
    kind: AccountKind::JsonFeed,
    name: "the JSON feed",
    default_poll_secs: 5 * 60,
    spacing_ms: 1000,
    overlap_secs: 5 * 60,
    retention_secs: None,
};

/// An SMTP account's paired mailbox, read over IMAP (`mailbox.rs`). The
/// cursor is a UID, so there is no overlap; every five minutes by default,
/// one connection a poll.
pub const MAILBOX: Provider = Provider {
    kind: AccountKind::Smtp,
    name: "the mailbox",
    default_poll_secs: 5 * 60,
    spacing_ms: 1000,
    overlap_secs: 0,
    retention_secs: None,
};

/// What polls `account`: its kind's provider, or for an SMTP account with
/// an `imap` setting, its mailbox.
pub fn of_account(account: &cairn_store::accounts::Account) -> Option<&'static Provider> {
    match account.kind {
        AccountKind::Smtp if account.settings.get("imap").is_some_and(|v| !v.is_null()) => {
            Some(&MAILBOX)
        }
        kind => of(kind),
    }
}

/// The provider of a kind Cairn can poll now; `None` for kinds that send
/// (SMTP, webhooks, Slack).
pub fn of(kind: AccountKind) -> Option<&'static Provider> {
    match kind {
        AccountKind::Stripe => Some(&STRIPE),
        AccountKind::Shopify => Some(&SHOPIFY),
        AccountKind::Typeform => Some(&TYPEFORM),
        AccountKind::Tally => Some(&TALLY),
        AccountKind::Thinkific => Some(&THINKIFIC),
        AccountKind::Teachable => Some(&TEACHABLE),
        AccountKind::Mailgun => Some(&MAILGUN),
        AccountKind::Postmark => Some(&POSTMARK),
        AccountKind::JsonFeed => Some(&JSON_FEED),
        _ => None,
    }
}

/// The shortest poll interval accepted, seconds.
pub const MIN_POLL_SECS: i64 = 30;
/// The longest poll interval accepted, seconds (7 days): a source polled
/// more rarely would drop events its provider keeps for less.
pub const MAX_POLL_SECS: i64 = 7 * 86_400;
