//! `cairn workflow`: import, export, validate, list, show, versions,
//! activate and pause (one, or all at once), and declare an A/B split's
//! winner; `forecast` and the look at it activation takes first are in
//! `forecast.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};

use cairn_model::file;
use cairn_model::validate::{self, Catalog, Issue, Report, Severity};
use cairn_store::workflows::{ImportOutcome, VersionInfo, WorkflowStatus, WorkflowSummary};
use clap::Subcommand;
use serde::Serialize;

use crate::output::{Render, when};
use crate::{CliError, Ctx};

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Import a workflow file; it arrives paused. A clashing name imports as
    /// a copy unless --replace is given.
    Import {
        file: PathBuf,
        #[arg(long)]
        replace: bool,
    },
    /// Write a workflow's file (stdout, or -o FILE).
    Export {
        name: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check a workflow file (against this database when there is one);
    /// fails on errors.
    Validate { file: PathBuf },
    /// List workflows with their status and version.
    List,
    /// Show a workflow's nodes and validation.
    Show { name: String },
    /// List a workflow's stored versions.
    Versions { name: String },
    /// Activate a workflow (refused while it has validation errors). Its
    /// 30-day forecast is worked out first; when it would email more than a
    /// fifth of the list on one day or unsubscribe anyone, activation needs
    /// --yes.
    Activate {
        name: String,
        /// Activate even when the forecast asks for a confirmation.
        #[arg(long, visible_alias = "confirm")]
        yes: bool,
    },
    /// What the workflow would do to the real contacts over the next days
    /// if activated now: runs, emails per template, tags, deals, webhooks,
    /// unsubscribes, how runs end. Worked out on a copy; nothing is sent.
    Forecast {
        name: String,
        /// How many days ahead, in whole days: 1d to 366d.
        #[arg(long = "for", value_name = "DURATION", default_value = "30d")]
        days: String,
    },
    /// Pause a workflow: no new runs start, waiting runs stay put.
    Pause { name: String },
    /// Pause every active workflow (remembered, for resume-all).
    PauseAll,
    /// Activate again the workflows pause-all (or a restore) paused, and let
    /// the outbox held after a restore send.
    ResumeAll,
    /// Declare the winner of an A/B split: a new version in which every new
    /// run takes that variant (runs already going stay on their version).
    SplitWinner {
        name: String,
        /// The split node's id.
        #[arg(long)]
        node: String,
        /// The winning variant's name.
        #[arg(long)]
        variant: String,
    },
}

pub fn run(ctx: &mut Ctx, cmd: WorkflowCommand) -> Result<(), CliError> {
    match cmd {
        WorkflowCommand::Import { file, replace } => {
            let text = read(&file)?;
            let now = ctx.now();
            let outcome = ctx
                .store()?
                .import_workflow(&text, replace, now)
                .map_err(|e| in_file(&file, e))?;
            ctx.print(&Imported(outcome))
        }
        WorkflowCommand::Export { name, output } => {
            let text = ctx.store()?.export_workflow(&name)?;
            match output {
                None => {
                    // The file itself is JSON, so --json prints it as is.
                    let mut out = std::io::stdout().lock();
                    out.write_all(text.as_bytes())
                        .and_then(|()| out.flush())
                        .or_else(|e| {
                            if e.kind() == std::io::ErrorKind::BrokenPipe {
                                Ok(())
                            } else {
                                Err(e)
                            }
                        })
                        .map_err(|e| CliError::Output(e.to_string()))
                }
                Some(path) => {
                    std::fs::write(&path, &text).map_err(|e| CliError::io("write", &path, e))?;
                    let name = ctx.store()?.workflow(&name)?.name;
                    ctx.print(&Exported {
                        name,
                        file: path.display().to_string(),
                        bytes: text.len(),
                    })
                }
            }
        }
        WorkflowCommand::Validate { file } => {
            let text = read(&file)?;
            let def =
                file::parse(&text).map_err(|e| in_file(&file, cairn_store::StoreError::File(e)))?;
            // The file alone can be checked anywhere; what it names in a
            // database (accounts, fields, other workflows…) only when there
            // is one. Without one those issues are "not checked", never
            // errors: the file may be meant for another machine's database.
            let has_db = ctx.db_path().exists();
            let mut report = if has_db {
                ctx.store()?.validate_workflow(&def)?
            } else {
                validate::validate(&def, &Catalog::default())
            };
            let not_checked = if has_db {
                vec![]
            } else {
                let (unchecked, rest) = report.issues.into_iter().partition(needs_database);
                report.issues = rest;
                unchecked
            };
            let view = Validated::new(&file, def.name.clone(), &report, has_db, not_checked);
            ctx.print(&view)?;
            if report.has_errors() {
                let n = view.errors.len();
                return Err(CliError::Rejected {
                    code: "validation_failed",
                    message: format!(
                        "{} has {n} error{}; fix {} before activating",
                        file.display(),
                        if n == 1 { "" } else { "s" },
                        if n == 1 { "it" } else { "them" }
                    ),
                });
            }
            Ok(())
        }
        WorkflowCommand::List => {
            let workflows = ctx.store()?.workflows()?;
            ctx.print(&WorkflowList { workflows })
        }
        WorkflowCommand::Show { name } => {
            let store = ctx.store()?;
            let (workflow, def) = store.workflow_def(&name)?;
            let report = store.validate_workflow(&def)?;
            let view = WorkflowView {
                workflow,
                description: def.description.clone(),
                nodes: def
                    .nodes
                    .iter()
                    .map(|n| NodeView {
                        id: n.id.clone(),
                        kind: n.spec.kind(),
                        label: n.label.clone(),
                    })
                    .collect(),
                edges: def.edges.len(),
                report,
            };
            ctx.print(&view)
        }
        WorkflowCommand::Versions { name } => {
            let store = ctx.store()?;
            let w = store.workflow(&name)?;
            let versions = store.workflow_versions(&w.name)?;
            ctx.print(&Versions {
                workflow: w.name,
                versions,
            })
        }
        WorkflowCommand::Activate { name, yes } => super::forecast::activate(ctx, &name, yes),
        WorkflowCommand::Forecast { name, days } => super::forecast::run(ctx, &name, &days),
        WorkflowCommand::Pause { name } => set_status(ctx, &name, WorkflowStatus::Paused),
        WorkflowCommand::PauseAll => {
            let now = ctx.now();
            let report = ctx.store()?.pause_all(now)?;
            ctx.print(&AllToggled {
                paused: true,
                report,
            })
        }
        WorkflowCommand::ResumeAll => {
            let now = ctx.now();
            let report = ctx.store()?.resume_all(now)?;
            ctx.print(&AllToggled {
                paused: false,
                report,
            })
        }
        WorkflowCommand::SplitWinner {
            name,
            node,
            variant,
        } => {
            let now = ctx.now();
            let store = ctx.store()?;
            let saved = store.declare_split_winner(&name, &node, &variant, now)?;
            let workflow = store.workflow(&name)?.name;
            ctx.print(&WinnerDeclared {
                workflow,
                node,
                variant,
                saved,
            })
        }
    }
}

/// `workflow split-winner`: the version that now sends every run to the winner.
#[derive(Serialize)]
struct WinnerDeclared {
    workflow: String,
    node: String,
    variant: String,
    #[serde(flatten)]
    saved: cairn_store::workflows::SaveOutcome,
}

impl Render for WinnerDeclared {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let s = &self.saved;
        let what = format!(
            "{:?} wins split {:?} of {:?}",
            self.variant, self.node, self.workflow
        );
        if s.unchanged {
            writeln!(out, "{what} already (version {})", s.version)
        } else if s.new_version {
            writeln!(
                out,
                "{what}: version {} saved; every new run takes it, runs already going stay on version {}",
                s.version,
                s.version - 1
            )
        } else {
            writeln!(
                out,
                "{what}: version {} saved (it had no runs yet); every run takes it",
                s.version
            )
        }
    }
}

fn set_status(ctx: &mut Ctx, name: &str, status: WorkflowStatus) -> Result<(), CliError> {
    let now = ctx.now();
    let w = ctx.store()?.set_workflow_status(name, status, now)?;
    ctx.print(&StatusChanged(w))
}

/// `workflow pause-all` / `resume-all`: what changed.
#[derive(Serialize)]
struct AllToggled {
    #[serde(skip)]
    paused: bool,
    #[serde(flatten)]
    report: cairn_store::pause::PauseReport,
}

impl Render for AllToggled {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let verb = if self.paused { "paused" } else { "activated" };
        if self.report.changed.is_empty() {
            writeln!(out, "no workflow {verb}")?;
        } else {
            writeln!(out, "{verb}: {}", self.report.changed.join(", "))?;
        }
        for l in &self.report.left {
            writeln!(out, "left paused: {l}")?;
        }
        if self.report.released_outbox {
            writeln!(
                out,
                "the outbox held since the restore is released: queued sends go out"
            )?;
        }
        Ok(())
    }
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::io("read", path, e))
}

/// A file problem, with the file named in front of the JSON path.
fn in_file(path: &Path, e: cairn_store::StoreError) -> CliError {
    match e {
        cairn_store::StoreError::File(fe) => CliError::WorkflowFile {
            file: path.display().to_string(),
            source: fe,
        },
        other => other.into(),
    }
}

/// Whether an issue found against an empty catalog says only that the
/// database lacks something the file names: an account, a field, a tag, a
/// pipeline or stage, a course, another workflow.
fn needs_database(i: &Issue) -> bool {
    match i.code.as_str() {
        "unknown_account" | "unknown_field" | "unknown_tag" | "unknown_pipeline"
        | "unknown_stage" | "unknown_course" | "unknown_workflow" => true,
        // A merge field naming a contact field the catalog lacks; a merge
        // field with a wrong root (`{{ foo.bar }}`) is wrong everywhere.
        "unknown_merge_field" => i.message.contains("contacts have no field"),
        _ => false,
    }
}

fn issue_line(out: &mut dyn Write, i: &Issue) -> std::io::Result<()> {
    let sev = match i.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    match &i.node {
        Some(n) => writeln!(out, "{sev}: node {n}: {} [{}]", i.message, i.code),
        None => writeln!(out, "{sev}: {} [{}]", i.message, i.code),
    }
}

/// `workflow import` result: the store's [`ImportOutcome`].
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Imported(pub ImportOutcome);

impl Render for Imported {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let o = &self.0;
        match (&o.renamed_from, o.replaced) {
            (Some(from), _) => writeln!(
                out,
                "imported {:?} as {:?} (a workflow named {from:?} already exists), paused, version {}",
                from, o.name, o.version
            )?,
            (None, true) => writeln!(out, "replaced {:?}, paused, version {}", o.name, o.version)?,
            (None, false) => writeln!(out, "imported {:?}, paused, version {}", o.name, o.version)?,
        }
        for i in &o.report.issues {
            issue_line(out, i)?;
        }
        Ok(())
    }
}

/// `workflow export -o FILE` result.
#[derive(Debug, Serialize)]
pub struct Exported {
    pub name: String,
    pub file: String,
    pub bytes: usize,
}

impl Render for Exported {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "exported {:?} to {} ({} bytes)",
            self.name, self.file, self.bytes
        )
    }
}

/// `workflow validate` result.
#[derive(Debug, Serialize)]
pub struct Validated {
    pub file: String,
    pub name: String,
    pub valid: bool,
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
    /// Whether the file was checked against a database's catalog.
    pub database: bool,
    /// Without a database: what the file names that only a database can
    /// confirm (an account, a field, another workflow…), left unchecked.
    pub not_checked: Vec<Issue>,
}

impl Validated {
    fn new(file: &Path, name: String, r: &Report, database: bool, not_checked: Vec<Issue>) -> Self {
        Validated {
            file: file.display().to_string(),
            name,
            valid: !r.has_errors(),
            errors: r.errors().cloned().collect(),
            warnings: r.warnings().cloned().collect(),
            database,
            not_checked,
        }
    }
}

impl Render for Validated {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for i in self.errors.iter().chain(&self.warnings) {
            issue_line(out, i)?;
        }
        for i in &self.not_checked {
            match &i.node {
                Some(n) => write!(out, "not checked: no database: node {n}: ")?,
                None => write!(out, "not checked: no database: ")?,
            }
            writeln!(out, "{} [{}]", i.message, i.code)?;
        }
        write!(
            out,
            "{}: {} error{}, {} warning{}",
            self.file,
            self.errors.len(),
            if self.errors.len() == 1 { "" } else { "s" },
            self.warnings.len(),
            if self.warnings.len() == 1 { "" } else { "s" }
        )?;
        if self.database {
            writeln!(out)
        } else {
            writeln!(
                out,
                "; accounts, fields, tags, pipelines, courses and other workflows not checked: no database"
            )
        }
    }
}

/// `workflow list` result.
#[derive(Debug, Serialize)]
pub struct WorkflowList {
    pub workflows: Vec<WorkflowSummary>,
}

impl Render for WorkflowList {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.workflows.is_empty() {
            return writeln!(
                out,
                "no workflows; import one with `cairn workflow import FILE`"
            );
        }
        let w = self
            .workflows
            .iter()
            .map(|w| w.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(4);
        writeln!(out, "{:<w$}  {:<7}  VERSION  UPDATED", "NAME", "STATUS")?;
        for x in &self.workflows {
            writeln!(
                out,
                "{:<w$}  {:<7}  {:<7}  {}",
                x.name,
                x.status.as_str(),
                x.version,
                when(x.updated_at)
            )?;
        }
        Ok(())
    }
}

/// One node as `workflow show` lists it.
#[derive(Debug, Serialize)]
pub struct NodeView {
    pub id: String,
    pub kind: &'static str,
    pub label: Option<String>,
}

/// `workflow show` result.
#[derive(Debug, Serialize)]
pub struct WorkflowView {
    pub workflow: WorkflowSummary,
    pub description: String,
    pub nodes: Vec<NodeView>,
    pub edges: usize,
    pub report: Report,
}

impl Render for WorkflowView {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let w = &self.workflow;
        writeln!(
            out,
            "{} ({}, version {})",
            w.name,
            w.status.as_str(),
            w.version
        )?;
        if !self.description.is_empty() {
            writeln!(out, "{}", self.description)?;
        }
        writeln!(out, "nodes ({}, {} edges):", self.nodes.len(), self.edges)?;
        let w = self
            .nodes
            .iter()
            .map(|n| n.id.chars().count())
            .max()
            .unwrap_or(0);
        for n in &self.nodes {
            match &n.label {
                Some(l) => writeln!(out, "  {:<w$}  {:<24}  {l}", n.id, n.kind)?,
                None => writeln!(out, "  {:<w$}  {}", n.id, n.kind)?,
            }
        }
        if self.report.issues.is_empty() {
            writeln!(out, "no problems found")?;
        }
        for i in &self.report.issues {
            issue_line(out, i)?;
        }
        Ok(())
    }
}

/// `workflow versions` result.
#[derive(Debug, Serialize)]
pub struct Versions {
    pub workflow: String,
    pub versions: Vec<VersionInfo>,
}

impl Render for Versions {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "VERSION  CREATED                  NODES  RUNS")?;
        for v in &self.versions {
            writeln!(
                out,
                "{:<7}  {:<23}  {:<5}  {}{}",
                v.version,
                when(v.created_at),
                v.nodes,
                v.runs,
                if v.current { "  (current)" } else { "" }
            )?;
        }
        Ok(())
    }
}

/// `workflow activate` / `pause` result: the workflow as it now stands.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct StatusChanged(pub WorkflowSummary);

impl Render for StatusChanged {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{} is now {}", self.0.name, self.0.status.as_str())
    }
}
