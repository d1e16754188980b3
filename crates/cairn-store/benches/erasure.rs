//! What `secure_delete` costs, and how long erasing a contact takes. Not a
//! test: it prints numbers for docs/BENCHMARKS.md ("Erasure").
//!
//! Run with `cargo bench -p cairn-store --bench erasure` (release profile,
//! a fresh SQLite file in a temporary folder for every measurement).
//!
//! 1. The same update-heavy work under `secure_delete` OFF, FAST (every
//!    connection's setting) and ON (the erasure's): a CSV import that
//!    changes the name of each of 100,000 existing contacts, then deleting
//!    one tag from all of them (100,000 row deletions).
//! 2. Erasing contacts one at a time from a database of 100,000 contacts
//!    with 10 events each: each erasure is one transaction plus the
//!    incremental vacuum and the WAL checkpoint.

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

fn csv(name: &str) -> String {
    let mut text = String::from("email,name,tags,plan:text\n");
    for i in 0..CONTACTS {
        text.push_str(&format!(
            "user{i}@example.com,{name} {i},all;cohort-{},plan {}\n",
            i % 10,
            i % 3
        ));
    }
    text
}

fn seeded() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("bench.db")).unwrap();
    s.import_contacts_csv(csv("First").as_bytes(), &CsvImportOptions::default(), now())
        .unwrap();
    (dir, s)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn update_heavy(mode: &str) -> (Duration, Duration) {
    let (mut imports, mut deletes) = (vec![], vec![]);
    let renamed = csv("Renamed");
    for _ in 0..ROUNDS {
        let (_dir, mut s) = seeded();
        s.conn()
            .execute_batch(&format!("PRAGMA secure_delete = {mode};"))
            .unwrap();
        let t = Instant::now();
        let r = s
            .import_contacts_csv(renamed.as_bytes(), &CsvImportOptions::default(), now())
            .unwrap();
        imports.push(t.elapsed());
        assert_eq!(r.updated, CONTACTS as u64);
        let t = Instant::now();
        let n = s
            .conn()
            .execute(
                "DELETE FROM contact_tags WHERE tag_id = (SELECT id FROM tags WHERE name = 'all')",
                [],
            )
            .unwrap();
        deletes.push(t.elapsed());
        assert_eq!(n, CONTACTS);
    }
    (median(imports), median(deletes))
}

fn erasures() -> (Duration, Duration, u64) {
    let (dir, mut s) = seeded();
    let events: Vec<NewEvent> = (0..CONTACTS * 10)
        .map(|i| NewEvent {
            event_type: "page.viewed".into(),
            contact_email: Some(format!("user{}@example.com", i % CONTACTS)),
            payload: serde_json::json!({"page": format!("/lesson/{i}"), "email": format!("user{}@example.com", i % CONTACTS)}),
            occurred_at: now(),
            source: "bench".into(),
            external_id: None,
        })
        .collect();
    for chunk in events.chunks(50_000) {
        s.emit_batch(chunk, now()).unwrap();
    }
    s.conn()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let mut times = vec![];
    for i in (0..CONTACTS).step_by(CONTACTS / 100) {
        let t = Instant::now();
        let r = s
            .erase_contact(&format!("user{i}@example.com"), now())
            .unwrap();
        times.push(t.elapsed());
        assert_eq!(
            r.events, 13,
            "10 page views, contact.created, two tag.added"
        );
        assert!(r.wal_cleared);
    }
    let size = std::fs::metadata(dir.path().join("bench.db"))
        .unwrap()
        .len();
    let total: Duration = times.iter().sum();
    (median(times), total, size)
}

fn main() {
    println!("update-heavy work on {CONTACTS} contacts, median of {ROUNDS} (fresh database each):");
    for mode in ["OFF", "FAST", "ON"] {
        let (import, delete) = update_heavy(mode);
        println!(
            "  secure_delete={mode:<4}  re-import changing every name: {:>7.0} ms   delete 100,000 tag links: {:>6.0} ms",
            import.as_secs_f64() * 1000.0,
            delete.as_secs_f64() * 1000.0
        );
    }
    let (one, total, size) = erasures();
    println!(
        "erasing 100 contacts one by one from {CONTACTS} contacts with {} events ({} MB file): median {:.1} ms each, {:.2} s in all",
        CONTACTS * 13,
        size / 1_000_000,
        one.as_secs_f64() * 1000.0,
        total.as_secs_f64()
    );
}
