//! The `cairn-app` binary: the desktop app. Everything happens in the
//! library (`cairn_app::run`) so tests can reach the same code.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    cairn_app::run();
}
