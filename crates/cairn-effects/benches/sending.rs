//! Sending throughput through the whole path — events, the engine, the
//! outbox, the concurrent dispatcher, the real sender — against slow peers
//! on loopback, on a real SQLite file and the system clock:
//!
//! (a) purchases through a seven-node workflow that ends in a webhook POST,
//!     to an endpoint answering at once and one answering after 50 ms:
//!     executions per second end to end, and CPU per execution;
//! (b) emails to an SMTP server (aiosmtpd) answering each message after
//!     100 ms, through an account with a pool of 8: emails per second;
//! (c) emails of one account trickling in (ten every 100 ms), first alone,
//!     then beside a webhook host that never answers (its lane full of
//!     requests waiting for the 60 s cap): how much later the emails leave.
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

/// A Python with aiosmtpd, as the tests find it: `CAIRN_TEST_PYTHON`,
/// Debian's `/usr/bin/python3` (package python3-aiosmtpd), or `python3`.
fn python() -> String {
    let mut candidates: Vec<String> = std::env::var("CAIRN_TEST_PYTHON").into_iter().collect();
    candidates.extend(["/usr/bin/python3".to_string(), "python3".to_string()]);
    candidates
        .into_iter()
        .find(|p| {
            Command::new(p)
                .args(["-c", "import aiosmtpd"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("a python3 with aiosmtpd (apt-get install python3-aiosmtpd, or CAIRN_TEST_PYTHON)")
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
        let mut child = Command::new(python())
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

/// When a measurement started, on the monotonic clock and on the system
/// clock in ms, the clock of the runs' and outbox's own times.
struct Start {
    at: Instant,
    epoch_ms: i64,
}

impl Start {
    fn now() -> Start {
        Start {
            at: Instant::now(),
            epoch_ms: chrono::Utc::now().timestamp_millis(),
        }
    }
}

/// Waits until `sql` counts `n`, looking every 250 ms and saying on stderr
/// how far it got every 5 s; returns the time taken: up to the latest time
/// `done_ms` reads (ms on the system clock, as the store keeps them) when
/// given, else until it noticed. The looks are this process's CPU too, so
/// they are few: at 20 ms apart, the count and the failure check (which
/// read every run) cost more than a third of the CPU per execution of the
/// 50 ms webhook run, whose 19 s give them three times as many turns as
/// the instant one's 6 s.
async fn until(
    store: &Store,
    what: &str,
    sql: &str,
    n: i64,
    start: &Start,
    done_ms: Option<&str>,
) -> StdDuration {
    let mut said = Instant::now();
    loop {
        let got = count(store, sql);
        if got >= n {
            return match done_ms {
                Some(q) => {
                    StdDuration::from_millis((count(store, q) - start.epoch_ms).max(0) as u64)
                }
                None => start.at.elapsed(),
            };
        }
        // A benchmark whose runs fail measures nothing: say why and stop.
        let failure: Option<String> = store
            .conn()
            .query_row(
                "SELECT COALESCE(r.exit_reason, '') || ' / ' || COALESCE((SELECT s.detail FROM steps s WHERE s.run_id = r.id AND s.status = 'failed' LIMIT 1), '')
                   FROM runs r WHERE r.status = 'failed' LIMIT 1",
                [],
                |r| r.get(0),
            )
            .ok();
        if let Some(why) = failure {
            panic!("a run failed, so the benchmark measures nothing: {why}");
        }
        if said.elapsed() >= StdDuration::from_secs(5) {
            eprintln!(
                "    … {what}: {got} of {n} after {:.0} s ({})",
                start.at.elapsed().as_secs_f64(),
                state(store)
            );
            said = Instant::now();
        }
        assert!(
            start.at.elapsed() < StdDuration::from_secs(1800),
            "gave up waiting for {what} ({got} of {n} after 30 min)"
        );
        tokio::time::sleep(StdDuration::from_millis(250)).await;
    }
}

/// Where things stand, for the progress lines: runs and outbox entries by
/// status, events not yet handled.
fn state(store: &Store) -> String {
    let group = |sql: &str| -> String {
        let mut st = store.conn().prepare(sql).unwrap();
        let rows: Vec<String> = st
            .query_map([], |r| {
                Ok(format!(
                    "{} {}",
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(0)?
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.join(", ")
    };
    format!(
        "runs: {}; outbox: {}; events unhandled: {}",
        group("SELECT status, COUNT(*) FROM runs GROUP BY status"),
        group("SELECT status, COUNT(*) FROM outbox GROUP BY status"),
        count(
            store,
            "SELECT COUNT(*) FROM events WHERE processed_at IS NULL"
        )
    )
}

/// One measured run.
struct Measured {
    n: usize,
    took: StdDuration,
    cpu: StdDuration,
}

impl Measured {
    fn per_sec(&self) -> f64 {
        self.n as f64 / self.took.as_secs_f64()
    }
    fn cpu_ms_each(&self) -> f64 {
        self.cpu.as_secs_f64() * 1000.0 / self.n as f64
    }
}

/// (a): purchases through a workflow of seven nodes ending in a webhook.
async fn webhooks(n: usize, delay_ms: u64) -> Measured {
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
                node("h", "action.webhook", json!({"url": format!("{}/orders", server.uri()), "body": "{\"email\": {{ contact.email }}, \"order\": {{ trigger.order_id }}}"})),
            ],
            "edges": chain(&["t", "a1", "a2", "a3", "a4", "a5", "h"]),
        }),
    );
    emit(&mut w.store, "purchase", n, 0);
    let (c0, start) = (cpu(), Start::now());
    let exec = executor(&w);
    let took = until(
        &w.store,
        "runs completed",
        "SELECT COUNT(*) FROM runs WHERE status = 'completed'",
        n as i64,
        &start,
        Some("SELECT MAX(ended_at) FROM runs"),
    )
    .await;
    let used = cpu() - c0;
    exec.shutdown().await;
    let failed = count(
        &w.store,
        "SELECT COUNT(*) FROM runs WHERE status != 'completed'",
    );
    let received = server.received_requests().await.map_or(0, |r| r.len());
    let m = Measured { n, took, cpu: used };
    println!(
        "(a) webhook answering after {delay_ms:>3} ms: {n} executions in {:>6.2} s = {:>6.0} executions/s, CPU {:.2} ms per execution; {failed} not completed, {received} requests received",
        took.as_secs_f64(),
        m.per_sec(),
        m.cpu_ms_each(),
    );
    m
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
            "email_templates": [{"name": "receipt", "subject": "Your receipt", "body": "Thank you for order {{ trigger.order_id }}."}],
        }),
    );
}

/// (b): emails to an SMTP server answering after 100 ms, pool of 8.
async fn emails(n: usize) -> Measured {
    let smtp = Smtp::start(100);
    let mut w = world();
    add_smtp(&mut w, "shop", smtp.port, 8);
    mail_workflow(&mut w, "Receipts", "purchase", "shop");
    emit(&mut w.store, "purchase", n, 0);
    let (c0, start) = (cpu(), Start::now());
    let exec = executor(&w);
    let took = until(
        &w.store,
        "emails sent",
        "SELECT COUNT(*) FROM outbox WHERE status = 'sent'",
        n as i64,
        &start,
        Some("SELECT MAX(sent_at) FROM outbox"),
    )
    .await;
    let used = cpu() - c0;
    exec.shutdown().await;
    let m = Measured { n, took, cpu: used };
    println!(
        "(b) SMTP answering after 100 ms, pool of 8: {n} emails in {:>6.2} s = {:>6.1} emails/s, CPU {:.2} ms per email (this process; the Python server apart)",
        took.as_secs_f64(),
        m.per_sec(),
        m.cpu_ms_each(),
    );
    m
}

/// How late emails left: from their purchase event's recording to the
/// outbox recording them sent, in ms (median, worst).
fn email_delays(store: &Store) -> (i64, i64) {
    let mut st = store
        .conn()
        .prepare(
            "SELECT o.sent_at - e.recorded_at FROM outbox o
               JOIN runs r ON r.id = o.run_id JOIN events e ON e.id = r.trigger_event_id
              WHERE o.kind = 'email' AND o.status = 'sent' ORDER BY 1",
        )
        .unwrap();
    let d: Vec<i64> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (
        d.get(d.len() / 2).copied().unwrap_or(0),
        d.last().copied().unwrap_or(0),
    )
}

/// (c): emails of one account trickle in (`mails` of them, ten every
/// 100 ms) while, when `hooks > 0`, that many webhooks to an endpoint that
/// never answers were queued first and fill their host's lane. Returns the
/// emails' delays (median, worst) in ms.
async fn hanging(hooks: usize, mails: usize) -> (i64, i64) {
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
                node("h", "action.webhook", json!({"url": format!("{}/hang", server.uri()), "timeout": "60s"})),
            ],
            "edges": chain(&["t", "h"]),
        }),
    );
    mail_workflow(&mut w, "Receipts", "purchase", "shop");
    // The hanging requests are queued first.
    emit(&mut w.store, "signup", hooks, 0);
    let exec = executor(&w);
    if hooks > 0 {
        until(
            &w.store,
            "hanging webhooks in flight",
            "SELECT COUNT(*) FROM outbox WHERE kind = 'webhook' AND status = 'sending'",
            hooks.min(cairn_engine::sender::WEBHOOK_HOST_CONCURRENCY) as i64,
            &Start::now(),
            None,
        )
        .await;
    }
    let waker = exec.waker();
    for i in (0..mails).step_by(10) {
        emit(&mut w.store, "purchase", 10.min(mails - i), hooks + i);
        waker.wake();
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    until(
        &w.store,
        "emails sent",
        "SELECT COUNT(*) FROM outbox WHERE kind = 'email' AND status = 'sent'",
        mails as i64,
        &Start::now(),
        None,
    )
    .await;
    let delays = email_delays(&w.store);
    let in_flight = count(
        &w.store,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'webhook' AND status = 'sending'",
    );
    let label = if hooks > 0 {
        format!(
            "beside {hooks} webhooks to an endpoint that never answers ({in_flight} in flight, the host's lane full)"
        )
    } else {
        "alone (the baseline)".to_string()
    };
    println!(
        "(c) {mails} emails, ten every 100 ms, {label}: each left {} ms after its event (median), {} ms at worst",
        delays.0, delays.1
    );
    // The hanging sends would hold a clean shutdown for their 60 s timeout.
    drop(exec);
    delays
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            let f: Vec<&str> = l.split_whitespace().take(3).collect();
            (f.len() == 3).then(|| f.join(", "))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn main() {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let quick = std::env::args().any(|a| a == "quick");
    let n = if quick { 1_000 } else { 10_000 };
    let only = std::env::var("CAIRN_BENCH").ok();
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "Sending benchmark: {n} per part{}; {cores} cores; load average (1, 5, 15 min) at start: {}",
        if quick { " (quick)" } else { "" },
        load()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut summary: Vec<String> = vec![];
    // One half of (a) alone, to profile it: CAIRN_BENCH=a0 or a50.
    for (part, delay) in [("a0", 0), ("a50", 50)] {
        if only.as_deref() == Some(part) {
            rt.block_on(webhooks(n, delay));
        }
    }
    if run("a") {
        let instant = rt.block_on(webhooks(n, 0));
        let slow = rt.block_on(webhooks(n, 50));
        let ratio = slow.cpu_ms_each() / instant.cpu_ms_each();
        summary.push(format!(
            "(a) instant endpoint: {:.0} executions/s (target ≥ 2,000: {})",
            instant.per_sec(),
            verdict(instant.per_sec() >= 2000.0)
        ));
        summary.push(format!(
            "(a) 50 ms endpoint:   {:.0} executions/s (target ≥ 400: {})",
            slow.per_sec(),
            verdict(slow.per_sec() >= 400.0)
        ));
        summary.push(format!(
            "(a) CPU per execution, 50 ms vs instant: {:.2} / {:.2} ms = {ratio:.2}× (target ≤ 1.5×: {})",
            slow.cpu_ms_each(),
            instant.cpu_ms_each(),
            verdict(ratio <= 1.5)
        ));
    }
    if run("b") {
        let m = rt.block_on(emails(n));
        summary.push(format!(
            "(b) SMTP at 100 ms, pool of 8: {:.1} emails/s (target ≥ 60: {})",
            m.per_sec(),
            verdict(m.per_sec() >= 60.0)
        ));
    }
    if run("c") {
        let mails = if quick { 100 } else { 300 };
        let alone = rt.block_on(hanging(0, mails));
        let beside = rt.block_on(hanging(if quick { 200 } else { 1_000 }, mails));
        let extra = beside.1 - alone.1;
        summary.push(format!(
            "(c) worst email delay beside a hanging endpoint: {} ms, alone: {} ms, so delayed {} ms by the hang (target < 1,000 ms: {})",
            beside.1,
            alone.1,
            extra.max(0),
            verdict(extra < 1000)
        ));
    }
    println!("Summary (load average at the end: {}):", load());
    for line in summary {
        println!("  {line}");
    }
    rt.shutdown_background();
}
