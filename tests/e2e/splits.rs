//! The A/B results view in the real app.
//!
//! The run log is built before launch the way the app would: an A/B split
//! workflow is imported and activated, and `cairn_engine::Engine` drives 80
//! signups through it on a fixed clock; in variant A every 8th contact buys
//! (the goal), in B every 2nd. The analytics view must show each variant's
//! runs and conversions as the engine recorded them and the verdict against
//! the control; declaring B the winner saves version 2, whose split sends
//! every new run to B.

use cairn_engine::Engine;
use cairn_model::workflow::NodeSpec;
use cairn_store::workflows::WorkflowStatus;
use chrono::Duration;

use crate::editor::wait_for_content;
use crate::harness::Launch;
use crate::insights::{emit, t0};

const OFFER: &str = r#"{
  "format": "cairn.workflow",
  "version": 1,
  "name": "Welcome offer",
  "settings": {"timezone": "UTC", "reentry": "once"},
  "goals": [{"name": "Bought", "event_type": "purchase.completed"}],
  "nodes": [
    {"id": "signup", "kind": "trigger.event", "position": {"x": 0, "y": 0}, "config": {"event_type": "signup"}},
    {"id": "ab", "label": "Offer test", "kind": "split", "position": {"x": 0, "y": 140}, "config": {"variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}]}},
    {"id": "wa", "kind": "wait.duration", "position": {"x": -160, "y": 280}, "config": {"duration": "1d"}},
    {"id": "wb", "kind": "wait.duration", "position": {"x": 160, "y": 280}, "config": {"duration": "1d"}},
    {"id": "end", "kind": "end", "position": {"x": 0, "y": 420}, "config": {}}
  ],
  "edges": [
    {"from": "signup", "exit": "next", "to": "ab"},
    {"from": "ab", "exit": "A", "to": "wa"},
    {"from": "ab", "exit": "B", "to": "wb"},
    {"from": "wa", "exit": "next", "to": "end"},
    {"from": "wb", "exit": "next", "to": "end"}
  ]
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ab_results_view_shows_each_variant_and_declares_a_winner() {
    let launch = Launch::new("splits");
    let id = {
        let mut store = launch.store();
        let imported = store.import_workflow(OFFER, false, t0()).unwrap();
        store
            .set_workflow_status("Welcome offer", WorkflowStatus::Active, t0())
            .unwrap();
        let mut engine = Engine::new(store);
        for i in 0..80 {
            emit(&mut engine, "signup", &format!("c{i}@example.com"), t0());
        }
        engine.tick(t0()).unwrap();
        let took: Vec<(String, String)> = engine
            .store()
            .conn()
            .prepare("SELECT c.email, s.exit FROM steps s JOIN runs r ON r.id = s.run_id JOIN contacts c ON c.id = r.contact_id WHERE s.node_id = 'ab' ORDER BY r.id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let (mut na, mut nb) = (0, 0);
        let at = t0() + Duration::hours(1);
        for (email, exit) in took {
            let buys = if exit == "A" {
                na += 1;
                na % 8 == 1
            } else {
                nb += 1;
                nb % 2 == 1
            };
            if buys {
                emit(&mut engine, "purchase.completed", &email, at);
            }
        }
        engine.tick(at).unwrap();
        engine.tick(t0() + Duration::days(1)).unwrap();
        imported.id
    };
    let stats = launch
        .store()
        .workflow_stats("Welcome offer", None, t0() + Duration::days(2))
        .unwrap();
    let split = &stats.splits[0];
    let (a, b) = (&split.variants[0], &split.variants[1]);
    assert_eq!(a.runs + b.runs, 80);
    assert_eq!((a.ended, b.ended), (a.runs, b.runs));
    // Every 8th of A and every 2nd of B bought: ⌈n/8⌉ and ⌈n/2⌉.
    assert_eq!(a.conversions, a.runs.div_ceil(8));
    assert_eq!(b.conversions, b.runs.div_ceil(2));

    let app = launch.launch().await;
    app.click("[data-testid=workflow-row] [data-testid=workflow-analytics]")
        .await;
    app.wait_for_text("h1", "Welcome offer: analytics").await;
    app.click("[data-testid=range-all]").await;
    let panel =
        wait_for_content(&app, "[data-testid=split-results]", "A/B split: Offer test").await;
    assert!(panel.contains("Compared on the conversion rate"), "{panel}");
    let row = |v: &str| format!("[data-testid=split-variant][data-variant={v}]");
    wait_for_content(
        &app,
        &format!("{} [data-testid=variant-runs]", row("A")),
        &a.runs.to_string(),
    )
    .await;
    wait_for_content(
        &app,
        &format!("{} [data-testid=variant-conversions]", row("A")),
        &a.conversions.to_string(),
    )
    .await;
    wait_for_content(
        &app,
        &format!("{} [data-testid=variant-runs]", row("B")),
        &b.runs.to_string(),
    )
    .await;
    wait_for_content(
        &app,
        &format!("{} [data-testid=variant-conversions]", row("B")),
        &b.conversions.to_string(),
    )
    .await;
    let rate_b = format!("{:.1} %", b.conversion_rate.unwrap() * 100.0);
    wait_for_content(
        &app,
        &format!("{} [data-testid=variant-rate]", row("B")),
        &rate_b,
    )
    .await;
    wait_for_content(
        &app,
        &format!("{} [data-testid=variant-statement]", row("A")),
        "control",
    )
    .await;
    let verdict = wait_for_content(
        &app,
        &format!("{} [data-testid=variant-statement]", row("B")),
        &b.statement,
    )
    .await;
    assert!(verdict.contains("B converts"), "{verdict}");
    scroll_to(&app, "[data-testid=split-results]").await;
    app.screenshot("ab_results").await.unwrap();

    // Declare B the winner: version 2, whose split sends every new run to B.
    app.click(&format!("{} [data-testid=declare-winner]", row("B")))
        .await;
    let confirm = format!("{} [data-testid=confirm-winner]", row("B"));
    wait_for_content(&app, &confirm, "Send every new run to B").await;
    scroll_to(&app, &confirm).await;
    app.click(&confirm).await;
    wait_for_content(
        &app,
        "[data-testid=winner-saved]",
        "Version 2 saved: every new run takes the winner. Runs already going stay on version 1.",
    )
    .await;
    wait_for_content(&app, "[data-testid=split-winner]", "Winner: B").await;
    scroll_to(&app, "[data-testid=split-results]").await;
    app.screenshot("ab_winner_declared").await.unwrap();
    // The canvas's run counts say how many runs left by each variant.
    app.click("[data-testid=open-editor]").await;
    app.click("[data-testid=tool-counts]").await;
    wait_for_content(&app, ".react-flow__edge-text", &format!("A · {}", a.runs)).await;
    wait_for_content(&app, ".react-flow__edge-text", &format!("B · {}", b.runs)).await;
    app.screenshot("ab_canvas_exit_counts").await.unwrap();

    let (w, def) = app.store().workflow_def("Welcome offer").unwrap();
    assert_eq!((w.id, w.version), (id, 2));
    let NodeSpec::Split(s) = &def.node("ab").unwrap().spec else {
        panic!("ab is not a split")
    };
    assert_eq!(s.winner.as_deref(), Some("B"));
    app.close().await;
}

/// Brings the element into the middle of the window (the screenshots show
/// the window only; the results table is below the chart).
async fn scroll_to(app: &crate::harness::App, css: &str) {
    app.client()
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("cannot scroll to {css}: {e}"));
}
