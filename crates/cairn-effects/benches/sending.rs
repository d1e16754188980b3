//! Sending throughput through the whole path — events, the engine, the
//! outbox, the concurrent dispatcher, the real sender — against slow peers
//! on loopback, on a real SQLite file and the system clock:
//!
//! (a) purchases through a seven-node workflow that ends in a webhook POST,
//!     to an endpoint answering at once and one answering after 50 ms:
//!     executions per second end to end, and CPU per execution;
//! (b) emails to an SMTP server (aiosmtpd) answering each message after
//!     100 ms, through an account with a pool of 8: emails per second;
//! (c) one webhook endpoint that never answers (the request times out at
//!     the 60 s cap) while another account sends email: how late the
//!     emails leave.
//!
//! `cargo bench -p cairn-effects --bench sending` (10,000 of each; add
//! `-- quick` for 1,000). `CAIRN_BENCH=a|b|c` runs one part. Needs python3
//! with aiosmtpd. Numbers go in docs/BENCHMARKS.md ("Sending").

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use cairn_effects::settings::SmtpSecurity;
use cairn_effects::{Effects, LogNotifier, Vault, accounts};
use cairn_engine::{Executor, ExecutorConfig};
use cairn_model::event::NewEvent;
use cairn_model::{Clock, SystemClock};
use cairn_store::Store;
use cairn_store::workflows::WorkflowStatus;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// CPU time this process has used (user + system), from /proc.
fn cpu() -> StdDuration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<i64> = after
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(10).copied().unwrap_or(0) + f.get(11).copied().unwrap_or(0);
    StdDuration::from_millis(ticks.max(0) as u64 * 10)
}

/// The test fixture's SMTP server, `delay_ms` per message; killed on drop.
struct Smtp {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Smtp {
    fn start(delay_ms: u64) -> Smtp {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(dir.path().join("Maildir"))
            .args(["--delay-ms", &delay_ms.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the SMTP server's port");
        Smtp {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct World {
    _dir: tempfile::TempDir,
    db: PathBuf,
    store: Store,
    vault: Vault,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cairn.db");
    let vault = Vault::secrets_file(dir.path().join("secrets.json")).unwrap();
    World {
        store: Store::open(&db).unwrap(),
        db,
        vault,
        _dir: dir,
    }
}

fn node(id: &str, kind: &str, config: serde_json::Value) -> serde_json::Value {
    json!({"id": id, "position": {"x": 0, "y": 0}, "kind": kind, "config": config})
}

fn activate(store: &mut Store, mut def: serde_json::Value) {
    def["format"] = json!("cairn.workflow");
    def["version"] = json!(1);
    let now = SystemClock.now();
    let out = store.import_workflow(&def.to_string(), false, now).unwrap();
    store
        .set_workflow_status(&out.name, WorkflowStatus::Active, now)
        .unwrap();
}

fn chain(ids: &[&str]) -> Vec<serde_json::Value> {
    ids.windows(2)
        .map(|w| json!({"from": w[0], "exit": "next", "to": w[1]}))
        .collect()
}

fn emit(store: &mut Store, event_type: &str, n: usize, offset: usize) {
    let now = SystemClock.now();
    let evs: Vec<NewEvent> = (0..n)
        .map(|i| NewEvent {
            event_type: event_type.into(),
            contact_email: Some(format!("c{}@client.test", i + offset)),
            payload: json!({"order_id": format!("o{}", i + offset), "amount": 49}),
            occurred_at: now,
            source: "bench".into(),
            external_id: Some(format!("{event_type}-{}", i + offset)),
        })
        .collect();
    for chunk in evs.chunks(5_000) {
        store.emit_batch(chunk, now).unwrap();
    }
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn executor(w: &World) -> Executor {
    let effects = Effects::open(&w.db, w.vault.clone(), Arc::new(LogNotifier)).unwrap();
    let mut cfg = ExecutorConfig::new(&w.db, Arc::new(SystemClock), Some(Arc::new(effects)));
    cfg.upkeep = None;
    Executor::start(cfg).unwrap()
}

/// Waits until `sql` counts `n`, polling every 20 ms; returns the time taken.
async fn until(store: &Store, sql: &str, n: i64, started: Instant) -> StdDuration {
    loop {
        if count(store, sql) >= n {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < StdDuration::from_secs(1800),
            "gave up waiting"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}

/// (a): purchases through a workflow of seven nodes ending in a webhook.
async fn webhooks(n: usize, delay_ms: u64) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(StdDuration::from_millis(delay_ms)))
        .mount(&server)
        .await;
    let mut w = world();
    activate(
        &mut w.store,
        json!({
            "name": "Purchase",
            "nodes": [
                node("t", "trigger.event", json!({"event_type": "purchase"})),
                node("a1", "action.add_tag", json!({"tag": "customer"})),
                node("a2", "action.add_tag", json!({"tag": "paid"})),
                node("a3", "action.add_tag", json!({"tag": "buyer"})),
                node("a4", "action.remove_tag", json!({"tag": "paid"})),
                node("a5", "action.add_tag", json!({"tag": "receipt-due"})),
                node("h", "action.webhook", json!({"url": format!("{}/orders", server.uri()), "body": "{\"email\": {{ contact.email }}, \"order\": {{ event.order_id }}}"})),
            ],
            "edges": chain(&["t", "a1", "a2", "a3", "a4", "a5", "h"]),
        }),
    );
    emit(&mut w.store, "purchase", n, 0);
    let (c0, started) = (cpu(), Instant::now());
    let exec = executor(&w);
    let took = until(
        &w.store,
        "SELECT COUNT(*) FROM runs WHERE status = 'completed'",
        n as i64,
        started,
    )
    .await;
    let used = cpu() - c0;
    exec.shutdown().await;
    let failed = count(
        &w.store,
        "SELECT COUNT(*) FROM runs WHERE status != 'completed'",
    );
    println!(
        "(a) webhook endpoint answering after {delay_ms} ms: {n} executions in {:.2} s = {:.0} executions/s; CPU {:.2} ms per execution (process total, the loopback server included); {} not completed; {} requests received",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        used.as_secs_f64() * 1000.0 / n as f64,
        failed,
        server.received_requests().await.map_or(0, |r| r.len())
    );
}

fn add_smtp(w: &mut World, name: &str, port: u16, pool: u32) {
    let mut s = accounts::smtp_settings(
        "127.0.0.1",
        port,
        SmtpSecurity::None,
        "Shop <shop@coach.test>",
    );
    s.rate_per_second = 0;
    s.rate_per_day = 0;
    s.pool_size = Some(pool);
    accounts::add_smtp(&mut w.store, &w.vault, name, s, None, SystemClock.now()).unwrap();
}

fn mail_workflow(w: &mut World, name: &str, event: &str, account: &str) {
    activate(
        &mut w.store,
        json!({
            "name": name,
            "nodes": [
                node("t", "trigger.event", json!({"event_type": event})),
                node("e", "action.send_email", json!({"template": "receipt", "account": account})),
            ],
            "edges": chain(&["t", "e"]),
            "email_templates": [{"name": "receipt", "subject": "Your receipt", "body": "Thank you for order {{ event.order_id }}."}],
        }),
    );
}

/// (b): emails to an SMTP server answering after 100 ms, pool of 8.
async fn emails(n: usize) {
    let smtp = Smtp::start(100);
    let mut w = world();
    add_smtp(&mut w, "shop", smtp.port, 8);
    mail_workflow(&mut w, "Receipts", "purchase", "shop");
    emit(&mut w.store, "purchase", n, 0);
    let (c0, started) = (cpu(), Instant::now());
    let exec = executor(&w);
    let took = until(
        &w.store,
        "SELECT COUNT(*) FROM outbox WHERE status = 'sent'",
        n as i64,
        started,
    )
    .await;
    let used = cpu() - c0;
    exec.shutdown().await;
    println!(
        "(b) SMTP answering each message after 100 ms, pool of 8: {n} emails in {:.2} s = {:.1} emails/s; CPU {:.2} ms per email",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        used.as_secs_f64() * 1000.0 / n as f64,
    );
}

/// (c): a hanging webhook endpoint beside another account's email.
async fn hanging(n: usize) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(StdDuration::from_secs(600)))
        .mount(&server)
        .await;
    let smtp = Smtp::start(0);
    let mut w = world();
    add_smtp(&mut w, "shop", smtp.port, 4);
    activate(
        &mut w.store,
        json!({
            "name": "Hook",
            "nodes": [
                node("t", "trigger.event", json!({"event_type": "signup"})),
                node("h", "action.webhook", json!({"url": format!("{}/hang", server.uri()), "timeout_secs": 600})),
            ],
            "edges": chain(&["t", "h"]),
        }),
    );
    mail_workflow(&mut w, "Receipts", "purchase", "shop");
    let hooks = n / 5;
    // The hanging requests are queued first.
    emit(&mut w.store, "signup", hooks, 0);
    let exec = executor(&w);
    let started = Instant::now();
    until(
        &w.store,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'webhook' AND status = 'sending'",
        32,
        started,
    )
    .await;
    emit(&mut w.store, "purchase", n, hooks);
    let mails_from = Instant::now();
    let took = until(
        &w.store,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'email' AND status = 'sent'",
        n as i64,
        mails_from,
    )
    .await;
    let worst_ms: i64 = w
        .store
        .conn()
        .query_row(
            "SELECT MAX(sent_at - created_at) FROM outbox WHERE kind = 'email'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let hanging_now = count(
        &w.store,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'webhook' AND status = 'sending'",
    );
    println!(
        "(c) {hooks} webhooks to an endpoint that never answers ({hanging_now} still in flight, the host's lane full) while {n} emails of another account were queued: all sent {:.2} s after they were queued; the latest email left {worst_ms} ms after its step queued it",
        took.as_secs_f64(),
    );
    // The hanging sends would hold a clean shutdown for their 60 s timeout.
    drop(exec);
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let n = if quick { 1_000 } else { 10_000 };
    let only = std::env::var("CAIRN_BENCH").ok();
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if run("a") {
        rt.block_on(webhooks(n, 0));
        rt.block_on(webhooks(n, 50));
    }
    if run("b") {
        rt.block_on(emails(n));
    }
    if run("c") {
        rt.block_on(hanging(if quick { 200 } else { 1_000 }));
    }
    rt.shutdown_background();
}
