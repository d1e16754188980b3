//! The Workflows screen of the real app, reading the real database.

use chrono::TimeZone;

use crate::harness::Launch;

const WELCOME: &str = r#"{
  "format": "cairn.workflow",
  "version": 1,
  "name": "Welcome series",
  "nodes": [
    {"id": "signup", "kind": "trigger.manual", "position": {"x": 0, "y": 0}, "config": {}}
  ]
}"#;

fn march_first() -> cairn_model::Timestamp {
    chrono::Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_a_workflow_imported_into_the_database() {
    let launch = Launch::new("workflow_list");
    let imported = launch
        .store()
        .import_workflow(WELCOME, false, march_first())
        .unwrap();
    assert_eq!(imported.name, "Welcome series");

    let app = launch.launch().await;
    let row = app
        .wait_for_text("[data-testid=workflow-row]", "Welcome series")
        .await;
    let status = app
        .text_of("[data-testid=workflow-row] [data-testid=workflow-status]")
        .await;
    assert_eq!(
        status.as_deref(),
        Some("Paused"),
        "an imported workflow arrives paused; row: {row}"
    );
    assert!(row.contains("v1"), "{row}");
    assert_eq!(app.texts_of("[data-testid=workflow-row]").await.len(), 1);
    app.screenshot("workflow_list").await.unwrap();
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_database_shows_what_to_do_next_and_the_navigation_works() {
    let launch = Launch::new("empty_database");
    let db = launch.db_path();
    assert!(!db.exists());

    let app = launch.launch().await;
    let empty = app
        .wait_for_text("[data-testid=workflows-empty]", "No workflows yet")
        .await;
    assert!(empty.contains("cairn workflow import"), "{empty}");
    assert!(
        db.exists(),
        "the app creates its database at CAIRN_DB ({})",
        db.display()
    );
    assert!(
        app.db_path().parent().unwrap().join("logs").is_dir(),
        "logs live beside the database"
    );
    app.screenshot("empty_database").await.unwrap();

    // A screen that is not built yet says so plainly instead of breaking.
    app.click("nav a[href='#/analytics']").await;
    app.wait_for_text("[data-testid=coming-soon]", "Analytics is coming")
        .await;
    app.screenshot("coming_soon").await.unwrap();
    app.click("nav a[href='#/workflows']").await;
    app.wait_for_text("[data-testid=workflows-empty]", "No workflows yet")
        .await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_a_newer_cairn_shows_the_error_and_its_code() {
    let launch = Launch::new("newer_database");
    {
        let store = launch.store();
        store
            .conn()
            .pragma_update(None, "user_version", cairn_store::SCHEMA_VERSION + 1)
            .unwrap();
    }

    let app = launch.launch().await;
    let panel = app
        .wait_for_text("[data-testid=error-panel]", "newer version of Cairn")
        .await;
    assert!(
        panel.contains("newer_database"),
        "the code reaches the UI: {panel}"
    );
    let code = app
        .client()
        .find(fantoccini::Locator::Css("[data-testid=error-panel]"))
        .await
        .unwrap()
        .attr("data-code")
        .await
        .unwrap();
    assert_eq!(code.as_deref(), Some("newer_database"));
    app.screenshot("newer_database").await.unwrap();
    app.close().await;
}
