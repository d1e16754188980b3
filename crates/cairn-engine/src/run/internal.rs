//! Internal actions: tags, fields, deals, courses, unsubscribing, starting
//! or leaving another workflow. They are store writes in the run's own
//! transaction, so each happens exactly once.

use cairn_model::Timestamp;
use cairn_model::contact::ContactStatus;
use cairn_model::effect::RunMode;
use cairn_model::template::{self, Escape};
use cairn_model::workflow::{Node, NodeSpec, exits};
use cairn_store::StoreError;
use cairn_store::contacts;
use cairn_store::deals;
use cairn_store::runs::{self, NewRun, StepStatus};
use cairn_store::step_detail::StepDetail;
use rusqlite::Connection;
use serde_json::Value;

use super::render::merge_ctx;
use super::{
    Batch, Flow, OpenRun, action_failed, contact, data_error, exit_run, record_step, start,
};
use crate::error::{EngineError, Result};

pub(super) fn exec(batch: &mut Batch<'_>, run: &mut OpenRun, node: &Node) -> Result<Flow> {
    let flow = exec_internal_action(batch, run, node);
    // Tags, fields and status may have changed.
    run.contact = None;
    flow
}

fn exec_internal_action(batch: &mut Batch<'_>, run: &mut OpenRun, node: &Node) -> Result<Flow> {
    let now = batch.now;
    let cid = run.contact_id;
    let outcome: std::result::Result<StepDetail, StoreError> = match &node.spec {
        NodeSpec::AddTag(t) => {
            contacts::add_tag_using(batch.tx, cid, &t.tag, now).map(|changed| StepDetail::Tag {
                tag: t.tag.clone(),
                changed,
            })
        }
        NodeSpec::RemoveTag(t) => {
            contacts::remove_tag_using(batch.tx, cid, &t.tag, now).map(|changed| StepDetail::Tag {
                tag: t.tag.clone(),
                changed,
            })
        }
        NodeSpec::SetField(s) => {
            let c = contact(batch, run)?;
            match template::render(&s.value, &merge_ctx(batch, run, &c, "")?, Escape::Plain) {
                Err(e) => {
                    return action_failed(
                        batch,
                        run,
                        node,
                        None,
                        &format!("the value template: {e}"),
                    );
                }
                Ok(raw) => {
                    set_field(batch.tx, cid, &s.field, &raw, now).map(|changed| StepDetail::Field {
                        field: s.field.clone(),
                        value: raw,
                        changed,
                    })
                }
            }
        }
        NodeSpec::CreateDeal(d) | NodeSpec::MoveDeal(d) => {
            let c = contact(batch, run)?;
            let ctx = merge_ctx(batch, run, &c, "")?;
            let title = match &d.title {
                Some(t) => match template::render(t, &ctx, Escape::Plain) {
                    Ok(t) => t,
                    Err(e) => {
                        return action_failed(
                            batch,
                            run,
                            node,
                            None,
                            &format!("the deal title: {e}"),
                        );
                    }
                },
                None => c.name.clone().unwrap_or_else(|| c.email.clone()),
            };
            let value = match &d.value {
                Some(v) => match template::render(v, &ctx, Escape::Plain) {
                    Ok(v) if v.trim().is_empty() => None,
                    Ok(v) => match v.trim().parse::<f64>() {
                        Ok(n) => Some(n),
                        Err(_) => {
                            return action_failed(
                                batch,
                                run,
                                node,
                                None,
                                &format!("the deal value {v:?} is not a number"),
                            );
                        }
                    },
                    Err(e) => {
                        return action_failed(
                            batch,
                            run,
                            node,
                            None,
                            &format!("the deal value: {e}"),
                        );
                    }
                },
                None => None,
            };
            if matches!(node.spec, NodeSpec::CreateDeal(_)) {
                deals::create_deal_using(batch.tx, cid, &d.pipeline, &d.stage, &title, value, now)
                    .map(|deal_id| StepDetail::Deal {
                        deal_id,
                        pipeline: d.pipeline.clone(),
                        stage: d.stage.clone(),
                    })
            } else {
                deals::move_deal_using(batch.tx, cid, &d.pipeline, &d.stage, &title, now).map(
                    |deal_id| StepDetail::Deal {
                        deal_id,
                        pipeline: d.pipeline.clone(),
                        stage: d.stage.clone(),
                    },
                )
            }
        }
        NodeSpec::EnrollCourse(k) => {
            deals::enroll_using(batch.tx, cid, &k.course, now).map(|changed| StepDetail::Course {
                course: k.course.clone(),
                changed,
                note: Some(super::course::LOCAL_ONLY.into()),
            })
        }
        NodeSpec::UnenrollCourse(k) => {
            deals::unenroll_using(batch.tx, cid, &k.course, now).map(|changed| StepDetail::Course {
                course: k.course.clone(),
                changed,
                note: Some(super::course::LOCAL_ONLY.into()),
            })
        }
        NodeSpec::Unsubscribe(_) => {
            let how = cairn_store::consent::Consent::new(
                cairn_store::consent::ConsentVia::Workflow,
                Some(run.def.name.clone()),
            );
            contacts::set_status_as_using(batch.tx, cid, ContactStatus::Unsubscribed, &how, now)
                .map(|changed| StepDetail::Status {
                    status: "unsubscribed".into(),
                    changed,
                })
        }
        NodeSpec::StartWorkflow(w) => {
            let target = batch.defs.workflow_by_name(&w.workflow).cloned();
            let detail = match target {
                None => {
                    return action_failed(
                        batch,
                        run,
                        node,
                        None,
                        &format!("there is no workflow named {:?}", w.workflow),
                    );
                }
                Some(t)
                    if t.status != cairn_store::workflows::WorkflowStatus::Active
                        && run.mode == RunMode::Live =>
                {
                    StepDetail::StartedWorkflow {
                        workflow: t.name.clone(),
                        started: false,
                        run_id: None,
                        reason: Some("that workflow is not active".into()),
                    }
                }
                Some(t) => {
                    let def = batch.defs.def(batch.tx, t.id, t.version)?;
                    let trig = def
                        .triggers()
                        .find(|n| matches!(n.spec, NodeSpec::TriggerManual(_)))
                        .or_else(|| def.triggers().next())
                        .map(|n| n.id.clone());
                    match trig {
                        None => StepDetail::StartedWorkflow {
                            workflow: t.name.clone(),
                            started: false,
                            run_id: None,
                            reason: Some("that workflow has no trigger".into()),
                        },
                        Some(trig) => {
                            let payload = run.trigger.clone();
                            let started = start(
                                batch,
                                &NewRun {
                                    workflow_id: t.id,
                                    version: t.version,
                                    contact_id: cid,
                                    trigger_node: &trig,
                                    trigger_event_id: None,
                                    trigger_payload: &payload,
                                    mode: run.mode,
                                },
                            )?;
                            match started {
                                Some(id) => StepDetail::StartedWorkflow {
                                    workflow: t.name.clone(),
                                    started: true,
                                    run_id: Some(id),
                                    reason: None,
                                },
                                None => StepDetail::StartedWorkflow {
                                    workflow: t.name.clone(),
                                    started: false,
                                    run_id: None,
                                    reason: Some(
                                        "the contact is already in it (re-entry rule)".into(),
                                    ),
                                },
                            }
                        }
                    }
                }
            };
            Ok(detail)
        }
        NodeSpec::RemoveFromWorkflow(w) => {
            let target = batch.defs.workflow_by_name(&w.workflow).cloned();
            match target {
                None => {
                    return action_failed(
                        batch,
                        run,
                        node,
                        None,
                        &format!("there is no workflow named {:?}", w.workflow),
                    );
                }
                Some(t) => {
                    let open = runs::open_runs_of_contact_using(batch.tx, cid, Some(t.id))?;
                    let mut removed = 0;
                    for r in open.iter().filter(|r| r.id != run.id) {
                        exit_run(
                            batch,
                            r.id,
                            r.workflow_id,
                            &format!("removed by workflow {:?}", run.workflow),
                            None,
                            false,
                        )?;
                        removed += 1;
                    }
                    Ok(StepDetail::RemovedFromWorkflow {
                        workflow: t.name,
                        removed,
                    })
                }
            }
        }
        other => {
            return Err(EngineError::Invalid(format!(
                "{} is not an internal action",
                other.kind()
            )));
        }
    };
    match outcome {
        Ok(detail) => {
            record_step(
                batch,
                run,
                node,
                StepStatus::Ok,
                Some(exits::NEXT),
                Some(detail.into()),
            )?;
            Ok(Flow::Next(exits::NEXT.into()))
        }
        Err(e) => {
            let msg = data_error(e)?;
            action_failed(batch, run, node, None, &msg)
        }
    }
}

fn set_field(
    c: &Connection,
    contact_id: i64,
    field: &str,
    raw: &str,
    now: Timestamp,
) -> std::result::Result<bool, StoreError> {
    let value = if field.eq_ignore_ascii_case("name") {
        Value::String(raw.to_string())
    } else {
        let ft = contacts::field_type_using(c, field)?
            .ok_or_else(|| StoreError::not_found("field", field))?;
        if raw.trim().is_empty() {
            Value::Null
        } else {
            ft.parse_value(raw).map_err(|reason| {
                StoreError::Invalid(cairn_model::ModelError::InvalidFieldValue {
                    field: field.into(),
                    reason,
                })
            })?
        }
    };
    contacts::set_field_using(c, contact_id, field, value, now)
}
