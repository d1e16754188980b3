//! The templates gallery and the analytics view in the real app.
//!
//! The gallery test previews the post-purchase template's canvas, uses it,
//! and checks that the editor opens on a paused workflow the database holds.
//! The analytics test builds a run log before launch the way the app would:
//! it imports a workflow, activates it and drives `cairn_engine::Engine`
//! over events on a fixed clock; then the view must show the completion
//! rate and conversions worked out by hand below.

use cairn_engine::Engine;
use cairn_model::Timestamp;
use cairn_model::builtin;
use cairn_model::event::NewEvent;
use cairn_store::workflows::WorkflowStatus;
use chrono::{Duration, TimeZone};
use fantoccini::Locator;

use crate::contacts::go;
use crate::editor::{contents_of, wait_for_content, wait_for_status};
use crate::harness::{App, Launch};

/// How many elements match `css`.
async fn count(app: &App, css: &str) -> usize {
    app.client()
        .find_all(Locator::Css(css))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

async fn wait_for_count(app: &App, css: &str, n: usize) {
    app.wait_until(&format!("{n} × {css}"), || async {
        count(app, css).await == n
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gallery_previews_a_template_and_uses_it_as_a_paused_workflow() {
    let post_purchase = builtin::get("post-purchase").unwrap().info().unwrap();
    let app = Launch::new("gallery").launch().await;

    app.click("nav a[href='#/templates']").await;
    wait_for_count(
        &app,
        "[data-testid=template-card]",
        builtin::TEMPLATES.len(),
    )
    .await;
    let card = "[data-testid=template-card][data-slug=post-purchase]";
    let text = wait_for_content(&app, card, &post_purchase.name).await;
    assert!(
        text.contains(&format!("{} nodes", post_purchase.nodes)),
        "{text}"
    );
    assert!(
        text.contains("Email (SMTP), Team Slack (Slack)"),
        "the card says which accounts it needs: {text}"
    );
    assert!(
        text.contains("Sales pipeline"),
        "and what import creates: {text}"
    );
    app.screenshot("gallery_cards").await.unwrap();

    // The preview draws the template's own canvas: one card per node.
    app.click(&format!("{card} [data-testid=template-preview]"))
        .await;
    let node = "[data-testid=template-canvas] [data-testid=canvas-node]";
    wait_for_count(&app, node, post_purchase.nodes as usize).await;
    let dialog = wait_for_content(
        &app,
        "[data-testid=template-preview-dialog]",
        &format!("{} nodes", post_purchase.nodes),
    )
    .await;
    assert!(dialog.contains(&post_purchase.name), "{dialog}");
    app.screenshot("gallery_preview").await.unwrap();

    // Using it imports it and opens the editor on it, paused.
    app.click("[data-testid=template-preview-use]").await;
    // (The editor's text is read as DOM text: WebKit's WebDriver cannot
    // compute "visible text" there once the preview's modal has gone.)
    wait_for_content(&app, "[data-testid=editor-name]", &post_purchase.name).await;
    wait_for_content(&app, "[data-testid=editor-status]", "Paused").await;
    wait_for_status(&app, "Added from the gallery").await;
    let in_editor = contents_of(&app, "[data-testid=canvas-node]").await.len();
    assert_eq!(in_editor, post_purchase.nodes as usize);

    let stored = app.store().workflow(&post_purchase.name).unwrap();
    assert_eq!(
        stored.status,
        WorkflowStatus::Paused,
        "templates arrive paused"
    );
    let hash: String = app
        .client()
        .execute("return location.hash;", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(hash, format!("#/workflows/{}", stored.id));
    app.screenshot("gallery_used_in_editor").await.unwrap();

    // Using it again makes a copy rather than touching the first.
    go(&app, "#/templates").await;
    app.click(&format!("{card} [data-testid=template-use]"))
        .await;
    wait_for_content(
        &app,
        "[data-testid=editor-name]",
        &format!("{} (2)", post_purchase.name),
    )
    .await;
    assert_eq!(app.store().workflows().unwrap().len(), 2);
    app.close().await;
}

/// A trial that nurtures for two days; upgrading ends it as a conversion.
const TRIAL: &str = r#"{
  "format": "cairn.workflow",
  "version": 1,
  "name": "Trial nurture",
  "settings": {"timezone": "UTC", "reentry": "once", "manual_minutes_per_run": 6.0, "hourly_rate": 50.0},
  "goals": [{"name": "Upgraded", "event_type": "plan.upgraded"}],
  "nodes": [
    {"id": "started", "label": "Trial started", "kind": "trigger.event", "position": {"x": 0, "y": 0}, "config": {"event_type": "trial.started"}},
    {"id": "wait", "label": "Two days", "kind": "wait.duration", "position": {"x": 0, "y": 140}, "config": {"duration": "2d"}},
    {"id": "tag", "label": "Tag nurtured", "kind": "action.add_tag", "position": {"x": 0, "y": 280}, "config": {"tag": "nurtured"}},
    {"id": "end", "kind": "end", "position": {"x": 0, "y": 420}, "config": {}}
  ],
  "edges": [
    {"from": "started", "exit": "next", "to": "wait"},
    {"from": "wait", "exit": "next", "to": "tag"},
    {"from": "tag", "exit": "next", "to": "end"}
  ]
}"#;

/// Monday 5 January 2026, 09:00 UTC.
pub(crate) fn t0() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

/// Stores an event for `email` at `at` and lets the engine handle it then.
pub(crate) fn emit(engine: &mut Engine, event_type: &str, email: &str, at: Timestamp) {
    engine
        .store_mut()
        .emit(
            &NewEvent {
                event_type: event_type.into(),
                contact_email: Some(email.into()),
                payload: serde_json::json!({}),
                occurred_at: at,
                source: "e2e".into(),
                external_id: None,
            },
            at,
        )
        .unwrap();
    engine.tick(at).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_shows_the_completion_rate_and_conversions_of_the_run_log() {
    let launch = Launch::new("analytics");
    let id = {
        let mut store = launch.store();
        let imported = store.import_workflow(TRIAL, false, t0()).unwrap();
        store
            .set_workflow_status("Trial nurture", WorkflowStatus::Active, t0())
            .unwrap();
        let mut engine = Engine::new(store);
        // Ann, Ben and Cy start at t0; Ben upgrades a day later (he leaves
        // by the goal: a conversion); Ann and Cy finish their two days. The
        // log is complete before launch, so the app's own executor finds
        // nothing due and the figures stay as built.
        for who in ["ann@example.com", "ben@example.com", "cy@example.com"] {
            emit(&mut engine, "trial.started", who, t0());
        }
        emit(
            &mut engine,
            "plan.upgraded",
            "ben@example.com",
            t0() + Duration::days(1),
        );
        engine.tick(t0() + Duration::days(2)).unwrap();
        imported.id
    };
    // By hand: 3 started, 3 ended (Ann and Cy completed, Ben exited by the
    // goal). Completion 2 ÷ 3 = 66.7 %; conversions 1, that is 1 ÷ 3 =
    // 33.3 % of ended runs; both completions took exactly 2 days; cost saved
    // 2 × 6 min ÷ 60 × 50 = 10.00.
    let stats = launch
        .store()
        .workflow_stats("Trial nurture", None, t0() + Duration::days(3))
        .unwrap();
    assert_eq!(
        (stats.runs.started, stats.runs.ended, stats.runs.completed),
        (3, 3, 2)
    );

    let app = launch.launch().await;
    // From the Workflows screen's row to its analytics, over all time (the
    // runs happened on a fixed clock in January 2026).
    app.click("[data-testid=workflow-row] [data-testid=workflow-analytics]")
        .await;
    app.wait_for_text("h1", "Trial nurture: analytics").await;
    app.click("[data-testid=range-all]").await;
    wait_for_content(&app, "[data-testid=completion-rate-value]", "66.7 %").await;
    let completion = wait_for_content(
        &app,
        "[data-testid=completion-rate]",
        "2 completed of 3 ended",
    )
    .await;
    assert!(completion.contains("1 exited, 0 failed"), "{completion}");
    let conversions =
        wait_for_content(&app, "[data-testid=conversions]", "33.3 % of ended runs").await;
    assert!(conversions.contains("Upgraded 1"), "{conversions}");
    assert_eq!(
        contents_of(&app, "[data-testid=conversions-value]").await,
        vec!["1".to_string()]
    );
    wait_for_content(&app, "[data-testid=cost-saved-value]", "10.00").await;
    wait_for_content(&app, "[data-testid=throughput]", "3 started, 0 still open").await;
    let took = wait_for_content(&app, "[data-testid=time-to-completion]", "p90 2d").await;
    assert!(took.starts_with("Time to completion2d"), "{took}");
    wait_for_content(&app, "[data-testid=workflows-active-value]", "1").await;
    // The chart is drawn by recharts: one bar group per day with runs.
    app.wait_until("the chart to draw its bars", || async {
        count(&app, "[data-testid=series-chart] .recharts-bar-rectangle").await > 0
    })
    .await;
    let hash: serde_json::Value = app
        .client()
        .execute("return location.hash;", vec![])
        .await
        .unwrap();
    assert_eq!(
        hash.as_str(),
        Some(format!("#/workflows/{id}/analytics?range=all").as_str())
    );
    app.screenshot("analytics_workflow").await.unwrap();

    // The last 7 days up to now hold none of it: an empty state, not zeros.
    app.click("[data-testid=range-7]").await;
    app.wait_for_text("[data-testid=analytics-empty]", "No runs in this range")
        .await;

    // The overview: workflows active and a link per workflow.
    app.click("nav a[href='#/analytics']").await;
    app.click("[data-testid=range-all]").await;
    wait_for_content(&app, "[data-testid=workflows-active]", "of 1 workflow").await;
    let row = wait_for_content(&app, "[data-testid=analytics-row]", "Trial nurture").await;
    assert!(row.contains("66.7 %"), "{row}");
    app.screenshot("analytics_overview").await.unwrap();
    app.click("[data-testid=analytics-workflow]").await;
    wait_for_content(&app, "[data-testid=completion-rate-value]", "66.7 %").await;
    app.close().await;
}
