//! A contact's data belongs to the contact: erase it, export it.
//!
//! **Erasure** ([`Store::erase_contact`]) removes everything held about one
//! contact in one transaction: fields, tags, deals, course enrolments and
//! consent rows are deleted; the payloads of their events, the trigger
//! payloads of their runs, their steps' details and their outbox entries'
//! rendered content are blanked. Their open runs end `exited` with reason
//! "contact erased" and their pending sends are cancelled. Rows that
//! analytics count (runs, steps, events, outbox entries) stay, stripped of
//! anything personal, so every figure of the past stays the same. The
//! contact's own row stays as a tombstone (`erased_at` set, email, name and
//! time zone gone) because `runs.contact_id` must point somewhere; every
//! read of contacts leaves tombstones out.
//!
//! Deleted rows linger in SQLite's free space and in the WAL until
//! overwritten, so the erasure runs with `PRAGMA secure_delete = ON` (freed
//! space is zeroed; every connection runs with `FAST` the rest of the time,
//! see `Store::configure`), hands free pages back (`incremental_vacuum`) and
//! checkpoints the WAL with `TRUNCATE`: afterwards the email and the values
//! appear nowhere in the database file or its WAL.
//!
//! **The erased list** keeps an HMAC-SHA256 of each erased email, keyed by a
//! random key made with the database (settings `erasure_key`), never the
//! email itself. A later import, sync or form that meets the email again
//! creates the contact `unsubscribed` (consent says why) unless the user
//! re-subscribes them on purpose ([`crate::consent::Consent::resubscribe_erased`]).
//!
//! **Export** ([`Store::export_contact`]) is one JSON document of everything
//! held about a contact; its shape is documented in docs/cli.md.

use cairn_model::Timestamp;
use cairn_model::contact::Contact;
use cairn_model::event::Event;
use hmac::{Hmac, Mac};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use ts_rs::TS;

use crate::consent::ConsentEntry;
use crate::deals::{Deal, Enrollment};
use crate::runs::{Run, RunQuery, Step};
use crate::{Result, Store, StoreError, ms, ts};

/// The reason recorded on runs that end because their contact was erased.
pub const ERASED_REASON: &str = "contact erased";

/// What the tombstone of an erased contact shows where an email was.
pub const ERASED_EMAIL: &str = "(erased contact)";

fn erasure_key_using(c: &Connection) -> Result<Vec<u8>> {
    let hex_key: Option<String> = c
        .query_row(
            "SELECT value FROM settings WHERE key = 'erasure_key'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let hex_key = hex_key
        .and_then(|v| serde_json::from_str::<String>(&v).ok())
        .ok_or_else(|| StoreError::io_text("the database has no erasure key"))?;
    hex::decode(hex_key).map_err(|_| StoreError::io_text("the database's erasure key is damaged"))
}

/// The erased-list digest of a lower-cased email.
fn digest_using(c: &Connection, key: &str) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&erasure_key_using(c)?)
        .map_err(|e| StoreError::io_text(e.to_string()))?;
    mac.update(key.trim().to_lowercase().as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// When the contact with this (lower-cased) email was erased, if it was.
pub fn erased_at_using(c: &Connection, key: &str) -> Result<Option<Timestamp>> {
    // Every new contact asks; most databases have erased no one.
    let any: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM erased_emails)")?
        .query_row([], |r| r.get(0))?;
    if !any {
        return Ok(None);
    }
    let d = digest_using(c, key)?;
    let at: Option<i64> = c
        .prepare_cached("SELECT erased_at FROM erased_emails WHERE digest = ?1")?
        .query_row([d], |r| r.get(0))
        .optional()?;
    Ok(at.map(ts))
}

/// Takes an email off the erased list (it was added again on purpose).
pub fn forget_erasure_using(c: &Connection, key: &str) -> Result<()> {
    let d = digest_using(c, key)?;
    c.prepare_cached("DELETE FROM erased_emails WHERE digest = ?1")?
        .execute([d])?;
    Ok(())
}

/// What an erasure removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ErasureReport {
    #[ts(type = "number")]
    pub fields: u64,
    #[ts(type = "number")]
    pub tags: u64,
    #[ts(type = "number")]
    pub deals: u64,
    #[ts(type = "number")]
    pub courses: u64,
    /// Events whose payload was removed.
    #[ts(type = "number")]
    pub events: u64,
    /// Runs whose details were removed (they stay counted in analytics).
    #[ts(type = "number")]
    pub runs: u64,
    /// Open runs ended `exited` ("contact erased").
    #[ts(type = "number")]
    pub runs_ended: u64,
    /// Pending sends cancelled.
    #[ts(type = "number")]
    pub sends_cancelled: u64,
    /// Outbox entries whose rendered content was removed.
    #[ts(type = "number")]
    pub messages: u64,
    /// Whether the WAL was checkpointed and emptied at once. False when
    /// another connection was reading: the old pages then leave the WAL at
    /// its next checkpoint.
    pub wal_cleared: bool,
}

/// What an erasure would remove: the numbers the confirmation shows.
pub type ErasurePreview = ErasureReport;

fn count(c: &Connection, sql: &str, id: i64) -> Result<u64> {
    Ok(c.query_row(sql, [id], |r| r.get::<_, i64>(0))? as u64)
}

fn live_id_using(c: &Connection, email: &str) -> Result<i64> {
    crate::contacts::id_by_email_using(c, email)?
        .ok_or_else(|| StoreError::not_found("contact", email.trim()))
}

fn tally_using(c: &Connection, id: i64) -> Result<ErasureReport> {
    Ok(ErasureReport {
        fields: count(
            c,
            "SELECT COUNT(*) FROM contact_fields WHERE contact_id = ?1",
            id,
        )?,
        tags: count(
            c,
            "SELECT COUNT(*) FROM contact_tags WHERE contact_id = ?1",
            id,
        )?,
        deals: count(c, "SELECT COUNT(*) FROM deals WHERE contact_id = ?1", id)?,
        courses: count(
            c,
            "SELECT COUNT(*) FROM enrollments WHERE contact_id = ?1",
            id,
        )?,
        events: count(c, "SELECT COUNT(*) FROM events WHERE contact_id = ?1", id)?,
        runs: count(c, "SELECT COUNT(*) FROM runs WHERE contact_id = ?1", id)?,
        runs_ended: count(
            c,
            "SELECT COUNT(*) FROM runs WHERE contact_id = ?1 AND status IN ('running', 'waiting')",
            id,
        )?,
        sends_cancelled: count(
            c,
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')
               AND run_id IN (SELECT id FROM runs WHERE contact_id = ?1)",
            id,
        )?,
        messages: count(
            c,
            "SELECT COUNT(*) FROM outbox WHERE run_id IN (SELECT id FROM runs WHERE contact_id = ?1)",
            id,
        )?,
        wal_cleared: false,
    })
}

/// Erases contact `id` inside the caller's transaction (see the module
/// docs). The caller turns `secure_delete` on first and checkpoints after.
pub fn erase_using(tx: &Connection, id: i64, now: Timestamp) -> Result<ErasureReport> {
    let report = tally_using(tx, id)?;
    let key: String = tx.query_row(
        "SELECT email_key FROM contacts WHERE id = ?1 AND erased_at IS NULL",
        [id],
        |r| r.get(0),
    )?;
    let now_ms = ms(now);
    // Open runs leave, as the engine's exit does: open steps skipped,
    // queued sends cancelled, timers and event waits removed.
    let open: Vec<i64> = tx
        .prepare_cached(
            "SELECT id FROM runs WHERE contact_id = ?1 AND status IN ('running', 'waiting')",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for run in open {
        tx.prepare_cached(
            "UPDATE steps SET status = 'skipped', finished_at = ?2 WHERE run_id = ?1 AND status IN ('waiting', 'pending')",
        )?
        .execute(params![run, now_ms])?;
        crate::runs::end_run_using(
            tx,
            run,
            crate::runs::RunStatus::Exited,
            Some(ERASED_REASON),
            None,
            false,
            now,
        )?;
    }
    tx.prepare_cached(
        "UPDATE outbox SET status = 'skipped', last_error = ?2, updated_at = ?3
         WHERE status IN ('pending', 'sending') AND run_id IN (SELECT id FROM runs WHERE contact_id = ?1)",
    )?
    .execute(params![id, ERASED_REASON, now_ms])?;
    // What analytics count stays; what it says about the person goes.
    tx.prepare_cached(
        "UPDATE outbox SET payload = '{}', last_error = CASE WHEN last_error = ?2 THEN last_error END
         WHERE run_id IN (SELECT id FROM runs WHERE contact_id = ?1)",
    )?
    .execute(params![id, ERASED_REASON])?;
    tx.prepare_cached(
        "UPDATE steps SET detail = NULL WHERE run_id IN (SELECT id FROM runs WHERE contact_id = ?1)",
    )?
    .execute([id])?;
    tx.prepare_cached(
        "UPDATE runs SET trigger_payload = '{}', pruned_at = COALESCE(pruned_at, ?2) WHERE contact_id = ?1",
    )?
    .execute(params![id, now_ms])?;
    tx.prepare_cached(
        "UPDATE events SET payload = '{}', pruned_at = COALESCE(pruned_at, ?2) WHERE contact_id = ?1",
    )?
    .execute(params![id, now_ms])?;
    tx.prepare_cached("DELETE FROM event_waits WHERE contact_id = ?1")?
        .execute([id])?;
    for sql in [
        "DELETE FROM contact_fields WHERE contact_id = ?1",
        "DELETE FROM contact_tags WHERE contact_id = ?1",
        "DELETE FROM deals WHERE contact_id = ?1",
        "DELETE FROM enrollments WHERE contact_id = ?1",
        "DELETE FROM consent WHERE contact_id = ?1",
    ] {
        tx.prepare_cached(sql)?.execute([id])?;
    }
    tx.prepare_cached(
        "INSERT INTO erased_emails (digest, erased_at) VALUES (?1, ?2)
         ON CONFLICT (digest) DO UPDATE SET erased_at = excluded.erased_at",
    )?
    .execute(params![digest_using(tx, &key)?, now_ms])?;
    tx.prepare_cached(
        "UPDATE contacts SET email = ?2, email_key = 'erased:' || id, name = NULL, timezone = NULL,
                status = 'unsubscribed', is_test = 0, erased_at = ?3, updated_at = ?3
         WHERE id = ?1",
    )?
    .execute(params![id, ERASED_EMAIL, now_ms])?;
    Ok(report)
}

/// A tag of a contact, with when it was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TagEntry {
    pub name: String,
    pub added_at: Timestamp,
}

/// A run of the contact with its steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RunExport {
    #[serde(flatten)]
    pub run: Run,
    pub steps: Vec<Step>,
}

/// An email Cairn sent (or tried to send) to the contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EmailRecord {
    pub subject: String,
    pub template: String,
    pub to: String,
    /// The outbox status: sent, failed, skipped, pending, sending.
    pub status: String,
    pub workflow: Option<String>,
    pub queued_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// Everything Cairn holds about one contact (`cairn contact export`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ContactExport {
    /// Always "cairn.contact-export".
    pub format: String,
    pub version: u32,
    pub exported_at: Timestamp,
    /// The contact with its fields and tags.
    pub contact: Contact,
    pub tags: Vec<TagEntry>,
    pub consent: Vec<ConsentEntry>,
    pub deals: Vec<Deal>,
    pub courses: Vec<Enrollment>,
    /// Every event about the contact, oldest first.
    pub events: Vec<Event>,
    /// Every run of the contact, oldest first, with its steps.
    pub runs: Vec<RunExport>,
    /// Every email queued for the contact, oldest first.
    pub emails: Vec<EmailRecord>,
}

/// The `format` of a contact export.
pub const EXPORT_FORMAT: &str = "cairn.contact-export";

impl Store {
    /// What erasing the contact with this email would remove (for the
    /// confirmation).
    pub fn erasure_preview(&self, email: &str) -> Result<ErasurePreview> {
        let id = live_id_using(self.conn(), email)?;
        tally_using(self.conn(), id)
    }

    /// [`Store::erasure_preview`] by id (the contacts screen).
    pub fn erasure_preview_id(&self, id: i64) -> Result<ErasurePreview> {
        if crate::contacts::get_using(self.conn(), id)?.is_none() {
            return Err(StoreError::not_found("contact", id.to_string()));
        }
        tally_using(self.conn(), id)
    }

    /// When the contact with this email was erased, if it was (and was not
    /// added again on purpose since).
    pub fn erased_at(&self, email: &str) -> Result<Option<Timestamp>> {
        erased_at_using(self.conn(), email)
    }

    /// Erases the contact with this email (see the module docs) and clears
    /// what it leaves in the files.
    pub fn erase_contact(&mut self, email: &str, now: Timestamp) -> Result<ErasureReport> {
        let id = live_id_using(self.conn(), email)?;
        self.erase_contact_id(id, now)
    }

    /// [`Store::erase_contact`] by id (the contacts screen).
    pub fn erase_contact_id(&mut self, id: i64, now: Timestamp) -> Result<ErasureReport> {
        self.conn().execute_batch("PRAGMA secure_delete = ON;")?;
        let out = self.write(|tx| {
            let live: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM contacts WHERE id = ?1 AND erased_at IS NULL)",
                [id],
                |r| r.get(0),
            )?;
            if !live {
                return Err(StoreError::not_found("contact", id.to_string()));
            }
            erase_using(tx, id, now)
        });
        let restored = self.conn().execute_batch("PRAGMA secure_delete = FAST;");
        let mut report = out?;
        restored?;
        report.wal_cleared = self.clear_freed_space()?;
        tracing::info!(
            contact = id,
            runs = report.runs,
            runs_ended = report.runs_ended,
            "erased a contact"
        );
        Ok(report)
    }

    /// Hands free pages back to the file system and empties the WAL, so
    /// deleted content is in neither file. Returns whether the WAL could be
    /// emptied now (a reader elsewhere can keep it until later).
    fn clear_freed_space(&mut self) -> Result<bool> {
        self.conn().execute_batch("PRAGMA incremental_vacuum;")?;
        let (busy, _, _): (i64, i64, i64) =
            self.conn()
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        Ok(busy == 0)
    }

    /// Everything held about the contact with this email.
    pub fn export_contact(&self, email: &str, now: Timestamp) -> Result<ContactExport> {
        let id = live_id_using(self.conn(), email)?;
        self.export_contact_id(id, now)
    }

    /// [`Store::export_contact`] by id (the contacts screen).
    pub fn export_contact_id(&self, id: i64, now: Timestamp) -> Result<ContactExport> {
        let c = self.conn();
        let contact = crate::contacts::get_using(c, id)?
            .ok_or_else(|| StoreError::not_found("contact", id.to_string()))?;
        let tags = c
            .prepare_cached(
                "SELECT t.name, ct.added_at FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
                 WHERE ct.contact_id = ?1 ORDER BY ct.added_at, t.name",
            )?
            .query_map([id], |r| {
                Ok(TagEntry {
                    name: r.get(0)?,
                    added_at: ts(r.get(1)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut events = self.events_of_contact(id, usize::MAX >> 1)?;
        events.reverse();
        let mut runs = self.runs(&RunQuery {
            contact_id: Some(id),
            ..Default::default()
        })?;
        runs.reverse();
        let runs = runs
            .into_iter()
            .map(|run| {
                Ok(RunExport {
                    steps: self.steps(run.id)?,
                    run,
                })
            })
            .collect::<Result<_>>()?;
        let emails = c
            .prepare_cached(
                "SELECT o.payload, o.status, w.name, o.created_at, o.sent_at
                 FROM outbox o JOIN runs r ON r.id = o.run_id LEFT JOIN workflows w ON w.id = r.workflow_id
                 WHERE r.contact_id = ?1 AND o.kind = 'email' ORDER BY o.id",
            )?
            .query_map([id], |r| {
                let payload: String = r.get(0)?;
                let p: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
                let s = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                Ok(EmailRecord {
                    subject: s("subject"),
                    template: s("template"),
                    to: s("to"),
                    status: r.get(1)?,
                    workflow: r.get(2)?,
                    queued_at: ts(r.get(3)?),
                    sent_at: r.get::<_, Option<i64>>(4)?.map(ts),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ContactExport {
            format: EXPORT_FORMAT.into(),
            version: 1,
            exported_at: now,
            tags,
            consent: crate::consent::history_using(c, id)?,
            deals: self.deals_of_contact(id)?,
            courses: self.enrollments_of_contact(id)?,
            events,
            runs,
            emails,
            contact,
        })
    }
}
