//! Commands behind the analytics screens.
//!
//! Every figure is `cairn_store::analytics::workflow_stats` — the same
//! function `cairn stats` and the canvas counts use — over the range the
//! user picked: the last N days up to now, or everything (from the day of
//! the workflow's first run). The command reads the clock once and passes
//! "now" down, so the figures of one screen agree with each other.

use cairn_model::ErrorCode;
use cairn_model::{Clock, SystemClock, Timestamp};
use cairn_store::analytics::WorkflowStats;
use cairn_store::workflows::SaveOutcome;
use tauri::State;

use crate::{AppState, CommandError, Database};

/// The longest range the picker may ask for (ten years); beyond it, "all".
const MAX_DAYS: u32 = 3650;

/// `[now − days, now)`, or the store's "since the first run" for `None`.
fn since(days: Option<u32>, now: Timestamp) -> Result<Option<Timestamp>, CommandError> {
    match days {
        None => Ok(None),
        Some(d) if d == 0 || d > MAX_DAYS => Err(CommandError::new(
            ErrorCode::InvalidRange,
            format!("a range is 1 to {MAX_DAYS} days, or all time; {d} days was asked for"),
        )),
        Some(d) => Ok(Some(now - chrono::Duration::days(i64::from(d)))),
    }
}

/// One workflow's analytics over the last `days` days (all time when `None`).
#[tauri::command]
pub async fn workflow_analytics(
    state: State<'_, AppState>,
    id: i64,
    days: Option<u32>,
) -> Result<WorkflowStats, CommandError> {
    stats_of(&state.database(), id, days, SystemClock.now()).await
}

/// The body of [`workflow_analytics`], callable without a window.
pub async fn stats_of(
    db: &Database,
    id: i64,
    days: Option<u32>,
    now: Timestamp,
) -> Result<WorkflowStats, CommandError> {
    let since = since(days, now)?;
    db.with_store(move |s| {
        let w = s.workflow_by_id(id)?;
        Ok(s.workflow_stats(&w.name, since, now)?)
    })
    .await
}

/// Every workflow's analytics over the same range, for the overview.
#[tauri::command]
pub async fn analytics_overview(
    state: State<'_, AppState>,
    days: Option<u32>,
) -> Result<Vec<WorkflowStats>, CommandError> {
    overview(&state.database(), days, SystemClock.now()).await
}

/// The body of [`analytics_overview`], callable without a window.
pub async fn overview(
    db: &Database,
    days: Option<u32>,
    now: Timestamp,
) -> Result<Vec<WorkflowStats>, CommandError> {
    let since = since(days, now)?;
    db.with_store(move |s| {
        s.workflows()?
            .iter()
            .map(|w| Ok(s.workflow_stats(&w.name, since, now)?))
            .collect()
    })
    .await
}

/// Declares `variant` the winner of split `node` of workflow `id` (the
/// results table's **Declare winner**): a new version in which every new
/// run takes it; runs already going stay on their version.
#[tauri::command]
pub async fn declare_split_winner(
    state: State<'_, AppState>,
    id: i64,
    node: String,
    variant: String,
) -> Result<SaveOutcome, CommandError> {
    winner_of(&state.database(), id, node, variant, SystemClock.now()).await
}

/// The body of [`declare_split_winner`], callable without a window.
pub async fn winner_of(
    db: &Database,
    id: i64,
    node: String,
    variant: String,
    now: Timestamp,
) -> Result<SaveOutcome, CommandError> {
    db.with_store(move |s| {
        let w = s.workflow_by_id(id)?;
        Ok(s.declare_split_winner(&w.name, &node, &variant, now)?)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tauri::async_runtime::block_on(f)
    }

    fn now() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_range_is_the_last_n_days_up_to_now() {
        let dir = tempfile::tempdir().unwrap();
        let db = AppState::new(dir.path().join("cairn.db")).database();
        let imported = block(crate::commands::templates::use_builtin(
            &db,
            "abandoned-cart".into(),
            now() - chrono::Duration::days(40),
        ))
        .unwrap();

        let week = block(stats_of(&db, imported.id, Some(7), now())).unwrap();
        assert_eq!(week.since, now() - chrono::Duration::days(7));
        assert_eq!(week.until, now());
        assert_eq!(week.runs.started, 0);
        assert_eq!(week.completion_rate, None, "nothing ended: no rate");

        // All time starts at local midnight of the day it was created.
        let all = block(stats_of(&db, imported.id, None, now())).unwrap();
        assert!(all.since <= now() - chrono::Duration::days(40));
        assert!(all.since > now() - chrono::Duration::days(41));

        let every = block(overview(&db, Some(30), now())).unwrap();
        assert_eq!(every.len(), 1);
        assert_eq!(every[0].workflow, "Abandoned cart");
    }

    #[test]
    fn a_split_winner_is_declared_by_workflow_id() {
        let dir = tempfile::tempdir().unwrap();
        let db = AppState::new(dir.path().join("cairn.db")).database();
        let text = std::fs::read_to_string("tests/fixtures/workflows/good/ab-test.json").unwrap();
        let id = cairn_store::Store::open(dir.path().join("cairn.db"))
            .unwrap()
            .import_workflow(&text, false, now())
            .unwrap()
            .id;
        let saved = block(winner_of(
            &db,
            id,
            "offer".into(),
            "Free shipping".into(),
            now(),
        ))
        .unwrap();
        assert!(
            !saved.new_version,
            "no runs yet: the version is changed in place"
        );
        assert_eq!(saved.version, 1);
        let e = block(winner_of(&db, id, "offer".into(), "Nope".into(), now())).unwrap_err();
        assert_eq!(e.code, "not_found");
        assert!(e.message.contains("Nope"), "{}", e.message);
        let def = cairn_store::Store::open(dir.path().join("cairn.db"))
            .unwrap()
            .workflow_def("Welcome offer test")
            .unwrap()
            .1;
        let cairn_model::workflow::NodeSpec::Split(s) = &def.node("offer").unwrap().spec else {
            panic!("offer is not a split");
        };
        assert_eq!(s.winner.as_deref(), Some("Free shipping"));
    }

    #[test]
    fn a_bad_range_or_workflow_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let db = AppState::new(dir.path().join("cairn.db")).database();
        let e = block(overview(&db, Some(0), now())).unwrap_err();
        assert_eq!(e.code, "invalid_range");
        let e = block(stats_of(&db, 42, Some(7), now())).unwrap_err();
        assert_eq!(e.code, "not_found");
    }
}
