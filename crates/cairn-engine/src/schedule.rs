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
use cairn_store::watch;
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
    let Some(cond) = cond else {
        return Ok(contacts::audience_using(batch.tx)?);
    };
    // Only a required tag's contacts can pass: read those alone (the whole
    // condition is still evaluated on each, below).
    let all = match cond.required_tag() {
        Some(tag) => contacts::audience_tagged_using(batch.tx, tag)?,
        None => contacts::audience_using(batch.tx)?,
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

/// Runs to start (contact, instant) and the earliest occurrence after the scan.
type Occurrences = (Vec<(i64, Timestamp)>, Option<Timestamp>);

/// How many days past `now` a date scan looks for the next occurrence.
const LOOKAHEAD_DAYS: i64 = 8;

/// The month-days (",MM-DD,...,") a stored date must have for one of its
/// occurrences (`offset` days after it, at any time of day in any zone) to
/// fall in `(from, now]` or in the next [`LOOKAHEAD_DAYS`], and the instant
/// before which every occurrence of the dates left out lies beyond.
///
/// An occurrence's instant lies within a day of its local date in UTC (zone
/// offsets are under 16 h, a DST gap moves it a few hours), so with two
/// days of margin a date whose month-day is not listed has no occurrence
/// in `(from, now]` and none before the bound. Feb 29 is always listed (it
/// falls on Feb 28 in other years). None (no filter) when the span reaches
/// a year or the dates are near the calendar's ends.
fn month_day_window(offset: i32, from: Timestamp, now: Timestamp) -> Option<(String, Timestamp)> {
    if from.year() < 1000 || now.year() > 9000 {
        return None;
    }
    let shift = chrono::Duration::days(i64::from(offset));
    let lo = from
        .date_naive()
        .checked_sub_signed(chrono::Duration::days(2))?
        .checked_sub_signed(shift)?;
    let last = now
        .date_naive()
        .checked_add_signed(chrono::Duration::days(2 + LOOKAHEAD_DAYS))?;
    let hi = last.checked_sub_signed(shift)?;
    if (hi - lo).num_days() >= 360 {
        return None;
    }
    let mut days = String::from(",02-29,");
    let mut d = lo;
    while d <= hi {
        days.push_str(&d.format("%m-%d,").to_string());
        d = d.succ_opt()?;
    }
    Some((days, last.and_hms_opt(0, 0, 0)?.and_utc()))
}

/// One date-field trigger's scan of `(from, now]`: what it reads with and
/// what it fires for.
struct DateScan<'a> {
    tx: &'a rusqlite::Connection,
    field: &'a str,
    trigger: &'a cairn_model::workflow::DateTrigger,
    workflow_tz: &'a str,
    from: Timestamp,
    now: Timestamp,
}

impl DateScan<'_> {
    /// The trigger's occurrences in `(from, now]` over the audience (`pass`
    /// tests a member against the trigger's audience condition), and the
    /// earliest occurrence after `now`. Reads only the members whose date
    /// can fall due in the window ([`month_day_window`]); when none of them
    /// has an occurrence before the window's bound, reads all.
    fn occurrences(&self, pass: &mut dyn FnMut(i64) -> Result<bool>) -> Result<Occurrences> {
        let window = month_day_window(self.trigger.offset_days, self.from, self.now);
        let (hits, next) = self.among(window.as_ref().map(|w| w.0.as_str()), pass)?;
        match window {
            Some((_, bound)) if next.is_none_or(|n| n > bound) => self.among(None, pass),
            _ => Ok((hits, next)),
        }
    }

    /// [`DateScan::occurrences`] among the stored dates whose month-day is
    /// in `month_days` (all of them with `None`).
    fn among(
        &self,
        month_days: Option<&str>,
        pass: &mut dyn FnMut(i64) -> Result<bool>,
    ) -> Result<Occurrences> {
        let d = self.trigger;
        let mut fire = vec![];
        let mut next: Option<Timestamp> = None;
        for (c, raw) in contacts::audience_field_using(self.tx, self.field, month_days)? {
            let Some(date) = serde_json::from_str::<String>(&raw).ok().and_then(|s| {
                NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d").ok()
            }) else {
                continue;
            };
            if !pass(c.id)? {
                continue;
            }
            let tz = zone(&d.timezone, c.timezone.as_deref(), self.workflow_tz);
            let (hits, n) = date_instants(
                date,
                d.offset_days,
                d.yearly,
                d.time,
                tz,
                self.from,
                self.now,
            );
            if let Some(n) = n
                && next.is_none_or(|x| n < x)
            {
                next = Some(n);
            }
            fire.extend(hits.into_iter().map(|t| (c.id, t)));
        }
        Ok((fire, next))
    }
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
            let from = match trigger_schedule::checked_until_using(batch.tx, wf_id, &node.id)? {
                Some(t) => t,
                // First sight: from when the workflow went live (activated
                // while no executor ran: what fell due since still fires);
                // nothing before activation fires.
                None => watch::activated_at_using(batch.tx, wf_id)?
                    .filter(|t| *t <= now)
                    .unwrap_or(now),
            };
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
                NodeSpec::TriggerDate(d) => match (&d.field, d.date) {
                    (_, Some(fixed)) => {
                        for c in audience(batch, d.audience.as_ref(), &wtz, &node.id)? {
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
                        let mut pass = |id: i64| -> Result<bool> {
                            let Some(cond) = d.audience.as_ref() else {
                                return Ok(true);
                            };
                            let Some(contact) = contacts::get_using(batch.tx, id)? else {
                                return Ok(false);
                            };
                            let f = Facts {
                                conn: batch.tx,
                                contact: &contact,
                                trigger: &serde_json::Value::Null,
                                workflow_tz: &wtz,
                                run_id: 0,
                                node_id: &node.id,
                                now,
                            };
                            holds(cond, &f)
                        };
                        let scan = DateScan {
                            tx: batch.tx,
                            field,
                            trigger: d,
                            workflow_tz: &wtz,
                            from,
                            now,
                        };
                        let (hits, next) = scan.occurrences(&mut pass)?;
                        if let Some(n) = next {
                            keep(n);
                        }
                        fire.extend(hits);
                    }
                    (None, None) => {}
                },
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

    /// The month-day filter of [`DateScan::occurrences`] selects exactly what
    /// reading every contact selects: the same runs at the same instants
    /// and the same next occurrence, over contacts in zones at both ends of
    /// the clock and with DST (Lord Howe's is half an hour), Feb 29,
    /// missing, invalid, unpadded, escaped and non-string values, for
    /// offsets, times at the day's edges and scans across DST changes,
    /// Feb 28/Mar 1 and the turn of the year.
    #[test]
    fn month_day_filter_selects_what_reading_everyone_selects() {
        let path =
            std::env::temp_dir().join(format!("cairn-schedule-md-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let store = cairn_store::Store::open(&path).unwrap();
        let c = store.conn();
        c.execute(
            "INSERT INTO fields (name, type, created_at) VALUES ('birthday', 'date', 0)",
            [],
        )
        .unwrap();
        let zones = [
            None,
            Some("Pacific/Kiritimati"),
            Some("Pacific/Pago_Pago"),
            Some("America/New_York"),
            Some("Europe/Berlin"),
            Some("Australia/Lord_Howe"),
            Some("Not/AZone"),
        ];
        let mut values: Vec<String> = vec![];
        let mut day = NaiveDate::from_ymd_opt(1996, 1, 1).unwrap();
        for i in 0..366 {
            values.push(format!("\"{}\"", day.format("%Y-%m-%d")));
            if i % 5 == 0 {
                values.push(format!("\"{}T23:30:00Z\"", day.format("%Y-%m-%d")));
            }
            day = day.succ_opt().unwrap();
        }
        for v in [
            r#""1990-02-29""#,
            r#""2023-02-30""#,
            r#""not a date""#,
            r#""1990-1-4""#,
            r#""1990-12-4""#,
            r#""\u0031990-12-31""#,
            r#""1990\u002d01-01""#,
            r#""+1990-01-01""#,
            r#""12345-01-01""#,
            r#""2027-12-30""#,
            r#""2028-01-01""#,
            "19901231",
            "null",
            r#""""#,
        ] {
            values.push(v.to_string());
        }
        let mut id = 0;
        for (i, v) in values.iter().enumerate() {
            for tz in [zones[i % zones.len()], zones[(i * 3 + 1) % zones.len()]] {
                id += 1;
                let status = if id % 17 == 0 {
                    "unsubscribed"
                } else {
                    "subscribed"
                };
                c.execute(
                    "INSERT INTO contacts (email, email_key, status, is_test, timezone, created_at, updated_at) VALUES (?1, ?1, ?2, ?3, ?4, 0, 0)",
                    rusqlite::params![format!("c{id}@x.com"), status, i64::from(id % 23 == 0), tz],
                )
                .unwrap();
                c.execute(
                    "INSERT INTO contact_fields (contact_id, field_id, value) SELECT ?1, id, ?2 FROM fields WHERE name = 'birthday'",
                    rusqlite::params![id, v],
                )
                .unwrap();
            }
        }
        // Contacts without the field.
        for k in 0..5 {
            c.execute(
                "INSERT INTO contacts (email, email_key, timezone, created_at, updated_at) VALUES (?1, ?1, 'Europe/Berlin', 0, 0)",
                [format!("none{k}@x.com")],
            )
            .unwrap();
        }
        let at = |y, m, d, h, mi| Utc.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap();
        let nows = [
            at(2027, 3, 14, 7, 0),   // New York springs forward
            at(2027, 3, 28, 1, 0),   // Berlin springs forward
            at(2027, 10, 31, 1, 30), // Berlin falls back
            at(2027, 4, 3, 15, 0),   // Lord Howe falls back
            at(2027, 2, 28, 23, 0),
            at(2028, 2, 29, 10, 0),
            at(2028, 3, 1, 0, 0),
            at(2027, 12, 31, 23, 59),
            at(2028, 1, 1, 0, 0),
            at(2027, 6, 15, 12, 0),
        ];
        let spans = [0, 24 * 60, 40 * 24 * 60, 200 * 24 * 60];
        let mut checked = 0;
        let mut fired = 0;
        for offset in [0, -3, 365, -400] {
            for yearly in [true, false] {
                for time in ["00:00", "23:59"] {
                    for tz in ["contact", "Pacific/Pago_Pago"] {
                        let d: cairn_model::workflow::DateTrigger = serde_json::from_value(json!({
                            "field": "birthday", "offset_days": offset, "yearly": yearly,
                            "time": time, "timezone": tz,
                        }))
                        .unwrap();
                        for now in nows {
                            for span in spans {
                                let from = now - chrono::Duration::minutes(span);
                                let mut all = |_: i64| Ok(true);
                                let mut odd = |id: i64| Ok(id % 2 == 1);
                                for pass in
                                    [&mut all as &mut dyn FnMut(i64) -> Result<bool>, &mut odd]
                                {
                                    let scan = DateScan {
                                        tx: c,
                                        field: "birthday",
                                        trigger: &d,
                                        workflow_tz: "America/New_York",
                                        from,
                                        now,
                                    };
                                    let fast = scan.occurrences(pass).unwrap();
                                    let full = scan.among(None, pass).unwrap();
                                    assert_eq!(
                                        fast, full,
                                        "offset {offset} yearly {yearly} {time} {tz} ({from}, {now}]"
                                    );
                                    fired += full.0.len();
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        // The comparison saw runs and a filter that left contacts out.
        assert!(fired > 1000, "{fired}");
        let (days, _) = month_day_window(-3, nows[0], nows[0]).unwrap();
        let all_rows = contacts::audience_field_using(c, "birthday", None)
            .unwrap()
            .len();
        let some = contacts::audience_field_using(c, "birthday", Some(&days))
            .unwrap()
            .len();
        assert!(some < all_rows / 5, "{some} of {all_rows}");
        assert!(checked > 0);
        drop(store);
        let _ = std::fs::remove_file(&path);
    }

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
