//! Advancing a run: executing nodes until the run waits, queues an external
//! action, or ends. Always inside the caller's transaction.
//!
//! This module holds the run's life (load, start, advance, resume, end, exit)
//! and the step log; each family of nodes executes in its own module:
//! [`decide`] (conditions and branches), [`wait`] (the waits), [`internal`]
//! (store writes: tags, fields, deals, courses, workflows), [`external`]
//! (what leaves the machine, through the outbox) with [`render`] (merge
//! context and rendering). A run that fails takes its workflow's error path
//! ([`failure`]).

pub mod course;
mod decide;
mod external;
pub(crate) mod failure;
mod internal;
mod render;
mod wait;

use std::sync::Arc;

use cairn_model::Timestamp;
use cairn_model::contact::Contact;
use cairn_model::effect::RunMode;
use cairn_model::workflow::{Node, NodeSpec, OnFailure, WorkflowDef, exits};
use cairn_store::StoreError;
use cairn_store::contacts;
use cairn_store::outbox;
use cairn_store::runs::{self, NewRun, RunStatus, StepStatus, StepUpdate};
use cairn_store::step_detail::StepDetail;
use rusqlite::Connection;
use serde_json::Value;

use crate::change::Change;
use crate::defs::Definitions;
use crate::error::{EngineError, Result};
use crate::eval::Facts;

/// One batch of work that commits together: the write transaction, the
/// instant it runs at, and the changes it announces once it commits. Every
/// event, timer, outcome or started run is handled inside a batch
/// (`Engine::with_tx`); a tick runs several.
pub(crate) struct Batch<'a> {
    pub tx: &'a Connection,
    pub now: Timestamp,
    pub defs: &'a mut Definitions,
    pub changes: &'a mut Vec<Change>,
    pub max_steps: usize,
    /// Treat live runs as dry runs (`cairn run --dry-run`).
    pub force_dry_run: bool,
}

/// An open run (running or waiting) loaded to be advanced: where it is, its
/// workflow's definition and what it carries. Only open runs are loaded
/// (see [`load`]).
#[derive(Clone)]
pub(crate) struct OpenRun {
    pub id: i64,
    pub workflow_id: i64,
    pub workflow: String,
    pub def: Arc<WorkflowDef>,
    pub contact_id: i64,
    pub trigger: Value,
    pub mode: RunMode,
    pub node: Option<String>,
    /// The contact as last loaded in this transaction; cleared by anything
    /// that may change it.
    pub contact: Option<Contact>,
    /// A step left waiting by the send window, to be finished by the action
    /// when the window opens.
    pub held_step: Option<i64>,
}

impl OpenRun {
    fn effective_mode(&self, batch: &Batch<'_>) -> RunMode {
        if batch.force_dry_run && self.mode == RunMode::Live {
            RunMode::DryRun
        } else {
            self.mode
        }
    }
}

/// What executing one node decided.
enum Flow {
    /// Follow this exit.
    Next(String),
    /// The run waits (timer, event or outbox).
    Block,
    /// The run ends.
    Finish(RunStatus, Option<String>),
}

/// Loads an open run.
pub(crate) fn load(batch: &mut Batch<'_>, run_id: i64) -> Result<Option<OpenRun>> {
    let r = runs::run_using(batch.tx, run_id)?;
    if !r.status.is_open() {
        return Ok(None);
    }
    let def = batch.defs.def(batch.tx, r.workflow_id, r.version)?;
    Ok(Some(OpenRun {
        id: r.id,
        workflow_id: r.workflow_id,
        workflow: r.workflow,
        def,
        contact_id: r.contact_id,
        trigger: r.trigger_payload,
        mode: r.mode,
        node: r.current_node,
        contact: None,
        held_step: None,
    }))
}

fn contact(batch: &Batch<'_>, run: &mut OpenRun) -> Result<Contact> {
    if let Some(c) = &run.contact {
        return Ok(c.clone());
    }
    let id = run.contact_id;
    let c = contacts::get_using(batch.tx, id)?
        .ok_or_else(|| EngineError::Invalid(format!("contact {id} no longer exists")))?;
    run.contact = Some(c.clone());
    Ok(c)
}

fn record_step(
    batch: &mut Batch<'_>,
    run: &OpenRun,
    node: &Node,
    status: StepStatus,
    exit: Option<&str>,
    detail: Option<Value>,
) -> Result<i64> {
    let id = runs::insert_step_using(
        batch.tx,
        &runs::NewStep {
            run_id: run.id,
            workflow_id: run.workflow_id,
            node_id: &node.id,
            kind: node.spec.kind(),
            status,
            exit,
            detail: detail.as_ref(),
        },
        batch.now,
    )?;
    batch.changes.push(Change::Step {
        run_id: run.id,
        workflow_id: run.workflow_id,
        step_id: id,
        node_id: node.id.clone(),
        status,
    });
    Ok(id)
}

pub(crate) fn finish_step(
    batch: &mut Batch<'_>,
    run: &OpenRun,
    step_id: i64,
    node_id: &str,
    status: StepStatus,
    exit: Option<&str>,
    detail: Option<Value>,
) -> Result<()> {
    runs::update_step_using(
        batch.tx,
        step_id,
        &StepUpdate {
            status,
            exit,
            detail: detail.as_ref(),
            attempts: None,
        },
        batch.now,
    )?;
    batch.changes.push(Change::Step {
        run_id: run.id,
        workflow_id: run.workflow_id,
        step_id,
        node_id: node_id.to_string(),
        status,
    });
    Ok(())
}

/// Writes how `node` went at this visit: finishes `held` (the step the send
/// window left waiting, or the one just recorded pending) when there is one,
/// else records a new step. Every "held step: finish or record" goes here.
fn finish_or_record(
    batch: &mut Batch<'_>,
    run: &OpenRun,
    node: &Node,
    held: Option<i64>,
    status: StepStatus,
    exit: Option<&str>,
    detail: Option<Value>,
) -> Result<()> {
    match held {
        Some(s) => finish_step(batch, run, s, &node.id, status, exit, detail),
        None => record_step(batch, run, node, status, exit, detail).map(drop),
    }
}

/// Merges `extra` into a step's existing detail object, key by key (a
/// detail that is not an object becomes one): a step's detail gathers what
/// each write to it added (see [`StepDetail`]).
pub(crate) fn merged_detail(
    c: &Connection,
    step_id: i64,
    extra: Option<StepDetail>,
) -> Result<Value> {
    let mut d = runs::step_using(c, step_id)?.detail;
    if !d.is_object() {
        d = Value::Object(Default::default());
    }
    if let (Some(m), Some(Value::Object(e))) = (d.as_object_mut(), extra.map(Value::from)) {
        m.extend(e);
    }
    Ok(d)
}

/// Ends a run that holds no timer or event wait (it is being advanced, or
/// its outbox entry just finished), in one statement.
pub(crate) fn end(
    batch: &mut Batch<'_>,
    run: &OpenRun,
    status: RunStatus,
    reason: Option<&str>,
) -> Result<()> {
    runs::finish_run_using(
        batch.tx,
        run.id,
        status,
        run.node.as_deref(),
        reason,
        batch.now,
    )?;
    batch.changes.push(Change::RunEnded {
        run_id: run.id,
        workflow_id: run.workflow_id,
        status,
    });
    if status == RunStatus::Failed {
        failure::run_failed(batch, run, reason.unwrap_or_default())?;
    }
    Ok(())
}

/// Takes a run out of its workflow early: open steps are marked skipped,
/// queued effects are dropped, timers and waits are removed.
pub(crate) fn exit_run(
    batch: &mut Batch<'_>,
    run_id: i64,
    workflow_id: i64,
    reason: &str,
    goal: Option<&str>,
    converted: bool,
) -> Result<()> {
    let open = runs::open_steps_using(batch.tx, run_id)?;
    for (sid, node) in open {
        let skipped = StepDetail::Skipped {
            reason: reason.to_string(),
        };
        let d = merged_detail(batch.tx, sid, Some(skipped))?;
        runs::update_step_using(
            batch.tx,
            sid,
            &StepUpdate::with_detail(StepStatus::Skipped, &d),
            batch.now,
        )?;
        batch.changes.push(Change::Step {
            run_id,
            workflow_id,
            step_id: sid,
            node_id: node,
            status: StepStatus::Skipped,
        });
    }
    outbox::skip_pending_of_run_using(batch.tx, run_id, reason, batch.now)?;
    runs::end_run_using(
        batch.tx,
        run_id,
        RunStatus::Exited,
        Some(reason),
        goal,
        converted,
        batch.now,
    )?;
    batch.changes.push(Change::RunEnded {
        run_id,
        workflow_id,
        status: RunStatus::Exited,
    });
    Ok(())
}

/// Who may enter a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// By the workflow's re-entry rule.
    ByRule,
    /// A failed run restarted from the start: the run it replaces counts
    /// neither for "once" nor for "one at a time", so only another open
    /// run of the contact (unless re-entry is "always") keeps it out.
    Restart,
}

/// Starts a run at a trigger node and advances it. Returns `None` when the
/// re-entry rule keeps the contact out.
pub(crate) fn start(batch: &mut Batch<'_>, new: &NewRun<'_>) -> Result<Option<i64>> {
    start_admitted(batch, new, Admission::ByRule)
}

/// [`start`], admitting the contact as `admission` says.
pub(crate) fn start_admitted(
    batch: &mut Batch<'_>,
    new: &NewRun<'_>,
    admission: Admission,
) -> Result<Option<i64>> {
    let NewRun {
        workflow_id,
        version,
        contact_id,
        trigger_node,
        trigger_event_id: event_id,
        trigger_payload: payload,
        mode,
    } = *new;
    let def = batch.defs.def(batch.tx, workflow_id, version)?;
    if mode == RunMode::Live {
        use cairn_model::workflow::Reentry;
        let blocked = match (admission, def.settings.reentry) {
            (_, Reentry::Always) => false,
            (Admission::ByRule, Reentry::Once) => {
                runs::has_run_using(batch.tx, workflow_id, contact_id, false)?
            }
            (Admission::ByRule, Reentry::OneAtATime) | (Admission::Restart, _) => {
                runs::has_run_using(batch.tx, workflow_id, contact_id, true)?
            }
        };
        if blocked {
            return Ok(None);
        }
    }
    let node = def
        .node(trigger_node)
        .ok_or_else(|| EngineError::Invalid(format!("workflow has no node {trigger_node:?}")))?
        .clone();
    let id = runs::insert_run_using(batch.tx, new, batch.now)?;
    batch.changes.push(Change::RunStarted {
        run_id: id,
        workflow_id,
        contact_id,
    });
    let mut run = OpenRun {
        id,
        workflow_id,
        workflow: def.name.clone(),
        def: def.clone(),
        contact_id,
        trigger: payload.clone(),
        mode,
        node: None,
        contact: None,
        held_step: None,
    };
    let detail = event_id.map(|event_id| StepDetail::Triggered { event_id }.into());
    record_step(
        batch,
        &run,
        &node,
        StepStatus::Ok,
        Some(exits::NEXT),
        detail,
    )?;
    run.node = def.next(trigger_node, exits::NEXT).map(|n| n.id.clone());
    advance(batch, &mut run)?;
    Ok(Some(id))
}

/// Executes nodes from `run.node` until the run blocks or ends.
pub(crate) fn advance(batch: &mut Batch<'_>, run: &mut OpenRun) -> Result<()> {
    let mut budget = batch.max_steps;
    let mut last: Option<String> = None;
    loop {
        let Some(node_id) = run.node.clone() else {
            // The path ended: the run completes where it last was.
            run.node = last;
            return end(batch, run, RunStatus::Completed, None);
        };
        last = Some(node_id.clone());
        let Some(node) = run.def.node(&node_id).cloned() else {
            return end(
                batch,
                run,
                RunStatus::Failed,
                Some(&format!("node {node_id:?} does not exist")),
            );
        };
        if budget == 0 {
            return end(
                batch,
                run,
                RunStatus::Failed,
                Some(&format!(
                    "more than {} steps without a wait; the workflow seems to loop",
                    batch.max_steps
                )),
            );
        }
        budget -= 1;
        match exec(batch, run, &node)? {
            Flow::Next(exit) => {
                run.node = run.def.next(&node_id, &exit).map(|n| n.id.clone());
            }
            Flow::Block => {
                return Ok(runs::set_run_position_using(
                    batch.tx,
                    run.id,
                    RunStatus::Waiting,
                    Some(&node_id),
                    batch.now,
                )?);
            }
            Flow::Finish(status, reason) => {
                return end(batch, run, status, reason.as_deref());
            }
        }
    }
}

/// Resumes a run blocked at `node_id` by following `exit` from it.
pub(crate) fn resume(
    batch: &mut Batch<'_>,
    run: &mut OpenRun,
    node_id: &str,
    exit: &str,
) -> Result<()> {
    run.node = run.def.next(node_id, exit).map(|n| n.id.clone());
    advance(batch, run)
}

/// Executes one node: triggers and ends here, the rest by family.
fn exec(batch: &mut Batch<'_>, run: &mut OpenRun, node: &Node) -> Result<Flow> {
    match &node.spec {
        s if s.is_trigger() => {
            record_step(batch, run, node, StepStatus::Ok, Some(exits::NEXT), None)?;
            Ok(Flow::Next(exits::NEXT.into()))
        }
        NodeSpec::Condition(_) | NodeSpec::Branch(_) | NodeSpec::Split(_) => {
            decide::exec(batch, run, node)
        }
        NodeSpec::WaitDuration(_)
        | NodeSpec::WaitUntilTime(_)
        | NodeSpec::WaitUntilDate(_)
        | NodeSpec::WaitForEvent(_) => wait::exec(batch, run, node),
        NodeSpec::End(_) => {
            record_step(batch, run, node, StepStatus::Ok, None, None)?;
            Ok(Flow::Finish(RunStatus::Completed, None))
        }
        NodeSpec::EnrollCourse(_) | NodeSpec::UnenrollCourse(_) => course::exec(batch, run, node),
        NodeSpec::SendEmail(_) | NodeSpec::Webhook(_) | NodeSpec::Notify(_) => {
            external::exec(batch, run, node)
        }
        _ => internal::exec(batch, run, node),
    }
}

fn facts<'a>(
    batch: &'a Batch<'_>,
    run: &'a OpenRun,
    contact: &'a Contact,
    node_id: &'a str,
) -> Facts<'a> {
    Facts {
        conn: batch.tx,
        contact,
        trigger: &run.trigger,
        workflow_tz: &run.def.settings.timezone,
        run_id: run.id,
        node_id,
        now: batch.now,
    }
}

/// An action failed: its step says why; the node's error policy decides
/// whether the run follows the error exit or fails.
fn action_failed(
    batch: &mut Batch<'_>,
    run: &OpenRun,
    node: &Node,
    step: Option<i64>,
    error: &str,
) -> Result<Flow> {
    let policy = node.spec.error_policy().copied().unwrap_or_default();
    let exit = (policy.then == OnFailure::ErrorExit).then_some(exits::ERROR);
    let detail = StepDetail::Error {
        error: error.to_string(),
    };
    // A step already written (held or pending) keeps what it recorded.
    let detail = match step {
        Some(s) => merged_detail(batch.tx, s, Some(detail))?,
        None => detail.into(),
    };
    finish_or_record(
        batch,
        run,
        node,
        step,
        StepStatus::Failed,
        exit,
        Some(detail),
    )?;
    Ok(match policy.then {
        OnFailure::ErrorExit => Flow::Next(exits::ERROR.into()),
        OnFailure::Fail => Flow::Finish(RunStatus::Failed, Some(format!("{}: {error}", node.id))),
    })
}

/// Errors an internal action can meet because of data (a deleted course):
/// the action fails. Database errors propagate and roll back.
fn data_error(e: StoreError) -> Result<String> {
    match e {
        StoreError::Sqlite(_) | StoreError::Io(_) => Err(EngineError::Store(e)),
        other => Ok(other.to_string()),
    }
}
