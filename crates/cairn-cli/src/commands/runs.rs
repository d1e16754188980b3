//! `cairn runs NAME`: a workflow's runs, newest first, optionally with
//! steps; `cairn runs retry NAME …` re-runs what failed (`runs_retry`).

use std::io::Write;

use cairn_store::runs::{Run, RunQuery, RunStatus, Step};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::output::{Render, when};
use crate::{CliError, Ctx};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct RunsArgs {
    #[command(subcommand)]
    command: Option<RunsCommand>,
    /// The workflow.
    #[arg(required = true)]
    workflow: Option<String>,
    /// Only runs in this state: running, waiting, completed, exited, failed.
    #[arg(long, value_name = "S")]
    status: Option<String>,
    /// At most this many runs (default 50).
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// Also list each run's steps.
    #[arg(long)]
    steps: bool,
}

#[derive(Debug, Subcommand)]
enum RunsCommand {
    /// Re-run failed runs: from the failed step on the version they ran
    /// (done steps are not redone; a failed send goes again with the same
    /// Message-ID / Idempotency-Key), or --from-start on the current version.
    Retry(super::runs_retry::RetryArgs),
}

#[derive(Debug, Serialize)]
pub struct RunWithSteps {
    #[serde(flatten)]
    pub run: Run,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<Step>>,
}

#[derive(Serialize)]
struct Runs {
    workflow: String,
    runs: Vec<RunWithSteps>,
}

pub fn run(ctx: &mut Ctx, a: RunsArgs) -> Result<(), CliError> {
    if let Some(RunsCommand::Retry(r)) = a.command {
        return super::runs_retry::run(ctx, r);
    }
    let workflow = a.workflow.unwrap_or_default();
    let status = match &a.status {
        Some(s) => Some(RunStatus::parse(s).ok_or_else(|| {
            CliError::Usage(format!(
                "--status {s:?}: expected running, waiting, completed, exited or failed"
            ))
        })?),
        None => None,
    };
    let store = ctx.store()?;
    let w = store.workflow(&workflow)?;
    let runs = store.runs(&RunQuery {
        workflow: Some(w.name.clone()),
        status,
        limit: Some(a.limit),
        ..Default::default()
    })?;
    let runs = runs
        .into_iter()
        .map(|run| {
            let steps = if a.steps {
                Some(store.steps(run.id)?)
            } else {
                None
            };
            Ok(RunWithSteps { run, steps })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    ctx.print(&Runs {
        workflow: w.name,
        runs,
    })
}

/// One line per step, for people.
pub fn write_steps(out: &mut dyn Write, steps: &[Step], indent: &str) -> std::io::Result<()> {
    for s in steps {
        let exit = s
            .exit
            .as_deref()
            .map(|x| format!(" → {x}"))
            .unwrap_or_default();
        let note = s.detail["error"]
            .as_str()
            .or(s.detail["reason"].as_str())
            .or(s.detail["note"].as_str())
            .or(s.detail["late"].as_str())
            .map(|n| format!("  ({n})"))
            .unwrap_or_default();
        writeln!(
            out,
            "{indent}{}  {}  {}  {}{}{}",
            when(s.started_at),
            s.node_id,
            s.kind,
            s.status.as_str(),
            exit,
            note
        )?;
    }
    Ok(())
}

impl Render for Runs {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.runs.is_empty() {
            return writeln!(out, "{:?} has no runs yet", self.workflow);
        }
        for r in &self.runs {
            let run = &r.run;
            let mut reason = run
                .exit_reason
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            if run.retries > 0 {
                let times = if run.retries == 1 { "time" } else { "times" };
                reason.push_str(&format!("  retried {} {times}", run.retries));
            }
            if let Some(from) = run.restarted_from {
                reason.push_str(&format!("  restarts run {from}"));
            }
            writeln!(
                out,
                "run {}  {}  {}  v{}  {}{}{}",
                run.id,
                when(run.started_at),
                run.contact_email,
                run.version,
                run.status.as_str(),
                run.current_node
                    .as_deref()
                    .filter(|_| run.status.is_open())
                    .map(|n| format!(" at {n}"))
                    .unwrap_or_default(),
                reason
            )?;
            if let Some(steps) = &r.steps {
                write_steps(out, steps, "    ")?;
            }
        }
        Ok(())
    }
}
