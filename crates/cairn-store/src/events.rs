//! The event log: append-only, deduplicated by `(source, external_id)`.

use cairn_model::event::{Appended, Event, NewEvent};
use cairn_model::{ModelError, Timestamp, contact::normalize_email};
use rusqlite::{OptionalExtension, params};

use crate::{Result, Store, contacts, ms, ts};

/// Appends an event for a known contact (or none) inside the caller's
/// transaction. Re-appending the same `(source, external_id)` stores nothing
/// and returns the id already stored.
// Eight plain columns read better at call sites than a one-use struct.
#[allow(clippy::too_many_arguments)]
pub fn append_using(
    tx: &rusqlite::Connection,
    event_type: &str,
    contact_id: Option<i64>,
    payload: &serde_json::Value,
    occurred_at: Timestamp,
    source: &str,
    external_id: Option<&str>,
    now: Timestamp,
) -> Result<Appended> {
    if let Some(ext) = external_id
        && let Some(existing_id) = tx
            .prepare_cached("SELECT id FROM events WHERE source = ?1 AND external_id = ?2")?
            .query_row(params![source, ext], |r| r.get::<_, i64>(0))
            .optional()?
    {
        return Ok(Appended::Duplicate { existing_id });
    }
    insert_using(
        tx,
        event_type,
        contact_id,
        payload,
        occurred_at,
        source,
        external_id,
        now,
    )
}

/// Inserts without the duplicate check (the caller made it).
#[allow(clippy::too_many_arguments)]
fn insert_using(
    tx: &rusqlite::Connection,
    event_type: &str,
    contact_id: Option<i64>,
    payload: &serde_json::Value,
    occurred_at: Timestamp,
    source: &str,
    external_id: Option<&str>,
    now: Timestamp,
) -> Result<Appended> {
    tx.prepare_cached(
        "INSERT INTO events (type, contact_id, payload, occurred_at, recorded_at, source, external_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        event_type,
        contact_id,
        payload.to_string(),
        ms(occurred_at),
        ms(now),
        source,
        external_id
    ])?;
    Ok(Appended::Stored {
        id: tx.last_insert_rowid(),
    })
}

/// Appends an event about a contact given by email, creating the contact
/// (and its `contact.created` event) when it does not exist yet.
pub fn emit_using(tx: &rusqlite::Connection, ev: &NewEvent, now: Timestamp) -> Result<Appended> {
    check_new_event(ev)?;
    if let Some(ext) = &ev.external_id
        && let Some(existing_id) = tx
            .prepare_cached("SELECT id FROM events WHERE source = ?1 AND external_id = ?2")?
            .query_row(params![ev.source, ext], |r| r.get::<_, i64>(0))
            .optional()?
    {
        return Ok(Appended::Duplicate { existing_id });
    }
    let contact_id = match &ev.contact_email {
        Some(email) => {
            normalize_email(email)?;
            let how = crate::consent::Consent::for_event(&ev.event_type, &ev.source);
            Some(contacts::ensure_as_using(tx, email, &ev.source, &how, now)?.0)
        }
        None => None,
    };
    insert_using(
        tx,
        &ev.event_type,
        contact_id,
        &ev.payload,
        ev.occurred_at,
        &ev.source,
        ev.external_id.as_deref(),
        now,
    )
}

/// Refuses an event whose type, source or external id could not be matched
/// by a trigger or deduplicated: empty, or with spaces in the type.
pub fn check_new_event(ev: &NewEvent) -> Result<(), ModelError> {
    let t = ev.event_type.as_str();
    if t.trim().is_empty() {
        return Err(ModelError::Invalid(
            "an event needs a type, such as purchase.completed".into(),
        ));
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ModelError::Invalid(format!(
            "event type {t:?} contains a space; use dots or underscores, such as purchase.completed"
        )));
    }
    if ev.source.trim().is_empty() {
        return Err(ModelError::Invalid(format!("event {t:?} needs a source")));
    }
    if ev
        .external_id
        .as_deref()
        .is_some_and(|x| x.trim().is_empty())
    {
        return Err(ModelError::Invalid(format!(
            "event {t:?} from {:?} has an empty external id",
            ev.source
        )));
    }
    Ok(())
}

impl Store {
    /// Appends one event in its own transaction.
    pub fn emit(&mut self, ev: &NewEvent, now: Timestamp) -> Result<Appended> {
        self.write(|tx| emit_using(tx, ev, now))
    }

    /// Appends many events in one transaction: all or none.
    pub fn emit_batch(&mut self, evs: &[NewEvent], now: Timestamp) -> Result<Vec<Appended>> {
        self.write(|tx| evs.iter().map(|e| emit_using(tx, e, now)).collect())
    }

    pub fn event(&self, id: i64) -> Result<Option<Event>> {
        Ok(self
            .conn()
            .query_row(&format!("{SELECT} WHERE id = ?1"), [id], row)
            .optional()?)
    }

    /// A contact's events, newest first.
    pub fn events_of_contact(&self, contact_id: i64, limit: usize) -> Result<Vec<Event>> {
        let mut st = self.conn().prepare_cached(&format!(
            "{SELECT} WHERE contact_id = ?1 ORDER BY occurred_at DESC, id DESC LIMIT ?2"
        ))?;
        let rows = st.query_map(params![contact_id, limit as i64], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The most recent events of any contact, newest first.
    pub fn recent_events(&self, limit: usize) -> Result<Vec<Event>> {
        let mut st = self
            .conn()
            .prepare_cached(&format!("{SELECT} ORDER BY id DESC LIMIT ?1"))?;
        let rows = st.query_map([limit as i64], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

const SELECT: &str = "SELECT id, type, contact_id, payload, occurred_at, recorded_at, source, external_id FROM events";

pub(crate) fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    let payload: String = r.get(3)?;
    Ok(Event {
        id: r.get(0)?,
        event_type: r.get(1)?,
        contact_id: r.get(2)?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        occurred_at: ts(r.get(4)?),
        recorded_at: ts(r.get(5)?),
        source: r.get(6)?,
        external_id: r.get(7)?,
    })
}
