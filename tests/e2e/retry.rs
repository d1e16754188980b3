//! Re-running a failed run in the real app: a receipt's SMTP account was
//! removed, so the purchase's run fails at the email; the coach sees it in
//! the workflow's failed runs, connects the account again on the Accounts
//! screen, opens the run and presses Retry. The receipt then leaves over a
//! real SMTP server on loopback (aiosmtpd), once, and the tag added before
//! the failure is not added again.

use cairn_model::account::AccountKind;
use cairn_model::event::NewEvent;
use cairn_model::{Clock, SystemClock};
use cairn_store::runs::RunStatus;
use cairn_store::workflows::WorkflowStatus;

use crate::accounts::type_into;
use crate::contacts::choose;
use crate::harness::Launch;
use crate::testrun::SmtpServer;

/// A purchase tags the buyer, then emails a receipt (one attempt).
const RECEIPTS: &str = r#"{
  "format": "cairn.workflow",
  "version": 1,
  "name": "Receipts",
  "nodes": [
    {"id": "paid", "kind": "trigger.purchase_completed", "position": {"x": 0, "y": 0}, "config": {}},
    {"id": "buyer", "kind": "action.add_tag", "position": {"x": 0, "y": 150}, "config": {"tag": "buyer"}},
    {"id": "receipt", "kind": "action.send_email", "position": {"x": 0, "y": 300},
     "config": {"template": "Receipt", "account": "Gmail", "on_error": {"max_attempts": 1}}}
  ],
  "edges": [{"from": "paid", "exit": "next", "to": "buyer"}, {"from": "buyer", "exit": "next", "to": "receipt"}],
  "email_templates": [
    {"name": "Receipt", "subject": "Your {{ trigger.product }} receipt", "body": "Thank you!", "kind": "transactional"}
  ]
}"#;

fn gmail(port: u16) -> serde_json::Value {
    serde_json::json!({"host": "127.0.0.1", "port": port, "security": "none", "from": "Coach <coach@example.com>"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_is_retried_from_its_page_after_the_account_is_fixed() {
    let launch = Launch::new("retry_failed_run");
    let smtp = SmtpServer::start(launch.db_path().parent().unwrap().parent().unwrap());
    let now = SystemClock.now();
    {
        let mut s = launch.store();
        s.add_account("Gmail", AccountKind::Smtp, &gmail(smtp.port), None, now)
            .unwrap();
        s.import_workflow(RECEIPTS, false, now).unwrap();
        s.set_workflow_status("Receipts", WorkflowStatus::Active, now)
            .unwrap();
        // The account goes away after activation; the buyer pays.
        s.remove_account("Gmail").unwrap();
        s.emit(
            &NewEvent {
                event_type: "purchase.completed".into(),
                contact_email: Some("ada@example.com".into()),
                payload: serde_json::json!({"product": "Program A"}),
                occurred_at: now,
                source: "test".into(),
                external_id: None,
            },
            now,
        )
        .unwrap();
    }
    let app = launch.launch().await;
    app.wait_until("the run to fail", || async {
        app.store()
            .runs(&Default::default())
            .unwrap()
            .first()
            .is_some_and(|r| r.status == RunStatus::Failed)
    })
    .await;

    // The workflow's failed runs list it, with its node and error.
    app.click("[data-workflow=Receipts] [data-testid=workflow-failures]")
        .await;
    let row = app
        .wait_for_text("[data-testid=failure]", "ada@example.com")
        .await;
    assert!(row.contains("receipt"), "{row}");
    assert!(row.contains("no account named \"Gmail\""), "{row}");
    app.screenshot("retry_failures_list").await.unwrap();

    // The coach connects the account again on the Accounts screen…
    app.click("nav a[href='#/accounts']").await;
    app.wait_for_text("[data-testid=accounts-empty]", "No accounts connected")
        .await;
    app.click("[data-testid=add-account]").await;
    type_into(&app, "[data-testid=account-name]", "Gmail").await;
    type_into(&app, "[data-testid=account-host]", "127.0.0.1").await;
    type_into(&app, "[data-testid=account-port]", &smtp.port.to_string()).await;
    choose(&app, "#acct-security", "none").await;
    type_into(
        &app,
        "[data-testid=account-from]",
        "Coach <coach@example.com>",
    )
    .await;
    app.click("[data-testid=save-account]").await;
    app.wait_for_text("[data-testid=account]", "Gmail").await;
    // …goes back to the failed runs, opens the run and retries it.
    app.click("nav a[href='#/workflows']").await;
    app.click("[data-workflow=Receipts] [data-testid=workflow-failures]")
        .await;
    app.click("[data-testid=failure-run]").await;
    app.wait_for_text("[data-testid=run-status]", "failed")
        .await;
    app.click("[data-testid=retry-failed-step]").await;
    app.wait_for_text("[data-testid=retry-status]", "Retried from the failed step")
        .await;
    app.wait_until("the SMTP server to hold the receipt", || async {
        !smtp.messages().is_empty()
    })
    .await;
    app.wait_for_text("[data-testid=run-status]", "completed")
        .await;
    app.screenshot("retry_run_page").await.unwrap();

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("X-RcptTo: ada@example.com"));
    assert!(messages[0].contains("Subject: Your Program A receipt"));
    let store = app.store();
    let run = store.runs(&Default::default()).unwrap().remove(0);
    assert_eq!((run.status, run.retries), (RunStatus::Completed, 1));
    let tagged: i64 = store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM events WHERE type = 'tag.added'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tagged, 1, "the tag before the failure was not added again");
    app.close().await;
}
