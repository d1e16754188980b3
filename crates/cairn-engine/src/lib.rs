//! Cairn's executor: events become runs, runs advance step by step, and
//! every state change is one SQLite transaction.
//!
//! The engine never reads the wall clock: it is handed a `Clock`. It never
//! sends anything itself either: external effects go to the outbox, and a
//! [`sender::Sender`] delivers them.

pub mod sender;

pub use sender::{OutboxEntry, SendOutcome, Sender};
