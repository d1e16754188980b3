//! Course access: enrolling in or unenrolling from a course.
//!
//! A course on no platform is local: the internal action writes Cairn's row
//! and the step says "recorded in Cairn only". A course linked to a course
//! platform account (Thinkific, Teachable; `cairn_store::course_platforms`)
//! is written locally in the step's transaction too — so the access row,
//! and the `course.enrolled` event, happen exactly once — and then reaches
//! the platform as an outbox entry (`Effect::Course`) the run waits for:
//! the sender's answer (the platform's user and enrollment) lands on the
//! step. Dry and test runs record it without sending.

use cairn_model::effect::{CourseAccess, Effect, RunMode};
use cairn_model::workflow::{Node, NodeSpec, exits};
use cairn_store::course_platforms;
use cairn_store::deals;
use cairn_store::runs::StepStatus;
use cairn_store::step_detail::StepDetail;

use super::{
    Batch, Flow, OpenRun, action_failed, contact, data_error, external, internal, record_step,
};
use crate::error::{EngineError, Result};

/// What the step says of a course on no platform.
pub const LOCAL_ONLY: &str = "recorded in Cairn only";

pub(super) fn exec(batch: &mut Batch<'_>, run: &mut OpenRun, node: &Node) -> Result<Flow> {
    let (k, enroll) = match &node.spec {
        NodeSpec::EnrollCourse(k) => (k, true),
        NodeSpec::UnenrollCourse(k) => (k, false),
        other => {
            return Err(EngineError::Invalid(format!(
                "{} is not a course action",
                other.kind()
            )));
        }
    };
    let Some(platform) = course_platforms::platform_of_using(batch.tx, &k.course)? else {
        return internal::exec(batch, run, node);
    };
    let (cid, now) = (run.contact_id, batch.now);
    let local = if enroll {
        deals::enroll_using(batch.tx, cid, &platform.course, now)
    } else {
        deals::unenroll_using(batch.tx, cid, &platform.course, now)
    };
    let changed = match local {
        Ok(c) => c,
        Err(e) => {
            let msg = data_error(e)?;
            return action_failed(batch, run, node, None, &msg);
        }
    };
    // The course event may have changed what the contact looks like.
    run.contact = None;
    let c = contact(batch, run)?;
    if run.effective_mode(batch) != RunMode::Live {
        let detail = StepDetail::Course {
            course: platform.course.clone(),
            changed,
            note: Some(format!(
                "recorded in Cairn; not sent to {} (not a live run)",
                platform.account
            )),
        };
        record_step(
            batch,
            run,
            node,
            StepStatus::Ok,
            Some(exits::NEXT),
            Some(detail.into()),
        )?;
        return Ok(Flow::Next(exits::NEXT.into()));
    }
    let (first_name, last_name) = split_name(c.name.as_deref());
    let access = CourseAccess {
        account: platform.account,
        course: platform.course,
        platform_course_id: platform.platform_course_id,
        enroll,
        email: c.email.clone(),
        first_name,
        last_name,
        contact_id: Some(c.id),
    };
    external::queue(batch, run, node, None, move |_, _, _| {
        Ok(Effect::Course(access))
    })
}

/// A contact's name as the platforms ask for it: first name, last name.
fn split_name(name: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return (None, None);
    };
    match n.split_once(char::is_whitespace) {
        Some((f, l)) => (Some(f.to_string()), Some(l.trim().to_string())),
        None => (Some(n.to_string()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::split_name;

    #[test]
    fn names_split_at_the_first_space() {
        assert_eq!(
            split_name(Some(" Ada  King Lovelace ")),
            (Some("Ada".into()), Some("King Lovelace".into()))
        );
        assert_eq!(split_name(Some("Ada")), (Some("Ada".into()), None));
        assert_eq!(split_name(Some("  ")), (None, None));
        assert_eq!(split_name(None), (None, None));
    }
}
