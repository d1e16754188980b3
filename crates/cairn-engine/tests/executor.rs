//! The executor in the background: wakes, clock jumps, shutdown, and crash
//! recovery of interrupted sends.

mod common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use cairn_engine::{Change, Engine, Executor, ExecutorConfig};
use cairn_model::Clock;
use cairn_store::Store;
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
