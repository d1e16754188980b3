//! Engine throughput on this machine, on a real SQLite file:
//!
//! 1. events ingested per second (appended in batches, then processed);
//! 2. durable steps per second (a chain of internal actions);
//! 3. 100,000 contacts through the coach's post-purchase workflow
//!    (six actions, email in dry run).
//!
//! `cargo bench -p cairn-engine --bench engine` (add `-- quick` for a
//! smaller run). Numbers go in docs/BENCHMARKS.md.

use std::time::Instant;

// The soak's setup of the coach's workflows, shared (the rest of the module,
// the soak itself, is unused here: the module allows dead code).
#[path = "../tests/soak/mod.rs"]
mod soak;

use cairn_engine::{Engine, EngineConfig};
use cairn_model::event::NewEvent;
use cairn_model::{Clock, VirtualClock};
use cairn_store::Store;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

fn events(
    n: usize,
    event_type: &str,
    offset: usize,
    payload: impl Fn(usize) -> Value,
) -> Vec<NewEvent> {
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
    (0..n)
        .map(|i| NewEvent {
            event_type: event_type.into(),
            contact_email: Some(format!("c{}@example.com", i + offset)),
            payload: payload(i),
            occurred_at: now,
            source: "bench".into(),
            external_id: Some(format!("{event_type}-{}", i + offset)),
        })
        .collect()
}

fn fresh(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(dir.path().join(name)).unwrap()
}

fn ingest(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap());
    let mut s = fresh(&dir, "ingest.db");
    // Contacts exist already (an event about a known contact is the common case).
    let seed = events(n, "seed", 0, |_| json!({}));
    for chunk in seed.chunks(5_000) {
        s.emit_batch(chunk, clock.now()).unwrap();
    }
    let mut e = Engine::new(s);
    while e.tick(clock.now()).unwrap().more {}
    soak::activate(
        e.store_mut(),
        json!({"name": "Listen", "nodes": [soak::node("t", "trigger.event", json!({"event_type": "signal", "filters": [{"path": "v", "op": "eq", "value": -1}]})), soak::node("a", "action.add_tag", json!({"tag": "x"}))], "edges": soak::chain(&["t", "a"])}),
        clock.now(),
    );
    let evs = events(
        n,
        "page.viewed",
        0,
        |i| json!({"v": i % 7, "url": "https://example.com/p"}),
    );
    let t = Instant::now();
    let c0 = soak::cpu();
    for chunk in evs.chunks(1_000) {
        e.store_mut().emit_batch(chunk, clock.now()).unwrap();
    }
    let appended = t.elapsed();
    let t2 = Instant::now();
    let mut total = 0;
    loop {
        let r = e.tick(clock.now()).unwrap();
        total += r.events;
        if !r.more {
            break;
        }
    }
    let processed = t2.elapsed();
    let spent = soak::cpu() - c0;
    assert_eq!(total, n);
    let all = appended + processed;
    println!(
        "events: {n} appended in batches of 1,000 in {:.2}s ({:.0}/s), processed in {:.2}s ({:.0}/s); ingested end to end at {:.0} events/s wall, {:.0} events/s CPU",
        appended.as_secs_f64(),
        n as f64 / appended.as_secs_f64(),
        processed.as_secs_f64(),
        n as f64 / processed.as_secs_f64(),
        n as f64 / all.as_secs_f64(),
        n as f64 / spent.as_secs_f64()
    );
}

fn steps(contacts: usize) {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap());
    let mut s = fresh(&dir, "steps.db");
    let ids: Vec<String> = (0..10).map(|i| format!("a{i}")).collect();
    let mut nodes = vec![soak::node(
        "t",
        "trigger.event",
        json!({"event_type": "go"}),
    )];
    for (i, id) in ids.iter().enumerate() {
        nodes.push(soak::node(
            id,
            "action.add_tag",
            json!({"tag": format!("tag-{i}")}),
        ));
    }
    let mut order: Vec<&str> = vec!["t"];
    order.extend(ids.iter().map(String::as_str));
    soak::activate(
        &mut s,
        json!({"name": "Chain", "nodes": nodes, "edges": soak::chain(&order)}),
        clock.now(),
    );
    let evs = events(contacts, "go", 0, |_| json!({}));
    for chunk in evs.chunks(5_000) {
        s.emit_batch(chunk, clock.now()).unwrap();
    }
    let mut e = Engine::new(s);
    let t = Instant::now();
    let c0 = soak::cpu();
    loop {
        if !e.tick(clock.now()).unwrap().more {
            break;
        }
    }
    let took = t.elapsed();
    let spent = soak::cpu() - c0;
    let n: i64 = e
        .store()
        .conn()
        .query_row("SELECT COUNT(*) FROM steps", [], |r| r.get(0))
        .unwrap();
    println!(
        "steps: {n} durable steps ({contacts} runs of a trigger and ten tag actions, each run's steps and events in the batch's transaction) in {:.2}s wall / {:.2}s CPU: {:.0} steps/s wall, {:.0} steps/s CPU",
        took.as_secs_f64(),
        spent.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        n as f64 / spent.as_secs_f64()
    );
}

fn post_purchase(contacts: usize) {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap());
    let mut s = fresh(&dir, "purchase.db");
    let now = clock.now();
    soak::add_coach_workflows(
        &mut s,
        now,
        "Hi {{ contact.first_name }},\n\nThank you for joining **{{ trigger.product }}**. Your payment of ${{ trigger.amount }} went through.\n\n[Open the course](https://example.com/course)",
    );
    let evs = events(
        contacts,
        "purchase.completed",
        0,
        |_| json!({"product": "Program A", "amount": 497, "currency": "usd"}),
    );
    let t = Instant::now();
    let c0 = soak::cpu();
    for chunk in evs.chunks(5_000) {
        s.emit_batch(chunk, now).unwrap();
    }
    let mut e = Engine::with_config(
        s,
        EngineConfig {
            force_dry_run: true,
            ..EngineConfig::default()
        },
    );
    loop {
        if !e.tick(now).unwrap().more {
            break;
        }
    }
    let took = t.elapsed();
    let spent = soak::cpu() - c0;
    let q = |sql: &str| -> i64 { e.store().conn().query_row(sql, [], |r| r.get(0)).unwrap() };
    let done = q(
        "SELECT COUNT(*) FROM runs r JOIN workflows w ON w.id = r.workflow_id WHERE w.name = 'Post-purchase' AND r.status = 'completed'",
    );
    assert_eq!(done, contacts as i64);
    println!(
        "post-purchase: {contacts} contacts (new contacts created by their purchase events) through six actions with the email rendered in dry run, plus the onboarding run each starts, in {:.1}s wall / {:.1}s CPU ({:.0} runs/s wall, {:.0} runs/s CPU; {} steps, {} events)",
        took.as_secs_f64(),
        spent.as_secs_f64(),
        contacts as f64 / took.as_secs_f64(),
        contacts as f64 / spent.as_secs_f64(),
        q("SELECT COUNT(*) FROM steps"),
        q("SELECT COUNT(*) FROM events")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let only = |name: &str| {
        let picked: Vec<&String> = args
            .iter()
            .filter(|a| ["events", "steps", "purchase"].contains(&a.as_str()))
            .collect();
        picked.is_empty() || picked.iter().any(|a| *a == name)
    };
    let n = if quick { 10_000 } else { 100_000 };
    if only("events") {
        ingest(n);
    }
    if only("steps") {
        steps(n / 10);
    }
    if only("purchase") {
        post_purchase(n);
    }
}
