//! Real parts for the tests: an SMTP server on loopback (aiosmtpd, started
//! from `tests/fixtures/smtp_server.py`), certificates made with the openssl
//! CLI, a database file in a temp dir, outbox entries as the engine makes
//! them.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use cairn_effects::notify::Notifier;
use cairn_effects::settings::{SmtpSecurity, SmtpSettings};
use cairn_effects::{Effects, Vault, accounts};
use cairn_engine::{Engine, OutboxEntry, SendOutcome};
use cairn_model::effect::{DesktopNotice, Effect, EmailMessage, RunMode};
use cairn_model::event::NewEvent;
use cairn_model::{Sensitive, Timestamp};
use cairn_store::Store;
use cairn_store::workflows::WorkflowStatus;
use chrono::TimeZone;
use serde_json::Value;

pub fn t0() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// A Python that has aiosmtpd: `CAIRN_TEST_PYTHON`, Debian's
/// `/usr/bin/python3` (package python3-aiosmtpd), or `python3` on PATH.
fn python() -> String {
    let mut candidates = vec![];
    if let Ok(p) = std::env::var("CAIRN_TEST_PYTHON") {
        candidates.push(p);
    }
    candidates.push("/usr/bin/python3".into());
    candidates.push("python3".into());
    for c in &candidates {
        let ok = Command::new(c)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            return c.clone();
        }
    }
    panic!(
        "no Python with aiosmtpd found (tried {candidates:?}); install it (`apt-get install python3-aiosmtpd` \
         or `pip install aiosmtpd`) or point CAIRN_TEST_PYTHON at a python that has it"
    );
}

#[derive(Default)]
pub struct SmtpOptions {
    /// (certificate chain PEM, key PEM): STARTTLS required, or TLS from
    /// the first byte with `implicit_tls`.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub implicit_tls: bool,
    /// (user, password): AUTH required.
    pub login: Option<(String, String)>,
}

/// An aiosmtpd server writing to a Maildir, stopped when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start(opts: SmtpOptions) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("Maildir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp_server.py");
        let mut cmd = Command::new(python());
        cmd.arg(&script).arg(&maildir);
        if let Some((cert, key)) = &opts.tls {
            cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
            if opts.implicit_tls {
                cmd.arg("--implicit-tls");
            }
        }
        if let Some((user, pw)) = &opts.login {
            cmd.args(["--user", user, "--password", pw]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP fixture");
        // The server prints its port once it listens: reading that line is
        // the wait (no sleep). EOF means it died; its stderr says why.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP fixture did not start (it printed {line:?})"));
        TcpStream::connect(("127.0.0.1", port)).expect("the SMTP fixture accepts connections");
        SmtpServer {
            child,
            port,
            maildir,
            _dir: dir,
        }
    }

    /// The messages received so far, oldest first, as raw bytes.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let new = self.maildir.join("new");
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = match std::fs::read_dir(&new) {
            Ok(rd) => rd
                .map(|e| {
                    let e = e.unwrap();
                    (e.metadata().unwrap().modified().unwrap(), e.path())
                })
                .collect(),
            Err(_) => vec![],
        };
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read(p).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private CA and a certificate it signed for 127.0.0.1 and localhost,
/// made with the openssl CLI. Returns (CA PEM, leaf chain PEM, leaf key PEM).
pub fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl CLI (package openssl) must be installed");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"],
        &ec[..],
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Cairn Test CA",
        ],
    ]
    .concat());
    run(&[
        &["req"],
        &ec[..],
        &[
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("leaf.pem"),
        dir.join("leaf.key"),
    )
}

/// A database in a temp dir and a vault in a 0600 secrets file beside it.
pub struct World {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub store: Store,
    pub vault: Vault,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::secrets_file(dir.path().join("secrets.json")).unwrap();
        World::with_vault(dir, vault)
    }

    pub fn with_vault(dir: tempfile::TempDir, vault: Vault) -> World {
        let db = dir.path().join("cairn.db");
        let store = Store::open(&db).unwrap();
        World {
            dir,
            db,
            store,
            vault,
        }
    }

    pub fn effects(&self) -> Effects {
        self.effects_with(Arc::new(cairn_effects::LogNotifier))
    }

    pub fn effects_with(&self, notifier: Arc<dyn Notifier>) -> Effects {
        Effects::open(&self.db, self.vault.clone(), notifier).unwrap()
    }

    /// Adds SMTP account `name` towards `port` on loopback.
    pub fn add_smtp(
        &mut self,
        name: &str,
        port: u16,
        edit: impl FnOnce(&mut SmtpSettings),
        password: Option<&str>,
    ) {
        let mut s = accounts::smtp_settings(
            "127.0.0.1",
            port,
            SmtpSecurity::None,
            "Ada Coach <ada@coach.test>",
        );
        s.reply_to = Some("Help Desk <help@coach.test>".into());
        edit(&mut s);
        accounts::add_smtp(
            &mut self.store,
            &self.vault,
            name,
            s,
            password.map(|p| Sensitive::new(p.to_string())),
            t0(),
        )
        .unwrap();
    }
}

pub fn email(account: &str, to: &str) -> EmailMessage {
    EmailMessage {
        account: account.into(),
        to: to.into(),
        to_name: Some("Bea Client".into()),
        subject: "Welcome".into(),
        html: "<p>Hello</p>".into(),
        text: "Hello".into(),
        message_id: format!("run-1.step-{}@cairn.test", to.len()),
        list_unsubscribe: Some("mailto:unsubscribe@coach.test?subject=unsubscribe".into()),
        template: "welcome".into(),
        contact_id: Some(1),
    }
}

/// An outbox entry as the engine hands it over.
pub fn entry(id: i64, effect: Effect) -> OutboxEntry {
    OutboxEntry {
        id,
        run_id: Some(1),
        step_id: Some(id),
        idempotency_key: format!("cairn-run-1-step-{id}"),
        effect,
        mode: RunMode::Live,
        attempt: 1,
        max_attempts: 5,
        possibly_duplicated: false,
    }
}

/// A notifier that remembers what it was asked to show.
#[derive(Default)]
pub struct Recorder(pub std::sync::Mutex<Vec<DesktopNotice>>);

impl Notifier for Recorder {
    fn notify(&self, notice: &DesktopNotice) -> Result<(), String> {
        self.0.lock().unwrap().push(notice.clone());
        Ok(())
    }
}

/// A header of a parsed message, or a panic naming it.
pub fn header(m: &mailparse::ParsedMail<'_>, name: &str) -> String {
    use mailparse::MailHeaderMap;
    m.headers
        .get_first_value(name)
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// The world's store, an engine over its own connection, and the sender.
pub struct Run {
    pub engine: Engine,
    pub effects: cairn_effects::Effects,
}

impl Run {
    pub fn new(w: &World) -> Run {
        Run {
            engine: Engine::new(cairn_store::Store::open(&w.db).unwrap()),
            effects: w.effects(),
        }
    }

    /// Handles what is due, then delivers every outbox entry for real.
    pub async fn settle(&mut self) -> Vec<SendOutcome> {
        let mut outcomes = vec![];
        loop {
            let r = self.engine.tick(t0()).unwrap();
            assert!(!r.more);
            let due = self.engine.take_due(t0(), 100).unwrap();
            if due.is_empty() {
                return outcomes;
            }
            for e in due {
                let out = self.effects.deliver(&e, t0()).await;
                self.engine.record_outcome(e.id, &out, t0()).unwrap();
                outcomes.push(out);
            }
        }
    }

    pub fn store(&mut self) -> &mut cairn_store::Store {
        self.engine.store_mut()
    }
}

pub fn import_active(w: &mut World, def: Value) {
    let out = w
        .store
        .import_workflow(&def.to_string(), false, t0())
        .unwrap();
    w.store
        .set_workflow_status(&out.name, WorkflowStatus::Active, t0())
        .unwrap_or_else(|e| panic!("activating {}: {e}", out.name));
}

pub fn emit(store: &mut cairn_store::Store, event_type: &str, email: &str, payload: Value) {
    store
        .emit(
            &NewEvent {
                event_type: event_type.into(),
                contact_email: Some(email.into()),
                payload,
                occurred_at: t0(),
                source: "test".into(),
                external_id: None,
            },
            t0(),
        )
        .unwrap();
}
