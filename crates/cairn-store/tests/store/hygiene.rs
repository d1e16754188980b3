//! Database hygiene on real files: auto-vacuum for new and old databases,
//! the size report, backups that are refused when they are not ours,
//! pause-all / resume-all, and account incidents told once.

use cairn_model::account::AccountKind;
use cairn_store::Store;
use cairn_store::accounts::AccountStatus;
use cairn_store::hygiene;
use cairn_store::lock::ExecutorLock;
use cairn_store::workflows::WorkflowStatus;
use rusqlite::Connection;
use serde_json::json;

use crate::common::*;

fn auto_vacuum(s: &Store) -> i64 {
    s.conn()
        .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
        .unwrap()
}

fn workflow(s: &mut Store, name: &str) {
    let text = json!({"format": "cairn.workflow", "version": 1, "name": name, "nodes": [
        {"id": "start", "position": {"x": 0, "y": 0}, "kind": "trigger.manual", "config": {}},
        {"id": "tag", "position": {"x": 0, "y": 100}, "kind": "action.add_tag", "config": {"tag": "t"}}],
        "edges": [{"from": "start", "to": "tag"}]});
    s.import_workflow(&text.to_string(), false, t0()).unwrap();
}

#[test]
fn a_new_database_reclaims_space_incrementally() {
    let (_d, s) = fresh();
    assert_eq!(auto_vacuum(&s), 2, "incremental");
}

#[test]
fn an_older_database_is_converted_once_and_its_free_pages_given_back() {
    let (d, mut s) = fresh();
    let path = d.path().join("cairn.db");
    // A database from before incremental auto-vacuum.
    s.conn()
        .execute_batch("PRAGMA auto_vacuum = NONE; VACUUM;")
        .unwrap();
    assert_eq!(auto_vacuum(&s), 0);
    for i in 0..2_000 {
        s.add_contact(
            &cairn_store::contacts::ContactInput {
                email: format!("c{i}@example.com"),
                name: Some("x".repeat(200)),
                ..Default::default()
            },
            t0(),
        )
        .unwrap();
    }
    s.conn().execute("DELETE FROM contacts", []).unwrap();
    let report = s.maintain(t0()).unwrap();
    assert!(report.converted);
    assert_eq!(auto_vacuum(&s), 2);
    assert!(report.checkpoint.truncate);
    assert_eq!(
        std::fs::metadata(d.path().join("cairn.db-wal"))
            .unwrap()
            .len(),
        0
    );
    let free: i64 = s
        .conn()
        .query_row("PRAGMA freelist_count", [], |r| r.get(0))
        .unwrap();
    assert_eq!(free, 0, "the VACUUM left no free page");
    // The second time there is nothing to convert.
    let again = Store::open(&path).unwrap().maintain(t0()).unwrap();
    assert!(!again.converted);
    assert_eq!(s.last_maintained_at().unwrap(), Some(t0()));
}

#[test]
fn freed_pages_go_back_to_the_file_system() {
    let (d, mut s) = fresh();
    for i in 0..3_000 {
        s.add_contact(
            &cairn_store::contacts::ContactInput {
                email: format!("c{i}@example.com"),
                name: Some("y".repeat(300)),
                ..Default::default()
            },
            t0(),
        )
        .unwrap();
    }
    s.checkpoint(true).unwrap();
    let full = std::fs::metadata(d.path().join("cairn.db")).unwrap().len();
    s.conn().execute("DELETE FROM contacts", []).unwrap();
    let (converted, freed) = s.reclaim_space().unwrap();
    assert!(!converted);
    assert!(freed > 100, "freed {freed} pages");
    s.checkpoint(true).unwrap();
    let after = std::fs::metadata(d.path().join("cairn.db")).unwrap().len();
    assert!(after * 2 < full, "{after} bytes after, {full} before");
}

#[test]
fn the_size_report_names_every_table_and_what_it_uses() {
    let (_d, mut s) = fresh();
    for i in 0..500 {
        s.add_contact(
            &cairn_store::contacts::ContactInput {
                email: format!("c{i}@example.com"),
                ..Default::default()
            },
            t0(),
        )
        .unwrap();
    }
    let st = s.database_stats().unwrap();
    assert!(st.per_table_sizes, "the bundled SQLite has dbstat");
    assert_eq!(st.auto_vacuum, "incremental");
    assert_eq!(st.schema_version, cairn_store::SCHEMA_VERSION);
    assert_eq!(st.retention_days, hygiene::DEFAULT_RETENTION_DAYS);
    let contacts = st.tables.iter().find(|t| t.table == "contacts").unwrap();
    assert_eq!(contacts.rows, 500);
    assert!(contacts.bytes >= 4096 && contacts.index_bytes >= 4096);
    let sizes: Vec<u64> = st.tables.iter().map(|t| t.bytes + t.index_bytes).collect();
    assert!(
        sizes.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {sizes:?}"
    );
    for t in ["steps", "events", "runs", "outbox", "incidents", "settings"] {
        assert!(st.tables.iter().any(|u| u.table == t), "{t} missing");
    }
    let used: u64 = st.tables.iter().map(|t| t.bytes + t.index_bytes).sum();
    assert!(used <= st.page_count * st.page_size);
}

#[test]
fn retention_is_a_setting_with_a_ceiling() {
    let (_d, mut s) = fresh();
    assert_eq!(s.retention_days().unwrap(), 90);
    s.set_retention_days(30).unwrap();
    assert_eq!(s.retention_days().unwrap(), 30);
    s.set_retention_days(0).unwrap();
    assert_eq!(s.retention_days().unwrap(), 0);
    assert_eq!(s.set_retention_days(40_000).unwrap_err().code(), "invalid");
}

#[test]
fn a_backup_is_one_self_contained_file_and_refuses_to_overwrite() {
    let (d, mut s) = fresh();
    workflow(&mut s, "Welcome");
    let dest = d.path().join("backups/first.cairn");
    let info = s.backup_to(&dest, false).unwrap();
    assert_eq!(info.workflows, 1);
    assert_eq!(info.schema_version, cairn_store::SCHEMA_VERSION);
    let mode: String = Connection::open(&dest)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete", "no -wal beside it");
    assert_eq!(s.backup_to(&dest, false).unwrap_err().code(), "conflict");
    s.backup_to(&dest, true).unwrap();
    let own = d.path().join("cairn.db");
    assert_eq!(s.backup_to(&own, true).unwrap_err().code(), "conflict");
    let leftovers: Vec<_> = std::fs::read_dir(d.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn restore_refuses_what_is_not_a_cairn_backup_and_changes_nothing() {
    let (d, mut s) = fresh();
    workflow(&mut s, "Keep me");
    let db = d.path().join("cairn.db");
    let lock = ExecutorLock::acquire(&db, "test").unwrap();

    let text = d.path().join("notes.txt");
    std::fs::write(&text, "hello, this is not a database at all, just text").unwrap();
    let e = hygiene::restore(&lock, &db, &text, t0()).unwrap_err();
    assert_eq!(e.code(), "not_cairn_database", "{e}");

    let other = d.path().join("other.sqlite");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('hi');")
        .unwrap();
    let e = hygiene::restore(&lock, &db, &other, t0()).unwrap_err();
    assert_eq!(e.code(), "not_cairn_database", "{e}");
    assert!(e.to_string().contains("another program"), "{e}");

    let newer = d.path().join("newer.cairn");
    s.backup_to(&newer, false).unwrap();
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", cairn_store::SCHEMA_VERSION + 1)
        .unwrap();
    let e = hygiene::restore(&lock, &db, &newer, t0()).unwrap_err();
    assert_eq!(e.code(), "newer_database", "{e}");

    let damaged = d.path().join("damaged.cairn");
    s.backup_to(&damaged, false).unwrap();
    let bytes = std::fs::read(&damaged).unwrap();
    let mut broken = bytes.clone();
    for b in broken.iter_mut().skip(4096).take(4096) {
        *b = 0xA5; // page 2 overwritten
    }
    std::fs::write(&damaged, &broken).unwrap();
    let e = hygiene::restore(&lock, &db, &damaged, t0()).unwrap_err();
    assert_eq!(e.code(), "not_cairn_database", "{e}");

    let e = hygiene::restore(&lock, &db, &db, t0()).unwrap_err();
    assert_eq!(e.code(), "conflict");

    assert_eq!(s.workflows().unwrap().len(), 1, "nothing was replaced");
    let copies = std::fs::read_dir(d.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("before-restore")
        })
        .count();
    assert_eq!(copies, 0, "no copy made for a refused restore");
}

#[test]
fn a_damaged_database_can_be_replaced_by_a_backup() {
    let (d, mut s) = fresh();
    workflow(&mut s, "Precious");
    let backup = d.path().join("good.cairn");
    s.backup_to(&backup, false).unwrap();
    drop(s);
    let db = d.path().join("cairn.db");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(d.path().join(format!("cairn.db{suffix}")));
    }
    std::fs::write(&db, vec![0x42; 64 * 1024]).unwrap();
    assert!(Store::open(&db).is_err());
    let lock = ExecutorLock::acquire(&db, "test").unwrap();
    let r = hygiene::restore(&lock, &db, &backup, t0()).unwrap();
    let kept = r.previous_copy.expect("the damaged file is kept");
    assert_eq!(std::fs::read(&kept).unwrap(), vec![0x42; 64 * 1024]);
    let s = Store::open(&db).unwrap();
    assert_eq!(s.workflows().unwrap()[0].name, "Precious");

    // Restored again in the same second: done, and each restore keeps the
    // database it replaced under its own name.
    drop(s);
    let again = hygiene::restore(&lock, &db, &backup, t0()).unwrap();
    let kept_again = again
        .previous_copy
        .expect("the first restore's result is kept");
    assert_ne!(kept_again, kept);
    assert!(kept_again.ends_with("-2"), "{kept_again}");
    assert_eq!(std::fs::read(&kept).unwrap(), vec![0x42; 64 * 1024]);
    assert_eq!(
        Store::open(&kept_again).unwrap().workflows().unwrap()[0].name,
        "Precious"
    );
}

#[test]
fn pause_all_then_resume_all_restores_exactly_what_was_running() {
    let (_d, mut s) = fresh();
    for n in ["A", "B", "C"] {
        workflow(&mut s, n);
    }
    s.set_workflow_status("A", WorkflowStatus::Active, t0())
        .unwrap();
    s.set_workflow_status("B", WorkflowStatus::Active, t0())
        .unwrap();
    s.set_workflow_status("C", WorkflowStatus::Paused, t0())
        .unwrap();
    let paused = s.pause_all(t0()).unwrap();
    assert_eq!(paused.changed, vec!["A", "B"]);
    assert_eq!(s.paused_by_pause_all().unwrap(), 2);
    assert!(
        s.workflows()
            .unwrap()
            .iter()
            .all(|w| w.status == WorkflowStatus::Paused)
    );
    // A restart in between: the memory is in the database.
    let mut s = s.reopen().unwrap();
    // Pausing again changes nothing and forgets nothing.
    assert!(s.pause_all(t0()).unwrap().changed.is_empty());
    let resumed = s.resume_all(t0()).unwrap();
    assert_eq!(resumed.changed, vec!["A", "B"]);
    assert!(resumed.left.is_empty());
    let status = |s: &Store, n: &str| s.workflow(n).unwrap().status;
    assert_eq!(status(&s, "A"), WorkflowStatus::Active);
    assert_eq!(status(&s, "B"), WorkflowStatus::Active);
    assert_eq!(status(&s, "C"), WorkflowStatus::Paused, "paused by hand");
    assert_eq!(s.paused_by_pause_all().unwrap(), 0);
    assert!(s.resume_all(t0()).unwrap().changed.is_empty());
}

#[test]
fn an_account_that_needs_attention_is_told_once_per_incident() {
    let (d, mut s) = fresh();
    s.add_account("Stripe", AccountKind::Stripe, &json!({}), Some(300), t0())
        .unwrap();
    assert!(s.review_incidents(t0()).unwrap().is_empty());
    s.set_account_status(
        "Stripe",
        AccountStatus::NeedsAttention,
        Some("the API key was refused (401)"),
        t0(),
    )
    .unwrap();
    let due = s.review_incidents(t0()).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].title, "Account “Stripe” needs attention");
    assert_eq!(due[0].message, "the API key was refused (401)");
    // Not shown yet (the app crashed before showing it): still owed.
    let mut s = Store::open(d.path().join("cairn.db")).unwrap();
    let due = s.review_incidents(t0()).unwrap();
    assert_eq!(due.len(), 1);
    s.mark_notified(due[0].id, t0()).unwrap();
    // Shown: a restart and later reviews say nothing more.
    let mut s = s.reopen().unwrap();
    assert!(s.review_incidents(t0()).unwrap().is_empty());
    assert_eq!(s.open_incidents().unwrap().len(), 1);
    // Fixed: the incident closes; broken again: a new one, told again.
    s.set_account_status("Stripe", AccountStatus::Ok, None, t0())
        .unwrap();
    assert!(s.review_incidents(t0()).unwrap().is_empty());
    assert!(s.open_incidents().unwrap().is_empty());
    s.set_account_status("Stripe", AccountStatus::NeedsAttention, None, t0())
        .unwrap();
    assert_eq!(s.review_incidents(t0()).unwrap().len(), 1);
    assert_eq!(s.incidents(10).unwrap().len(), 2);
}

#[test]
fn a_restore_pauses_every_workflow_and_holds_the_outbox_until_resume_all() {
    let (d, mut s) = fresh();
    for n in ["A", "B", "C"] {
        workflow(&mut s, n);
    }
    s.set_workflow_status("A", WorkflowStatus::Active, t0())
        .unwrap();
    s.set_workflow_status("B", WorkflowStatus::Active, t0())
        .unwrap();
    // A queued notification that belongs to no run, due long ago.
    s.write(|tx| {
        cairn_store::outbox::enqueue_using(
            tx,
            &cairn_store::outbox::NewOutboxEntry {
                run_id: None,
                step_id: None,
                effect: &cairn_model::effect::Effect::Desktop(cairn_model::effect::DesktopNotice {
                    title: "t".into(),
                    body: "b".into(),
                }),
                idempotency_key: "k-1",
                mode: cairn_model::effect::RunMode::Live,
                max_attempts: 5,
                backoff_secs: 60,
            },
            t0() - chrono::Duration::days(3),
        )
    })
    .unwrap();
    let backup = d.path().join("b.cairn");
    s.backup_to(&backup, false).unwrap();
    drop(s);
    let db = d.path().join("cairn.db");
    let lock = ExecutorLock::acquire(&db, "test").unwrap();
    let r = hygiene::restore(&lock, &db, &backup, t0()).unwrap();
    assert_eq!(r.held.paused_workflows, vec!["A", "B"]);
    assert_eq!((r.held.waiting_runs, r.held.waiting_sends), (0, 1));
    drop(lock);

    let mut s = Store::open(&db).unwrap();
    assert_eq!(s.outbox_held_since().unwrap(), Some(t0()));
    assert!(
        s.workflows()
            .unwrap()
            .iter()
            .all(|w| w.status == WorkflowStatus::Paused)
    );
    let due = |s: &Store| {
        cairn_store::outbox::due_using(s.conn(), t0() + chrono::Duration::days(1), 10)
            .unwrap()
            .len()
    };
    assert_eq!(due(&s), 0, "held");
    assert_eq!(cairn_store::outbox::next_due_using(s.conn()).unwrap(), None);
    // Resuming one workflow by hand does not release the outbox.
    s.set_workflow_status("A", WorkflowStatus::Active, t0())
        .unwrap();
    assert_eq!(due(&s), 0);
    let resumed = s.resume_all(t0()).unwrap();
    assert_eq!(resumed.changed, vec!["B"]);
    assert!(resumed.released_outbox);
    assert_eq!(s.outbox_held_since().unwrap(), None);
    assert_eq!(due(&s), 1);
    assert_eq!(s.workflow("C").unwrap().status, WorkflowStatus::Paused);
    // Released on its own as well.
    s.write(|tx| cairn_store::pause::hold_after_restore_using(tx, t0()))
        .unwrap();
    assert_eq!(due(&s), 0);
    assert!(s.release_outbox_hold().unwrap());
    assert!(!s.release_outbox_hold().unwrap());
    assert_eq!(due(&s), 1);
}
