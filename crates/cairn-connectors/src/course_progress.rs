//! What the course platforms (Thinkific, Teachable) share: the ids they
//! answer with, checked before they are stored or quoted; what an
//! enrollment or unenrollment came to; and their progress as Cairn's
//! `course.progress` / `course.completed` events.
//!
//! A progress reading becomes `course.progress` with `{course, percent}`
//! (`course` is the course's name in Cairn, which the "course progress"
//! trigger matches; `percent` 0–100), keyed by platform course, user and
//! percentage, so each new percentage is one event and re-reading the same
//! one changes nothing. A completion becomes `course.completed` with
//! `percent: 100`, keyed once per user and course. A new percentage also
//! moves the contact's local enrollment row (`enrollments.progress`), which
//! the contact's page shows. A record whose numbers
//! or ids are not sane is skipped with its reason; the poll goes on.

use cairn_model::Timestamp;
use cairn_model::event::types;
use cairn_store::course_platforms::{CoursePlatform, check_platform_id};
use serde_json::{Value, json};

use crate::batch::{Batch, ContactEffect, Incoming};
use crate::map;

/// An id as a platform gives it (a number or a string), if it is sane.
pub fn id_of(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::Number(n) => n.as_u64()?.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    check_platform_id(&s).ok().map(|_| s)
}

/// What an enrollment or unenrollment on a platform came to: the text for
/// the step, and the platform's ids for the local row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessChange {
    /// `None` when the platform has no user for the email (an unenroll of
    /// someone never enrolled there).
    pub user_id: Option<String>,
    pub enrollment_id: Option<String>,
    /// The platform's answer, in words, for the step log.
    pub answer: String,
}

/// One progress reading of one user in one course.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub user_id: String,
    pub email: Option<String>,
    /// 0–100.
    pub percent: f64,
    pub completed_at: Option<Timestamp>,
    /// When the platform last changed the enrollment (else the poll's time).
    pub at: Timestamp,
}

/// A percentage from a platform, as 0–100: `fraction` says the platform
/// counts from 0 to 1. Anything else than a finite number in range is no
/// percentage (a hostile or broken answer).
pub fn percent(v: Option<&Value>, fraction: bool) -> Option<f64> {
    let n = match v? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    let p = if fraction { n * 100.0 } else { n };
    (p.is_finite() && (0.0..=100.0).contains(&p)).then_some((p * 100.0).round() / 100.0)
}

/// Adds the events of one reading to `batch`.
pub fn push_events(batch: &mut Batch, course: &CoursePlatform, r: &Reading, source: &str) {
    let email = map::email([r.email.as_deref()]);
    let pct = r.percent.round() as u8;
    let key = format!("{}:{}", course.platform_course_id, r.user_id);
    if pct > 0 {
        let mut inc = Incoming::new(map::event(
            types::COURSE_PROGRESS,
            email.clone(),
            json!({"course": course.course, "percent": pct, "platform_user_id": r.user_id}),
            r.at,
            source,
            format!("{key}:progress:{pct}"),
        ));
        inc.effect = Some(ContactEffect::CourseProgress {
            course: course.course.clone(),
            percent: pct,
        });
        batch.items.push(inc);
    }
    if let Some(done) = r.completed_at {
        batch.items.push(Incoming::new(map::event(
            types::COURSE_COMPLETED,
            email,
            json!({"course": course.course, "percent": 100, "platform_user_id": r.user_id}),
            done,
            source,
            format!("{key}:completed"),
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_sane_or_nothing() {
        assert_eq!(percent(Some(&json!(0.5)), true), Some(50.0));
        assert_eq!(percent(Some(&json!("0.333")), true), Some(33.3));
        assert_eq!(percent(Some(&json!(75)), false), Some(75.0));
        assert_eq!(percent(Some(&json!(1e308)), false), None);
        assert_eq!(percent(Some(&json!(-3)), false), None);
        assert_eq!(percent(Some(&json!(101)), false), None);
        assert_eq!(percent(Some(&json!("NaN")), false), None);
        assert_eq!(percent(Some(&json!([])), false), None);
    }

    #[test]
    fn ids_are_numbers_or_plain_strings() {
        assert_eq!(id_of(Some(&json!(12345))), Some("12345".into()));
        assert_eq!(id_of(Some(&json!("u_1"))), Some("u_1".into()));
        assert_eq!(id_of(Some(&json!(-1))), None);
        assert_eq!(id_of(Some(&json!("a\u{7}b"))), None);
        assert_eq!(id_of(Some(&json!("<b>"))), None);
        assert_eq!(id_of(Some(&json!("9".repeat(65)))), None);
    }
}
