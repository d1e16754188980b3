//! A bench for connector tests: a real SQLite file in a temp dir, a virtual
//! clock with a timer that moves it instead of sleeping, a file-backed vault
//! (the keyring itself is not what these tests are about), and fixtures in
//! the providers' documented shapes served by wiremock on loopback.

use std::path::PathBuf;
use std::sync::Arc;

use cairn_connectors::{SourceSettings, SyncReport, Syncer, VirtualTimer, accounts};
use cairn_model::event::Event;
use cairn_model::{Sensitive, Timestamp, VirtualClock};
use cairn_store::Store;
use cairn_store::accounts::Account;
use cairn_vault::Vault;
use chrono::TimeZone;
use serde_json::Value;

/// Monday 2 March 2026, 08:00 UTC: when the test accounts are connected.
pub fn t0() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
}

pub fn at(h: u32, m: u32, s: u32) -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 3, 2, h, m, s).unwrap()
}

/// A fixture file's JSON, with `{{KEY}}` placeholders filled in.
pub fn fixture(name: &str, fill: &[(&str, &str)]) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let mut text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (k, v) in fill {
        text = text.replace(&format!("{{{{{k}}}}}"), v);
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub struct Bench {
    /// Kept for its lifetime: the database and secrets file live in it.
    pub _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub clock: VirtualClock,
    pub timer: VirtualTimer,
    pub vault: Vault,
    pub store: Store,
    pub syncer: Syncer,
}

impl Bench {
    pub fn new() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cairn.db");
        let store = Store::open(&path).unwrap();
        let clock = VirtualClock::new(t0());
        let timer = VirtualTimer::new(clock.clone());
        let vault = Vault::from_vars([(
            cairn_vault::SECRETS_FILE_VAR.to_string(),
            dir.path().join("secrets.json").display().to_string(),
        )])
        .unwrap();
        let syncer = Syncer::new(
            vault.clone(),
            Arc::new(clock.clone()),
            Arc::new(timer.clone()),
        )
        .unwrap();
        Bench {
            _dir: dir,
            path,
            clock,
            timer,
            vault,
            store,
            syncer,
        }
    }

    pub fn now(&self) -> Timestamp {
        use cairn_model::Clock;
        self.clock.now()
    }

    /// Adds a source account (connected now) with its secret.
    pub fn add(&mut self, name: &str, settings: Value, secret: Option<&str>) -> Account {
        let kind = settings["kind"].as_str().unwrap().to_string();
        let mut s = settings;
        s.as_object_mut().unwrap().remove("kind");
        let kind = cairn_model::account::AccountKind::parse(&kind).unwrap();
        let settings = SourceSettings::parse(kind, &s, name).unwrap();
        let now = self.now();
        accounts::add(
            &mut self.store,
            &self.vault,
            name,
            &settings,
            None,
            secret.map(|s| Sensitive::new(s.to_string())),
            now,
        )
        .unwrap()
    }

    pub fn account(&self, name: &str) -> Account {
        self.store.account(name).unwrap()
    }

    pub async fn sync(&mut self, name: &str) -> SyncReport {
        let account = self.account(name);
        self.syncer.sync(&mut self.store, &account).await
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Events from a source, oldest first.
    pub fn events(&self, source: &str) -> Vec<Event> {
        let mut all: Vec<Event> = self
            .store
            .recent_events(10_000)
            .unwrap()
            .into_iter()
            .filter(|e| e.source == source)
            .collect();
        all.sort_by_key(|e| (e.occurred_at, e.id));
        all
    }

    pub fn contact_status(&self, email: &str) -> String {
        self.store
            .contact_by_email(email)
            .unwrap()
            .unwrap_or_else(|| panic!("no contact {email}"))
            .status
            .as_str()
            .to_string()
    }
}

/// Requests the server received for `path`, in order.
pub async fn requests_to(server: &wiremock::MockServer, path: &str) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

/// A request's query parameter.
pub fn param(r: &wiremock::Request, key: &str) -> Option<String> {
    r.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}
