//! `cairn pipeline`: list pipelines with their stages, create one, rename
//! one — the Pipelines screen's editing, for scripts.

use std::io::Write;

use cairn_store::deals::Pipeline;
use clap::Subcommand;
use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// List pipelines and their stages in order.
    List,
    /// Create a pipeline with its stages, in order.
    Add {
        name: String,
        /// A stage, in order (repeat for each).
        #[arg(long = "stage", value_name = "STAGE")]
        stages: Vec<String>,
    },
    /// Rename a pipeline (its stages and deals stay).
    Rename { pipeline: String, name: String },
}

/// `pipeline list` result.
#[derive(Debug, Serialize)]
pub struct PipelineList {
    pub pipelines: Vec<Pipeline>,
}

impl Render for PipelineList {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.pipelines.is_empty() {
            return writeln!(
                out,
                "no pipelines; add one with `cairn pipeline add NAME --stage S ...`"
            );
        }
        for p in &self.pipelines {
            PipelineShown(p).human(out)?;
        }
        Ok(())
    }
}

/// One pipeline, as `add` and `rename` print it.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct PipelineShown<'a>(pub &'a Pipeline);

impl Render for PipelineShown<'_> {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let stages = if self.0.stages.is_empty() {
            "(no stages)".to_string()
        } else {
            self.0.stages.join(" → ")
        };
        writeln!(out, "{}: {stages}", self.0.name)
    }
}

pub fn run(ctx: &mut Ctx, cmd: PipelineCommand) -> Result<(), CliError> {
    match cmd {
        PipelineCommand::List => {
            let pipelines = ctx.store()?.pipelines()?;
            ctx.print(&PipelineList { pipelines })
        }
        PipelineCommand::Add { name, stages } => {
            let now = ctx.now();
            let p = ctx.store()?.add_pipeline(&name, &stages, now)?;
            ctx.print(&PipelineShown(&p))
        }
        PipelineCommand::Rename { pipeline, name } => {
            let p = ctx.store()?.rename_pipeline(&pipeline, &name)?;
            ctx.print(&PipelineShown(&p))
        }
    }
}
