//! Opening a database: WAL, foreign keys, busy timeout, migrations, and the
//! files Cairn must refuse.

use cairn_store::{APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, Store};
use rusqlite::Connection;

use crate::common::*;

fn pragma_i64(s: &Store, name: &str) -> i64 {
    s.conn()
        .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_new_file_is_wal_with_foreign_keys_busy_timeout_and_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folders/cairn.db");
    let s = Store::open(&path).unwrap();
    assert!(path.exists());
    let mode: String = s
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(pragma_i64(&s, "foreign_keys"), 1);
    assert_eq!(pragma_i64(&s, "busy_timeout"), 10_000);
    assert_eq!(pragma_i64(&s, "application_id"), i64::from(APPLICATION_ID));
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    const { assert!(SCHEMA_VERSION >= 2) };
    // Foreign keys are enforced, not just declared.
    let e = s
        .conn()
        .execute(
            "INSERT INTO contact_tags (contact_id, tag_id, added_at) VALUES (999, 999, 0)",
            [],
        )
        .unwrap_err();
    assert!(e.to_string().contains("FOREIGN KEY"), "{e}");
}

#[test]
fn a_second_connection_sees_committed_writes() {
    let (_dir, mut a) = fresh();
    let b = a.reopen().unwrap();
    a.upsert_contact(
        &cairn_store::contacts::ContactInput {
            email: "ada@example.com".into(),
            ..Default::default()
        },
        t0(),
    )
    .unwrap();
    assert!(b.contact_by_email("ADA@example.com").unwrap().is_some());
}

#[test]
fn opening_to_read_never_waits_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cairn.db");
    drop(Store::open(&path).unwrap());
    // Another connection holds the write lock (an import, an engine tick).
    let writer = Connection::open(&path).unwrap();
    writer
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO tags (name, created_at) VALUES ('held', 0);")
        .unwrap();
    // A reader opening meanwhile (each app command opens its own) gets in
    // and reads: had opening needed the lock, it would fail "database is
    // locked" once the busy timeout ran out.
    let reader = Store::open(&path).unwrap();
    assert_eq!(pragma_i64(&reader, "auto_vacuum"), 2, "still incremental");
    assert_eq!(
        reader.tags().unwrap(),
        Vec::<String>::new(),
        "the open write is not seen"
    );
    writer.execute_batch("COMMIT").unwrap();
    assert_eq!(reader.tags().unwrap(), vec!["held".to_string()]);
}

#[test]
fn a_database_from_a_newer_cairn_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cairn.db");
    drop(Store::open(&p).unwrap());
    Connection::open(&p)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let e = Store::open(&p).unwrap_err();
    assert_eq!(e.code(), "newer_database");
    let msg = e.to_string();
    assert!(msg.contains("newer version of Cairn"), "{msg}");
    assert!(
        msg.contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
        "{msg}"
    );
    assert!(msg.contains("update Cairn"), "{msg}");
    let v: u32 = Connection::open(&p)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION + 1, "the newer file was not touched");
}

/// Builds a file exactly as Cairn schema version 1 wrote it, with data.
fn write_v1_file(path: &std::path::Path) {
    let c = Connection::open(path).unwrap();
    c.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
    c.execute_batch(MIGRATIONS[0]).unwrap();
    c.pragma_update(None, "user_version", 1).unwrap();
    c.execute_batch(
        "INSERT INTO contacts (id, email, email_key, name, status, created_at, updated_at) VALUES
           (1, 'Zoe@Example.com', 'zoe@example.com', 'Zoe', 'subscribed', 1000, 1000),
           (2, 'ada@example.com', 'ada@example.com', 'Ada', 'unsubscribed', 2000, 2000),
           (3, 'noname@example.com', 'noname@example.com', NULL, 'bounced', 3000, 3000);
         INSERT INTO fields (id, name, type, created_at) VALUES (1, 'plan', 'text', 1000);
         INSERT INTO contact_fields (contact_id, field_id, value) VALUES (1, 1, '\"gold\"');
         INSERT INTO tags (id, name, created_at) VALUES (1, 'vip', 1000);
         INSERT INTO contact_tags (contact_id, tag_id, added_at) VALUES (1, 1, 1000);
         INSERT INTO events (type, contact_id, payload, occurred_at, recorded_at, source, external_id)
           VALUES ('purchase.completed', 1, '{\"amount\":100}', 1500, 1500, 'stripe', 'evt_1');",
    )
    .unwrap();
}

#[test]
fn an_older_file_is_upgraded_in_place_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cairn.db");
    write_v1_file(&p);

    let s = Store::open(&p).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    // The data is all there, readable through the store.
    let zoe = s.require_contact("zoe@example.com").unwrap();
    assert_eq!(zoe.name.as_deref(), Some("Zoe"));
    assert_eq!(zoe.tags, vec!["vip".to_string()]);
    assert_eq!(zoe.fields["plan"], serde_json::json!("gold"));
    assert_eq!(count(&s, "contacts"), 3);
    assert_eq!(count(&s, "events"), 1);
    // Migration 2's index exists and serves the contacts screen's name sort.
    let plan: Vec<String> = s
        .conn()
        .prepare("EXPLAIN QUERY PLAN SELECT id FROM contacts ORDER BY name COLLATE NOCASE, id")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(plan.iter().any(|l| l.contains("contacts_name")), "{plan:?}");
    let q = cairn_store::contacts::ContactQuery {
        sort: Some(cairn_store::contacts::ContactSort::Name),
        ..Default::default()
    };
    let names: Vec<Option<String>> = s
        .contacts(&q)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, vec![None, Some("Ada".into()), Some("Zoe".into())]);
    drop(s);
    // Opening again is a no-op.
    let s = Store::open(&p).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(count(&s, "contacts"), 3);
}

#[test]
fn two_processes_opening_a_new_file_at_once_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cairn.db");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let p = p.clone();
            std::thread::spawn(move || Store::open(&p).map(|s| s.schema_version().unwrap()))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), SCHEMA_VERSION);
    }
}

#[test]
fn another_programs_sqlite_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("other.db");
    Connection::open(&p)
        .unwrap()
        .execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY);")
        .unwrap();
    let e = Store::open(&p).unwrap_err();
    assert_eq!(e.code(), "not_cairn_database");
    assert!(e.to_string().contains("is not a Cairn database"), "{e}");
    let tables: i64 = Connection::open(&p)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1, "nothing was added to the other program's file");
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.txt");
    std::fs::write(
        &p,
        "this is a text file, not a database, and it is long enough to have a header\n".repeat(20),
    )
    .unwrap();
    let e = Store::open(&p).unwrap_err();
    assert_eq!(e.code(), "not_cairn_database");
    assert!(e.to_string().contains("not an SQLite database"), "{e}");
}
