//! Cairn's domain model.
//!
//! Everything here is pure: no database, no network, no clock reads. The store,
//! the engine, the effects and the app all speak these types, and the workflow
//! file format (`file`) is defined by them. Types that cross the IPC boundary
//! derive `ts_rs::TS`; their TypeScript is generated into `ui/src/bindings/`.

pub mod account;
pub mod builtin;
pub mod clock;
pub mod condition;
pub mod contact;
pub mod duration;
pub mod effect;
pub mod error;
pub mod event;
pub mod file;
pub mod secret;
pub mod significance;
pub mod template;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod validate;
pub mod workflow;

pub use clock::{Clock, SystemClock, VirtualClock};
pub use duration::Duration;
pub use error::{ErrorCode, ModelError};
pub use secret::Sensitive;

/// Every instant Cairn handles is UTC; time zones matter only where a wall-clock
/// time (a send window, "Monday 09:00") is turned into an instant.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
