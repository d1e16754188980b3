//! `cairn account add stripe|json-feed …`, `cairn sync` and `cairn account
//! list|test|secret` for accounts polled for events, run as a user would:
//! the binary, a database in a temp dir, the key piped on stdin into the
//! opt-in secrets file, and a Stripe-shaped server on loopback (wiremock)
//! answering with the fixtures of cairn-connectors.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Env {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cairn.db");
        let env = Env { dir, db };
        assert_eq!(env.run("2026-03-02T08:00:00Z", &["init"], "").code, 0);
        env
    }

    /// Runs the binary at the instant `now` (CAIRN_NOW) with `stdin`.
    fn run(&self, now: &str, args: &[&str], stdin: &str) -> Out {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env("CAIRN_NOW", now)
            .env("CAIRN_SECRETS_FILE", self.dir.path().join("secrets.json"))
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
        let out = child.wait_with_output().unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

fn fixture(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../cairn-connectors/tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_from_add_to_sync_list_and_a_revoked_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(header("authorization", "Bearer sk_test_cli_good_01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("stripe_events_page2.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(header("authorization", "Bearer sk_test_cli_revoked"))
        .respond_with(ResponseTemplate::new(401).set_body_json(fixture("stripe_error_401.json")))
        .mount(&server)
        .await;
    let env = Env::new();
    let t0 = "2026-03-02T08:00:00Z";
    let uri = server.uri();

    // Bad input is named before anything is stored.
    let o = env.run(
        t0,
        &[
            "account",
            "add",
            "stripe",
            "Shop",
            "--base-url",
            &uri,
            "--api-key-stdin",
            "--poll-every",
            "5s",
        ],
        "sk_test_cli_good_01\n",
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("poll_every: 5 s is shorter than the shortest interval, 30 s"),
        "{}",
        o.stderr
    );
    let o = env.run(
        t0,
        &["account", "add", "stripe", "Shop", "--base-url", &uri],
        "",
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("needs its secret: pipe it in with --api-key-stdin"),
        "{}",
        o.stderr
    );
    let o = env.run(
        t0,
        &[
            "account",
            "add",
            "json-feed",
            "Feed",
            "--url",
            "https://feed.example/e",
            "--id",
            "id",
            "--time",
            "/t",
            "--event-type",
            "x.y",
        ],
        "",
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("account \"Feed\": id: \"id\" is not a JSON pointer"),
        "{}",
        o.stderr
    );

    for (name, key) in [
        ("Shop", "sk_test_cli_good_01"),
        ("Revoked", "sk_test_cli_revoked"),
    ] {
        let o = env.run(
            t0,
            &[
                "account",
                "add",
                "stripe",
                name,
                "--base-url",
                &uri,
                "--api-key-stdin",
                "--poll-every",
                "2m",
            ],
            &format!("{key}\n"),
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(
            o.stdout.contains(&format!(
                "account {name} (stripe) added; its secret is in the secrets file"
            )),
            "{}",
            o.stdout
        );
    }
    let o = env.run(t0, &["account", "test", "Shop"], "");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("works: Stripe accepted the API key"),
        "{}",
        o.stdout
    );

    // All accounts: one syncs, the revoked one needs attention.
    let o = env.run("2026-03-02T09:05:00Z", &["sync"], "");
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.contains("Shop (stripe): 1 new, 0 duplicates, 0 ignored (1 request); next poll 2026-03-02 09:07:00 UTC"), "{}", o.stdout);
    assert!(o.stdout.contains("Revoked (stripe): needs attention: account \"Revoked\": Stripe refused the credentials (HTTP 401)"), "{}", o.stdout);
    assert!(!o.stdout.contains("sk_test_cli_revoked"), "{}", o.stdout);
    assert!(
        o.stderr.contains("1 account could not be synced"),
        "{}",
        o.stderr
    );

    // Again: the purchase is a duplicate, the revoked account is not asked.
    let o = env.run("2026-03-02T09:10:00Z", &["sync"], "");
    assert!(
        o.stdout.contains("Shop (stripe): 0 new, 1 duplicate,"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("(not polled; fix it, then `cairn account test Revoked`)"),
        "{}",
        o.stdout
    );
    let revoked_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| {
            r.headers
                .get("authorization")
                .is_some_and(|v| v == "Bearer sk_test_cli_revoked")
        })
        .count();
    assert_eq!(revoked_calls, 1);

    let o = env.run("2026-03-02T09:10:00Z", &["account", "list"], "");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("last sync 2026-03-02 09:10:00 UTC; read up to 5 min ago; next poll 2026-03-02 09:12:00 UTC (every 2 min)"), "{}", o.stdout);
    assert!(
        o.stdout.contains("never synced; not polled until fixed"),
        "{}",
        o.stdout
    );
    let o = env.run("2026-03-02T09:10:00Z", &["--json", "account", "list"], "");
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    let shop = &v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Shop")
        .unwrap()
        .clone();
    assert_eq!(shop["sync"]["cursor_age_secs"], 300);

    // A new key: the account is polled again.
    let o = env.run(
        "2026-03-02T09:11:00Z",
        &["account", "secret", "Revoked"],
        "sk_test_cli_good_01\n",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = env.run("2026-03-02T09:11:00Z", &["--json", "sync", "Revoked"], "");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["accounts"][0]["status"], "synced");
    // Each account is its own source: its first poll stores the purchase.
    assert_eq!(v["accounts"][0]["new"], 1);
}

/// `cairn run` polls beside the executor: a purchase at the Stripe-shaped
/// server starts the "Program A" workflow, and SIGTERM stops both cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cairn_run_polls_and_a_purchase_starts_its_workflow() {
    use std::io::{BufRead, BufReader};

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("stripe_events_page2.json")))
        .mount(&server)
        .await;
    let env = Env::new();
    let t0 = "2026-03-02T08:00:00Z";
    let wf = env.dir.path().join("program-a.json");
    std::fs::write(
        &wf,
        serde_json::json!({
            "format": "cairn.workflow", "version": 1, "name": "Program A onboarding",
            "nodes": [
                {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.purchase_completed",
                 "config": {"filters": [{"path": "product", "op": "eq", "value": "Program A"}]}},
                {"id": "a", "position": {"x": 0, "y": 100}, "kind": "action.add_tag", "config": {"tag": "program-a"}}
            ],
            "edges": [{"from": "t", "exit": "next", "to": "a"}]
        })
        .to_string(),
    )
    .unwrap();
    let o = env.run(t0, &["workflow", "import", wf.to_str().unwrap()], "");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = env.run(t0, &["workflow", "activate", "Program A onboarding"], "");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = env.run(
        t0,
        &[
            "account",
            "add",
            "stripe",
            "Shop",
            "--base-url",
            &server.uri(),
            "--api-key-stdin",
        ],
        "sk_test_cli_good_01\n",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);

    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--db")
        .arg(&env.db)
        .args(["run"])
        .env("CAIRN_NOW", "2026-03-02T09:05:00Z")
        .env("CAIRN_SECRETS_FILE", env.dir.path().join("secrets.json"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = vec![];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !seen.iter().any(|l: &String| l.contains("completed")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => seen.push(l),
            Err(_) => {
                let _ = child.kill();
                panic!("no run completed; output so far: {seen:?}");
            }
        }
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    while let Ok(l) = rx.recv_timeout(std::time::Duration::from_secs(5)) {
        seen.push(l);
    }
    assert!(status.success(), "{status:?} {seen:?}");
    assert!(
        seen.iter().any(|l| l == "synced Shop: 1 new events"),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|l| l.starts_with("run 1 started")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.starts_with("stopped (interrupted): 1 runs started")),
        "{seen:?}"
    );
    let o = env.run(t0, &["--json", "contact", "show", "ada@example.com"], "");
    assert!(o.stdout.contains("program-a"), "{}", o.stdout);
}

/// A JSON feed without an auth header has no secret: `cairn sync` polls it
/// on a machine with no session bus (no keyring reachable), while a feed
/// with a header, in the same environment, fails on the keyring — the
/// proof that the vault really is out of reach there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_without_an_auth_header_syncs_without_a_keyring() {
    let server = MockServer::start().await;
    let page = serde_json::json!([
        {"id": "f-1", "at": "2026-03-02T08:30:00Z", "email": "ada@example.com"},
        {"id": "f-2", "at": "2026-03-02T08:40:00Z", "email": "bob@example.com"}
    ]);
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .mount(&server)
        .await;
    let env = Env::new();
    let t0 = "2026-03-02T08:00:00Z";
    let url = format!("{}/feed", server.uri());
    let feed = |name: &'static str, auth: Option<&'static str>| {
        let mut args = vec![
            "account",
            "add",
            "json-feed",
            name,
            "--url",
            &url,
            "--id",
            "/id",
            "--time",
            "/at",
            "--email",
            "/email",
            "--event-type",
            "feed.item",
        ];
        match auth {
            Some(h) => args.extend(["--auth-header", h, "--api-key-stdin"]),
            None => args.extend(["--poll-every", "30s"]),
        }
        let o = env.run(t0, &args, "feed-key-0001\n");
        assert_eq!(o.code, 0, "{}", o.stderr);
    };
    feed("Public", None);
    feed("Private", Some("X-Key"));

    // No session bus, no X display to autolaunch one, no secrets file:
    // the OS keyring cannot be reached.
    let no_bus = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .arg("--db")
            .arg(&env.db)
            .args(args)
            .env("CAIRN_NOW", "2026-03-02T09:05:00Z")
            .env_remove("CAIRN_SECRETS_FILE")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("XDG_RUNTIME_DIR")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let stdout = no_bus(&["--json", "sync"]);
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let report = |name: &str| {
        v["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account"] == name)
            .unwrap_or_else(|| panic!("no report for {name}: {v}"))
            .clone()
    };
    let public = report("Public");
    assert_eq!(public["status"], "synced", "{public}");
    assert_eq!(public["new"], 2, "{public}");
    let private = report("Private");
    assert_ne!(private["status"], "synced", "{private}");
    assert!(
        private.to_string().contains("keyring_no_session_bus"),
        "{private}"
    );

    // The list says the public feed needs no secret (without asking the
    // vault), its interval in seconds, and the keyring's long message once
    // although both the failed poll and the secret lookup hit it.
    let list = no_bus(&["account", "list"]);
    assert!(
        list.contains("no secret needed") && list.contains("(every 30 s)"),
        "{list}"
    );
    assert_eq!(list.matches("no D-Bus session bus").count(), 1, "{list}");
    assert!(
        list.contains("secret unknown (the vault cannot be asked, see above)"),
        "{list}"
    );
    let v: Value = serde_json::from_str(&no_bus(&["--json", "account", "list"])).unwrap();
    assert_eq!(v["accounts"][0]["name"], "Private", "{v}");
    assert_eq!(v["accounts"][0]["secret"]["state"], "unknown", "{v}");
    assert_eq!(
        v["accounts"][1]["secret"],
        serde_json::json!({"state": "not_needed"})
    );
    assert_eq!(v["accounts"][1]["sync"]["poll_every_secs"], 30);

    // The events landed in the database, each on its contact.
    for email in ["ada@example.com", "bob@example.com"] {
        let o = env.run(t0, &["--json", "contact", "show", email], "");
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stdout.contains("feed.item"), "{}", o.stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thinkific_school_is_added_tested_linked_to_a_course_and_polled() {
    use cairn_connectors::testing::{FakeThinkific, THINKIFIC_KEY};
    let school = FakeThinkific::start().await;
    let env = Env::new();
    let now = "2026-03-02T08:00:00Z";
    let add = env.run(
        now,
        &[
            "account",
            "add",
            "thinkific",
            "School",
            "--subdomain",
            "Coach",
            "--base-url",
            &school.uri(),
            "--api-key-stdin",
        ],
        THINKIFIC_KEY,
    );
    assert_eq!(add.code, 0, "{}", add.stderr);
    let test = env.run(now, &["account", "test", "School"], "");
    assert_eq!(test.code, 0, "{}", test.stderr);
    assert!(
        test.stdout
            .contains("Thinkific accepted the API key for coach"),
        "{}",
        test.stdout
    );

    // Only a course platform can hold a course; ids are plain.
    env.run(now, &["account", "add", "webhook", "Hook"], "");
    let wrong = env.run(
        now,
        &[
            "course",
            "link",
            "Program A",
            "--account",
            "Hook",
            "--platform-id",
            "1",
        ],
        "",
    );
    assert_eq!(wrong.code, 1, "{}", wrong.stdout);
    let bad_id = env.run(
        now,
        &[
            "course",
            "link",
            "Program A",
            "--account",
            "School",
            "--platform-id",
            "8801; DROP",
        ],
        "",
    );
    assert_eq!(bad_id.code, 1);
    assert!(
        bad_id.stderr.contains("may hold only letters"),
        "{}",
        bad_id.stderr
    );

    let link = env.run(
        now,
        &[
            "course",
            "link",
            "Program A",
            "--account",
            "School",
            "--platform-id",
            "8801",
        ],
        "",
    );
    assert_eq!(link.code, 0, "{}", link.stderr);
    assert_eq!(link.stdout.trim(), "Program A: on School as course 8801");
    env.run(now, &["course", "link", "Workbook", "--local"], "");
    let list = env.run(now, &["course", "list"], "");
    assert_eq!(
        list.stdout,
        "Program A: on School as course 8801\nWorkbook: recorded in Cairn only\n"
    );

    school.set_progress("ada@example.com", 8801, 0.25, None, "2026-03-02T09:00:00Z");
    let sync = env.run("2026-03-02T10:00:00Z", &["--json", "sync", "School"], "");
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    let v: Value = serde_json::from_str(&sync.stdout).unwrap();
    assert_eq!(v["accounts"][0]["new"], 1, "{v}");
}
