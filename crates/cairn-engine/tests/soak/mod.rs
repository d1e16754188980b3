//! The soak: months of a small business's purchases through the engine on a
//! virtual clock, with the executor's upkeep (checkpoints, daily retention
//! and space reclaiming) running beside it on its own connection, exactly
//! as `Executor` runs it. Used by the `soak` benchmark (a million steps)
//! and by a test in `tests/background.rs` (twenty thousand steps) that
//! asserts the same bounds.
//!
//! Each purchase is a new contact whose `purchase.completed` event starts
//! the coach's post-purchase workflow (course access, a receipt email
//! rendered in dry run, a tag, a deal moved, a Slack note, and a 14-day
//! onboarding workflow started): about ten steps, eleven events and two
//! outbox entries per purchase, the rendered email being the bulkiest row.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

use cairn_engine::{Engine, EngineConfig};
use cairn_model::account::AccountKind;
use cairn_model::event::NewEvent;
use cairn_model::{Clock, VirtualClock};
use cairn_store::Store;
use cairn_store::hygiene::{Upkeep, UpkeepPolicy};
use cairn_store::workflows::WorkflowStatus;
use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// Stop once the engine has written at least this many steps.
    pub steps: u64,
    /// Spread over this many virtual days.
    pub days: u32,
    pub retention_days: u32,
    /// Purchases arrive in batches, one per virtual hour; upkeep runs after
    /// each (the executor runs it every real minute; an hour of purchases
    /// between two runs is the harder case for the WAL).
    pub batch_every: Duration,
}

#[derive(Debug, Clone)]
pub struct SoakReport {
    pub steps: u64,
    pub runs: u64,
    pub purchases: u64,
    pub days: f64,
    pub db_bytes_before: u64,
    pub wal_bytes_before: u64,
    pub db_bytes_after: u64,
    pub wal_bytes_after: u64,
    /// The largest the WAL was after any batch.
    pub max_wal_bytes: u64,
    pub maintenances: u64,
    pub checkpoints: u64,
    pub runs_pruned: u64,
    pub events_pruned: u64,
    pub elapsed: StdDuration,
    /// Wall time spent in upkeep (checkpoints and maintenance).
    pub upkeep: StdDuration,
}

impl SoakReport {
    /// Database growth per step written (file plus WAL, end minus start).
    pub fn bytes_per_step(&self) -> f64 {
        let after = self.db_bytes_after + self.wal_bytes_after;
        let before = self.db_bytes_before + self.wal_bytes_before;
        after.saturating_sub(before) as f64 / self.steps.max(1) as f64
    }
}

/// CPU time this process has used (user + system), from /proc: on a machine
/// shared with builds, wall time measures the neighbours too.
pub fn cpu() -> std::time::Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    // Field 3 is the state letter; from field 4 on all are numbers (some
    // negative). Fields 14 and 15 (utime, stime) count ticks of 1/100 s.
    let f: Vec<i64> = after
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(10).copied().unwrap_or(0) + f.get(11).copied().unwrap_or(0);
    std::time::Duration::from_millis(ticks.max(0) as u64 * 10)
}

pub fn node(id: &str, kind: &str, config: Value) -> Value {
    json!({"id": id, "position": {"x": 0, "y": 0}, "kind": kind, "config": config})
}

pub fn chain(ids: &[&str]) -> Vec<Value> {
    ids.windows(2)
        .map(|w| json!({"from": w[0], "exit": "next", "to": w[1]}))
        .collect()
}

pub fn activate(s: &mut Store, mut def: Value, now: chrono::DateTime<Utc>) {
    def["format"] = json!("cairn.workflow");
    def["version"] = json!(1);
    let out = s.import_workflow(&def.to_string(), false, now).unwrap();
    s.set_workflow_status(&out.name, WorkflowStatus::Active, now)
        .unwrap();
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn wal(db: &Path) -> PathBuf {
    db.with_file_name("cairn.db-wal")
}

/// The coach's accounts (Gmail, Team on Slack) and two active workflows:
/// "Post-purchase" (enroll, receipt email, tag, start "Onboarding sequence",
/// deal to Won, Slack notice) and the 14-day "Onboarding sequence" it starts.
/// Shared with the engine bench (`benches/engine.rs`).
pub fn add_coach_workflows(s: &mut Store, now: chrono::DateTime<Utc>, receipt_body: &str) {
    s.add_account(
        "Gmail",
        AccountKind::Smtp,
        &json!({"from": "Coach <coach@example.com>"}),
        None,
        now,
    )
    .unwrap();
    s.add_account("Team", AccountKind::Slack, &json!({}), None, now)
        .unwrap();
    activate(
        s,
        json!({
            "name": "Onboarding sequence",
            "nodes": [node("m", "trigger.manual", json!({})), node("w", "wait.duration", json!({"duration": "14d"})), node("e", "action.add_tag", json!({"tag": "onboarded"}))],
            "edges": chain(&["m", "w", "e"]),
        }),
        now,
    );
    activate(
        s,
        json!({
            "name": "Post-purchase",
            "nodes": [
                node("t", "trigger.purchase_completed", json!({"filters": [{"path": "product", "op": "eq", "value": "Program A"}]})),
                node("access", "action.enroll_course", json!({"course": "Program A"})),
                node("receipt", "action.send_email", json!({"template": "receipt", "account": "Gmail"})),
                node("tag", "action.add_tag", json!({"tag": "buyer-program-A"})),
                node("onboard", "action.start_workflow", json!({"workflow": "Onboarding sequence"})),
                node("won", "action.move_deal", json!({"pipeline": "Sales", "stage": "Won"})),
                node("slack", "action.notify", json!({"channel": {"slack": {"account": "Team"}}, "message": "New sale: {{ contact.email }} bought {{ trigger.product }} for ${{ trigger.amount }}"})),
            ],
            "edges": chain(&["t", "access", "receipt", "tag", "onboard", "won", "slack"]),
            "email_templates": [{"name": "receipt", "subject": "Your receipt for {{ trigger.product }}", "body": receipt_body}],
            "requires": {"pipelines": [{"name": "Sales", "stages": ["Lead", "Won"]}], "courses": ["Program A"]},
        }),
        now,
    );
}

/// The soak's receipt: a realistic length, since its bytes are what is measured.
const RECEIPT: &str = "Hi {{ contact.first_name }},\n\nThank you for joining **{{ trigger.product }}**. Your payment of ${{ trigger.amount }} went through.\n\nYour course is waiting for you: log in with this email address and start with the first lesson, *Where you stand*. It takes about twenty minutes; the workbook is attached to the lesson.\n\nIf anything is unclear, reply to this email — it reaches me directly.\n\n[Open the course](https://example.com/course)";

/// Sets up the workflows in `dir/cairn.db` and runs the soak.
pub fn soak(dir: &Path, cfg: &SoakConfig) -> SoakReport {
    let db = dir.join("cairn.db");
    let clock = VirtualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap());
    let mut s = Store::open(&db).unwrap();
    let now = clock.now();
    s.set_retention_days(cfg.retention_days).unwrap();
    add_coach_workflows(&mut s, now, RECEIPT);
    // The executor's upkeep has its own connection.
    let mut keeper = Store::open(&db).unwrap();
    let upkeep = Upkeep::new(UpkeepPolicy::default());
    keeper.checkpoint(true).unwrap();
    let db_bytes_before = file_len(&db);
    let wal_bytes_before = file_len(&wal(&db));

    let mut engine = Engine::with_config(
        s,
        EngineConfig {
            force_dry_run: true,
            ..EngineConfig::default()
        },
    );
    let batches = (Duration::days(i64::from(cfg.days)).num_seconds()
        / cfg.batch_every.num_seconds().max(1))
    .max(1) as u64;
    // About ten steps per purchase (the count is measured, not assumed), so
    // this rate spreads the steps over the configured days.
    let per_batch = (cfg.steps as f64 / 9.5) / batches as f64;
    let mut owed = 0.0;
    let mut r = SoakReport {
        steps: 0,
        runs: 0,
        purchases: 0,
        days: 0.0,
        db_bytes_before,
        wal_bytes_before,
        db_bytes_after: 0,
        wal_bytes_after: 0,
        max_wal_bytes: wal_bytes_before,
        maintenances: 0,
        checkpoints: 0,
        runs_pruned: 0,
        events_pruned: 0,
        elapsed: StdDuration::ZERO,
        upkeep: StdDuration::ZERO,
    };
    let start = clock.now();
    let t = Instant::now();
    let mut steps_stmt_count = 0u64;
    while steps_stmt_count < cfg.steps {
        let now = clock.now();
        owed += per_batch;
        let n_now = owed.floor() as usize;
        owed -= n_now as f64;
        let evs: Vec<NewEvent> = (0..n_now)
            .map(|i| {
                let n = r.purchases as usize + i;
                NewEvent {
                    event_type: "purchase.completed".into(),
                    contact_email: Some(format!("buyer{n}@example.com")),
                    payload: json!({"product": "Program A", "amount": 497, "currency": "usd", "order_id": format!("ord_{n:08}")}),
                    occurred_at: now,
                    source: "stripe".into(),
                    external_id: Some(format!("evt_{n:08}")),
                }
            })
            .collect();
        engine.store_mut().emit_batch(&evs, now).unwrap();
        r.purchases += n_now as u64;
        while engine.tick(now).unwrap().more {}
        let u = Instant::now();
        let rep = upkeep.run(&mut keeper, now).unwrap();
        r.upkeep += u.elapsed();
        if let Some(m) = rep.maintenance {
            r.maintenances += 1;
            r.runs_pruned += m.prune.runs;
            r.events_pruned += m.prune.events;
        }
        if rep.checkpoint.is_some() {
            r.checkpoints += 1;
        }
        r.max_wal_bytes = r.max_wal_bytes.max(file_len(&wal(&db)));
        steps_stmt_count = engine
            .store()
            .conn()
            .query_row("SELECT MAX(id) FROM steps", [], |row| {
                row.get::<_, Option<i64>>(0)
            })
            .unwrap()
            .unwrap_or(0) as u64;
        clock.advance(cfg.batch_every);
    }
    r.elapsed = t.elapsed();
    let q = |sql: &str| -> u64 {
        engine
            .store()
            .conn()
            .query_row(sql, [], |row| row.get::<_, i64>(0))
            .unwrap() as u64
    };
    r.steps = q("SELECT COUNT(*) FROM steps");
    r.runs = q("SELECT COUNT(*) FROM runs");
    r.days = (clock.now() - start).num_seconds() as f64 / 86_400.0;
    // The file as the user would find it between two upkeep runs.
    r.db_bytes_after = file_len(&db);
    r.wal_bytes_after = file_len(&wal(&db));
    r
}
