//! `cairn run` as a user runs it: the binary over a database file in a temp
//! dir, events emitted while it was stopped, its stdout read line by line
//! and SIGTERM to stop it; a real SMTP server on loopback (aiosmtpd, the
//! fixture of cairn-effects) where mail would leave.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const NOW: &str = "2026-03-02T09:00:00Z";

struct Env {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cairn.db");
        let env = Env { dir, db };
        env.ok(&["init"], "");
        env
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cairn"));
        c.arg("--db")
            .arg(&self.db)
            .args(args)
            .env("CAIRN_NOW", NOW)
            .env("CAIRN_SECRETS_FILE", self.dir.path().join("secrets.json"));
        c
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "cairn {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a, "")).unwrap()
    }

    /// Imports and activates a workflow given as the JSON of its file.
    fn workflow(&self, def: Value) {
        let file = self.dir.path().join("workflow.json");
        std::fs::write(&file, def.to_string()).unwrap();
        self.ok(&["workflow", "import", file.to_str().unwrap()], "");
        let name = def["name"].as_str().unwrap();
        self.ok(&["workflow", "activate", name], "");
    }

    fn purchase(&self, email: &str) {
        self.ok(
            &[
                "event",
                "emit",
                "purchase",
                "--contact",
                email,
                "--data",
                r#"{"product": "Program A"}"#,
            ],
            "",
        );
    }

    /// Starts `cairn --json run ARGS`, waits until `runs` runs have ended,
    /// stops it with SIGTERM, and returns every line it printed on stdout
    /// and on stderr.
    fn run_until_ended(&self, args: &[&str], runs: usize) -> (Vec<Value>, String) {
        let mut a = vec!["--json", "run"];
        a.extend_from_slice(args);
        let mut child = self
            .command(&a)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let rx = lines(&mut child);
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let mut seen: Vec<Value> = vec![];
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen.iter().filter(|c| c["type"] == "run_ended").count() < runs {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) => seen.push(
                    serde_json::from_str(&l).unwrap_or_else(|e| panic!("{e}: {l:?} {seen:?}")),
                ),
                Err(_) => {
                    let _ = child.kill();
                    panic!("fewer than {runs} runs ended; printed: {seen:?}");
                }
            }
        }
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        while let Ok(l) = rx.recv() {
            seen.push(serde_json::from_str(&l).unwrap());
        }
        let stderr = stderr.join().unwrap();
        assert!(child.wait().unwrap().success(), "{seen:?} {stderr}");
        (seen, stderr)
    }
}

/// The child's stdout, line by line, on a channel (closed at its end).
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

fn node(id: &str, kind: &str, config: Value) -> Value {
    json!({"id": id, "kind": kind, "position": {"x": 0, "y": 0}, "config": config})
}

/// Work found at start-up (events that arrived while `cairn run` was
/// stopped) is printed line by line and counted in the summary.
#[test]
fn runs_started_at_start_up_are_printed_and_counted() {
    let env = Env::new();
    env.workflow(json!({
        "format": "cairn.workflow", "version": 1, "name": "Buyers",
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "purchase"})),
            node("tag", "action.add_tag", json!({"tag": "buyer"}))
        ],
        "edges": [{"from": "t", "to": "tag"}]
    }));
    env.purchase("ada@example.com");
    env.purchase("bob@example.com");

    let (seen, _) = env.run_until_ended(&["--no-sync"], 2);
    let count = |t: &str| seen.iter().filter(|c| c["type"] == t).count() as u64;
    assert_eq!(count("run_started"), 2, "{seen:?}");
    let summary = seen.last().unwrap();
    assert_eq!(summary["reason"], "interrupted", "{seen:?}");
    assert_eq!(summary["runs_started"], 2, "{seen:?}");
    assert_eq!(summary["runs_ended"], 2, "{seen:?}");
    assert_eq!(summary["steps"], count("step"), "{seen:?}");
    assert!(count("step") >= 4, "{seen:?}");
    let ada = env.json(&["contact", "show", "ada@example.com"]);
    assert!(ada.to_string().contains("buyer"), "{ada}");
}
