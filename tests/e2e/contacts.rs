//! The Contacts screen of the real app: 100,000 contacts scrolled and
//! filtered, a CSV import through the native file dialog with a bad row,
//! and a deal moved to another stage showing up in the contact's timeline.

use std::io::Write;
use std::time::{Duration, Instant};

use cairn_store::contacts::ContactQuery;
use cairn_store::csv_import::CsvImportOptions;
use chrono::TimeZone;
use fantoccini::Locator;

use crate::harness::{App, Launch};

fn march_first() -> cairn_model::Timestamp {
    chrono::Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

/// Sets a `<select>` the way a user's choice does: its value, then the
/// `change` event React listens to.
pub async fn choose(app: &App, css: &str, value: &str) {
    app.wait_until(&format!("{css} to offer {value:?}"), || async {
        app.client()
            .find(Locator::Css(&format!("{css} option[value='{value}']")))
            .await
            .is_ok()
    })
    .await;
    app.client()
        .execute(
            "const el = document.querySelector(arguments[0]);
             const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;
             set.call(el, arguments[1]);
             el.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![css.into(), value.into()],
        )
        .await
        .unwrap_or_else(|e| panic!("cannot choose {value} in {css}: {e}"));
}

/// Goes to a screen by its address (as a link would).
pub async fn go(app: &App, hash: &str) {
    app.client()
        .execute("location.hash = arguments[0];", vec![hash.into()])
        .await
        .unwrap();
}

/// Waits until some element matching `css` holds `text` in its DOM text
/// (WebKit's WebDriver leaves out text cut by `text-overflow: ellipsis`,
/// which a user still reads) and returns that text.
pub async fn wait_for_content(app: &App, css: &str, text: &str) -> String {
    let found = std::cell::RefCell::new(String::new());
    app.wait_until(&format!("{css} to hold {text:?}"), || async {
        match contents(app, css)
            .await
            .into_iter()
            .find(|t| t.contains(text))
        {
            Some(t) => {
                *found.borrow_mut() = t;
                true
            }
            None => false,
        }
    })
    .await;
    found.into_inner()
}

/// The DOM text of every element matching `css`.
pub async fn contents(app: &App, css: &str) -> Vec<String> {
    app.client()
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent);",
            vec![css.into()],
        )
        .await
        .ok()
        .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
        .unwrap_or_default()
}

async fn count_of(app: &App, css: &str) -> usize {
    app.client()
        .find_all(Locator::Css(css))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_contacts_scroll_to_the_end_and_filter_by_tag() {
    let launch = Launch::new("contacts_100k");
    let mut csv = String::with_capacity(5_000_000);
    csv.push_str("email,name,tags\n");
    let mut vip = 0;
    for i in 0..100_000 {
        let tags = if i % 7 == 0 {
            vip += 1;
            "vip;customer"
        } else if i % 3 == 0 {
            "lead"
        } else {
            ""
        };
        csv.push_str(&format!("person{i:06}@example.com,Person {i},{tags}\n"));
    }
    let report = launch
        .store()
        .import_contacts_csv(csv.as_bytes(), &CsvImportOptions::default(), march_first())
        .unwrap();
    assert_eq!(report.created, 100_000, "{:?}", report.invalid.first());

    let app = launch.launch().await;
    app.click("nav a[href='#/contacts']").await;
    app.wait_for_text("[data-testid=contact-count]", "100,000 contacts")
        .await;
    wait_for_content(&app, "[data-testid=contact-email]", "@example.com").await;
    app.screenshot("contacts_list").await.unwrap();

    // Newest first; all were added at the same instant, so the last row is
    // the first one written.
    let started = Instant::now();
    app.client()
        .execute(
            "const s = document.querySelector('[data-testid=contact-scroller]'); s.scrollTop = s.scrollHeight;",
            vec![],
        )
        .await
        .unwrap();
    app.wait_until("the last contact to be loaded and shown", || async {
        contents(
            &app,
            "[data-testid=contact-row][data-index='99999'] [data-testid=contact-email]",
        )
        .await
        .first()
        .is_some_and(|t| t == "person000000@example.com")
    })
    .await;
    let scrolled = started.elapsed();
    let rows = count_of(&app, "[role=row][data-index]").await;
    assert!(
        rows > 5 && rows < 200,
        "only the rows in view exist in the page, not 100,000: {rows}"
    );
    assert!(
        scrolled < Duration::from_secs(10),
        "the end of the list took {scrolled:?}"
    );
    app.screenshot("contacts_scrolled_to_end").await.unwrap();

    choose(&app, "[data-testid=tag-filter]", "vip").await;
    app.wait_for_text(
        "[data-testid=contact-count]",
        &format!("{} contacts", with_commas(vip)),
    )
    .await;
    assert_eq!(vip, 14_286);
    app.wait_until("the filtered rows to show", || async {
        let emails = contents(&app, "[data-testid=contact-email]").await;
        !emails.is_empty()
            && emails.iter().all(|e| {
                let n: u32 = e[6..12].parse().unwrap_or(1);
                n.is_multiple_of(7)
            })
    })
    .await;
    let store = app.store();
    let vip_count = store
        .count_contacts(&ContactQuery {
            tag: Some("vip".into()),
            ..ContactQuery::default()
        })
        .unwrap();
    assert_eq!(vip_count, vip as i64);

    // Search narrows further, by email or name.
    let search = app
        .client()
        .find(Locator::Css("[data-testid=contact-search]"))
        .await
        .unwrap();
    search.send_keys("Person 9996").await.unwrap();
    // 99960..99969 and 9996 itself; vip ones are multiples of 7: 9996, 99960, 99967.
    app.wait_for_text("[data-testid=contact-count]", "3 contacts")
        .await;
    app.screenshot("contacts_filtered").await.unwrap();
    app.close().await;
}

fn with_commas(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_with_a_bad_row_names_its_line_and_imports_only_on_request() {
    let launch = Launch::new("contacts_import");
    let csv = launch.db_path().with_file_name("people.csv");
    std::fs::create_dir_all(csv.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(&csv).unwrap();
    write!(
        f,
        "email,name,tags,plan:text\n\
         ada@example.com,Ada Lovelace,vip,pro\n\
         grace@example.com,Grace Hopper,,basic\n\
         \"not-an-email\",\"Bob, the builder\",lead,\n\
         alan@example.com,Alan Turing,,pro\n"
    )
    .unwrap();
    drop(f);

    let app = launch.launch().await;
    app.click("nav a[href='#/contacts']").await;
    app.wait_for_text("[data-testid=contacts-empty]", "No contacts yet")
        .await;
    app.screenshot("contacts_empty").await.unwrap();
    app.click("[data-testid=import-csv]").await;
    app.wait_for_text("[data-testid=import-dialog]", "Import contacts")
        .await;
    app.screenshot("contacts_import_dialog").await.unwrap();
    crate::editor::queue_picked_path(&app, &csv).await;
    app.click("[data-testid=choose-file]").await;

    let row = app
        .wait_for_text("[data-testid=invalid-row]", "not-an-email")
        .await;
    assert_eq!(
        app.text_of("[data-testid=invalid-line]").await.as_deref(),
        Some("4"),
        "the header is line 1: {row}"
    );
    let reason = app
        .text_of("[data-testid=invalid-reason]")
        .await
        .unwrap_or_default();
    assert!(reason.contains("not-an-email"), "{reason}");
    assert_eq!(
        app.store()
            .count_contacts(&ContactQuery::default())
            .unwrap(),
        0,
        "nothing is written before the user chooses"
    );
    app.screenshot("contacts_import_report").await.unwrap();

    app.click("[data-testid=import-valid]").await;
    app.wait_for_text("[data-testid=import-result]", "3 contacts added")
        .await;
    app.screenshot("contacts_import_done").await.unwrap();
    app.click("[data-testid=import-done]").await;
    app.wait_for_text("[data-testid=contact-count]", "3 contacts")
        .await;
    let store = app.store();
    assert_eq!(store.count_contacts(&ContactQuery::default()).unwrap(), 3);
    let ada = store.require_contact("ada@example.com").unwrap();
    assert_eq!(ada.fields["plan"], serde_json::json!("pro"));
    assert_eq!(ada.tags, vec!["vip"]);

    // Add one by hand: a bad email is caught in the form, then it is saved
    // with the custom field the import declared and a tag.
    app.click("[data-testid=add-contact]").await;
    let email = app.client().find(Locator::Css("#c-email")).await.unwrap();
    email.send_keys("katherine@").await.unwrap();
    app.click("[data-testid=save-contact]").await;
    app.wait_for_text("[data-testid=error-c-email]", "does not look like an email")
        .await;
    email.send_keys("example.com").await.unwrap();
    app.client()
        .find(Locator::Css("#c-name"))
        .await
        .unwrap()
        .send_keys("Katherine Johnson")
        .await
        .unwrap();
    app.client()
        .find(Locator::Css("#c-field-plan"))
        .await
        .unwrap()
        .send_keys("team")
        .await
        .unwrap();
    app.client()
        .find(Locator::Css("#c-tag"))
        .await
        .unwrap()
        .send_keys("nasa\u{E007}")
        .await
        .unwrap();
    app.screenshot("contacts_add").await.unwrap();
    app.click("[data-testid=save-contact]").await;
    app.wait_for_text("[data-testid=contact-count]", "4 contacts")
        .await;
    let all: Vec<String> = app
        .store()
        .contacts(&ContactQuery::default())
        .unwrap()
        .into_iter()
        .map(|c| c.email)
        .collect();
    let k = app
        .store()
        .require_contact("katherine@example.com")
        .unwrap_or_else(|e| panic!("{e}: {all:?}"));
    assert_eq!(k.name.as_deref(), Some("Katherine Johnson"));
    assert_eq!(k.fields["plan"], serde_json::json!("team"));
    assert_eq!(k.tags, vec!["nasa"]);
    app.close().await;
}

const ONBOARDING: &str = r#"{
  "format": "cairn.workflow",
  "version": 1,
  "name": "Client onboarding",
  "nodes": [
    {"id": "won", "kind": "trigger.deal_stage_changed", "position": {"x": 0, "y": 0},
     "config": {"pipeline": "Coaching", "stage": "Won"}},
    {"id": "welcome-client", "kind": "action.add_tag", "position": {"x": 0, "y": 120},
     "config": {"tag": "client-won"}}
  ],
  "edges": [{"from": "won", "to": "welcome-client"}]
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_deal_to_another_stage_shows_in_the_contacts_timeline() {
    let launch = Launch::new("contacts_deal");
    let (contact_id, deal_id) = {
        let mut store = launch.store();
        let now = march_first();
        let c = store
            .add_contact(
                &cairn_store::contacts::ContactInput {
                    email: "ada@example.com".into(),
                    name: Some("Ada Lovelace".into()),
                    tags: vec!["client".into()],
                    ..Default::default()
                },
                now,
            )
            .unwrap();
        store
            .ensure_pipeline(
                "Coaching",
                &["Lead".into(), "Call booked".into(), "Won".into()],
                now,
            )
            .unwrap();
        let deal = store
            .write(|tx| {
                cairn_store::deals::create_deal_using(
                    tx,
                    c.id,
                    "Coaching",
                    "Lead",
                    "Program A",
                    Some(900.0),
                    now,
                )
            })
            .unwrap();
        // Moving a deal to Won starts this workflow, which tags the client.
        store.import_workflow(ONBOARDING, false, now).unwrap();
        store
            .set_workflow_status(
                "Client onboarding",
                cairn_store::workflows::WorkflowStatus::Active,
                now,
            )
            .unwrap();
        (c.id, deal)
    };

    let app = launch.launch().await;
    app.click("nav a[href='#/contacts']").await;
    app.click("[data-testid=contact-row]").await;
    app.wait_for_text("[data-testid=deal]", "Program A").await;
    app.wait_for_text("[data-testid=timeline]", "deal.created")
        .await;
    app.screenshot("contact_page").await.unwrap();

    choose(&app, "[data-testid=deal-stage]", "Won").await;
    app.wait_for_text("[data-testid=timeline-event]", "deal.stage_changed")
        .await;
    let line = wait_for_content(&app, "[data-testid=timeline-event]", "Lead → Won").await;
    assert!(line.contains("Coaching"), "{line}");

    // The executor was woken: the workflow's run appears in the timeline
    // without a reload, and opens to its steps.
    wait_for_content(&app, "[data-testid=timeline-run]", "Client onboarding").await;
    app.wait_until("the run to finish", || async {
        contents(&app, "[data-testid=timeline-run]")
            .await
            .iter()
            .any(|t| t.contains("completed"))
    })
    .await;
    app.click("[data-testid=timeline-run] button").await;
    let step = wait_for_content(&app, "[data-testid=run-step]", "welcome-client").await;
    assert!(step.contains("ok"), "{step}");
    wait_for_content(&app, "[data-testid=contact-tags]", "client-won").await;
    app.screenshot("contact_deal_moved").await.unwrap();

    let store = app.store();
    let deals = store.deals_of_contact(contact_id).unwrap();
    assert_eq!(deals[0].id, deal_id);
    assert_eq!(deals[0].stage, "Won");
    let events = store.events_of_contact(contact_id, 10).unwrap();
    let moved = events
        .iter()
        .find(|e| e.event_type == "deal.stage_changed")
        .expect("the stage change was recorded");
    assert_eq!(moved.payload["old_stage"], "Lead");
    assert_eq!(moved.payload["stage"], "Won");

    // The edit form: a tag off, a status change; both recorded.
    app.click("[data-testid=edit-contact]").await;
    wait_for_content(
        &app,
        "[data-testid=contact-dialog] h2",
        "Edit ada@example.com",
    )
    .await;
    choose(&app, "#c-status", "unsubscribed").await;
    app.click("[aria-label='Remove tag client']").await;
    app.screenshot("contact_edit").await.unwrap();
    app.click("[data-testid=save-contact]").await;
    wait_for_content(&app, "[data-testid=timeline-event]", "tag.removed").await;
    app.wait_for_text("[data-testid=contact-details]", "unsubscribed")
        .await;
    let c = app.store().contact(contact_id).unwrap().unwrap();
    assert_eq!(
        c.tags,
        vec!["client-won"],
        "client taken off, the workflow's tag kept"
    );
    app.close().await;
}
