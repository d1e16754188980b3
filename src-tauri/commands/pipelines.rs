//! Commands behind the Pipelines screen: one pipeline's deals for the board,
//! and creating, renaming and reordering pipelines and their stages.
//!
//! Moving a card is the contact page's own command,
//! [`set_deal_stage`](super::contacts::set_deal_stage), so a drag records
//! `deal.stage_changed` and wakes the executor exactly as the contact page
//! does; the pipeline list is [`list_pipelines`](super::contacts::list_pipelines).

use cairn_model::{Clock, SystemClock};
use cairn_store::board::{BoardDeal, BoardQuery};
use cairn_store::deals::Pipeline;
use cairn_store::pipelines::StageUse;
use tauri::State;

use crate::{AppState, CommandError};

/// The deals a board query selects, in stage order.
#[tauri::command]
pub async fn board_deals(
    state: State<'_, AppState>,
    query: BoardQuery,
) -> Result<Vec<BoardDeal>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.board_deals(&query)?))
        .await
}

/// Creates a pipeline with its stages in order.
#[tauri::command]
pub async fn add_pipeline(
    state: State<'_, AppState>,
    name: String,
    stages: Vec<String>,
) -> Result<Pipeline, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.add_pipeline(&name, &stages, SystemClock.now())?))
        .await
}

/// Renames a pipeline.
#[tauri::command]
pub async fn rename_pipeline(
    state: State<'_, AppState>,
    pipeline: String,
    name: String,
) -> Result<Pipeline, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.rename_pipeline(&pipeline, &name)?))
        .await
}

/// Adds a stage at the end of a pipeline.
#[tauri::command]
pub async fn add_stage(
    state: State<'_, AppState>,
    pipeline: String,
    stage: String,
) -> Result<Pipeline, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.add_stage(&pipeline, &stage, SystemClock.now())?))
        .await
}

/// Renames a stage of a pipeline.
#[tauri::command]
pub async fn rename_stage(
    state: State<'_, AppState>,
    pipeline: String,
    stage: String,
    name: String,
) -> Result<Pipeline, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.rename_stage(&pipeline, &stage, &name)?))
        .await
}

/// Moves a stage to a position (0 is first).
#[tauri::command]
pub async fn move_stage(
    state: State<'_, AppState>,
    pipeline: String,
    stage: String,
    position: usize,
) -> Result<Pipeline, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.move_stage(&pipeline, &stage, position)?))
        .await
}

/// Deletes a stage that holds no deal (a `conflict` otherwise).
#[tauri::command]
pub async fn delete_stage(
    state: State<'_, AppState>,
    pipeline: String,
    stage: String,
) -> Result<Pipeline, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.delete_stage(&pipeline, &stage)?))
        .await
}

/// Which workflows name each stage of a pipeline, including stage names
/// it no longer has (a rename or a delete that left a workflow behind).
#[tauri::command]
pub async fn pipeline_usage(
    state: State<'_, AppState>,
    pipeline: String,
) -> Result<Vec<StageUse>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.pipeline_usage(&pipeline)?))
        .await
}
