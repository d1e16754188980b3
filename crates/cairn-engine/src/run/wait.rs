//! The waits: a duration, a time of day, a date of the contact's, an event.
//! Each records a waiting step and a timer (and, for an event, an event
//! wait); `timers.rs` and `ingest.rs` finish them.

use cairn_model::Timestamp;
use cairn_model::condition::lookup;
use cairn_model::time::{add_checked, add_days, local_instant, next_weekday_time};
use cairn_model::workflow::{Node, NodeSpec, exits};
use cairn_store::runs::{self, StepStatus, TimerPurpose};
use cairn_store::step_detail::StepDetail;
use serde_json::Value;

use super::{Batch, Flow, OpenRun, contact, record_step};
use crate::error::{EngineError, Result};

pub(super) fn exec(batch: &mut Batch<'_>, run: &mut OpenRun, node: &Node) -> Result<Flow> {
    let ok = |exit: &str| Flow::Next(exit.to_string());
    match &node.spec {
        NodeSpec::WaitDuration(w) => {
            let due = add_checked(batch.now, w.duration.to_chrono());
            wait_until(batch, run, node, due)
        }
        NodeSpec::WaitUntilTime(w) => {
            let contact = contact(batch, run)?;
            let tz = w
                .timezone
                .resolve(contact.timezone.as_deref(), &run.def.settings.timezone);
            let due = next_weekday_time(batch.now, tz, &w.weekdays, w.time);
            wait_until(batch, run, node, due)
        }
        NodeSpec::WaitUntilDate(w) => {
            let contact = contact(batch, run)?;
            let date = contact
                .field(&w.field)
                .and_then(|v| v.as_str().map(str::to_string))
                .and_then(|s| {
                    chrono::NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d").ok()
                });
            let Some(date) = date else {
                record_step(
                    batch,
                    run,
                    node,
                    StepStatus::Skipped,
                    Some(exits::NEXT),
                    Some(
                        StepDetail::Skipped {
                            reason: format!("the contact has no {} date", w.field),
                        }
                        .into(),
                    ),
                )?;
                return Ok(ok(exits::NEXT));
            };
            let tz = w
                .timezone
                .resolve(contact.timezone.as_deref(), &run.def.settings.timezone);
            // A date at the end of the calendar moved further is no date.
            let Some(day) = add_days(date, w.offset_days.into()) else {
                record_step(
                    batch,
                    run,
                    node,
                    StepStatus::Skipped,
                    Some(exits::NEXT),
                    Some(
                        StepDetail::Skipped {
                            reason: format!(
                                "the contact's {} date moved by {} days is past any calendar",
                                w.field, w.offset_days
                            ),
                        }
                        .into(),
                    ),
                )?;
                return Ok(ok(exits::NEXT));
            };
            let due = local_instant(tz, day, w.time);
            if due <= batch.now {
                record_step(
                    batch,
                    run,
                    node,
                    StepStatus::Ok,
                    Some(exits::NEXT),
                    Some(
                        StepDetail::Until {
                            until: due.to_rfc3339(),
                            reason: "the date has already passed".into(),
                        }
                        .into(),
                    ),
                )?;
                return Ok(ok(exits::NEXT));
            }
            wait_until(batch, run, node, due)
        }
        NodeSpec::WaitForEvent(w) => {
            let mut corr = serde_json::Map::new();
            for k in &w.correlate {
                corr.insert(
                    k.clone(),
                    lookup(&run.trigger, k).cloned().unwrap_or(Value::Null),
                );
            }
            let corr = Value::Object(corr);
            let due = add_checked(batch.now, w.timeout.to_chrono());
            record_step(
                batch,
                run,
                node,
                StepStatus::Waiting,
                None,
                Some(
                    StepDetail::WaitingForEvent {
                        event_type: w.event_type.clone(),
                        correlation: corr.clone(),
                        until: due.to_rfc3339(),
                    }
                    .into(),
                ),
            )?;
            runs::insert_event_wait_using(
                batch.tx,
                run.id,
                run.contact_id,
                &w.event_type,
                &node.id,
                &corr,
                batch.now,
            )?;
            runs::insert_timer_using(
                batch.tx,
                run.id,
                &node.id,
                TimerPurpose::Timeout,
                due,
                batch.now,
            )?;
            Ok(Flow::Block)
        }
        other => Err(EngineError::Invalid(format!(
            "{} is not a wait",
            other.kind()
        ))),
    }
}

fn wait_until(batch: &mut Batch<'_>, run: &OpenRun, node: &Node, due: Timestamp) -> Result<Flow> {
    record_step(
        batch,
        run,
        node,
        StepStatus::Waiting,
        None,
        Some(
            StepDetail::WaitingUntil {
                until: due.to_rfc3339(),
            }
            .into(),
        ),
    )?;
    runs::insert_timer_using(
        batch.tx,
        run.id,
        &node.id,
        TimerPurpose::Wait,
        due,
        batch.now,
    )?;
    Ok(Flow::Block)
}
