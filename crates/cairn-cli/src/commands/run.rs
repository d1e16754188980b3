//! `cairn run`: the executor in the foreground, over the same database the
//! app uses — for an always-on machine (see docs/headless.md) and for tests.
//! Beside it the poller syncs connected accounts (Stripe, Shopify, …) and
//! wakes the executor when events arrive (`--no-sync` leaves them alone).
//! Ctrl-C (or SIGTERM) stops both cleanly: the send in flight finishes and
//! is recorded first, and so does the poll in hand. `--dry-run` runs on a
//! snapshot copy of the database (see [`Snapshot`]), never on the database.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_connectors::{Poller, PollerConfig, SyncOutcome, SyncReport};
use cairn_engine::{Change, Executor, ExecutorConfig};
use cairn_model::Duration;
use clap::Args;
use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Stop at this instant (RFC 3339).
    #[arg(long, value_name = "RFC3339", conflicts_with = "duration")]
    until: Option<String>,
    /// Stop after this long, such as 10m.
    #[arg(long = "for", value_name = "DURATION")]
    duration: Option<String>,
    /// Run on a snapshot copy of the database, recording every effect with
    /// its content and sending nothing; the database is left as it was.
    #[arg(long)]
    dry_run: bool,
    /// Do not poll connected accounts for events.
    #[arg(long)]
    no_sync: bool,
}

#[derive(Serialize)]
struct Stopped {
    reason: &'static str,
    runs_started: u64,
    steps: u64,
    runs_ended: u64,
    /// `"snapshot"` for a dry run: it ran on a copy, thrown away at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    dry_run: Option<&'static str>,
}

impl Render for Stopped {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "stopped ({}): {} runs started, {} steps, {} runs ended{}",
            self.reason,
            self.runs_started,
            self.steps,
            self.runs_ended,
            if self.dry_run.is_some() {
                " (dry run on a snapshot copy; the database is unchanged)"
            } else {
                ""
            }
        )
    }
}

/// What a dry run works on: a consistent copy of the database, in a private
/// folder beside it, deleted when the run stops. A dry run's runs, steps,
/// handled events and poll cursors stay in the copy, so the same events
/// still start real runs (and real emails) in the next live run; and it
/// takes no lock on the real database, so it runs beside the app.
struct Snapshot {
    /// Removed with everything in it when dropped.
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Snapshot {
    fn take(store: &cairn_store::Store, db: &Path) -> Result<Snapshot, CliError> {
        let parent = match db.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = tempfile::Builder::new()
            .prefix(".cairn-dry-run-")
            .tempdir_in(&parent)
            .map_err(|e| CliError::io("create a folder in", &parent, e))?;
        let path = dir.path().join("snapshot.cairn");
        store.backup_to(&path, false)?;
        Ok(Snapshot { _dir: dir, path })
    }
}

pub fn run(ctx: &mut Ctx, a: RunArgs) -> Result<(), CliError> {
    let real_db = ctx.db_path().to_path_buf();
    let store = ctx.store()?; // refuses a missing database, upgrades an old one
    // A restore's hold is said at start, or `cairn run` would seem to send
    // nothing for no reason.
    let held_since = store.outbox_held_since()?;
    let snapshot = if a.dry_run {
        Some(Snapshot::take(store, &real_db)?)
    } else {
        None
    };
    let db = snapshot
        .as_ref()
        .map_or_else(|| real_db.clone(), |s| s.path.clone());
    let clock = ctx.clock();
    let stop_at = match (&a.until, &a.duration) {
        (Some(u), _) => Some(
            chrono::DateTime::parse_from_rfc3339(u)
                .map_err(|e| CliError::Usage(format!("--until {u:?}: {e}")))?
                .with_timezone(&chrono::Utc),
        ),
        (None, Some(d)) => Some(cairn_model::time::add_checked(
            ctx.now(),
            Duration::parse(d)
                .map_err(|e| CliError::Usage(format!("--for: {e}")))?
                .to_chrono(),
        )),
        (None, None) => None,
    };
    let vault = cairn_effects::Vault::from_env();
    // The poller reads secrets too; without a vault a dry run still runs,
    // without polling.
    let poll_vault = match (&vault, a.no_sync) {
        (_, true) => None,
        (Ok(v), false) => Some(v.clone()),
        (Err(e), false) => {
            tracing::warn!(error = %e, "connected accounts are not polled: the vault cannot be opened");
            None
        }
    };
    let sender: Option<Arc<dyn cairn_engine::Sender>> = if a.dry_run {
        None
    } else {
        let vault = vault.map_err(|e| CliError::Rejected {
            code: "vault",
            message: e.to_string(),
        })?;
        let effects =
            cairn_effects::Effects::open(&db, vault, Arc::new(cairn_effects::LogNotifier))
                .map_err(|e| CliError::Rejected {
                    code: e.code(),
                    message: e.to_string(),
                })?;
        Some(Arc::new(effects))
    };
    let mut cfg = ExecutorConfig::new(&db, clock.clone(), sender);
    cfg.engine.force_dry_run = a.dry_run;
    cfg.holder = cairn_store::lock::holder_name("cairn run");
    let json = ctx.json();
    // One thread for the async side (the engine's database work runs on
    // tokio's blocking threads): a task spawned by `Executor::start` cannot
    // run before `subscribe` below, so the work done at start-up (events
    // that arrived while Cairn was stopped, waits that fell due) is printed
    // and counted like the rest. On a multi-threaded runtime the first tick
    // could finish before anyone listened.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Output(format!("cannot start the runtime: {e}")))?;
    let stopped = rt.block_on(async move {
        let exec = Executor::start(cfg)?;
        // No await between these two lines (see the runtime above).
        let mut changes = exec.subscribe();
        let poller = match poll_vault {
            Some(v) => match Poller::start(PollerConfig::new(
                &db,
                v,
                clock.clone(),
                Some(exec.waker()),
            )) {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::warn!(error = %e, code = e.code(), "connected accounts are not polled");
                    None
                }
            },
            None => None,
        };
        let mut syncs = poller.as_ref().map(Poller::subscribe);
        if a.dry_run {
            eprintln!(
                "cairn is running over a snapshot copy of {} (dry run: nothing is sent, and the database is left as it was) — Ctrl-C to stop",
                real_db.display()
            );
        } else {
            eprintln!("cairn is running over {} — Ctrl-C to stop", db.display());
        }
        if let Some(t) = held_since {
            eprintln!(
                "nothing is sent: the outbox is held since the restore of {}; `cairn workflow resume-all` releases it",
                crate::output::when(t)
            );
        }
        let mut tally = Stopped {
            reason: "interrupted",
            runs_started: 0,
            steps: 0,
            runs_ended: 0,
            dry_run: a.dry_run.then_some("snapshot"),
        };
        let deadline = async {
            match stop_at {
                Some(t) => {
                    // Check the (wall) clock at least once a second: a
                    // sleeping laptop does not advance tokio's timer.
                    loop {
                        let left = t - clock.now();
                        if left <= chrono::Duration::zero() {
                            break;
                        }
                        let nap = left
                            .to_std()
                            .unwrap_or_default()
                            .min(std::time::Duration::from_secs(1));
                        tokio::time::sleep(nap).await;
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::pin!(deadline);
        let term = terminate();
        tokio::pin!(term);
        loop {
            tokio::select! {
                _ = &mut deadline => { tally.reason = "time is up"; break; }
                _ = &mut term => { tally.reason = "interrupted"; break; }
                r = next_report(&mut syncs) => match r {
                    Ok(r) => print_sync(&r, json),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => syncs = None,
                },
                c = changes.recv() => match c {
                    Ok(c) => {
                        match &c {
                            Change::RunStarted { .. } => tally.runs_started += 1,
                            Change::Step { .. } => tally.steps += 1,
                            Change::RunEnded { .. } => tally.runs_ended += 1,
                            Change::Woke { .. } | Change::Fault { .. } => {}
                        }
                        print_change(&c, json);
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "too many changes to print; some were skipped");
                    }
                    Err(_) => break,
                },
            }
        }
        if let Some(p) = poller {
            p.shutdown().await;
        }
        exec.shutdown().await;
        Ok::<_, cairn_engine::EngineError>(tally)
    })?;
    if json {
        // Change lines were JSON already; end with the summary object.
        println!("{}", serde_json::to_string(&stopped).unwrap_or_default());
        Ok(())
    } else {
        ctx.print(&stopped)
    }
}

fn print_change(c: &Change, json: bool) {
    let line = if json {
        serde_json::to_string(c).unwrap_or_default()
    } else {
        match c {
            Change::RunStarted {
                run_id,
                workflow_id,
                contact_id,
            } => {
                format!("run {run_id} started (workflow #{workflow_id}, contact #{contact_id})")
            }
            Change::Step {
                run_id,
                node_id,
                status,
                ..
            } => {
                format!("run {run_id}: {node_id} {}", status.as_str())
            }
            Change::RunEnded { run_id, status, .. } => format!("run {run_id} {}", status.as_str()),
            Change::Fault { task, message } => {
                format!("the executor's {task} hit a fault and carried on: {message}")
            }
            Change::Woke {
                gap_secs,
                late_waits,
            } => format!(
                "the clock jumped {} ahead (the machine slept?); what fell due has run ({late_waits} {} fired late)",
                cairn_engine::human_span(*gap_secs),
                if *late_waits == 1 { "wait" } else { "waits" }
            ),
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The poller's next report; never, when it is not running.
async fn next_report(
    rx: &mut Option<tokio::sync::broadcast::Receiver<SyncReport>>,
) -> Result<SyncReport, tokio::sync::broadcast::error::RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Prints a poll that brought events or failed (quiet polls print nothing).
fn print_sync(r: &SyncReport, json: bool) {
    let line = match &r.outcome {
        SyncOutcome::Synced if r.new == 0 => return,
        _ if json => serde_json::to_string(&serde_json::json!({"sync": r})).unwrap_or_default(),
        SyncOutcome::Synced => format!("synced {}: {} new events", r.account, r.new),
        SyncOutcome::Failed { message, .. } => format!("sync of {} failed: {message}", r.account),
        SyncOutcome::NeedsAttention { message, .. } => {
            format!("account {} needs attention: {message}", r.account)
        }
        SyncOutcome::Skipped { .. } => return,
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn terminate() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
