//! End-to-end tests of the real Cairn app.
//!
//! Each test starts the real `cairn-app` binary with its own temporary
//! database and drives its window over WebDriver, as a user would. They need
//! an X display (`xvfb-run -a`), `tauri-driver` and `WebKitWebDriver`;
//! `./scripts/test` provides all three. Without them a test fails with a
//! message saying what is missing; it is never skipped.
//!
//! All end-to-end tests live in this one test binary (one link of a large
//! binary instead of one per file). To add tests, add a module here and use
//! [`harness`]:
//!
//! ```text
//! let app = harness::Launch::new("my_test").launch().await;
//! app.wait_for_text("[data-testid=workflow-name]", "Welcome").await;
//! app.screenshot("my_test").await;
//! app.close().await;
//! ```
//!
//! They drive the Linux build (WebKitGTK, X11, `tauri-driver` with
//! `WebKitWebDriver`); on other platforms this binary is empty, and the
//! Windows build is checked by `cargo check` in `./scripts/test` instead.
#![cfg(target_os = "linux")]

mod accounts;
mod background;
mod contacts;
mod editor;
mod erasure;
mod harness;
mod insights;
mod mail;
mod pipelines;
mod retry;
mod settings;
mod splits;
mod testrun;
mod watch;
mod workflows;
mod x11;
