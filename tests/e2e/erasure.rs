//! Erasing a contact in the real app: a contact with runs, events and a
//! deal is erased from their page after a confirmation that says what goes;
//! the workflow's analytics read the same before and after, and the email
//! is nowhere in the database file or its WAL while the app still runs.

use cairn_engine::Engine;
use cairn_model::Timestamp;
use cairn_model::event::NewEvent;
use cairn_store::workflows::WorkflowStatus;
use chrono::{Duration, TimeZone};

use crate::contacts::{go, wait_for_content};
use crate::harness::Launch;

const TRIAL: &str = r#"{
  "format": "cairn.workflow", "version": 1, "name": "Trial nurture",
  "settings": {"timezone": "UTC", "reentry": "once", "manual_minutes_per_run": 6.0, "hourly_rate": 50.0},
  "goals": [{"name": "Upgraded", "event_type": "plan.upgraded"}],
  "nodes": [
    {"id": "started", "kind": "trigger.event", "position": {"x": 0, "y": 0}, "config": {"event_type": "trial.started"}},
    {"id": "wait", "kind": "wait.duration", "position": {"x": 0, "y": 140}, "config": {"duration": "2d"}},
    {"id": "tag", "kind": "action.add_tag", "position": {"x": 0, "y": 280}, "config": {"tag": "nurtured"}},
    {"id": "end", "kind": "end", "position": {"x": 0, "y": 420}, "config": {}}
  ],
  "edges": [
    {"from": "started", "exit": "next", "to": "wait"},
    {"from": "wait", "exit": "next", "to": "tag"},
    {"from": "tag", "exit": "next", "to": "end"}
  ]
}"#;

const BEN: &str = "ben.secret-person@example.com";

fn t0() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

fn emit(engine: &mut Engine, event_type: &str, email: &str, at: Timestamp) {
    engine
        .store_mut()
        .emit(
            &NewEvent {
                event_type: event_type.into(),
                contact_email: Some(email.into()),
                payload: serde_json::json!({"note": format!("about {email}")}),
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
async fn erasing_a_contact_with_runs_events_and_a_deal_keeps_the_analytics() {
    let launch = Launch::new("erasure");
    let ben_id = {
        let mut store = launch.store();
        store.import_workflow(TRIAL, false, t0()).unwrap();
        store
            .set_workflow_status("Trial nurture", WorkflowStatus::Active, t0())
            .unwrap();
        store
            .ensure_pipeline("Coaching", &["Lead".into(), "Won".into()], t0())
            .unwrap();
        let mut engine = Engine::new(store);
        for who in ["ann@example.com", BEN, "cy@example.com"] {
            emit(&mut engine, "trial.started", who, t0());
        }
        emit(&mut engine, "plan.upgraded", BEN, t0() + Duration::days(1));
        engine.tick(t0() + Duration::days(2)).unwrap();
        let store = engine.store_mut();
        let ben = store.require_contact(BEN).unwrap().id;
        store
            .write(|tx| {
                cairn_store::deals::create_deal_using(
                    tx,
                    ben,
                    "Coaching",
                    "Won",
                    "Ben's private coaching",
                    Some(900.0),
                    t0(),
                )
            })
            .unwrap();
        ben
    };
    let stats = |store: cairn_store::Store| {
        serde_json::to_value(
            store
                .workflow_stats("Trial nurture", None, t0() + Duration::days(3))
                .unwrap(),
        )
        .unwrap()
    };
    let before = stats(launch.store());
    assert_eq!(before["runs"]["started"], 3);

    let app = launch.launch().await;
    go(&app, &format!("#/contacts/{ben_id}")).await;
    app.wait_for_text("h1", BEN).await;
    wait_for_content(&app, "[data-testid=consent-entry]", "subscribed").await;
    app.click("[data-testid=erase-contact]").await;
    let summary = wait_for_content(&app, "[data-testid=erase-summary]", "1 deal").await;
    assert!(summary.contains("the details of 1 run"), "{summary}");
    app.screenshot("erase_confirmation").await.unwrap();
    // Nothing is gone before the confirmation.
    assert!(app.store().contact_by_email(BEN).unwrap().is_some());
    app.click("[data-testid=erase-confirm]").await;
    app.wait_for_text("[data-testid=contact-count]", "2 contacts")
        .await;
    assert!(app.store().contact_by_email(BEN).unwrap().is_none());
    assert_eq!(
        stats(app.store()),
        before,
        "analytics before and after agree"
    );

    // The analytics screen shows the same figures as before.
    go(&app, "#/analytics").await;
    app.click("[data-testid=range-all]").await;
    let row = wait_for_content(&app, "[data-testid=analytics-row]", "Trial nurture").await;
    assert!(row.contains("66.7 %"), "{row}");
    let db = app.db_path();

    let mut bytes = std::fs::read(&db).unwrap();
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    bytes.extend(std::fs::read(&wal).unwrap_or_default());
    for needle in [BEN, "Ben's private coaching"] {
        let n = needle.as_bytes();
        assert!(
            !bytes.windows(n.len()).any(|w| w == n),
            "{needle} is still in the database files"
        );
    }
    app.close().await;
}
