//! Bulk actions on the contacts a filter selects (the contact list's tag,
//! status and search): tag, untag, unsubscribe, erase, export as CSV.
//!
//! The selection is the same query the list shows ([`ContactQuery`], paging
//! ignored), counted first so the confirmation can say how many. Tag, untag
//! and unsubscribe run in one transaction and record the same events and
//! consent rows as one contact's change would; erasure runs one contact per
//! transaction (each with its own secure-delete and checkpoint, see
//! privacy.rs) so a long erasure never holds the write lock for long.
//!
//! The CSV export is formula-injection safe: a cell that starts with `=`,
//! `+`, `-`, `@` (or a tab or carriage return) is prefixed with `'`, so a
//! spreadsheet shows it as text instead of running it (OWASP "CSV
//! Injection").

use cairn_model::Timestamp;
use cairn_model::contact::ContactStatus;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::consent::Consent;
use crate::contacts::{ContactQuery, add_tag_using, remove_tag_using, set_status_as_using};
use crate::{Result, Store, StoreError};

/// What to do to every selected contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BulkAction {
    Tag {
        tag: String,
    },
    Untag {
        tag: String,
    },
    Unsubscribe,
    /// Erase each contact and everything held about them.
    Erase,
}

/// What a bulk action did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BulkReport {
    /// Contacts selected.
    #[ts(type = "number")]
    pub selected: u64,
    /// Contacts the action changed (the others already had the tag, …).
    #[ts(type = "number")]
    pub changed: u64,
}

/// Makes one CSV cell safe to open in a spreadsheet: a value that a
/// spreadsheet would read as a formula is prefixed with `'`.
pub fn safe_cell(v: &str) -> String {
    match v.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{v}"),
        _ => v.to_string(),
    }
}

impl Store {
    fn selected_ids(&self, q: &ContactQuery) -> Result<Vec<i64>> {
        let q = ContactQuery {
            limit: None,
            offset: None,
            ..q.clone()
        };
        self.contact_ids(&q)
    }

    /// Applies `action` to every contact `q` selects (paging ignored).
    pub fn bulk_contacts(
        &mut self,
        q: &ContactQuery,
        action: &BulkAction,
        now: Timestamp,
    ) -> Result<BulkReport> {
        let ids = self.selected_ids(q)?;
        let mut report = BulkReport {
            selected: ids.len() as u64,
            changed: 0,
        };
        match action {
            BulkAction::Erase => {
                for id in ids {
                    self.erase_contact_id(id, now)?;
                    report.changed += 1;
                }
            }
            _ => {
                report.changed = self.write(|tx| {
                    let mut changed = 0u64;
                    for id in &ids {
                        let did = match action {
                            BulkAction::Tag { tag } => add_tag_using(tx, *id, tag, now)?,
                            BulkAction::Untag { tag } => remove_tag_using(tx, *id, tag, now)?,
                            BulkAction::Unsubscribe => set_status_as_using(
                                tx,
                                *id,
                                ContactStatus::Unsubscribed,
                                &Consent::manual(),
                                now,
                            )?,
                            BulkAction::Erase => unreachable!("handled above"),
                        };
                        changed += u64::from(did);
                    }
                    Ok::<_, StoreError>(changed)
                })?;
            }
        }
        tracing::info!(
            selected = report.selected,
            changed = report.changed,
            ?action,
            "bulk action on contacts"
        );
        Ok(report)
    }

    /// Writes every contact `q` selects as CSV (email, name, status,
    /// timezone, tags, then every declared field), formula-injection safe.
    /// The file reads back with `contact import` (a leading `'` aside).
    /// Returns how many contacts were written.
    pub fn export_contacts_csv<W: std::io::Write>(&self, q: &ContactQuery, out: W) -> Result<u64> {
        let fields = self.fields()?;
        let mut w = csv::Writer::from_writer(out);
        let io = |e: csv::Error| StoreError::io("cannot write the CSV file", e);
        let mut header: Vec<String> = ["email", "name", "status", "timezone", "tags"]
            .map(String::from)
            .to_vec();
        header.extend(
            fields
                .iter()
                .map(|f| safe_cell(&format!("{}:{}", f.name, f.field_type))),
        );
        w.write_record(&header).map_err(io)?;
        let mut n = 0;
        for id in self.selected_ids(q)? {
            let Some(c) = self.contact(id)? else { continue };
            let mut row = vec![
                safe_cell(&c.email),
                safe_cell(c.name.as_deref().unwrap_or("")),
                c.status.as_str().to_string(),
                safe_cell(c.timezone.as_deref().unwrap_or("")),
                safe_cell(&c.tags.join(";")),
            ];
            for f in &fields {
                let v = match c.fields.get(&f.name) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                };
                row.push(safe_cell(&v));
            }
            w.write_record(&row).map_err(io)?;
            n += 1;
        }
        w.flush()
            .map_err(|e| StoreError::io("cannot write the CSV file", e))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_prefixed() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("+1"), "'+1");
        assert_eq!(safe_cell("-2"), "'-2");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("Ada"), "Ada");
        assert_eq!(safe_cell(""), "");
    }
}
