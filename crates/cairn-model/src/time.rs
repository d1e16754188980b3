//! Wall-clock notions: a time of day, a weekday, and which time zone a
//! wall-clock time is read in.

use std::fmt;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;

use crate::Timestamp;

/// A time of day written `"HH:MM"` (24-hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    pub hour: u8,
    pub minute: u8,
}

impl TimeOfDay {
    pub const MIDNIGHT: TimeOfDay = TimeOfDay { hour: 0, minute: 0 };

    pub fn new(hour: u8, minute: u8) -> Option<Self> {
        (hour < 24 && minute < 60).then_some(TimeOfDay { hour, minute })
    }

    pub fn parse(text: &str) -> Option<Self> {
        let (h, m) = text.trim().split_once(':')?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        TimeOfDay::new(h.parse().ok()?, m.parse().ok()?)
    }

    pub fn naive(self) -> NaiveTime {
        NaiveTime::from_hms_opt(self.hour.into(), self.minute.into(), 0).expect("validated")
    }

    pub fn minutes(self) -> u32 {
        u32::from(self.hour) * 60 + u32::from(self.minute)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)
            .map_err(|_| serde::de::Error::custom("expected a time of day such as \"09:00\""))?;
        TimeOfDay::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected a time of day such as \"09:00\", found {s:?}"
            ))
        })
    }
}

impl JsonSchema for TimeOfDay {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimeOfDay".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([01]?[0-9]|2[0-3]):[0-5][0-9]$",
            "description": "A 24-hour time of day such as \"09:00\"."
        })
    }
}

/// TypeScript sees the wire form: a string.
macro_rules! ts_as_string {
    ($t:ty) => {
        impl TS for $t {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name(_: &ts_rs::Config) -> String {
                "string".into()
            }
            fn inline(_: &ts_rs::Config) -> String {
                "string".into()
            }
        }
    };
}
ts_as_string!(TimeOfDay);
ts_as_string!(TimezoneRef);

/// A day of the week.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema, TS,
)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    pub fn from_chrono(w: chrono::Weekday) -> Self {
        Weekday::ALL[w.num_days_from_monday() as usize]
    }
    pub fn to_chrono(self) -> chrono::Weekday {
        match self {
            Weekday::Mon => chrono::Weekday::Mon,
            Weekday::Tue => chrono::Weekday::Tue,
            Weekday::Wed => chrono::Weekday::Wed,
            Weekday::Thu => chrono::Weekday::Thu,
            Weekday::Fri => chrono::Weekday::Fri,
            Weekday::Sat => chrono::Weekday::Sat,
            Weekday::Sun => chrono::Weekday::Sun,
        }
    }
}

/// Which time zone a wall-clock time is read in: the contact's own
/// (falling back to the workflow's when the contact has none), the
/// workflow's, or a named IANA zone such as `"Europe/Berlin"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum TimezoneRef {
    Contact,
    #[default]
    Workflow,
    Named(String),
}

impl TimezoneRef {
    /// Resolves to a concrete zone. Unknown names fall back to UTC; validation
    /// refuses them before a workflow can be activated.
    pub fn resolve(&self, contact_tz: Option<&str>, workflow_tz: &str) -> Tz {
        let name = match self {
            TimezoneRef::Contact => contact_tz.unwrap_or(workflow_tz),
            TimezoneRef::Workflow => workflow_tz,
            TimezoneRef::Named(n) => n.as_str(),
        };
        parse_tz(name)
            .or_else(|| parse_tz(workflow_tz))
            .unwrap_or(Tz::UTC)
    }
}

/// Parses an IANA zone name.
pub fn parse_tz(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

impl fmt::Display for TimezoneRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimezoneRef::Contact => f.write_str("contact"),
            TimezoneRef::Workflow => f.write_str("workflow"),
            TimezoneRef::Named(n) => f.write_str(n),
        }
    }
}

impl Serialize for TimezoneRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimezoneRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "contact" => TimezoneRef::Contact,
            "workflow" => TimezoneRef::Workflow,
            _ => {
                if parse_tz(&s).is_none() {
                    return Err(serde::de::Error::custom(format!(
                        "expected \"contact\", \"workflow\" or an IANA time zone such as \"Europe/Berlin\", found {s:?}"
                    )));
                }
                TimezoneRef::Named(s)
            }
        })
    }
}

impl JsonSchema for TimezoneRef {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimezoneRef".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "\"contact\" (the contact's own zone, else the workflow's), \"workflow\", or an IANA zone such as \"Europe/Berlin\"."
        })
    }
}

/// The instant at which the wall clock in `tz` reads `date` `time`.
///
/// Across a DST gap (02:30 does not exist on a spring-forward night) the time
/// is moved forward to the first instant that exists; in a DST overlap the
/// earlier of the two instants is taken. Either way the wait fires once.
pub fn local_instant(tz: Tz, date: NaiveDate, time: TimeOfDay) -> Timestamp {
    let naive = date.and_time(time.naive());
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            // Walk forward minute by minute (gaps are at most a couple of hours).
            let mut probe = naive;
            for _ in 0..(3 * 60) {
                probe += chrono::Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&naive)
        }
    }
}

/// The first instant strictly after `after` at which the wall clock in `tz`
/// shows `time` on one of `days` (any day when `days` is empty).
pub fn next_weekday_time(after: Timestamp, tz: Tz, days: &[Weekday], time: TimeOfDay) -> Timestamp {
    let local_date = after.with_timezone(&tz).date_naive();
    for offset in 0..=8 {
        let date = local_date + chrono::Duration::days(offset);
        let wd = Weekday::from_chrono(chrono::Datelike::weekday(&date));
        if !days.is_empty() && !days.contains(&wd) {
            continue;
        }
        let at = local_instant(tz, date, time);
        if at > after {
            return at;
        }
    }
    // Unreachable with a non-empty week, but never loop forever.
    after + chrono::Duration::days(7)
}

/// The latest instant Cairn schedules anything at: the last second of the
/// year 9999. Every `instant + span` in the engine goes through
/// [`add_checked`], which stops here instead of overflowing (chrono's `+`
/// panics past its range); a wait that long never fires in practice, and
/// validation keeps a workflow's own spans under 10 years anyway.
pub fn max_instant() -> Timestamp {
    Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
        .single()
        .expect("a valid date")
}

/// The earliest instant [`sub_checked`] gives: the Unix epoch (nothing
/// Cairn recorded is older).
pub fn min_instant() -> Timestamp {
    DateTime::<Utc>::UNIX_EPOCH
}

/// `t + d`, clamped to [`min_instant`]`..=`[`max_instant`] instead of
/// overflowing.
pub fn add_checked(t: Timestamp, d: chrono::Duration) -> Timestamp {
    match t.checked_add_signed(d) {
        Some(x) => x.clamp(min_instant(), max_instant()),
        None if d < chrono::Duration::zero() => min_instant(),
        None => max_instant(),
    }
}

/// `t - d`, clamped like [`add_checked`]: "since `d` ago" for any `d`.
pub fn sub_checked(t: Timestamp, d: chrono::Duration) -> Timestamp {
    match t.checked_sub_signed(d) {
        Some(x) => x.clamp(min_instant(), max_instant()),
        None if d < chrono::Duration::zero() => max_instant(),
        None => min_instant(),
    }
}

/// `date` moved by `days` (negative: back), or none past chrono's calendar
/// (a date field such as 262143-01-01 offset by a year).
pub fn add_days(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    chrono::Duration::try_days(days).and_then(|d| date.checked_add_signed(d))
}

/// The local wall-clock reading of an instant.
pub fn local_parts(at: DateTime<Utc>, tz: Tz) -> (Weekday, TimeOfDay, NaiveDate) {
    use chrono::{Datelike, Timelike};
    let l = at.with_timezone(&tz);
    (
        Weekday::from_chrono(l.weekday()),
        TimeOfDay {
            hour: l.hour() as u8,
            minute: l.minute() as u8,
        },
        l.date_naive(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monday_nine_in_berlin_across_dst() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // Sunday 2026-03-29 is the spring-forward day in the EU.
        let after = Utc.with_ymd_and_hms(2026, 3, 27, 12, 0, 0).unwrap();
        let at = next_weekday_time(after, tz, &[Weekday::Mon], TimeOfDay::new(9, 0).unwrap());
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 3, 30, 7, 0, 0).unwrap());
        // 2026-10-25 is the fall-back day.
        let after = Utc.with_ymd_and_hms(2026, 10, 23, 12, 0, 0).unwrap();
        let at = next_weekday_time(after, tz, &[Weekday::Mon], TimeOfDay::new(9, 0).unwrap());
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 10, 26, 8, 0, 0).unwrap());
    }

    #[test]
    fn gap_moves_forward() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let at = local_instant(tz, d, TimeOfDay::new(2, 30).unwrap());
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap());
    }

    #[test]
    fn spans_added_to_instants_stop_at_the_bounds_instead_of_overflowing() {
        let now = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let day = chrono::Duration::days(1);
        assert_eq!(add_checked(now, day), now + day);
        assert_eq!(sub_checked(now, day), now - day);
        assert_eq!(add_checked(now, chrono::Duration::MAX), max_instant());
        assert_eq!(
            add_checked(now, chrono::Duration::days(5_000_000)),
            max_instant()
        );
        assert_eq!(add_checked(now, chrono::Duration::MIN), min_instant());
        assert_eq!(sub_checked(now, chrono::Duration::MAX), min_instant());
        assert_eq!(sub_checked(now, chrono::Duration::MIN), max_instant());
        assert_eq!(add_checked(max_instant(), day), max_instant());
        let d = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(add_days(d, -5), NaiveDate::from_ymd_opt(2025, 12, 31));
        assert_eq!(add_days(NaiveDate::MAX, 1), None);
        assert_eq!(add_days(d, i64::MAX), None);
    }

    #[test]
    fn time_of_day_parse() {
        assert_eq!(TimeOfDay::parse("9:05"), TimeOfDay::new(9, 5));
        assert_eq!(TimeOfDay::parse("24:00"), None);
        assert_eq!(TimeOfDay::new(7, 0).unwrap().to_string(), "07:00");
    }
}
