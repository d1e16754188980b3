//! Editing pipelines and their stages by hand (the Pipelines screen and
//! `cairn pipeline`): create, rename, add a stage, rename it, move it, and
//! delete it when no deal stands in it.
//!
//! Workflows refer to pipelines and stages by name (a deal-stage trigger,
//! a "move deal" action); activating a workflow re-declares what it names
//! (`deals::ensure_pipeline_using`), so a renamed stage comes back under
//! its old name if a workflow still uses it. The screen and docs say so.
//! Names follow contacts' rule: no control characters, since a stage name
//! reaches email merges and CSV cells.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::contacts::check_no_control;
use crate::deals::{Pipeline, ensure_pipeline_using};
use crate::workflows::definition_using;
use crate::{Result, Store, StoreError};
use cairn_model::{ModelError, Timestamp};

/// A trimmed name, refused when empty or holding a control character.
fn clean_name(what: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ModelError::Invalid(format!("a {what} needs a name")).into());
    }
    check_no_control(&format!("the {what} name"), name)?;
    Ok(name.to_string())
}

fn pipeline_id(tx: &rusqlite::Connection, name: &str) -> Result<i64> {
    tx.prepare_cached("SELECT id FROM pipelines WHERE name = ?1")?
        .query_row([name.trim()], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("pipeline", name.trim()))
}

/// The id and position of a stage of a pipeline.
fn stage_of(tx: &rusqlite::Connection, pipeline_id: i64, stage: &str) -> Result<(i64, i64)> {
    tx.prepare_cached("SELECT id, position FROM stages WHERE pipeline_id = ?1 AND name = ?2")?
        .query_row(params![pipeline_id, stage.trim()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .ok_or_else(|| StoreError::not_found("stage", stage.trim()))
}

/// Rewrites the positions of a pipeline's stages as 0, 1, 2… in `order`.
fn renumber(tx: &rusqlite::Connection, order: &[i64]) -> Result<()> {
    let mut st = tx.prepare_cached("UPDATE stages SET position = ?2 WHERE id = ?1")?;
    for (i, id) in order.iter().enumerate() {
        st.execute(params![id, i as i64])?;
    }
    Ok(())
}

fn stage_ids_in_order(tx: &rusqlite::Connection, pipeline_id: i64) -> Result<Vec<i64>> {
    let mut st =
        tx.prepare_cached("SELECT id FROM stages WHERE pipeline_id = ?1 ORDER BY position, id")?;
    let ids = st
        .query_map([pipeline_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// A stage name that workflows use, and which: what the Pipelines screen
/// shows beside each stage, so a rename or a delete does not surprise a
/// workflow that still names the old stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StageUse {
    /// The stage named; `None` for a deal-stage trigger on any stage.
    pub stage: Option<String>,
    /// The workflows whose current version names it, by name.
    pub workflows: Vec<String>,
}

impl Store {
    /// Which workflows name a pipeline, per stage name (the current
    /// version of each workflow; names compare as the database does,
    /// ignoring ASCII case). A stage name no stage has any more is listed
    /// too: a workflow that still names a renamed or deleted stage.
    pub fn pipeline_usage(&self, pipeline: &str) -> Result<Vec<StageUse>> {
        let pipeline = pipeline.trim();
        let mut uses: Vec<StageUse> = Vec::new();
        for w in self.workflows()? {
            let def = definition_using(self.conn(), w.id, w.version)?;
            for (p, stage) in def.deal_stages() {
                if !p.trim().eq_ignore_ascii_case(pipeline) {
                    continue;
                }
                let stage = stage.map(|s| s.trim().to_string());
                let at = match uses.iter().position(|u| match (&u.stage, &stage) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    (a, b) => a == b,
                }) {
                    Some(at) => at,
                    None => {
                        uses.push(StageUse {
                            stage,
                            workflows: Vec::new(),
                        });
                        uses.len() - 1
                    }
                };
                if !uses[at].workflows.contains(&w.name) {
                    uses[at].workflows.push(w.name.clone());
                }
            }
        }
        Ok(uses)
    }

    /// One pipeline with its stages in order.
    pub fn pipeline(&self, name: &str) -> Result<Pipeline> {
        self.pipelines()?
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| StoreError::not_found("pipeline", name.trim()))
    }

    /// Creates a pipeline with its stages in order; a name taken (in any
    /// case) is a conflict.
    pub fn add_pipeline(
        &mut self,
        name: &str,
        stages: &[String],
        now: Timestamp,
    ) -> Result<Pipeline> {
        let name = clean_name("pipeline", name)?;
        let stages = stages
            .iter()
            .map(|s| clean_name("stage", s))
            .collect::<Result<Vec<_>>>()?;
        self.write(|tx| {
            if pipeline_id(tx, &name).is_ok() {
                return Err(StoreError::Conflict(format!(
                    "a pipeline named {name:?} already exists"
                )));
            }
            ensure_pipeline_using(tx, &name, &stages, now).map(|_| ())
        })?;
        self.pipeline(&name)
    }

    /// Renames a pipeline; its deals and stages stay.
    pub fn rename_pipeline(&mut self, old: &str, new: &str) -> Result<Pipeline> {
        let new = clean_name("pipeline", new)?;
        self.write(|tx| {
            let id = pipeline_id(tx, old)?;
            if let Ok(other) = pipeline_id(tx, &new)
                && other != id
            {
                return Err(StoreError::Conflict(format!(
                    "a pipeline named {new:?} already exists"
                )));
            }
            tx.prepare_cached("UPDATE pipelines SET name = ?2 WHERE id = ?1")?
                .execute(params![id, new])?;
            Ok(())
        })?;
        self.pipeline(&new)
    }

    /// Adds a stage at the end of a pipeline; a name taken is a conflict.
    pub fn add_stage(&mut self, pipeline: &str, stage: &str, now: Timestamp) -> Result<Pipeline> {
        let stage = clean_name("stage", stage)?;
        let name = self.write(|tx| {
            let id = pipeline_id(tx, pipeline)?;
            if stage_of(tx, id, &stage).is_ok() {
                return Err(StoreError::Conflict(format!(
                    "the pipeline already has a stage named {stage:?}"
                )));
            }
            let name: String =
                tx.query_row("SELECT name FROM pipelines WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            ensure_pipeline_using(tx, &name, std::slice::from_ref(&stage), now)?;
            Ok(name)
        })?;
        self.pipeline(&name)
    }

    /// Renames a stage; the deals in it stay in it.
    pub fn rename_stage(&mut self, pipeline: &str, old: &str, new: &str) -> Result<Pipeline> {
        let new = clean_name("stage", new)?;
        self.write(|tx| {
            let pid = pipeline_id(tx, pipeline)?;
            let (sid, _) = stage_of(tx, pid, old)?;
            if let Ok((other, _)) = stage_of(tx, pid, &new)
                && other != sid
            {
                return Err(StoreError::Conflict(format!(
                    "the pipeline already has a stage named {new:?}"
                )));
            }
            tx.prepare_cached("UPDATE stages SET name = ?2 WHERE id = ?1")?
                .execute(params![sid, new])?;
            Ok(())
        })?;
        self.pipeline(pipeline)
    }

    /// Moves a stage to `position` (0 is first; past the end is last).
    pub fn move_stage(&mut self, pipeline: &str, stage: &str, position: usize) -> Result<Pipeline> {
        self.write(|tx| {
            let pid = pipeline_id(tx, pipeline)?;
            let (sid, _) = stage_of(tx, pid, stage)?;
            let mut order = stage_ids_in_order(tx, pid)?;
            order.retain(|&id| id != sid);
            order.insert(position.min(order.len()), sid);
            renumber(tx, &order)
        })?;
        self.pipeline(pipeline)
    }

    /// Deletes a stage that holds no deal. A stage in use is a conflict
    /// whose message says how many deals to move first.
    pub fn delete_stage(&mut self, pipeline: &str, stage: &str) -> Result<Pipeline> {
        self.write(|tx| {
            let pid = pipeline_id(tx, pipeline)?;
            let (sid, _) = stage_of(tx, pid, stage)?;
            let n: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM deals WHERE stage_id = ?1")?
                .query_row([sid], |r| r.get(0))?;
            if n > 0 {
                let deals = if n == 1 {
                    "1 deal"
                } else {
                    &format!("{n} deals")
                };
                return Err(StoreError::Conflict(format!(
                    "the stage {:?} holds {deals}; move them to another stage before deleting it",
                    stage.trim()
                )));
            }
            tx.prepare_cached("DELETE FROM stages WHERE id = ?1")?
                .execute([sid])?;
            renumber(tx, &stage_ids_in_order(tx, pid)?)
        })?;
        self.pipeline(pipeline)
    }
}
