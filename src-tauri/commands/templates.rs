//! Commands behind the templates gallery.
//!
//! The gallery shows the built-in templates (`cairn_model::builtin`), the
//! same eight files `cairn template list|show|use` works with. Using one is
//! not a special path: the template's text goes through the ordinary import
//! (`Store::import_workflow`), so it arrives paused, a clashing name becomes
//! a copy, and whatever a file import checks is checked here too.

use cairn_model::ErrorCode;
use cairn_model::builtin::{self, Builtin, TemplateInfo};
use cairn_model::file::FileError;
use cairn_model::workflow::WorkflowDef;
use cairn_model::{Clock, SystemClock, Timestamp};
use cairn_store::workflows::ImportOutcome;
use tauri::State;

use crate::{AppState, CommandError, Database};

fn file_error(e: FileError) -> CommandError {
    CommandError::new(e.error_code(), e.to_string())
}

/// The template named by `slug`, or a `not_found` that lists the slugs there are.
fn builtin(slug: &str) -> Result<&'static Builtin, CommandError> {
    builtin::get(slug).ok_or_else(|| {
        let known: Vec<&str> = builtin::TEMPLATES.iter().map(|t| t.slug).collect();
        CommandError::new(
            ErrorCode::NotFound,
            format!(
                "no built-in template is called {:?}; the gallery has {}",
                slug.trim(),
                known.join(", ")
            ),
        )
    })
}

/// Every built-in template's card, in gallery order.
#[tauri::command]
pub fn list_templates() -> Result<Vec<TemplateInfo>, CommandError> {
    builtin::list().map_err(file_error)
}

/// A template's workflow, for the gallery's read-only canvas preview.
#[tauri::command]
pub fn template_workflow(slug: String) -> Result<WorkflowDef, CommandError> {
    builtin(&slug)?.def().map_err(file_error)
}

/// Imports a template as a workflow of this database (paused; a name
/// already taken becomes "Name (2)"); the UI then opens it in the editor.
#[tauri::command]
pub async fn use_template(
    state: State<'_, AppState>,
    slug: String,
) -> Result<ImportOutcome, CommandError> {
    use_builtin(&state.database(), slug, SystemClock.now()).await
}

/// The body of [`use_template`], callable without a window.
pub async fn use_builtin(
    db: &Database,
    slug: String,
    now: Timestamp,
) -> Result<ImportOutcome, CommandError> {
    let text = builtin(&slug)?.text;
    db.with_store(move |s| Ok(s.import_workflow(text, false, now)?))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_store::workflows::WorkflowStatus;
    use chrono::TimeZone;

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tauri::async_runtime::block_on(f)
    }

    #[test]
    fn the_gallery_lists_the_eight_builtins_and_previews_each() {
        let cards = list_templates().unwrap();
        assert_eq!(cards.len(), 8);
        for card in &cards {
            let def = template_workflow(card.slug.clone()).unwrap();
            assert_eq!(def.name, card.name);
            assert_eq!(def.nodes.len() as u32, card.nodes, "{}", card.slug);
        }
    }

    #[test]
    fn an_unknown_slug_says_which_there_are() {
        let e = template_workflow("welcome".into()).unwrap_err();
        assert_eq!(e.code, "not_found");
        assert!(e.message.contains("\"welcome\""), "{}", e.message);
        assert!(e.message.contains("welcome-series"), "{}", e.message);
    }

    #[test]
    fn using_a_template_imports_it_paused_and_a_second_use_is_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let db = AppState::new(dir.path().join("cairn.db")).database();
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();

        let first = block(use_builtin(&db, "post-purchase".into(), now)).unwrap();
        assert_eq!(first.name, "Post-purchase: Program A");
        assert_eq!(first.status, WorkflowStatus::Paused);
        assert_eq!(first.renamed_from, None);

        let second = block(use_builtin(&db, "post-purchase".into(), now)).unwrap();
        assert_eq!(second.name, "Post-purchase: Program A (2)");
        assert_eq!(
            second.renamed_from.as_deref(),
            Some("Post-purchase: Program A")
        );
        assert_ne!(second.id, first.id);
    }
}
