//! Running in the background for months: retention that keeps what waiting
//! runs need, backup and restore of everything, failure incidents told once,
//! one executor per database, the executor's own upkeep, and a short soak
//! that holds the size bounds the long benchmark measures.

mod common;
mod soak;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use cairn_engine::executor::UpkeepConfig;
use cairn_engine::{Executor, ExecutorConfig, SendOutcome};
use cairn_model::Clock;
use cairn_store::Store;
use cairn_store::hygiene::{self, UpkeepPolicy};
use cairn_store::lock::ExecutorLock;
use cairn_store::runs::RunStatus;
use chrono::Duration;
use common::*;
use rusqlite::types::Value as Sql;
use serde_json::json;

fn q(s: &Store, sql: &str) -> i64 {
    s.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Every row of every table, as stored.
fn dump(s: &Store) -> BTreeMap<String, Vec<Vec<Sql>>> {
    let tables: Vec<String> = s
        .conn()
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let st = s.conn().prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = st.column_count();
        let order: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
        drop(st);
        let mut st = s
            .conn()
            .prepare(&format!(
                "SELECT * FROM \"{t}\" ORDER BY {}",
                order.join(", ")
            ))
            .unwrap();
        let rows = st
            .query_map([], |r| (0..n).map(|i| r.get::<_, Sql>(i)).collect())
            .unwrap()
            .collect::<Result<Vec<Vec<Sql>>, _>>()
            .unwrap();
        out.insert(t, rows);
    }
    out
}

#[test]
fn retention_prunes_finished_runs_and_keeps_what_waiting_runs_need() {
    let mut b = Bench::new();
    let long = b.workflow(json!({
        "name": "Long",
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "go.long"})),
            node("w", "wait.duration", json!({"duration": "200d"})),
            node("c", "condition", json!({"condition": {"had_event": {"event_type": "purchase.completed", "filters": [{"path": "product", "op": "eq", "value": "Program A"}]}}})),
            node("yes", "action.add_tag", json!({"tag": "remembered"})),
            node("no", "action.add_tag", json!({"tag": "forgot"})),
        ],
        "edges": [
            {"from": "t", "exit": "next", "to": "w"}, {"from": "w", "exit": "next", "to": "c"},
            {"from": "c", "exit": "yes", "to": "yes"}, {"from": "c", "exit": "no", "to": "no"},
        ],
    }));
    let short = b.workflow(json!({
        "name": "Short",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go.short"})), node("a", "action.add_tag", json!({"tag": "done"}))],
        "edges": chain(&["t", "a"]),
    }));
    let big = "x".repeat(2_000);
    for who in ["waiting@x.com", "finished@x.com"] {
        b.emit(
            "purchase.completed",
            who,
            json!({"product": "Program A", "note": big}),
        );
    }
    b.emit(
        "go.long",
        "waiting@x.com",
        json!({"order": "o-1", "note": big}),
    );
    b.emit(
        "go.short",
        "finished@x.com",
        json!({"order": "o-2", "note": big}),
    );
    b.tick();
    let waiting = b.only_run(&long);
    let finished = b.only_run(&short);
    assert_eq!(waiting.status, RunStatus::Waiting);
    assert_eq!(finished.status, RunStatus::Completed);
    let stats_before = b
        .store()
        .workflow_stats(&short, None, t0() + Duration::days(1))
        .unwrap();
    let counts = |b: &mut Bench| {
        b.store()
            .conn()
            .prepare("SELECT workflow_id, node_id, status, COUNT(*) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    };
    let counts_before = counts(&mut b);
    let events_before = q(b.store(), "SELECT COUNT(*) FROM events");

    // 100 days on, retention of 90 days.
    b.advance(Duration::days(100));
    let now = b.now();
    let r = b.store().prune(now, 90).unwrap();
    assert_eq!(r.runs, 1, "{r:?}");
    assert!(r.events >= 2, "{r:?}");
    assert!(r.events_kept >= 2, "the waiting contact's events: {r:?}");

    // The finished run lost its bulk, not its rows.
    let f = b.store().run(finished.id).unwrap();
    assert_eq!(f.trigger_payload, json!({}));
    assert!(b.steps(finished.id).iter().all(|s| s.detail.is_null()));
    let pruned_payloads = q(
        b.store(),
        "SELECT COUNT(*) FROM events e JOIN contacts c ON c.id = e.contact_id
         WHERE c.email = 'finished@x.com' AND e.payload = '{}' AND e.pruned_at IS NOT NULL",
    );
    assert!(pruned_payloads >= 2);
    // The waiting run kept everything.
    let w = b.store().run(waiting.id).unwrap();
    assert_eq!(w.trigger_payload["order"], "o-1");
    assert!(b.steps(waiting.id).iter().any(|s| !s.detail.is_null()));
    assert_eq!(
        q(
            b.store(),
            "SELECT COUNT(*) FROM events e JOIN contacts c ON c.id = e.contact_id
             WHERE c.email = 'waiting@x.com' AND (e.pruned_at IS NOT NULL OR e.payload = '{}')"
        ),
        0
    );
    // Counts and the analytics of the old period did not change.
    assert_eq!(counts(&mut b), counts_before);
    assert_eq!(q(b.store(), "SELECT COUNT(*) FROM events"), events_before);
    let stats_after = b
        .store()
        .workflow_stats(&short, None, t0() + Duration::days(1))
        .unwrap();
    assert_eq!(stats_after, stats_before);
    // Pruning again finds nothing new.
    let again = b.store().prune(now, 90).unwrap();
    assert_eq!((again.runs, again.events), (0, 0));

    // The wait ends: the condition still sees the purchase's payload.
    b.advance(Duration::days(101));
    let done = b.store().run(waiting.id).unwrap();
    assert_eq!(done.status, RunStatus::Completed);
    assert!(
        b.trail(waiting.id).contains(&"yes:ok:next".to_string()),
        "{:?}",
        b.trail(waiting.id)
    );

    // Once that run is old and finished too, it goes the same way.
    b.advance(Duration::days(100));
    let now = b.now();
    let r = b.store().prune(now, 90).unwrap();
    assert_eq!(r.runs, 1);
    assert_eq!(r.events_kept, 0);
    assert_eq!(
        b.store().run(waiting.id).unwrap().trigger_payload,
        json!({})
    );
}

#[test]
fn a_run_whose_email_is_being_sent_is_left_for_later() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Mail",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("e", "action.send_email", json!({"template": "hi", "account": "Gmail"}))],
        "edges": chain(&["t", "e"]),
        "email_templates": [{"name": "hi", "subject": "Hi", "body": "Hello"}],
        "goals": [{"name": "left", "event_type": "leave"}],
    }));
    b.emit("go", "m@x.com", json!({}));
    b.tick();
    // The dispatcher has taken the email; the run leaves by its goal while
    // the email is on its way.
    let now = b.now();
    let taken = b.engine.take_due(now, 10).unwrap();
    assert_eq!(taken.len(), 1);
    b.emit("leave", "m@x.com", json!({}));
    b.tick();
    let run = b.only_run(&wf);
    assert_eq!(run.status, RunStatus::Exited);
    b.clock.advance(Duration::days(120));
    let now = b.now();
    let r = b.store().prune(now, 90).unwrap();
    assert_eq!((r.runs, r.runs_kept), (0, 1));
    assert_eq!(
        q(
            b.store(),
            "SELECT COUNT(*) FROM outbox WHERE payload <> '{}'"
        ),
        1,
        "the email in flight keeps its content"
    );
    // Its result is recorded; the next pass prunes the run.
    b.engine
        .record_outcome(taken[0].id, &SendOutcome::Sent { detail: None }, now)
        .unwrap();
    let r = b.store().prune(now, 90).unwrap();
    assert_eq!((r.runs, r.runs_kept, r.outbox), (1, 0, 1));
}

#[test]
fn backup_then_restore_gives_back_every_table() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Nurture",
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "signup"})),
            node("tag", "action.add_tag", json!({"tag": "lead"})),
            node("mail", "action.send_email", json!({"template": "hi", "account": "Gmail"})),
            node("w", "wait.for_event", json!({"event_type": "order.paid", "correlate": ["order_id"], "timeout": "3d"})),
            node("done", "action.add_tag", json!({"tag": "paid"})),
        ],
        "edges": [
            {"from": "t", "exit": "next", "to": "tag"}, {"from": "tag", "exit": "next", "to": "mail"},
            {"from": "mail", "exit": "next", "to": "w"}, {"from": "w", "exit": "arrived", "to": "done"},
        ],
        "email_templates": [{"name": "hi", "subject": "Hi {{ contact.email }}", "body": "Hello"}],
    }));
    for i in 0..30 {
        b.emit(
            "signup",
            &format!("c{i}@x.com"),
            json!({"order_id": format!("o{i}")}),
        );
    }
    b.tick();
    let sender = ScriptedSender::default();
    b.dispatch(&sender);
    for i in 0..10 {
        b.emit(
            "order.paid",
            &format!("c{i}@x.com"),
            json!({"order_id": format!("o{i}")}),
        );
    }
    b.advance(Duration::hours(1));
    b.store().pause_all(t0()).unwrap();
    b.store().resume_all(t0()).unwrap();
    assert!(b.runs(&wf).len() == 30);
    let db = b.dir.path().join("cairn.db");
    let backup = b.dir.path().join("backup.cairn");
    b.store().backup_to(&backup, false).unwrap();
    let at_backup = dump(b.store());
    assert!(at_backup["timers"].len() >= 20, "waits are in the backup");
    assert!(at_backup["event_waits"].len() >= 20);

    // Life goes on after the backup.
    for i in 30..40 {
        b.emit(
            "signup",
            &format!("c{i}@x.com"),
            json!({"order_id": format!("o{i}")}),
        );
    }
    b.advance(Duration::days(4));
    let now = b.now();
    b.store().pause_all(now).unwrap();
    let later = dump(b.store());
    assert_ne!(later, at_backup);

    let lock = ExecutorLock::acquire(&db, "test").unwrap();
    let now = b.now();
    let report = hygiene::restore(&lock, &db, &backup, now).unwrap();
    assert_eq!(report.restored.runs, 30);
    let restored = Store::open(&db).unwrap();
    let back = dump(&restored);
    assert_eq!(
        back.keys().collect::<Vec<_>>(),
        at_backup.keys().collect::<Vec<_>>()
    );
    // Every table as backed up, but for the hold the restore puts on it:
    // workflows paused, the outbox held (settings), a new key series.
    let held = ["workflows", "settings", "database_identity"];
    for (table, rows) in &at_backup {
        if !held.contains(&table.as_str()) {
            assert_eq!(&back[table], rows, "table {table} differs after restore");
        }
    }
    assert_eq!(back["workflows"].len(), at_backup["workflows"].len());
    assert!(
        restored
            .workflows()
            .unwrap()
            .iter()
            .all(|w| w.status == cairn_store::workflows::WorkflowStatus::Paused)
    );
    assert_eq!(restored.outbox_held_since().unwrap(), Some(now));
    assert_eq!(report.held.waiting_runs, 20);
    assert_eq!(restored.identity().unwrap().series, 1);
    // The state before the restore was kept, whole.
    let previous = Store::open(report.previous_copy.unwrap()).unwrap();
    assert_eq!(dump(&previous), later);
    drop(lock);
    // The engine goes on from the restored state once resumed, not before.
    let timed_out = |s: &Store| {
        q(
            s,
            "SELECT COUNT(*) FROM steps WHERE node_id = 'w' AND exit = 'timed_out'",
        )
    };
    let before = timed_out(&restored);
    let mut e = cairn_engine::Engine::new(restored);
    e.tick(now).unwrap();
    assert_eq!(timed_out(e.store()), before, "held: nothing fired");
    e.store_mut().resume_all(now).unwrap();
    e.tick(now).unwrap();
    assert_eq!(
        timed_out(e.store()) - before,
        20,
        "the restored waits timed out at the first tick after Resume all"
    );
}

#[test]
fn a_workflow_that_starts_failing_is_told_once_per_incident() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Hooks",
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "go"})),
            node("h", "action.webhook", json!({"url": "https://example.com/h", "on_error": {"max_attempts": 1}})),
            node("a", "action.add_tag", json!({"tag": "hooked"})),
        ],
        "edges": chain(&["t", "h", "a"]),
    }));
    // Past its first 48 hours live, whose first failure is an incident of
    // its own (the watch, cairn_store::watch): this test is about the error rate.
    b.clock.advance(Duration::hours(49));
    let wave = |b: &mut Bench, n: usize, failing: usize, tag: &str| {
        let mut script = vec![];
        for i in 0..n {
            script.push(if i < failing {
                SendOutcome::Failed {
                    error: "HTTP 500".into(),
                }
            } else {
                SendOutcome::Sent { detail: None }
            });
            b.emit("go", &format!("{tag}{i}@x.com"), json!({}));
        }
        b.tick();
        b.dispatch(&ScriptedSender::new(script));
    };
    let review = |b: &mut Bench| {
        let now = b.now();
        let due = b.store().review_incidents(now).unwrap();
        for i in &due {
            b.store().mark_notified(i.id, now).unwrap();
        }
        due
    };
    // A few failures on too few steps: no incident yet.
    wave(&mut b, 5, 5, "early");
    b.clock.advance(Duration::minutes(1));
    assert!(
        review(&mut b).is_empty(),
        "5 steps, all failed: too few to judge"
    );

    // 2 of 20 webhooks fail: 2 failed of 38 action steps (5.3 %).
    b.clock.advance(Duration::hours(2));
    wave(&mut b, 20, 2, "a");
    b.clock.advance(Duration::minutes(1));
    let told = review(&mut b);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].title, "“Hooks” is failing");
    assert!(
        told[0]
            .message
            .contains("2 of 38 action steps failed in the last hour (5.3 %)"),
        "{}",
        told[0].message
    );
    assert_eq!(
        told[0].subject,
        b.store().workflow(&wf).unwrap().id.to_string()
    );

    // More failures in the same spell: nothing new to say.
    b.clock.advance(Duration::minutes(10));
    wave(&mut b, 20, 3, "b");
    b.clock.advance(Duration::minutes(1));
    assert!(review(&mut b).is_empty());
    // A restart re-reads the open incident and stays quiet.
    let path = b.dir.path().join("cairn.db");
    let mut restarted = Store::open(&path).unwrap();
    assert!(
        restarted
            .review_incidents(b.clock.now())
            .unwrap()
            .is_empty()
    );
    assert_eq!(restarted.open_incidents().unwrap().len(), 1);

    // A quiet hour: the spell is over.
    b.clock.advance(Duration::hours(2));
    assert!(review(&mut b).is_empty());
    assert!(b.store().open_incidents().unwrap().is_empty());

    // It starts failing again: a new incident, told again.
    wave(&mut b, 20, 5, "c");
    b.clock.advance(Duration::minutes(1));
    assert_eq!(review(&mut b).len(), 1);
    assert_eq!(b.store().incidents(10).unwrap().len(), 2);

    // Paused: the incident closes with it.
    let now = b.now();
    b.store().pause_all(now).unwrap();
    assert!(review(&mut b).is_empty());
    assert!(b.store().open_incidents().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_one_executor_runs_over_a_database() {
    let b = Bench::new();
    let path = b.dir.path().join("cairn.db");
    let mut cfg = ExecutorConfig::new(&path, Arc::new(b.clock.clone()), None);
    cfg.holder = "cairn run (pid 1234)".into();
    let first = Executor::start(cfg.clone()).unwrap();
    let mut second_cfg = cfg.clone();
    second_cfg.holder = "the Cairn app (pid 99)".into();
    let Err(e) = Executor::start(second_cfg.clone()) else {
        panic!("a second executor started over the same database");
    };
    assert_eq!(e.code(), "executor_running");
    assert!(e.to_string().contains("cairn run (pid 1234)"), "{e}");
    first.shutdown().await;
    let second = Executor::start(second_cfg).unwrap();
    assert_eq!(
        ExecutorLock::holder(&path).as_deref(),
        Some("the Cairn app (pid 99)")
    );
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_executor_keeps_the_house_on_its_own() {
    let mut b = Bench::new();
    let wf = b.workflow(json!({
        "name": "Old",
        "nodes": [node("t", "trigger.event", json!({"event_type": "go"})), node("a", "action.add_tag", json!({"tag": "x"}))],
        "edges": chain(&["t", "a"]),
    }));
    b.emit("go", "old@x.com", json!({"big": "y".repeat(5000)}));
    b.tick();
    let run = b.only_run(&wf);
    b.store().set_retention_days(30).unwrap();
    // Months later the app starts.
    b.clock.advance(Duration::days(60));
    let path = b.dir.path().join("cairn.db");
    let mut cfg = ExecutorConfig::new(&path, Arc::new(b.clock.clone()), None);
    cfg.upkeep = Some(UpkeepConfig {
        policy: UpkeepPolicy::default(),
        every: StdDuration::from_millis(20),
        first_after: StdDuration::ZERO,
    });
    let exec = Executor::start(cfg).unwrap();
    let watcher = Store::open(&path).unwrap();
    let deadline = Instant::now() + StdDuration::from_secs(20);
    loop {
        if watcher.last_maintained_at().unwrap().is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "no maintenance within 20 s");
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    exec.shutdown().await;
    assert_eq!(watcher.last_maintained_at().unwrap(), Some(b.clock.now()));
    assert_eq!(watcher.run(run.id).unwrap().trigger_payload, json!({}));
    let pruned: Option<i64> = watcher
        .conn()
        .query_row("SELECT pruned_at FROM runs WHERE id = ?1", [run.id], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(pruned.is_some());
}

#[test]
fn a_short_soak_stays_within_the_size_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let r = soak::soak(
        dir.path(),
        &soak::SoakConfig {
            steps: 20_000,
            days: 120,
            retention_days: 90,
            batch_every: Duration::hours(3),
        },
    );
    println!("{r:#?}\nbytes per step: {:.0}", r.bytes_per_step());
    assert!(r.steps >= 20_000);
    assert!(
        r.bytes_per_step() < 2048.0,
        "{:.0} bytes per step",
        r.bytes_per_step()
    );
    assert!(
        r.max_wal_bytes < 64 * 1024 * 1024,
        "WAL reached {} bytes",
        r.max_wal_bytes
    );
    assert!(
        r.days >= 110.0,
        "the steps were spread over {} days",
        r.days
    );
    assert!(
        r.maintenances as f64 >= r.days - 1.0,
        "daily maintenance: {r:?}"
    );
    assert!(
        r.runs_pruned > 0 && r.events_pruned > 0,
        "retention ran: {r:?}"
    );
}
