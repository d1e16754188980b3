//! "Pause all" and "Resume all" (the tray menu): stop every active workflow
//! at once, and later start again exactly the ones that were running.
//!
//! Pausing holds runs where they are (timers of a paused workflow's live
//! runs do not fire; events still start nothing), so pause-all is the safe
//! "stop everything" switch while the app keeps running. Which workflows it
//! paused is remembered in the settings table in the same transaction, so
//! "Resume all" after a restart still knows — and does not wake a workflow
//! the user had paused by hand before.
//!
//! # After a restore
//! A restored database holds what was pending when the backup was taken:
//! queued emails and webhooks, waits long overdue. None of it may leave by
//! surprise, so [`hold_after_restore_using`] (called by `hygiene::restore`
//! before the restored file replaces the live one) pauses every active
//! workflow the way "Pause all" does and holds the whole outbox
//! ([`OUTBOX_HOLD_KEY`], honoured by `outbox::due_using`). "Resume all"
//! starts both again; [`Store::release_outbox_hold`] lets the outbox go on
//! its own (workflows resumed one by one).

use cairn_model::Timestamp;
use cairn_model::validate;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog::catalog_using;
use crate::workflows::{definition_using, summary_by_id_using};
use crate::{Result, Store, StoreError, ms};

/// The settings key holding the ids of the workflows "Pause all" paused.
pub const PAUSED_BY_PAUSE_ALL: &str = "pause_all.workflows";

/// The settings key present while the outbox is held after a restore; its
/// value is the instant of the restore (milliseconds).
pub const OUTBOX_HOLD_KEY: &str = "outbox.held_after_restore";

/// The SQL condition under which no outbox row leaves (see
/// `outbox::due_using`).
pub const OUTBOX_HELD: &str =
    "EXISTS (SELECT 1 FROM settings WHERE key = 'outbox.held_after_restore')";

/// What a restore put on hold, for its confirmation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RestoreHold {
    /// The workflows paused by the restore ("Resume all" starts them again).
    pub paused_workflows: Vec<String>,
    /// Runs waiting (for a timer, an event or a send) in the restored database.
    #[ts(type = "number")]
    pub waiting_runs: u64,
    /// Emails, webhooks and notifications queued in the held outbox.
    #[ts(type = "number")]
    pub waiting_sends: u64,
}

/// What "Pause all" or "Resume all" did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct PauseReport {
    /// Workflows whose status changed.
    pub changed: Vec<String>,
    /// Workflows "Resume all" left paused, with why (deleted, or no longer
    /// valid since it was paused).
    pub left: Vec<String>,
    /// "Resume all" released the outbox held after a restore.
    #[serde(default)]
    pub released_outbox: bool,
}

fn remembered_using(c: &rusqlite::Connection) -> Result<Vec<i64>> {
    let v: Option<String> = c
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [PAUSED_BY_PAUSE_ALL],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

fn remember_using(c: &rusqlite::Connection, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        c.execute("DELETE FROM settings WHERE key = ?1", [PAUSED_BY_PAUSE_ALL])?;
    } else {
        let text = serde_json::to_string(ids).map_err(StoreError::io_source)?;
        c.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![PAUSED_BY_PAUSE_ALL, text],
        )?;
    }
    Ok(())
}

/// Pauses every active workflow, remembering which (see [`Store::pause_all`]).
pub fn pause_all_using(tx: &rusqlite::Connection, now: Timestamp) -> Result<PauseReport> {
    let mut remembered = remembered_using(tx)?;
    let mut changed = vec![];
    let active: Vec<(i64, String)> = tx
        .prepare("SELECT id, name FROM workflows WHERE status = 'active' ORDER BY name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, name) in active {
        tx.execute(
            "UPDATE workflows SET status = 'paused', updated_at = ?2 WHERE id = ?1",
            params![id, ms(now)],
        )?;
        if !remembered.contains(&id) {
            remembered.push(id);
        }
        changed.push(name);
    }
    remember_using(tx, &remembered)?;
    Ok(PauseReport {
        changed,
        ..PauseReport::default()
    })
}

/// Puts a just-restored database on hold: every active workflow paused as
/// by "Pause all", the outbox held until "Resume all" or
/// [`Store::release_outbox_hold`]. Says what waits.
pub fn hold_after_restore_using(tx: &rusqlite::Connection, now: Timestamp) -> Result<RestoreHold> {
    let paused = pause_all_using(tx, now)?;
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![OUTBOX_HOLD_KEY, ms(now).to_string()],
    )?;
    let count = |sql: &str| -> Result<u64> {
        Ok(tx.query_row(sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64)
    };
    Ok(RestoreHold {
        paused_workflows: paused.changed,
        waiting_runs: count("SELECT COUNT(*) FROM runs WHERE status IN ('running', 'waiting')")?,
        waiting_sends: count("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")?,
    })
}

/// Lets the outbox go again. Returns whether it was held.
pub fn release_outbox_hold_using(tx: &rusqlite::Connection) -> Result<bool> {
    Ok(tx.execute("DELETE FROM settings WHERE key = ?1", [OUTBOX_HOLD_KEY])? == 1)
}

impl Store {
    /// Pauses every active workflow, remembering which, in one transaction.
    /// Pausing again adds the newly active ones to those remembered.
    pub fn pause_all(&mut self, now: Timestamp) -> Result<PauseReport> {
        self.write(|tx| pause_all_using(tx, now))
    }

    /// Lets the outbox held after a restore go (workflows stay as they
    /// are). Returns whether it was held.
    pub fn release_outbox_hold(&mut self) -> Result<bool> {
        self.write(|tx| release_outbox_hold_using(tx))
    }

    /// When the restore that holds the outbox happened; none when it is
    /// not held.
    pub fn outbox_held_since(&self) -> Result<Option<Timestamp>> {
        Ok(crate::ts_opt(self.setting::<i64>(OUTBOX_HOLD_KEY)?))
    }

    /// Activates again the workflows "Pause all" paused that are still
    /// paused, and forgets them. One that no longer validates stays paused
    /// and is named in [`PauseReport::left`].
    pub fn resume_all(&mut self, now: Timestamp) -> Result<PauseReport> {
        self.write(|tx| {
            let catalog = catalog_using(tx)?;
            let mut report = PauseReport::default();
            for id in remembered_using(tx)? {
                let Some(w) = summary_by_id_using(tx, id)? else {
                    continue;
                };
                if w.status != crate::workflows::WorkflowStatus::Paused {
                    continue;
                }
                let def = definition_using(tx, w.id, w.version)?;
                if validate::validate(&def, &catalog).has_errors() {
                    report.left.push(format!(
                        "{}: it has validation errors now; open it to fix them",
                        w.name
                    ));
                    continue;
                }
                tx.execute(
                    "UPDATE workflows SET status = 'active', updated_at = ?2 WHERE id = ?1",
                    params![w.id, ms(now)],
                )?;
                // What fell due while paused does not fire on resume (after
                // a restore: not the weeks since the backup either).
                crate::trigger_schedule::restart_using(tx, w.id, now)?;
                // As an activation by hand: its first 48 hours are watched.
                crate::watch::mark_activated_using(tx, w.id, w.version, now)?;
                report.changed.push(w.name);
            }
            remember_using(tx, &[])?;
            report.released_outbox = release_outbox_hold_using(tx)?;
            Ok(report)
        })
    }

    /// How many workflows "Resume all" would start again (remembered by
    /// "Pause all" and still paused).
    pub fn paused_by_pause_all(&self) -> Result<usize> {
        let mut n = 0;
        for id in remembered_using(self.conn())? {
            if summary_by_id_using(self.conn(), id)?
                .is_some_and(|w| w.status == crate::workflows::WorkflowStatus::Paused)
            {
                n += 1;
            }
        }
        Ok(n)
    }
}
