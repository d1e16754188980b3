//! `cairn db`: stats, backup, restore, retention and maintenance through the
//! real binary on real files — and restore refused while `cairn run` holds
//! the database.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cairn(db: &Path, args: &[&str]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .env_remove("CAIRN_DB")
        .env_remove("RUST_LOG")
        .env("CAIRN_NOW", "2026-01-05T09:00:00Z")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

fn ok(db: &Path, args: &[&str]) -> String {
    let o = cairn(db, args);
    assert_eq!(o.code, 0, "cairn {args:?}: {}", o.stderr);
    o.stdout
}

fn json(db: &Path, args: &[&str]) -> Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    serde_json::from_str(&ok(db, &a)).unwrap()
}

fn contacts(db: &Path) -> u64 {
    let stats = json(db, &["db", "stats"]);
    stats["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "contacts")
        .unwrap()["rows"]
        .as_u64()
        .unwrap()
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cairn.db");
    ok(&db, &["init"]);
    for who in ["ada@example.com", "bob@example.com"] {
        ok(&db, &["contact", "add", who]);
    }
    (dir, db)
}

#[test]
fn stats_backup_restore_retention_and_maintain() {
    let (dir, db) = setup();
    let stats = json(&db, &["db", "stats"]);
    assert_eq!(stats["auto_vacuum"], "incremental");
    assert_eq!(stats["per_table_sizes"], true);
    assert_eq!(contacts(&db), 2);
    let human = ok(&db, &["db", "stats"]);
    assert!(
        human.contains("retention: 90 days; last maintained: never"),
        "{human}"
    );
    assert!(human.lines().any(|l| l.starts_with("contacts ")), "{human}");

    let backup = dir.path().join("monday.cairn");
    let out = ok(&db, &["db", "backup", backup.to_str().unwrap()]);
    assert!(out.starts_with("backup written: "), "{out}");
    assert!(out.contains("2 contacts"), "{out}");
    let again = cairn(&db, &["--json", "db", "backup", backup.to_str().unwrap()]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("\"code\":\"conflict\""),
        "{}",
        again.stderr
    );

    ok(&db, &["contact", "add", "cy@example.com"]);
    assert_eq!(contacts(&db), 3);
    let out = ok(&db, &["db", "restore", backup.to_str().unwrap()]);
    assert!(out.contains("restored from"), "{out}");
    assert!(
        out.contains("the database as it was is kept at ")
            && out.contains("cairn.db.before-restore-20260105-090000"),
        "{out}"
    );
    assert_eq!(contacts(&db), 2);
    let kept = dir.path().join("cairn.db.before-restore-20260105-090000");
    assert_eq!(contacts(&kept), 3);

    let bad = dir.path().join("notes.txt");
    std::fs::write(&bad, "not a database, only some words to fill a page").unwrap();
    let o = cairn(&db, &["db", "restore", bad.to_str().unwrap()]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("is not a Cairn database"), "{}", o.stderr);

    assert_eq!(json(&db, &["db", "retention"])["retention_days"], 90);
    assert_eq!(json(&db, &["db", "retention", "30"])["retention_days"], 30);
    let out = ok(&db, &["db", "retention"]);
    assert!(out.starts_with("retention: 30 days"), "{out}");

    let out = ok(&db, &["db", "maintain"]);
    assert!(
        out.contains("retention: details before 2025-12-06 09:00:00 UTC blanked for 0 runs"),
        "{out}"
    );
    assert!(out.contains("space: "), "{out}");
    assert!(out.contains("WAL: "), "{out}");
    let m = json(&db, &["db", "maintain"]);
    assert_eq!(m["checkpoint"]["wal_bytes_after"], 0);
    let human = ok(&db, &["db", "stats"]);
    assert!(
        human.contains("last maintained: 2026-01-05 09:00:00 UTC"),
        "{human}"
    );
}

#[test]
fn restore_waits_for_cairn_run_to_stop_and_a_second_run_is_refused() {
    let (dir, db) = setup();
    let backup = dir.path().join("b.cairn");
    ok(&db, &["db", "backup", backup.to_str().unwrap()]);

    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--db")
        .arg(&db)
        .args(["run", "--no-sync"])
        .env_remove("CAIRN_NOW")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l.contains("cairn is running over") => break,
            Ok(_) => {}
            Err(_) => {
                let _ = child.kill();
                panic!("cairn run did not start");
            }
        }
    }
    let pid = child.id();

    let o = cairn(&db, &["--json", "db", "restore", backup.to_str().unwrap()]);
    assert_eq!(o.code, 1);
    let e: Value = serde_json::from_str(o.stderr.trim()).unwrap();
    assert_eq!(e["error"]["code"], "executor_running");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains(&format!("cairn run (pid {pid})")), "{msg}");

    let o = cairn(&db, &["run", "--no-sync", "--for", "1m"]);
    assert_eq!(o.code, 1, "a second executor over the same file");
    assert!(
        o.stderr
            .contains(&format!("cairn run (pid {pid}) is already running")),
        "{}",
        o.stderr
    );

    // A backup is fine while it runs.
    let during = dir.path().join("during.cairn");
    ok(&db, &["db", "backup", during.to_str().unwrap()]);

    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let out = ok(&db, &["db", "restore", backup.to_str().unwrap()]);
    assert!(out.contains("restored from"), "{out}");
}

#[test]
fn a_restore_is_on_hold_until_resume_all() {
    let (dir, db) = setup();
    let wf = dir.path().join("welcome.json");
    std::fs::write(
        &wf,
        serde_json::json!({"format": "cairn.workflow", "version": 1, "name": "Welcome", "nodes": [
            {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.manual", "config": {}},
            {"id": "tag", "position": {"x": 0, "y": 100}, "kind": "action.add_tag", "config": {"tag": "new"}}],
            "edges": [{"from": "t", "to": "tag"}]})
        .to_string(),
    )
    .unwrap();
    ok(&db, &["workflow", "import", wf.to_str().unwrap()]);
    ok(&db, &["workflow", "activate", "Welcome"]);
    let backup = dir.path().join("monday.cairn");
    ok(&db, &["db", "backup", backup.to_str().unwrap()]);

    let out = ok(&db, &["db", "restore", backup.to_str().unwrap()]);
    assert!(
        out.contains(
            "on hold: 0 runs waiting and 0 sends queued; nothing is sent and no workflow runs until you resume"
        ),
        "{out}"
    );
    assert!(out.contains("paused: Welcome"), "{out}");
    assert!(out.contains("cairn workflow resume-all"), "{out}");
    let outbox = ok(&db, &["outbox"]);
    assert!(
        outbox.starts_with("held since the restore of 2026-01-05 09:00:00 UTC"),
        "{outbox}"
    );
    let list = json(&db, &["workflow", "list"]);
    assert_eq!(list["workflows"][0]["status"], "paused", "{list}");
    // `cairn run` says why it sends nothing.
    let o = cairn(
        &db,
        &["run", "--no-sync", "--until", "2026-01-05T09:00:00Z"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains(
            "nothing is sent: the outbox is held since the restore of 2026-01-05 09:00:00 UTC"
        ),
        "{}",
        o.stderr
    );

    let out = ok(&db, &["workflow", "resume-all"]);
    assert!(out.contains("activated: Welcome"), "{out}");
    assert!(
        out.contains("the outbox held since the restore is released"),
        "{out}"
    );
    let list = json(&db, &["workflow", "list"]);
    assert_eq!(list["workflows"][0]["status"], "active", "{list}");
    assert_eq!(json(&db, &["outbox"])["held_since"], Value::Null);
    let again = json(&db, &["workflow", "resume-all"]);
    assert_eq!(again["released_outbox"], false);
    assert_eq!(again["changed"], serde_json::json!([]));
}

#[test]
fn absurd_spans_on_the_command_line_are_refused_with_a_clear_message() {
    let (dir, db) = setup();
    let o = cairn(
        &db,
        &[
            "account",
            "add",
            "stripe",
            "Shop",
            "--poll-every",
            "999999999d",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("--poll-every: \"999999999d\" is longer than the longest interval, 7d"),
        "{}",
        o.stderr
    );
    let o = cairn(
        &db,
        &["account", "add", "stripe", "Shop", "--poll-every", "30d"],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("longer than the longest interval, 604800 s (7 days)"),
        "{}",
        o.stderr
    );
    let o = cairn(&db, &["db", "retention", "999999999"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("at most 36500 days"), "{}", o.stderr);

    let wf = dir.path().join("w.json");
    std::fs::write(
        &wf,
        r#"{"format":"cairn.workflow","version":1,"name":"W","nodes":[
            {"id":"t","position":{"x":0,"y":0},"kind":"trigger.manual","config":{}}]}"#,
    )
    .unwrap();
    for (span, words) in [
        (
            "20000d",
            "--for: at most 3653d (10 years) can be simulated, not 20000d",
        ),
        (
            "99999999999d",
            "--for: expected a duration of at most 36600d (100 years)",
        ),
    ] {
        let o = cairn(
            &db,
            &[
                "simulate",
                wf.to_str().unwrap(),
                "--contact",
                "a@b.c",
                "--for",
                span,
            ],
        );
        assert_eq!(o.code, 1, "{}", o.stderr);
        assert!(o.stderr.contains(words), "{}", o.stderr);
    }
    let o = cairn(&db, &["run", "--for", "99999999999d"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("at most 36600d"), "{}", o.stderr);
}
