//! Store benchmarks: CSV import of 100,000 contacts and event appends per
//! second, single and batched. Not a test: it asserts only that the work was
//! done, and prints numbers for docs/BENCHMARKS.md.
//!
//! Run with `cargo bench -p cairn-store --bench store` (release profile, a
//! fresh SQLite file in a temporary folder for every measurement);
//! `CAIRN_BENCH=import` or `CAIRN_BENCH=events` runs one half.

use std::time::{Duration, Instant};

use cairn_model::Timestamp;
use cairn_model::event::NewEvent;
use cairn_store::Store;
use cairn_store::csv_import::CsvImportOptions;
use chrono::TimeZone;

const CONTACTS: usize = 100_000;
const ROUNDS: usize = 3;

fn now() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path().join("bench.db")).unwrap();
    (dir, s)
}

/// 100,000 rows: email, name, two tags, a text, a number and a date field.
fn csv_text() -> String {
    let mut text = String::from("email,name,tags,plan:text,score:number,joined:date\n");
    for i in 0..CONTACTS {
        text.push_str(&format!(
            "user{i}@example.com,User {i},{};all,plan{},{},2025-{:02}-{:02}\n",
            if i % 2 == 0 { "even" } else { "odd" },
            i % 3,
            i,
            i % 12 + 1,
            i % 28 + 1
        ));
    }
    text
}

/// CPU time this process has used (user + system), from /proc on Linux.
/// The machine this runs on is shared, so wall time alone overstates cost.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 12th and 13th of them, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Runs `f`, returning (wall time, CPU time).
fn timed(f: impl FnOnce()) -> (Duration, Duration) {
    let c = cpu_time().unwrap_or_default();
    let t = Instant::now();
    f();
    (
        t.elapsed(),
        cpu_time().unwrap_or_default().saturating_sub(c),
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn event(i: usize, contacts: usize) -> NewEvent {
    NewEvent {
        event_type: "purchase.completed".into(),
        contact_email: Some(format!("user{}@example.com", i % contacts)),
        payload: serde_json::json!({"product": "Program A", "amount": 100 + i % 50}),
        occurred_at: now(),
        source: "stripe".into(),
        external_id: Some(format!("evt_{i}")),
    }
}

/// A database holding `n` contacts, for the event benchmarks.
fn with_contacts(n: usize) -> (tempfile::TempDir, Store) {
    let (d, mut s) = fresh();
    let mut text = String::from("email\n");
    for i in 0..n {
        text.push_str(&format!("user{i}@example.com\n"));
    }
    s.import_contacts_csv(text.as_bytes(), &CsvImportOptions::default(), now())
        .unwrap();
    (d, s)
}

/// Prints one result line: medians of wall and CPU time, and the rate.
fn report(what: &str, n: usize, runs: &[(Duration, Duration)]) {
    let wall = median(runs.iter().map(|r| r.0).collect());
    let cpu = median(runs.iter().map(|r| r.1).collect());
    println!(
        "| {what} | {n} | {:.2} s | {:.2} s | {:.0}/s | {:.0}/s |",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        per_sec(n, wall),
        per_sec(n, cpu.max(Duration::from_millis(10))),
    );
}

fn main() {
    let text = csv_text();
    println!(
        "{ROUNDS} rounds each, medians; rate = items per second of wall / of CPU time ({} MB CSV)",
        text.len() / 1_000_000
    );
    println!("| measurement | items | wall | CPU | rate (wall) | rate (CPU) |");
    println!("|---|---|---|---|---|---|");
    // What this machine does with SQLite alone, to read the rest against:
    // 100,000 plain rows into an unindexed table, one transaction.
    let only = std::env::var("CAIRN_BENCH").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only == part;
    let mut base = vec![];
    for _ in 0..if run("import") { ROUNDS } else { 0 } {
        let (_d, mut s) = fresh();
        s.conn()
            .execute_batch("CREATE TABLE plain (id INTEGER PRIMARY KEY, email TEXT, name TEXT)")
            .unwrap();
        base.push(timed(|| {
            s.write(|tx| {
                let mut st = tx.prepare("INSERT INTO plain (email, name) VALUES (?1, ?2)")?;
                for i in 0..CONTACTS {
                    st.execute((format!("user{i}@example.com"), format!("User {i}")))?;
                }
                Ok::<_, cairn_store::StoreError>(())
            })
            .unwrap();
        }));
    }
    if run("import") {
        report(
            "baseline: plain SQLite INSERTs, no index, one transaction",
            CONTACTS,
            &base,
        );
    }

    let mut new = vec![];
    let mut again = vec![];
    for _ in 0..if run("import") { ROUNDS } else { 0 } {
        let (_d, mut s) = fresh();
        new.push(timed(|| {
            let r = s
                .import_contacts_csv(text.as_bytes(), &CsvImportOptions::default(), now())
                .unwrap();
            assert_eq!(r.created as usize, CONTACTS);
        }));
        again.push(timed(|| {
            let r = s
                .import_contacts_csv(text.as_bytes(), &CsvImportOptions::default(), now())
                .unwrap();
            assert_eq!(r.unchanged as usize, CONTACTS);
        }));
    }
    if run("import") {
        report(
            "CSV import, new contacts (2 tags, 3 fields each; one transaction)",
            CONTACTS,
            &new,
        );
        report(
            "CSV import of the same file again (every row unchanged)",
            CONTACTS,
            &again,
        );
    }
    if !run("events") {
        return;
    }

    let contacts = 1_000;
    let single = 5_000;
    let mut runs = vec![];
    for _ in 0..ROUNDS {
        let (_d, mut s) = with_contacts(contacts);
        runs.push(timed(|| {
            for i in 0..single {
                s.emit(&event(i, contacts), now()).unwrap();
            }
        }));
    }
    report("event appends, one transaction each", single, &runs);

    let total = 100_000;
    for batch in [100, 1_000] {
        let mut runs = vec![];
        let mut dups = vec![];
        for _ in 0..ROUNDS {
            let (_d, mut s) = with_contacts(contacts);
            let evs: Vec<NewEvent> = (0..total).map(|i| event(i, contacts)).collect();
            runs.push(timed(|| {
                for chunk in evs.chunks(batch) {
                    s.emit_batch(chunk, now()).unwrap();
                }
            }));
            // A re-poll of the same events: every one is a duplicate.
            dups.push(timed(|| {
                for chunk in evs.chunks(batch) {
                    s.emit_batch(chunk, now()).unwrap();
                }
            }));
            assert_eq!(
                s.conn()
                    .query_row(
                        "SELECT COUNT(*) FROM events WHERE source = 'stripe'",
                        [],
                        |r| r.get::<_, i64>(0)
                    )
                    .unwrap() as usize,
                total
            );
        }
        report(&format!("event appends, batches of {batch}"), total, &runs);
        report(
            &format!("re-poll of the same events in batches of {batch} (all duplicates)"),
            total,
            &dups,
        );
    }
}
