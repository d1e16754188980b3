//! Evaluating conditions for one run at one instant.

use cairn_model::Timestamp;
use cairn_model::condition::{Condition, Engagement, all_match, lookup, split_bucket};
use cairn_model::contact::Contact;
use cairn_model::event::types;
use cairn_model::time::{local_parts, sub_checked};
use cairn_store::events;
use rusqlite::Connection;

use crate::error::Result;

/// What a condition may look at.
pub struct Facts<'a> {
    pub conn: &'a Connection,
    pub contact: &'a Contact,
    pub trigger: &'a serde_json::Value,
    pub workflow_tz: &'a str,
    pub run_id: i64,
    pub node_id: &'a str,
    pub now: Timestamp,
}

/// What a run contributes to the split hash (`random_split`, the `split`
/// node): its id, so the choice is the same every time the run is evaluated.
pub(crate) fn split_seed(run_id: i64) -> String {
    format!("run-{run_id}")
}

pub fn holds(c: &Condition, f: &Facts<'_>) -> Result<bool> {
    Ok(match c {
        Condition::All(cs) => {
            for x in cs {
                if !holds(x, f)? {
                    return Ok(false);
                }
            }
            true
        }
        Condition::Any(cs) => {
            for x in cs {
                if holds(x, f)? {
                    return Ok(true);
                }
            }
            false
        }
        Condition::Not(x) => !holds(x, f)?,
        Condition::Field { field, op, value } => {
            op.apply(f.contact.field(field).as_ref(), value.as_ref())
        }
        Condition::HasTag(t) => f.contact.has_tag(t),
        Condition::LacksTag(t) => !f.contact.has_tag(t),
        Condition::Payload { path, op, value } => op.apply(lookup(f.trigger, path), value.as_ref()),
        Condition::Engagement {
            action,
            email,
            within,
        } => {
            let t = match action {
                Engagement::Opened => types::EMAIL_OPENED,
                Engagement::Clicked => types::LINK_CLICKED,
            };
            let since = sub_checked(f.now, within.to_chrono());
            events::any_payload_using(
                f.conn,
                f.contact.id,
                t,
                Some(since),
                None,
                |p| match email {
                    Some(e) => lookup(p, "email")
                        .and_then(|v| v.as_str())
                        .is_some_and(|v| v.eq_ignore_ascii_case(e)),
                    None => true,
                },
            )?
        }
        Condition::HadEvent {
            event_type,
            within,
            filters,
        } => {
            let since = within.map(|w| sub_checked(f.now, w.to_chrono()));
            events::any_payload_using(f.conn, f.contact.id, event_type, since, Some(f.now), |p| {
                all_match(filters, p)
            })?
        }
        Condition::RandomSplit { percent } => {
            split_bucket(&split_seed(f.run_id), f.node_id) < *percent
        }
        Condition::TimeWindow {
            weekdays,
            from,
            to,
            timezone,
        } => {
            let tz = timezone.resolve(f.contact.timezone.as_deref(), f.workflow_tz);
            let (wd, tod, _) = local_parts(f.now, tz);
            let day_ok = weekdays.is_empty() || weekdays.contains(&wd);
            let m = tod.minutes();
            let in_range = if from < to {
                m >= from.minutes() && m < to.minutes()
            } else {
                m >= from.minutes() || m < to.minutes()
            };
            day_ok && in_range
        }
    })
}
