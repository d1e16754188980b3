//! cairn-effects against real parts: an SMTP server on loopback (aiosmtpd),
//! HTTP servers on loopback (wiremock), SQLite files in temp dirs, and the
//! OS keyring (gnome-keyring on a D-Bus session bus, for `secrets`).
//!
//! Needs: python3 with aiosmtpd (`apt-get install python3-aiosmtpd`), the
//! openssl CLI, and for `secrets` a session bus with an unlocked Secret
//! Service plus `secret-tool` (see `secrets.rs` for the command line).

mod course;
mod dispatch;
mod http;
mod mail;
mod modes;
mod rate_limit;
mod retry;
mod secrets;
mod smtp;
mod support;
