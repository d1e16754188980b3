//! Commands behind re-running failed runs: a workflow's failures list (with
//! its bulk "Retry" / "Restart from start") and the run page's buttons.
//!
//! Each retry runs on its own short-lived engine ([`Engine::retry_run`],
//! [`Engine::retry_failed`]), forwards what changed to the window as
//! `cairn://change` and wakes the executor, which sends what the retry put
//! back in the outbox. A run's page reads the run with its steps through
//! `get_test_run` (`test_runs::view`), which serves any run.

use cairn_engine::{Engine, Retried, RetryFrom};
use cairn_model::{Clock, SystemClock};
use cairn_store::failures::FailureFilter;
use cairn_store::runs::Run;
use tauri::{AppHandle, State};

use super::test_runs::forward;
use crate::background::BackgroundHandle;
use crate::{AppState, CommandError};

/// A workflow's failed live runs not restarted yet, newest first, filtered
/// by the node they failed at and their error.
#[tauri::command]
pub async fn failed_runs(
    state: State<'_, AppState>,
    workflow: String,
    filter: FailureFilter,
) -> Result<Vec<Run>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.failed_runs(&workflow, &filter)?))
        .await
}

/// Takes one failed run up again, from its failed step or from the start.
#[tauri::command]
pub async fn retry_run(
    app: AppHandle,
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    run_id: i64,
    from: RetryFrom,
) -> Result<Retried, CommandError> {
    retry(&app, &state, &background, move |e| {
        e.retry_run(run_id, from, SystemClock.now())
    })
    .await
}

/// Takes up again every failure of `workflow` that `filter` selects.
#[tauri::command]
pub async fn retry_failed_runs(
    app: AppHandle,
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    workflow: String,
    filter: FailureFilter,
    from: RetryFrom,
) -> Result<Vec<Retried>, CommandError> {
    retry(&app, &state, &background, move |e| {
        e.retry_failed(&workflow, &filter, from, SystemClock.now())
    })
    .await
}

/// Runs `f` on an engine over its own connection, then tells the window
/// what changed and wakes the executor.
async fn retry<T, F>(
    app: &AppHandle,
    state: &AppState,
    background: &BackgroundHandle,
    f: F,
) -> Result<T, CommandError>
where
    T: Send + 'static,
    F: FnOnce(&mut Engine) -> Result<T, cairn_engine::EngineError> + Send + 'static,
{
    let (done, changes) = state
        .database()
        .with_store(move |s| {
            let mut engine = Engine::new(s.reopen()?);
            let done = f(&mut engine)?;
            Ok((done, engine.drain_changes()))
        })
        .await?;
    forward(app, &changes);
    background.wake();
    Ok(done)
}
