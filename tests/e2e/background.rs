//! Cairn in the background, with the real app under Xvfb: closing the window
//! (the way a window manager asks) keeps the executor running — an event
//! written by the `cairn` CLI still runs its workflow to the end — and
//! starting the app a second time over the same database hands over to the
//! first, which shows its window again, and exits.

use std::io::{BufRead, BufReader};
use std::os::raw::c_ulong;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cairn_store::Store;
use cairn_store::workflows::WorkflowStatus;
use chrono::TimeZone;

use crate::harness::{APP_BINARY, App, Launch, TIMEOUT};
use crate::x11::X;

const PING: &str = r#"{
  "format": "cairn.workflow",
  "version": 1,
  "name": "Ping pong",
  "nodes": [
    {"id": "ping", "kind": "trigger.event", "position": {"x": 0, "y": 0}, "config": {"event_type": "ping"}},
    {"id": "pong", "kind": "action.add_tag", "position": {"x": 0, "y": 120}, "config": {"tag": "pong"}}
  ],
  "edges": [{"from": "ping", "exit": "next", "to": "pong"}]
}"#;

fn jan_fifth() -> cairn_model::Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

/// The `cairn` CLI. A workspace test run (`./scripts/test`, `cargo test
/// --workspace`) has built it beside this test's own executable for the CLI's
/// tests; a run of this test alone builds it here. (Building it here in every
/// case would compile the CLI's dependencies again with its own feature set:
/// minutes on a busy 2-core machine.)
fn cairn_cli() -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("cairn")));
    if let Some(path) = beside.filter(|p| p.is_file()) {
        return path;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "build",
            "-p",
            "cairn-cli",
            "--bin",
            "cairn",
            "--message-format=json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "the cairn CLI did not build");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "cairn")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the cairn executable")
}

/// `cairn event emit ping --contact EMAIL` over `db`, as another process
/// beside the app would; fails the test with the CLI's message.
fn emit_ping(cli: &Path, db: &Path, email: &str) {
    let out = Command::new(cli)
        .args(["--db", db.to_str().unwrap(), "event", "emit", "ping"])
        .args(["--contact", email])
        .env_remove("CAIRN_NOW")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The pid of the `cairn-app` process whose `CAIRN_DB` is `db`.
fn app_pid(db: &Path) -> Option<u32> {
    let exe = std::fs::canonicalize(APP_BINARY).ok()?;
    let want = format!("CAIRN_DB={}", db.display());
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if std::fs::read_link(entry.path().join("exe")).ok() != Some(exe.clone()) {
            continue;
        }
        let env = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if env.split(|b| *b == 0).any(|v| v == want.as_bytes()) {
            return Some(pid);
        }
    }
    None
}

/// Alive and not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z'))
                .unwrap_or(false)
        })
        .unwrap_or(false)
}

async fn wait_for(app: &App, what: &str, mut f: impl FnMut() -> bool) {
    app.wait_until(what, || {
        let ok = f();
        async move { ok }
    })
    .await;
}

/// The app's main window, once it is mapped.
async fn main_window(app: &App, x: &X, pid: u32) -> c_ulong {
    let mut found = None;
    wait_for(app, "the app's window on the X display", || {
        found = x.find(pid, "Cairn").filter(|w| x.visible(*w));
        found.is_some()
    })
    .await;
    found.expect("found above")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_window_keeps_the_executor_running() {
    let cli = cairn_cli();
    let launch = Launch::new("background_close");
    {
        let mut s = launch.store();
        let w = s.import_workflow(PING, false, jan_fifth()).unwrap();
        s.set_workflow_status(&w.name, WorkflowStatus::Active, jan_fifth())
            .unwrap();
    }
    let app = launch.launch().await;
    let db = app.db_path();
    let pid = app_pid(&db).expect("the app's process");
    let x = X::open();
    let window = main_window(&app, &x, pid).await;

    // The user closes the window.
    x.request_close(window);
    wait_for(&app, "the window to hide", || !x.visible(window)).await;
    app.screenshot("background_close_hidden").await.ok();

    // Another process writes an event into the same database.
    emit_ping(&cli, &db, "ada@example.com");

    // The app's executor, window closed, runs the workflow to its end.
    let store = Store::open(&db).unwrap();
    let done = || -> bool {
        store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM runs r JOIN contacts c ON c.id = r.contact_id
                 JOIN contact_tags ct ON ct.contact_id = c.id JOIN tags t ON t.id = ct.tag_id
                 WHERE c.email = 'ada@example.com' AND r.status = 'completed' AND t.name = 'pong'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap_or(0)
            == 1
    };
    wait_for(&app, "the run to complete with the window closed", done).await;
    assert!(alive(pid), "the app process is still running");
    assert!(!x.visible(window), "the window stayed closed");
    app.close().await;
}

/// A private session bus for the single-instance handshake, so this test
/// meets no other app (and needs no desktop session).
struct SessionBus {
    child: Child,
    address: String,
}

impl SessionBus {
    fn start() -> SessionBus {
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (the dbus package) starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_string();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        SessionBus { child, address }
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_shows_the_running_app_and_exits() {
    let bus = SessionBus::start();
    let launch = Launch::new("background_second").env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let app = launch.launch().await;
    let db = app.db_path();
    let pid = app_pid(&db).expect("the app's process");
    let x = X::open();
    let window = main_window(&app, &x, pid).await;
    x.request_close(window);
    wait_for(&app, "the window to hide", || !x.visible(window)).await;

    // The user starts Cairn again (from the menu, or a login item).
    let xdg = app.dir().join("xdg");
    let mut second = Command::new(APP_BINARY)
        .env("CAIRN_DB", &db)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .env("XDG_DATA_HOME", xdg.join("data"))
        .env("XDG_CONFIG_HOME", xdg.join("config"))
        .env("XDG_CACHE_HOME", xdg.join("cache"))
        .env("NO_AT_BRIDGE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(s) = second.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("the second start did not exit within {TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        status.success(),
        "the second start exits cleanly: {status:?}"
    );
    wait_for(&app, "the first app's window to show again", || {
        x.visible(window)
    })
    .await;
    assert!(alive(pid), "the first app is still the one running");
    assert_eq!(
        app_pid(&db),
        Some(pid),
        "no other app runs over the database"
    );
    app.screenshot("background_second_shown").await.ok();
    app.close().await;
}

fn contacts_in(db: &Path) -> i64 {
    Store::open(db)
        .unwrap()
        .conn()
        .query_row("SELECT COUNT(*) FROM contacts", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_start_at_login_retention_backup_and_restore() {
    let home = tempfile::tempdir().unwrap();
    let launch = Launch::new("background_settings").env("HOME", home.path().to_str().unwrap());
    {
        let mut s = launch.store();
        let w = s.import_workflow(PING, false, jan_fifth()).unwrap();
        s.set_workflow_status(&w.name, WorkflowStatus::Active, jan_fifth())
            .unwrap();
        s.write(|tx| {
            cairn_store::contacts::ensure_using(tx, "kept@example.com", "test", jan_fifth())
        })
        .unwrap();
    }
    let app = launch.launch().await;
    let db = app.db_path();
    app.click("nav a[href='#/settings']").await;
    app.wait_for_text("[data-testid=db-tables]", "workflows")
        .await;
    app.wait_for_text(
        "[data-testid=background-running]",
        "Workflows run in this app.",
    )
    .await;

    // Start at login: an XDG autostart entry that starts Cairn in the tray.
    let entry = home.path().join(".config/autostart/Cairn.desktop");
    app.click("[data-testid=autostart]").await;
    wait_for(&app, "the autostart entry", || entry.is_file()).await;
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(text.contains("--background"), "{text}");
    assert!(text.contains("Exec="), "{text}");
    app.click("[data-testid=autostart]").await;
    wait_for(&app, "the autostart entry to go", || !entry.exists()).await;

    // Retention is stored with the database.
    let days = app
        .client()
        .find(fantoccini::Locator::Css("[data-testid=retention-days]"))
        .await
        .unwrap();
    days.clear().await.unwrap();
    days.send_keys("30").await.unwrap();
    app.click("[data-testid=save-retention]").await;
    wait_for(&app, "retention saved", || {
        Store::open(&db).unwrap().retention_days().unwrap() == 30
    })
    .await;
    // The card re-reads the database after the retention save; "Clean up
    // now" is disabled until it has, then one click cleans up.
    app.wait_until("Clean up now to be enabled", || async {
        match app
            .client()
            .find(fantoccini::Locator::Css("[data-testid=maintain-now]"))
            .await
        {
            Ok(b) => b.is_enabled().await.unwrap_or(false),
            Err(_) => false,
        }
    })
    .await;
    app.click("[data-testid=maintain-now]").await;
    app.wait_for_text("[data-testid=maintain-result]", "given back")
        .await;

    // A backup through the save dialog's path.
    let backup = app.dir().join("monday.cairn");
    crate::editor::queue_picked_path(&app, &backup).await;
    app.click("[data-testid=backup-now]").await;
    app.wait_for_text("[data-testid=backup-result]", "monday.cairn")
        .await;
    let info = cairn_store::hygiene::inspect_backup(&backup).unwrap();
    assert_eq!((info.workflows, info.contacts), (1, 1));

    // Life goes on, then the backup is restored.
    Store::open(&db)
        .unwrap()
        .write(|tx| {
            cairn_store::contacts::ensure_using(tx, "later@example.com", "test", jan_fifth())
        })
        .unwrap();
    assert_eq!(contacts_in(&db), 2);
    crate::editor::queue_picked_path(&app, &backup).await;
    app.click("[data-testid=restore-start]").await;
    app.wait_for_text(
        "[data-testid=restore-confirm]",
        "holds 1 contact, 1 workflow",
    )
    .await;
    app.click("[data-testid=restore-confirm-yes]").await;
    app.wait_for_text("[data-testid=restore-result]", "before-restore")
        .await;
    assert_eq!(contacts_in(&db), 1, "the backup's contacts");
    app.screenshot("background_settings_restored").await.ok();

    // The executor was started again over the restored database, on hold:
    // the workflow paused, the outbox held, until Resume all.
    app.wait_for_text("[data-testid=restore-held]", "Every workflow is paused")
        .await;
    app.wait_until("the executor to run again", || async {
        app.text_of("[data-testid=background-running]")
            .await
            .is_some_and(|t| t.contains("Workflows run in this app."))
    })
    .await;
    let store = Store::open(&db).unwrap();
    assert!(store.outbox_held_since().unwrap().is_some());
    assert_eq!(
        store.workflows().unwrap()[0].status,
        WorkflowStatus::Paused,
        "paused by the restore"
    );
    app.click("[data-testid=restore-resume-all]").await;
    app.wait_for_text("[data-testid=restore-resumed]", "Resumed")
        .await;
    assert_eq!(store.outbox_held_since().unwrap(), None);
    assert_eq!(store.workflows().unwrap()[0].status, WorkflowStatus::Active);
    emit_ping(&cairn_cli(), &db, "after@example.com");
    wait_for(&app, "a run after the restore", || {
        store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM runs WHERE status = 'completed'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap_or(0)
            == 1
    })
    .await;
    app.close().await;
}
