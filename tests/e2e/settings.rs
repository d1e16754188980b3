//! The Settings, Email templates and Activity screens of the real app.

use chrono::TimeZone;
use fantoccini::Locator;

use crate::contacts::{choose, go};
use crate::harness::Launch;

fn march_first() -> cairn_model::Timestamp {
    chrono::Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_show_where_the_database_and_the_secrets_live() {
    let launch = Launch::new("settings");
    let db = launch.db_path();
    let app = launch.launch().await;
    app.click("nav a[href='#/settings']").await;
    let path = app
        .wait_for_text("[data-testid=database-path]", "cairn.db")
        .await;
    assert_eq!(path, db.display().to_string());
    let size = app
        .text_of("[data-testid=database-size]")
        .await
        .unwrap_or_default();
    assert!(size.ends_with("KB") || size.ends_with("MB"), "{size}");
    // The test session has an unlocked keyring: it answers.
    app.wait_for_text("[data-testid=secrets-store]", "the OS keyring")
        .await;
    app.wait_for_text("[data-testid=secrets-ok]", "It answers")
        .await;

    // Sender defaults are stored with the store's settings.
    let tz = app.client().find(Locator::Css("#s-tz")).await.unwrap();
    tz.send_keys("Mars/Base").await.unwrap();
    app.click("[data-testid=save-defaults]").await;
    app.wait_for_text("[data-testid=error-panel]", "Mars/Base")
        .await;
    tz.clear().await.unwrap();
    tz.send_keys("Europe/Berlin").await.unwrap();
    app.client()
        .find(Locator::Css(
            "[data-testid=sender-defaults] input[type=checkbox]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    app.click("[data-testid=save-defaults]").await;
    app.wait_for_text("[data-testid=sender-defaults]", "Saved")
        .await;
    let stored: serde_json::Value = app
        .store()
        .setting("sender_defaults")
        .unwrap()
        .expect("saved");
    assert_eq!(stored["timezone"], "Europe/Berlin");
    assert_eq!(stored["send_window"]["from"], "09:00");
    app.screenshot("settings").await.unwrap();
    app.close().await;
}

const WELCOME: &str = r#"{
  "format": "cairn.workflow",
  "version": 1,
  "name": "Welcome series",
  "nodes": [
    {"id": "signup", "kind": "trigger.manual", "position": {"x": 0, "y": 0}, "config": {}},
    {"id": "hello", "label": "Welcome email", "kind": "action.send_email", "position": {"x": 0, "y": 120},
     "config": {"template": "welcome", "account": "gmail"}}
  ],
  "edges": [{"from": "signup", "to": "hello"}],
  "email_templates": [
    {"name": "welcome", "subject": "Welcome, {{ contact.first_name }}!",
     "body": "Hi {{ contact.first_name }},\n\nThanks for joining **{{ workflow.name }}**.\n\n[Unsubscribe]({{ unsubscribe_url }})"}
  ]
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_templates_preview_live_and_activity_lists_what_happened() {
    let launch = Launch::new("templates_activity");
    {
        let mut store = launch.store();
        store
            .import_workflow(WELCOME, false, march_first())
            .unwrap();
        store
            .add_contact(
                &cairn_store::contacts::ContactInput {
                    email: "grace@example.com".into(),
                    name: Some("Grace Hopper".into()),
                    tags: vec!["vip".into()],
                    ..Default::default()
                },
                march_first(),
            )
            .unwrap();
    }
    let app = launch.launch().await;
    app.click("nav a[href='#/email-templates']").await;
    app.wait_for_text("[data-testid=template-item]", "welcome")
        .await;
    app.wait_for_text("[data-testid=preview-subject]", "Welcome, Ada!")
        .await;

    // A real contact's name in the preview.
    let grace = app.store().require_contact("grace@example.com").unwrap().id;
    choose(&app, "[data-testid=preview-contact]", &grace.to_string()).await;
    app.wait_for_text("[data-testid=preview-subject]", "Welcome, Grace!")
        .await;
    app.screenshot("email_templates").await.unwrap();

    // An unknown merge field is reported, not rendered as empty.
    let subject = app
        .client()
        .find(Locator::Css("[data-testid=template-subject]"))
        .await
        .unwrap();
    subject.send_keys(" {{ contact.nickname }}").await.unwrap();
    app.wait_for_text("[data-testid=preview-error]", "undefined")
        .await;
    app.screenshot("email_templates_merge_error").await.unwrap();
    subject.clear().await.unwrap();
    subject
        .send_keys("Glad you're here, {{ contact.first_name }}")
        .await
        .unwrap();
    app.wait_for_text("[data-testid=preview-subject]", "Glad you're here, Grace")
        .await;
    app.click("[data-testid=save-template]").await;
    app.wait_for_text("[data-testid=template-editor]", "Saved")
        .await;
    let (_, def) = app.store().workflow_def("Welcome series").unwrap();
    assert_eq!(
        def.email_templates[0].subject,
        "Glad you're here, {{ contact.first_name }}"
    );

    go(&app, "#/activity").await;
    app.wait_for_text("[data-testid=activity-list]", "contact.created")
        .await;
    app.wait_for_text("[data-testid=activity-list]", "tag.added")
        .await;
    choose(&app, "[data-testid=activity-filter]", "tag.added").await;
    app.wait_until("only tag.added events to show", || async {
        let types = app.texts_of("[data-testid=event-type]").await;
        !types.is_empty() && types.iter().all(|t| t == "tag.added")
    })
    .await;
    app.screenshot("activity").await.unwrap();
    app.close().await;
}
