//! Commands behind the Workflows screen and the canvas editor.
//!
//! The editor holds its draft as the JSON of a `WorkflowDef` (our own model,
//! positions included; never the canvas library's state) and sends it as
//! is: the store reads it with the workflow file reader, so a bad value in
//! the draft is reported with its JSON path, exactly as in a file.
//!
//! Import and export take a path: the UI asks the user for it through the
//! native dialog (tauri-plugin-dialog) and passes it here, and the end-to-end
//! tests pass a known path the same way. Reading and writing the file is all
//! these two commands add to the store's `import_workflow` / `export_workflow`;
//! their errors read like the CLI's (`cannot read FILE: …`, `FILE: nodes[1]…`).

use cairn_model::ErrorCode;
use std::path::{Path, PathBuf};

use cairn_engine::forecast::{Forecast, ForecastOptions};
use cairn_model::validate::Report;
use cairn_model::workflow::WorkflowDef;
use cairn_model::{Clock, SystemClock, Timestamp};
use cairn_store::StoreError;
use cairn_store::catalog::CatalogNames;
use cairn_store::workflows::{
    ImportOutcome, SaveOutcome, WorkflowOverview, WorkflowStatus, WorkflowSummary,
};
use tauri::State;

use crate::background::BackgroundHandle;
use crate::{AppState, CommandError, Database};

fn now() -> Timestamp {
    SystemClock.now()
}

/// Every workflow, for the list on the Workflows screen.
#[tauri::command]
pub async fn list_workflows(
    state: State<'_, AppState>,
) -> Result<Vec<WorkflowSummary>, CommandError> {
    workflows(&state.database()).await
}

/// The body of [`list_workflows`], callable without a window.
pub async fn workflows(db: &Database) -> Result<Vec<WorkflowSummary>, CommandError> {
    db.with_store(|store| Ok(store.workflows()?)).await
}

/// Every workflow with its headline numbers (active runs, completion rate,
/// last error), for the Workflows screen.
#[tauri::command]
pub async fn list_workflow_overviews(
    state: State<'_, AppState>,
) -> Result<Vec<WorkflowOverview>, CommandError> {
    state
        .database()
        .with_store(|s| Ok(s.workflow_overviews()?))
        .await
}

/// Creates an empty draft workflow named `name` (a taken name is a
/// `conflict`); the editor opens on it.
#[tauri::command]
pub async fn create_workflow(
    state: State<'_, AppState>,
    name: String,
) -> Result<SaveOutcome, CommandError> {
    create(&state.database(), name, now()).await
}

pub async fn create(
    db: &Database,
    name: String,
    now: Timestamp,
) -> Result<SaveOutcome, CommandError> {
    db.with_store(move |s| Ok(s.create_workflow(&WorkflowDef::new(name), now)?))
        .await
}

/// A workflow's summary and current definition, for the editor.
#[tauri::command]
pub async fn get_workflow(
    state: State<'_, AppState>,
    id: i64,
) -> Result<(WorkflowSummary, WorkflowDef), CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.workflow_def_by_id(id)?))
        .await
}

/// What exists by name (tags, fields, accounts, pipelines, courses,
/// workflows), for the inspector's pickers.
#[tauri::command]
pub async fn workflow_catalog(state: State<'_, AppState>) -> Result<CatalogNames, CommandError> {
    state
        .database()
        .with_store(|s| Ok(s.catalog_names()?))
        .await
}

/// Validates the editor's draft against this database. A value the file
/// reader refuses comes back as an issue on its node, not as an error.
#[tauri::command]
pub async fn validate_workflow(
    state: State<'_, AppState>,
    draft: serde_json::Value,
) -> Result<Report, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.validate_draft(draft)?))
        .await
}

/// Saves the editor's draft as workflow `id`. When the current version has
/// runs, a new version is made (`new_version`); an active workflow whose
/// draft has errors is refused (`validation_failed`).
#[tauri::command]
pub async fn save_workflow(
    state: State<'_, AppState>,
    id: i64,
    draft: serde_json::Value,
) -> Result<SaveOutcome, CommandError> {
    save(&state.database(), id, draft, now()).await
}

pub async fn save(
    db: &Database,
    id: i64,
    draft: serde_json::Value,
    now: Timestamp,
) -> Result<SaveOutcome, CommandError> {
    db.with_store(move |s| Ok(s.save_draft(id, draft, now)?))
        .await
}

/// The validation of a workflow's saved version: what activation checks.
#[tauri::command]
pub async fn workflow_report(
    state: State<'_, AppState>,
    name: String,
) -> Result<Report, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.workflow_report(&name)?))
        .await
}

/// Activates (refused with `validation_failed` while errors remain) or
/// pauses a workflow. Activation wakes the executor.
#[tauri::command]
pub async fn set_workflow_status(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    name: String,
    status: WorkflowStatus,
) -> Result<WorkflowSummary, CommandError> {
    let w = set_status(&state.database(), name, status, now()).await?;
    if w.status == WorkflowStatus::Active {
        background.wake();
    }
    Ok(w)
}

pub async fn set_status(
    db: &Database,
    name: String,
    status: WorkflowStatus,
    now: Timestamp,
) -> Result<WorkflowSummary, CommandError> {
    db.with_store(move |s| Ok(s.set_workflow_status(&name, status, now)?))
        .await
}

/// What activating `name` would do to the real contacts over the next
/// `days` days (1–366; the activation dialog asks for 30), or saving
/// `draft` (the editor's JSON) as its next version: the engine on a virtual
/// clock over a scratch copy of the database (`cairn_engine::forecast`).
/// Only reads the database; nothing is sent.
#[tauri::command]
pub async fn forecast_workflow(
    state: State<'_, AppState>,
    name: String,
    draft: Option<serde_json::Value>,
    days: u32,
) -> Result<Forecast, CommandError> {
    forecast(&state.database(), name, draft, days, now()).await
}

pub async fn forecast(
    db: &Database,
    name: String,
    draft: Option<serde_json::Value>,
    days: u32,
    now: Timestamp,
) -> Result<Forecast, CommandError> {
    db.with_store(move |s| {
        let draft = draft.map(cairn_model::file::parse_value).transpose()?;
        let opts = ForecastOptions::new(days, now);
        Ok(cairn_engine::forecast::forecast(
            s,
            &name,
            draft.as_ref(),
            &opts,
        )?)
    })
    .await
}

/// Copies a workflow under a free name ("Name (2)"), as a draft.
#[tauri::command]
pub async fn duplicate_workflow(
    state: State<'_, AppState>,
    name: String,
) -> Result<WorkflowSummary, CommandError> {
    let now = now();
    state
        .database()
        .with_store(move |s| Ok(s.duplicate_workflow(&name, now)?))
        .await
}

/// Deletes a workflow with its versions, runs and steps.
#[tauri::command]
pub async fn delete_workflow(state: State<'_, AppState>, name: String) -> Result<(), CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.delete_workflow(&name)?))
        .await
}

/// Imports the workflow file at `path` (picked in the native dialog). It
/// arrives paused; a clashing name imports as a copy unless `replace`.
#[tauri::command]
pub async fn import_workflow_file(
    state: State<'_, AppState>,
    path: PathBuf,
    replace: bool,
) -> Result<ImportOutcome, CommandError> {
    import_file(&state.database(), path, replace, now()).await
}

pub async fn import_file(
    db: &Database,
    path: PathBuf,
    replace: bool,
    now: Timestamp,
) -> Result<ImportOutcome, CommandError> {
    db.with_store(move |s| {
        let text = std::fs::read_to_string(&path).map_err(|e| io_error("read", &path, &e))?;
        s.import_workflow(&text, replace, now)
            .map_err(|e| in_file(&path, e))
    })
    .await
}

/// Writes the workflow named `name` to `path` (picked in the native
/// dialog) as its canonical file; returns the number of bytes written.
#[tauri::command]
pub async fn export_workflow_file(
    state: State<'_, AppState>,
    name: String,
    path: PathBuf,
) -> Result<usize, CommandError> {
    export_file(&state.database(), name, path).await
}

pub async fn export_file(
    db: &Database,
    name: String,
    path: PathBuf,
) -> Result<usize, CommandError> {
    db.with_store(move |s| {
        let text = s.export_workflow(&name)?;
        std::fs::write(&path, &text).map_err(|e| io_error("write", &path, &e))?;
        Ok(text.len())
    })
    .await
}

fn io_error(action: &str, path: &Path, e: &std::io::Error) -> CommandError {
    CommandError::new(
        ErrorCode::Io,
        format!("cannot {action} {}: {e}", path.display()),
    )
}

/// A file problem, with the file named in front of the JSON path (as the
/// CLI prints it).
fn in_file(path: &Path, e: StoreError) -> CommandError {
    match e {
        StoreError::File(fe) => {
            CommandError::new(fe.error_code(), format!("{}: {fe}", path.display()))
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AppState;
    use cairn_store::Store;
    use chrono::TimeZone;

    const WELCOME: &str = r#"{"format":"cairn.workflow","version":1,"name":"Welcome series","nodes":[
        {"id":"t","kind":"trigger.manual","position":{"x":0,"y":0},"config":{}}]}"#;

    fn march_first() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
    }

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tauri::async_runtime::block_on(f)
    }

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/workflows")
            .join(rel)
    }

    #[test]
    fn lists_what_the_database_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cairn.db");
        Store::open(&path)
            .unwrap()
            .import_workflow(WELCOME, false, march_first())
            .unwrap();

        let state = AppState::new(path);
        let list = block(workflows(&state.database())).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "Welcome series");
        assert_eq!(
            list[0].status,
            WorkflowStatus::Paused,
            "imports arrive paused"
        );
    }

    #[test]
    fn a_newer_database_is_reported_with_its_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cairn.db");
        let store = Store::open(&path).unwrap();
        store
            .conn()
            .pragma_update(None, "user_version", cairn_store::SCHEMA_VERSION + 1)
            .unwrap();
        drop(store);

        let e = block(workflows(&AppState::new(path).database())).unwrap_err();
        assert_eq!(e.code, "newer_database");
        assert!(
            e.message.contains("newer version of Cairn"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_good_file_imports_paused_and_exports_to_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let db = AppState::new(dir.path().join("cairn.db")).database();
        let source = fixture("good/post-purchase.json");

        let outcome = block(import_file(&db, source.clone(), false, march_first())).unwrap();
        assert_eq!(outcome.name, "Program A post-purchase");
        assert_eq!(outcome.status, WorkflowStatus::Paused);

        let out = dir.path().join("exported.json");
        let written = block(export_file(&db, outcome.name.clone(), out.clone())).unwrap();
        let exported = std::fs::read(&out).unwrap();
        assert_eq!(written, exported.len());
        assert_eq!(exported, std::fs::read(&source).unwrap(), "byte for byte");

        // The same file again becomes a copy unless replace is asked for.
        let copy = block(import_file(&db, source.clone(), false, march_first())).unwrap();
        assert_eq!(copy.name, "Program A post-purchase (2)");
        assert_eq!(
            copy.renamed_from.as_deref(),
            Some("Program A post-purchase")
        );
        let replaced = block(import_file(&db, source, true, march_first())).unwrap();
        assert!(replaced.replaced);
        assert_eq!(replaced.id, outcome.id);
    }

    #[test]
    fn a_bad_file_names_the_file_the_json_path_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let db = AppState::new(dir.path().join("cairn.db")).database();
        let bad = fixture("bad/bad-duration.json");
        let e = block(import_file(&db, bad.clone(), false, march_first())).unwrap_err();
        assert_eq!(e.code, "invalid_field");
        assert_eq!(
            e.message,
            format!(
                "{}: nodes[1].config.duration: expected a duration such as \"2d\", \"3h\" or \"1d12h\" (units w, d, h, m, s), found \"soon\"",
                bad.display()
            )
        );
        assert!(block(workflows(&db)).unwrap().is_empty(), "nothing written");

        let missing = dir.path().join("nowhere.json");
        let e = block(import_file(&db, missing, false, march_first())).unwrap_err();
        assert_eq!(e.code, "io");
        assert!(e.message.starts_with("cannot read "), "{}", e.message);
    }

    #[test]
    fn a_created_draft_is_saved_and_activation_waits_for_a_valid_workflow() {
        let dir = tempfile::tempdir().unwrap();
        let db = AppState::new(dir.path().join("cairn.db")).database();
        let created = block(create(&db, "Welcome".into(), march_first())).unwrap();
        let taken = block(create(&db, "Welcome".into(), march_first())).unwrap_err();
        assert_eq!(taken.code, "conflict");

        // An empty workflow has no trigger: activation is refused.
        let refused = block(set_status(
            &db,
            "Welcome".into(),
            WorkflowStatus::Active,
            march_first(),
        ))
        .unwrap_err();
        assert_eq!(refused.code, "validation_failed");
        assert!(
            refused.message.contains("no trigger"),
            "{}",
            refused.message
        );

        let mut draft: serde_json::Value = serde_json::from_str(WELCOME).unwrap();
        draft["name"] = "Welcome".into();
        draft["nodes"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"id": "end_1", "position": {"x": 0, "y": 140}, "kind": "end", "config": {}}));
        draft["edges"] = serde_json::json!([{"from": "t", "exit": "next", "to": "end_1"}]);
        let saved = block(save(&db, created.id, draft, march_first())).unwrap();
        assert!(!saved.report.has_errors(), "{:?}", saved.report);
        let active = block(set_status(
            &db,
            "Welcome".into(),
            WorkflowStatus::Active,
            march_first(),
        ))
        .unwrap();
        assert_eq!(active.status, WorkflowStatus::Active);
    }

    #[test]
    fn the_forecast_command_reads_only_and_bounds_its_days() {
        let dir = tempfile::tempdir().unwrap();
        let db = AppState::new(dir.path().join("cairn.db")).database();
        let file = dir.path().join("welcome.json");
        std::fs::write(&file, WELCOME.replace(
            r#"{}}]}"#,
            r#"{}},{"id":"e","kind":"end","position":{"x":0,"y":100},"config":{}}],"edges":[{"from":"t","to":"e"}]}"#,
        ))
        .unwrap();
        block(import_file(&db, file, false, march_first())).unwrap();
        let before = std::fs::read(db.path()).unwrap();
        let f = block(forecast(
            &db,
            "Welcome series".into(),
            None,
            7,
            march_first(),
        ))
        .unwrap();
        assert_eq!((f.days, f.windows.len(), f.active), (7, 2, false));
        assert!(f.confirm.is_empty());
        assert_eq!(std::fs::read(db.path()).unwrap(), before, "nothing written");
        let e = block(forecast(
            &db,
            "Welcome series".into(),
            None,
            400,
            march_first(),
        ))
        .unwrap_err();
        assert_eq!(e.code, "invalid");
        assert_eq!(e.message, "a forecast covers 1 to 366 days, not 400");
    }
}
