//! Per-account send rate limits: so many sends per second and per rolling
//! 24 hours (a laptop sending through Gmail must throttle; a Slack incoming
//! webhook takes about one message a second; a partner's endpoint may allow
//! only so many calls a day).
//!
//! Every account that sends has them: an SMTP account (`rate_per_second`
//! 1 and `rate_per_day` 500 unless set, see `settings`), a webhook account
//! (counting the webhooks it signs) and a Slack account (no limit unless
//! set): the same two settings keys, 0 meaning no limit ([`RateSettings`]).
//!
//! A send over the limit is not attempted: it becomes
//! `SendOutcome::Deferred` with the first instant a send is allowed again,
//! and the engine puts the entry back in the queue until then, without
//! counting an attempt. The queue therefore drains by itself.
//!
//! The limiter never reads the clock: it is handed `now`. It counts two
//! things, merged by outbox id so nothing is counted twice:
//! - the emails recorded sent in the database over the last 24 hours
//!   (`Store::email_sends_since`), so the daily count survives a restart;
//! - the sends this process admitted and has not yet seen recorded (in
//!   flight, or sent a moment ago before the engine recorded them).
//!
//! An admitted send that does not go out (a temporary failure, a bounce at
//! RCPT) is released again; whether a failed attempt "used up" quota at the
//! provider is unknowable, and giving it back keeps the queue moving.

use std::collections::{BTreeMap, HashMap};

use cairn_model::Timestamp;
use cairn_model::account::AccountKind;
use cairn_store::accounts::Account;
use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::EffectsError;

/// The limits of one account; 0 means "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_second: u32,
    pub per_day: u32,
}

/// The rate-limit keys of a webhook or Slack account's settings (an SMTP
/// account's are part of `SmtpSettings`, with other defaults). Absent
/// means 0, no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateSettings {
    #[serde(default)]
    pub rate_per_second: u32,
    #[serde(default)]
    pub rate_per_day: u32,
}

impl From<RateSettings> for RateLimits {
    fn from(s: RateSettings) -> Self {
        RateLimits {
            per_second: s.rate_per_second,
            per_day: s.rate_per_day,
        }
    }
}

impl RateLimits {
    pub fn none(&self) -> bool {
        self.per_second == 0 && self.per_day == 0
    }
}

/// The limits of a stored account: an SMTP account's from its settings
/// (default 1 per second, 500 per day), a webhook or Slack account's from
/// [`RateSettings`] (default none).
pub fn limits_of(account: &Account) -> Result<RateLimits, EffectsError> {
    if account.kind == AccountKind::Smtp {
        let s = crate::settings::SmtpSettings::of(account)?;
        return Ok(RateLimits {
            per_second: s.rate_per_second,
            per_day: s.rate_per_day,
        });
    }
    let s: RateSettings = serde_json::from_value(account.settings.clone())
        .map_err(|e| EffectsError::invalid(&account.name, "settings", e.to_string()))?;
    Ok(s.into())
}

/// `settings` with the rate-limit keys set to `limits` (other keys kept):
/// for `cairn account update` and the Accounts screen.
pub fn with_limits(settings: &serde_json::Value, limits: RateLimits) -> serde_json::Value {
    let mut s = match settings {
        serde_json::Value::Object(m) => m.clone(),
        _ => Default::default(),
    };
    s.insert("rate_per_second".into(), limits.per_second.into());
    s.insert("rate_per_day".into(), limits.per_day.into());
    serde_json::Value::Object(s)
}

/// The longest window counted; the database is asked for this far back.
pub const DAY: Duration = Duration::hours(24);

/// A send the limits do not allow yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deferral {
    pub until: Timestamp,
    pub reason: String,
}

/// The sends admitted by this process, per account (lower-cased name).
#[derive(Debug, Default)]
pub struct RateLimiter {
    admitted: HashMap<String, BTreeMap<i64, Timestamp>>,
}

impl RateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Admits outbox entry `entry_id` of `account` at `now`, or says when it
    /// may go. `recorded` are the sends the database holds for the account
    /// since `now - DAY` (outbox id, instant recorded sent).
    pub fn admit(
        &mut self,
        account: &str,
        entry_id: i64,
        now: Timestamp,
        limits: RateLimits,
        recorded: &[(i64, Timestamp)],
    ) -> Result<(), Deferral> {
        self.admit_one("email", account, entry_id, now, limits, recorded)
    }

    /// Like [`RateLimiter::admit`] for a send of any kind (`what` names it
    /// in the reason: "email", "webhook", "Slack message").
    pub fn admit_one(
        &mut self,
        what: &str,
        account: &str,
        entry_id: i64,
        now: Timestamp,
        limits: RateLimits,
        recorded: &[(i64, Timestamp)],
    ) -> Result<(), Deferral> {
        let key = account.trim().to_lowercase();
        let mine = self.admitted.entry(key).or_default();
        // Forget what has left every window.
        let day_ago = before(now, DAY);
        mine.retain(|_, at| *at > day_ago);
        let mut sends: BTreeMap<i64, Timestamp> = mine.clone();
        for (id, at) in recorded {
            sends.insert(*id, *at);
        }
        sends.remove(&entry_id);
        let mut times: Vec<Timestamp> = sends.into_values().collect();
        times.sort();

        let mut until: Option<Timestamp> = None;
        let mut reasons = Vec::new();
        for (limit, window, per) in [
            (limits.per_second, Duration::seconds(1), "second"),
            (limits.per_day, DAY, "24 hours"),
        ] {
            if let Some(at) = next_allowed(&times, now, limit, window) {
                reasons.push(format!("{limit} per {per}"));
                until = Some(until.map_or(at, |u| u.max(at)));
            }
        }
        match until {
            Some(until) => Err(Deferral {
                until,
                reason: format!(
                    "rate limit of account {:?} reached ({}); the next {what} may leave at {}",
                    account.trim(),
                    reasons.join(" and "),
                    until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                ),
            }),
            None => {
                let key = account.trim().to_lowercase();
                self.admitted.entry(key).or_default().insert(entry_id, now);
                Ok(())
            }
        }
    }

    /// Gives back an admitted send that did not go out.
    pub fn release(&mut self, account: &str, entry_id: i64) {
        if let Some(m) = self.admitted.get_mut(&account.trim().to_lowercase()) {
            m.remove(&entry_id);
        }
    }
}

/// When `limit` sends per `window` allow one more, if not at `now`.
/// A send at `t` counts while `now - window < t`, so with the sends in the
/// window sorted, the one that must expire first for a free slot is the
/// `(count - limit)`-th, and it expires at its instant plus the window.
fn next_allowed(
    sorted: &[Timestamp],
    now: Timestamp,
    limit: u32,
    window: Duration,
) -> Option<Timestamp> {
    if limit == 0 {
        return None;
    }
    let start = before(now, window);
    let in_window: Vec<&Timestamp> = sorted.iter().filter(|t| **t > start).collect();
    let limit = limit as usize;
    if in_window.len() < limit {
        return None;
    }
    Some(cairn_engine::sender::later(
        *in_window[in_window.len() - limit],
        window,
    ))
}

/// `now - window`, or the earliest instant when that overflows.
fn before(now: Timestamp, window: Duration) -> Timestamp {
    now.checked_sub_signed(window)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    #[test]
    fn per_second_then_per_day() {
        let limits = RateLimits {
            per_second: 2,
            per_day: 3,
        };
        let mut l = RateLimiter::new();
        let now = t0();
        l.admit("Gmail", 1, now, limits, &[]).unwrap();
        l.admit("gmail", 2, now + Duration::milliseconds(200), limits, &[])
            .unwrap();
        let d = l
            .admit("gmail", 3, now + Duration::milliseconds(300), limits, &[])
            .unwrap_err();
        assert_eq!(d.until, now + Duration::seconds(1));
        assert!(d.reason.contains("2 per second"), "{}", d.reason);
        l.admit("gmail", 3, now + Duration::seconds(1), limits, &[])
            .unwrap();
        let d = l
            .admit("gmail", 4, now + Duration::seconds(5), limits, &[])
            .unwrap_err();
        assert_eq!(d.until, now + DAY);
        assert!(d.reason.contains("3 per 24 hours"), "{}", d.reason);
        // Another account is not affected.
        l.admit("other", 5, now + Duration::seconds(5), limits, &[])
            .unwrap();
    }

    #[test]
    fn recorded_sends_count_once_and_released_ones_not_at_all() {
        let limits = RateLimits {
            per_second: 0,
            per_day: 2,
        };
        let mut l = RateLimiter::new();
        let now = t0();
        l.admit("m", 1, now, limits, &[]).unwrap();
        // The database now records entry 1 (a little later) and an older one.
        let recorded = [
            (9, now - Duration::hours(23)),
            (1, now + Duration::milliseconds(40)),
        ];
        let d = l
            .admit("m", 2, now + Duration::seconds(1), limits, &recorded)
            .unwrap_err();
        assert_eq!(d.until, now + Duration::hours(1));
        // A send that failed gives its slot back.
        l.release("m", 1);
        l.admit("m", 2, now + Duration::seconds(1), limits, &recorded[..1])
            .unwrap();
        // Re-admitting the same entry does not count it against itself.
        l.admit("m", 2, now + Duration::seconds(2), limits, &recorded[..1])
            .unwrap();
    }
}
