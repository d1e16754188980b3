//! The engine's view of workflows: parsed definitions by version, and an
//! index from event type to the triggers that listen for it.
//!
//! Definitions are immutable per version, so they are parsed once and kept.
//! Which version is current and which workflows are active can change from
//! another process (the CLI, the app), so the cheap list of workflows is
//! re-read at the start of every batch and the index rebuilt when it differs.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cairn_model::event::types;
use cairn_model::workflow::{NodeSpec, WorkflowDef};
use cairn_store::workflows::{WorkflowState, definition_using, states_using};
use rusqlite::Connection;

use crate::error::Result;

/// Parsed definitions and the trigger index.
#[derive(Default)]
pub struct Definitions {
    workflows: Vec<WorkflowState>,
    by_id: HashMap<i64, usize>,
    defs: HashMap<(i64, u32), Arc<WorkflowDef>>,
    /// Event type → (workflow id, trigger node id), over current versions.
    triggers: HashMap<String, Vec<(i64, String)>>,
    /// Event types some goal of some version listens for.
    goal_types: HashSet<String>,
    /// Workflows whose current version has date-based or schedule triggers.
    pub(crate) scheduled: Vec<i64>,
    pub(crate) generation: u64,
}

/// The event type a trigger listens for (none for time-based triggers).
pub fn trigger_event_type(spec: &NodeSpec) -> Option<&str> {
    Some(match spec {
        NodeSpec::TriggerContactCreated(_) => types::CONTACT_CREATED,
        NodeSpec::TriggerFormSubmitted(_) => types::FORM_SUBMITTED,
        NodeSpec::TriggerPurchaseCompleted(_) => types::PURCHASE_COMPLETED,
        NodeSpec::TriggerRefundIssued(_) => types::REFUND_ISSUED,
        NodeSpec::TriggerTagAdded(_) => types::TAG_ADDED,
        NodeSpec::TriggerTagRemoved(_) => types::TAG_REMOVED,
        NodeSpec::TriggerLinkClicked(_) => types::LINK_CLICKED,
        NodeSpec::TriggerEmailOpened(_) => types::EMAIL_OPENED,
        NodeSpec::TriggerEmailReplied(_) => types::EMAIL_REPLIED,
        NodeSpec::TriggerCourseProgress(_) => types::COURSE_PROGRESS,
        NodeSpec::TriggerCourseCompleted(_) => types::COURSE_COMPLETED,
        NodeSpec::TriggerDealStageChanged(_) => types::DEAL_STAGE_CHANGED,
        NodeSpec::TriggerManual(_) => types::WORKFLOW_ENROLLED,
        NodeSpec::TriggerEvent(t) => t.event_type.as_str(),
        _ => return None,
    })
}

impl Definitions {
    /// Re-reads the list of workflows; rebuilds the index when it changed.
    pub fn refresh(&mut self, c: &Connection) -> Result<()> {
        let now = states_using(c)?;
        if now == self.workflows {
            return Ok(());
        }
        self.workflows = now;
        self.by_id = self
            .workflows
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id, i))
            .collect();
        // A re-saved version (no runs yet) keeps its number but changes its
        // text: forget cached current versions so they are parsed again.
        let current: Vec<(i64, u32)> = self.workflows.iter().map(|w| (w.id, w.version)).collect();
        for k in &current {
            self.defs.remove(k);
        }
        self.triggers.clear();
        self.scheduled.clear();
        for (id, version) in current {
            let def = self.def(c, id, version)?;
            let mut has_schedule = false;
            for n in def.triggers() {
                match trigger_event_type(&n.spec) {
                    Some(t) => self
                        .triggers
                        .entry(t.to_string())
                        .or_default()
                        .push((id, n.id.clone())),
                    // Started by another workflow's failure, never by time.
                    None if matches!(n.spec, NodeSpec::TriggerWorkflowFailed(_)) => {}
                    None => has_schedule = true,
                }
            }
            if has_schedule {
                self.scheduled.push(id);
            }
            for g in &def.goals {
                self.goal_types.insert(g.event_type.clone());
            }
        }
        self.generation += 1;
        Ok(())
    }

    /// A version's definition, parsed once.
    pub fn def(
        &mut self,
        c: &Connection,
        workflow_id: i64,
        version: u32,
    ) -> Result<Arc<WorkflowDef>> {
        if let Some(d) = self.defs.get(&(workflow_id, version)) {
            return Ok(d.clone());
        }
        let d = Arc::new(definition_using(c, workflow_id, version)?);
        for g in &d.goals {
            self.goal_types.insert(g.event_type.clone());
        }
        self.defs.insert((workflow_id, version), d.clone());
        Ok(d)
    }

    pub fn workflow(&self, id: i64) -> Option<&WorkflowState> {
        self.by_id.get(&id).map(|i| &self.workflows[*i])
    }

    pub fn workflow_by_name(&self, name: &str) -> Option<&WorkflowState> {
        self.workflows
            .iter()
            .find(|w| w.name.eq_ignore_ascii_case(name.trim()))
    }

    pub fn triggers_for(&self, event_type: &str) -> &[(i64, String)] {
        self.triggers
            .get(event_type)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn has_goal_for(&self, event_type: &str) -> bool {
        self.goal_types.contains(event_type)
    }

    /// Forgets everything (after a transaction rolled back, cached state may
    /// describe rows that no longer exist).
    pub fn clear(&mut self) {
        *self = Definitions {
            generation: self.generation + 1,
            ..Definitions::default()
        };
    }
}
