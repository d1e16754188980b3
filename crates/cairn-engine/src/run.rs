//! Advancing a run: executing nodes until the run waits, queues an external
//! action, or ends. Always inside the caller's transaction.

use std::sync::Arc;

use cairn_model::Timestamp;
use cairn_model::condition::lookup;
use cairn_model::contact::{Contact, ContactStatus};
use cairn_model::effect::{
    DesktopNotice, Effect, EmailMessage, RunMode, SlackMessage, WebhookRequest,
};
use cairn_model::template::{self, Escape};
use cairn_model::time::{add_checked, add_days, local_instant, next_weekday_time};
use cairn_model::workflow::{
    EmailKind, HeaderValue, Node, NodeSpec, NotifyChannel, OnFailure, WorkflowDef, exits,
};
use cairn_store::StoreError;
use cairn_store::contacts;
use cairn_store::deals;
use cairn_store::identity;
use cairn_store::outbox;
use cairn_store::runs::{self, NewRun, RunStatus, StepStatus, StepUpdate, TimerPurpose};
use rusqlite::Connection;
use serde_json::{Value, json};

use crate::change::Change;
use crate::defs::Definitions;
use crate::error::{EngineError, Result};
use crate::eval::{Facts, holds};
use crate::window;

/// The transaction and what the engine knows while it runs.
pub(crate) struct Cx<'a> {
    pub tx: &'a Connection,
    pub now: Timestamp,
    pub defs: &'a mut Definitions,
    pub changes: &'a mut Vec<Change>,
    pub max_steps: usize,
    /// Treat live runs as dry runs (`cairn run --dry-run`).
    pub force_dry_run: bool,
}

/// A run being advanced.
#[derive(Clone)]
pub(crate) struct Cursor {
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

impl Cursor {
    fn effective_mode(&self, cx: &Cx<'_>) -> RunMode {
        if cx.force_dry_run && self.mode == RunMode::Live {
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
pub(crate) fn load(cx: &mut Cx<'_>, run_id: i64) -> Result<Option<Cursor>> {
    let r = runs::run_using(cx.tx, run_id)?;
    if !r.status.is_open() {
        return Ok(None);
    }
    let def = cx.defs.def(cx.tx, r.workflow_id, r.version)?;
    Ok(Some(Cursor {
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

fn contact(cx: &Cx<'_>, cur: &mut Cursor) -> Result<Contact> {
    if let Some(c) = &cur.contact {
        return Ok(c.clone());
    }
    let id = cur.contact_id;
    let c = contacts::get_using(cx.tx, id)?
        .ok_or_else(|| EngineError::Invalid(format!("contact {id} no longer exists")))?;
    cur.contact = Some(c.clone());
    Ok(c)
}

fn record_step(
    cx: &mut Cx<'_>,
    cur: &Cursor,
    node: &Node,
    status: StepStatus,
    exit: Option<&str>,
    detail: Option<Value>,
) -> Result<i64> {
    let id = runs::insert_step_using(
        cx.tx,
        &runs::NewStep {
            run_id: cur.id,
            workflow_id: cur.workflow_id,
            node_id: &node.id,
            kind: node.spec.kind(),
            status,
            exit,
            detail: detail.as_ref(),
        },
        cx.now,
    )?;
    cx.changes.push(Change::Step {
        run_id: cur.id,
        workflow_id: cur.workflow_id,
        step_id: id,
        node_id: node.id.clone(),
        status,
    });
    Ok(id)
}

pub(crate) fn finish_step(
    cx: &mut Cx<'_>,
    cur: &Cursor,
    step_id: i64,
    node_id: &str,
    status: StepStatus,
    exit: Option<&str>,
    detail: Option<Value>,
) -> Result<()> {
    runs::update_step_using(
        cx.tx,
        step_id,
        &StepUpdate {
            status,
            exit,
            detail: detail.as_ref(),
            attempts: None,
        },
        cx.now,
    )?;
    cx.changes.push(Change::Step {
        run_id: cur.id,
        workflow_id: cur.workflow_id,
        step_id,
        node_id: node_id.to_string(),
        status,
    });
    Ok(())
}

/// Merges `extra` into a step's existing detail object.
pub(crate) fn merged_detail(c: &Connection, step_id: i64, extra: Value) -> Result<Value> {
    let mut d = runs::step_using(c, step_id)?.detail;
    if !d.is_object() {
        d = json!({});
    }
    if let (Some(m), Value::Object(e)) = (d.as_object_mut(), extra) {
        m.extend(e);
    }
    Ok(d)
}

/// Ends a run that holds no timer or event wait (it is being advanced, or
/// its outbox entry just finished), in one statement.
pub(crate) fn end(
    cx: &mut Cx<'_>,
    cur: &Cursor,
    status: RunStatus,
    reason: Option<&str>,
) -> Result<()> {
    runs::finish_run_using(cx.tx, cur.id, status, cur.node.as_deref(), reason, cx.now)?;
    cx.changes.push(Change::RunEnded {
        run_id: cur.id,
        workflow_id: cur.workflow_id,
        status,
    });
    Ok(())
}

/// Takes a run out of its workflow early: open steps are marked skipped,
/// queued effects are dropped, timers and waits are removed.
pub(crate) fn exit_run(
    cx: &mut Cx<'_>,
    run_id: i64,
    workflow_id: i64,
    reason: &str,
    goal: Option<&str>,
    converted: bool,
) -> Result<()> {
    let open = runs::open_steps_using(cx.tx, run_id)?;
    for (sid, node) in open {
        let d = merged_detail(cx.tx, sid, json!({"reason": reason}))?;
        runs::update_step_using(
            cx.tx,
            sid,
            &StepUpdate::with_detail(StepStatus::Skipped, &d),
            cx.now,
        )?;
        cx.changes.push(Change::Step {
            run_id,
            workflow_id,
            step_id: sid,
            node_id: node,
            status: StepStatus::Skipped,
        });
    }
    outbox::skip_pending_of_run_using(cx.tx, run_id, reason, cx.now)?;
    runs::end_run_using(
        cx.tx,
        run_id,
        RunStatus::Exited,
        Some(reason),
        goal,
        converted,
        cx.now,
    )?;
    cx.changes.push(Change::RunEnded {
        run_id,
        workflow_id,
        status: RunStatus::Exited,
    });
    Ok(())
}

/// Starts a run at a trigger node and advances it. Returns `None` when the
/// re-entry rule keeps the contact out.
pub(crate) fn start(cx: &mut Cx<'_>, run: &NewRun<'_>) -> Result<Option<i64>> {
    let NewRun {
        workflow_id,
        version,
        contact_id,
        trigger_node,
        trigger_event_id: event_id,
        trigger_payload: payload,
        mode,
    } = *run;
    let def = cx.defs.def(cx.tx, workflow_id, version)?;
    if mode == RunMode::Live {
        use cairn_model::workflow::Reentry;
        let blocked = match def.settings.reentry {
            Reentry::Once => runs::has_run_using(cx.tx, workflow_id, contact_id, false)?,
            Reentry::OneAtATime => runs::has_run_using(cx.tx, workflow_id, contact_id, true)?,
            Reentry::Always => false,
        };
        if blocked {
            return Ok(None);
        }
    }
    let node = def
        .node(trigger_node)
        .ok_or_else(|| EngineError::Invalid(format!("workflow has no node {trigger_node:?}")))?
        .clone();
    let id = runs::insert_run_using(cx.tx, run, cx.now)?;
    cx.changes.push(Change::RunStarted {
        run_id: id,
        workflow_id,
        contact_id,
    });
    let mut cur = Cursor {
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
    let detail = event_id.map(|e| json!({"event_id": e}));
    record_step(cx, &cur, &node, StepStatus::Ok, Some(exits::NEXT), detail)?;
    cur.node = def.next(trigger_node, exits::NEXT).map(|n| n.id.clone());
    advance(cx, &mut cur)?;
    Ok(Some(id))
}

/// Executes nodes from `cur.node` until the run blocks or ends.
pub(crate) fn advance(cx: &mut Cx<'_>, cur: &mut Cursor) -> Result<()> {
    let mut budget = cx.max_steps;
    let mut last: Option<String> = None;
    loop {
        let Some(node_id) = cur.node.clone() else {
            // The path ended: the run completes where it last was.
            cur.node = last;
            return end(cx, cur, RunStatus::Completed, None);
        };
        last = Some(node_id.clone());
        let Some(node) = cur.def.node(&node_id).cloned() else {
            return end(
                cx,
                cur,
                RunStatus::Failed,
                Some(&format!("node {node_id:?} does not exist")),
            );
        };
        if budget == 0 {
            return end(
                cx,
                cur,
                RunStatus::Failed,
                Some(&format!(
                    "more than {} steps without a wait; the workflow seems to loop",
                    cx.max_steps
                )),
            );
        }
        budget -= 1;
        match exec(cx, cur, &node)? {
            Flow::Next(exit) => {
                cur.node = cur.def.next(&node_id, &exit).map(|n| n.id.clone());
            }
            Flow::Block => {
                return Ok(runs::set_run_position_using(
                    cx.tx,
                    cur.id,
                    RunStatus::Waiting,
                    Some(&node_id),
                    cx.now,
                )?);
            }
            Flow::Finish(status, reason) => {
                return end(cx, cur, status, reason.as_deref());
            }
        }
    }
}

/// Resumes a run blocked at `node_id` by following `exit` from it.
pub(crate) fn resume(cx: &mut Cx<'_>, cur: &mut Cursor, node_id: &str, exit: &str) -> Result<()> {
    cur.node = cur.def.next(node_id, exit).map(|n| n.id.clone());
    advance(cx, cur)
}

fn wait_until(cx: &mut Cx<'_>, cur: &Cursor, node: &Node, due: Timestamp) -> Result<Flow> {
    record_step(
        cx,
        cur,
        node,
        StepStatus::Waiting,
        None,
        Some(json!({"until": due.to_rfc3339()})),
    )?;
    runs::insert_timer_using(cx.tx, cur.id, &node.id, TimerPurpose::Wait, due, cx.now)?;
    Ok(Flow::Block)
}

fn action_failed(
    cx: &mut Cx<'_>,
    cur: &Cursor,
    node: &Node,
    step: Option<i64>,
    error: &str,
) -> Result<Flow> {
    let policy = node.spec.error_policy().copied().unwrap_or_default();
    let exit = (policy.then == OnFailure::ErrorExit).then_some(exits::ERROR);
    let detail = json!({"error": error});
    match step {
        Some(s) => {
            let d = merged_detail(cx.tx, s, detail)?;
            finish_step(cx, cur, s, &node.id, StepStatus::Failed, exit, Some(d))?;
        }
        None => {
            record_step(cx, cur, node, StepStatus::Failed, exit, Some(detail))?;
        }
    }
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

/// The merge context: `contact`, `trigger`, `workflow`, `unsubscribe_url`,
/// and `event` — the payload of the event a wait-for-event of this run last
/// received (`{{ event.tracking_number }}` after "wait until fulfilled").
fn merge_ctx(cx: &Cx<'_>, cur: &Cursor, c: &Contact, unsubscribe: &str) -> Result<Value> {
    let mut ctx = template::context(c, &cur.trigger, &cur.workflow, unsubscribe);
    let waits_for_events = cur
        .def
        .nodes
        .iter()
        .any(|n| matches!(n.spec, NodeSpec::WaitForEvent(_)));
    let event = if waits_for_events {
        runs::arrived_event_payload_using(cx.tx, cur.id)?.unwrap_or_else(|| json!({}))
    } else {
        json!({})
    };
    ctx["event"] = event;
    Ok(ctx)
}

fn exec(cx: &mut Cx<'_>, cur: &mut Cursor, node: &Node) -> Result<Flow> {
    let ok = |exit: &str| Flow::Next(exit.to_string());
    match &node.spec {
        s if s.is_trigger() => {
            record_step(cx, cur, node, StepStatus::Ok, Some(exits::NEXT), None)?;
            Ok(ok(exits::NEXT))
        }
        NodeSpec::Condition(c) => {
            let contact = contact(cx, cur)?;
            let yes = holds(&c.condition, &facts(cx, cur, &contact, &node.id))?;
            let exit = if yes { exits::YES } else { exits::NO };
            record_step(
                cx,
                cur,
                node,
                StepStatus::Ok,
                Some(exit),
                Some(json!({"result": yes})),
            )?;
            Ok(ok(exit))
        }
        NodeSpec::Branch(b) => {
            let contact = contact(cx, cur)?;
            let mut exit = exits::OTHERWISE.to_string();
            for p in &b.paths {
                if holds(&p.condition, &facts(cx, cur, &contact, &node.id))? {
                    exit = p.name.clone();
                    break;
                }
            }
            record_step(
                cx,
                cur,
                node,
                StepStatus::Ok,
                Some(&exit),
                Some(json!({"path": exit})),
            )?;
            Ok(Flow::Next(exit))
        }
        NodeSpec::WaitDuration(w) => {
            let due = add_checked(cx.now, w.duration.to_chrono());
            wait_until(cx, cur, node, due)
        }
        NodeSpec::WaitUntilTime(w) => {
            let contact = contact(cx, cur)?;
            let tz = w
                .timezone
                .resolve(contact.timezone.as_deref(), &cur.def.settings.timezone);
            let due = next_weekday_time(cx.now, tz, &w.weekdays, w.time);
            wait_until(cx, cur, node, due)
        }
        NodeSpec::WaitUntilDate(w) => {
            let contact = contact(cx, cur)?;
            let date = contact
                .field(&w.field)
                .and_then(|v| v.as_str().map(str::to_string))
                .and_then(|s| {
                    chrono::NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d").ok()
                });
            let Some(date) = date else {
                record_step(
                    cx,
                    cur,
                    node,
                    StepStatus::Skipped,
                    Some(exits::NEXT),
                    Some(json!({"reason": format!("the contact has no {} date", w.field)})),
                )?;
                return Ok(ok(exits::NEXT));
            };
            let tz = w
                .timezone
                .resolve(contact.timezone.as_deref(), &cur.def.settings.timezone);
            // A date at the end of the calendar moved further is no date.
            let Some(day) = add_days(date, w.offset_days.into()) else {
                record_step(
                    cx,
                    cur,
                    node,
                    StepStatus::Skipped,
                    Some(exits::NEXT),
                    Some(
                        json!({"reason": format!("the contact's {} date moved by {} days is past any calendar", w.field, w.offset_days)}),
                    ),
                )?;
                return Ok(ok(exits::NEXT));
            };
            let due = local_instant(tz, day, w.time);
            if due <= cx.now {
                record_step(
                    cx,
                    cur,
                    node,
                    StepStatus::Ok,
                    Some(exits::NEXT),
                    Some(
                        json!({"until": due.to_rfc3339(), "reason": "the date has already passed"}),
                    ),
                )?;
                return Ok(ok(exits::NEXT));
            }
            wait_until(cx, cur, node, due)
        }
        NodeSpec::WaitForEvent(w) => {
            let mut corr = serde_json::Map::new();
            for k in &w.correlate {
                corr.insert(
                    k.clone(),
                    lookup(&cur.trigger, k).cloned().unwrap_or(Value::Null),
                );
            }
            let corr = Value::Object(corr);
            let due = add_checked(cx.now, w.timeout.to_chrono());
            record_step(
                cx,
                cur,
                node,
                StepStatus::Waiting,
                None,
                Some(
                    json!({"event_type": w.event_type, "correlation": corr, "until": due.to_rfc3339()}),
                ),
            )?;
            runs::insert_event_wait_using(
                cx.tx,
                cur.id,
                cur.contact_id,
                &w.event_type,
                &node.id,
                &corr,
                cx.now,
            )?;
            runs::insert_timer_using(cx.tx, cur.id, &node.id, TimerPurpose::Timeout, due, cx.now)?;
            Ok(Flow::Block)
        }
        NodeSpec::End(_) => {
            record_step(cx, cur, node, StepStatus::Ok, None, None)?;
            Ok(Flow::Finish(RunStatus::Completed, None))
        }
        NodeSpec::SendEmail(_) | NodeSpec::Webhook(_) | NodeSpec::Notify(_) => {
            exec_external(cx, cur, node)
        }
        _ => exec_internal(cx, cur, node),
    }
}

fn facts<'a>(cx: &'a Cx<'_>, cur: &'a Cursor, contact: &'a Contact, node_id: &'a str) -> Facts<'a> {
    Facts {
        conn: cx.tx,
        contact,
        trigger: &cur.trigger,
        workflow_tz: &cur.def.settings.timezone,
        run_id: cur.id,
        node_id,
        now: cx.now,
    }
}

fn exec_internal(cx: &mut Cx<'_>, cur: &mut Cursor, node: &Node) -> Result<Flow> {
    let flow = exec_internal_action(cx, cur, node);
    // Tags, fields and status may have changed.
    cur.contact = None;
    flow
}

fn exec_internal_action(cx: &mut Cx<'_>, cur: &mut Cursor, node: &Node) -> Result<Flow> {
    let now = cx.now;
    let cid = cur.contact_id;
    let outcome: std::result::Result<Value, StoreError> = match &node.spec {
        NodeSpec::AddTag(t) => contacts::add_tag_using(cx.tx, cid, &t.tag, now)
            .map(|changed| json!({"tag": t.tag, "changed": changed})),
        NodeSpec::RemoveTag(t) => contacts::remove_tag_using(cx.tx, cid, &t.tag, now)
            .map(|changed| json!({"tag": t.tag, "changed": changed})),
        NodeSpec::SetField(s) => {
            let c = contact(cx, cur)?;
            match template::render(&s.value, &merge_ctx(cx, cur, &c, "")?, Escape::Plain) {
                Err(e) => {
                    return action_failed(cx, cur, node, None, &format!("the value template: {e}"));
                }
                Ok(raw) => set_field(cx.tx, cid, &s.field, &raw, now)
                    .map(|changed| json!({"field": s.field, "value": raw, "changed": changed})),
            }
        }
        NodeSpec::CreateDeal(d) | NodeSpec::MoveDeal(d) => {
            let c = contact(cx, cur)?;
            let ctx = merge_ctx(cx, cur, &c, "")?;
            let title = match &d.title {
                Some(t) => match template::render(t, &ctx, Escape::Plain) {
                    Ok(t) => t,
                    Err(e) => {
                        return action_failed(cx, cur, node, None, &format!("the deal title: {e}"));
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
                                cx,
                                cur,
                                node,
                                None,
                                &format!("the deal value {v:?} is not a number"),
                            );
                        }
                    },
                    Err(e) => {
                        return action_failed(cx, cur, node, None, &format!("the deal value: {e}"));
                    }
                },
                None => None,
            };
            if matches!(node.spec, NodeSpec::CreateDeal(_)) {
                deals::create_deal_using(cx.tx, cid, &d.pipeline, &d.stage, &title, value, now)
                    .map(|id| json!({"deal_id": id, "pipeline": d.pipeline, "stage": d.stage}))
            } else {
                deals::move_deal_using(cx.tx, cid, &d.pipeline, &d.stage, &title, now)
                    .map(|id| json!({"deal_id": id, "pipeline": d.pipeline, "stage": d.stage}))
            }
        }
        NodeSpec::EnrollCourse(k) => deals::enroll_using(cx.tx, cid, &k.course, now)
            .map(|changed| json!({"course": k.course, "changed": changed})),
        NodeSpec::UnenrollCourse(k) => deals::unenroll_using(cx.tx, cid, &k.course, now)
            .map(|changed| json!({"course": k.course, "changed": changed})),
        NodeSpec::Unsubscribe(_) => {
            let how = cairn_store::consent::Consent::new(
                cairn_store::consent::ConsentVia::Workflow,
                Some(cur.def.name.clone()),
            );
            contacts::set_status_as_using(cx.tx, cid, ContactStatus::Unsubscribed, &how, now)
                .map(|changed| json!({"status": "unsubscribed", "changed": changed}))
        }
        NodeSpec::StartWorkflow(w) => {
            let target = cx.defs.workflow_by_name(&w.workflow).cloned();
            let detail = match target {
                None => {
                    return action_failed(
                        cx,
                        cur,
                        node,
                        None,
                        &format!("there is no workflow named {:?}", w.workflow),
                    );
                }
                Some(t)
                    if t.status != cairn_store::workflows::WorkflowStatus::Active
                        && cur.mode == RunMode::Live =>
                {
                    json!({"workflow": t.name, "started": false, "reason": "that workflow is not active"})
                }
                Some(t) => {
                    let def = cx.defs.def(cx.tx, t.id, t.version)?;
                    let trig = def
                        .triggers()
                        .find(|n| matches!(n.spec, NodeSpec::TriggerManual(_)))
                        .or_else(|| def.triggers().next())
                        .map(|n| n.id.clone());
                    match trig {
                        None => {
                            json!({"workflow": t.name, "started": false, "reason": "that workflow has no trigger"})
                        }
                        Some(trig) => {
                            let payload = cur.trigger.clone();
                            let started = start(
                                cx,
                                &NewRun {
                                    workflow_id: t.id,
                                    version: t.version,
                                    contact_id: cid,
                                    trigger_node: &trig,
                                    trigger_event_id: None,
                                    trigger_payload: &payload,
                                    mode: cur.mode,
                                },
                            )?;
                            match started {
                                Some(run) => {
                                    json!({"workflow": t.name, "started": true, "run_id": run})
                                }
                                None => {
                                    json!({"workflow": t.name, "started": false, "reason": "the contact is already in it (re-entry rule)"})
                                }
                            }
                        }
                    }
                }
            };
            Ok(detail)
        }
        NodeSpec::RemoveFromWorkflow(w) => {
            let target = cx.defs.workflow_by_name(&w.workflow).cloned();
            match target {
                None => {
                    return action_failed(
                        cx,
                        cur,
                        node,
                        None,
                        &format!("there is no workflow named {:?}", w.workflow),
                    );
                }
                Some(t) => {
                    let open = runs::open_runs_of_contact_using(cx.tx, cid, Some(t.id))?;
                    let mut removed = 0;
                    for r in open.iter().filter(|r| r.id != cur.id) {
                        exit_run(
                            cx,
                            r.id,
                            r.workflow_id,
                            &format!("removed by workflow {:?}", cur.workflow),
                            None,
                            false,
                        )?;
                        removed += 1;
                    }
                    Ok(json!({"workflow": t.name, "removed": removed}))
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
                cx,
                cur,
                node,
                StepStatus::Ok,
                Some(exits::NEXT),
                Some(detail),
            )?;
            Ok(Flow::Next(exits::NEXT.into()))
        }
        Err(e) => {
            let msg = data_error(e)?;
            action_failed(cx, cur, node, None, &msg)
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

fn account_settings(c: &Connection, name: &str) -> Result<Option<Value>> {
    Ok(cairn_store::accounts::settings_using(c, name)?)
}

/// The bare address in `"Name <addr>"` or `addr`.
fn bare_address(from: &str) -> &str {
    match (from.find('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => from[a + 1..b].trim(),
        _ => from.trim(),
    }
}

fn exec_external(cx: &mut Cx<'_>, cur: &mut Cursor, node: &Node) -> Result<Flow> {
    let c = contact(cx, cur)?;
    let mode = cur.effective_mode(cx);
    // A step left waiting by the send window is reused when the window opens.
    let held = runs::open_step_using(cx.tx, cur.id, &node.id)?
        .filter(|s| {
            s.status == StepStatus::Waiting && cur.node.as_deref() == Some(node.id.as_str())
        })
        .map(|s| s.id);
    let is_email = matches!(node.spec, NodeSpec::SendEmail(_));
    // Who may receive it depends on the template's kind (marketing or
    // transactional); a missing template fails when the email is rendered.
    let refusal = match &node.spec {
        NodeSpec::SendEmail(s) => cur
            .def
            .template(&s.template)
            .and_then(|t| t.kind.refusal(c.status)),
        _ => None,
    };
    if let Some((code, reason)) = refusal {
        let detail = json!({"reason": reason, "code": code});
        match held {
            Some(s) => finish_step(
                cx,
                cur,
                s,
                &node.id,
                StepStatus::Skipped,
                Some(exits::NEXT),
                Some(detail),
            )?,
            None => {
                record_step(
                    cx,
                    cur,
                    node,
                    StepStatus::Skipped,
                    Some(exits::NEXT),
                    Some(detail),
                )?;
            }
        }
        return Ok(Flow::Next(exits::NEXT.into()));
    }
    // The send window applies to what reaches contacts or other systems.
    if (is_email || matches!(node.spec, NodeSpec::Webhook(_)))
        && let Some(w) = &cur.def.settings.send_window
    {
        let tz = w
            .timezone
            .resolve(c.timezone.as_deref(), &cur.def.settings.timezone);
        if !window::is_open(w, tz, cx.now) {
            let until = window::next_opening(w, tz, cx.now);
            let detail = json!({"until": until.to_rfc3339(), "reason": "outside the send window"});
            match held {
                Some(s) => {
                    let d = merged_detail(cx.tx, s, detail)?;
                    runs::update_step_using(
                        cx.tx,
                        s,
                        &StepUpdate::with_detail(StepStatus::Waiting, &d),
                        cx.now,
                    )?;
                }
                None => {
                    record_step(cx, cur, node, StepStatus::Waiting, None, Some(detail))?;
                }
            }
            runs::insert_timer_using(cx.tx, cur.id, &node.id, TimerPurpose::Window, until, cx.now)?;
            return Ok(Flow::Block);
        }
    }
    // Whether this effect leaves the machine: decided by the mode and by
    // what the node produces (a test run sends email only).
    let makes_email = matches!(
        &node.spec,
        NodeSpec::SendEmail(_)
            | NodeSpec::Notify(cairn_model::workflow::Notify {
                channel: NotifyChannel::EmailOwner { .. },
                ..
            })
    );
    let send_for_real = match mode {
        RunMode::Live => true,
        RunMode::Test => makes_email,
        RunMode::DryRun => false,
    };
    if !send_for_real {
        // Recorded with its full content in one write; the Message-ID shown
        // is what a live send of this node in this run would resemble.
        let key = identity::identity_using(cx.tx)?.effect_key(cur.id, &node.id);
        let effect = match render_effect(cx, cur, node, &c, &key) {
            Ok(e) => e,
            Err(msg) => return action_failed(cx, cur, node, held, &msg),
        };
        let note = match mode {
            RunMode::DryRun => "dry run: nothing was sent",
            _ => "test run: only email to the test contact leaves the machine",
        };
        let detail = json!({"sent": false, "note": note, "effect": effect});
        match held {
            Some(s) => finish_step(
                cx,
                cur,
                s,
                &node.id,
                StepStatus::Ok,
                Some(exits::NEXT),
                Some(detail),
            )?,
            None => {
                record_step(
                    cx,
                    cur,
                    node,
                    StepStatus::Ok,
                    Some(exits::NEXT),
                    Some(detail),
                )?;
            }
        }
        return Ok(Flow::Next(exits::NEXT.into()));
    }
    let step_id = match held {
        Some(s) => {
            runs::update_step_using(
                cx.tx,
                s,
                &StepUpdate::status(StepStatus::Pending, None),
                cx.now,
            )?;
            s
        }
        None => record_step(cx, cur, node, StepStatus::Pending, None, None)?,
    };
    // Unique across databases too (identity.rs): receivers deduplicate on it.
    let key = identity::identity_using(cx.tx)?.effect_key(cur.id, step_id);
    let effect = match render_effect(cx, cur, node, &c, &key) {
        Ok(e) => e,
        Err(msg) => return action_failed(cx, cur, node, Some(step_id), &msg),
    };
    let policy = node.spec.error_policy().copied().unwrap_or_default();
    let outbox_id = outbox::enqueue_using(
        cx.tx,
        &outbox::NewOutboxEntry {
            run_id: Some(cur.id),
            step_id: Some(step_id),
            effect: &effect,
            idempotency_key: &key,
            mode,
            max_attempts: policy.max_attempts,
            backoff_secs: policy.backoff.secs(),
        },
        cx.now,
    )?;
    let summary = effect_summary(&effect);
    let d = json!({"outbox_id": outbox_id, "effect": summary});
    runs::update_step_using(
        cx.tx,
        step_id,
        &StepUpdate::with_detail(StepStatus::Pending, &d),
        cx.now,
    )?;
    Ok(Flow::Block)
}

/// What the step log keeps of a live effect (the outbox keeps all of it).
pub(crate) fn effect_summary(e: &Effect) -> Value {
    match e {
        Effect::Email(m) => {
            json!({"kind": "email", "to": m.to, "subject": m.subject, "template": m.template, "message_id": m.message_id})
        }
        Effect::Webhook(w) => json!({"kind": "webhook", "method": w.method.as_str(), "url": w.url}),
        Effect::Slack(s) => json!({"kind": "slack", "account": s.account, "text": s.text}),
        Effect::Desktop(d) => json!({"kind": "desktop", "title": d.title, "body": d.body}),
    }
}

/// The unsubscribe link of a marketing email to `c` sent from `from`, used
/// in the body (`{{ unsubscribe_url }}`, or the footer `render_email` adds)
/// and in `List-Unsubscribe`. The one place that decides how a contact
/// unsubscribes.
fn unsubscribe_link(cx: &Cx<'_>, from: &str, c: &Contact) -> std::result::Result<String, String> {
    // The contact's own token: a request read back from the sending
    // mailbox unsubscribes only the contact it was given to.
    cairn_store::unsubscribe::mailto_using(cx.tx, from, &c.email).map_err(|e| e.to_string())
}

fn render_effect(
    cx: &Cx<'_>,
    cur: &Cursor,
    node: &Node,
    c: &Contact,
    key: &str,
) -> std::result::Result<Effect, String> {
    let email_of = |account: &str| -> std::result::Result<(String, String), String> {
        let settings = account_settings(cx.tx, account)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("there is no account named {account:?}"))?;
        let from = settings
            .get("from")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_default();
        let owner = settings
            .get("owner")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| bare_address(&from).to_string());
        Ok((bare_address(&from).to_string(), owner))
    };
    let domain_of = |addr: &str| {
        addr.rsplit('@')
            .next()
            .filter(|d| !d.is_empty())
            .unwrap_or("cairn.local")
            .to_string()
    };
    match &node.spec {
        NodeSpec::SendEmail(s) => {
            let tpl = cur.def.template(&s.template).ok_or_else(|| {
                format!("this workflow has no email template named {:?}", s.template)
            })?;
            let (from, _) = email_of(&s.account)?;
            // Transactional mail carries no unsubscribe link or header.
            let unsubscribe = match tpl.kind {
                EmailKind::Marketing => Some(unsubscribe_link(cx, &from, c)?),
                EmailKind::Transactional => None,
            };
            let ctx = merge_ctx(cx, cur, c, unsubscribe.as_deref().unwrap_or(""))
                .map_err(|e| e.to_string())?;
            let r = template::render_email(tpl, &ctx)
                .map_err(|e| format!("email template {:?}: {e}", s.template))?;
            Ok(Effect::Email(EmailMessage {
                account: s.account.clone(),
                to: c.email.clone(),
                to_name: c.name.clone(),
                subject: r.subject,
                html: r.html,
                text: r.text,
                message_id: format!("<{key}@{}>", domain_of(&from)),
                list_unsubscribe: unsubscribe,
                template: s.template.clone(),
                contact_id: Some(c.id),
            }))
        }
        NodeSpec::Webhook(w) => {
            let ctx = merge_ctx(cx, cur, c, "").map_err(|e| e.to_string())?;
            let url =
                template::render(&w.url, &ctx, Escape::Url).map_err(|e| format!("the URL: {e}"))?;
            let mut headers = std::collections::BTreeMap::new();
            let mut secret_headers = std::collections::BTreeMap::new();
            for (k, v) in &w.headers {
                match v {
                    HeaderValue::Text(t) => {
                        headers.insert(
                            k.clone(),
                            template::render(t, &ctx, Escape::Plain)
                                .map_err(|e| format!("header {k:?}: {e}"))?,
                        );
                    }
                    // Only the reference goes into the outbox.
                    HeaderValue::Secret(r) => {
                        secret_headers.insert(k.clone(), r.clone());
                    }
                }
            }
            let body = match &w.body {
                Some(b) => {
                    let text = template::render(b, &ctx, Escape::Json)
                        .map_err(|e| format!("the body: {e}"))?;
                    serde_json::from_str::<Value>(&text)
                        .map_err(|e| format!("the body is not valid JSON after merging: {e}"))?;
                    Some(text)
                }
                None => None,
            };
            Ok(Effect::Webhook(WebhookRequest {
                method: w.method,
                url,
                headers,
                secret_headers,
                body,
                signing_account: w.account.clone(),
                timeout_secs: w.timeout.map(|t| t.secs().max(1) as u64).unwrap_or(10),
            }))
        }
        NodeSpec::Notify(n) => {
            let ctx = merge_ctx(cx, cur, c, "").map_err(|e| e.to_string())?;
            // Slack reads `<!channel>` and `<@U…>` in text: values are
            // escaped there; elsewhere the message is plain text.
            let escape = match &n.channel {
                NotifyChannel::Slack { .. } => Escape::Slack,
                _ => Escape::Plain,
            };
            let text = template::render(&n.message, &ctx, escape)
                .map_err(|e| format!("the message: {e}"))?;
            Ok(match &n.channel {
                NotifyChannel::Slack { account } => Effect::Slack(SlackMessage {
                    account: account.clone(),
                    text,
                }),
                NotifyChannel::Desktop => Effect::Desktop(DesktopNotice {
                    title: cur.workflow.clone(),
                    body: text,
                }),
                NotifyChannel::EmailOwner { account } => {
                    let (from, owner) = email_of(account)?;
                    // In a test run, mail goes to the test contact only.
                    let to = if cur.mode == RunMode::Test {
                        c.email.clone()
                    } else {
                        owner
                    };
                    let html = format!(
                        "<p>{}</p>",
                        text.replace('&', "&amp;")
                            .replace('<', "&lt;")
                            .replace('>', "&gt;")
                    );
                    Effect::Email(EmailMessage {
                        account: account.clone(),
                        to,
                        to_name: None,
                        subject: format!("[Cairn] {}", cur.workflow),
                        html,
                        text,
                        message_id: format!("<{key}@{}>", domain_of(&from)),
                        list_unsubscribe: None,
                        template: String::new(),
                        contact_id: None,
                    })
                }
            })
        }
        other => Err(format!("{} is not an external action", other.kind())),
    }
}
