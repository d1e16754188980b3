//! The Workflows screen of the real app, reading the real database: the list
//! with its numbers, creating, importing and exporting through the file
//! dialogs, activating (refused while errors remain), pausing, duplicating
//! and deleting.

use cairn_store::Store;
use cairn_store::workflows::WorkflowStatus;
use chrono::TimeZone;

use crate::editor::{
    contents_of, fixtures, now, queue_picked_path, wait_for_content, wait_for_node_count,
    wait_for_status,
};
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
    // No run yet: nothing active, no completion rate, no error.
    let row_css = "[data-testid=workflow-row]";
    assert_eq!(
        app.text_of(&format!("{row_css} [data-testid=workflow-active-runs]"))
            .await
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        app.text_of(&format!("{row_css} [data-testid=workflow-completion]"))
            .await
            .as_deref(),
        Some("—")
    );
    assert_eq!(
        app.text_of(&format!("{row_css} [data-testid=workflow-last-error]"))
            .await
            .as_deref(),
        Some("None")
    );
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
    assert!(empty.contains("import a workflow file"), "{empty}");
    assert!(
        db.exists(),
        "the app creates its database at CAIRN_DB ({})",
        db.display()
    );
    assert!(
        app.db_path().parent().unwrap().join("logs").is_dir(),
        "logs live beside the database"
    );
    app.screenshot("workflows_empty").await.unwrap();

    // Another screen and back.
    app.click("nav a[href='#/analytics']").await;
    app.wait_until("the workflows list to be gone", || async {
        app.text_of("[data-testid=workflows-empty]").await.is_none()
    })
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_imports_paused_through_the_dialog_and_exports_to_the_same_bytes() {
    let launch = Launch::new("import_export");
    let app = launch.launch().await;
    let source = fixtures().join("workflows/good/post-purchase.json");

    app.click("[data-testid=empty-import]").await;
    app.wait_for_text("[data-testid=import-dialog]", "arrive paused")
        .await;
    queue_picked_path(&app, &source).await;
    app.click("[data-testid=import-choose]").await;
    wait_for_content(&app, "[data-testid=editor-name]", "Program A post-purchase").await;
    wait_for_status(&app, "Imported “Program A post-purchase”, paused.").await;
    wait_for_content(&app, "[data-testid=editor-status]", "Paused").await;
    wait_for_node_count(&app, 10).await;

    let out = app.dir().join("exported.json");
    queue_picked_path(&app, &out).await;
    app.click("[data-testid=tool-export]").await;
    wait_for_status(&app, "Exported to").await;
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&source).unwrap(),
        "import then export gives the same bytes"
    );

    // The same file again: a copy, unless "replace" is chosen.
    app.click("[data-testid=editor-back]").await;
    app.wait_for_text("[data-testid=workflow-row]", "Program A post-purchase")
        .await;
    app.click("[data-testid=import-workflow]").await;
    queue_picked_path(&app, &source).await;
    app.click("[data-testid=import-choose]").await;
    wait_for_status(&app, "imported as “Program A post-purchase (2)”").await;
    app.click("[data-testid=editor-back]").await;
    app.wait_for_text("[data-testid=workflow-row]", "Program A post-purchase (2)")
        .await;
    app.click("[data-testid=import-workflow]").await;
    app.click("[data-testid=import-replace]").await;
    queue_picked_path(&app, &source).await;
    app.click("[data-testid=import-choose]").await;
    wait_for_status(&app, "Replaced “Program A post-purchase”").await;

    let names: Vec<String> = app
        .store()
        .workflows()
        .unwrap()
        .into_iter()
        .map(|w| w.name)
        .collect();
    assert_eq!(
        names,
        ["Program A post-purchase", "Program A post-purchase (2)"]
    );
    assert!(
        app.store()
            .workflows()
            .unwrap()
            .iter()
            .all(|w| w.status == WorkflowStatus::Paused)
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_shows_its_json_path_and_reason_and_imports_nothing() {
    let launch = Launch::new("import_error");
    let app = launch.launch().await;
    app.click("[data-testid=empty-import]").await;
    let bad = fixtures().join("workflows/bad/bad-duration.json");
    queue_picked_path(&app, &bad).await;
    app.click("[data-testid=import-choose]").await;
    let shown = app
        .wait_for_text("[data-testid=import-error]", "nodes[1].config.duration")
        .await;
    assert!(
        shown.contains("expected a duration such as \"2d\""),
        "{shown}"
    );
    assert!(
        shown.contains("bad-duration.json"),
        "the file is named: {shown}"
    );
    assert!(
        shown.contains("invalid_field"),
        "the code is shown: {shown}"
    );
    app.screenshot("import_error").await.unwrap();
    assert!(
        app.store().workflows().unwrap().is_empty(),
        "nothing imported"
    );
    app.close().await;
}

/// Runs of "Welcome": two completed, one failed at "vip" with a reason, one
/// waiting; and a dry run that the numbers leave out.
fn seed_runs(store: &mut Store, workflow_id: i64) {
    use cairn_model::effect::RunMode;
    use cairn_store::runs::{
        NewRun, NewStep, RunStatus, StepStatus, end_run_using, insert_run_using, insert_step_using,
        set_run_position_using,
    };
    let contact = store
        .add_contact(
            &cairn_store::contacts::ContactInput {
                email: "ada@example.com".into(),
                ..Default::default()
            },
            now(),
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
                        workflow_id,
                        version: 1,
                        contact_id: contact,
                        trigger_node: "start",
                        trigger_event_id: None,
                        trigger_payload: &payload,
                        mode,
                    },
                    now(),
                )
            };
            for _ in 0..2 {
                let r = run(RunMode::Live)?;
                end_run_using(tx, r, RunStatus::Completed, None, None, false, now())?;
            }
            let failed = run(RunMode::Live)?;
            insert_step_using(
                tx,
                &NewStep {
                    run_id: failed,
                    workflow_id,
                    node_id: "vip",
                    kind: "action.add_tag",
                    status: StepStatus::Failed,
                    exit: None,
                    detail: Some(&serde_json::json!({"error": "the database was locked"})),
                },
                now(),
            )?;
            end_run_using(tx, failed, RunStatus::Failed, None, None, false, now())?;
            let waiting = run(RunMode::Live)?;
            set_run_position_using(tx, waiting, RunStatus::Waiting, Some("vip"), now())?;
            let dry = run(RunMode::DryRun)?;
            end_run_using(tx, dry, RunStatus::Failed, None, None, false, now())?;
            Ok::<_, cairn_store::StoreError>(())
        })
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_shows_numbers_and_activates_pauses_duplicates_and_deletes() {
    let launch = Launch::new("workflows_actions");
    {
        let mut store = launch.store();
        let read = |f: &str| std::fs::read_to_string(fixtures().join("ui").join(f)).unwrap();
        let welcome = store
            .import_workflow(&read("welcome.json"), false, now())
            .unwrap();
        store
            .import_workflow(&read("missing-tag.json"), false, now())
            .unwrap();
        seed_runs(&mut store, welcome.id);
    }
    let app = launch.launch().await;
    let row = |name: &str| format!("[data-testid=workflow-row][data-workflow='{name}']");

    let welcome = app.wait_for_text(&row("Welcome"), "Welcome").await;
    assert_eq!(
        app.text_of(&format!(
            "{} [data-testid=workflow-active-runs]",
            row("Welcome")
        ))
        .await
        .as_deref(),
        Some("1"),
        "{welcome}"
    );
    assert_eq!(
        app.text_of(&format!(
            "{} [data-testid=workflow-completion]",
            row("Welcome")
        ))
        .await
        .as_deref(),
        Some("67%"),
        "two of three ended live runs completed"
    );
    let error = contents_of(
        &app,
        &format!("{} [data-testid=workflow-last-error]", row("Welcome")),
    )
    .await
    .join("");
    assert!(error.contains("vip: the database was locked"), "{error}");
    app.screenshot("workflows_filled").await.unwrap();

    // Activation is refused while errors remain, and says which.
    app.click(&format!(
        "{} [data-testid=workflow-activate]",
        row("Unfinished")
    ))
    .await;
    let refused = app
        .wait_for_text(
            "[data-testid=activation-refused]",
            "cannot be activated yet",
        )
        .await;
    assert!(refused.contains("the tag is not set"), "{refused}");
    app.screenshot("activation_refused").await.unwrap();
    app.click("[data-testid=activation-refused] button[aria-label=Close]")
        .await;
    assert_eq!(
        app.store().workflow("Unfinished").unwrap().status,
        WorkflowStatus::Paused
    );

    // A valid workflow activates after its forecast (issue 14, point 1):
    // the activation dialog shows what it would do over 1, 7 and 30 days,
    // worked out by the engine on a copy of the database, and the
    // assumptions; nothing needs confirming here (it emails no one).
    app.click(&format!(
        "{} [data-testid=workflow-activate]",
        row("Welcome")
    ))
    .await;
    let shown = app
        .wait_for_text("[data-testid=forecast]", "Runs started")
        .await;
    assert!(shown.contains("Next 30 days"), "{shown}");
    assert!(shown.contains("What the forecast assumes"), "{shown}");
    assert!(
        app.texts_of("[data-testid=forecast-confirm]")
            .await
            .is_empty(),
        "{shown}"
    );
    app.screenshot("activation_forecast").await.unwrap();
    assert_eq!(
        app.store().workflow("Welcome").unwrap().status,
        WorkflowStatus::Paused,
        "the forecast activates nothing"
    );
    app.click("[data-testid=activate-confirm]").await;
    app.wait_for_text(
        &format!("{} [data-testid=workflow-status]", row("Welcome")),
        "Active",
    )
    .await;
    assert_eq!(
        app.store().workflow("Welcome").unwrap().status,
        WorkflowStatus::Active
    );
    app.click(&format!("{} [data-testid=workflow-pause]", row("Welcome")))
        .await;
    app.wait_for_text(
        &format!("{} [data-testid=workflow-status]", row("Welcome")),
        "Paused",
    )
    .await;

    // Duplicate, then delete the copy (after confirming).
    app.click(&format!(
        "{} [data-testid=workflow-duplicate]",
        row("Welcome")
    ))
    .await;
    app.wait_for_text(&row("Welcome (2)"), "Welcome (2)").await;
    app.wait_for_text(
        "[data-testid=workflows-notice]",
        "Duplicated as “Welcome (2)”",
    )
    .await;
    app.click(&format!(
        "{} [data-testid=workflow-delete]",
        row("Welcome (2)")
    ))
    .await;
    app.wait_for_text("[data-testid=delete-dialog]", "Delete “Welcome (2)”?")
        .await;
    app.click("[data-testid=delete-confirm]").await;
    app.wait_until("the copy to be gone", || async {
        app.text_of(&row("Welcome (2)")).await.is_none()
    })
    .await;
    let names: Vec<String> = app
        .store()
        .workflows()
        .unwrap()
        .into_iter()
        .map(|w| w.name)
        .collect();
    assert_eq!(names, ["Unfinished", "Welcome"]);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_workflow_opens_the_editor_and_a_taken_name_is_refused() {
    let launch = Launch::new("workflow_new");
    launch
        .store()
        .import_workflow(WELCOME, false, march_first())
        .unwrap();
    let app = launch.launch().await;
    app.click("[data-testid=new-workflow]").await;
    crate::editor::fill(&app, "[data-testid=new-workflow-name]", "Welcome series").await;
    app.click("[data-testid=new-workflow-create]").await;
    app.wait_for_text("[data-testid=new-workflow-dialog]", "exists already")
        .await;
    crate::editor::fill(&app, "[data-testid=new-workflow-name]", "Onboarding").await;
    app.click("[data-testid=new-workflow-create]").await;
    wait_for_content(&app, "[data-testid=editor-name]", "Onboarding").await;
    wait_for_content(&app, "[data-testid=editor-status]", "Draft").await;
    assert_eq!(
        app.store().workflow("Onboarding").unwrap().status,
        WorkflowStatus::Draft
    );
    app.close().await;
}
