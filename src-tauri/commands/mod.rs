//! The Tauri commands, one module per screen.
//!
//! A command is thin on purpose: it takes the [`AppState`](crate::AppState),
//! calls one core function through [`Database::with_store`](crate::Database::with_store)
//! and returns its value or a [`CommandError`](crate::CommandError). Logic
//! that grows beyond that belongs in a core crate, where the CLI and the
//! tests can use it too. Each command must also be listed in
//! `src-tauri/build.rs` and granted in `src-tauri/capabilities/`.

pub mod accounts;
pub mod activity;
pub mod analytics;
pub mod contacts;
pub mod email_templates;
pub mod housekeeping;
pub mod pipelines;
pub mod retries;
pub mod settings;
pub mod templates;
pub mod test_runs;
pub mod watch;
pub mod workflows;
