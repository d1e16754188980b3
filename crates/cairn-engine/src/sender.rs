//! The boundary between the engine and the world.
//!
//! The engine writes each external effect (email, webhook, Slack, desktop
//! notification) to the outbox inside the step's transaction. The dispatcher
//! then marks the entry "sending" (the intent, committed), hands it to a
//! [`Sender`], and records the [`SendOutcome`] (committed) before the run
//! moves on. A crash between the two commits leaves the entry "sending"; on
//! restart it is sent again with the same Message-ID / Idempotency-Key and
//! flagged `possibly_duplicated`.

use std::future::Future;
use std::pin::Pin;

use cairn_model::Timestamp;
use cairn_model::effect::{Effect, RunMode};

/// An outbox entry handed to a sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub run_id: Option<i64>,
    pub step_id: Option<i64>,
    pub effect: Effect,
    /// Stable across retries: becomes the Message-ID or `Idempotency-Key`.
    pub idempotency_key: String,
    pub mode: RunMode,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub max_attempts: u32,
    /// A previous attempt may have gone out before a crash.
    pub possibly_duplicated: bool,
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Delivered (to the SMTP server, the HTTP endpoint, the screen).
    Sent { detail: Option<String> },
    /// A temporary failure (4xx SMTP reply, network error, HTTP 5xx or 429):
    /// retry with backoff, or not before `retry_after` when the peer said so.
    Retry {
        error: String,
        retry_after: Option<chrono::Duration>,
    },
    /// A permanent failure (5xx SMTP reply, HTTP 4xx): no retry can help.
    Failed { error: String },
    /// The recipient does not exist (SMTP 5.1.x): fails and marks the contact bounced.
    Bounced { error: String },
    /// Not attempted: a rate limit says not before `until`. Does not count
    /// as an attempt.
    Deferred { until: Timestamp, reason: String },
    /// The peer could not be reached at all (no network, DNS failure,
    /// connection refused): nothing was delivered and the recipient is not
    /// at fault. The entry stays queued — it does not spend the action's
    /// attempts — and is tried again every few minutes until the network
    /// comes back, so a laptop offline for a day loses nothing.
    Unreachable { error: String },
    /// A fault of the account, not of this message: the login was refused,
    /// TLS does not match, no AUTH mechanism fits, the provider suspended
    /// the account, a webhook or Slack hook answered 401/403. The account
    /// is marked "needs attention" with `error`, and every entry of it is
    /// held — not attempted, attempts unspent — until the account is fixed;
    /// then each goes out once. The runs wait meanwhile.
    AccountFault { account: String, error: String },
}

/// The longest wait a `Retry-After` answer is taken at: a peer asking for
/// more is asked again after a week (the connectors' cap too).
pub const MAX_RETRY_AFTER: chrono::Duration = chrono::Duration::days(7);

/// A `Retry-After` value as a wait from `now`, shared by the senders and the
/// connectors: delay-seconds, whole or fractional as Shopify sends them
/// ("2.0"), or an HTTP date (RFC 9110 §10.2.3). A date in the past means
/// "now"; the wait is capped at [`MAX_RETRY_AFTER`], so a hostile or broken
/// answer (`Retry-After: 10000000000000`) can neither overflow the clock
/// arithmetic nor park a send for ever. Anything else is no answer.
pub fn retry_after(value: &str, now: Timestamp) -> Option<chrono::Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = v.parse().ok()?;
        if secs.is_nan() || secs < 0.0 {
            return None;
        }
        let cap = MAX_RETRY_AFTER.num_milliseconds() as f64;
        // The cap comes first, so the cast never sees a huge float.
        let ms = (secs * 1000.0).ceil().min(cap) as i64;
        return Some(chrono::Duration::milliseconds(ms));
    }
    let at: Timestamp = httpdate::parse_http_date(v).ok()?.into();
    Some(
        at.signed_duration_since(now)
            .clamp(chrono::Duration::zero(), MAX_RETRY_AFTER),
    )
}

/// `now + wait`, or the latest instant Cairn handles when that overflows:
/// every deadline the dispatcher computes goes through here, so no peer's
/// answer can panic the clock arithmetic.
pub fn later(now: Timestamp, wait: chrono::Duration) -> Timestamp {
    now.checked_add_signed(wait)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// Where an entry waits its turn to be sent: entries of one lane are sent
/// at most `limit` at a time, and lanes do not wait for each other, so an
/// account that hangs delays no other account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lane {
    /// `smtp:<account>`, `webhook:<host>`, `slack:<account>`, `desktop`,
    /// `course:<account>`.
    pub key: String,
    pub limit: usize,
}

/// Sends at a time to one webhook host.
pub const WEBHOOK_HOST_CONCURRENCY: usize = 32;
/// Sends at a time through one SMTP account when its settings name no
/// `pool_size` (lettre's pool keeps as many connections).
pub const DEFAULT_SMTP_POOL: usize = 4;
/// Posts at a time through one Slack account.
pub const SLACK_CONCURRENCY: usize = 2;

impl Lane {
    /// The lane of an entry; `smtp_pool` is the account's `pool_size`
    /// setting when it has one.
    pub fn of(entry: &OutboxEntry, smtp_pool: Option<usize>) -> Lane {
        let limit = match &entry.effect {
            Effect::Email(_) => smtp_pool.unwrap_or(DEFAULT_SMTP_POOL).clamp(1, 64),
            Effect::Webhook(_) => WEBHOOK_HOST_CONCURRENCY,
            Effect::Slack(_) => SLACK_CONCURRENCY,
            Effect::Desktop(_) => 1,
            // One enrollment at a time per platform account: each is a few
            // requests (find or create the user, enroll), and the platforms'
            // budgets are per account.
            Effect::Course(_) => 1,
        };
        Lane {
            key: cairn_store::outbox::lane_of(&entry.effect),
            limit,
        }
    }
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = SendOutcome> + Send + 'a>>;

/// Delivers outbox entries. Implemented by `cairn-effects` for real
/// delivery and by tests with a scripted stand-in.
///
/// The dispatcher calls it for many entries at once, each in its own task
/// (at most a lane's limit at a time per account or host, see [`Lane`]); a
/// panic inside fails that entry alone.
pub trait Sender: Send + Sync + 'static {
    fn send<'a>(&'a self, entry: &'a OutboxEntry, now: Timestamp) -> SendFuture<'a>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_in_seconds_fractions_or_a_date_capped_at_a_week() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let d = chrono::Duration::seconds;
        assert_eq!(retry_after("120", now), Some(d(120)));
        assert_eq!(retry_after(" 2.0 ", now), Some(d(2)));
        assert_eq!(
            retry_after("0.25", now),
            Some(chrono::Duration::milliseconds(250))
        );
        assert_eq!(
            retry_after("Mon, 02 Mar 2026 09:05:00 GMT", now),
            Some(chrono::Duration::minutes(5))
        );
        assert_eq!(
            retry_after("Mon, 02 Mar 2026 08:00:00 GMT", now),
            Some(chrono::Duration::zero())
        );
        assert_eq!(
            retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        // Huge answers are capped, never overflow.
        assert_eq!(retry_after("10000000000000", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after(&"9".repeat(400), now),
            Some(MAX_RETRY_AFTER),
            "a number beyond f64"
        );
        assert_eq!(retry_after("1e9", now), None);
        assert_eq!(retry_after("-3", now), None);
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("", now), None);
        assert_eq!(retry_after("1.2.3", now), None);
    }

    #[test]
    fn later_saturates() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        assert_eq!(
            later(now, chrono::Duration::MAX),
            chrono::DateTime::<chrono::Utc>::MAX_UTC
        );
        assert_eq!(
            later(now, chrono::Duration::seconds(1)),
            now + chrono::Duration::seconds(1)
        );
    }

    #[test]
    fn lanes_by_account_and_host() {
        let hook = |url: &str| OutboxEntry {
            id: 1,
            run_id: None,
            step_id: None,
            effect: Effect::Webhook(cairn_model::effect::WebhookRequest {
                method: cairn_model::workflow::HttpMethod::Post,
                url: url.into(),
                headers: Default::default(),
                secret_headers: Default::default(),
                body: None,
                signing_account: None,
                timeout_secs: 0,
            }),
            idempotency_key: "k".into(),
            mode: RunMode::Live,
            attempt: 1,
            max_attempts: 3,
            possibly_duplicated: false,
        };
        assert_eq!(
            Lane::of(&hook("https://User:pw@Hooks.Example.com:8443/a?b"), None).key,
            "webhook:hooks.example.com:8443"
        );
        assert_eq!(
            Lane::of(&hook("http://127.0.0.1:9/x"), None).key,
            "webhook:127.0.0.1:9"
        );
    }
}
