//! The customer-experience number: does a workflow change how often its
//! contacts do something downstream?
//!
//! A workflow names one event type in its settings
//! (`settings.experience_event`: `refund.issued`, `ticket.opened`). Over a
//! range `[since, until)`, contacts split in two groups:
//!
//! - **through the workflow**: contacts (not test contacts) with a live run
//!   of it started in the range. Each counts from its *entry*, the start of
//!   its first such run, to `until`; the events that triggered its runs are
//!   left out (a workflow triggered by `ticket.opened` would otherwise count
//!   its own trigger);
//! - **the others**: every other contact (not a test contact) that existed
//!   before `until`, counted from `since` or from when it was created,
//!   whichever is later, to `until`.
//!
//! For each group: contacts, events of the type in their windows, contacts
//! with at least one, and two rates — events per contact, and events per
//! contact per 30 days of time in the window (fair when one group had less
//! time: a contact that entered yesterday had one day to open a ticket).
//! The definition is in docs/analytics.md, "Customer experience"; the
//! arithmetic is the pure [`ExperienceGroup::tally`].

use cairn_model::Timestamp;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::workflows::{WorkflowSummary, definition_using, summary_by_id_using};
use crate::{Result, Store, StoreError, ms};

const DAY_MS: f64 = 86_400_000.0;

/// One group's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ExperienceGroup {
    #[ts(type = "number")]
    pub contacts: u64,
    /// Events of the type in the group's windows.
    #[ts(type = "number")]
    pub events: u64,
    /// Contacts with at least one.
    #[ts(type = "number")]
    pub contacts_with_event: u64,
    /// The windows' total length, in days.
    pub contact_days: f64,
    /// events ÷ contacts; `null` for an empty group.
    pub per_contact: Option<f64>,
    /// events ÷ contact_days × 30; `null` when no time passed.
    pub per_contact_per_30_days: Option<f64>,
}

impl ExperienceGroup {
    /// Adds up contacts given as `(window length in ms, events in it)`. Pure.
    pub fn tally(contacts: impl IntoIterator<Item = (i64, u64)>) -> Self {
        let mut g = ExperienceGroup::default();
        let mut window_ms = 0i64;
        for (len, events) in contacts {
            g.contacts += 1;
            g.events += events;
            g.contacts_with_event += u64::from(events > 0);
            window_ms += len.max(0);
        }
        g.contact_days = window_ms as f64 / DAY_MS;
        g.per_contact = (g.contacts > 0).then(|| g.events as f64 / g.contacts as f64);
        g.per_contact_per_30_days =
            (g.contact_days > 0.0).then(|| g.events as f64 / g.contact_days * 30.0);
        g
    }
}

/// The number for one workflow and range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExperienceNumber {
    pub event_type: String,
    pub since: Timestamp,
    pub until: Timestamp,
    pub through: ExperienceGroup,
    pub others: ExperienceGroup,
}

/// Contacts through the workflow: window from entry, events after it
/// except the ones that triggered their runs. Bound to (workflow, since,
/// until, event type).
const THROUGH: &str = "
WITH entered AS (
  SELECT r.contact_id AS contact_id, MIN(r.started_at) AS entry
  FROM runs r JOIN contacts c ON c.id = r.contact_id
  WHERE r.workflow_id = ?1 AND r.mode = 'live' AND r.started_at >= ?2 AND r.started_at < ?3
    AND c.is_test = 0
  GROUP BY r.contact_id
)
SELECT ?3 - en.entry,
  (SELECT COUNT(*) FROM events e
   WHERE e.contact_id = en.contact_id AND e.type = ?4
     AND e.occurred_at >= en.entry AND e.occurred_at < ?3
     AND e.id NOT IN (SELECT trigger_event_id FROM runs t
                      WHERE t.contact_id = en.contact_id AND t.workflow_id = ?1
                        AND t.trigger_event_id IS NOT NULL))
FROM entered en";

/// The other contacts: window from `since` or creation. Same parameters.
const OTHERS: &str = "
SELECT ?3 - MAX(c.created_at, ?2),
  (SELECT COUNT(*) FROM events e
   WHERE e.contact_id = c.id AND e.type = ?4
     AND e.occurred_at >= MAX(c.created_at, ?2) AND e.occurred_at < ?3)
FROM contacts c
WHERE c.is_test = 0 AND c.created_at < ?3
  AND NOT EXISTS (SELECT 1 FROM runs r
                  WHERE r.contact_id = c.id AND r.workflow_id = ?1 AND r.mode = 'live'
                    AND r.started_at >= ?2 AND r.started_at < ?3)";

fn group(
    c: &Connection,
    sql: &str,
    wf: i64,
    since: i64,
    until: i64,
    event: &str,
) -> Result<ExperienceGroup> {
    let rows: Vec<(i64, i64)> = c
        .prepare_cached(sql)?
        .query_map(params![wf, since, until, event], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ExperienceGroup::tally(
        rows.into_iter().map(|(len, n)| (len, n.max(0) as u64)),
    ))
}

/// The number of `workflow` over `[since, until)`, or `None` when it names
/// no event type.
pub fn experience_using(
    c: &Connection,
    workflow: &WorkflowSummary,
    since: Timestamp,
    until: Timestamp,
) -> Result<Option<ExperienceNumber>> {
    let def = definition_using(c, workflow.id, workflow.version)?;
    let Some(event) = def
        .settings
        .experience_event
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    else {
        return Ok(None);
    };
    if since >= until {
        return Err(StoreError::Invalid(cairn_model::ModelError::Invalid(
            "the range is empty: since is not before until".into(),
        )));
    }
    let (s, u) = (ms(since), ms(until));
    Ok(Some(ExperienceNumber {
        event_type: event.to_string(),
        since,
        until,
        through: group(c, THROUGH, workflow.id, s, u, event)?,
        others: group(c, OTHERS, workflow.id, s, u, event)?,
    }))
}

impl Store {
    /// Workflow `id`'s customer-experience number over `[since, until)`
    /// ([`experience_using`]).
    pub fn workflow_experience(
        &self,
        id: i64,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Option<ExperienceNumber>> {
        let w = summary_by_id_using(self.conn(), id)?
            .ok_or_else(|| StoreError::not_found("workflow", id.to_string()))?;
        experience_using(self.conn(), &w, since, until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_adds_up_its_contacts() {
        let day = DAY_MS as i64;
        // Three contacts: 10 days with 2 events, 5 days with none, 15 days
        // with 1: 3 events over 3 contacts and 30 contact-days.
        let g = ExperienceGroup::tally([(10 * day, 2), (5 * day, 0), (15 * day, 1)]);
        assert_eq!((g.contacts, g.events, g.contacts_with_event), (3, 3, 2));
        assert_eq!(g.contact_days, 30.0);
        assert_eq!(g.per_contact, Some(1.0));
        assert_eq!(g.per_contact_per_30_days, Some(3.0));
        let empty = ExperienceGroup::tally([]);
        assert_eq!(
            (empty.per_contact, empty.per_contact_per_30_days),
            (None, None)
        );
    }
}
