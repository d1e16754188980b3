//! The executor in the background: wakes, clock jumps, shutdown, and crash
//! recovery of interrupted sends.

mod common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use cairn_engine::executor::Probe;
use cairn_engine::{Change, Engine, Executor, ExecutorConfig};
use cairn_model::Clock;
use cairn_store::Store;
use cairn_store::accounts::AccountStatus;
use cairn_store::runs::RunStatus;
use chrono::Duration;
use common::*;
use serde_json::json;

/// Waits (with a generous real-time limit) until a change matching `f` arrives.
async fn until(
    rx: &mut tokio::sync::broadcast::Receiver<Change>,
    f: impl Fn(&Change) -> bool,
) -> Change {
    tokio::time::timeout(StdDuration::from_secs(20), async {
        loop {
            let c = rx.recv().await.expect("executor alive");
            if f(&c) {
                return c;
            }
        }
    })
    .await
    .expect("the change never came")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eight_hour_clock_jump_fires_what_fell_due_once() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Sleepy",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("w", "wait.duration", json!({"duration": "2h"})), node("a", "action.add_tag", json!({"tag": "woke"}))],
        "edges": chain(&["t", "w", "a"]),
    }));
    b.contact("z@x.com");
    let path = b.dir.path().join("cairn.db");
    let clock = b.clock.clone();
    let sender = ScriptedSender::default();
    let exec = Executor::start(ExecutorConfig::new(
        &path,
        Arc::new(clock.clone()),
        Some(Arc::new(sender.clone())),
    ))
    .unwrap();
    let mut rx = exec.subscribe();
    // An event written by "another process" (another connection) is noticed.
    b.emit("go", "z@x.com", json!({}));
    until(
        &mut rx,
        |c| matches!(c, Change::Step { node_id, .. } if node_id == "w"),
    )
    .await;
    // The laptop sleeps for eight hours.
    clock.advance(Duration::hours(8));
    exec.wake();
    let woke = until(&mut rx, |c| matches!(c, Change::Woke { .. })).await;
    assert!(
        matches!(woke, Change::Woke { gap_secs, late_waits: 1 } if gap_secs >= 8 * 3600 - 5),
        "{woke:?}"
    );
    exec.shutdown().await;
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(
        b.count("SELECT COUNT(*) FROM events WHERE type = 'tag.added'"),
        1,
        "fired once"
    );
    let w = b
        .steps(run.id)
        .into_iter()
        .find(|s| s.node_id == "w")
        .unwrap();
    assert_eq!(w.detail["late"], "fired 6 h late");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dispatcher_sends_and_moves_runs_on() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Mail",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("e", "action.send_email", json!({"template": "hi", "account": "Gmail"})), node("a", "action.add_tag", json!({"tag": "mailed"}))],
        "edges": chain(&["t", "e", "a"]),
        "email_templates": [{"name": "hi", "subject": "Hi {{ contact.email }}", "body": "Hello"}],
    }));
    b.contact("m@x.com");
    let path = b.dir.path().join("cairn.db");
    let sender = ScriptedSender::default();
    let exec = Executor::start(ExecutorConfig::new(
        &path,
        Arc::new(b.clock.clone()),
        Some(Arc::new(sender.clone())),
    ))
    .unwrap();
    let mut rx = exec.subscribe();
    b.emit("go", "m@x.com", json!({}));
    until(&mut rx, |c| matches!(c, Change::RunEnded { .. })).await;
    exec.shutdown().await;
    assert_eq!(b.only_run(&wf).status, RunStatus::Completed);
    assert_eq!(sender.seen().len(), 1);
}

#[test]
fn a_crash_between_send_and_record_resends_with_the_same_key_and_says_so() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Crashy",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("h", "action.webhook", json!({"url": "https://example.com/h"}))],
        "edges": chain(&["t", "h"]),
    }));
    b.contact("c@x.com");
    b.emit("go", "c@x.com", json!({}));
    b.tick();
    // The intent is committed, the request goes out... and the process dies
    // before the result is recorded.
    let now = b.now();
    let first = b.engine.take_due(now, 10).unwrap();
    assert_eq!(first.len(), 1);
    let path = b.dir.path().join("cairn.db");
    let mut restarted = Engine::new(Store::open(&path).unwrap());
    assert_eq!(restarted.recover_interrupted(b.clock.now()).unwrap(), 1);
    let again = restarted.take_due(b.clock.now(), 10).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].idempotency_key, first[0].idempotency_key);
    assert!(again[0].possibly_duplicated);
    assert_eq!(again[0].attempt, 2);
    restarted
        .record_outcome(
            again[0].id,
            &cairn_engine::SendOutcome::Sent { detail: None },
            b.clock.now(),
        )
        .unwrap();
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Completed);
    let h = b
        .steps(run.id)
        .into_iter()
        .find(|s| s.node_id == "h")
        .unwrap();
    assert_eq!(h.detail["possibly_duplicated"], true);
    assert!(
        h.detail["note"]
            .as_str()
            .unwrap()
            .contains("possibly duplicated")
    );
}

/// A sender that panics on one recipient and sends the rest.
#[derive(Clone, Default)]
struct PanicsOn {
    to: String,
    sent: Arc<std::sync::Mutex<Vec<String>>>,
}

impl cairn_engine::Sender for PanicsOn {
    fn send<'a>(
        &'a self,
        entry: &'a cairn_engine::OutboxEntry,
        _now: cairn_model::Timestamp,
    ) -> cairn_engine::sender::SendFuture<'a> {
        Box::pin(async move {
            let cairn_model::effect::Effect::Email(m) = &entry.effect else {
                return cairn_engine::SendOutcome::Sent { detail: None };
            };
            if m.to == self.to {
                panic!("header value holds a line break");
            }
            self.sent.lock().unwrap().push(m.to.clone());
            cairn_engine::SendOutcome::Sent { detail: None }
        })
    }
}

fn mail_workflow(b: &mut Bench) -> String {
    b.workflow(json!({
        "name": "Receipts",
        "nodes": [node("t", "trigger.event", json!({"event_type": "purchase"})), node("e", "action.send_email", json!({"template": "hi", "account": "Gmail"})), node("a", "action.add_tag", json!({"tag": "mailed"}))],
        "edges": chain(&["t", "e", "a"]),
        "email_templates": [{"name": "hi", "subject": "Thanks", "body": "Hello"}],
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_that_panics_fails_its_entry_alone_and_the_next_is_sent() {
    let mut b = Bench::new();
    let wf = mail_workflow(&mut b);
    for c in ["bad@x.com", "good@x.com"] {
        b.contact(c);
    }
    let path = b.dir.path().join("cairn.db");
    let sender = PanicsOn {
        to: "bad@x.com".into(),
        ..Default::default()
    };
    let exec = Executor::start(ExecutorConfig::new(
        &path,
        Arc::new(b.clock.clone()),
        Some(Arc::new(sender.clone())),
    ))
    .unwrap();
    let mut rx = exec.subscribe();
    // Each event is written by "another process" and the executor woken at
    // once, so nothing waits for an idle look.
    b.emit("purchase", "bad@x.com", json!({}));
    exec.wake();
    let fault = until(&mut rx, |c| matches!(c, Change::Fault { .. })).await;
    assert!(
        matches!(&fault, Change::Fault { task, message } if task == "dispatcher" && message.contains("line break")),
        "{fault:?}"
    );
    b.emit("purchase", "good@x.com", json!({}));
    exec.wake();
    until(
        &mut rx,
        |c| matches!(c, Change::RunEnded { status, .. } if *status == RunStatus::Completed),
    )
    .await;
    exec.shutdown().await;
    assert_eq!(*sender.sent.lock().unwrap(), vec!["good@x.com".to_string()]);
    let runs = b.runs(&wf);
    assert_eq!(runs.len(), 2);
    let bad = runs.iter().find(|r| r.status == RunStatus::Failed).unwrap();
    let step = b
        .steps(bad.id)
        .into_iter()
        .find(|s| s.node_id == "e")
        .unwrap();
    let error = step.detail["error"].as_str().unwrap();
    assert!(error.contains("sender crashed"), "{error}");
    assert_eq!(
        b.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'"),
        1,
        "failed, not retried"
    );
    let incidents = b.store().open_incidents().unwrap();
    assert!(
        incidents
            .iter()
            .any(|i| i.kind == cairn_store::incidents::IncidentKind::Executor
                && i.message.contains("line break")),
        "{incidents:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_of_the_account_holds_its_queue_until_the_account_is_fixed() {
    let mut b = Bench::new();
    let wf = mail_workflow(&mut b);
    for i in 0..30 {
        b.contact(&format!("c{i}@x.com"));
    }
    let path = b.dir.path().join("cairn.db");
    // The server refuses the login: every answer is the account's fault.
    let sender = ScriptedSender::new(
        (0..4)
            .map(|_| cairn_engine::SendOutcome::AccountFault {
                account: "Gmail".into(),
                error: "the SMTP server refused the login: 535 5.7.8".into(),
            })
            .collect(),
    );
    let exec = Executor::start(ExecutorConfig::new(
        &path,
        Arc::new(b.clock.clone()),
        Some(Arc::new(sender.clone())),
    ))
    .unwrap();
    let mut rx = exec.subscribe();
    for i in 0..30 {
        b.emit("purchase", &format!("c{i}@x.com"), json!({}));
    }
    // Every run reaches the email and waits; the account is marked.
    let deadline = std::time::Instant::now() + StdDuration::from_secs(20);
    loop {
        let waiting =
            b.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 0");
        let held = b.store().account("Gmail").unwrap().status
            == cairn_store::accounts::AccountStatus::NeedsAttention;
        if waiting == 30 && held {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never held: {waiting}"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    let tried = sender.seen().len();
    assert!(tried <= 4, "only the first lane-full was tried: {tried}");
    assert_eq!(
        b.count("SELECT COUNT(*) FROM runs WHERE status = 'failed'"),
        0
    );
    let a = b.store().account("Gmail").unwrap();
    assert!(a.status_message.unwrap().contains("refused the login"));
    let run = b.runs(&wf)[0].clone();
    let e = b
        .steps(run.id)
        .into_iter()
        .find(|s| s.node_id == "e")
        .unwrap();
    assert_eq!(e.detail["held_by_account"], "Gmail", "{}", e.detail);
    // The incident review sees the account (told once).
    let now = b.now();
    let told = b.store().review_incidents(now).unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    // Fixed (what `account secret` / `account test` do): everything goes out once.
    b.store()
        .set_account_status("Gmail", cairn_store::accounts::AccountStatus::Ok, None, now)
        .unwrap();
    exec.wake();
    let mut ended = 0;
    while ended < 30 {
        if let Change::RunEnded { status, .. } =
            until(&mut rx, |c| matches!(c, Change::RunEnded { .. })).await
        {
            assert_eq!(status, RunStatus::Completed);
            ended += 1;
        }
    }
    exec.shutdown().await;
    let sent: Vec<i64> = sender.seen()[tried..].iter().map(|e| e.id).collect();
    let mut unique = sent.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((sent.len(), unique.len()), (30, 30), "each once");
    assert_eq!(
        b.count("SELECT MAX(attempts) FROM outbox"),
        1,
        "the held attempts were given back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_whose_result_was_lost_is_taken_back_after_its_lease() {
    let mut b = Bench::new();
    let wf = mail_workflow(&mut b);
    b.contact("l@x.com");
    let path = b.dir.path().join("cairn.db");
    let sender = ScriptedSender::default();
    let mut cfg = ExecutorConfig::new(
        &path,
        Arc::new(b.clock.clone()),
        Some(Arc::new(sender.clone())),
    );
    cfg.idle_check = StdDuration::from_millis(20);
    let exec = Executor::start(cfg).unwrap();
    // Hold the account so the entry waits where the test can reach it.
    let now = b.now();
    b.store()
        .set_account_status("Gmail", AccountStatus::NeedsAttention, None, now)
        .unwrap();
    b.emit("purchase", "l@x.com", json!({}));
    let deadline = std::time::Instant::now() + StdDuration::from_secs(20);
    while b.count("SELECT COUNT(*) FROM outbox") == 0 {
        assert!(std::time::Instant::now() < deadline, "never queued");
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    // An attempt that was committed "sending" and whose result never came
    // back, while the process lives on.
    let lease = cairn_store::ms(now + cairn_engine::engine::SEND_LEASE);
    b.store()
        .conn()
        .execute(
            "UPDATE outbox SET status = 'sending', attempts = 1, lease_until = ?1",
            [lease],
        )
        .unwrap();
    b.store()
        .set_account_status("Gmail", AccountStatus::Ok, None, now)
        .unwrap();
    let mut rx = exec.subscribe();
    // (Not before the lease expires: see the next test.)
    b.clock.advance(Duration::minutes(11));
    exec.wake();
    until(&mut rx, |c| matches!(c, Change::RunEnded { .. })).await;
    exec.shutdown().await;
    let seen = sender.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].possibly_duplicated);
    assert_eq!(seen[0].attempt, 2);
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Completed);
    let e = b
        .steps(run.id)
        .into_iter()
        .find(|s| s.node_id == "e")
        .unwrap();
    assert_eq!(e.detail["possibly_duplicated"], true, "{}", e.detail);
}

#[test]
fn a_lease_is_kept_while_it_runs_and_while_the_send_is_in_hand() {
    let mut b = Bench::new();
    mail_workflow(&mut b);
    b.contact("k@x.com");
    b.emit("purchase", "k@x.com", json!({}));
    b.tick();
    let now = b.now();
    let e = b.engine.take_due(now, 10).unwrap().remove(0);
    let lease = cairn_engine::engine::SEND_LEASE;
    let before = now + lease - Duration::seconds(1);
    assert_eq!(b.engine.recover_expired(before, &[]).unwrap(), 0);
    let after = now + lease;
    assert_eq!(
        b.engine.recover_expired(after, &[e.id]).unwrap(),
        0,
        "a send still in the dispatcher's hands is not taken back"
    );
    assert_eq!(b.engine.recover_expired(after, &[]).unwrap(), 1);
    let again = b.engine.take_due(after, 10).unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].possibly_duplicated);
}

#[test]
fn a_retry_after_beyond_any_date_is_capped_not_a_panic() {
    let mut b = Bench::new();
    mail_workflow(&mut b);
    b.contact("r@x.com");
    b.emit("purchase", "r@x.com", json!({}));
    b.tick();
    let now = b.now();
    let e = b.engine.take_due(now, 10).unwrap().remove(0);
    b.engine
        .record_outcome(
            e.id,
            &cairn_engine::SendOutcome::Retry {
                error: "429".into(),
                retry_after: Some(Duration::MAX),
            },
            now,
        )
        .unwrap();
    let row = b.store().outbox_entry(e.id).unwrap();
    assert_eq!(row.status, cairn_store::outbox::OutboxStatus::Pending);
    assert!(row.next_attempt_at > now + Duration::days(365));
}

/// A probe that panics in the engine when the events it is about to
/// handle include one carrying `{"boom": true}`: handling that event
/// crashes the engine.
fn engine_bomb() -> Arc<dyn Fn(Probe<'_>) + Send + Sync> {
    Arc::new(|p| {
        if let Probe::Engine { engine, events } = p {
            let boom: bool = engine
                .store()
                .conn()
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM (SELECT payload FROM events WHERE processed_at IS NULL ORDER BY id LIMIT ?1)
                      WHERE json_extract(payload, '$.boom'))",
                    [events as i64],
                    |r| r.get(0),
                )
                .unwrap();
            if boom {
                panic!("the engine tripped over this event");
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_crashes_the_engine_is_set_aside_and_the_next_is_handled() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Tagger",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("a", "action.add_tag", json!({"tag": "seen"}))],
        "edges": chain(&["t", "a"]),
    }));
    for c in ["bad@x.com", "good@x.com"] {
        b.contact(c);
    }
    b.emit("go", "bad@x.com", json!({"boom": true}));
    b.emit("go", "good@x.com", json!({}));
    let path = b.dir.path().join("cairn.db");
    let mut cfg = ExecutorConfig::new(&path, Arc::new(b.clock.clone()), None);
    cfg.restart_pause = StdDuration::from_millis(10);
    cfg.probe = Some(engine_bomb());
    let exec = Executor::start(cfg).unwrap();
    let mut rx = exec.subscribe();
    exec.wake();
    let set_aside = until(
        &mut rx,
        |c| matches!(c, Change::Fault { message, .. } if message.contains("set aside")),
    )
    .await;
    assert!(
        matches!(&set_aside, Change::Fault { task, message } if task == "engine" && message.contains("tripped over this event") && message.contains("(go) made it crash")),
        "{set_aside:?}"
    );
    until(&mut rx, |c| matches!(c, Change::RunEnded { .. })).await;
    exec.shutdown().await;
    let runs = b.runs(&wf);
    assert_eq!(runs.len(), 1, "the bad event started nothing: {runs:?}");
    assert_eq!(runs[0].status, RunStatus::Completed);
    assert_eq!(
        b.count("SELECT COUNT(*) FROM events WHERE type = 'go' AND processed_at IS NULL"),
        0,
        "the bad event is set aside, not retried"
    );
    let incidents = b.store().open_incidents().unwrap();
    assert!(
        incidents
            .iter()
            .any(|i| i.subject == "engine" && i.message.contains("set aside")),
        "{incidents:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upkeep_loop_is_restarted_after_a_panic_and_runs_again() {
    let b = Bench::new();
    let path = b.dir.path().join("cairn.db");
    let mut cfg = ExecutorConfig::new(&path, Arc::new(b.clock.clone()), None);
    cfg.restart_pause = StdDuration::from_millis(10);
    cfg.upkeep = Some(cairn_engine::executor::UpkeepConfig {
        policy: Default::default(),
        every: StdDuration::from_millis(10),
        first_after: StdDuration::ZERO,
    });
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (started, mut upkeeps) = tokio::sync::mpsc::unbounded_channel();
    cfg.probe = Some(Arc::new(move |p| {
        if let Probe::Upkeep(_) = p {
            let n = runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let _ = started.send(n);
            if n == 1 {
                panic!("the upkeep tripped");
            }
        }
    }));
    let exec = Executor::start(cfg).unwrap();
    let mut rx = exec.subscribe();
    let fault = until(&mut rx, |c| matches!(c, Change::Fault { .. })).await;
    assert!(
        matches!(&fault, Change::Fault { task, message } if task == "upkeep" && message.contains("the upkeep tripped")),
        "{fault:?}"
    );
    // Restarted: it runs again (the second run finished when the third
    // one starts).
    tokio::time::timeout(StdDuration::from_secs(60), async {
        while upkeeps.recv().await.expect("the executor holds the probe") < 3 {}
    })
    .await
    .expect("the upkeep never ran again");
    exec.shutdown().await;
    let store = Store::open(&path).unwrap();
    let incidents = store.open_incidents().unwrap();
    assert!(
        incidents.iter().any(|i| i.subject == "upkeep"),
        "{incidents:?}"
    );
}
