//! Re-running a failed run against a real SMTP server on loopback
//! (aiosmtpd): exactly once after a mid-run failure — the receiver sees one
//! message per step, a tag added before the failure is not added again —
//! and the workflow's error path, live and after a retry.

use std::sync::Arc;

use cairn_engine::{Engine, RetryFrom};
use cairn_model::effect::DesktopNotice;
use cairn_store::runs::RunStatus;
use mailparse::MailHeaderMap;
use serde_json::{Value, json};

use crate::support::*;

/// A purchase tags the buyer, emails a receipt (one attempt) and tags
/// again; a failed run notifies the owner of "Mail" and the desktop.
fn receipt() -> Value {
    let node = |id: &str, kind: &str, config: Value| json!({"id": id, "position": {"x": 0, "y": 0}, "kind": kind, "config": config});
    json!({
        "format": "cairn.workflow", "version": 1, "name": "Receipt",
        "settings": {"reentry": "always", "on_run_failure": {"notify": ["desktop", {"email_owner": {"account": "Mail"}}]}},
        "nodes": [
            node("t", "trigger.purchase_completed", json!({})),
            node("buyer", "action.add_tag", json!({"tag": "buyer"})),
            node("send", "action.send_email", json!({"template": "receipt", "account": "Mail", "on_error": {"max_attempts": 1}})),
            node("done", "action.add_tag", json!({"tag": "receipt-sent"})),
        ],
        "edges": [{"from": "t", "to": "buyer"}, {"from": "buyer", "to": "send"}, {"from": "send", "to": "done"}],
        "email_templates": [{"name": "receipt", "subject": "Your receipt", "body": "Thanks for buying {{ trigger.product }}.", "kind": "transactional"}],
    })
}

fn unlimited(s: &mut cairn_effects::settings::SmtpSettings) {
    s.rate_per_second = 0;
    s.rate_per_day = 0;
}

/// The messages the server received: (recipient, Message-ID, subject, text).
fn inbox(server: &SmtpServer) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = server
        .messages()
        .iter()
        .map(|m| {
            let mail = mailparse::parse_mail(m).unwrap();
            let h = |n: &str| mail.headers.get_first_value(n).unwrap_or_default();
            let text = if mail.subparts.is_empty() {
                mail.get_body().unwrap()
            } else {
                mail.subparts[0].get_body().unwrap()
            };
            (h("X-RcptTo"), h("Message-ID"), h("Subject"), text)
        })
        .collect();
    v.sort();
    v
}

fn tag_events(run: &mut Run, tag: &str) -> i64 {
    run.store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM events WHERE type = 'tag.added' AND json_extract(payload, '$.tag') = ?1",
            [tag],
            |r| r.get(0),
        )
        .unwrap()
}

fn with_notices(w: &World) -> (Run, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let run = Run {
        engine: Engine::new(cairn_store::Store::open(&w.db).unwrap()),
        effects: w.effects_with(recorder.clone()),
    };
    (run, recorder)
}

fn notices(r: &Recorder) -> Vec<DesktopNotice> {
    r.0.lock().unwrap().clone()
}

#[tokio::test]
async fn a_send_refused_for_now_is_sent_again_with_the_same_message_id_and_arrives_once() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    w.add_smtp("Mail", server.port, unlimited, None);
    import_active(&mut w, receipt());
    // "flaky…" recipients get 451 the first time a Message-ID is seen: with
    // one attempt, the run fails there.
    emit(
        &mut w.store,
        "purchase.completed",
        "flaky@client.test",
        json!({"product": "Program A"}),
    );
    let (mut run, desktop) = with_notices(&w);
    run.settle().await;
    let r = run.store().runs(&Default::default()).unwrap().remove(0);
    assert_eq!(r.status, RunStatus::Failed, "{r:?}");
    assert!(r.exit_reason.as_deref().unwrap().contains("451"), "{r:?}");
    // The error path: the owner's email and the desktop notice.
    let mail = inbox(&server);
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0].0, "ada@coach.test");
    assert_eq!(mail[0].2, "[Cairn] A run of Receipt failed");
    assert!(
        mail[0]
            .3
            .starts_with("A run of Receipt failed for flaky@client.test at send: send: SMTP: transient error (451)"),
        "{mail:?}"
    );
    let n = notices(&desktop);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].title, "A run of Receipt failed");

    let retried = run
        .engine
        .retry_run(r.id, RetryFrom::FailedStep, t0())
        .unwrap();
    assert!(retried.retried, "{retried:?}");
    run.settle().await;
    let r = run.store().run(r.id).unwrap();
    assert_eq!(r.status, RunStatus::Completed, "{r:?}");
    // The server accepted the retry only because it carried the Message-ID
    // it had refused: the same idempotency key. One receipt arrived.
    let mail = inbox(&server);
    let receipts: Vec<_> = mail.iter().filter(|m| m.0 == "flaky@client.test").collect();
    assert_eq!(receipts.len(), 1, "{mail:?}");
    let outbox = run.store().outbox(true, 10).unwrap();
    let row = outbox
        .iter()
        .find(|o| o.run_id == Some(r.id) && o.step_id.is_some())
        .unwrap();
    assert_eq!(
        receipts[0].1,
        format!("<{}@coach.test>", row.idempotency_key)
    );
    assert_eq!(row.attempts, 2);
    assert_eq!(tag_events(&mut run, "buyer"), 1);
    assert_eq!(tag_events(&mut run, "receipt-sent"), 1);
    assert_eq!(notices(&desktop).len(), 1, "no failure, no notice");
}

#[tokio::test]
async fn a_run_that_failed_for_a_missing_account_sends_once_the_account_is_back() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    w.add_smtp("Mail", server.port, unlimited, None);
    import_active(&mut w, receipt());
    w.store.remove_account("Mail").unwrap();
    emit(
        &mut w.store,
        "purchase.completed",
        "bea@client.test",
        json!({"product": "Program A"}),
    );
    let (mut run, desktop) = with_notices(&w);
    run.settle().await;
    let r = run.store().runs(&Default::default()).unwrap().remove(0);
    assert_eq!(r.status, RunStatus::Failed);
    assert!(
        server.messages().is_empty(),
        "no account, no email, no owner notice"
    );
    assert_eq!(notices(&desktop).len(), 1);

    // Retried before the fix: it fails again, and says so again.
    run.engine
        .retry_run(r.id, RetryFrom::FailedStep, t0())
        .unwrap();
    run.settle().await;
    assert_eq!(run.store().run(r.id).unwrap().status, RunStatus::Failed);
    assert_eq!(notices(&desktop).len(), 2);

    w.add_smtp("Mail", server.port, unlimited, None);
    run.engine
        .retry_run(r.id, RetryFrom::FailedStep, t0())
        .unwrap();
    run.settle().await;
    let r = run.store().run(r.id).unwrap();
    assert_eq!(r.status, RunStatus::Completed, "{r:?}");
    assert_eq!(r.retries, 2);
    let mail = inbox(&server);
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0].0, "bea@client.test");
    assert_eq!(mail[0].2, "Your receipt");
    assert_eq!(tag_events(&mut run, "buyer"), 1);
    assert_eq!(notices(&desktop).len(), 2);
}
