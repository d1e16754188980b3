//! The workflow's error path ("when a run fails", `settings.on_run_failure`
//! of the version the run is on): what happens each time a live run fails,
//! the first time or again after a retry.
//!
//! - **Notices** (desktop, Slack, email to an SMTP account's owner) are
//!   outbox rows of the run without a step (sending one moves no run on;
//!   erasing the contact clears them with the run's other rows), keyed `cairn-…-<run>-failed<retries>-<n>`: each failure of a
//!   run is told once — a replayed transaction queues nothing twice — and a
//!   run that fails again after a retry is told again.
//! - **A workflow to start** gets the run's contact and the payload
//!   `{workflow, node, error, run}` at its first `trigger.workflow_failed`
//!   trigger whose filters accept it: live, only when that workflow is
//!   active, and by its own re-entry rule.
//!
//! No loops: a run that a `trigger.workflow_failed` started still notifies
//! when it fails, but starts no workflow (and validation refuses a workflow
//! that names itself), so one failure starts at most one handler run.
//!
//! Dry and test runs have no error path: their failure shows where they
//! were started (the editor's test run panel, `cairn simulate`).

use cairn_model::condition::all_match;
use cairn_model::effect::RunMode;
use cairn_model::template;
use cairn_model::workflow::{NodeSpec, NotifyChannel};
use cairn_store::runs::{self, NewRun};
use cairn_store::workflows::WorkflowStatus;
use cairn_store::{contacts, identity, outbox};
use serde_json::{Value, json};

use super::render::{notice_effect, notice_escape};
use super::{Batch, OpenRun, start};
use crate::error::Result;

/// What a failure notice says, rendered for its channel.
const NOTICE: &str =
    "A run of {{ workflow }} failed for {{ contact }} at {{ node }}: {{ error }} (run {{ run }})";

/// Attempts and first backoff of a failure notice (the notify action's
/// defaults).
const NOTICE_ATTEMPTS: u32 = 5;
const NOTICE_BACKOFF_SECS: i64 = 60;

/// The payload a `trigger.workflow_failed` run starts with.
fn payload(run: &OpenRun, error: &str) -> Value {
    json!({
        "workflow": run.workflow,
        "node": run.node.clone().unwrap_or_default(),
        "error": error,
        "run": run.id,
    })
}

/// Takes the error path of `run`, which just failed with `error`.
pub(crate) fn run_failed(batch: &mut Batch<'_>, run: &OpenRun, error: &str) -> Result<()> {
    if run.effective_mode(batch) != RunMode::Live {
        return Ok(());
    }
    let on = &run.def.settings.on_run_failure;
    if on.is_empty() {
        return Ok(());
    }
    let stored = runs::run_using(batch.tx, run.id)?;
    let payload = payload(run, error);
    for (n, channel) in on.notify.iter().enumerate() {
        let key = identity::identity_using(batch.tx)?
            .effect_key(run.id, format!("failed{}-{n}", stored.retries));
        notify(batch, run, channel, &payload, &key)?;
    }
    let started_by_failure = run
        .def
        .node(&stored.trigger_node)
        .is_some_and(|t| matches!(t.spec, NodeSpec::TriggerWorkflowFailed(_)));
    if let Some(target) = &on.start_workflow
        && !started_by_failure
    {
        start_handler(batch, run, target, &payload)?;
    }
    Ok(())
}

/// Queues one failure notice. A notice that cannot be made (its account
/// was removed since the workflow was saved) is logged, and the rest of the
/// error path goes on.
fn notify(
    batch: &mut Batch<'_>,
    run: &OpenRun,
    channel: &NotifyChannel,
    payload: &Value,
    key: &str,
) -> Result<()> {
    let contact = contacts::get_using(batch.tx, run.contact_id)?
        .map(|c| c.email)
        .unwrap_or_else(|| format!("contact {}", run.contact_id));
    let mut ctx = payload.clone();
    ctx["contact"] = contact.into();
    let effect = template::render(NOTICE, &ctx, notice_escape(channel))
        .map_err(|e| format!("the notice: {e}"))
        .and_then(|text| {
            let title = format!("A run of {} failed", run.workflow);
            notice_effect(batch.tx, channel, &title, text, key, None)
        });
    match effect {
        Ok(effect) => {
            outbox::enqueue_using(
                batch.tx,
                &outbox::NewOutboxEntry {
                    run_id: Some(run.id),
                    step_id: None,
                    effect: &effect,
                    idempotency_key: key,
                    mode: RunMode::Live,
                    max_attempts: NOTICE_ATTEMPTS,
                    backoff_secs: NOTICE_BACKOFF_SECS,
                },
                batch.now,
            )?;
        }
        Err(why) => tracing::warn!(
            workflow = %run.workflow,
            run = run.id,
            "the failure notice could not be queued: {why}"
        ),
    }
    Ok(())
}

/// Starts `target` for the run's contact at its `trigger.workflow_failed`
/// trigger. A target that is missing, not active or without such a trigger
/// is logged (validation names the first; the others are states the user
/// may have chosen).
fn start_handler(
    batch: &mut Batch<'_>,
    run: &OpenRun,
    target: &str,
    payload: &Value,
) -> Result<()> {
    let not_started = |why: &str| {
        tracing::warn!(
            workflow = %run.workflow,
            run = run.id,
            "{target:?} was not started for the failed run: {why}"
        );
        Ok(())
    };
    let Some(t) = batch.defs.workflow_by_name(target).cloned() else {
        return not_started("there is no workflow by that name");
    };
    if t.status != WorkflowStatus::Active {
        return not_started("it is not active");
    }
    let def = batch.defs.def(batch.tx, t.id, t.version)?;
    let trigger = def.triggers().find_map(|n| match &n.spec {
        NodeSpec::TriggerWorkflowFailed(f) if all_match(&f.filters, payload) => Some(n.id.clone()),
        _ => None,
    });
    let Some(trigger) = trigger else {
        return not_started("it has no workflow-failed trigger that accepts this failure");
    };
    start(
        batch,
        &NewRun {
            workflow_id: t.id,
            version: t.version,
            contact_id: run.contact_id,
            trigger_node: &trigger,
            trigger_event_id: None,
            trigger_payload: payload,
            mode: RunMode::Live,
        },
    )?;
    Ok(())
}
