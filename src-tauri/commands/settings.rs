//! Commands behind the Settings screen: where the database is and how big,
//! where secrets live, and the sender defaults new workflows start from.
//!
//! The sender defaults are one JSON value in the store's settings table
//! ([`SENDER_DEFAULTS_KEY`]); the editor reads them from [`get_settings`]
//! when it makes a new workflow or email node.

use cairn_model::ErrorCode;
use std::path::Path;

use cairn_model::account::AccountKind;
use cairn_model::time::parse_tz;
use cairn_model::workflow::SendWindow;
use cairn_store::Store;
use cairn_vault::Vault;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use crate::{AppState, CommandError};

/// The settings key of [`SenderDefaults`].
pub const SENDER_DEFAULTS_KEY: &str = "sender_defaults";

/// What new workflows and new email nodes start with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SenderDefaults {
    /// The SMTP account a new send-email node uses.
    pub smtp_account: Option<String>,
    /// The IANA time zone of a new workflow.
    pub timezone: Option<String>,
    /// The send window of a new workflow.
    pub send_window: Option<SendWindow>,
}

/// Where secrets are kept, and whether that store answers now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SecretsView {
    /// In words: "the OS keyring", "the secrets file /path".
    pub store: String,
    /// Set when it cannot be reached: the vault's code and its message,
    /// which says what to do.
    pub problem: Option<Problem>,
}

/// Why something cannot be used now: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
}

impl From<CommandError> for Problem {
    fn from(e: CommandError) -> Self {
        Problem {
            code: e.code,
            message: e.message,
        }
    }
}

/// The Settings screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AppSettings {
    pub database_path: String,
    /// The database file with its write-ahead log, in bytes.
    #[ts(type = "number")]
    pub database_bytes: u64,
    pub secrets: SecretsView,
    pub defaults: SenderDefaults,
}

/// The size of an SQLite database on disk: the file, its WAL and its
/// shared-memory index.
pub fn size_on_disk(db: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut p = db.as_os_str().to_os_string();
            p.push(suffix);
            std::fs::metadata(p).ok()
        })
        .map(|m| m.len())
        .sum()
}

/// Where secrets live, asked of the vault the app uses.
pub fn secrets_view() -> SecretsView {
    match Vault::from_env() {
        Err(e) => SecretsView {
            store: "no secret store".into(),
            problem: Some(CommandError::from(e).into()),
        },
        Ok(v) => SecretsView {
            store: v.describe(),
            problem: v.check().err().map(|e| CommandError::from(e).into()),
        },
    }
}

/// The sender defaults stored in `store` (empty when never set).
pub fn sender_defaults_of(store: &Store) -> Result<SenderDefaults, CommandError> {
    Ok(store.setting(SENDER_DEFAULTS_KEY)?.unwrap_or_default())
}

/// Checks sender defaults against the database; the error names the setting.
pub fn check_defaults(store: &Store, d: &SenderDefaults) -> Result<(), CommandError> {
    let invalid = |m: String| CommandError::new(ErrorCode::InvalidSetting, m);
    if let Some(tz) = d.timezone.as_deref()
        && parse_tz(tz).is_none()
    {
        return Err(invalid(format!(
            "time zone: {tz:?} is not an IANA time zone such as Europe/Berlin"
        )));
    }
    if let Some(name) = d.smtp_account.as_deref() {
        let a = store.account(name)?;
        if a.kind != AccountKind::Smtp {
            return Err(invalid(format!(
                "default SMTP account: {:?} is a {} account, not SMTP",
                a.name, a.kind
            )));
        }
    }
    if let Some(w) = &d.send_window
        && w.from == w.to
    {
        return Err(invalid(
            "send window: it opens and closes at the same time, so nothing could be sent".into(),
        ));
    }
    Ok(())
}

/// The Settings screen's values.
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<AppSettings, CommandError> {
    let db = state.database();
    let path = db.path().to_path_buf();
    let defaults = db.with_store(|s| sender_defaults_of(s)).await?;
    let secrets = tauri::async_runtime::spawn_blocking(secrets_view)
        .await
        .map_err(|e| {
            CommandError::new(ErrorCode::Internal, format!("the vault check stopped: {e}"))
        })?;
    Ok(AppSettings {
        database_bytes: size_on_disk(&path),
        database_path: path.display().to_string(),
        secrets,
        defaults,
    })
}

/// Checks and stores the sender defaults.
#[tauri::command]
pub async fn save_sender_defaults(
    state: State<'_, AppState>,
    defaults: SenderDefaults,
) -> Result<SenderDefaults, CommandError> {
    state
        .database()
        .with_store(move |s| {
            check_defaults(s, &defaults)?;
            s.set_setting(SENDER_DEFAULTS_KEY, &defaults)?;
            sender_defaults_of(s)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_counts_the_write_ahead_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cairn.db");
        let store = Store::open(&path).unwrap();
        let file = std::fs::metadata(&path).unwrap().len();
        assert!(size_on_disk(&path) >= file);
        assert!(file > 0);
        drop(store);
        assert_eq!(size_on_disk(&dir.path().join("missing.db")), 0);
    }

    #[test]
    fn defaults_round_trip_and_bad_ones_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
        assert_eq!(
            sender_defaults_of(&store).unwrap(),
            SenderDefaults::default()
        );
        let d = SenderDefaults {
            smtp_account: None,
            timezone: Some("Europe/Berlin".into()),
            send_window: Some(
                serde_json::from_value(
                    serde_json::json!({"days": ["mon", "tue"], "from": "09:00", "to": "17:00"}),
                )
                .unwrap(),
            ),
        };
        check_defaults(&store, &d).unwrap();
        store.set_setting(SENDER_DEFAULTS_KEY, &d).unwrap();
        assert_eq!(sender_defaults_of(&store).unwrap(), d);

        let bad = SenderDefaults {
            timezone: Some("Mars/Olympus".into()),
            ..d.clone()
        };
        let e = check_defaults(&store, &bad).unwrap_err();
        assert_eq!(e.code, "invalid_setting");
        assert!(e.message.starts_with("time zone"), "{}", e.message);
        let missing = SenderDefaults {
            smtp_account: Some("nope".into()),
            ..d
        };
        assert_eq!(
            check_defaults(&store, &missing).unwrap_err().code,
            "not_found"
        );
    }
}
