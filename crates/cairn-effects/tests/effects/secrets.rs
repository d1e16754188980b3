//! Secrets live in the real OS keyring (gnome-keyring's Secret Service on a
//! D-Bus session bus) and nowhere else: after planting them, using them for
//! real sends and for failures, they are searched for in the database file
//! (raw bytes, with its -wal and -shm), in an exported workflow that uses
//! the accounts, in everything logged, and in every outcome and status text.
//!
//! Without a session bus this test fails and says how to run it.

use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use cairn_effects::settings::SmtpSecurity;
use cairn_effects::{Vault, accounts};
use cairn_engine::SendOutcome;
use cairn_model::Sensitive;
use cairn_model::effect::{Effect, SlackMessage, WebhookRequest};
use cairn_model::workflow::HttpMethod;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn require_session_bus() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!(
            "this test needs a real Secret Service on a D-Bus session bus, and DBUS_SESSION_BUS_ADDRESS is not set. Run it as:\n\
             dbus-run-session -- bash -c 'export XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d); \
             echo -n testpw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test -p cairn-effects'\n\
             (packages: dbus gnome-keyring libsecret-tools)"
        );
    }
}

/// Everything logged by this test binary, at every level.
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let b = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Sink(b.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other subscriber in this test binary");
        buf
    })
    .clone()
}

fn secret_tool_lookup(service: &str, user: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", user])
        .output()
        .expect("secret-tool (package libsecret-tools) must be installed for this test");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn assert_absent(haystack: &[u8], secrets: &[&str], place: &str) {
    for s in secrets {
        let found = haystack.windows(s.len()).any(|w| w == s.as_bytes());
        assert!(!found, "a planted secret was found in {place}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_reach_their_destination_and_nothing_else() {
    require_session_bus();
    let log = captured_log();
    let pid = std::process::id();
    let smtp_pw = format!("Planted-Smtp-Password-{pid}-q8Z");
    let signing = format!("Planted-Signing-Secret-{pid}-w3X");
    let slack_token = format!("PlantedSlackToken{pid}k5V");
    let dead_token = format!("PlantedDeadToken{pid}m2B");
    let secrets = [
        smtp_pw.as_str(),
        signing.as_str(),
        slack_token.as_str(),
        dead_token.as_str(),
    ];

    let service = format!("cairn-leak-test-{pid}");
    let vault = Vault::os_keyring_for(&service);
    vault
        .check()
        .unwrap_or_else(|e| panic!("the keyring is not usable: {e}"));
    let mut w = World::with_vault(tempfile::tempdir().unwrap(), vault);

    let certs = tempfile::tempdir().unwrap();
    let (ca, chain, key) = certificates(certs.path());
    let smtp = SmtpServer::start(SmtpOptions {
        tls: Some((chain, key)),
        login: Some(("ada".into(), smtp_pw.clone())),
        ..Default::default()
    });
    let http = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/sale"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&http)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/services/T0/B0/{slack_token}")))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&http)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/services/T0/B0/{dead_token}")))
        .respond_with(ResponseTemplate::new(404).set_body_string("no_service"))
        .mount(&http)
        .await;

    // Plant: through the same functions the CLI and the app use.
    w.add_smtp(
        "Coach Mail",
        smtp.port,
        |s| {
            s.security = SmtpSecurity::Starttls;
            s.username = Some("ada".into());
            s.extra_root_certificate = Some(ca.clone());
        },
        Some(&smtp_pw),
    );
    accounts::add_webhook(
        &mut w.store,
        &w.vault,
        "Zap",
        Some(Sensitive::new(signing.clone())),
        t0(),
    )
    .unwrap();
    accounts::add_slack(
        &mut w.store,
        &w.vault,
        "team",
        Sensitive::new(format!("{}/services/T0/B0/{slack_token}", http.uri())),
        t0(),
    )
    .unwrap();
    accounts::add_slack(
        &mut w.store,
        &w.vault,
        "old team",
        Sensitive::new(format!("{}/services/T0/B0/{dead_token}", http.uri())),
        t0(),
    )
    .unwrap();
    assert_eq!(
        secret_tool_lookup(&service, "coach mail").as_deref(),
        Some(smtp_pw.as_str())
    );
    assert_eq!(
        secret_tool_lookup(&service, "zap").as_deref(),
        Some(signing.as_str())
    );

    // Use them: tests, real sends, a failure.
    let mut texts = String::new();
    for a in w.store.accounts().unwrap() {
        texts += &format!("{:?}\n", accounts::test(&a, &w.vault).await);
        texts += &format!("{:?}\n", accounts::secret_state(&w.vault, &a.name));
    }
    let effects = w.effects();
    let mail = effects
        .deliver(
            &entry(1, Effect::Email(email("coach mail", "bea@client.test"))),
            t0(),
        )
        .await;
    assert!(matches!(mail, SendOutcome::Sent { .. }), "{mail:?}");
    let hook = Effect::Webhook(WebhookRequest {
        method: HttpMethod::Post,
        url: format!("{}/hooks/sale", http.uri()),
        headers: Default::default(),
        secret_headers: Default::default(),
        body: Some(r#"{"email":"bea@client.test"}"#.into()),
        signing_account: Some("zap".into()),
        timeout_secs: 5,
    });
    let signed = effects.deliver(&entry(2, hook), t0()).await;
    assert!(matches!(signed, SendOutcome::Sent { .. }), "{signed:?}");
    let slack = |account: &str| {
        Effect::Slack(SlackMessage {
            account: account.into(),
            text: "New sale".into(),
        })
    };
    let posted = effects.deliver(&entry(3, slack("team")), t0()).await;
    assert!(matches!(posted, SendOutcome::Sent { .. }), "{posted:?}");
    let refused = effects.deliver(&entry(4, slack("old team")), t0()).await;
    assert!(
        matches!(refused, SendOutcome::AccountFault { .. }),
        "{refused:?}"
    );
    texts += &format!(
        "{mail:?}\n{signed:?}\n{posted:?}\n{refused:?}\n{effects:?}\n{:?}\n",
        w.vault
    );

    // The secrets did reach their destinations.
    assert_eq!(
        smtp.messages().len(),
        1,
        "the SMTP login with the planted password worked"
    );
    let reqs = http.received_requests().await.unwrap();
    let hook_req = reqs.iter().find(|r| r.url.path() == "/hooks/sale").unwrap();
    let sig = hook_req
        .headers
        .get("x-cairn-signature")
        .unwrap()
        .to_str()
        .unwrap();
    let t = t0().timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(signing.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&hook_req.body);
    assert_eq!(
        sig,
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    );
    assert!(reqs.iter().any(|r| r.url.path().ends_with(&slack_token)));

    // A workflow that uses the accounts, exported.
    let workflow = r#"{"format":"cairn.workflow","version":1,"name":"Sale alert","nodes":[
        {"id":"start","position":{"x":0,"y":0},"kind":"trigger.manual","config":{}},
        {"id":"mail","position":{"x":0,"y":100},"kind":"action.send_email","config":{"template":"welcome","account":"Coach Mail"}},
        {"id":"hook","position":{"x":0,"y":200},"kind":"action.webhook","config":{"url":"https://example.test/h","body":"{\"email\": {{ contact.email }}}","account":"Zap"}},
        {"id":"ping","position":{"x":0,"y":300},"kind":"action.notify","config":{"channel":{"slack":{"account":"team"}},"message":"New: {{ contact.email }}"}}],
      "edges":[{"from":"start","to":"mail"},{"from":"mail","to":"hook"},{"from":"hook","to":"ping"}],
      "email_templates":[{"name":"welcome","subject":"Hi","body":"Hello {{ contact.first_name }}"}]}"#;
    w.store.import_workflow(workflow, false, t0()).unwrap();
    let exported = w.store.export_workflow("Sale alert").unwrap();
    assert!(
        exported.contains("\"Coach Mail\"")
            && exported.contains("\"Zap\"")
            && exported.contains("\"team\""),
        "{exported}"
    );
    assert_absent(exported.as_bytes(), &secrets, "the exported workflow");

    // Statuses, outcomes and debug prints.
    for a in w.store.accounts().unwrap() {
        texts += &format!("{a:?}\n{}\n", serde_json::to_string(&a).unwrap());
    }
    assert_absent(texts.as_bytes(), &secrets, "outcome, status or debug texts");

    // The database, while connections are open (the WAL holds the newest pages)...
    let db = w.db.clone();
    let wal = db.with_extension("db-wal");
    let wal_bytes = std::fs::read(&wal).expect("the database runs in WAL mode");
    assert!(!wal_bytes.is_empty());
    assert_absent(&wal_bytes, &secrets, "the -wal file");
    assert_absent(&std::fs::read(&db).unwrap(), &secrets, "the database file");
    if let Ok(shm) = std::fs::read(db.with_extension("db-shm")) {
        assert_absent(&shm, &secrets, "the -shm file");
    }
    // ...and after every connection closed (checkpointed into the main file).
    drop(effects);
    let World {
        store, vault, dir, ..
    } = w;
    drop(store);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            assert_absent(
                &std::fs::read(&p).unwrap(),
                &secrets,
                &p.display().to_string(),
            );
        }
    }

    // The logs (this test's sends were logged: the capture works).
    let logged = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("account added") && logged.contains("sent"),
        "{logged}"
    );
    assert_absent(logged.as_bytes(), &secrets, "the log");

    // Removing the accounts removes their keyring entries.
    let mut store = cairn_store::Store::open(&db).unwrap();
    for name in ["Coach Mail", "Zap", "team", "old team"] {
        accounts::remove(&mut store, &vault, name).unwrap();
    }
    assert_eq!(secret_tool_lookup(&service, "coach mail"), None);
    assert_eq!(secret_tool_lookup(&service, "zap"), None);
    assert!(store.accounts().unwrap().is_empty());
}
