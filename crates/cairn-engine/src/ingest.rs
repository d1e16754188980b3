//! Turning stored events into run changes: goals first (existing runs
//! leave), then waits (waiting runs resume), then triggers (new runs start).

use cairn_model::condition::{all_match, lookup};
use cairn_model::effect::RunMode;
use cairn_model::event::types;
use cairn_model::workflow::{NodeSpec, exits};
use cairn_store::events;
use cairn_store::runs::{self, NewRun, StepStatus, TimerPurpose};
use cairn_store::step_detail::StepDetail;
use cairn_store::workflows::WorkflowStatus;
use serde_json::Value;

use crate::error::Result;
use crate::run::{self, Batch};

/// An unprocessed event.
pub(crate) use cairn_store::events::Unprocessed as Pending;

pub(crate) fn unprocessed(batch: &Batch<'_>, limit: usize) -> Result<Vec<Pending>> {
    Ok(events::unprocessed_using(batch.tx, limit)?)
}

/// Handles one event and marks it processed, in the caller's transaction.
pub(crate) fn handle(batch: &mut Batch<'_>, ev: &Pending) -> Result<()> {
    if let Some(contact_id) = ev.contact_id {
        goals(batch, ev, contact_id)?;
        waits(batch, ev, contact_id)?;
        triggers(batch, ev, contact_id)?;
    }
    Ok(events::mark_processed_using(batch.tx, ev.id, batch.now)?)
}

fn goals(batch: &mut Batch<'_>, ev: &Pending, contact_id: i64) -> Result<()> {
    if !batch.defs.has_goal_for(&ev.event_type) {
        return Ok(());
    }
    for r in runs::open_runs_of_contact_using(batch.tx, contact_id, None)? {
        let def = batch.defs.def(batch.tx, r.workflow_id, r.version)?;
        if let Some(g) = def
            .goals
            .iter()
            .find(|g| g.event_type == ev.event_type && all_match(&g.filters, &ev.payload))
        {
            let reason = format!("goal reached: {}", g.name);
            run::exit_run(
                batch,
                r.id,
                r.workflow_id,
                &reason,
                Some(&g.name),
                g.conversion,
            )?;
        }
    }
    Ok(())
}

fn correlated(corr: &Value, payload: &Value) -> bool {
    let Some(m) = corr.as_object() else {
        return true;
    };
    m.iter().all(|(k, want)| {
        let got = lookup(payload, k);
        match (got, want) {
            (None, Value::Null) => true,
            (Some(g), w) => cairn_model::condition::Op::Eq.apply(Some(g), Some(w)),
            _ => false,
        }
    })
}

fn waits(batch: &mut Batch<'_>, ev: &Pending, contact_id: i64) -> Result<()> {
    for w in runs::event_waits_using(batch.tx, contact_id, &ev.event_type)? {
        let Some(mut run) = run::load(batch, w.run_id)? else {
            runs::delete_event_wait_using(batch.tx, w.run_id)?;
            continue;
        };
        let Some(NodeSpec::WaitForEvent(spec)) = run.def.node(&w.node_id).map(|n| n.spec.clone())
        else {
            continue;
        };
        if !all_match(&spec.filters, &ev.payload) || !correlated(&w.correlation, &ev.payload) {
            continue;
        }
        runs::delete_event_wait_using(batch.tx, w.run_id)?;
        let step = runs::open_step_using(batch.tx, w.run_id, &w.node_id)?;
        let held = run.mode == RunMode::Live
            && batch
                .defs
                .workflow(run.workflow_id)
                .is_some_and(|s| s.status == WorkflowStatus::Paused);
        if held {
            // The workflow is paused: remember the arrival and go on when it resumes.
            if let Some(s) = &step {
                let d = run::merged_detail(
                    batch.tx,
                    s.id,
                    Some(StepDetail::Arrived {
                        arrived_event_id: ev.id,
                    }),
                )?;
                runs::update_step_using(
                    batch.tx,
                    s.id,
                    &runs::StepUpdate::with_detail(StepStatus::Waiting, &d),
                    batch.now,
                )?;
            }
            runs::insert_timer_using(
                batch.tx,
                w.run_id,
                &w.node_id,
                TimerPurpose::Wait,
                batch.now,
                batch.now,
            )?;
            continue;
        }
        if let Some(s) = step {
            let d = run::merged_detail(
                batch.tx,
                s.id,
                Some(StepDetail::Arrived {
                    arrived_event_id: ev.id,
                }),
            )?;
            run::finish_step(
                batch,
                &run,
                s.id,
                &w.node_id,
                StepStatus::Ok,
                Some(exits::ARRIVED),
                Some(d),
            )?;
        }
        run::resume(batch, &mut run, &w.node_id, exits::ARRIVED)?;
    }
    Ok(())
}

fn text_eq(v: Option<&Value>, want: &str) -> bool {
    v.and_then(Value::as_str)
        .is_some_and(|s| s.trim().eq_ignore_ascii_case(want.trim()))
}

/// Whether a trigger node's settings accept this event.
fn accepts(spec: &NodeSpec, workflow: &str, p: &Value) -> bool {
    match spec {
        NodeSpec::TriggerContactCreated(t)
        | NodeSpec::TriggerPurchaseCompleted(t)
        | NodeSpec::TriggerRefundIssued(t) => all_match(&t.filters, p),
        NodeSpec::TriggerFormSubmitted(t) => {
            t.form
                .as_deref()
                .is_none_or(|f| text_eq(lookup(p, "form_id"), f) || text_eq(lookup(p, "form"), f))
                && all_match(&t.filters, p)
        }
        NodeSpec::TriggerTagAdded(t) | NodeSpec::TriggerTagRemoved(t) => {
            text_eq(lookup(p, "tag"), &t.tag) && all_match(&t.filters, p)
        }
        NodeSpec::TriggerLinkClicked(t) => {
            t.url_contains.as_deref().is_none_or(|u| {
                lookup(p, "url")
                    .and_then(Value::as_str)
                    .is_some_and(|url| url.to_lowercase().contains(&u.to_lowercase()))
            }) && t
                .email
                .as_deref()
                .is_none_or(|e| text_eq(lookup(p, "email"), e))
                && all_match(&t.filters, p)
        }
        NodeSpec::TriggerEmailOpened(t) | NodeSpec::TriggerEmailReplied(t) => {
            t.email
                .as_deref()
                .is_none_or(|e| text_eq(lookup(p, "email"), e))
                && all_match(&t.filters, p)
        }
        NodeSpec::TriggerCourseProgress(t) => {
            text_eq(lookup(p, "course"), &t.course)
                && lookup(p, "percent")
                    .and_then(|v| {
                        v.as_f64()
                            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    })
                    .is_some_and(|pc| pc >= f64::from(t.at_least_percent))
        }
        NodeSpec::TriggerCourseCompleted(t) => text_eq(lookup(p, "course"), &t.course),
        NodeSpec::TriggerDealStageChanged(t) => {
            text_eq(lookup(p, "pipeline"), &t.pipeline)
                && t.stage
                    .as_deref()
                    .is_none_or(|s| text_eq(lookup(p, "stage"), s))
        }
        NodeSpec::TriggerManual(_) => text_eq(lookup(p, "workflow"), workflow),
        NodeSpec::TriggerEvent(t) => all_match(&t.filters, p),
        _ => false,
    }
}

fn triggers(batch: &mut Batch<'_>, ev: &Pending, contact_id: i64) -> Result<()> {
    let candidates: Vec<(i64, String)> = batch.defs.triggers_for(&ev.event_type).to_vec();
    let mut started: Vec<i64> = vec![];
    for (wf_id, node_id) in candidates {
        if started.contains(&wf_id) {
            continue; // one run per workflow per event, whichever trigger matched first
        }
        let Some(state) = batch.defs.workflow(wf_id).cloned() else {
            continue;
        };
        let def = batch.defs.def(batch.tx, wf_id, state.version)?;
        let Some(node) = def.node(&node_id) else {
            continue;
        };
        if !accepts(&node.spec, &state.name, &ev.payload) {
            continue;
        }
        // Test runs (manual enrolment with a mode) may start in any workflow;
        // live runs only in active ones.
        let mode = if ev.event_type == types::WORKFLOW_ENROLLED {
            lookup(&ev.payload, "mode")
                .and_then(Value::as_str)
                .and_then(RunMode::parse)
                .unwrap_or(RunMode::Live)
        } else {
            RunMode::Live
        };
        if mode == RunMode::Live && state.status != WorkflowStatus::Active {
            continue;
        }
        let payload = lookup(&ev.payload, "trigger")
            .filter(|_| ev.event_type == types::WORKFLOW_ENROLLED)
            .cloned()
            .unwrap_or_else(|| ev.payload.clone());
        if run::start(
            batch,
            &NewRun {
                workflow_id: wf_id,
                version: state.version,
                contact_id,
                trigger_node: &node_id,
                trigger_event_id: Some(ev.id),
                trigger_payload: &payload,
                mode,
            },
        )?
        .is_some()
        {
            started.push(wf_id);
        }
    }
    Ok(())
}
