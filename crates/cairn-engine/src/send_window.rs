//! Send windows: the days and hours in which email and webhooks may leave.

use cairn_model::Timestamp;
use cairn_model::time::{add_checked, local_instant, local_parts};
use cairn_model::workflow::SendWindow;
use chrono::Datelike;
use chrono_tz::Tz;

fn day_allowed(w: &SendWindow, d: chrono::NaiveDate) -> bool {
    w.days.is_empty()
        || w.days
            .contains(&cairn_model::time::Weekday::from_chrono(d.weekday()))
}

/// Whether the window is open at `now`. A window whose `from` is after its
/// `to` spans midnight and belongs to the day it opens on.
pub fn is_open(w: &SendWindow, tz: Tz, now: Timestamp) -> bool {
    let (_, tod, date) = local_parts(now, tz);
    let m = tod.minutes();
    if w.from < w.to {
        day_allowed(w, date) && m >= w.from.minutes() && m < w.to.minutes()
    } else {
        (day_allowed(w, date) && m >= w.from.minutes())
            || (m < w.to.minutes() && day_allowed(w, date - chrono::Duration::days(1)))
    }
}

/// The next instant after `now` at which the window opens.
pub fn next_opening(w: &SendWindow, tz: Tz, now: Timestamp) -> Timestamp {
    let (_, _, today) = local_parts(now, tz);
    for offset in 0..=8 {
        let date = today + chrono::Duration::days(offset);
        if !day_allowed(w, date) {
            continue;
        }
        let at = local_instant(tz, date, w.from);
        if at > now {
            return at;
        }
    }
    add_checked(now, chrono::Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_model::time::{TimeOfDay, TimezoneRef, Weekday};
    use chrono::{TimeZone, Utc};

    fn w(days: Vec<Weekday>, from: (u8, u8), to: (u8, u8)) -> SendWindow {
        SendWindow {
            days,
            from: TimeOfDay::new(from.0, from.1).unwrap(),
            to: TimeOfDay::new(to.0, to.1).unwrap(),
            timezone: TimezoneRef::Workflow,
        }
    }

    #[test]
    fn weekday_office_hours() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let win = w(
            vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            (9, 0),
            (17, 0),
        );
        // Saturday 2026-11-28 10:00 Paris = 09:00 UTC: closed; opens Monday 09:00 Paris.
        let sat = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        assert!(!is_open(&win, tz, sat));
        assert_eq!(
            next_opening(&win, tz, sat),
            Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap()
        );
        let mon = Utc.with_ymd_and_hms(2026, 11, 30, 8, 30, 0).unwrap();
        assert!(is_open(&win, tz, mon));
    }

    #[test]
    fn window_across_midnight() {
        let tz = Tz::UTC;
        let win = w(vec![Weekday::Fri], (22, 0), (2, 0));
        // Saturday 01:00 belongs to Friday's window.
        assert!(is_open(
            &win,
            tz,
            Utc.with_ymd_and_hms(2026, 11, 28, 1, 0, 0).unwrap()
        ));
        assert!(!is_open(
            &win,
            tz,
            Utc.with_ymd_and_hms(2026, 11, 28, 3, 0, 0).unwrap()
        ));
    }
}
