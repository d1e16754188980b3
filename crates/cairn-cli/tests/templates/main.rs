//! The built-in templates and per-workflow analytics, tested the way a user
//! meets them: the real `cairn` binary (`template`, `simulate`, `stats`) on
//! real SQLite files in temporary folders, and the real engine producing the
//! run log that `cairn stats` reads.
//!
//! - `gallery`: every template reads, is canonical, is laid out readably,
//!   imports paused (a clash becomes a copy) and validates with no issue
//!   once its accounts exist.
//! - `scenarios`: one or more scripted scenarios per template through
//!   `cairn simulate`, asserting the timeline: which email when, which tags,
//!   which exit.
//! - `stats`: `cairn stats` over a log the engine wrote for an imported
//!   template, checked against numbers worked out by hand.

mod common;
mod gallery;
mod scenarios;
mod stats;
