//! The whole sending path: the executor's dispatcher with the real sender
//! ([`Effects`]) against a real SMTP server on loopback (aiosmtpd), on a
//! virtual clock. What one entry or one account does stops no one else.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use cairn_engine::{Executor, ExecutorConfig};
use cairn_model::event::NewEvent;
use cairn_model::{Sensitive, VirtualClock};
use cairn_store::Store;
use cairn_store::accounts::AccountStatus;
use cairn_store::workflows::WorkflowStatus;

use crate::support::*;

const RECEIPTS: &str = r#"{"format":"cairn.workflow","version":1,"name":"Receipts","nodes":[
    {"id":"t","position":{"x":0,"y":0},"kind":"trigger.event","config":{"event_type":"purchase"}},
    {"id":"e","position":{"x":0,"y":100},"kind":"action.send_email","config":{"template":"receipt","account":"m"}}],
  "edges":[{"from":"t","to":"e"}],
  "email_templates":[{"name":"receipt","subject":"Your receipt","body":"Thank you for your order."}]}"#;

fn receipts(store: &mut Store) {
    store.import_workflow(RECEIPTS, false, t0()).unwrap();
    store
        .set_workflow_status("Receipts", WorkflowStatus::Active, t0())
        .unwrap();
}

fn purchase(store: &mut Store, email: &str) {
    store
        .emit(
            &NewEvent {
                event_type: "purchase".into(),
                contact_email: Some(email.into()),
                payload: serde_json::json!({}),
                occurred_at: t0(),
                source: "test".into(),
                external_id: None,
            },
            t0(),
        )
        .unwrap();
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Waits (real time, with a deadline) until `f` holds.
async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + StdDuration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}

fn executor(w: &World, clock: &VirtualClock) -> Executor {
    let mut cfg = ExecutorConfig::new(&w.db, Arc::new(clock.clone()), Some(Arc::new(w.effects())));
    cfg.idle_check = StdDuration::from_millis(50);
    cfg.upkeep = None;
    Executor::start(cfg).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_with_a_line_break_fails_only_its_own_email() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    w.add_smtp(
        "m",
        server.port,
        |s| {
            s.rate_per_second = 0;
            s.rate_per_day = 0;
        },
        None,
    );
    receipts(&mut w.store);
    for e in ["bad@client.test", "good@client.test"] {
        purchase(&mut w.store, e);
    }
    // A name that got in before the door refused such names.
    w.store
        .conn()
        .execute(
            "UPDATE contacts SET name = 'Bea\r\nBcc: evil@attacker.test' WHERE email = 'bad@client.test'",
            [],
        )
        .unwrap();
    let clock = VirtualClock::new(t0());
    let exec = executor(&w, &clock);
    until("both sends settled", || {
        count(
            &w.store,
            "SELECT COUNT(*) FROM outbox WHERE status IN ('sent', 'failed')",
        ) == 2
    })
    .await;
    exec.shutdown().await;
    let msgs = server.messages();
    assert_eq!(msgs.len(), 1, "the good one arrived");
    let text = String::from_utf8_lossy(&msgs[0]);
    assert!(
        text.contains("good@client.test") && !text.contains("evil@"),
        "{text}"
    );
    let error: String = w
        .store
        .conn()
        .query_row(
            "SELECT last_error FROM outbox WHERE status = 'failed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        error.contains("to_name") && error.contains("line break"),
        "{error}"
    );
    // Its step says why; the run failed alone.
    assert_eq!(
        count(
            &w.store,
            "SELECT COUNT(*) FROM runs WHERE status = 'failed'"
        ),
        1
    );
    let detail: String = w
        .store
        .conn()
        .query_row(
            "SELECT detail FROM steps WHERE node_id = 'e' AND status = 'failed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(detail.contains("line break"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_login_holds_300_receipts_and_fixing_it_sends_each_once() {
    let server = SmtpServer::start(SmtpOptions {
        tls: None,
        login: Some(("ada".into(), "right".into())),
        ..Default::default()
    });
    let mut w = World::new();
    w.add_smtp(
        "m",
        server.port,
        |s| {
            s.username = Some("ada".into());
            s.rate_per_second = 0;
            s.rate_per_day = 0;
        },
        Some("wrong"),
    );
    receipts(&mut w.store);
    let n = 300;
    for i in 0..n {
        purchase(&mut w.store, &format!("client{i}@client.test"));
    }
    let clock = VirtualClock::new(t0());
    let exec = executor(&w, &clock);
    until("every receipt queued and the account held", || {
        count(
            &w.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 0",
        ) == n
            && w.store.account("m").unwrap().status == AccountStatus::NeedsAttention
    })
    .await;
    // None failed; every run waits; the account says why, and is told once.
    assert_eq!(
        count(
            &w.store,
            "SELECT COUNT(*) FROM runs WHERE status = 'failed'"
        ),
        0
    );
    assert_eq!(
        count(
            &w.store,
            "SELECT COUNT(*) FROM runs WHERE status = 'waiting'"
        ),
        n
    );
    let a = w.store.account("m").unwrap();
    let why = a.status_message.unwrap();
    assert!(
        why.contains("refused the login") && why.contains("535"),
        "{why}"
    );
    assert!(!why.contains("wrong"), "no secret in the reason: {why}");
    let told = w.store.review_incidents(t0()).unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(server.messages().is_empty());

    // The user stores the right password (what `cairn account secret` does).
    w.vault
        .set("m", &Sensitive::new("right".to_string()))
        .unwrap();
    w.store
        .set_account_status("m", AccountStatus::Ok, None, t0())
        .unwrap();
    exec.wake();
    until("every receipt sent", || {
        count(
            &w.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent'",
        ) == n
    })
    .await;
    exec.shutdown().await;
    let msgs = server.messages();
    assert_eq!(msgs.len() as i64, n, "each went out once");
    let mut ids: Vec<String> = msgs
        .iter()
        .map(|m| header(&mailparse::parse_mail(m).unwrap(), "Message-ID"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, n, "no message twice");
    assert_eq!(
        count(
            &w.store,
            "SELECT COUNT(*) FROM runs WHERE status = 'completed'"
        ),
        n
    );
    assert_eq!(count(&w.store, "SELECT MAX(attempts) FROM outbox"), 1);
}
