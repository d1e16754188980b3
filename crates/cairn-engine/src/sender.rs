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
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = SendOutcome> + Send + 'a>>;

/// Delivers outbox entries. Implemented by `cairn-effects` for real
/// delivery and by tests with a scripted stand-in.
pub trait Sender: Send + Sync + 'static {
    fn send<'a>(&'a self, entry: &'a OutboxEntry, now: Timestamp) -> SendFuture<'a>;
}
