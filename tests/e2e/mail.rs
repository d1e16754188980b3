//! Transactional mail in the real app: the coach marks the receipt
//! transactional in the editor's inspector and activates the workflow; a
//! purchase by a buyer who unsubscribed from marketing then sends the
//! receipt over a real SMTP server on loopback (aiosmtpd), with no
//! unsubscribe link and no `List-Unsubscribe` header.

use cairn_model::account::AccountKind;
use cairn_model::contact::ContactStatus;
use cairn_model::event::NewEvent;
use cairn_model::workflow::EmailKind;
use cairn_model::{Clock, SystemClock};
use cairn_store::contacts::ContactInput;
use cairn_store::workflows::WorkflowStatus;

use crate::editor::{choose, click_node, open_workflow, wait_for_content};
use crate::harness::Launch;
use crate::testrun::SmtpServer;

/// A purchase sends a receipt (marketing until the coach says otherwise).
const RECEIPTS: &str = r#"{
  "format": "cairn.workflow",
  "version": 1,
  "name": "Receipts",
  "nodes": [
    {"id": "paid", "kind": "trigger.purchase_completed", "position": {"x": 0, "y": 0}, "config": {}},
    {"id": "receipt", "kind": "action.send_email", "position": {"x": 0, "y": 150},
     "config": {"template": "Receipt", "account": "Gmail"}}
  ],
  "edges": [{"from": "paid", "exit": "next", "to": "receipt"}],
  "email_templates": [
    {"name": "Receipt", "subject": "Your {{ trigger.product }} receipt",
     "body": "Hi {{ contact.first_name }},\n\nthank you for buying **{{ trigger.product }}**."}
  ]
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_marked_transactional_reaches_an_unsubscribed_buyer() {
    let launch = Launch::new("mail_transactional");
    let smtp = SmtpServer::start(launch.db_path().parent().unwrap().parent().unwrap());
    let now = SystemClock.now();
    {
        let mut s = launch.store();
        s.add_account(
            "Gmail",
            AccountKind::Smtp,
            &serde_json::json!({
                "host": "127.0.0.1",
                "port": smtp.port,
                "security": "none",
                "from": "Coach <coach@example.com>"
            }),
            None,
            now,
        )
        .unwrap();
        s.import_workflow(RECEIPTS, false, now).unwrap();
        s.add_contact(
            &ContactInput {
                email: "una@example.com".into(),
                name: Some("Una Subscribed".into()),
                status: Some(ContactStatus::Unsubscribed),
                ..Default::default()
            },
            now,
        )
        .unwrap();
    }

    let app = launch.launch().await;
    open_workflow(&app, "Receipts").await;
    click_node(&app, "receipt").await;
    choose(&app, "[data-testid=template-kind]", "transactional").await;
    wait_for_content(
        &app,
        "[data-testid=inspector]",
        "unsubscribed contacts get it too",
    )
    .await;
    app.screenshot("mail_transactional_inspector")
        .await
        .unwrap();
    // Activating saves the draft first.
    app.click("[data-testid=editor-activate]").await;
    app.wait_for_text("[data-testid=forecast]", "Runs started")
        .await;
    app.click("[data-testid=activate-confirm]").await;
    wait_for_content(&app, "[data-testid=editor-status]", "Active").await;
    let (w, def) = app.store().workflow_def("Receipts").unwrap();
    assert_eq!(w.status, WorkflowStatus::Active);
    assert_eq!(def.email_templates[0].kind, EmailKind::Transactional);

    // The unsubscribed buyer pays, as a connector would record it.
    app.store()
        .emit(
            &NewEvent {
                event_type: "purchase.completed".into(),
                contact_email: Some("una@example.com".into()),
                payload: serde_json::json!({"product": "Program A"}),
                occurred_at: SystemClock.now(),
                source: "test".into(),
                external_id: None,
            },
            SystemClock.now(),
        )
        .unwrap();
    app.wait_until("the SMTP server to hold the receipt", || async {
        !smtp.messages().is_empty()
    })
    .await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert!(m.contains("X-RcptTo: una@example.com"), "{m}");
    assert!(m.contains("Subject: Your Program A receipt"), "{m}");
    assert!(!m.contains("List-Unsubscribe"), "{m}");
    assert!(!m.to_lowercase().contains("unsubscribe"), "{m}");
    app.close().await;
}
