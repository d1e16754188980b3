//! `cairn deal`: list deals the way the pipeline board shows them, open a
//! deal for a contact, and move a deal to another stage — recording
//! `deal.stage_changed` exactly as the app's board and contact page do
//! (`Store::set_deal_stage`), so a running executor starts the workflows
//! that wait for it.

use std::io::Write;

use cairn_store::board::{BoardDeal, BoardQuery};
use clap::Subcommand;
use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

#[derive(Debug, Subcommand)]
pub enum DealCommand {
    /// List deals, by pipeline and stage order.
    List {
        #[arg(long)]
        pipeline: Option<String>,
        /// A stage of --pipeline.
        #[arg(long, requires = "pipeline")]
        stage: Option<String>,
        /// Only deals of contacts with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Matches the contact's email or name, or the deal's title.
        #[arg(long)]
        search: Option<String>,
    },
    /// Open a deal for a contact at a stage (records deal.created).
    Add {
        /// The contact's email.
        #[arg(long)]
        contact: String,
        #[arg(long)]
        pipeline: String,
        #[arg(long)]
        stage: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        value: Option<f64>,
    },
    /// Move a deal (its id, from `deal list`) to another stage of its pipeline.
    Move { deal: i64, stage: String },
}

/// `deal list` result.
#[derive(Debug, Serialize)]
pub struct DealList {
    pub count: usize,
    pub deals: Vec<BoardDeal>,
}

impl Render for DealList {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.deals.is_empty() {
            return writeln!(out, "no deals");
        }
        let width = |f: &dyn Fn(&BoardDeal) -> usize, min: usize| {
            self.deals.iter().map(f).max().unwrap_or(0).max(min)
        };
        let wi = width(&|d| d.id.to_string().len(), 2);
        let wp = width(&|d| d.pipeline.chars().count(), 8);
        let ws = width(&|d| d.stage.chars().count(), 5);
        let wt = width(&|d| d.title.chars().count(), 5);
        let wv = width(&|d| value(d.value).len(), 5);
        writeln!(
            out,
            "{:>wi$}  {:<wp$}  {:<ws$}  {:<wt$}  {:>wv$}  CONTACT",
            "ID", "PIPELINE", "STAGE", "TITLE", "VALUE"
        )?;
        for d in &self.deals {
            writeln!(
                out,
                "{:>wi$}  {:<wp$}  {:<ws$}  {:<wt$}  {:>wv$}  {}",
                d.id,
                d.pipeline,
                d.stage,
                d.title,
                value(d.value),
                d.contact_email
            )?;
        }
        let n = self.count;
        writeln!(out, "{n} deal{}", if n == 1 { "" } else { "s" })
    }
}

fn value(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// `deal add` result.
#[derive(Debug, Serialize)]
pub struct DealAdded {
    pub id: i64,
}

impl Render for DealAdded {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "deal {} added", self.id)
    }
}

/// `deal move` result.
#[derive(Debug, Serialize)]
pub struct DealMoved {
    pub id: i64,
    pub stage: String,
}

impl Render for DealMoved {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "deal {} is in {}", self.id, self.stage)
    }
}

pub fn run(ctx: &mut Ctx, cmd: DealCommand) -> Result<(), CliError> {
    match cmd {
        DealCommand::List {
            pipeline,
            stage,
            tag,
            search,
        } => {
            let deals = ctx.store()?.board_deals(&BoardQuery {
                pipeline,
                stage,
                tag,
                search,
            })?;
            ctx.print(&DealList {
                count: deals.len(),
                deals,
            })
        }
        DealCommand::Add {
            contact,
            pipeline,
            stage,
            title,
            value,
        } => {
            let now = ctx.now();
            let store = ctx.store()?;
            let c = store
                .contact_by_email(&contact)?
                .ok_or_else(|| cairn_store::StoreError::not_found("contact", contact.trim()))?;
            let id = store.write(|tx| {
                cairn_store::deals::create_deal_using(
                    tx, c.id, &pipeline, &stage, &title, value, now,
                )
            })?;
            ctx.print(&DealAdded { id })
        }
        DealCommand::Move { deal, stage } => {
            let now = ctx.now();
            ctx.store()?.set_deal_stage(deal, &stage, now)?;
            ctx.print(&DealMoved {
                id: deal,
                stage: stage.trim().to_string(),
            })
        }
    }
}
