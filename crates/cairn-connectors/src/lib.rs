//! Cairn's connectors: events pulled from connected accounts by polling.
//!
//! A laptop cannot receive webhooks from the internet, so Cairn asks:
//! purchases and refunds from Stripe, orders from Shopify, form answers
//! from Typeform and Tally, course progress from Thinkific and Teachable, what happened to sent mail from Mailgun and Postmark (and
//! what came back to an SMTP account's own mailbox, over IMAP), and anything at
//! all from a JSON feed, each on its own interval.
//!
//! - [`Poller`] runs beside the executor (`cairn run`, the app): it polls
//!   each due account and wakes the executor when events arrive.
//! - [`Syncer`] is one poll of one account (`cairn sync` uses it directly):
//!   read the window, commit events + contacts + cursor in one transaction.
//! - One module per provider maps its documented API onto Cairn's event
//!   types; [`provider`] holds their budgets and windows.
//! - [`accounts`] adds, tests and re-keys source accounts.
//!
//! Architecture invariants:
//! - A cursor moves only in the transaction that stores the events read up
//!   to it. A crash between fetch and commit loses nothing (the window is
//!   read again) and doubles nothing (`(source, external_id)` is unique).
//! - Secrets come from the vault as `Sensitive` and go only into a request
//!   header; provider answers quoted in errors are scrubbed of them.
//! - No wall clock: time comes from the injected `Clock`, pacing waits go
//!   through a [`Timer`].
//! - Each provider is asked at most half as fast as it allows.

pub mod accounts;
pub mod batch;
pub mod course_progress;
mod error;
pub mod http;
pub mod json_feed;
pub mod mailbox;
pub mod mailgun;
pub mod map;
pub mod pace;
pub mod poller;
pub mod postmark;
pub mod provider;
pub mod settings;
pub mod shopify;
pub mod stripe;
pub mod sync;
pub mod tally;
pub mod teachable;
#[cfg(feature = "testing")]
pub mod testing;
pub mod thinkific;
pub mod typeform;

pub use error::ConnectorError;
pub use pace::{ClockTimer, Timer, VirtualTimer};
pub use poller::{Poller, PollerConfig};
pub use settings::SourceSettings;
pub use sync::{SyncOutcome, SyncReport, Syncer};
