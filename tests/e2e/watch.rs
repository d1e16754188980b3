//! The 48-hour watch after activation in the real app.
//!
//! Before launch, a workflow is activated two hours ago (by the real clock:
//! the app reads the system clock) and three live runs are written through
//! the store functions the engine writes with: one waiting at the wait, one
//! completed, one failed at the webhook with the engine's reason. The
//! Workflows row must show the watch with the failure and its link to the
//! run page, the editor the same above the canvas, and the app's alerts
//! must tell the first failure once (the incident is marked notified).

use cairn_model::effect::RunMode;
use cairn_model::{Clock, SystemClock, Timestamp};
use cairn_store::incidents::IncidentKind;
use cairn_store::runs::{
    NewRun, NewStep, RunStatus, StepStatus, end_run_using, insert_run_using, insert_step_using,
    set_run_position_using,
};
use cairn_store::workflows::WorkflowStatus;
use cairn_store::{Store, StoreError};
use chrono::Duration;
use serde_json::json;

use crate::contacts::{go, wait_for_content};
use crate::harness::Launch;

const FLOW: &str = r#"{"format": "cairn.workflow", "version": 1, "name": "Follow-up",
  "settings": {"experience_event": "ticket.opened"}, "nodes": [
  {"id": "start", "label": "Added by hand", "position": {"x": 0, "y": 0}, "kind": "trigger.manual", "config": {}},
  {"id": "pause", "label": "Wait a day", "position": {"x": 0, "y": 140}, "kind": "wait.duration", "config": {"duration": "1d"}},
  {"id": "hook", "label": "Tell the CRM", "position": {"x": 0, "y": 280}, "kind": "action.webhook", "config": {"url": "https://example.com/h"}}],
  "edges": [{"from": "start", "to": "pause"}, {"from": "pause", "to": "hook"}]}"#;

enum End {
    Waiting,
    Completed,
    Failed,
}

fn run(store: &mut Store, wf: i64, contact: i64, at: Timestamp, how: End) -> i64 {
    let payload = json!({});
    store
        .write(|tx| {
            let id = insert_run_using(
                tx,
                &NewRun {
                    workflow_id: wf,
                    version: 1,
                    contact_id: contact,
                    trigger_node: "start",
                    trigger_event_id: None,
                    trigger_payload: &payload,
                    mode: RunMode::Live,
                },
                at,
            )?;
            match how {
                End::Waiting => {
                    set_run_position_using(tx, id, RunStatus::Waiting, Some("pause"), at)?
                }
                End::Completed => {
                    end_run_using(tx, id, RunStatus::Completed, None, None, false, at)?
                }
                End::Failed => {
                    insert_step_using(
                        tx,
                        &NewStep {
                            run_id: id,
                            workflow_id: wf,
                            node_id: "hook",
                            kind: "action.webhook",
                            status: StepStatus::Failed,
                            exit: None,
                            detail: Some(&json!({"error": "HTTP 500 from example.com"})),
                        },
                        at,
                    )?;
                    set_run_position_using(tx, id, RunStatus::Running, Some("hook"), at)?;
                    end_run_using(
                        tx,
                        id,
                        RunStatus::Failed,
                        Some("hook: HTTP 500 from example.com"),
                        None,
                        false,
                        at,
                    )?;
                }
            }
            Ok::<_, StoreError>(id)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_workflow_shows_its_runs_and_its_failure_with_a_link_to_the_run() {
    let launch = Launch::new("watch");
    let now = SystemClock.now();
    let (wf, failed) = {
        let mut store = launch.store();
        let wf = store.import_workflow(FLOW, false, now).unwrap().id;
        store
            .set_workflow_status(
                "Follow-up",
                WorkflowStatus::Active,
                now - Duration::hours(2),
            )
            .unwrap();
        let ada = store
            .add_contact(
                &cairn_store::contacts::ContactInput {
                    email: "ada@example.com".into(),
                    ..Default::default()
                },
                now,
            )
            .unwrap()
            .id;
        run(
            &mut store,
            wf,
            ada,
            now - Duration::minutes(90),
            End::Waiting,
        );
        run(
            &mut store,
            wf,
            ada,
            now - Duration::minutes(80),
            End::Completed,
        );
        let failed = run(
            &mut store,
            wf,
            ada,
            now - Duration::minutes(30),
            End::Failed,
        );
        (wf, failed)
    };
    let app = launch.launch().await;

    // The row: one line, opened to the details.
    go(&app, "#/workflows").await;
    let summary =
        wait_for_content(&app, "[data-testid=watch-row-summary]", "3 runs, 1 failed").await;
    assert!(
        summary.contains("Watching · 4") && summary.contains("h left"),
        "{summary}"
    );
    app.click("[data-testid=watch-row-summary]").await;
    let failure = app
        .wait_for_text("[data-testid=watch-failure]", "HTTP 500 from example.com")
        .await;
    assert!(failure.contains(&format!("Run {failed}")), "{failure}");
    let positions = app
        .wait_for_text("[data-testid=watch-positions]", "pause 1")
        .await;
    assert!(positions.contains("Now at"), "{positions}");
    app.screenshot("watch_row").await.unwrap();

    // Its link opens the run page.
    app.click("[data-testid=watch-failure-link]").await;
    app.wait_until("the run page", || async {
        let hash = app
            .client()
            .execute("return location.hash;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        hash == format!("#/runs/{failed}")
    })
    .await;
    app.screenshot("watch_run_page").await.unwrap();

    // The editor shows the same, with the node labels.
    go(&app, &format!("#/workflows/{wf}")).await;
    wait_for_content(&app, "[data-testid=watch-row-summary]", "3 runs, 1 failed").await;
    app.click("[data-testid=watch-row-summary]").await;
    app.wait_for_text("[data-testid=watch-positions]", "Wait a day 1")
        .await;
    app.screenshot("watch_editor").await.unwrap();

    // The analytics screen: drift (too few runs to judge yet) and the
    // customer-experience number of the event the workflow names.
    go(&app, &format!("#/workflows/{wf}/analytics")).await;
    wait_for_content(&app, "[data-testid=drift]", "Too few runs to judge").await;
    let experience = wait_for_content(&app, "[data-testid=experience]", "ticket.opened").await;
    assert!(
        experience.contains("Went through the workflow"),
        "{experience}"
    );
    app.client()
        .execute(
            "document.querySelector('[data-testid=drift]').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    app.screenshot("watch_analytics").await.unwrap();

    // The first failure was told once: the alerts marked its incident shown.
    app.wait_until("the watch incident to be notified", || async {
        app.store()
            .incidents(10)
            .unwrap()
            .iter()
            .any(|i| i.kind == IncidentKind::Watch && i.notified_at.is_some())
    })
    .await;
    let watch_incidents = app
        .store()
        .incidents(10)
        .unwrap()
        .into_iter()
        .filter(|i| i.kind == IncidentKind::Watch)
        .count();
    assert_eq!(watch_incidents, 1);
    app.close().await;
}
