//! Commands behind the editor's test run panel and the run counts on its
//! canvas.
//!
//! A test run goes through the engine exactly as a live run would
//! ([`Engine::start_run`] with [`RunMode::DryRun`] or [`RunMode::Test`]), so
//! what the panel shows — the rendered emails, webhooks and Slack messages in
//! each step's detail — is what a live run of the saved version would do. It
//! starts in a draft or paused workflow too. Skipping a wait is
//! [`Engine::skip_wait`]: time travel, allowed for test runs only, so a live
//! contact's schedule can never be moved from here.
//!
//! These commands advance the run on their own short-lived engine (up to the
//! next wait or queued send) and then forward what changed to the window as
//! `cairn://change`, the same event the background executor emits, so the
//! canvas lights up the same way whichever of the two moved the run. Then
//! they wake the executor: in a test run an email waits in the outbox for
//! its dispatcher.

use cairn_engine::{Change, Engine};
use cairn_model::ErrorCode;
use cairn_model::effect::RunMode;
use cairn_model::{Clock, SystemClock, Timestamp};
use cairn_store::Store;
use cairn_store::analytics::NodeCounts;
use cairn_store::runs::{Run, Step};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use crate::background::{BackgroundHandle, CHANGE_EVENT};
use crate::state::Database;
use crate::{AppState, CommandError};

fn now() -> Timestamp {
    SystemClock.now()
}

fn engine_error(e: cairn_engine::EngineError) -> CommandError {
    CommandError::from(e)
}

/// What the panel asks for: whom, how, from which trigger, with what.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TestRunRequest {
    /// The workflow's name (its saved version runs).
    pub workflow: String,
    /// An existing contact's email (the panel adds a new test contact first).
    pub contact_email: String,
    /// The trigger node to start from; the first trigger when absent.
    pub trigger: Option<String>,
    /// What the trigger "received": the event payload merge fields read as
    /// `{{ trigger.… }}`.
    #[ts(type = "Record<string, unknown>")]
    pub payload: serde_json::Value,
    /// `dry_run` (nothing leaves) or `test` (email goes to the contact only).
    pub mode: RunMode,
}

/// A test run as the panel shows it: the run and its steps so far.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TestRun {
    pub run: Run,
    pub steps: Vec<Step>,
    /// When the wait the run is in would end: "Skip the wait" fires it now.
    pub wait_until: Option<Timestamp>,
}

/// The body of [`start_test_run`], callable without a window.
pub fn start(
    store: Store,
    request: &TestRunRequest,
) -> Result<(TestRun, Vec<Change>), CommandError> {
    if request.mode == RunMode::Live {
        return Err(CommandError::new(
            ErrorCode::Invalid,
            "a test run is either a dry run or sent to the test contact; live runs start from the workflow's triggers",
        ));
    }
    if !request.payload.is_object() {
        return Err(CommandError::new(
            ErrorCode::Invalid,
            "the trigger payload must be a JSON object, such as {\"product\": \"Program A\"}",
        ));
    }
    let mut engine = Engine::new(store);
    let run_id = engine
        .start_run(
            &request.workflow,
            &request.contact_email,
            request.trigger.as_deref(),
            &request.payload,
            request.mode,
            now(),
        )
        .map_err(engine_error)?
        .ok_or_else(|| {
            CommandError::new(
                ErrorCode::NotStarted,
                format!(
                    "{} did not enter {:?}: the workflow's re-entry rule keeps this contact out",
                    request.contact_email, request.workflow
                ),
            )
        })?;
    let changes = engine.drain_changes();
    Ok((view(engine.store(), run_id)?, changes))
}

/// The body of [`skip_test_wait`], callable without a window.
pub fn skip(store: Store, run_id: i64) -> Result<(TestRun, Vec<Change>), CommandError> {
    let run = store.run(run_id)?;
    if run.mode == RunMode::Live {
        return Err(CommandError::new(
            ErrorCode::LiveRun,
            format!("run {run_id} is a live run: only test runs can skip a wait"),
        ));
    }
    let mut engine = Engine::new(store);
    if !engine.skip_wait(run_id, now()).map_err(engine_error)? {
        return Err(CommandError::new(
            ErrorCode::NotWaiting,
            format!("run {run_id} is not waiting on a timer"),
        ));
    }
    let changes = engine.drain_changes();
    Ok((view(engine.store(), run_id)?, changes))
}

/// A run with its steps and whether it waits on a timer.
pub fn view(store: &Store, run_id: i64) -> Result<TestRun, CommandError> {
    let run = store.run(run_id)?;
    let steps = store.steps(run_id)?;
    let wait_until = if run.status.is_open() {
        store.run_timer_due(run_id)?
    } else {
        None
    };
    Ok(TestRun {
        run,
        steps,
        wait_until,
    })
}

/// Sends run changes made outside the executor to the window, as the
/// executor's own are.
pub(crate) fn forward(app: &AppHandle, changes: &[Change]) {
    for c in changes {
        if let Err(e) = app.emit(CHANGE_EVENT, c) {
            tracing::debug!("the window missed a run change: {e}");
        }
    }
}

/// Runs `f` with an engine over its own connection on the blocking pool.
async fn with_engine<T, F>(db: Database, f: F) -> Result<T, CommandError>
where
    T: Send + 'static,
    F: FnOnce(Store) -> Result<T, CommandError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(move || f(db.open()?))
        .await
        .unwrap_or_else(|e| {
            Err(CommandError::new(
                ErrorCode::Internal,
                format!("a test run task stopped unexpectedly: {e}"),
            ))
        })
        .inspect_err(|e| tracing::warn!(code = %e.code, "command failed: {}", e.message))
}

/// Starts a test run of the saved workflow and advances it to its first
/// wait, queued send or end.
#[tauri::command]
pub async fn start_test_run(
    app: AppHandle,
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    request: TestRunRequest,
) -> Result<TestRun, CommandError> {
    let (run, changes) = with_engine(state.database(), move |s| start(s, &request)).await?;
    forward(&app, &changes);
    background.wake();
    Ok(run)
}

/// Fires the test run's pending wait now, as if its time had come.
#[tauri::command]
pub async fn skip_test_wait(
    app: AppHandle,
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    run_id: i64,
) -> Result<TestRun, CommandError> {
    let (run, changes) = with_engine(state.database(), move |s| skip(s, run_id)).await?;
    forward(&app, &changes);
    background.wake();
    Ok(run)
}

/// A run and its steps, reloaded when the window hears it changed.
#[tauri::command]
pub async fn get_test_run(
    state: State<'_, AppState>,
    run_id: i64,
) -> Result<TestRun, CommandError> {
    state.database().with_store(move |s| view(s, run_id)).await
}

/// Per node of the workflow, the steps of its live runs that passed, wait
/// there now, or failed, since the workflow's first run: the canvas badges.
/// Test and dry runs are not counted.
#[tauri::command]
pub async fn workflow_node_counts(
    state: State<'_, AppState>,
    workflow: String,
) -> Result<Vec<NodeCounts>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.node_counts(&workflow, now())?))
        .await
}

#[cfg(test)]
mod tests {
    //! The commands' bodies on a real database file, without a window.

    use super::*;
    use cairn_model::account::AccountKind;
    use cairn_store::contacts::ContactInput;
    use cairn_store::runs::{RunStatus, StepStatus};

    const FLOW: &str = r#"{"format": "cairn.workflow", "version": 1, "name": "Receipts",
      "nodes": [
        {"id": "paid", "kind": "trigger.purchase_completed", "position": {"x": 0, "y": 0}, "config": {}},
        {"id": "receipt", "kind": "action.send_email", "position": {"x": 0, "y": 150}, "config": {"template": "Receipt", "account": "Gmail"}},
        {"id": "later", "kind": "wait.duration", "position": {"x": 0, "y": 300}, "config": {"duration": "2d"}},
        {"id": "thank", "kind": "action.add_tag", "position": {"x": 0, "y": 450}, "config": {"tag": "buyer"}}
      ],
      "edges": [{"from": "paid", "exit": "next", "to": "receipt"}, {"from": "receipt", "exit": "next", "to": "later"},
                {"from": "later", "exit": "next", "to": "thank"}],
      "email_templates": [{"name": "Receipt", "subject": "Your {{ trigger.product }} receipt", "body": "Thanks!"}]}"#;

    fn database() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cairn.db");
        let mut s = Store::open(&path).unwrap();
        let t = now();
        s.add_account(
            "Gmail",
            AccountKind::Smtp,
            &serde_json::json!({"from": "coach@example.com"}),
            None,
            t,
        )
        .unwrap();
        // Imports arrive paused: test runs need no activation.
        s.import_workflow(FLOW, false, t).unwrap();
        s.add_contact(
            &ContactInput {
                email: "tess@example.com".into(),
                is_test: true,
                ..Default::default()
            },
            t,
        )
        .unwrap();
        (dir, path)
    }

    fn request(mode: RunMode, payload: serde_json::Value) -> TestRunRequest {
        TestRunRequest {
            workflow: "Receipts".into(),
            contact_email: "tess@example.com".into(),
            trigger: None,
            payload,
            mode,
        }
    }

    #[test]
    fn a_dry_run_records_the_rendered_email_waits_and_skipping_ends_it() {
        let (_dir, db) = database();
        let (run, changes) = start(
            Store::open(&db).unwrap(),
            &request(RunMode::DryRun, serde_json::json!({"product": "Program A"})),
        )
        .unwrap();
        assert_eq!(run.run.status, RunStatus::Waiting);
        assert_eq!(run.run.mode, RunMode::DryRun);
        assert!(run.wait_until.is_some(), "the wait can be skipped");
        let email = run.steps.iter().find(|s| s.node_id == "receipt").unwrap();
        assert_eq!(email.status, StepStatus::Ok);
        assert_eq!(email.detail["effect"]["subject"], "Your Program A receipt");
        assert_eq!(email.detail["sent"], false);
        assert!(
            changes
                .iter()
                .any(|c| matches!(c, Change::Step { node_id, .. } if node_id == "later")),
            "the window hears each step: {changes:?}"
        );
        // Nothing was queued to leave the machine.
        let queued: i64 = Store::open(&db)
            .unwrap()
            .conn()
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
            .unwrap();
        assert_eq!(queued, 0);

        let (done, changes) = skip(Store::open(&db).unwrap(), run.run.id).unwrap();
        assert_eq!(done.run.status, RunStatus::Completed);
        assert_eq!(done.wait_until, None);
        assert!(changes.iter().any(|c| matches!(c, Change::RunEnded { .. })));
        let tess = Store::open(&db)
            .unwrap()
            .require_contact("tess@example.com")
            .unwrap();
        assert_eq!(tess.tags, vec!["buyer".to_string()]);

        // Nothing is left to skip.
        let e = skip(Store::open(&db).unwrap(), run.run.id).unwrap_err();
        assert_eq!(e.code, "not_waiting");
    }

    #[test]
    fn live_runs_and_bad_payloads_are_refused_with_a_reason() {
        let (_dir, db) = database();
        let e = start(
            Store::open(&db).unwrap(),
            &request(RunMode::Live, serde_json::json!({})),
        )
        .unwrap_err();
        assert_eq!(e.code, "invalid");
        assert!(e.message.contains("dry run"), "{}", e.message);

        let e = start(
            Store::open(&db).unwrap(),
            &request(RunMode::Test, serde_json::json!([1, 2])),
        )
        .unwrap_err();
        assert!(e.message.contains("JSON object"), "{}", e.message);

        let mut r = request(RunMode::DryRun, serde_json::json!({}));
        r.contact_email = "nobody@example.com".into();
        let e = start(Store::open(&db).unwrap(), &r).unwrap_err();
        assert_eq!(e.code, "not_found");

        let mut r = request(RunMode::DryRun, serde_json::json!({}));
        r.trigger = Some("receipt".into());
        let e = start(Store::open(&db).unwrap(), &r).unwrap_err();
        assert!(e.message.contains("has no trigger"), "{}", e.message);
    }

    #[test]
    fn a_live_run_cannot_skip_its_wait() {
        let (_dir, db) = database();
        let t = now();
        let mut s = Store::open(&db).unwrap();
        s.set_workflow_status(
            "Receipts",
            cairn_store::workflows::WorkflowStatus::Active,
            t,
        )
        .unwrap();
        let mut engine = Engine::new(s);
        let live = engine
            .start_run(
                "Receipts",
                "tess@example.com",
                None,
                &serde_json::json!({}),
                RunMode::Live,
                t,
            )
            .unwrap()
            .unwrap();
        let e = skip(Store::open(&db).unwrap(), live).unwrap_err();
        assert_eq!(e.code, "live_run");
    }
}
