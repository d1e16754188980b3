//! Cairn's executor: events become runs, runs advance step by step, and
//! every state change is one SQLite transaction.
//!
//! - [`Engine`] is the synchronous core: given `now`, it does what is due.
//! - [`Executor`] runs an engine (and an outbox dispatcher) in the
//!   background on tokio, sleeping until the next due instant or a wake-up.
//! - [`forecast`] runs the engine over a scratch copy of the database on a
//!   virtual clock and counts what a workflow would do before it is activated.
//! - [`simulate`] runs a workflow file on a virtual clock in a throwaway
//!   database and returns its timeline.
//!
//! The engine never reads the wall clock: it is handed a `Clock`. It never
//! sends anything itself either: external effects go to the outbox, and a
//! [`Sender`] delivers them.

pub mod change;
mod defs;
pub mod engine;
pub mod error;
mod eval;
pub mod executor;
pub mod forecast;
mod ingest;
mod outcome;
pub mod retry;
mod run;
mod schedule;
pub mod send_window;
pub mod sender;
pub mod simulate;
mod take;
mod timers;

pub use change::Change;
pub use engine::{Engine, EngineConfig, TickReport};
pub use error::EngineError;
pub use executor::{Executor, ExecutorConfig};
pub use forecast::{Forecast, ForecastOptions};
pub use outcome::backoff;
pub use retry::{Retried, RetryFrom};
pub use sender::{OutboxEntry, SendOutcome, Sender};
pub use timers::human_span;
