//! The Pipelines screen of the real app: a board of 10,000 deals drawn a
//! few cards at a time, a card dragged to Won with the pointer (press, move,
//! release — what a mouse does), the `deal.stage_changed` it records
//! starting a deal-stage workflow whose run the contact's page then shows;
//! and pipelines created, their stages reordered, and a stage in use kept.

use cairn_store::runs::{RunQuery, RunStatus};
use chrono::{Duration, TimeZone};
use fantoccini::Locator;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};

use crate::accounts::type_into;
use crate::contacts::{choose, contents, wait_for_content};
use crate::harness::{App, Launch};

fn june_first() -> cairn_model::Timestamp {
    chrono::Utc.with_ymd_and_hms(2025, 6, 1, 9, 0, 0).unwrap()
}

const WON_WORKFLOW: &str = r#"{
  "format": "cairn.workflow",
  "version": 1,
  "name": "Deal won",
  "nodes": [
    {"id": "won", "kind": "trigger.deal_stage_changed", "position": {"x": 0, "y": 0},
     "config": {"pipeline": "Coaching", "stage": "Won"}},
    {"id": "tag-client", "kind": "action.add_tag", "position": {"x": 0, "y": 120},
     "config": {"tag": "client-won"}}
  ],
  "edges": [{"from": "won", "to": "tag-client"}]
}"#;

/// How many deals the board holds besides the one the test drags.
const MORE_DEALS: usize = 9_999;

/// Presses the element, moves in steps to the other one, releases: the
/// pointer events a mouse drag makes.
async fn drag(app: &App, from: &str, to: &str) {
    let c = app.client();
    let from = c.find(Locator::Css(from)).await.unwrap();
    let to = c.find(Locator::Css(to)).await.unwrap();
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: from,
            duration: None,
            x: 0.0,
            y: -20.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(std::time::Duration::from_millis(100)),
            x: 20.0,
            y: 10.0,
        })
        .then(PointerAction::MoveToElement {
            element: to,
            duration: Some(std::time::Duration::from_millis(300)),
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    c.perform_actions(mouse).await.unwrap();
    c.release_actions().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dragging_a_deal_to_won_starts_the_deal_stage_workflow() {
    let launch = Launch::new("pipelines_drag");
    let (contact_id, deal_id) = {
        let mut store = launch.store();
        let now = june_first();
        store
            .add_pipeline(
                "Coaching",
                &["Lead".into(), "Call booked".into(), "Won".into()],
                now,
            )
            .unwrap();
        let ada = store
            .add_contact(
                &cairn_store::contacts::ContactInput {
                    email: "ada@example.com".into(),
                    name: Some("Ada Lovelace".into()),
                    tags: vec!["vip".into()],
                    ..Default::default()
                },
                now - Duration::days(30),
            )
            .unwrap();
        // The latest deal to reach Lead, so it is the column's first card.
        let deal = store
            .write(|tx| {
                cairn_store::deals::create_deal_using(
                    tx,
                    ada.id,
                    "Coaching",
                    "Lead",
                    "Mentoring programme",
                    Some(1200.0),
                    now,
                )
            })
            .unwrap();
        store
            .write(|tx| {
                for i in 0..MORE_DEALS {
                    tx.execute(
                        "INSERT INTO contacts (email, email_key, name, created_at, updated_at) VALUES (?1, ?1, ?2, 0, 0)",
                        [format!("client{i}@example.com"), format!("Client {i}")],
                    )?;
                    let c = tx.last_insert_rowid();
                    let stage = ["Lead", "Call booked", "Won"][i % 3];
                    let value = (100 + (i % 20) * 50) as f64;
                    cairn_store::deals::create_deal_using(
                        tx,
                        c,
                        "Coaching",
                        stage,
                        &format!("Course {i}"),
                        Some(value),
                        now - Duration::days(1 + (i % 9) as i64),
                    )?;
                }
                Ok::<_, cairn_store::StoreError>(())
            })
            .unwrap();
        store.import_workflow(WON_WORKFLOW, false, now).unwrap();
        store
            .set_workflow_status(
                "Deal won",
                cairn_store::workflows::WorkflowStatus::Active,
                now,
            )
            .unwrap();
        (ada.id, deal)
    };

    let app = launch.launch().await;
    app.click("nav a[href='#/pipelines']").await;
    let card = format!("[data-deal-id='{deal_id}']");
    wait_for_content(&app, &card, "Mentoring programme").await;
    wait_for_content(&app, "[data-testid=board-count]", "10,000 deals").await;
    // Virtualized: 10,000 deals, a few dozen cards in the page.
    let drawn = app.texts_of("[data-testid=deal-card]").await.len();
    assert!(drawn < 100, "{drawn} cards drawn for 10,000 deals");
    let totals = contents(&app, "[data-testid=stage-total]").await;
    assert_eq!(totals.len(), 3, "{totals:?}");
    assert!(totals[0].starts_with("3,334 deals · "), "{totals:?}");
    app.screenshot("pipelines_board").await.unwrap();

    drag(&app, &card, "[data-stage='Won']").await;
    app.wait_until("the deal to be in Won", || async {
        app.store()
            .deals_of_contact(contact_id)
            .unwrap()
            .first()
            .is_some_and(|d| d.stage == "Won")
    })
    .await;
    let won_column = format!("[data-stage='Won'] {card}");
    wait_for_content(&app, &won_column, "Mentoring programme").await;
    wait_for_content(&app, &card, "today").await;
    app.screenshot("pipelines_dragged_to_won").await.unwrap();

    // The executor was woken: the deal-stage workflow ran for Ada.
    app.wait_until("the Deal won run to complete", || async {
        app.store()
            .runs(&RunQuery {
                workflow: Some("Deal won".into()),
                contact_id: Some(contact_id),
                status: Some(RunStatus::Completed),
                limit: None,
            })
            .unwrap()
            .len()
            == 1
    })
    .await;

    // Open the contact from the card: its timeline shows the move and the run.
    app.click(&format!("{card} [data-testid=deal-contact]"))
        .await;
    wait_for_content(&app, "[data-testid=timeline-event]", "Lead → Won").await;
    wait_for_content(&app, "[data-testid=timeline-run]", "Deal won").await;
    wait_for_content(&app, "[data-testid=contact-tags]", "client-won").await;
    app.screenshot("pipelines_contact_after_won").await.unwrap();

    let events = app.store().events_of_contact(contact_id, 10).unwrap();
    let moved: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "deal.stage_changed")
        .collect();
    assert_eq!(moved.len(), 1, "one drag, one stage change");
    assert_eq!(moved[0].payload["old_stage"], "Lead");
    assert_eq!(moved[0].payload["stage"], "Won");
    app.close().await;
}

/// The board's stage columns, left to right.
async fn column_order(app: &App) -> Vec<String> {
    app.client()
        .execute(
            "return [...document.querySelectorAll('[data-testid=stage-column]')].map(e => e.dataset.stage);",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelines_are_created_and_reordered_and_a_stage_in_use_is_kept() {
    let launch = Launch::new("pipelines_edit");
    {
        let mut store = launch.store();
        let now = june_first();
        store
            .add_pipeline(
                "Coaching",
                &["Lead".into(), "Call booked".into(), "Won".into()],
                now,
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
            .unwrap();
        store
            .write(|tx| {
                cairn_store::deals::create_deal_using(
                    tx,
                    ada.id,
                    "Coaching",
                    "Lead",
                    "Mentoring",
                    None,
                    now,
                )
            })
            .unwrap();
        // A workflow that names the stage Won.
        store.import_workflow(WON_WORKFLOW, false, now).unwrap();
    }
    let app = launch.launch().await;
    app.click("nav a[href='#/pipelines']").await;
    wait_for_content(&app, "[data-testid=stage-column]", "Mentoring").await;

    // A new pipeline, with the stages the dialog suggests.
    app.click("[data-testid=new-pipeline]").await;
    type_into(&app, "[data-testid=pipeline-name]", "Courses").await;
    app.click("[data-testid=create-pipeline]").await;
    app.wait_until("the Courses board", || async {
        column_order(&app).await == ["Lead", "Qualified", "Proposal", "Won", "Lost"]
    })
    .await;
    let names: Vec<String> = app
        .store()
        .pipelines()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Coaching", "Courses"]);

    // Back to Coaching: Won moves earlier; Lead, holding a deal, stays.
    choose(&app, "[data-testid=pipeline-select]", "Coaching").await;
    app.wait_until("the Coaching board", || async {
        column_order(&app).await == ["Lead", "Call booked", "Won"]
    })
    .await;
    app.click("[data-testid=edit-pipeline]").await;
    app.click("[aria-label='Move Won earlier']").await;
    app.wait_until("Won before Call booked", || async {
        app.store().pipeline("Coaching").unwrap().stages == ["Lead", "Won", "Call booked"]
    })
    .await;
    app.click("[aria-label='Delete Lead']").await;
    wait_for_content(
        &app,
        "[data-testid=stage-error]",
        "holds 1 deal; move them to another stage before deleting it",
    )
    .await;
    app.screenshot("pipelines_edit_dialog").await.unwrap();
    assert_eq!(
        app.store().pipeline("Coaching").unwrap().stages,
        ["Lead", "Won", "Call booked"]
    );
    // Won is used by a workflow; renamed, the dialog says who still names it.
    wait_for_content(&app, "[data-testid=stage-used-by]", "Used by “Deal won”").await;
    type_into(&app, "[aria-label='Name of stage Won']", "Signed\u{E007}").await;
    app.wait_until("Won renamed Signed", || async {
        app.store().pipeline("Coaching").unwrap().stages == ["Lead", "Signed", "Call booked"]
    })
    .await;
    wait_for_content(
        &app,
        "[data-testid=stale-stages]",
        "“Deal won” still names the stage “Won”, which Coaching no longer has.",
    )
    .await;
    app.screenshot("pipelines_stage_renamed_warning")
        .await
        .unwrap();
    app.click("[data-testid=edit-pipeline-dialog] footer button")
        .await;
    app.wait_until("the board in the new order", || async {
        column_order(&app).await == ["Lead", "Signed", "Call booked"]
    })
    .await;
    app.close().await;
}
