//! Printing results: for people by default, JSON with `--json`.
//!
//! A command builds one report value and hands it to [`print`]. The JSON is
//! the report's `Serialize` form, so its shape is declared once, in the type,
//! and documented in `docs/cli.md`. Errors go to stderr on one line: plain
//! text, or `{"error":{"code":…,"message":…}}` with `--json`.

use std::io::{self, Write};

use serde::Serialize;

use crate::error::CliError;

/// A command's result, printable both ways.
pub trait Render: Serialize {
    /// Writes the human-readable form.
    fn human(&self, out: &mut dyn Write) -> io::Result<()>;
}

pub fn print<R: Render>(report: &R, json: bool) -> Result<(), CliError> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = if json {
        // `From` keeps an I/O error's kind (a closed pipe stays BrokenPipe).
        serde_json::to_writer_pretty(&mut out, report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        report.human(&mut out)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // `cairn contact list | head` closes the pipe early: not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Output(e.to_string())),
    }
}

/// Prints a failure as one line on stderr.
pub fn print_error(e: &CliError, json: bool) {
    let message = one_line(&e.to_string());
    let line = if json {
        serde_json::json!({"error": {"code": e.code(), "message": message}}).to_string()
    } else {
        format!("error: {message}")
    };
    let _ = writeln!(io::stderr(), "{line}");
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Formats an instant for people: `2026-01-05 09:00:00 UTC`.
pub fn when(t: cairn_model::Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Renders a JSON value for a table cell: strings without quotes.
pub fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}
