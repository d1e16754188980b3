//! Re-running failed runs, after the cause was fixed (an account added
//! back, a password changed, a field declared).
//!
//! - **From the failed step** ([`RetryFrom::FailedStep`]), on the version
//!   the run ran: the run opens again (`retries` + 1) at the node it failed
//!   at. Steps that completed are not done again — an internal action is a
//!   store write that committed with its step, so exactly once holds. A
//!   failed send goes back to the outbox as the same row: the same
//!   idempotency key (Message-ID, `Idempotency-Key`), its attempt count
//!   going on, with the node's attempts once more. A step that failed
//!   before anything was queued (an internal action, an email whose account
//!   was missing) is executed again as a new step; the failed one stays in
//!   the log as it was, noting the retry.
//! - **From the start** ([`RetryFrom::Start`]), on the current version: a
//!   new run with the same contact, trigger and payload, whose
//!   `restarted_from` names the failed run (which stays failed and is no
//!   longer offered for retry). The failed run counts neither for "once" nor
//!   for "one at a time".
//!
//! Only live runs that failed are taken up; anything else is reported as
//! not retried, with the reason, so a bulk retry says what it skipped. A
//! retried run that fails again takes its workflow's error path again
//! (`run::failure`).

use cairn_model::Timestamp;
use cairn_model::effect::RunMode;
use cairn_model::workflow::NodeSpec;
use cairn_store::failures::{self, FailureFilter};
use cairn_store::outbox::{self, OutboxStatus};
use cairn_store::runs::{self, NewRun, Run, RunStatus, StepStatus, StepUpdate};
use cairn_store::step_detail::StepDetail;
use cairn_store::workflows::WorkflowStatus;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::change::Change;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::run::{self, Admission, Batch};

/// Where a failed run is taken up again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RetryFrom {
    /// From the step that failed, on the version the run ran.
    FailedStep,
    /// From the start, on the workflow's current version, as a new run.
    Start,
}

/// What a retry did with one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Retried {
    /// The failed run.
    #[ts(type = "number")]
    pub run_id: i64,
    /// Whether it was taken up again; `reason` says why not.
    pub retried: bool,
    /// The run that carries on: the same run (from the failed step) or the
    /// new one (from the start).
    #[ts(type = "number | null")]
    pub carried_on_by: Option<i64>,
    pub reason: Option<String>,
}

impl Retried {
    fn not(run_id: i64, reason: impl Into<String>) -> Retried {
        Retried {
            run_id,
            retried: false,
            carried_on_by: None,
            reason: Some(reason.into()),
        }
    }
    fn by(run_id: i64, carried_on_by: i64) -> Retried {
        Retried {
            run_id,
            retried: true,
            carried_on_by: Some(carried_on_by),
            reason: None,
        }
    }
}

impl Engine {
    /// Takes one failed run up again, in one transaction.
    pub fn retry_run(&mut self, run_id: i64, from: RetryFrom, now: Timestamp) -> Result<Retried> {
        self.with_tx(now, |batch, _| retry(batch, run_id, from))
    }

    /// Takes up again every failure of `workflow` that `filter` selects
    /// (see `cairn_store::failures`), oldest first, one transaction each.
    pub fn retry_failed(
        &mut self,
        workflow: &str,
        filter: &FailureFilter,
        from: RetryFrom,
        now: Timestamp,
    ) -> Result<Vec<Retried>> {
        let ids: Vec<i64> = self
            .store()
            .failed_runs(workflow, filter)?
            .iter()
            .rev()
            .map(|r| r.id)
            .collect();
        ids.into_iter()
            .map(|id| self.retry_run(id, from, now))
            .collect()
    }
}

fn retry(batch: &mut Batch<'_>, run_id: i64, from: RetryFrom) -> Result<Retried> {
    let r = runs::run_using(batch.tx, run_id)?;
    if r.status != RunStatus::Failed {
        return Ok(Retried::not(
            run_id,
            format!("it is {}, not failed", r.status.as_str()),
        ));
    }
    if r.mode != RunMode::Live {
        return Ok(Retried::not(
            run_id,
            "it is a test run; start a new one from the editor",
        ));
    }
    if let Some(n) = failures::restarted_as_using(batch.tx, run_id)? {
        return Ok(Retried::not(
            run_id,
            format!("it was already restarted as run {n}"),
        ));
    }
    match from {
        RetryFrom::FailedStep => from_failed_step(batch, &r),
        RetryFrom::Start => from_start(batch, &r),
    }
}

fn from_failed_step(batch: &mut Batch<'_>, r: &Run) -> Result<Retried> {
    let previous_error = r.exit_reason.clone().unwrap_or_default();
    let failed_step = match &r.current_node {
        Some(node) => {
            runs::open_step_using(batch.tx, r.id, node)?.filter(|s| s.status == StepStatus::Failed)
        }
        None => None,
    };
    let entry = match &failed_step {
        Some(s) => {
            outbox::of_step_using(batch.tx, s.id)?.filter(|e| e.status == OutboxStatus::Failed)
        }
        None => None,
    };
    let retried = failures::reopen_run_using(batch.tx, r.id, batch.now)?;
    let mut run = run::load(batch, r.id)?
        .ok_or_else(|| EngineError::Invalid(format!("run {} did not open again", r.id)))?;
    let note = StepDetail::Retried {
        retried,
        previous_error,
    };
    match (failed_step, entry, &r.current_node) {
        (Some(step), Some(entry), Some(node)) => {
            // Nothing is rendered again: the same message, the same key.
            let more = run
                .def
                .node(node)
                .and_then(|n| n.spec.error_policy())
                .copied()
                .unwrap_or_default()
                .max_attempts;
            outbox::retry_failed_using(batch.tx, entry.id, more, batch.now)?;
            let mut d = run::merged_detail(batch.tx, step.id, Some(note))?;
            if let Some(m) = d.as_object_mut() {
                m.remove("error");
            }
            runs::update_step_using(
                batch.tx,
                step.id,
                &StepUpdate::with_detail(StepStatus::Pending, &d),
                batch.now,
            )?;
            batch.changes.push(Change::Step {
                run_id: r.id,
                workflow_id: r.workflow_id,
                step_id: step.id,
                node_id: node.clone(),
                status: StepStatus::Pending,
            });
            runs::set_run_position_using(
                batch.tx,
                r.id,
                RunStatus::Waiting,
                Some(node),
                batch.now,
            )?;
        }
        (step, _, _) => {
            // Nothing left the machine for this step: do its node again.
            if let Some(step) = step {
                let d = run::merged_detail(batch.tx, step.id, Some(note))?;
                runs::update_step_using(
                    batch.tx,
                    step.id,
                    &StepUpdate {
                        status: StepStatus::Failed,
                        exit: step.exit.as_deref(),
                        detail: Some(&d),
                        attempts: None,
                    },
                    batch.now,
                )?;
            }
            run::advance(batch, &mut run)?;
        }
    }
    Ok(Retried::by(r.id, r.id))
}

fn from_start(batch: &mut Batch<'_>, r: &Run) -> Result<Retried> {
    let Some(w) = batch.defs.workflow(r.workflow_id).cloned() else {
        return Ok(Retried::not(r.id, "its workflow no longer exists"));
    };
    if w.status != WorkflowStatus::Active {
        return Ok(Retried::not(
            r.id,
            format!("workflow {:?} is not active", w.name),
        ));
    }
    let def = batch.defs.def(batch.tx, w.id, w.version)?;
    // The trigger it started at, if the current version still has it.
    let trigger = def
        .node(&r.trigger_node)
        .filter(|n| n.spec.is_trigger())
        .or_else(|| {
            def.triggers()
                .find(|n| matches!(n.spec, NodeSpec::TriggerManual(_)))
        })
        .or_else(|| def.triggers().next())
        .map(|n| n.id.clone());
    let Some(trigger) = trigger else {
        return Ok(Retried::not(r.id, "the current version has no trigger"));
    };
    let started = run::start_admitted(
        batch,
        &NewRun {
            workflow_id: w.id,
            version: w.version,
            contact_id: r.contact_id,
            trigger_node: &trigger,
            trigger_event_id: r.trigger_event_id,
            trigger_payload: &r.trigger_payload,
            mode: RunMode::Live,
        },
        Admission::Restart,
    )?;
    match started {
        Some(id) => {
            failures::set_restarted_from_using(batch.tx, id, r.id)?;
            Ok(Retried::by(r.id, id))
        }
        None => Ok(Retried::not(
            r.id,
            "the contact has another open run of this workflow",
        )),
    }
}
