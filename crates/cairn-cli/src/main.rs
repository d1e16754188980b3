//! `cairn`: the command line over Cairn's core.
//!
//! The CLI is a thin layer, like the app's Tauri commands: each subcommand
//! parses its arguments, calls one function of the store (or the engine) and
//! prints what came back. It exists so that scripts, servers and end-to-end
//! tests can drive the same core the app uses, without a window.
//!
//! # Adding a subcommand
//! 1. Write `src/commands/<name>.rs` with a clap `Args`/`Subcommand` type and
//!    `pub fn run(ctx: &mut Ctx, args: …) -> Result<(), CliError>` that ends
//!    with `ctx.print(&report)` (the report implements [`output::Render`]).
//! 2. Declare the module in `src/commands/mod.rs`.
//! 3. Add one variant to [`Command`] and one arm to [`dispatch`].
//!
//! A command that needs async code (sending, polling) builds its own tokio
//! runtime inside its `run`; everything else stays synchronous.
//!
//! # Exit codes
//! 0 on success; 1 when the command failed (the reason is one line on stderr);
//! 2 for a usage error (clap's own).

mod commands;
mod ctx;
mod error;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use ctx::Ctx;
pub use error::CliError;

/// Cairn: local-first workflow automation, from the command line.
#[derive(Debug, Parser)]
#[command(name = "cairn", version, about, max_term_width = 100)]
struct Cli {
    /// The database file (default: the platform data directory, e.g.
    /// ~/.local/share/cairn/cairn.db on Linux).
    #[arg(long, global = true, env = "CAIRN_DB", value_name = "PATH")]
    db: Option<PathBuf>,

    /// Print machine-readable JSON on stdout (and errors as JSON on stderr).
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the database (or upgrade it) and say where it is.
    Init,
    /// Add, import, show, list and tag contacts.
    #[command(subcommand)]
    Contact(commands::contact::ContactCommand),
    /// Courses and the course platform (Thinkific, Teachable) each lives on.
    #[command(subcommand)]
    Course(commands::course::CourseCommand),
    /// Declare and list custom contact fields.
    #[command(subcommand)]
    Field(commands::field::FieldCommand),
    /// Pipelines and their stages: list, add, rename.
    #[command(subcommand)]
    Pipeline(commands::pipeline::PipelineCommand),
    /// Deals on the pipeline board: list, add, move to another stage.
    #[command(subcommand)]
    Deal(commands::deal::DealCommand),
    /// Append events to the event log.
    #[command(subcommand)]
    Event(commands::event::EventCommand),
    /// Import, export, validate, list and (de)activate workflows.
    #[command(subcommand)]
    Workflow(commands::workflow::WorkflowCommand),
    /// Run the executor in the foreground until Ctrl-C (or --until / --for).
    Run(commands::run::RunArgs),
    /// Run a workflow file for one contact on a virtual clock and print the timeline.
    Simulate(commands::simulate::SimulateArgs),
    /// List a workflow's runs (and their steps).
    Runs(commands::runs::RunsArgs),
    /// Show what is queued to leave the machine, and why.
    Outbox(commands::outbox::OutboxArgs),
    /// Connected accounts: add (secret from stdin, kept in the OS keyring), list, test, remove.
    #[command(subcommand)]
    Account(commands::account::AccountCommand),
    /// Poll connected accounts now (all, or one) and say what arrived.
    Sync(commands::sync::SyncArgs),
    /// The built-in templates: list, show a file, import one (it arrives paused).
    #[command(subcommand)]
    Template(commands::template::TemplateCommand),
    /// A workflow's analytics over a time range (completion, drop-off, errors, timing, …).
    Stats(commands::stats::StatsArgs),
    /// The database file: stats, backup, restore, retention, maintain.
    #[command(subcommand)]
    Db(commands::db::DbCommand),
}

fn dispatch(ctx: &mut Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Init => commands::init::run(ctx),
        Command::Contact(c) => commands::contact::run(ctx, c),
        Command::Course(c) => commands::course::run(ctx, c),
        Command::Field(c) => commands::field::run(ctx, c),
        Command::Pipeline(c) => commands::pipeline::run(ctx, c),
        Command::Deal(c) => commands::deal::run(ctx, c),
        Command::Event(c) => commands::event::run(ctx, c),
        Command::Workflow(c) => commands::workflow::run(ctx, c),
        Command::Run(a) => commands::run::run(ctx, a),
        Command::Simulate(a) => commands::simulate::run(ctx, a),
        Command::Runs(a) => commands::runs::run(ctx, a),
        Command::Outbox(a) => commands::outbox::run(ctx, a),
        Command::Account(c) => commands::account::run(ctx, c),
        Command::Sync(a) => commands::sync::run(ctx, a),
        Command::Template(c) => commands::template::run(ctx, c),
        Command::Stats(a) => commands::stats::run(ctx, a),
        Command::Db(c) => commands::db::run(ctx, c),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let json = cli.json;
    let outcome = Ctx::from_env(cli.db, json).and_then(|mut ctx| dispatch(&mut ctx, cli.command));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::print_error(&e, json);
            ExitCode::FAILURE
        }
    }
}

/// Log lines go to stderr so stdout stays clean for results. The filter reads
/// `RUST_LOG` (e.g. `RUST_LOG=cairn_store=debug`) and defaults to `warn`.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .compact()
        .init();
}
