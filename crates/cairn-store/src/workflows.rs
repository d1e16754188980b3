//! Workflows and their versions.
//!
//! A workflow's definition is stored per version as canonical file JSON.
//! Saving a changed workflow whose current version already has runs makes a
//! new version (runs stay on the version they started on); otherwise the
//! current version is updated in place.

use cairn_model::Timestamp;
use cairn_model::file;
use cairn_model::validate::{self, Report};
use cairn_model::workflow::WorkflowDef;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog::catalog_using;
use crate::contacts::define_field_using;
use crate::deals::{ensure_course_using, ensure_pipeline_using};
use crate::{Result, Store, StoreError, ms, ts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum WorkflowStatus {
    Draft,
    Active,
    Paused,
}

impl WorkflowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowStatus::Draft => "draft",
            WorkflowStatus::Active => "active",
            WorkflowStatus::Paused => "paused",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(WorkflowStatus::Draft),
            "active" => Some(WorkflowStatus::Active),
            "paused" => Some(WorkflowStatus::Paused),
            _ => None,
        }
    }
}

/// A workflow as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkflowSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub status: WorkflowStatus,
    pub version: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One stored version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct VersionInfo {
    pub version: u32,
    pub created_at: Timestamp,
    pub current: bool,
    #[ts(type = "number")]
    pub runs: i64,
    pub nodes: u32,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportOutcome {
    #[ts(type = "number")]
    pub id: i64,
    /// The name it was stored under (a copy gets "Name (2)").
    pub name: String,
    /// Set when the name clashed and the import became a copy.
    pub renamed_from: Option<String>,
    /// Set when `replace` overwrote an existing workflow.
    pub replaced: bool,
    pub version: u32,
    pub status: WorkflowStatus,
    /// Validation against this database (the workflow arrives paused either way).
    pub report: Report,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SaveOutcome {
    #[ts(type = "number")]
    pub id: i64,
    pub version: u32,
    /// True when a new version was made because the old one has runs.
    pub new_version: bool,
    /// True when nothing changed.
    pub unchanged: bool,
    pub report: Report,
}

/// A workflow as the Workflows screen lists it: the summary and its
/// headline numbers. Only live runs count (dry runs and test runs from the
/// editor do not), as in [`crate::analytics`]; the numbers cover every run
/// of every version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkflowOverview {
    pub workflow: WorkflowSummary,
    /// Runs running or waiting now.
    #[ts(type = "number")]
    pub active_runs: i64,
    /// Runs that reached the end of a path.
    #[ts(type = "number")]
    pub completed_runs: i64,
    /// Runs that ended, however they ended (completed, exited or failed).
    #[ts(type = "number")]
    pub ended_runs: i64,
    /// completed ÷ ended; `null` until a run has ended.
    pub completion_rate: Option<f64>,
    /// The most recent failed step, if any step ever failed.
    pub last_error: Option<LastError>,
}

/// A failed step, as the Workflows screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LastError {
    /// The node that failed.
    pub node: String,
    /// Why, in the engine's words (`null` when it recorded no reason).
    pub message: Option<String>,
    pub at: Timestamp,
}

const SUMMARY: &str =
    "SELECT id, name, status, current_version, created_at, updated_at FROM workflows";

fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WorkflowSummary> {
    Ok(WorkflowSummary {
        id: r.get(0)?,
        name: r.get(1)?,
        status: WorkflowStatus::parse(&r.get::<_, String>(2)?).unwrap_or(WorkflowStatus::Draft),
        version: r.get(3)?,
        created_at: ts(r.get(4)?),
        updated_at: ts(r.get(5)?),
    })
}

pub fn summary_using(c: &rusqlite::Connection, name: &str) -> Result<Option<WorkflowSummary>> {
    Ok(c.prepare_cached(&format!("{SUMMARY} WHERE name = ?1"))?
        .query_row([name.trim()], summary_row)
        .optional()?)
}

pub fn summary_by_id_using(c: &rusqlite::Connection, id: i64) -> Result<Option<WorkflowSummary>> {
    Ok(c.prepare_cached(&format!("{SUMMARY} WHERE id = ?1"))?
        .query_row([id], summary_row)
        .optional()?)
}

/// The definition of one version of a workflow.
pub fn definition_using(
    c: &rusqlite::Connection,
    workflow_id: i64,
    version: u32,
) -> Result<WorkflowDef> {
    let text: String = c
        .prepare_cached(
            "SELECT definition FROM workflow_versions WHERE workflow_id = ?1 AND version = ?2",
        )?
        .query_row(params![workflow_id, version], |r| r.get(0))
        .optional()?
        .ok_or_else(|| {
            StoreError::not_found("workflow version", format!("{workflow_id}/{version}"))
        })?;
    Ok(file::parse(&text)?)
}

fn free_name(tx: &rusqlite::Connection, wanted: &str) -> Result<String> {
    if summary_using(tx, wanted)?.is_none() {
        return Ok(wanted.to_string());
    }
    let base = strip_copy_suffix(wanted);
    for n in 2.. {
        let candidate = format!("{base} ({n})");
        if summary_using(tx, &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    unreachable!()
}

/// "Welcome (2)" → "Welcome", so a copy of a copy is "Welcome (3)".
fn strip_copy_suffix(name: &str) -> &str {
    if let Some(open) = name.rfind(" (")
        && name.ends_with(')')
        && name[open + 2..name.len() - 1].parse::<u32>().is_ok()
    {
        return &name[..open];
    }
    name
}

/// Creates what the workflow declares under `requires`.
pub fn ensure_requirements_using(
    tx: &rusqlite::Connection,
    def: &WorkflowDef,
    now: Timestamp,
) -> Result<()> {
    for f in &def.requires.fields {
        define_field_using(tx, f, now)?;
    }
    for p in &def.requires.pipelines {
        ensure_pipeline_using(tx, &p.name, &p.stages, now)?;
    }
    for c in &def.requires.courses {
        ensure_course_using(tx, c, now)?;
    }
    Ok(())
}

fn runs_on_version(tx: &rusqlite::Connection, id: i64, version: u32) -> Result<i64> {
    Ok(tx.query_row(
        "SELECT COUNT(*) FROM runs WHERE workflow_id = ?1 AND version = ?2",
        params![id, version],
        |r| r.get(0),
    )?)
}

/// Stores a definition under an existing workflow: in place, or as a new
/// version when the current one has runs.
fn store_definition_using(
    tx: &rusqlite::Connection,
    w: &WorkflowSummary,
    def: &WorkflowDef,
    now: Timestamp,
) -> Result<(u32, bool, bool)> {
    let text = file::to_canonical_json(def);
    let current: String = tx.query_row(
        "SELECT definition FROM workflow_versions WHERE workflow_id = ?1 AND version = ?2",
        params![w.id, w.version],
        |r| r.get(0),
    )?;
    if current == text {
        return Ok((w.version, false, true));
    }
    let (version, new_version) = if runs_on_version(tx, w.id, w.version)? > 0 {
        let v = w.version + 1;
        tx.execute(
            "INSERT INTO workflow_versions (workflow_id, version, definition, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![w.id, v, text, ms(now)],
        )?;
        (v, true)
    } else {
        tx.execute(
            "UPDATE workflow_versions SET definition = ?3, created_at = ?4 WHERE workflow_id = ?1 AND version = ?2",
            params![w.id, w.version, text, ms(now)],
        )?;
        (w.version, false)
    };
    tx.execute(
        "UPDATE workflows SET name = ?2, current_version = ?3, updated_at = ?4 WHERE id = ?1",
        params![w.id, def.name.trim(), version, ms(now)],
    )?;
    Ok((version, new_version, false))
}

fn insert_workflow_using(
    tx: &rusqlite::Connection,
    def: &WorkflowDef,
    status: WorkflowStatus,
    now: Timestamp,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO workflows (name, status, current_version, created_at, updated_at) VALUES (?1, ?2, 1, ?3, ?3)",
        params![def.name.trim(), status.as_str(), ms(now)],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO workflow_versions (workflow_id, version, definition, created_at) VALUES (?1, 1, ?2, ?3)",
        params![id, file::to_canonical_json(def), ms(now)],
    )?;
    Ok(id)
}

/// Imports a parsed workflow: all or nothing, arriving paused.
pub fn import_def_using(
    tx: &rusqlite::Connection,
    mut def: WorkflowDef,
    replace: bool,
    now: Timestamp,
) -> Result<ImportOutcome> {
    let wanted = def.name.trim().to_string();
    if wanted.is_empty() {
        return Err(cairn_model::file::FileError {
            code: cairn_model::ErrorCode::InvalidField,
            path: "name".into(),
            message: "the workflow has no name".into(),
        }
        .into());
    }
    ensure_requirements_using(tx, &def, now)?;
    let existing = summary_using(tx, &wanted)?;
    let (id, version, renamed_from, replaced) = match existing {
        Some(w) if replace => {
            def.name = w.name.clone();
            let (v, _, _) = store_definition_using(tx, &w, &def, now)?;
            tx.execute(
                "UPDATE workflows SET status = 'paused', updated_at = ?2 WHERE id = ?1",
                params![w.id, ms(now)],
            )?;
            (w.id, v, None, true)
        }
        Some(_) => {
            let name = free_name(tx, &wanted)?;
            def.name = name;
            (
                insert_workflow_using(tx, &def, WorkflowStatus::Paused, now)?,
                1,
                Some(wanted),
                false,
            )
        }
        None => (
            insert_workflow_using(tx, &def, WorkflowStatus::Paused, now)?,
            1,
            None,
            false,
        ),
    };
    let report = validate::validate(&def, &catalog_using(tx)?);
    Ok(ImportOutcome {
        id,
        name: def.name,
        renamed_from,
        replaced,
        version,
        status: WorkflowStatus::Paused,
        report,
    })
}

fn overview_using(c: &rusqlite::Connection, w: WorkflowSummary) -> Result<WorkflowOverview> {
    let (active, completed, ended): (i64, i64, i64) = c
        .prepare_cached(
            "SELECT COALESCE(SUM(status IN ('running', 'waiting')), 0),
                    COALESCE(SUM(status = 'completed'), 0),
                    COALESCE(SUM(status IN ('completed', 'exited', 'failed')), 0)
             FROM runs WHERE workflow_id = ?1 AND mode = 'live'",
        )?
        .query_row([w.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let last_error = c
        .prepare_cached(
            "SELECT s.node_id, s.detail, COALESCE(s.finished_at, s.started_at)
             FROM steps s JOIN runs r ON r.id = s.run_id
             WHERE s.workflow_id = ?1 AND s.status = 'failed' AND r.mode = 'live'
             ORDER BY s.id DESC LIMIT 1",
        )?
        .query_row([w.id], |r| {
            let detail: Option<String> = r.get(1)?;
            let message = detail
                .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                .and_then(|d| d.get("error").and_then(|e| e.as_str()).map(String::from));
            Ok(LastError {
                node: r.get(0)?,
                message,
                at: ts(r.get(2)?),
            })
        })
        .optional()?;
    Ok(WorkflowOverview {
        workflow: w,
        active_runs: active,
        completed_runs: completed,
        ended_runs: ended,
        completion_rate: (ended > 0).then(|| completed as f64 / ended as f64),
        last_error,
    })
}

/// Turns a draft the reader refuses into a report: one error, pinned to the
/// node its JSON path points into (`nodes[3].config.duration`), so the
/// editor shows it on that node like any other issue.
fn file_error_report(draft: &serde_json::Value, e: &cairn_model::file::FileError) -> Report {
    let mut node = None;
    let mut message = e.to_string();
    if let Some(rest) = e.path.strip_prefix("nodes[")
        && let Some((index, tail)) = rest.split_once(']')
        && let Ok(index) = index.parse::<usize>()
        && let Some(id) = draft
            .get("nodes")
            .and_then(|n| n.get(index))
            .and_then(|n| n.get("id"))
            .and_then(|id| id.as_str())
    {
        node = Some(id.to_string());
        let tail = tail.trim_start_matches('.');
        message = if tail.is_empty() {
            e.message.clone()
        } else {
            format!("{tail}: {}", e.message)
        };
    }
    Report {
        issues: vec![validate::Issue {
            severity: validate::Severity::Error,
            code: e.code.to_string(),
            node,
            message,
        }],
    }
}

/// What the engine needs to know about a workflow right now: cheap to read
/// at the start of every batch, and compared as a whole to see whether
/// anything changed (another process may have saved or paused it).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowState {
    pub id: i64,
    pub name: String,
    pub status: WorkflowStatus,
    pub version: u32,
    pub updated_at: i64,
}

/// Every workflow's id, name, status, current version and last change, by id.
pub fn states_using(c: &rusqlite::Connection) -> Result<Vec<WorkflowState>> {
    let mut st = c.prepare_cached(
        "SELECT id, name, status, current_version, updated_at FROM workflows ORDER BY id",
    )?;
    let rows = st.query_map([], |r| {
        Ok(WorkflowState {
            id: r.get(0)?,
            name: r.get(1)?,
            status: WorkflowStatus::parse(&r.get::<_, String>(2)?).unwrap_or(WorkflowStatus::Draft),
            version: r.get(3)?,
            updated_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// Imports a workflow file. Nothing is written unless all of it is good.
    pub fn import_workflow(
        &mut self,
        text: &str,
        replace: bool,
        now: Timestamp,
    ) -> Result<ImportOutcome> {
        let def = file::parse(text)?;
        self.write(|tx| import_def_using(tx, def, replace, now))
    }

    /// Creates a new draft workflow; a clashing name is a conflict.
    pub fn create_workflow(&mut self, def: &WorkflowDef, now: Timestamp) -> Result<SaveOutcome> {
        self.write(|tx| {
            if summary_using(tx, &def.name)?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "a workflow named {:?} already exists",
                    def.name.trim()
                )));
            }
            if def.name.trim().is_empty() {
                return Err(
                    cairn_model::ModelError::Invalid("a workflow needs a name".into()).into(),
                );
            }
            ensure_requirements_using(tx, def, now)?;
            let id = insert_workflow_using(tx, def, WorkflowStatus::Draft, now)?;
            Ok(SaveOutcome {
                id,
                version: 1,
                new_version: false,
                unchanged: false,
                report: validate::validate(def, &catalog_using(tx)?),
            })
        })
    }

    /// Saves a changed definition of workflow `id`. An active workflow stays
    /// active only while its new version validates.
    pub fn save_workflow(
        &mut self,
        id: i64,
        def: &WorkflowDef,
        now: Timestamp,
    ) -> Result<SaveOutcome> {
        self.write(|tx| {
            let w = summary_by_id_using(tx, id)?
                .ok_or_else(|| StoreError::not_found("workflow", id.to_string()))?;
            if def.name.trim().is_empty() {
                return Err(
                    cairn_model::ModelError::Invalid("a workflow needs a name".into()).into(),
                );
            }
            if let Some(other) = summary_using(tx, &def.name)?
                && other.id != id
            {
                return Err(StoreError::Conflict(format!(
                    "another workflow is named {:?}",
                    def.name.trim()
                )));
            }
            ensure_requirements_using(tx, def, now)?;
            let report = validate::validate(def, &catalog_using(tx)?);
            if w.status == WorkflowStatus::Active && report.has_errors() {
                return Err(StoreError::Validation(report));
            }
            let (version, new_version, unchanged) = store_definition_using(tx, &w, def, now)?;
            if w.status == WorkflowStatus::Active && !unchanged {
                crate::watch::mark_activated_using(tx, id, version, now)?;
            }
            Ok(SaveOutcome {
                id,
                version,
                new_version,
                unchanged,
                report,
            })
        })
    }

    pub fn workflows(&self) -> Result<Vec<WorkflowSummary>> {
        let mut st = self
            .conn()
            .prepare_cached(&format!("{SUMMARY} ORDER BY name COLLATE NOCASE"))?;
        let rows = st.query_map([], summary_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn workflow(&self, name: &str) -> Result<WorkflowSummary> {
        summary_using(self.conn(), name)?
            .ok_or_else(|| StoreError::not_found("workflow", name.trim()))
    }

    pub fn workflow_by_id(&self, id: i64) -> Result<WorkflowSummary> {
        summary_by_id_using(self.conn(), id)?
            .ok_or_else(|| StoreError::not_found("workflow", id.to_string()))
    }

    /// Every workflow with its headline numbers, ordered by name.
    pub fn workflow_overviews(&self) -> Result<Vec<WorkflowOverview>> {
        self.workflows()?
            .into_iter()
            .map(|w| overview_using(self.conn(), w))
            .collect()
    }

    /// The current definition of the workflow with this id.
    pub fn workflow_def_by_id(&self, id: i64) -> Result<(WorkflowSummary, WorkflowDef)> {
        let w = self.workflow_by_id(id)?;
        let def = definition_using(self.conn(), w.id, w.version)?;
        Ok((w, def))
    }

    /// Validates an editor's draft, given as the JSON the UI holds. A draft
    /// the file reader refuses (a duration "soon") is not an error of the
    /// call: it comes back as an issue on the node it concerns.
    pub fn validate_draft(&self, draft: serde_json::Value) -> Result<Report> {
        match file::parse_value(draft.clone()) {
            Ok(def) => self.validate_workflow(&def),
            Err(e) => Ok(file_error_report(&draft, &e)),
        }
    }

    /// Saves an editor's draft (the JSON the UI holds) as workflow `id`;
    /// see [`Store::save_workflow`]. A draft the reader refuses is refused
    /// with its JSON path, like a bad file.
    pub fn save_draft(
        &mut self,
        id: i64,
        draft: serde_json::Value,
        now: Timestamp,
    ) -> Result<SaveOutcome> {
        let def = file::parse_value(draft)?;
        self.save_workflow(id, &def, now)
    }

    /// The current definition of a workflow.
    pub fn workflow_def(&self, name: &str) -> Result<(WorkflowSummary, WorkflowDef)> {
        let w = self.workflow(name)?;
        let def = definition_using(self.conn(), w.id, w.version)?;
        Ok((w, def))
    }

    /// The canonical file text of a workflow's current version. A workflow
    /// with a credential written into it (a literal `Authorization` header,
    /// `?api_key=` in a URL) is refused: files travel.
    pub fn export_workflow(&self, name: &str) -> Result<String> {
        let (_, def) = self.workflow_def(name)?;
        let issues = validate::workflow_credential_issues(&def);
        if !issues.is_empty() {
            return Err(StoreError::Validation(Report { issues }));
        }
        Ok(file::to_canonical_json(&def))
    }

    pub fn workflow_versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        let w = self.workflow(name)?;
        let mut st = self.conn().prepare_cached(
            "SELECT v.version, v.created_at, v.definition,
                    (SELECT COUNT(*) FROM runs r WHERE r.workflow_id = v.workflow_id AND r.version = v.version)
             FROM workflow_versions v WHERE v.workflow_id = ?1 ORDER BY v.version",
        )?;
        let rows = st.query_map([w.id], |r| {
            let def: String = r.get(2)?;
            let nodes = file::parse(&def).map(|d| d.nodes.len() as u32).unwrap_or(0);
            let version: u32 = r.get(0)?;
            Ok(VersionInfo {
                version,
                created_at: ts(r.get(1)?),
                current: version == w.version,
                runs: r.get(3)?,
                nodes,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Validates a workflow's current version against this database.
    pub fn validate_workflow(&self, def: &WorkflowDef) -> Result<Report> {
        Ok(validate::validate(def, &catalog_using(self.conn())?))
    }

    /// Validates the current version of the workflow named `name`: what
    /// activation would refuse.
    pub fn workflow_report(&self, name: &str) -> Result<Report> {
        let (_, def) = self.workflow_def(name)?;
        self.validate_workflow(&def)
    }

    /// Activates (refused while validation finds errors) or pauses.
    pub fn set_workflow_status(
        &mut self,
        name: &str,
        status: WorkflowStatus,
        now: Timestamp,
    ) -> Result<WorkflowSummary> {
        self.write(|tx| {
            let w = summary_using(tx, name)?
                .ok_or_else(|| StoreError::not_found("workflow", name.trim()))?;
            if status == WorkflowStatus::Active {
                let def = definition_using(tx, w.id, w.version)?;
                let report = validate::validate(&def, &catalog_using(tx)?);
                if report.has_errors() {
                    return Err(StoreError::Validation(report));
                }
            }
            tx.execute(
                "UPDATE workflows SET status = ?2, updated_at = ?3 WHERE id = ?1",
                params![w.id, status.as_str(), ms(now)],
            )?;
            if status == WorkflowStatus::Active && w.status != WorkflowStatus::Active {
                crate::watch::mark_activated_using(tx, w.id, w.version, now)?;
                crate::trigger_schedule::restart_using(tx, w.id, now)?;
            }
            Ok(())
        })?;
        self.workflow(name)
    }

    /// Deletes a workflow with its versions, runs and steps.
    pub fn delete_workflow(&mut self, name: &str) -> Result<()> {
        self.write(|tx| {
            let w = summary_using(tx, name)?
                .ok_or_else(|| StoreError::not_found("workflow", name.trim()))?;
            tx.execute("DELETE FROM workflows WHERE id = ?1", [w.id])?;
            Ok(())
        })
    }

    /// Copies a workflow under a free name ("Name (2)"), as a draft.
    pub fn duplicate_workflow(&mut self, name: &str, now: Timestamp) -> Result<WorkflowSummary> {
        let id = self.write(|tx| {
            let w = summary_using(tx, name)?
                .ok_or_else(|| StoreError::not_found("workflow", name.trim()))?;
            let mut def = definition_using(tx, w.id, w.version)?;
            def.name = free_name(tx, &w.name)?;
            insert_workflow_using(tx, &def, WorkflowStatus::Draft, now)
        })?;
        self.workflow_by_id(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::contacts::ContactInput;
    use crate::runs::{
        NewRun, NewStep, RunStatus, StepStatus, end_run_using, insert_run_using, insert_step_using,
        set_run_position_using,
    };
    use cairn_model::effect::RunMode;
    use chrono::{TimeZone, Utc};

    fn at(minute: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 1, 5, 9, minute, 0).unwrap()
    }

    const FLOW: &str = r#"{"format": "cairn.workflow", "version": 1, "name": "Follow-up",
      "nodes": [
        {"id": "start", "position": {"x": 0, "y": 0}, "kind": "trigger.manual", "config": {}},
        {"id": "hook", "position": {"x": 0, "y": 120}, "kind": "action.webhook", "config": {"url": "https://example.com/h"}}],
      "edges": [{"from": "start", "to": "hook"}]}"#;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("cairn.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn overviews_count_live_runs_and_name_the_last_failure() {
        let (_dir, mut store) = store();
        let id = store.import_workflow(FLOW, false, at(0)).unwrap().id;
        let contact = store
            .add_contact(
                &ContactInput {
                    email: "ada@example.com".into(),
                    ..Default::default()
                },
                at(0),
            )
            .unwrap()
            .id;
        let payload = serde_json::json!({});
        store
            .write(|tx| {
                let run = |mode| {
                    insert_run_using(
                        tx,
                        &NewRun {
                            workflow_id: id,
                            version: 1,
                            contact_id: contact,
                            trigger_node: "start",
                            trigger_event_id: None,
                            trigger_payload: &payload,
                            mode,
                        },
                        at(1),
                    )
                };
                // Two completed, one failed at "hook" with a reason, one still
                // waiting; a dry run (completed) that must not count.
                for _ in 0..2 {
                    let r = run(RunMode::Live)?;
                    end_run_using(tx, r, RunStatus::Completed, None, None, false, at(2))?;
                }
                let failed = run(RunMode::Live)?;
                insert_step_using(
                    tx,
                    &NewStep {
                        run_id: failed,
                        workflow_id: id,
                        node_id: "hook",
                        kind: "action.webhook",
                        status: StepStatus::Failed,
                        exit: None,
                        detail: Some(&serde_json::json!({"error": "HTTP 500 from example.com"})),
                    },
                    at(3),
                )?;
                end_run_using(tx, failed, RunStatus::Failed, None, None, false, at(3))?;
                let open = run(RunMode::Live)?;
                set_run_position_using(tx, open, RunStatus::Waiting, Some("hook"), at(4))?;
                let dry = run(RunMode::DryRun)?;
                insert_step_using(
                    tx,
                    &NewStep {
                        run_id: dry,
                        workflow_id: id,
                        node_id: "hook",
                        kind: "action.webhook",
                        status: StepStatus::Failed,
                        exit: None,
                        detail: Some(&serde_json::json!({"error": "a dry-run failure"})),
                    },
                    at(9),
                )?;
                end_run_using(tx, dry, RunStatus::Completed, None, None, false, at(9))?;
                Ok::<_, StoreError>(())
            })
            .unwrap();

        let all = store.workflow_overviews().unwrap();
        assert_eq!(all.len(), 1);
        let o = &all[0];
        assert_eq!(o.workflow.name, "Follow-up");
        assert_eq!((o.active_runs, o.completed_runs, o.ended_runs), (1, 2, 3));
        assert!((o.completion_rate.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        let e = o.last_error.as_ref().unwrap();
        assert_eq!(e.node, "hook");
        assert_eq!(e.message.as_deref(), Some("HTTP 500 from example.com"));
        assert_eq!(e.at, at(3));
    }

    #[test]
    fn a_workflow_without_runs_has_no_rate_and_no_error() {
        let (_dir, mut store) = store();
        store.import_workflow(FLOW, false, at(0)).unwrap();
        let o = store.workflow_overviews().unwrap().remove(0);
        assert_eq!((o.active_runs, o.ended_runs), (0, 0));
        assert_eq!(o.completion_rate, None);
        assert_eq!(o.last_error, None);
    }

    #[test]
    fn a_draft_the_reader_refuses_is_an_issue_on_its_node() {
        let (_dir, mut store) = store();
        let mut draft: serde_json::Value = serde_json::from_str(FLOW).unwrap();
        draft["nodes"][1] = serde_json::json!({"id": "pause", "position": {"x": 0, "y": 0},
            "kind": "wait.duration", "config": {"duration": "soon"}});
        let report = store.validate_draft(draft.clone()).unwrap();
        assert_eq!(report.issues.len(), 1, "{report:?}");
        let issue = &report.issues[0];
        assert_eq!(issue.node.as_deref(), Some("pause"));
        assert_eq!(issue.code, "invalid_field");
        assert!(
            issue
                .message
                .starts_with("config.duration: expected a duration"),
            "{}",
            issue.message
        );

        // Saving the same draft is refused with the whole JSON path.
        let id = store.import_workflow(FLOW, false, at(0)).unwrap().id;
        let e = store.save_draft(id, draft, at(1)).unwrap_err();
        assert_eq!(e.code(), "invalid_field");
        assert!(
            e.to_string().starts_with("nodes[1].config.duration:"),
            "{e}"
        );
    }

    #[test]
    fn a_good_draft_is_validated_and_saved_with_its_positions() {
        let (_dir, mut store) = store();
        let id = store.import_workflow(FLOW, false, at(0)).unwrap().id;
        let mut draft: serde_json::Value = serde_json::from_str(FLOW).unwrap();
        assert!(!store.validate_draft(draft.clone()).unwrap().has_errors());
        draft["nodes"][1]["position"] = serde_json::json!({"x": 40.5, "y": 300});
        let saved = store.save_draft(id, draft, at(1)).unwrap();
        assert!(!saved.unchanged && !saved.new_version);
        let (_, def) = store.workflow_def_by_id(id).unwrap();
        assert_eq!(def.nodes[1].position.x, 40.5);
        assert_eq!(def.nodes[1].position.y, 300.0);
    }

    #[test]
    fn copy_suffix() {
        assert_eq!(strip_copy_suffix("Welcome (2)"), "Welcome");
        assert_eq!(strip_copy_suffix("Welcome (beta)"), "Welcome (beta)");
        assert_eq!(strip_copy_suffix("Welcome"), "Welcome");
    }
}
