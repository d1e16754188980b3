//! Consent: when and how each contact's subscription started and ended.
//!
//! Every status a contact gets — on creation and on every change — appends
//! one row to `consent` in the same transaction as the change, saying how
//! ([`ConsentVia`]: an import and its file, a form, a purchase, by hand, a
//! connected account, an unsubscribe link, a bounce …). Rows are never
//! updated, so the history survives later changes; they leave only with
//! the contact's other data when it is erased (`privacy.rs`).

use cairn_model::Timestamp;
use cairn_model::contact::ContactStatus;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Result, Store, ms, ts};

/// How a status came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsentVia {
    /// A CSV import (detail: the file name).
    Import,
    /// A form submission (detail: the account).
    Form,
    /// A purchase or order (detail: the account).
    Purchase,
    /// By hand: the app's forms or the CLI.
    Manual,
    /// Another event of a connected account or the API (detail: the source).
    Sync,
    /// The recipient used an unsubscribe link.
    UnsubscribeLink,
    /// The recipient marked an email as spam.
    Complaint,
    /// An email to them bounced.
    Bounce,
    /// A workflow's action (detail: the workflow).
    Workflow,
    /// Recorded before Cairn kept consent.
    Unknown,
}

impl ConsentVia {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentVia::Import => "import",
            ConsentVia::Form => "form",
            ConsentVia::Purchase => "purchase",
            ConsentVia::Manual => "manual",
            ConsentVia::Sync => "sync",
            ConsentVia::UnsubscribeLink => "unsubscribe_link",
            ConsentVia::Complaint => "complaint",
            ConsentVia::Bounce => "bounce",
            ConsentVia::Workflow => "workflow",
            ConsentVia::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> ConsentVia {
        match s {
            "import" => ConsentVia::Import,
            "form" => ConsentVia::Form,
            "purchase" => ConsentVia::Purchase,
            "manual" => ConsentVia::Manual,
            "sync" => ConsentVia::Sync,
            "unsubscribe_link" => ConsentVia::UnsubscribeLink,
            "complaint" => ConsentVia::Complaint,
            "bounce" => ConsentVia::Bounce,
            "workflow" => ConsentVia::Workflow,
            _ => ConsentVia::Unknown,
        }
    }
}

/// How a write came about, for the consent log; and whether it may bring
/// back an erased contact as subscribed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub via: ConsentVia,
    pub detail: Option<String>,
    /// An erased contact coming back through this write gets the status
    /// asked for (and leaves the erased list) instead of `unsubscribed`.
    pub resubscribe_erased: bool,
}

impl Consent {
    pub fn new(via: ConsentVia, detail: Option<String>) -> Consent {
        Consent {
            via,
            detail,
            resubscribe_erased: false,
        }
    }

    pub fn manual() -> Consent {
        Consent::new(ConsentVia::Manual, None)
    }

    /// What a `source` string of the older write functions stands for:
    /// `cairn` is by hand, `csv` an import, anything else the name of a
    /// connected account or other event source.
    pub fn from_source(source: &str) -> Consent {
        match source {
            cairn_model::event::sources::CAIRN | cairn_model::event::sources::MANUAL => {
                Consent::manual()
            }
            crate::csv_import::CSV_SOURCE => Consent::new(ConsentVia::Import, None),
            other => Consent::new(ConsentVia::Sync, Some(other.to_string())),
        }
    }

    /// How a contact first seen in an event of `event_type` from `source`
    /// came: a form, a purchase, or another synced event.
    pub fn for_event(event_type: &str, source: &str) -> Consent {
        use cairn_model::event::types;
        let via = match event_type {
            types::FORM_SUBMITTED => ConsentVia::Form,
            types::PURCHASE_COMPLETED | types::ORDER_CREATED => ConsentVia::Purchase,
            _ => return Consent::from_source(source),
        };
        Consent::new(via, Some(source.to_string()))
    }
}

/// One row of a contact's consent history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConsentEntry {
    pub status: ContactStatus,
    pub via: ConsentVia,
    pub detail: Option<String>,
    pub at: Timestamp,
}

/// Appends a consent row for `contact_id` now having `status`.
pub fn record_using(
    tx: &Connection,
    contact_id: i64,
    status: ContactStatus,
    how: &Consent,
    detail_note: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    let detail = match (&how.detail, detail_note) {
        (Some(d), Some(n)) => Some(format!("{d}; {n}")),
        (Some(d), None) => Some(d.clone()),
        (None, Some(n)) => Some(n.to_string()),
        (None, None) => None,
    };
    tx.prepare_cached(
        "INSERT INTO consent (contact_id, status, via, detail, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        contact_id,
        status.as_str(),
        how.via.as_str(),
        detail,
        ms(now)
    ])?;
    Ok(())
}

/// A contact's consent history, oldest first.
pub fn history_using(c: &Connection, contact_id: i64) -> Result<Vec<ConsentEntry>> {
    let mut st = c.prepare_cached(
        "SELECT status, via, detail, at FROM consent WHERE contact_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map([contact_id], |r| {
        Ok(ConsentEntry {
            status: ContactStatus::parse(&r.get::<_, String>(0)?).unwrap_or_default(),
            via: ConsentVia::parse(&r.get::<_, String>(1)?),
            detail: r.get(2)?,
            at: ts(r.get(3)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// The consent history of contact `id`, oldest first.
    pub fn consent_history(&self, contact_id: i64) -> Result<Vec<ConsentEntry>> {
        history_using(self.conn(), contact_id)
    }
}
