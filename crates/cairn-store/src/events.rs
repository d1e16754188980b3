//! The event log: append-only, deduplicated by `(source, external_id)`.

use cairn_model::event::{Appended, Event, NewEvent, sources};
use cairn_model::{ModelError, Timestamp, contact::normalize_email};
use rusqlite::{OptionalExtension, params};

use crate::{Result, Store, contacts, ms, ts};

/// An event row to append for a known contact (or none).
#[derive(Debug, Clone, Copy)]
pub struct EventRecord<'a> {
    pub event_type: &'a str,
    pub contact_id: Option<i64>,
    pub payload: &'a serde_json::Value,
    pub occurred_at: Timestamp,
    pub source: &'a str,
    /// The source's own id, by which a re-delivery is recognised.
    pub external_id: Option<&'a str>,
}

impl<'a> EventRecord<'a> {
    /// An event Cairn itself records as it happens (a tag added, a field
    /// changed): source `cairn`, no external id.
    pub fn cairn(
        event_type: &'a str,
        contact_id: Option<i64>,
        payload: &'a serde_json::Value,
        now: Timestamp,
    ) -> Self {
        EventRecord {
            event_type,
            contact_id,
            payload,
            occurred_at: now,
            source: sources::CAIRN,
            external_id: None,
        }
    }
}

/// Appends an event inside the caller's transaction. Re-appending the same
/// `(source, external_id)` stores nothing and returns the id already stored.
pub fn append_using(
    tx: &rusqlite::Connection,
    ev: &EventRecord<'_>,
    now: Timestamp,
) -> Result<Appended> {
    if let Some(ext) = ev.external_id
        && let Some(existing_id) = tx
            .prepare_cached("SELECT id FROM events WHERE source = ?1 AND external_id = ?2")?
            .query_row(params![ev.source, ext], |r| r.get::<_, i64>(0))
            .optional()?
    {
        return Ok(Appended::Duplicate { existing_id });
    }
    insert_using(tx, ev, now)
}

/// Inserts without the duplicate check (the caller made it).
fn insert_using(
    tx: &rusqlite::Connection,
    ev: &EventRecord<'_>,
    now: Timestamp,
) -> Result<Appended> {
    tx.prepare_cached(
        "INSERT INTO events (type, contact_id, payload, occurred_at, recorded_at, source, external_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        ev.event_type,
        ev.contact_id,
        ev.payload.to_string(),
        ms(ev.occurred_at),
        ms(now),
        ev.source,
        ev.external_id
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
        &EventRecord {
            event_type: &ev.event_type,
            contact_id,
            payload: &ev.payload,
            occurred_at: ev.occurred_at,
            source: &ev.source,
            external_id: ev.external_id.as_deref(),
        },
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

/// An event the engine has not handled yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Unprocessed {
    pub id: i64,
    pub event_type: String,
    pub contact_id: Option<i64>,
    pub payload: serde_json::Value,
}

/// Up to `limit` unprocessed events, in id order.
pub fn unprocessed_using(c: &rusqlite::Connection, limit: usize) -> Result<Vec<Unprocessed>> {
    // The engine's batch size: one statement text (`crate::limit_literal`).
    let mut st = c.prepare_cached(&format!(
        "SELECT id, type, contact_id, payload FROM events WHERE processed_at IS NULL ORDER BY id LIMIT {}",
        crate::limit_literal(limit)
    ))?;
    let rows = st.query_map([], |r| {
        let p: String = r.get(3)?;
        Ok(Unprocessed {
            id: r.get(0)?,
            event_type: r.get(1)?,
            contact_id: r.get(2)?,
            payload: serde_json::from_str(&p).unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether any event waits to be handled.
pub fn has_unprocessed_using(c: &rusqlite::Connection) -> Result<bool> {
    Ok(
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM events WHERE processed_at IS NULL)")?
            .query_row([], |r| r.get(0))?,
    )
}

/// The oldest unprocessed event's id and type.
pub fn oldest_unprocessed_using(c: &rusqlite::Connection) -> Result<Option<(i64, String)>> {
    Ok(c.prepare_cached(
        "SELECT id, type FROM events WHERE processed_at IS NULL ORDER BY id LIMIT 1",
    )?
    .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()?)
}

/// Marks an event handled.
pub fn mark_processed_using(c: &rusqlite::Connection, id: i64, now: Timestamp) -> Result<()> {
    c.prepare_cached("UPDATE events SET processed_at = ?2 WHERE id = ?1")?
        .execute(params![id, ms(now)])?;
    Ok(())
}

/// Whether some event of `event_type` about the contact, which occurred in
/// `[since, until]` (open ends when `None`), has a payload that `test`
/// accepts. Payloads are read in no particular order and the scan stops at
/// the first match; a payload that is not JSON reads as `null`.
pub fn any_payload_using(
    c: &rusqlite::Connection,
    contact_id: i64,
    event_type: &str,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    mut test: impl FnMut(&serde_json::Value) -> bool,
) -> Result<bool> {
    let mut st = c.prepare_cached(
        "SELECT payload FROM events WHERE contact_id = ?1 AND type = ?2 AND occurred_at >= ?3 AND occurred_at <= ?4",
    )?;
    let payloads = st.query_map(
        params![
            contact_id,
            event_type,
            since.map(ms).unwrap_or(i64::MIN),
            until.map(ms).unwrap_or(i64::MAX)
        ],
        |r| r.get::<_, String>(0),
    )?;
    for p in payloads {
        let p: serde_json::Value = serde_json::from_str(&p?).unwrap_or_default();
        if test(&p) {
            return Ok(true);
        }
    }
    Ok(false)
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
