//! `cairn account`, run as a user would: the binary, a database file in a
//! temp dir, secrets piped on stdin, a real SMTP server on loopback
//! (aiosmtpd, the fixture of cairn-effects), the real OS keyring (Secret
//! Service on the D-Bus session bus) or the opt-in secrets file.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Env {
    dir: tempfile::TempDir,
    db: PathBuf,
    /// Extra environment for every run.
    vars: Vec<(String, String)>,
    /// Variables removed for every run.
    removed: Vec<String>,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cairn.db");
        let env = Env {
            dir,
            db,
            vars: vec![],
            removed: vec![],
        };
        assert_eq!(env.run(&["init"], "").code, 0);
        env
    }

    /// With the headless opt-in: secrets in `secrets.json` beside the database.
    fn with_secrets_file() -> (Env, PathBuf) {
        let mut env = Env::new();
        let file = env.dir.path().join("secrets.json");
        env.vars
            .push(("CAIRN_SECRETS_FILE".into(), file.display().to_string()));
        (env, file)
    }

    fn run(&self, args: &[&str], stdin: &str) -> Out {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cairn"));
        c.arg("--db")
            .arg(&self.db)
            .args(args)
            .env_remove("CAIRN_SECRETS_FILE");
        for k in &self.removed {
            c.env_remove(k);
        }
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        let mut child = c
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
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8(o.stdout).unwrap(),
            stderr: String::from_utf8(o.stderr).unwrap(),
        }
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let o = self.run(args, stdin);
        assert_eq!(o.code, 0, "cairn {args:?} failed: {}", o.stderr);
        o.stdout
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a, "")).unwrap()
    }

    /// Runs with `--json`, expects failure, returns the error object.
    fn error(&self, args: &[&str], stdin: &str) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let o = self.run(&a, stdin);
        assert_eq!(o.code, 1, "cairn {args:?} should fail: {}", o.stdout);
        serde_json::from_str::<Value>(o.stderr.trim()).unwrap()["error"].clone()
    }

    /// Every file beside the database (db, -wal, -shm), as bytes.
    fn database_bytes(&self) -> Vec<u8> {
        let mut all = vec![];
        for suffix in ["", "-wal", "-shm"] {
            if let Ok(b) = std::fs::read(format!("{}{suffix}", self.db.display())) {
                all.extend(b);
            }
        }
        all
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The SMTP fixture of cairn-effects, requiring a login.
struct Smtp {
    child: Child,
    port: u16,
}

impl Smtp {
    fn start(dir: &Path, user: &str, password: &str) -> Smtp {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../cairn-effects/tests/fixtures/smtp_server.py");
        let python = ["/usr/bin/python3", "python3"]
            .into_iter()
            .find(|p| {
                Command::new(p)
                    .args(["-c", "import aiosmtpd"])
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false)
            })
            .expect("a python3 with aiosmtpd (apt-get install python3-aiosmtpd)");
        let mut child = Command::new(python)
            .arg(script)
            .arg(dir.join("Maildir"))
            .args(["--user", user, "--password", password])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP fixture did not start: {line:?}"));
        Smtp { child, port }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_smtp_account_is_added_tested_listed_and_removed_with_its_secret_only_in_the_secrets_file() {
    let (env, secrets) = Env::with_secrets_file();
    let password = "Cli-Planted-Pw-7Yq";
    let smtp = Smtp::start(env.dir.path(), "ada", password);
    let port = smtp.port.to_string();
    let add = [
        "account",
        "add",
        "smtp",
        "Coach Mail",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--security",
        "none",
        "--from",
        "Ada Coach <ada@coach.test>",
        "--username",
        "ada",
        "--per-day",
        "2000",
        "--password-stdin",
    ];
    let out = env.ok(&add, &format!("{password}\n"));
    assert!(
        out.contains("account Coach Mail (smtp) added; its secret is in the secrets file"),
        "{out}"
    );
    let out = env.ok(&["account", "test", "coach mail"], "");
    assert!(
        out.contains("works: connected to 127.0.0.1") && out.contains("logged in as ada"),
        "{out}"
    );

    let list = env.json(&["account", "list"]);
    let a = &list["accounts"][0];
    assert_eq!(a["name"], "Coach Mail");
    assert_eq!(a["status"], "ok");
    assert_eq!(a["secret"]["state"], "stored");
    assert_eq!(a["settings"]["rate_per_day"], 2000);
    assert_eq!(a["settings"]["rate_per_second"], 1);
    assert_eq!(a["settings"]["owner"], "ada@coach.test");

    // The password is in the 0600 secrets file and nowhere in the database.
    let text = std::fs::read_to_string(&secrets).unwrap();
    assert!(text.contains(password));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&secrets).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(!contains(&env.database_bytes(), password));

    // A clash is refused and leaves the stored secret alone.
    let e = env.error(&add, "other-password\n");
    assert_eq!(e["code"], "conflict");
    assert!(
        std::fs::read_to_string(&secrets)
            .unwrap()
            .contains(password)
    );

    let out = env.ok(&["account", "remove", "Coach Mail"], "");
    assert!(out.contains("removed, with its secret"), "{out}");
    assert!(
        !std::fs::read_to_string(&secrets)
            .unwrap()
            .contains(password)
    );
    assert_eq!(
        env.json(&["account", "list"])["accounts"],
        serde_json::json!([])
    );
}

#[test]
fn a_failing_test_names_the_reason_and_marks_the_account() {
    let (env, _) = Env::with_secrets_file();
    let smtp = Smtp::start(env.dir.path(), "ada", "right");
    let port = smtp.port.to_string();
    env.ok(
        &[
            "account",
            "add",
            "smtp",
            "m",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--security",
            "none",
            "--from",
            "ada@coach.test",
            "--username",
            "ada",
            "--password-stdin",
        ],
        "wrong",
    );
    let e = env.error(&["account", "test", "m"], "");
    assert_eq!(e["code"], "account_unreachable");
    assert!(e["message"].as_str().unwrap().contains("535"), "{e}");
    let a = &env.json(&["account", "list"])["accounts"][0];
    assert_eq!(a["status"], "needs_attention");
}

#[test]
fn bad_input_is_named() {
    let (env, secrets) = Env::with_secrets_file();
    let e = env.error(
        &[
            "account",
            "add",
            "smtp",
            "m",
            "--host",
            "smtp.example.com",
            "--port",
            "587",
            "--security",
            "starttls",
            "--from",
            "nope",
        ],
        "",
    );
    assert_eq!(e["code"], "invalid_account_setting");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("account \"m\": from: \"nope\""),
        "{e}"
    );
    let e = env.error(
        &["account", "add", "slack", "team", "--webhook-url-stdin"],
        "",
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("no Slack webhook URL on standard input"),
        "{e}"
    );
    let e = env.error(&["account", "test", "ghost"], "");
    assert_eq!(e["code"], "not_found");

    // A secrets file others may read is refused, not used.
    std::fs::write(&secrets, "{}").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = env.error(
            &[
                "account",
                "add",
                "webhook",
                "hooks",
                "--signing-secret-stdin",
            ],
            "whsec",
        );
        assert_eq!(e["code"], "secrets_file_permissions");
        assert!(e["message"].as_str().unwrap().contains("chmod 600"), "{e}");
    }
}

#[test]
fn without_a_session_bus_adding_fails_with_how_to_fix_it_and_stores_nothing() {
    let mut env = Env::new();
    env.removed = vec!["DBUS_SESSION_BUS_ADDRESS".into(), "DISPLAY".into()];
    let url = "https://hooks.slack.com/services/T0/B0/NoBusToken";
    let e = env.error(
        &["account", "add", "slack", "team", "--webhook-url-stdin"],
        url,
    );
    assert_eq!(e["code"], "keyring_no_session_bus");
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("dbus-run-session") && msg.contains("CAIRN_SECRETS_FILE"),
        "{msg}"
    );
    assert!(!msg.contains("NoBusToken"));
    assert_eq!(
        env.json(&["account", "list"])["accounts"],
        serde_json::json!([])
    );
    assert!(!contains(&env.database_bytes(), "NoBusToken"));
}

#[test]
fn the_os_keyring_holds_what_the_cli_stores() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!(
            "this test needs a real Secret Service on a D-Bus session bus, and DBUS_SESSION_BUS_ADDRESS is not set. Run it as:\n\
             dbus-run-session -- bash -c 'export XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d); \
             echo -n testpw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test -p cairn-cli --test account'"
        );
    }
    let env = Env::new();
    let name = format!("cli-test-hooks-{}", std::process::id());
    let secret = "whsec_cli_planted_4Rt";
    let out = env.ok(
        &["account", "add", "webhook", &name, "--signing-secret-stdin"],
        secret,
    );
    assert!(out.contains("its secret is in the OS keyring"), "{out}");
    let lookup = || {
        let o = Command::new("secret-tool")
            .args(["lookup", "service", "cairn", "username", &name])
            .output()
            .expect("secret-tool (package libsecret-tools)");
        String::from_utf8(o.stdout).unwrap()
    };
    assert_eq!(lookup(), secret);
    assert!(
        env.ok(&["account", "test", &name], "")
            .contains("the signing secret is in the OS keyring and readable")
    );
    assert!(!contains(&env.database_bytes(), secret));
    env.ok(&["account", "remove", &name], "");
    assert_eq!(lookup(), "");
}

#[test]
fn an_smtp_account_takes_its_mailbox_with_its_own_password_and_removes_both_secrets() {
    let (env, secrets) = Env::with_secrets_file();
    let add = [
        "account",
        "add",
        "smtp",
        "Mail",
        "--host",
        "127.0.0.1",
        "--port",
        "2525",
        "--security",
        "none",
        "--from",
        "coach@coach.test",
        "--username",
        "coach",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        "1143",
        "--imap-security",
        "none",
        "--unsubscribe-via",
        "postmark",
        "--password-stdin",
        "--imap-password-stdin",
    ];
    // Two lines: the SMTP password, then the mailbox's.
    env.ok(&add, "smtp-pw-1\nimap-pw-2\n");
    let list = env.json(&["account", "list"]);
    let mail = list["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Mail")
        .unwrap_or_else(|| panic!("{list}"));
    let s = &mail["settings"];
    assert_eq!(s["imap"]["host"], "127.0.0.1", "{mail}");
    assert_eq!(s["imap"]["port"], 1143);
    assert_eq!(s["imap"]["username"], "coach", "--username by default");
    assert_eq!(s["imap"]["own_password"], true);
    assert_eq!(s["unsubscribe_via"], "postmark");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&secrets).unwrap()).unwrap();
    assert_eq!(file["mail"], "smtp-pw-1");
    assert_eq!(file["mail.imap"], "imap-pw-2");
    assert!(!contains(&env.database_bytes(), "imap-pw-2"));

    // A mailbox setting without a host is refused before anything is stored.
    let o = env.run(
        &[
            "account",
            "add",
            "smtp",
            "Other",
            "--host",
            "127.0.0.1",
            "--port",
            "25",
            "--security",
            "none",
            "--from",
            "a@b.test",
            "--imap-port",
            "993",
        ],
        "",
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("--imap-host"), "{}", o.stderr);

    env.ok(&["account", "remove", "Mail"], "");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&secrets).unwrap()).unwrap();
    assert!(
        file.get("mail").is_none() && file.get("mail.imap").is_none(),
        "{file}"
    );
}

#[test]
fn the_pool_size_and_send_limits_are_set_at_add_and_by_update_and_listed() {
    let (env, _secrets) = Env::with_secrets_file();
    env.ok(
        &[
            "account",
            "add",
            "smtp",
            "mail",
            "--host",
            "127.0.0.1",
            "--port",
            "2525",
            "--security",
            "none",
            "--from",
            "shop@coach.test",
            "--pool-size",
            "8",
        ],
        "",
    );
    let list = env.ok(&["account", "list"], "");
    assert!(
        list.contains("8 at a time; at most 1 per second, 500 per 24 hours"),
        "{list}"
    );
    let a = &env.json(&["account", "list"])["accounts"][0];
    assert_eq!(a["pool_size"], 8);
    assert_eq!(a["settings"]["pool_size"], 8);
    // Bounded at the door.
    let o = env.run(&["account", "update", "mail", "--pool-size", "65"], "");
    assert_eq!(o.code, 2, "{}", o.stderr);
    let out = env.ok(
        &[
            "account",
            "update",
            "mail",
            "--pool-size",
            "2",
            "--per-day",
            "2000",
        ],
        "",
    );
    assert!(
        out.contains("2 at a time; at most 1 per second, 2000 per 24 hours"),
        "{out}"
    );
    // A Slack account takes limits, not a pool.
    env.ok(
        &[
            "account",
            "add",
            "slack",
            "team",
            "--webhook-url-stdin",
            "--per-second",
            "1",
        ],
        "https://hooks.slack.com/services/T0/B0/abc\n",
    );
    let list = env.ok(&["account", "list"], "");
    assert!(list.contains("at most 1 per second"), "{list}");
    let e = env.error(&["account", "update", "team", "--pool-size", "4"], "");
    assert_eq!(e["code"], "invalid_account_setting");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("only an SMTP account"),
        "{e}"
    );
}
