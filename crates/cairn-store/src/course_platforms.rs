//! Courses that live on a course platform (Thinkific, Teachable): which
//! account holds a course and under which id, and what the platform
//! answered for each contact it enrolled (its user and enrollment ids).
//!
//! A course with no platform stays local: enrolling only writes Cairn's own
//! row. A linked course is enrolled on the platform through the outbox; the
//! engine reads the link inside the step's transaction
//! ([`platform_of_using`]), the sender writes the platform's ids back
//! ([`record_platform_ids`]), and the poller maps the platform's progress
//! to contacts through them ([`Store::linked_courses`]).

use cairn_model::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::deals::ensure_course_using;
use crate::{Result, Store, StoreError};

/// Where a course lives on a platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CoursePlatform {
    /// The course's name in Cairn.
    pub course: String,
    /// The course platform account.
    pub account: String,
    /// The course's id on the platform.
    pub platform_course_id: String,
}

/// The longest platform id accepted.
const MAX_ID_CHARS: usize = 64;

/// Checks an id a platform gave (or a user typed): short, printable.
pub fn check_platform_id(id: &str) -> std::result::Result<(), String> {
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
        return Err(format!("must be 1 to {MAX_ID_CHARS} characters"));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("may hold only letters, digits, '-' and '_'".into());
    }
    Ok(())
}

fn invalid(reason: String) -> StoreError {
    StoreError::Invalid(cairn_model::ModelError::Invalid(reason))
}

/// The platform a course lives on; `None` for a local course (or one that
/// does not exist: enrolling fails on that later, with its own message).
pub fn platform_of_using(c: &Connection, course: &str) -> Result<Option<CoursePlatform>> {
    Ok(c.prepare_cached(
        "SELECT name, account, platform_course_id FROM courses
         WHERE name = ?1 AND account IS NOT NULL AND platform_course_id IS NOT NULL",
    )?
    .query_row([course.trim()], |r| {
        Ok(CoursePlatform {
            course: r.get(0)?,
            account: r.get(1)?,
            platform_course_id: r.get(2)?,
        })
    })
    .optional()?)
}

/// Records the platform's user and enrollment ids on a contact's local
/// enrollment row. Idempotent: a resend after a crash writes the same ids.
pub fn record_platform_ids_using(
    c: &Connection,
    contact_id: i64,
    course: &str,
    user_id: &str,
    enrollment_id: Option<&str>,
) -> Result<bool> {
    check_platform_id(user_id).map_err(|r| invalid(format!("the platform's user id {r}")))?;
    if let Some(e) = enrollment_id {
        check_platform_id(e).map_err(|r| invalid(format!("the platform's enrollment id {r}")))?;
    }
    let n = c
        .prepare_cached(
            "UPDATE enrollments SET platform_user_id = ?3,
               platform_enrollment_id = COALESCE(?4, platform_enrollment_id)
             WHERE contact_id = ?1 AND course_id = (SELECT id FROM courses WHERE name = ?2)",
        )?
        .execute(params![contact_id, course.trim(), user_id, enrollment_id])?;
    Ok(n == 1)
}

/// Moves a contact's local progress in `course` up to `percent` (0–100;
/// never down: an older reading read late does not undo a newer one).
/// Nothing happens when the contact has no local enrollment row.
pub fn record_progress_using(
    c: &Connection,
    contact_id: i64,
    course: &str,
    percent: u8,
) -> Result<bool> {
    let n = c
        .prepare_cached(
            "UPDATE enrollments SET progress = MAX(progress, ?3)
             WHERE contact_id = ?1 AND course_id = (SELECT id FROM courses WHERE name = ?2)",
        )?
        .execute(params![
            contact_id,
            course.trim(),
            i64::from(percent.min(100))
        ])?;
    Ok(n == 1)
}

impl Store {
    /// Links a course (made if missing) to a course platform account and the
    /// course's id there; `None` makes it local again.
    pub fn link_course(
        &mut self,
        course: &str,
        link: Option<(&str, &str)>,
        now: Timestamp,
    ) -> Result<Option<CoursePlatform>> {
        if let Some((account, id)) = link {
            let a = self.account(account)?;
            if !a.kind.is_course_platform() {
                return Err(invalid(format!(
                    "account {:?} is a {} account, not a course platform (thinkific, teachable)",
                    a.name, a.kind
                )));
            }
            check_platform_id(id.trim())
                .map_err(|r| invalid(format!("the platform's course id {r}")))?;
        }
        self.write(|tx| {
            ensure_course_using(tx, course, now)?;
            let (account, id) = match link {
                Some((a, i)) => (Some(a.trim()), Some(i.trim())),
                None => (None, None),
            };
            tx.prepare_cached(
                "UPDATE courses SET account = ?2, platform_course_id = ?3 WHERE name = ?1",
            )?
            .execute(params![course.trim(), account, id])?;
            platform_of_using(tx, course)
        })
    }

    /// Every course linked to `account`, by name.
    pub fn linked_courses(&self, account: &str) -> Result<Vec<CoursePlatform>> {
        let mut st = self.conn().prepare_cached(
            "SELECT name, account, platform_course_id FROM courses
             WHERE account = ?1 AND platform_course_id IS NOT NULL ORDER BY name",
        )?;
        let rows = st.query_map([account.trim()], |r| {
            Ok(CoursePlatform {
                course: r.get(0)?,
                account: r.get(1)?,
                platform_course_id: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// See [`record_platform_ids_using`].
    pub fn record_platform_ids(
        &mut self,
        contact_id: i64,
        course: &str,
        user_id: &str,
        enrollment_id: Option<&str>,
    ) -> Result<bool> {
        self.write(|tx| record_platform_ids_using(tx, contact_id, course, user_id, enrollment_id))
    }

    /// The platform ids recorded for a contact's enrollment: (user id,
    /// enrollment id).
    pub fn platform_ids(
        &self,
        contact_id: i64,
        course: &str,
    ) -> Result<Option<(Option<String>, Option<String>)>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT e.platform_user_id, e.platform_enrollment_id FROM enrollments e
                 JOIN courses c ON c.id = e.course_id WHERE e.contact_id = ?1 AND c.name = ?2",
            )?
            .query_row(params![contact_id, course.trim()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    /// The email of the contact a platform user was enrolled as in
    /// `course`, if Cairn enrolled them.
    pub fn email_of_platform_user(&self, course: &str, user_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT k.email FROM enrollments e JOIN courses c ON c.id = e.course_id
                 JOIN contacts k ON k.id = e.contact_id
                 WHERE c.name = ?1 AND e.platform_user_id = ?2",
            )?
            .query_row(params![course.trim(), user_id], |r| r.get(0))
            .optional()?)
    }
}
