//! `cairn course`: courses and the course platform each lives on. A course
//! linked to a Thinkific or Teachable account is enrolled on the platform
//! by "Enroll in course"; an unlinked one stays in Cairn only.

use std::io::Write;

use cairn_store::course_platforms::CoursePlatform;
use clap::Subcommand;
use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

#[derive(Debug, Subcommand)]
pub enum CourseCommand {
    /// Link a course (made if missing) to a course platform account and the
    /// course's id there; `--local` makes it local again.
    Link {
        course: String,
        /// The Thinkific or Teachable account.
        #[arg(long, required_unless_present = "local")]
        account: Option<String>,
        /// The course's id on the platform (in the course's admin URL).
        #[arg(long = "platform-id", required_unless_present = "local")]
        platform_id: Option<String>,
        #[arg(long, conflicts_with_all = ["account", "platform_id"])]
        local: bool,
    },
    /// List courses and where each lives.
    List,
}

/// One course and its platform, if any.
#[derive(Debug, Serialize)]
pub struct CourseRow {
    pub course: String,
    pub platform: Option<CoursePlatform>,
}

impl Render for CourseRow {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match &self.platform {
            Some(p) => writeln!(
                out,
                "{}: on {} as course {}",
                self.course, p.account, p.platform_course_id
            ),
            None => writeln!(out, "{}: recorded in Cairn only", self.course),
        }
    }
}

/// `course list` result.
#[derive(Debug, Serialize)]
pub struct CourseList {
    pub courses: Vec<CourseRow>,
}

impl Render for CourseList {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.courses.is_empty() {
            return writeln!(out, "no courses; a workflow that names one creates it");
        }
        for c in &self.courses {
            c.human(out)?;
        }
        Ok(())
    }
}

pub fn run(ctx: &mut Ctx, cmd: CourseCommand) -> Result<(), CliError> {
    match cmd {
        CourseCommand::Link {
            course,
            account,
            platform_id,
            local: _,
        } => {
            let now = ctx.now();
            let link = account.as_deref().zip(platform_id.as_deref());
            let platform = ctx.store()?.link_course(&course, link, now)?;
            ctx.print(&CourseRow {
                course: course.trim().to_string(),
                platform,
            })
        }
        CourseCommand::List => {
            let store = ctx.store()?;
            let mut courses = Vec::new();
            for name in store.courses()? {
                let platform =
                    cairn_store::course_platforms::platform_of_using(store.conn(), &name)?;
                courses.push(CourseRow {
                    course: name,
                    platform,
                });
            }
            ctx.print(&CourseList { courses })
        }
    }
}
