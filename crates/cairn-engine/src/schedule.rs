//! Time-based triggers: "every Monday at 09:00 over contacts that match"
//! and "3 days before a contact's birthday at 10:00, every year".
//!
//! For each such trigger the store keeps how far it has looked
//! (`trigger_schedule.checked_until`). A scan starts runs for every
//! occurrence in `(checked_until, now]` and moves the mark to `now` in the
//! same transaction, so an occurrence fires exactly once, and one that fell
//! due while the app was closed fires at the next start. A schedule that
//! missed several occurrences (a week away) fires once, for the latest.

use cairn_model::Timestamp;
use cairn_model::condition::Condition;
use cairn_model::time::{TimezoneRef, add_days, local_instant, local_parts, next_weekday_time};
use cairn_model::workflow::{Every, NodeSpec};
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde_json::json;

use crate::error::Result;
use crate::eval::{Facts, holds};
use crate::run::{self, Batch};
use cairn_store::contacts::{self, AudienceMember};
use cairn_store::runs::NewRun;
use cairn_store::trigger_schedule;
use cairn_store::workflows::WorkflowStatus;

/// When the scheduler next needs to look.
#[derive(Debug, Default)]
pub struct ScheduleState {
    pub next_due: Option<Timestamp>,
    /// Contacts or fields changed: date triggers must look again.
    pub dirty: bool,
    pub seen_generation: u64,
}

impl ScheduleState {
    pub fn needs_scan(&self, now: Timestamp, generation: u64) -> bool {
        self.dirty || self.seen_generation != generation || self.next_due.is_some_and(|d| d <= now)
    }
}

fn zone(tz: &TimezoneRef, contact_tz: Option<&str>, workflow_tz: &str) -> Tz {
    tz.resolve(contact_tz, workflow_tz)
}

/// The instants at which a date trigger fires for one date value.
fn date_instants(
    date: NaiveDate,
    offset: i32,
    yearly: bool,
    time: cairn_model::time::TimeOfDay,
    tz: Tz,
    from: Timestamp,
    to: Timestamp,
) -> (Vec<Timestamp>, Option<Timestamp>) {
    // None past the end of the calendar (a far date field moved further):
    // such a date never comes.
    let at = |d: NaiveDate| add_days(d, offset.into()).map(|d| local_instant(tz, d, time));
    let mut hits = vec![];
    let mut next = None;
    if yearly {
        let (y0, y1) = (from.year() - 1, to.year() + 2);
        for y in y0..=y1 {
            let d = NaiveDate::from_ymd_opt(y, date.month(), date.day())
                .or_else(|| NaiveDate::from_ymd_opt(y, 2, 28))
                .unwrap_or(date);
            let Some(t) = at(d) else {
                continue;
            };
            if t > from && t <= to {
                hits.push(t);
            }
            if t > to && next.is_none_or(|n| t < n) {
                next = Some(t);
            }
        }
    } else if let Some(t) = at(date) {
        if t > from && t <= to {
            hits.push(t);
        }
        if t > to {
            next = Some(t);
        }
    }
    (hits, next)
}

/// The latest occurrence of a schedule in `(from, to]`, and the next after `to`.
fn schedule_instants(
    every: Every,
    weekdays: &[cairn_model::time::Weekday],
    time: cairn_model::time::TimeOfDay,
    tz: Tz,
    from: Timestamp,
    to: Timestamp,
) -> (Option<Timestamp>, Timestamp) {
    let days: &[cairn_model::time::Weekday] = if every == Every::Day { &[] } else { weekdays };
    let next = next_weekday_time(to, tz, days, time);
    // Walk back day by day from `to` to find the latest occurrence after `from`.
    let (_, _, today) = local_parts(to, tz);
    let mut latest = None;
    for back in 0..=8 {
        let d = today - chrono::Duration::days(back);
        let wd = cairn_model::time::Weekday::from_chrono(d.weekday());
        if !days.is_empty() && !days.contains(&wd) {
            continue;
        }
        let t = local_instant(tz, d, time);
        if t <= to {
            if t > from {
                latest = Some(t);
            }
            break;
        }
    }
    (latest, next)
}

fn audience(
    batch: &Batch<'_>,
    cond: Option<&Condition>,
    workflow_tz: &str,
    node: &str,
) -> Result<Vec<AudienceMember>> {
    let all = contacts::audience_using(batch.tx)?;
    let Some(cond) = cond else {
        return Ok(all);
    };
    let mut out = vec![];
    for c in all {
        let Some(contact) = contacts::get_using(batch.tx, c.id)? else {
            continue;
        };
        let f = Facts {
            conn: batch.tx,
            contact: &contact,
            trigger: &serde_json::Value::Null,
            workflow_tz,
            run_id: 0,
            node_id: node,
            now: batch.now,
        };
        if holds(cond, &f)? {
            out.push(c);
        }
    }
    Ok(out)
}

/// Scans every active workflow's time-based triggers. Returns runs started.
pub(crate) fn scan(
    batch: &mut Batch<'_>,
    state: &mut ScheduleState,
    scheduled: &[i64],
) -> Result<usize> {
    let now = batch.now;
    let mut started = 0;
    let mut next_due: Option<Timestamp> = None;
    let mut keep = |t: Timestamp| {
        if next_due.is_none_or(|n| t < n) {
            next_due = Some(t);
        }
    };
    for &wf_id in scheduled {
        let Some(state_wf) = batch.defs.workflow(wf_id).cloned() else {
            continue;
        };
        if state_wf.status != WorkflowStatus::Active {
            continue;
        }
        let def = batch.defs.def(batch.tx, wf_id, state_wf.version)?;
        let wtz = def.settings.timezone.clone();
        for node in def.triggers() {
            if !matches!(
                node.spec,
                NodeSpec::TriggerDate(_) | NodeSpec::TriggerSchedule(_)
            ) {
                continue;
            }
            let from = trigger_schedule::checked_until_using(batch.tx, wf_id, &node.id)?
                // First sight: nothing before activation fires.
                .unwrap_or(now);
            let mut fire: Vec<(i64, Timestamp)> = vec![];
            match &node.spec {
                NodeSpec::TriggerSchedule(s) => {
                    let tz = zone(&s.timezone, None, &wtz);
                    let (latest, next) =
                        schedule_instants(s.every, &s.weekdays, s.time, tz, from, now);
                    keep(next);
                    if let Some(t) = latest {
                        for c in audience(batch, s.audience.as_ref(), &wtz, &node.id)? {
                            fire.push((c.id, t));
                        }
                    }
                }
                NodeSpec::TriggerDate(d) => {
                    let people = audience(batch, d.audience.as_ref(), &wtz, &node.id)?;
                    match (&d.field, d.date) {
                        (_, Some(fixed)) => {
                            for c in people {
                                let tz = zone(&d.timezone, c.timezone.as_deref(), &wtz);
                                let (hits, next) =
                                    date_instants(fixed, 0, false, d.time, tz, from, now);
                                if let Some(n) = next {
                                    keep(n);
                                }
                                fire.extend(hits.into_iter().map(|t| (c.id, t)));
                            }
                        }
                        (Some(field), None) => {
                            let values = contacts::field_values_using(batch.tx, field)?;
                            for c in people {
                                let Some(raw) = values.get(&c.id) else {
                                    continue;
                                };
                                let Some(date) =
                                    serde_json::from_str::<String>(raw).ok().and_then(|s| {
                                        NaiveDate::parse_from_str(
                                            s.get(..10).unwrap_or(&s),
                                            "%Y-%m-%d",
                                        )
                                        .ok()
                                    })
                                else {
                                    continue;
                                };
                                let tz = zone(&d.timezone, c.timezone.as_deref(), &wtz);
                                let (hits, next) = date_instants(
                                    date,
                                    d.offset_days,
                                    d.yearly,
                                    d.time,
                                    tz,
                                    from,
                                    now,
                                );
                                if let Some(n) = next {
                                    keep(n);
                                }
                                fire.extend(hits.into_iter().map(|t| (c.id, t)));
                            }
                        }
                        (None, None) => {}
                    }
                }
                _ => {}
            }
            for (contact_id, at) in fire {
                let payload = json!({"scheduled_for": at.to_rfc3339(), "trigger": node.id});
                if run::start(
                    batch,
                    &NewRun {
                        workflow_id: wf_id,
                        version: state_wf.version,
                        contact_id,
                        trigger_node: &node.id,
                        trigger_event_id: None,
                        trigger_payload: &payload,
                        mode: cairn_model::effect::RunMode::Live,
                    },
                )?
                .is_some()
                {
                    started += 1;
                }
            }
            trigger_schedule::set_checked_until_using(batch.tx, wf_id, &node.id, now)?;
        }
    }
    state.next_due = next_due;
    state.dirty = false;
    state.seen_generation = batch.defs.generation;
    Ok(started)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_model::time::{TimeOfDay, Weekday};
    use chrono::{TimeZone, Utc};

    #[test]
    fn yearly_birthday_three_days_before() {
        let tz = Tz::UTC;
        let bday = NaiveDate::from_ymd_opt(1990, 12, 4).unwrap();
        let from = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
        let (hits, next) =
            date_instants(bday, -3, true, TimeOfDay::new(10, 0).unwrap(), tz, from, to);
        assert_eq!(
            hits,
            vec![Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()]
        );
        assert_eq!(
            next,
            Some(Utc.with_ymd_and_hms(2027, 12, 1, 10, 0, 0).unwrap())
        );
    }

    #[test]
    fn weekly_schedule_fires_latest_missed_once() {
        let tz = Tz::UTC;
        let from = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(); // Sunday
        let to = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap(); // Friday
        let (latest, next) = schedule_instants(
            Every::Week,
            &[Weekday::Mon],
            TimeOfDay::new(9, 0).unwrap(),
            tz,
            from,
            to,
        );
        assert_eq!(
            latest,
            Some(Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap())
        );
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
    }
}
