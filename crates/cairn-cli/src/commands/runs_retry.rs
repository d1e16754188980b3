//! `cairn runs retry NAME`: re-runs what failed, after the cause was fixed.
//!
//! One run (`--run ID`) or every failure of the workflow (`--failed`,
//! narrowed by `--node` and `--error`), from the failed step on the version
//! it ran, or `--from-start` on the current version (see
//! `cairn_engine::retry`). It only writes the database: a running executor
//! (the app, `cairn run`) sees the change and sends what the retry queued.

use std::io::Write;

use cairn_engine::{Engine, Retried, RetryFrom};
use cairn_store::Store;
use cairn_store::failures::FailureFilter;
use clap::Args;
use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["run", "failed"]))]
pub struct RetryArgs {
    /// The workflow.
    workflow: String,
    /// This run.
    #[arg(long, value_name = "ID")]
    run: Option<i64>,
    /// Every failed run of the workflow that was not restarted yet.
    #[arg(long)]
    failed: bool,
    /// With --failed: only runs that failed at this node.
    #[arg(long, value_name = "N", requires = "failed")]
    node: Option<String>,
    /// With --failed: only runs whose error contains this text (any case).
    #[arg(long, value_name = "TEXT", requires = "failed")]
    error: Option<String>,
    /// Start again from the start on the workflow's current version (a new
    /// run), instead of from the failed step on the version it ran.
    #[arg(long)]
    from_start: bool,
}

#[derive(Serialize)]
struct Report {
    workflow: String,
    from: RetryFrom,
    runs: Vec<Retried>,
}

pub fn run(ctx: &mut Ctx, a: RetryArgs) -> Result<(), CliError> {
    let now = ctx.now();
    let w = ctx.store()?.workflow(&a.workflow)?;
    let mut engine = Engine::new(Store::open(ctx.db_path())?);
    let from = if a.from_start {
        RetryFrom::Start
    } else {
        RetryFrom::FailedStep
    };
    let runs = match a.run {
        Some(id) => {
            let r = engine.store().run(id)?;
            if r.workflow_id != w.id {
                return Err(CliError::Usage(format!(
                    "run {id} is a run of {:?}, not of {:?}",
                    r.workflow, w.name
                )));
            }
            vec![engine.retry_run(id, from, now)?]
        }
        None => engine.retry_failed(
            &w.name,
            &FailureFilter {
                node: a.node,
                error: a.error,
            },
            from,
            now,
        )?,
    };
    ctx.print(&Report {
        workflow: w.name,
        from,
        runs,
    })
}

impl Render for Report {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.runs.is_empty() {
            return writeln!(out, "{:?} has no failed runs to retry", self.workflow);
        }
        for r in &self.runs {
            match (&r.reason, r.carried_on_by) {
                (Some(why), _) => writeln!(out, "run {}  not retried: {why}", r.run_id)?,
                (None, Some(by)) if by != r.run_id => writeln!(
                    out,
                    "run {}  restarted from the start as run {by}",
                    r.run_id
                )?,
                (None, _) => writeln!(out, "run {}  retried from its failed step", r.run_id)?,
            }
        }
        let done = self.runs.iter().filter(|r| r.retried).count();
        writeln!(
            out,
            "{done} of {} run{} retried; a running executor (the app, cairn run) carries them on",
            self.runs.len(),
            if self.runs.len() == 1 { "" } else { "s" }
        )
    }
}
