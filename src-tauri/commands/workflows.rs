//! Commands behind the Workflows screen.

use cairn_store::workflows::WorkflowSummary;
use tauri::State;

use crate::{AppState, CommandError, Database};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AppState;
    use cairn_store::Store;
    use cairn_store::workflows::WorkflowStatus;
    use chrono::TimeZone;

    const WELCOME: &str = r#"{"format":"cairn.workflow","version":1,"name":"Welcome series","nodes":[
        {"id":"t","kind":"trigger.manual","position":{"x":0,"y":0},"config":{}}]}"#;

    #[test]
    fn lists_what_the_database_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cairn.db");
        let now = chrono::Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap();
        Store::open(&path)
            .unwrap()
            .import_workflow(WELCOME, false, now)
            .unwrap();

        let state = AppState::new(path);
        let list = tauri::async_runtime::block_on(workflows(&state.database())).unwrap();
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

        let e =
            tauri::async_runtime::block_on(workflows(&AppState::new(path).database())).unwrap_err();
        assert_eq!(e.code, "newer_database");
        assert!(
            e.message.contains("newer version of Cairn"),
            "{}",
            e.message
        );
    }
}
