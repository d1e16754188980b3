//! Evaluating conditions for one run at one instant.

use cairn_model::Timestamp;
use cairn_model::condition::{Condition, Engagement, all_match, lookup, split_bucket};
use cairn_model::contact::Contact;
use cairn_model::event::types;
use cairn_model::time::{local_parts, sub_checked};
use rusqlite::{Connection, params};

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
            let mut st = f.conn.prepare_cached(
                "SELECT payload FROM events WHERE contact_id = ?1 AND type = ?2 AND occurred_at >= ?3",
            )?;
            let payloads = st.query_map(params![f.contact.id, t, cairn_store::ms(since)], |r| {
                r.get::<_, String>(0)
            })?;
            let mut found = false;
            for p in payloads {
                let p: serde_json::Value = serde_json::from_str(&p?).unwrap_or_default();
                let ok = match email {
                    Some(e) => lookup(&p, "email")
                        .and_then(|v| v.as_str())
                        .is_some_and(|v| v.eq_ignore_ascii_case(e)),
                    None => true,
                };
                if ok {
                    found = true;
                    break;
                }
            }
            found
        }
        Condition::HadEvent {
            event_type,
            within,
            filters,
        } => {
            let since = within
                .map(|w| cairn_store::ms(sub_checked(f.now, w.to_chrono())))
                .unwrap_or(i64::MIN);
            let mut st = f.conn.prepare_cached(
                "SELECT payload FROM events WHERE contact_id = ?1 AND type = ?2 AND occurred_at >= ?3 AND occurred_at <= ?4",
            )?;
            let payloads = st.query_map(
                params![f.contact.id, event_type, since, cairn_store::ms(f.now)],
                |r| r.get::<_, String>(0),
            )?;
            let mut found = false;
            for p in payloads {
                let p: serde_json::Value = serde_json::from_str(&p?).unwrap_or_default();
                if all_match(filters, &p) {
                    found = true;
                    break;
                }
            }
            found
        }
        Condition::RandomSplit { percent } => {
            split_bucket(&format!("run-{}", f.run_id), f.node_id) < *percent
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
