//! The connectors against local HTTP servers that answer in each
//! provider's documented shapes (fixtures under tests/fixtures, each citing
//! the page it follows), over a real SQLite file, on a virtual clock.

mod common;
mod courses;
mod json_feed;
// Dovecot from the distribution's packages, Unix permissions and users:
// this test runs on Linux only.
#[cfg(target_os = "linux")]
mod mailbox;
mod mailgun;
mod poller;
mod postmark;
mod shopify;
mod stripe;
mod tally;
mod typeform;
