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

/// The SMTP fixture of cairn-effects (aiosmtpd on loopback, requiring a
/// login), writing what it accepts to a Maildir; it stops when dropped.
struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Smtp {
    fn start(dir: &std::path::Path, user: &str, password: &str) -> Smtp {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../cairn-effects/tests/fixtures/smtp_server.py");
        // Debian's python3 has python3-aiosmtpd; a pyenv shim on PATH may not.
        let python = std::env::var("CAIRN_TEST_PYTHON").unwrap_or_else(|_| {
            if std::path::Path::new("/usr/bin/python3").exists() {
                "/usr/bin/python3".into()
            } else {
                "python3".into()
            }
        });
        let maildir = dir.join("Maildir");
        let mut child = Command::new(python)
            .arg(script)
            .arg(&maildir)
            .args(["--user", user, "--password", password])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (apt-get install python3-aiosmtpd)");
        // It prints its port once it listens: reading that line is the wait.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP fixture did not start: {line:?}"));
        Smtp {
            child,
            port,
            maildir,
        }
    }

    /// Every message accepted so far, as text.
    fn messages(&self) -> Vec<String> {
        std::fs::read_dir(self.maildir.join("new"))
            .map(|rd| {
                rd.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A dry run works on a snapshot copy: it sends nothing and leaves the
/// database as it was, so the live run after it still starts the run and
/// sends the real email for the same purchase.
#[test]
fn a_dry_run_leaves_the_purchase_to_the_live_run_that_sends() {
    let env = Env::new();
    let password = "Run-Smtp-Pw-4Kd";
    let smtp = Smtp::start(env.dir.path(), "coach", password);
    let port = smtp.port.to_string();
    env.ok(
        &[
            "account",
            "add",
            "smtp",
            "Mail",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--security",
            "none",
            "--from",
            "Coach <coach@coach.test>",
            "--username",
            "coach",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    env.workflow(json!({
        "format": "cairn.workflow", "version": 1, "name": "Receipts",
        "nodes": [
            node("t", "trigger.event", json!({"event_type": "purchase"})),
            node("e", "action.send_email", json!({"template": "receipt", "account": "Mail"})),
            node("tag", "action.add_tag", json!({"tag": "receipted"}))
        ],
        "edges": [{"from": "t", "to": "e"}, {"from": "e", "to": "tag"}],
        "email_templates": [{"name": "receipt", "subject": "Your receipt for {{ trigger.product }}", "body": "Thank you."}]
    }));
    env.purchase("ada@example.com");

    let (seen, stderr) = env.run_until_ended(&["--dry-run", "--no-sync"], 1);
    assert!(
        stderr.contains("running over a snapshot copy of"),
        "{stderr}"
    );
    let summary = seen.last().unwrap();
    assert_eq!(summary["dry_run"], "snapshot", "{seen:?}");
    assert_eq!(summary["runs_ended"], 1, "{seen:?}");
    assert_eq!(smtp.messages(), Vec::<String>::new());
    // The database is as it was: no run, no tag, and no snapshot left behind.
    assert_eq!(env.json(&["runs", "Receipts"])["runs"], json!([]));
    let ada = env.json(&["contact", "show", "ada@example.com"]);
    assert!(!ada.to_string().contains("receipted"), "{ada}");
    let left: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".cairn-dry-run-"))
        .collect();
    assert_eq!(left, Vec::<String>::new());

    // The live run takes the same purchase and really sends.
    let (seen, _) = env.run_until_ended(&["--no-sync"], 1);
    let summary = seen.last().unwrap();
    assert_eq!(summary["runs_started"], 1, "{seen:?}");
    assert!(summary.get("dry_run").is_none(), "{seen:?}");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].contains("X-RcptTo: ada@example.com"),
        "{}",
        mails[0]
    );
    assert!(
        mails[0].contains("Subject: Your receipt for Program A"),
        "{}",
        mails[0]
    );
    let runs = env.json(&["runs", "Receipts"]);
    assert_eq!(runs["runs"][0]["status"], "completed", "{runs}");
}
