//! The store's integration tests, on real SQLite files in temporary folders.

mod board;
mod common;
mod contacts;
mod csv;
mod events;
mod experience;
mod hygiene;
mod identity;
mod open;
mod privacy;
mod watch;
mod workflows;
