//! Commands behind the Contacts screen: the paged list (count + one page at
//! a time, so 100,000 contacts never cross IPC at once), a contact's form,
//! its deals and course access, its timeline (events, runs, steps), and the
//! CSV import.
//!
//! Writes that record events (a new contact, a tag, a deal moved to another
//! stage, an import) wake the executor afterwards, so a workflow triggered by
//! them starts now rather than at its next look at the event log.

use cairn_model::ErrorCode;
use cairn_model::contact::{Contact, FieldDef};
use cairn_model::event::Event;
use cairn_model::{Clock, SystemClock};
use cairn_store::bulk::{BulkAction, BulkReport};
use cairn_store::consent::{Consent, ConsentEntry};
use cairn_store::contacts::{ContactInput, ContactQuery};
use cairn_store::csv_import::{CsvImportOptions, CsvImportReport};
use cairn_store::deals::{Deal, Enrollment, Pipeline};
use cairn_store::privacy::ErasureReport;
use cairn_store::runs::{Run, RunQuery, Step};
use cairn_store::{Store, StoreError};
use tauri::State;

use crate::background::BackgroundHandle;
use crate::{AppState, CommandError};

/// The most timeline entries of one kind a contact's page shows.
const TIMELINE_LIMIT: i64 = 500;

fn now() -> cairn_model::Timestamp {
    SystemClock.now()
}

/// One page of contacts matching a query (its `limit` and `offset` say
/// which page; the screen asks for the pages it scrolls to).
#[tauri::command]
pub async fn list_contacts(
    state: State<'_, AppState>,
    query: ContactQuery,
) -> Result<Vec<Contact>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.contacts(&query)?))
        .await
}

/// How many contacts match a query (its paging is ignored).
#[tauri::command]
pub async fn count_contacts(
    state: State<'_, AppState>,
    query: ContactQuery,
) -> Result<i64, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.count_contacts(&query)?))
        .await
}

/// Every tag, for the filter and the form.
#[tauri::command]
pub async fn list_tags(state: State<'_, AppState>) -> Result<Vec<String>, CommandError> {
    state.database().with_store(|s| Ok(s.tags()?)).await
}

/// The declared custom fields and their types, for the form.
#[tauri::command]
pub async fn list_fields(state: State<'_, AppState>) -> Result<Vec<FieldDef>, CommandError> {
    state.database().with_store(|s| Ok(s.fields()?)).await
}

/// One contact with its fields and tags.
#[tauri::command]
pub async fn get_contact(state: State<'_, AppState>, id: i64) -> Result<Contact, CommandError> {
    state
        .database()
        .with_store(move |s| {
            s.contact(id)?
                .ok_or_else(|| StoreError::not_found("contact", id.to_string()).into())
        })
        .await
}

/// Adds a contact; an existing email is a `conflict`. A contact erased
/// earlier comes back unsubscribed unless `resubscribe_erased`.
#[tauri::command]
pub async fn add_contact(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    input: ContactInput,
    resubscribe_erased: Option<bool>,
) -> Result<Contact, CommandError> {
    let how = Consent {
        resubscribe_erased: resubscribe_erased.unwrap_or(false),
        ..Consent::manual()
    };
    let c = state
        .database()
        .with_store(move |s| Ok(s.add_contact_as(&input, &how, now())?))
        .await?;
    background.wake();
    Ok(c)
}

/// Edits a contact: `input` sets values and adds tags, `untag` removes tags.
#[tauri::command]
pub async fn update_contact(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    id: i64,
    input: ContactInput,
    untag: Vec<String>,
) -> Result<Contact, CommandError> {
    let c = state
        .database()
        .with_store(move |s| Ok(s.update_contact(id, &input, &untag, now())?))
        .await?;
    background.wake();
    Ok(c)
}

/// When the contact with this email was erased, if it was: the form says
/// so before adding them back.
#[tauri::command]
pub async fn contact_erased_at(
    state: State<'_, AppState>,
    email: String,
) -> Result<Option<cairn_model::Timestamp>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.erased_at(&email)?))
        .await
}

/// How contact `id`'s subscription started and changed, oldest first.
#[tauri::command]
pub async fn contact_consent(
    state: State<'_, AppState>,
    contact_id: i64,
) -> Result<Vec<ConsentEntry>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.consent_history(contact_id)?))
        .await
}

/// What erasing contact `id` would remove: the numbers the confirmation shows.
#[tauri::command]
pub async fn erasure_preview(
    state: State<'_, AppState>,
    contact_id: i64,
) -> Result<ErasureReport, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.erasure_preview_id(contact_id)?))
        .await
}

/// Erases contact `id` and everything held about them (see
/// `cairn_store::privacy`). Wakes the executor: its open runs ended.
#[tauri::command]
pub async fn erase_contact(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    contact_id: i64,
) -> Result<ErasureReport, CommandError> {
    let report = state
        .database()
        .with_store(move |s| Ok(s.erase_contact_id(contact_id, now())?))
        .await?;
    background.wake();
    Ok(report)
}

/// Writes everything held about contact `id` as one JSON document to
/// `path` (chosen in the native save dialog), readable by the user only.
#[tauri::command]
pub async fn export_contact(
    state: State<'_, AppState>,
    contact_id: i64,
    path: String,
) -> Result<(), CommandError> {
    state
        .database()
        .with_store(move |s| export_file(s, contact_id, &path))
        .await
}

/// Applies a bulk action to every contact `query` selects (its paging is
/// ignored); the screen shows the count and asks first.
#[tauri::command]
pub async fn bulk_contacts(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    query: ContactQuery,
    action: BulkAction,
) -> Result<BulkReport, CommandError> {
    let report = state
        .database()
        .with_store(move |s| Ok(s.bulk_contacts(&query, &action, now())?))
        .await?;
    background.wake();
    Ok(report)
}

/// Writes every contact `query` selects to the CSV file at `path` (chosen
/// in the save dialog; readable by the user only, formula-injection safe).
/// Returns how many were written.
#[tauri::command]
pub async fn export_contacts_csv(
    state: State<'_, AppState>,
    query: ContactQuery,
    path: String,
) -> Result<u64, CommandError> {
    state
        .database()
        .with_store(move |s| {
            let mut bytes = vec![];
            let n = s.export_contacts_csv(&query, &mut bytes)?;
            cairn_store::private_file::write_new(std::path::Path::new(&path), &bytes).map_err(
                |e| CommandError::new(ErrorCode::Io, format!("cannot write {path}: {e}")),
            )?;
            Ok(n)
        })
        .await
}

/// The body of [`export_contact`], callable without a window.
pub fn export_file(store: &Store, contact_id: i64, path: &str) -> Result<(), CommandError> {
    let export = store.export_contact_id(contact_id, now())?;
    let text = serde_json::to_string_pretty(&export)
        .map_err(|e| CommandError::new(ErrorCode::Io, e.to_string()))?;
    cairn_store::private_file::write_new(std::path::Path::new(path), text.as_bytes())
        .map_err(|e| CommandError::new(ErrorCode::Io, format!("cannot write {path}: {e}")))
}

/// Imports contacts from the CSV file at `path` (chosen in the native file
/// dialog). With invalid rows and `skip_invalid` off nothing is written and
/// the report lists every invalid row with its line and reason.
#[tauri::command]
pub async fn import_contacts_csv(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    path: String,
    skip_invalid: bool,
    mapping: Option<ColumnMapping>,
) -> Result<CsvImportReport, CommandError> {
    let report = state
        .database()
        .with_store(move |s| {
            import_file_mapped(s, &path, skip_invalid, mapping.unwrap_or_default())
        })
        .await?;
    if report.imported {
        background.wake();
    }
    Ok(report)
}

/// What the import's mapping step chose for the file's columns.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ColumnMapping {
    /// Header cell → built-in column, existing field, or `NAME:TYPE`.
    #[serde(default)]
    pub map: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub skip_columns: Vec<String>,
}

/// The header and first rows of the CSV file at `path`, with the columns
/// that need a mapping: the import's mapping step.
#[tauri::command]
pub async fn preview_contacts_csv(
    state: State<'_, AppState>,
    path: String,
) -> Result<cairn_store::csv_import::CsvPreview, CommandError> {
    state
        .database()
        .with_store(move |s| {
            let bytes = std::fs::read(&path).map_err(|e| {
                CommandError::new(ErrorCode::Io, format!("cannot open {path}: {e}"))
            })?;
            Ok(s.preview_contacts_csv(&bytes, 5)?)
        })
        .await
}

/// [`import_file`] with the mapping step's choices.
pub fn import_file_mapped(
    store: &mut Store,
    path: &str,
    skip_invalid: bool,
    mapping: ColumnMapping,
) -> Result<CsvImportReport, CommandError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CommandError::new(ErrorCode::Io, format!("cannot open {path}: {e}")))?;
    let opts = CsvImportOptions {
        skip_invalid,
        file_name: std::path::Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        map: mapping.map,
        skip_columns: mapping.skip_columns,
        ..Default::default()
    };
    Ok(store.import_contacts_csv(file, &opts, now())?)
}

/// The body of [`import_contacts_csv`] without a mapping, callable
/// without a window.
pub fn import_file(
    store: &mut Store,
    path: &str,
    skip_invalid: bool,
) -> Result<CsvImportReport, CommandError> {
    import_file_mapped(store, path, skip_invalid, ColumnMapping::default())
}

/// Every pipeline with its stages in order.
#[tauri::command]
pub async fn list_pipelines(state: State<'_, AppState>) -> Result<Vec<Pipeline>, CommandError> {
    state.database().with_store(|s| Ok(s.pipelines()?)).await
}

/// A contact's deals.
#[tauri::command]
pub async fn contact_deals(
    state: State<'_, AppState>,
    contact_id: i64,
) -> Result<Vec<Deal>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.deals_of_contact(contact_id)?))
        .await
}

/// Moves a deal to another stage of its pipeline; records
/// `deal.stage_changed` and wakes the executor so triggers on it run now.
#[tauri::command]
pub async fn set_deal_stage(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    deal_id: i64,
    stage: String,
) -> Result<(), CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.set_deal_stage(deal_id, &stage, now())?))
        .await?;
    background.wake();
    Ok(())
}

/// Opens a deal for a contact at a stage; records `deal.created`.
#[tauri::command]
pub async fn create_deal(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    contact_id: i64,
    pipeline: String,
    stage: String,
    title: String,
    value: Option<f64>,
) -> Result<i64, CommandError> {
    let id = state
        .database()
        .with_store(move |s| {
            Ok(s.write(|tx| {
                cairn_store::deals::create_deal_using(
                    tx,
                    contact_id,
                    &pipeline,
                    &stage,
                    &title,
                    value,
                    now(),
                )
            })?)
        })
        .await?;
    background.wake();
    Ok(id)
}

/// Every course, for granting access.
#[tauri::command]
pub async fn list_courses(state: State<'_, AppState>) -> Result<Vec<String>, CommandError> {
    state.database().with_store(|s| Ok(s.courses()?)).await
}

/// A contact's course access.
#[tauri::command]
pub async fn contact_enrollments(
    state: State<'_, AppState>,
    contact_id: i64,
) -> Result<Vec<Enrollment>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.enrollments_of_contact(contact_id)?))
        .await
}

/// Grants (`enrolled`) or revokes a contact's access to a course; records
/// `course.enrolled` / `course.unenrolled`. False when nothing changed.
#[tauri::command]
pub async fn set_course_access(
    state: State<'_, AppState>,
    background: State<'_, BackgroundHandle>,
    contact_id: i64,
    course: String,
    enrolled: bool,
) -> Result<bool, CommandError> {
    let changed = state
        .database()
        .with_store(move |s| {
            Ok(s.write(|tx| {
                if enrolled {
                    cairn_store::deals::enroll_using(tx, contact_id, &course, now())
                } else {
                    cairn_store::deals::unenroll_using(tx, contact_id, &course, now())
                }
            })?)
        })
        .await?;
    if changed {
        background.wake();
    }
    Ok(changed)
}

/// A contact's events, newest first.
#[tauri::command]
pub async fn contact_events(
    state: State<'_, AppState>,
    contact_id: i64,
) -> Result<Vec<Event>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.events_of_contact(contact_id, TIMELINE_LIMIT as usize)?))
        .await
}

/// A contact's runs, newest first.
#[tauri::command]
pub async fn contact_runs(
    state: State<'_, AppState>,
    contact_id: i64,
) -> Result<Vec<Run>, CommandError> {
    state
        .database()
        .with_store(move |s| {
            Ok(s.runs(&RunQuery {
                contact_id: Some(contact_id),
                limit: Some(TIMELINE_LIMIT),
                ..RunQuery::default()
            })?)
        })
        .await
}

/// A run's steps in the order they happened.
#[tauri::command]
pub async fn run_steps(state: State<'_, AppState>, run_id: i64) -> Result<Vec<Step>, CommandError> {
    state
        .database()
        .with_store(move |s| Ok(s.steps(run_id)?))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn an_import_with_a_bad_row_names_its_line_and_writes_nothing_until_asked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
        let csv = dir.path().join("people.csv");
        let mut f = std::fs::File::create(&csv).unwrap();
        write!(
            f,
            "email,name,tags\nada@example.com,Ada,vip\nnot-an-email,Bob,\ngrace@example.com,Grace,\n"
        )
        .unwrap();
        drop(f);

        let report = import_file(&mut store, csv.to_str().unwrap(), false).unwrap();
        assert!(!report.imported);
        assert_eq!(report.invalid.len(), 1);
        assert_eq!(report.invalid[0].line, 3);
        assert!(
            report.invalid[0].reason.contains("not-an-email"),
            "{:?}",
            report.invalid[0]
        );
        assert_eq!(store.count_contacts(&ContactQuery::default()).unwrap(), 0);

        let report = import_file(&mut store, csv.to_str().unwrap(), true).unwrap();
        assert!(report.imported);
        assert_eq!((report.created, report.skipped), (2, 1));
        let vip = ContactQuery {
            tag: Some("vip".into()),
            ..ContactQuery::default()
        };
        assert_eq!(store.count_contacts(&vip).unwrap(), 1);
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
        let e = import_file(&mut store, "/nonexistent/people.csv", false).unwrap_err();
        assert_eq!(e.code, "io");
        assert!(
            e.message.contains("/nonexistent/people.csv"),
            "{}",
            e.message
        );
    }

    #[test]
    fn an_edit_sets_values_adds_and_removes_tags_and_keeps_the_email() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
        let c = store
            .add_contact(
                &ContactInput {
                    email: "ada@example.com".into(),
                    tags: vec!["lead".into(), "vip".into()],
                    ..ContactInput::default()
                },
                now(),
            )
            .unwrap();
        let edited = store
            .update_contact(
                c.id,
                &ContactInput {
                    email: "ADA@example.com".into(),
                    name: Some("Ada Lovelace".into()),
                    status: Some(cairn_model::contact::ContactStatus::Unsubscribed),
                    tags: vec!["client".into()],
                    ..ContactInput::default()
                },
                &["lead".into()],
                now(),
            )
            .unwrap();
        assert_eq!(edited.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(edited.tags, vec!["client", "vip"]);
        let types: Vec<String> = store
            .events_of_contact(c.id, 50)
            .unwrap()
            .into_iter()
            .map(|e| e.event_type)
            .collect();
        for t in [
            "tag.removed",
            "status.changed",
            "field.changed",
            "tag.added",
        ] {
            assert!(types.iter().any(|x| x == t), "{t} missing from {types:?}");
        }

        let e = store
            .update_contact(
                c.id,
                &ContactInput {
                    email: "other@example.com".into(),
                    ..ContactInput::default()
                },
                &[],
                now(),
            )
            .unwrap_err();
        assert_eq!(e.code(), "conflict");
    }
}
