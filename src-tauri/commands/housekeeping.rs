//! The Settings screen's housekeeping section and the background's controls:
//! start at login, notifications, retention, the database's size, backup
//! and restore, pause-all. Each command calls one core function
//! (`cairn_store::hygiene`, `incidents`, `pause`); restore also stops the
//! executor first and starts it again after.

use cairn_model::ErrorCode;
use std::path::PathBuf;

use cairn_model::{Clock, SystemClock, Timestamp};
use cairn_store::hygiene::{self, BackupInfo, DatabaseStats, MaintenanceReport, RestoreReport};
use cairn_store::incidents::{AlertPolicy, BackgroundSummary};
use cairn_store::lock::{ExecutorLock, holder_name};
use cairn_store::pause::PauseReport;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_autostart::ManagerExt;
use ts_rs::TS;

use crate::background::BackgroundHandle;
use crate::{AppState, CommandError, tray};

/// Told to the window after a restore: every screen should read again.
pub const RESTORED_EVENT: &str = "cairn://restored";

/// Whether workflows run in this app, and what waits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BackgroundStatus {
    /// This app's executor is running.
    pub running: bool,
    /// Who runs the workflows instead, when this app does not ("cairn run
    /// (pid 4242)").
    pub held_by: Option<String>,
    pub summary: BackgroundSummary,
    /// Since a restore, nothing leaves the outbox until "Resume all": when
    /// that restore happened; none when the outbox sends.
    pub outbox_held_since: Option<Timestamp>,
}

fn blocking_error(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(
        ErrorCode::Internal,
        format!("a background task stopped unexpectedly: {e}"),
    )
}

#[tauri::command]
pub async fn background_status(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
) -> Result<BackgroundStatus, CommandError> {
    let running = background.is_running();
    let db = state.database();
    let path = db.path().to_path_buf();
    db.with_store(move |s| {
        Ok(BackgroundStatus {
            running,
            held_by: if running {
                None
            } else {
                ExecutorLock::holder(&path)
            },
            summary: s.background_summary(SystemClock.now())?,
            outbox_held_since: s.outbox_held_since()?,
        })
    })
    .await
}

#[tauri::command]
pub async fn pause_all_workflows(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<PauseReport, CommandError> {
    let r = state
        .database()
        .with_store(|s| Ok(s.pause_all(SystemClock.now())?))
        .await?;
    tray::refresh(&app).await;
    Ok(r)
}

#[tauri::command]
pub async fn resume_all_workflows(
    app: AppHandle,
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
) -> Result<PauseReport, CommandError> {
    let r = state
        .database()
        .with_store(|s| Ok(s.resume_all(SystemClock.now())?))
        .await?;
    background.wake();
    tray::refresh(&app).await;
    Ok(r)
}

#[tauri::command]
pub async fn database_stats(state: State<'_, AppState>) -> Result<DatabaseStats, CommandError> {
    state
        .database()
        .with_store(|s| Ok(s.database_stats()?))
        .await
}

#[tauri::command]
pub async fn set_retention_days(
    state: State<'_, AppState>,
    days: u32,
) -> Result<u32, CommandError> {
    state
        .database()
        .with_store(move |s| {
            s.set_retention_days(days)?;
            Ok(s.retention_days()?)
        })
        .await
}

#[tauri::command]
pub async fn maintain_database(
    state: State<'_, AppState>,
) -> Result<MaintenanceReport, CommandError> {
    state
        .database()
        .with_store(|s| Ok(s.maintain(SystemClock.now())?))
        .await
}

/// Writes a backup to `path` (chosen in the save dialog, which already
/// asked before replacing a file).
#[tauri::command]
pub async fn backup_database(
    state: State<'_, AppState>,
    path: String,
) -> Result<BackupInfo, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.backup_to(&PathBuf::from(path), true)?))
        .await
}

/// Checks a file before the user confirms restoring it.
#[tauri::command]
pub async fn inspect_backup(path: String) -> Result<BackupInfo, CommandError> {
    tauri::async_runtime::spawn_blocking(move || Ok(hygiene::inspect_backup(&PathBuf::from(path))?))
        .await
        .map_err(blocking_error)?
}

/// Replaces the database with a backup: validates it, stops the executor,
/// restores (keeping the current database beside it), starts the executor
/// again — also when the restore failed, on the database as it is. The
/// restored file is put on hold before it replaces the live one (every
/// workflow paused, the outbox held: `hygiene::restore`), so the executor
/// started after it sends nothing until the user chooses "Resume all".
#[tauri::command]
pub async fn restore_database(
    app: AppHandle,
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    path: String,
) -> Result<RestoreReport, CommandError> {
    let db = state.database();
    let background = background.inner().clone();
    let from = PathBuf::from(path);
    let handle = app.clone();
    let outcome = tauri::async_runtime::spawn_blocking(move || {
        hygiene::inspect_backup(&from)?;
        let was_running = background.is_running();
        background.stop();
        let restored = ExecutorLock::acquire(db.path(), &holder_name("the Cairn app (restoring)"))
            .and_then(|lock| hygiene::restore(&lock, db.path(), &from, SystemClock.now()));
        if was_running && let Err(e) = background.start(db.path(), &handle) {
            tracing::error!(code = %e.code, "the executor did not start again after the restore: {}", e.message);
        }
        Ok::<_, CommandError>(restored?)
    })
    .await
    .map_err(blocking_error)?;
    if outcome.is_ok() {
        let _ = app.emit(RESTORED_EVENT, ());
    }
    tray::refresh(&app).await;
    outcome
}

#[tauri::command]
pub async fn alert_policy(state: State<'_, AppState>) -> Result<AlertPolicy, CommandError> {
    state.database().with_store(|s| Ok(s.alert_policy()?)).await
}

#[tauri::command]
pub async fn set_alert_policy(
    state: State<'_, AppState>,
    policy: AlertPolicy,
) -> Result<AlertPolicy, CommandError> {
    state
        .database()
        .with_store(move |s| {
            s.set_alert_policy(&policy)?;
            Ok(s.alert_policy()?)
        })
        .await
}

fn autostart_error(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(
        ErrorCode::Autostart,
        format!("start at login could not be changed: {e}"),
    )
}

#[tauri::command]
pub async fn autostart_enabled(app: AppHandle) -> Result<bool, CommandError> {
    app.autolaunch().is_enabled().map_err(autostart_error)
}

/// Turns start at login on or off; says what it is now.
#[tauri::command]
pub async fn set_autostart(app: AppHandle, enabled: bool) -> Result<bool, CommandError> {
    let launcher = app.autolaunch();
    if enabled {
        launcher.enable().map_err(autostart_error)?;
    } else {
        launcher.disable().map_err(autostart_error)?;
    }
    let now = launcher.is_enabled().map_err(autostart_error)?;
    tracing::info!(enabled = now, "start at login changed");
    Ok(now)
}
