//! "Pause all" and "Resume all" (the tray menu): stop every active workflow
//! at once, and later start again exactly the ones that were running.
//!
//! Pausing holds runs where they are (timers of a paused workflow's live
//! runs do not fire; events still start nothing), so pause-all is the safe
//! "stop everything" switch while the app keeps running. Which workflows it
//! paused is remembered in the settings table in the same transaction, so
//! "Resume all" after a restart still knows — and does not wake a workflow
//! the user had paused by hand before.

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

/// What "Pause all" or "Resume all" did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct PauseReport {
    /// Workflows whose status changed.
    pub changed: Vec<String>,
    /// Workflows "Resume all" left paused, with why (deleted, or no longer
    /// valid since it was paused).
    pub left: Vec<String>,
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
        let text = serde_json::to_string(ids).map_err(|e| StoreError::Io(e.to_string()))?;
        c.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![PAUSED_BY_PAUSE_ALL, text],
        )?;
    }
    Ok(())
}

impl Store {
    /// Pauses every active workflow, remembering which, in one transaction.
    /// Pausing again adds the newly active ones to those remembered.
    pub fn pause_all(&mut self, now: Timestamp) -> Result<PauseReport> {
        self.write(|tx| {
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
                left: vec![],
            })
        })
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
                report.changed.push(w.name);
            }
            remember_using(tx, &[])?;
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
