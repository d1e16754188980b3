//! Commands behind the Activity screen: the latest events and runs across
//! every workflow. The screen merges them newest first, filters them by
//! type, expands a run to its steps (`run_steps`, on the Contacts module),
//! and reloads when the shell emits `cairn://change`.

use std::collections::BTreeMap;

use cairn_model::event::Event;
use cairn_store::Store;
use cairn_store::runs::{Run, RunQuery};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use crate::{AppState, CommandError};

/// The most entries of one kind the screen asks for.
pub const MAX_LIMIT: i64 = 1000;

/// An event with the email of its contact, for a log that names people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ActivityEvent {
    pub event: Event,
    pub contact_email: Option<String>,
}

/// The latest events of any contact, newest first.
#[tauri::command]
pub async fn recent_events(
    state: State<'_, AppState>,
    limit: i64,
) -> Result<Vec<ActivityEvent>, CommandError> {
    let limit = limit.clamp(1, MAX_LIMIT) as usize;
    state
        .database()
        .with_store(move |s| latest_events(s, limit))
        .await
}

/// The body of [`recent_events`]: each contact is looked up once.
pub fn latest_events(store: &Store, limit: usize) -> Result<Vec<ActivityEvent>, CommandError> {
    let events = store.recent_events(limit)?;
    let mut emails: BTreeMap<i64, Option<String>> = BTreeMap::new();
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let contact_email = match event.contact_id {
            None => None,
            Some(id) => match emails.get(&id) {
                Some(e) => e.clone(),
                None => {
                    let e = store.contact(id)?.map(|c| c.email);
                    emails.insert(id, e.clone());
                    e
                }
            },
        };
        out.push(ActivityEvent {
            event,
            contact_email,
        });
    }
    Ok(out)
}

/// The latest runs of every workflow, newest first.
#[tauri::command]
pub async fn recent_runs(state: State<'_, AppState>, limit: i64) -> Result<Vec<Run>, CommandError> {
    let limit = limit.clamp(1, MAX_LIMIT);
    state
        .database()
        .with_store(move |s| {
            Ok(s.runs(&RunQuery {
                limit: Some(limit),
                ..RunQuery::default()
            })?)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn events_name_their_contact() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
        let now = chrono::Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap();
        store
            .add_contact(
                &cairn_store::contacts::ContactInput {
                    email: "ada@example.com".into(),
                    tags: vec!["vip".into()],
                    ..Default::default()
                },
                now,
            )
            .unwrap();
        let log = latest_events(&store, 10).unwrap();
        let types: Vec<&str> = log.iter().map(|e| e.event.event_type.as_str()).collect();
        assert_eq!(types, ["tag.added", "contact.created"]);
        assert!(
            log.iter()
                .all(|e| e.contact_email.as_deref() == Some("ada@example.com"))
        );
    }
}
