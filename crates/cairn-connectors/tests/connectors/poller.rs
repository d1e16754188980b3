//! The poller running beside a real executor, in-process, over one temp
//! database, on a virtual clock that the test moves (and then wakes both).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use cairn_connectors::accounts::replace_secret;
use cairn_connectors::{Poller, PollerConfig, SyncOutcome, SyncReport};
use cairn_engine::{Change, Executor, ExecutorConfig};
use cairn_model::{ErrorCode, Sensitive};
use cairn_store::Store;
use cairn_store::accounts::AccountStatus;
use cairn_store::workflows::WorkflowStatus;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const KEY: &str = "sk_test_good_key_0001";

/// Waits (bounded in real time, never a fixed sleep) for a message matching `f`.
async fn until<T: Clone>(
    rx: &mut tokio::sync::broadcast::Receiver<T>,
    f: impl Fn(&T) -> bool,
) -> T {
    tokio::time::timeout(StdDuration::from_secs(20), async {
        loop {
            match rx.recv().await {
                Ok(m) if f(&m) => return m,
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("channel closed: {e}"),
            }
        }
    })
    .await
    .expect("it never came")
}

fn config(b: &Bench, waker: Option<cairn_engine::executor::Waker>) -> PollerConfig {
    let mut cfg = PollerConfig::new(&b.path, b.vault.clone(), Arc::new(b.clock.clone()), waker);
    cfg.timer = Arc::new(b.timer.clone());
    cfg.idle_check = StdDuration::from_millis(200);
    cfg
}

fn empty_list() -> serde_json::Value {
    json!({"object": "list", "url": "/v1/events", "has_more": false, "data": []})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_purchase_starts_the_program_a_workflow_in_a_running_executor() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(empty_list()))
        .mount(&server)
        .await;
    let mut b = Bench::new();
    let now = b.now();
    let wf = json!({
        "format": "cairn.workflow",
        "version": 1,
        "name": "Program A onboarding",
        "nodes": [
            {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.purchase_completed",
             "config": {"filters": [{"path": "product", "op": "eq", "value": "Program A"}]}},
            {"id": "a", "position": {"x": 0, "y": 100}, "kind": "action.add_tag", "config": {"tag": "program-a"}}
        ],
        "edges": [{"from": "t", "exit": "next", "to": "a"}]
    });
    let out = b
        .store
        .import_workflow(&wf.to_string(), false, now)
        .unwrap();
    b.store
        .set_workflow_status(&out.name, WorkflowStatus::Active, now)
        .unwrap();
    b.add(
        "Shop",
        json!({"kind": "stripe", "base_url": server.uri()}),
        Some(KEY),
    );

    let exec = Executor::start(ExecutorConfig::new(
        &b.path,
        Arc::new(b.clock.clone()),
        None,
    ))
    .unwrap();
    let mut changes = exec.subscribe();
    let poller = Poller::start(config(&b, Some(exec.waker()))).unwrap();
    let mut reports = poller.subscribe();
    // The first poll: nothing bought yet.
    let first = until(&mut reports, |r: &SyncReport| r.account == "Shop").await;
    assert_eq!((first.outcome, first.new), (SyncOutcome::Synced, 0));

    // Two purchases appear at Stripe: Program A (Ada) and Program B (Bo).
    let mut page = fixture("stripe_events_page2.json", &[]);
    let a = page["data"][0].clone();
    let mut bo = a.clone();
    bo["id"] = json!("evt_ProgramB");
    bo["data"]["object"]["id"] = json!("cs_test_b");
    bo["data"]["object"]["metadata"] = json!({"product": "Program B"});
    bo["data"]["object"]["customer_details"]["email"] = json!("bo@example.com");
    bo["data"]["object"]["payment_intent"] = json!("pi_b");
    page["data"] = json!([bo, a]);
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .mount(&server)
        .await;
    b.clock.advance(chrono::Duration::seconds(60));
    poller.wake();
    let arrived = until(&mut reports, |r: &SyncReport| r.new > 0).await;
    assert_eq!(arrived.new, 2);
    // The poller woke the executor: the run starts without waiting for its
    // idle check.
    until(&mut changes, |c| matches!(c, Change::RunEnded { .. })).await;
    poller.shutdown().await;
    exec.shutdown().await;

    let store = Store::open(&b.path).unwrap();
    let ada = store.contact_by_email("ada@example.com").unwrap().unwrap();
    assert!(
        ada.tags.contains(&"program-a".to_string()),
        "{:?}",
        ada.tags
    );
    let bo = store.contact_by_email("bo@example.com").unwrap().unwrap();
    assert!(
        bo.tags.is_empty(),
        "Program B matches no trigger: {:?}",
        bo.tags
    );
    assert_eq!(
        b.count("SELECT COUNT(*) FROM runs"),
        1,
        "one run: Ada's purchase of Program A"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_stops_polling_an_account_that_needs_attention_until_it_is_fixed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer sk_test_revoked_0001",
        ))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(fixture("stripe_error_401.json", &[])),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(empty_list()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let mut b = Bench::new();
    b.add(
        "Shop",
        json!({"kind": "stripe", "base_url": server.uri()}),
        Some("sk_test_revoked_0001"),
    );
    // Polled after "Shop" in every turn (accounts are visited by name).
    b.add(
        "Zed feed",
        json!({"kind": "json_feed", "url": format!("{}/feed", server.uri()), "id": "/id", "time": "/t", "event_type": "x.y"}),
        None,
    );
    let poller = Poller::start(config(&b, None)).unwrap();
    let mut reports = poller.subscribe();
    let r = until(&mut reports, |r: &SyncReport| r.account == "Shop").await;
    assert!(
        matches!(
            r.outcome,
            SyncOutcome::NeedsAttention {
                code: ErrorCode::Unauthorized,
                ..
            }
        ),
        "{r:?}"
    );
    until(&mut reports, |r: &SyncReport| r.account == "Zed feed").await;

    // Days pass; the feed is polled again and again, the Stripe account not.
    for _ in 0..3 {
        b.clock.advance(chrono::Duration::days(11));
        poller.wake();
        until(&mut reports, |r: &SyncReport| r.account == "Zed feed").await;
    }
    let stripe_calls = requests_to(&server, "/v1/events").await.len();
    assert_eq!(stripe_calls, 1, "no poll while it needs attention");
    // 33 days unpolled, longer than Stripe keeps events: said on the account.
    let a = Store::open(&b.path).unwrap().account("Shop").unwrap();
    assert_eq!(a.status, AccountStatus::NeedsAttention);
    let m = a.status_message.unwrap();
    assert!(m.contains("refused the credentials"), "{m}");
    assert!(m.contains("Stripe keeps events for 30 days"), "{m}");

    // The user replaces the key (another process: the CLI); the poller
    // notices at its next turn.
    let mut cli = Store::open(&b.path).unwrap();
    let now = b.now();
    replace_secret(&mut cli, &b.vault, "Shop", &Sensitive::new(KEY.into()), now).unwrap();
    poller.wake();
    let r = until(&mut reports, |r: &SyncReport| r.account == "Shop").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    poller.shutdown().await;
    assert_eq!(requests_to(&server, "/v1/events").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_whose_sync_crashes_the_poller_is_set_aside_and_the_others_go_on() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let mut b = Bench::new();
    let feed = |name: &str| json!({"kind": "json_feed", "url": format!("{}/feed?{name}", server.uri()), "id": "/id", "time": "/t", "event_type": "x.y"});
    // Visited by name: the crashing account first.
    b.add("A crash", feed("a"), None);
    b.add("B fine", feed("b"), None);
    let exec = Executor::start(ExecutorConfig::new(
        &b.path,
        Arc::new(b.clock.clone()),
        None,
    ))
    .unwrap();
    let mut changes = exec.subscribe();
    let mut cfg = config(&b, Some(exec.waker()));
    cfg.restart_pause = StdDuration::from_millis(10);
    cfg.probe = Some(Arc::new(|a: &cairn_store::accounts::Account| {
        if a.name == "A crash" {
            panic!("a connector bug");
        }
    }));
    let poller = Poller::start(cfg).unwrap();
    let mut reports = poller.subscribe();
    let mut all = poller.subscribe();
    let fault = until(&mut changes, |c| matches!(c, Change::Fault { .. })).await;
    assert!(
        matches!(&fault, Change::Fault { task, message } if task == "poller" && message.contains("\"A crash\"") && message.contains("a connector bug")),
        "{fault:?}"
    );
    // The restarted poller syncs the other account, again and again, and
    // never the one set aside.
    until(&mut reports, |r: &SyncReport| r.account == "B fine").await;
    b.clock.advance(chrono::Duration::hours(1));
    poller.wake();
    until(&mut reports, |r: &SyncReport| {
        r.account == "B fine" && r.outcome == SyncOutcome::Synced
    })
    .await;
    poller.shutdown().await;
    let mut seen = vec![];
    while let Ok(r) = all.try_recv() {
        seen.push(r.account);
    }
    exec.shutdown().await;
    let store = Store::open(&b.path).unwrap();
    let crashed = store.account("A crash").unwrap();
    assert_eq!(crashed.status, AccountStatus::NeedsAttention);
    assert!(
        crashed
            .status_message
            .as_deref()
            .is_some_and(|m| m.contains("crashed while syncing")),
        "{crashed:?}"
    );
    assert_eq!(store.account("B fine").unwrap().status, AccountStatus::Ok);
    let incidents = store.open_incidents().unwrap();
    assert!(
        incidents
            .iter()
            .any(|i| i.subject == "poller" && i.message.contains("A crash")),
        "{incidents:?}"
    );
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen.iter().all(|a| a == "B fine"), "{seen:?}");
}
