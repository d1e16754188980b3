//! Analytics benchmark: a run log of 1,000,000 steps in one workflow (plus
//! another workflow's 200,000 as noise), then every analytics query timed on
//! three ranges (a year, 30 days, 7 days), with the covering indexes of
//! migration 0003 and again without them. Not a test: it checks only that
//! the numbers add up, and prints a table for docs/BENCHMARKS.md.
//!
//! Run with `cargo bench -p cairn-store --bench analytics` (release profile,
//! a fresh SQLite file in a temporary folder).

use std::time::{Duration, Instant};

use cairn_model::Timestamp;
use cairn_model::builtin;
use cairn_model::effect::RunMode;
use cairn_store::analytics::sql;
use cairn_store::contacts::ContactInput;
use cairn_store::runs::{
    NewRun, NewStep, RunStatus, StepStatus, end_run_using, insert_run_using, insert_step_using,
    set_run_position_using,
};
use cairn_store::workflows::WorkflowStatus;
use cairn_store::{Store, StoreError, ms};
use chrono::TimeZone;

const STEPS: u64 = 1_000_000;
const NOISE_STEPS: u64 = 200_000;
const DAYS: i64 = 365;
const ROUNDS: usize = 5;

/// The end of the year of history: "now".
fn now() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

/// xorshift64*: reproducible numbers without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// CPU time this process has used, from /proc on Linux (the machine is
/// shared, so wall time alone overstates the cost).
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// The abandoned-cart template's path, node by node.
const PATH: [(&str, &str); 9] = [
    ("abandoned", "trigger.event"),
    ("hour", "wait.duration"),
    ("remind_1", "action.send_email"),
    ("day", "wait.duration"),
    ("remind_2", "action.send_email"),
    ("two_days", "wait.duration"),
    ("remind_3", "action.send_email"),
    ("not_recovered", "action.add_tag"),
    ("end", "end"),
];

/// Writes runs of workflow `wf` until it has `steps` steps: 60 % complete
/// the path, 25 % buy part-way (a conversion), 5 % fail at a reminder, 10 %
/// are still waiting; starts spread over the past year; contacts reused.
fn fill(s: &mut Store, wf: i64, contacts: &[i64], steps: u64, rng: &mut Rng) -> (u64, u64) {
    let start_of_history = ms(now()) - DAYS * 86_400_000;
    let (mut written, mut runs) = (0u64, 0u64);
    while written < steps {
        s.write(|tx| {
            for _ in 0..5_000 {
                if written >= steps {
                    break;
                }
                let start =
                    cairn_store::ts(start_of_history + rng.below(DAYS as u64 * 86_400_000) as i64);
                let contact = contacts[rng.below(contacts.len() as u64) as usize];
                let roll = rng.below(100);
                let (len, status) = match roll {
                    0..60 => (PATH.len(), RunStatus::Completed),
                    60..85 => (2 + rng.below(5) as usize, RunStatus::Exited),
                    85..90 => (3 + 2 * rng.below(3) as usize, RunStatus::Failed),
                    _ => (2 + rng.below(6) as usize, RunStatus::Waiting),
                };
                let run = insert_run_using(
                    tx,
                    &NewRun {
                        workflow_id: wf,
                        version: 1,
                        contact_id: contact,
                        trigger_node: "abandoned",
                        trigger_event_id: None,
                        trigger_payload: &serde_json::json!({}),
                        mode: RunMode::Live,
                    },
                    start,
                )?;
                let mut at = start;
                for (i, (node, kind)) in PATH[..len].iter().enumerate() {
                    let last = i + 1 == len;
                    let st = match (last, status) {
                        (true, RunStatus::Failed) => StepStatus::Failed,
                        (true, RunStatus::Exited) if kind.starts_with("wait") => {
                            StepStatus::Skipped
                        }
                        (true, RunStatus::Waiting) => StepStatus::Waiting,
                        _ => StepStatus::Ok,
                    };
                    insert_step_using(
                        tx,
                        &NewStep {
                            run_id: run,
                            workflow_id: wf,
                            node_id: node,
                            kind,
                            status: st,
                            exit: None,
                            detail: None,
                        },
                        at,
                    )?;
                    at += chrono::Duration::minutes(30 + rng.below(3_000) as i64);
                }
                let node = PATH[len - 1].0;
                set_run_position_using(tx, run, RunStatus::Waiting, Some(node), at)?;
                if status != RunStatus::Waiting {
                    let goal = (status == RunStatus::Exited).then_some("Purchased");
                    end_run_using(tx, run, status, None, goal, goal.is_some(), at)?;
                }
                written += len as u64;
                runs += 1;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    }
    (runs, written)
}

/// Counting steps per node and status the plain way.
const GROUP_BY_STEPS: &str = "SELECT node_id, status, COUNT(*) FROM steps
     WHERE workflow_id = ?1 AND started_at >= ?2 AND started_at < ?3 GROUP BY 1, 2";

fn bind_all(c: &rusqlite::Connection, q: &str, wf: i64, since: i64, until: i64) -> usize {
    let mut st = c.prepare_cached(q).unwrap();
    let n = st.parameter_count();
    let params: Vec<i64> = [wf, since, until].into_iter().take(n).collect();
    let mut rows = st.query(rusqlite::params_from_iter(params)).unwrap();
    let mut count = 0;
    while rows.next().unwrap().is_some() {
        count += 1;
    }
    count
}

/// The median of `ROUNDS` timings of `f` (wall, CPU), after one warm-up.
fn median(mut f: impl FnMut()) -> (Duration, Duration) {
    f();
    let mut wall = vec![];
    let mut cpu = vec![];
    for _ in 0..ROUNDS {
        let (c0, t0) = (cpu_time(), Instant::now());
        f();
        wall.push(t0.elapsed());
        cpu.push(cpu_time().saturating_sub(c0));
    }
    wall.sort();
    cpu.sort();
    (wall[ROUNDS / 2], cpu[ROUNDS / 2])
}

fn ms_of(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    // CAIRN_BENCH_DB=PATH keeps the database there, to look at afterwards.
    let path = std::env::var_os("CAIRN_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("analytics.db"));
    let _ = std::fs::remove_file(&path);
    let mut s = Store::open(&path).unwrap();
    let t0 = Instant::now();
    let text = builtin::get("abandoned-cart").unwrap().text;
    let imported = s.import_workflow(text, false, now()).unwrap();
    let noise = s.import_workflow(text, false, now()).unwrap().id;
    let wf = imported.id;
    let contacts: Vec<i64> = s
        .write(|tx| {
            let mut ids = vec![];
            for i in 0..20_000 {
                let c = cairn_store::contacts::upsert_using(
                    tx,
                    &ContactInput {
                        email: format!("buyer{i}@example.com"),
                        ..Default::default()
                    },
                    "bench",
                    now(),
                )?;
                ids.push(c.0);
            }
            Ok::<_, StoreError>(ids)
        })
        .unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (runs, steps) = fill(&mut s, wf, &contacts, STEPS, &mut rng);
    let (noise_runs, noise_steps) = fill(&mut s, noise, &contacts, NOISE_STEPS, &mut rng);
    s.conn().execute_batch("ANALYZE").unwrap();
    let built = t0.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "built: {runs} runs and {steps} steps in the measured workflow, {noise_runs} runs and {noise_steps} steps in another, in {:.1} s; database {:.0} MB",
        built.as_secs_f64(),
        size as f64 / 1e6
    );
    // Active, like a workflow whose numbers someone looks at.
    s.add_account(
        "Email",
        cairn_model::account::AccountKind::Smtp,
        &serde_json::json!({"from": "bench@example.com"}),
        None,
        now(),
    )
    .unwrap();
    s.set_workflow_status(&imported.name, WorkflowStatus::Active, now())
        .unwrap();

    let until = now();
    let ranges = [("365 days", 365), ("30 days", 30), ("7 days", 7)];
    let queries = [
        ("started runs", sql::STARTED),
        ("ended runs", sql::ENDED),
        ("goals", sql::GOALS),
        ("drop-offs", sql::DROP_OFFS),
        ("test-run steps", sql::TEST_RUN_STEPS),
    ];
    let (_, def) = s.workflow_def(&imported.name).unwrap();
    let measure = |s: &Store, label: &str, indexed: bool| {
        println!("\n{label}\n");
        println!("| query | 365 days | 30 days | 7 days |");
        println!("| --- | --- | --- | --- |");
        for (name, q) in queries {
            if !indexed && q == sql::TEST_RUN_STEPS {
                continue; // it names its index
            }
            let mut cells = vec![];
            for (_, days) in ranges {
                let since = ms(until) - days * 86_400_000;
                let (wall, cpu) = median(|| {
                    bind_all(s.conn(), q, wf, since, ms(until));
                });
                cells.push(format!("{} ms ({} cpu)", ms_of(wall), ms_of(cpu)));
            }
            println!("| {name} | {} |", cells.join(" | "));
        }
        let mut cells = vec![];
        for (_, days) in ranges {
            let since = until - chrono::Duration::days(days);
            let (wall, cpu) = if indexed {
                median(|| {
                    cairn_store::analytics::node_counts_using(s.conn(), &def, wf, since, until)
                        .unwrap();
                })
            } else {
                // What counting per node costs without them: one GROUP BY.
                median(|| {
                    bind_all(s.conn(), GROUP_BY_STEPS, wf, ms(since), ms(until));
                })
            };
            cells.push(format!("{} ms ({} cpu)", ms_of(wall), ms_of(cpu)));
        }
        println!(
            "| steps per node (the canvas counts) | {} |",
            cells.join(" | ")
        );
        if !indexed {
            return;
        }
        let mut cells = vec![];
        for (_, days) in ranges {
            let since = until - chrono::Duration::days(days);
            let mut stats = None;
            let (wall, cpu) = median(|| {
                stats = Some(
                    s.workflow_stats(&imported.name, Some(since), until)
                        .unwrap(),
                );
            });
            let st = stats.unwrap();
            if days == 365 {
                let counted: u64 = st
                    .nodes
                    .iter()
                    .map(|n| n.passed + n.waiting + n.failed + n.skipped)
                    .sum();
                // Runs started late in the year have steps after "now".
                let in_range: u64 = s
                    .conn()
                    .query_row(
                        "SELECT COUNT(*) FROM steps WHERE workflow_id = ?1 AND started_at >= ?2 AND started_at < ?3",
                        [wf, ms(since), ms(until)],
                        |r| r.get::<_, i64>(0),
                    )
                    .unwrap() as u64;
                assert_eq!(counted, in_range, "every step of the year is on a node");
                assert!(in_range > steps * 98 / 100, "{in_range}");
                assert_eq!(st.runs.started, runs);
            }
            cells.push(format!("{} ms ({} cpu)", ms_of(wall), ms_of(cpu)));
        }
        println!(
            "| **`workflow_stats`, all of it** | {} |",
            cells.join(" | ")
        );
    };
    measure(
        &s,
        "with the indexes of migration 0003 (wall, median of 5, and CPU):",
        true,
    );
    s.conn()
        .execute_batch(
            "DROP INDEX runs_started_stats; DROP INDEX runs_ended_stats; DROP INDEX runs_test_stats;
             DROP INDEX steps_stats; CREATE INDEX steps_workflow ON steps(workflow_id, node_id, status);
             ANALYZE;",
        )
        .unwrap();
    measure(
        &s,
        "without them (the indexes of migration 0001 only):",
        false,
    );
}
