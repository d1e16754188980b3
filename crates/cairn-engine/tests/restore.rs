//! What a restored database may send, and the keys its sends carry.
//!
//! A backup holds what was pending when it was taken. Restored, it must not
//! send any of it by surprise: every workflow is paused and the outbox held
//! until "Resume all", and then each pending send and each overdue wait
//! goes out exactly once. And since the restored database's run ids go on
//! from the backup's, its new sends carry a new key series, while a send
//! queued before the backup keeps its key (a receiver that saw it in the
//! lost timeline drops the repeat).

mod common;

use cairn_engine::Engine;
use cairn_model::effect::Effect;
use cairn_store::Store;
use cairn_store::hygiene;
use cairn_store::lock::ExecutorLock;
use cairn_store::runs::RunStatus;
use cairn_store::workflows::WorkflowStatus;
use chrono::Duration;
use common::*;
use serde_json::json;

fn workflows(b: &mut Bench) {
    b.workflow(json!({
        "name": "Mail",
        "nodes": [node("t", "trigger.event", json!({"event_type": "buy"})), node("e", "action.send_email", json!({"template": "hi", "account": "Gmail"}))],
        "edges": chain(&["t", "e"]),
        "email_templates": [{"name": "hi", "subject": "Thanks", "body": "Hello"}],
    }));
    b.workflow(json!({
        "name": "Later",
        "nodes": [node("t", "trigger.event", json!({"event_type": "join"})), node("w", "wait.duration", json!({"duration": "2h"})), node("h", "action.webhook", json!({"url": "https://example.com/h"}))],
        "edges": chain(&["t", "w", "h"]),
    }));
}

#[test]
fn a_restored_backup_sends_nothing_until_resume_all_then_everything_once() {
    let mut b = Bench::new();
    workflows(&mut b);
    b.contact("buyer@x.com");
    b.contact("joiner@x.com");
    b.emit("buy", "buyer@x.com", json!({}));
    b.emit("join", "joiner@x.com", json!({}));
    b.tick();
    // The backup: one email queued, one run waiting two hours.
    let backup = b.dir.path().join("monday.cairn");
    b.store().backup_to(&backup, false).unwrap();
    // The lost timeline: both go out, then the database is restored.
    b.advance(Duration::hours(3));
    let lost = ScriptedSender::default();
    assert_eq!(b.dispatch(&lost), 2);
    let lost_email = lost
        .seen()
        .into_iter()
        .find(|e| matches!(e.effect, Effect::Email(_)))
        .unwrap();

    let db = b.dir.path().join("cairn.db");
    b.engine = Engine::new(Store::open(b.dir.path().join("elsewhere.db")).unwrap());
    let lock = ExecutorLock::acquire(&db, "test").unwrap();
    let report = hygiene::restore(&lock, &db, &backup, b.now()).unwrap();
    drop(lock);
    assert_eq!(report.held.paused_workflows, vec!["Later", "Mail"]);
    assert_eq!(report.held.waiting_runs, 2);
    assert_eq!(report.held.waiting_sends, 1);

    // The executor starts on the restored file, hours after the wait fell due.
    b.engine = Engine::new(Store::open(&db).unwrap());
    b.advance(Duration::hours(1));
    let now = b.now();
    b.engine.recover_interrupted(now).unwrap();
    b.tick();
    assert!(b.engine.take_due(now, 100).unwrap().is_empty(), "held");
    assert_eq!(b.engine.next_due().unwrap(), None, "nothing to wake for");
    b.emit("buy", "buyer@x.com", json!({}));
    b.tick();
    let held = ScriptedSender::default();
    assert_eq!(b.dispatch(&held), 0);
    let later = b.only_run("Later");
    assert_eq!(later.status, RunStatus::Waiting);
    let trail = b.trail(later.id);
    assert!(!trail.iter().any(|s| s.starts_with("h:")), "{trail:?}");

    // "Resume all": everything goes out, once.
    let now = b.now();
    let resumed = b.store().resume_all(now).unwrap();
    assert!(resumed.released_outbox);
    assert_eq!(
        b.store().workflow("Mail").unwrap().status,
        WorkflowStatus::Active
    );
    b.tick();
    let sender = ScriptedSender::default();
    assert_eq!(b.dispatch(&sender), 2);
    b.advance(Duration::days(1));
    assert_eq!(b.dispatch(&sender), 0);
    let seen = sender.seen();
    let email = seen
        .iter()
        .find(|e| matches!(e.effect, Effect::Email(_)))
        .unwrap();
    let hook = seen
        .iter()
        .find(|e| matches!(e.effect, Effect::Webhook(_)))
        .unwrap();
    // Queued before the backup: the same key as in the lost timeline.
    assert_eq!(email.idempotency_key, lost_email.idempotency_key);
    // Made after the restore: a key the lost timeline never used.
    let id = b.store().identity().unwrap();
    assert_eq!(id.series, 1);
    assert!(
        hook.idempotency_key
            .starts_with(&format!("cairn-{}-1-", id.id))
    );
    assert!(
        !lost
            .seen()
            .iter()
            .any(|e| e.idempotency_key == hook.idempotency_key)
    );
    assert_eq!(b.only_run("Later").status, RunStatus::Completed);
}

#[test]
fn two_databases_give_the_same_run_and_step_different_keys() {
    let mut keys = vec![];
    for _ in 0..2 {
        let mut b = Bench::new();
        workflows(&mut b);
        b.contact("buyer@x.com");
        b.emit("buy", "buyer@x.com", json!({}));
        b.tick();
        let now = b.now();
        let due = b.engine.take_due(now, 10).unwrap();
        assert_eq!(due.len(), 1);
        let e = due.into_iter().next().unwrap();
        let Effect::Email(m) = &e.effect else {
            panic!("{:?}", e.effect)
        };
        // The Message-ID is the key at the sender's domain.
        assert_eq!(m.message_id, format!("<{}@example.com>", e.idempotency_key));
        keys.push((e.run_id, e.step_id, e.idempotency_key));
    }
    assert_eq!((keys[0].0, keys[0].1), (keys[1].0, keys[1].1), "same ids");
    assert_ne!(keys[0].2, keys[1].2);
}
