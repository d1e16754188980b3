//! Every database has an identity of its own, and every idempotency key
//! carries it: two databases never produce the same key, a restored backup
//! keeps its id (its sends are still recognised) but starts a new key
//! series, and a database from before identities gets one when upgraded.

use cairn_store::identity::DatabaseIdentity;
use cairn_store::lock::ExecutorLock;
use cairn_store::{MIGRATIONS, SCHEMA_VERSION, Store, hygiene};
use rusqlite::Connection;

use crate::common::*;

fn is_id(id: &DatabaseIdentity) -> bool {
    id.id.len() == 32
        && id
            .id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

#[test]
fn two_databases_created_apart_never_share_a_key() {
    let (_a, a) = fresh();
    let (_b, b) = fresh();
    let (ia, ib) = (a.identity().unwrap(), b.identity().unwrap());
    assert!(is_id(&ia) && is_id(&ib), "{ia:?} {ib:?}");
    assert_ne!(ia.id, ib.id);
    // Same run and step ids (both databases are new): different keys.
    assert_ne!(ia.effect_key(1, 1), ib.effect_key(1, 1));
    assert!(ia.effect_key(1, 1).contains(&ia.id));
    // The id is stored: a second connection reads the same one.
    assert_eq!(a.reopen().unwrap().identity().unwrap(), ia);
}

#[test]
fn a_restored_backup_keeps_its_id_and_starts_a_new_series() {
    let (d, s) = fresh();
    let before = s.identity().unwrap();
    assert_eq!(before.series, 0);
    let backup = d.path().join("monday.cairn");
    s.backup_to(&backup, false).unwrap();
    drop(s);
    let db = d.path().join("cairn.db");
    let lock = ExecutorLock::acquire(&db, "test").unwrap();
    hygiene::restore(&lock, &db, &backup, t0()).unwrap();
    let after = Store::open(&db).unwrap().identity().unwrap();
    assert_eq!(after.id, before.id, "the same database");
    assert_eq!(after.series, 1);
    // The keys the database used before the restore are not used again.
    assert_ne!(after.effect_key(7, 9), before.effect_key(7, 9));
    // Restoring the same backup again: a series neither copy used.
    let later = t0() + chrono::Duration::minutes(1);
    hygiene::restore(&lock, &db, &backup, later).unwrap();
    assert_eq!(Store::open(&db).unwrap().identity().unwrap().series, 2);

    // Another database's backup brings its own id.
    let (other_dir, other) = fresh();
    let theirs = other.identity().unwrap();
    let their_backup = other_dir.path().join("theirs.cairn");
    other.backup_to(&their_backup, false).unwrap();
    hygiene::restore(
        &lock,
        &db,
        &their_backup,
        later + chrono::Duration::minutes(1),
    )
    .unwrap();
    let now = Store::open(&db).unwrap().identity().unwrap();
    assert_eq!((now.id.as_str(), now.series), (theirs.id.as_str(), 1));
}

/// A file as schema version 5, the last without identities, wrote it.
fn write_v5_file(p: &std::path::Path) {
    let c = Connection::open(p).unwrap();
    c.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
    for m in &MIGRATIONS[..5] {
        c.execute_batch(m).unwrap();
    }
    c.pragma_update(None, "user_version", 5).unwrap();
    c.pragma_update(None, "application_id", cairn_store::APPLICATION_ID)
        .unwrap();
    let has: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'database_identity'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(has, 0);
}

#[test]
fn an_older_database_gets_an_id_when_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cairn.db");
    write_v5_file(&p);
    let s = Store::open(&p).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    let id = s.identity().unwrap();
    assert!(is_id(&id), "{id:?}");
    assert_eq!(id.series, 0);
    drop(s);
    // Opening again keeps it.
    assert_eq!(Store::open(&p).unwrap().identity().unwrap(), id);
    // Another old database upgraded gets another.
    let q = dir.path().join("other.db");
    write_v5_file(&q);
    assert_ne!(Store::open(&q).unwrap().identity().unwrap().id, id.id);
}
