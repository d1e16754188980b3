//! `cairn event emit`: append an event by hand or from a script.
//!
//! Emitting the same `(source, id)` twice stores one event and says so, so a
//! script that retries is safe.

use std::io::Write;

use cairn_model::event::{Appended, NewEvent, sources};
use clap::Subcommand;
use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Append one event about a contact (created when missing).
    Emit {
        /// The event type, such as purchase.completed or my.custom_event.
        #[arg(value_name = "TYPE")]
        event_type: String,
        #[arg(long, value_name = "EMAIL")]
        contact: String,
        /// The payload: a JSON object.
        #[arg(long, value_name = "JSON")]
        data: Option<String>,
        /// When it happened (RFC 3339); default now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Where it came from; default "manual".
        #[arg(long, value_name = "S")]
        source: Option<String>,
        /// The id the source gave it; (source, id) is stored once.
        #[arg(long = "id", value_name = "EXTERNAL_ID")]
        external_id: Option<String>,
    },
}

/// `event emit` result.
#[derive(Debug, Serialize)]
pub struct Emitted {
    #[serde(flatten)]
    pub appended: Appended,
    #[serde(rename = "type")]
    pub event_type: String,
    pub contact: String,
    pub source: String,
    pub external_id: Option<String>,
}

impl Render for Emitted {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.appended {
            Appended::Stored { id } => {
                writeln!(
                    out,
                    "stored event #{id}: {} for {}",
                    self.event_type, self.contact
                )
            }
            Appended::Duplicate { existing_id } => writeln!(
                out,
                "already stored as event #{existing_id} ({} {}); nothing changed",
                self.source,
                self.external_id.as_deref().unwrap_or("")
            ),
        }
    }
}

pub fn run(ctx: &mut Ctx, cmd: EventCommand) -> Result<(), CliError> {
    let EventCommand::Emit {
        event_type,
        contact,
        data,
        at,
        source,
        external_id,
    } = cmd;
    let payload = match data {
        None => serde_json::json!({}),
        Some(text) => {
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| CliError::Usage(format!("--data is not valid JSON: {e}")))?;
            if !v.is_object() {
                return Err(CliError::Usage(format!(
                    "--data must be a JSON object such as '{{\"amount\": 100}}', got {v}"
                )));
            }
            v
        }
    };
    let now = ctx.now();
    let occurred_at = match at {
        None => now,
        Some(s) => chrono::DateTime::parse_from_rfc3339(s.trim())
            .map_err(|e| {
                CliError::Usage(format!(
                    "--at {s:?} is not an RFC 3339 time such as 2026-01-05T09:00:00Z: {e}"
                ))
            })?
            .with_timezone(&chrono::Utc),
    };
    let ev = NewEvent {
        event_type: event_type.trim().to_string(),
        contact_email: Some(contact.trim().to_string()),
        payload,
        occurred_at,
        source: source
            .unwrap_or_else(|| sources::MANUAL.to_string())
            .trim()
            .to_string(),
        external_id: external_id.map(|s| s.trim().to_string()),
    };
    let appended = ctx.store()?.emit(&ev, now)?;
    ctx.print(&Emitted {
        appended,
        event_type: ev.event_type,
        contact: ev.contact_email.unwrap_or_default(),
        source: ev.source,
        external_id: ev.external_id,
    })
}
