//! Commands for what happens after activation: the 48-hour watch (the
//! Workflows screen's rows and the editor), drift and the
//! customer-experience number (the analytics screen). Each reads the clock
//! once and calls one store function (`cairn_store::watch`, `drift`,
//! `experience`).

use cairn_model::{Clock, SystemClock, Timestamp};
use cairn_store::drift::DriftReport;
use cairn_store::experience::ExperienceNumber;
use cairn_store::watch::WatchState;
use tauri::State;

use crate::{AppState, CommandError};

/// Every watched workflow's watch, for the Workflows screen.
#[tauri::command]
pub async fn workflow_watches(state: State<'_, AppState>) -> Result<Vec<WatchState>, CommandError> {
    let now = SystemClock.now();
    state
        .database()
        .with_store(move |s| Ok(s.watches(now)?))
        .await
}

/// One workflow's watch, or `null` when it is not watched.
#[tauri::command]
pub async fn workflow_watch(
    state: State<'_, AppState>,
    id: i64,
) -> Result<Option<WatchState>, CommandError> {
    let now = SystemClock.now();
    state
        .database()
        .with_store(move |s| Ok(s.workflow_watch(id, now)?))
        .await
}

/// One workflow's last 7 days against the 28 before, with its open drift
/// incidents.
#[tauri::command]
pub async fn workflow_drift(
    state: State<'_, AppState>,
    id: i64,
) -> Result<DriftReport, CommandError> {
    let now = SystemClock.now();
    state
        .database()
        .with_store(move |s| Ok(s.workflow_drift(id, now)?))
        .await
}

/// One workflow's customer-experience number over `[since, until)` (the
/// range the analytics screen shows), or `null` when it names no event.
#[tauri::command]
pub async fn workflow_experience(
    state: State<'_, AppState>,
    id: i64,
    since: Timestamp,
    until: Timestamp,
) -> Result<Option<ExperienceNumber>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.workflow_experience(id, since, until)?))
        .await
}
