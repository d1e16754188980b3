//! The connectors against local HTTP servers that answer in each
//! provider's documented shapes (fixtures under tests/fixtures, each citing
//! the page it follows), over a real SQLite file, on a virtual clock.

mod common;
mod json_feed;
mod mailbox;
mod mailgun;
mod poller;
mod postmark;
mod shopify;
mod stripe;
mod typeform;
