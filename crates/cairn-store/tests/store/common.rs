//! Shared test fixtures.

use cairn_model::Timestamp;
use cairn_store::Store;
use chrono::TimeZone;

/// A fixed "now" (tests never read the wall clock).
pub fn t0() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

/// A fresh database in its own temporary folder.
pub fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("cairn.db")).unwrap();
    (dir, store)
}

/// How many rows a table has.
pub fn count(store: &Store, table: &str) -> i64 {
    store
        .conn()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// The events of a type, oldest first, as (contact id, payload).
pub fn events_of_type(store: &Store, event_type: &str) -> Vec<(Option<i64>, serde_json::Value)> {
    let mut st = store
        .conn()
        .prepare("SELECT contact_id, payload FROM events WHERE type = ?1 ORDER BY id")
        .unwrap();
    st.query_map([event_type], |r| {
        Ok((
            r.get(0)?,
            serde_json::from_str(&r.get::<_, String>(1)?).unwrap(),
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}
