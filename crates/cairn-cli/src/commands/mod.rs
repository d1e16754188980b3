//! One module per top-level subcommand. Each exposes a clap type and
//! `run(ctx, args)`; `main.rs` holds the enum that lists them.

pub mod account;
pub mod contact;
pub mod course;
pub mod db;
pub mod deal;
pub mod event;
pub mod field;
pub mod forecast;
pub mod init;
pub mod outbox;
pub mod pipeline;
pub mod run;
pub mod runs;
pub mod runs_retry;
pub mod simulate;
pub mod stats;
pub mod sync;
pub mod template;
pub mod workflow;
