//! `cairn db`: the database file itself — what uses it, backups, restore,
//! retention and maintenance. The same store functions the app's Settings
//! screen and the executor's daily upkeep call (cairn_store::hygiene).

use std::io::Write;
use std::path::PathBuf;

use cairn_store::hygiene::{self, BackupInfo, DatabaseStats, MaintenanceReport, RestoreReport};
use cairn_store::lock::{ExecutorLock, holder_name};
use clap::Subcommand;
use serde::Serialize;

use crate::output::{Render, when};
use crate::{CliError, Ctx};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Size of the file and its WAL, and what each table uses.
    Stats,
    /// Write a consistent copy of the database to FILE (safe while Cairn runs).
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace the database with the backup in FILE (the current one is kept
    /// beside it). Refused while the app or `cairn run` is running. The
    /// restored database is put on hold: every workflow paused, nothing sent,
    /// until `cairn workflow resume-all`.
    Restore { file: PathBuf },
    /// Apply retention, give free space back and checkpoint the WAL, now.
    Maintain,
    /// Show, or set with DAYS, how long finished runs keep their details
    /// (0 keeps everything).
    Retention { days: Option<u32> },
}

pub fn run(ctx: &mut Ctx, c: DbCommand) -> Result<(), CliError> {
    match c {
        DbCommand::Stats => {
            let stats = ctx.store()?.database_stats()?;
            ctx.print(&Stats(stats))
        }
        DbCommand::Backup { file, force } => {
            let info = ctx.store()?.backup_to(&file, force)?;
            ctx.print(&Backed(info))
        }
        DbCommand::Restore { file } => {
            let db = ctx.db_path().to_path_buf();
            let now = ctx.now();
            let lock = ExecutorLock::acquire(&db, &holder_name("cairn db restore"))?;
            let report = hygiene::restore(&lock, &db, &file, now)?;
            ctx.print(&Restored(report))
        }
        DbCommand::Maintain => {
            let now = ctx.now();
            let report = ctx.store()?.maintain(now)?;
            ctx.print(&Maintained(report))
        }
        DbCommand::Retention { days } => {
            let store = ctx.store()?;
            if let Some(d) = days {
                store.set_retention_days(d)?;
            }
            let days = store.retention_days()?;
            ctx.print(&Retention {
                retention_days: days,
            })
        }
    }
}

/// "12.3 MB", "4.0 KB", "512 B".
pub fn size(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / (1u64 << 10) as f64),
        b => format!("{b} B"),
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Stats(DatabaseStats);

impl Render for Stats {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let s = &self.0;
        writeln!(
            out,
            "database: {} (schema version {})",
            s.path, s.schema_version
        )?;
        writeln!(
            out,
            "size: {} file + {} WAL; {} pages of {} bytes, {} free; auto-vacuum {}",
            size(s.file_bytes),
            size(s.wal_bytes),
            s.page_count,
            s.page_size,
            s.free_pages,
            s.auto_vacuum
        )?;
        let retention = match s.retention_days {
            0 => "off (details are kept forever)".to_string(),
            d => format!("{d} days"),
        };
        let last = s
            .last_maintained_at
            .map(when)
            .unwrap_or_else(|| "never".into());
        writeln!(out, "retention: {retention}; last maintained: {last}")?;
        if !s.per_table_sizes {
            writeln!(
                out,
                "(this SQLite has no dbstat table: sizes per table are unknown)"
            )?;
        }
        writeln!(
            out,
            "{:<20} {:>12} {:>10} {:>10}",
            "table", "rows", "data", "indexes"
        )?;
        for t in &s.tables {
            writeln!(
                out,
                "{:<20} {:>12} {:>10} {:>10}",
                t.table,
                t.rows,
                size(t.bytes),
                size(t.index_bytes)
            )?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Backed(BackupInfo);

impl Render for Backed {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let b = &self.0;
        writeln!(
            out,
            "backup written: {} ({}; {} contacts, {} workflows, {} runs; schema version {})",
            b.path,
            size(b.bytes),
            b.contacts,
            b.workflows,
            b.runs,
            b.schema_version
        )
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Restored(RestoreReport);

impl Render for Restored {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let r = &self.0;
        writeln!(
            out,
            "restored from {} ({} contacts, {} workflows, {} runs)",
            r.restored.path, r.restored.contacts, r.restored.workflows, r.restored.runs
        )?;
        if r.restored.schema_version < r.schema_version {
            writeln!(
                out,
                "upgraded from schema version {} to {}",
                r.restored.schema_version, r.schema_version
            )?;
        }
        if let Some(p) = &r.previous_copy {
            writeln!(out, "the database as it was is kept at {p}")?;
        }
        let h = &r.held;
        writeln!(
            out,
            "on hold: {} run{} waiting and {} send{} queued; nothing is sent and no workflow runs until you resume",
            h.waiting_runs,
            if h.waiting_runs == 1 { "" } else { "s" },
            h.waiting_sends,
            if h.waiting_sends == 1 { "" } else { "s" },
        )?;
        if !h.paused_workflows.is_empty() {
            writeln!(out, "paused: {}", h.paused_workflows.join(", "))?;
        }
        writeln!(
            out,
            "check them with `cairn runs` and `cairn outbox`, then `cairn workflow resume-all`"
        )
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Maintained(MaintenanceReport);

impl Render for Maintained {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let m = &self.0;
        let p = &m.prune;
        match p.cutoff {
            None => writeln!(out, "retention: off; nothing pruned")?,
            Some(c) => {
                writeln!(
                    out,
                    "retention: details before {} blanked for {} runs ({} steps, {} outbox entries) and {} events",
                    when(c),
                    p.runs,
                    p.steps,
                    p.outbox,
                    p.events
                )?;
                if p.events_kept + p.runs_kept > 0 {
                    writeln!(
                        out,
                        "  kept: {} events of contacts with open runs, {} runs with an email or webhook still being sent",
                        p.events_kept, p.runs_kept
                    )?;
                }
            }
        }
        if m.converted {
            writeln!(
                out,
                "space: converted to incremental auto-vacuum (one full VACUUM)"
            )?;
        } else {
            writeln!(out, "space: {} free pages given back", m.pages_freed)?;
        }
        let c = &m.checkpoint;
        writeln!(
            out,
            "WAL: {} of {} frames checkpointed{}; {} → {}",
            c.checkpointed_frames,
            c.log_frames,
            if c.busy {
                " (busy: a reader held it)"
            } else {
                ""
            },
            size(c.wal_bytes_before),
            size(c.wal_bytes_after)
        )?;
        writeln!(
            out,
            "database and WAL: {} → {}",
            size(m.bytes_before),
            size(m.bytes_after)
        )
    }
}

#[derive(Serialize)]
struct Retention {
    retention_days: u32,
}

impl Render for Retention {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.retention_days {
            0 => writeln!(
                out,
                "retention: off (finished runs keep their details forever)"
            ),
            d => writeln!(
                out,
                "retention: {d} days (finished runs and processed events older than that lose their details at the next maintenance; counts are kept)"
            ),
        }
    }
}
