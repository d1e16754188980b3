//! `cairn sync [NAME]`: poll connected accounts now and say what arrived.
//!
//! The same one-account poll the background poller runs (see
//! `cairn_connectors::Syncer`): events, contacts and the advanced cursor
//! commit together, duplicates are dropped, failures are recorded on the
//! account with their next attempt. Without a name every source account is
//! polled, except those that need attention (they are listed, with why);
//! naming one polls it whatever its state — a quick way to check a fix.

use std::io::Write;
use std::sync::Arc;

use cairn_connectors::{ClockTimer, SyncOutcome, SyncReport, Syncer};
use cairn_model::ErrorCode;
use cairn_store::accounts::AccountStatus;
use clap::Args;
use serde::Serialize;

use crate::output::{Render, when};
use crate::{CliError, Ctx};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// One account (default: every account that is polled for events).
    name: Option<String>,
}

/// `cairn sync` result.
#[derive(Debug, Serialize)]
pub struct Synced {
    pub accounts: Vec<SyncReport>,
}

impl Render for Synced {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.accounts.is_empty() {
            return writeln!(
                out,
                "no account to poll; add one with `cairn account add stripe|shopify|typeform|tally|mailgun|json-feed NAME …`"
            );
        }
        for r in &self.accounts {
            let next = r
                .next_poll_at
                .map(|t| format!("; next poll {}", when(t)))
                .unwrap_or_default();
            match &r.outcome {
                SyncOutcome::Synced => writeln!(
                    out,
                    "{} ({}): {} new, {} duplicate{}, {} ignored ({} request{}){next}",
                    r.account,
                    r.kind,
                    r.new,
                    r.duplicates,
                    if r.duplicates == 1 { "" } else { "s" },
                    r.ignored,
                    r.requests,
                    if r.requests == 1 { "" } else { "s" },
                )?,
                SyncOutcome::Failed { message, .. } => {
                    writeln!(out, "{} ({}): failed: {message}{next}", r.account, r.kind)?
                }
                SyncOutcome::NeedsAttention { message, .. } => writeln!(
                    out,
                    "{} ({}): needs attention: {message}",
                    r.account, r.kind
                )?,
                SyncOutcome::Skipped { reason } => {
                    writeln!(out, "{} ({}): skipped: {reason}", r.account, r.kind)?
                }
            }
            for n in &r.notes {
                writeln!(out, "  ignored: {n}")?;
            }
            if let Some(w) = &r.warning {
                writeln!(out, "  warning: {w}")?;
            }
        }
        Ok(())
    }
}

pub fn run(ctx: &mut Ctx, a: SyncArgs) -> Result<(), CliError> {
    let clock = ctx.clock();
    let accounts = match &a.name {
        Some(n) => vec![ctx.store()?.account(n)?],
        None => ctx
            .store()?
            .accounts()?
            .into_iter()
            // Sources, and SMTP accounts with a mailbox to read.
            .filter(|a| a.kind.is_source() || cairn_connectors::provider::of_account(a).is_some())
            .collect(),
    };
    let vault = cairn_effects::Vault::from_env().map_err(|e| CliError::Rejected {
        code: e.code(),
        message: e.to_string(),
    })?;
    let syncer =
        Syncer::new(vault, clock.clone(), Arc::new(ClockTimer::new(clock))).map_err(|e| {
            CliError::Rejected {
                code: e.code(),
                message: e.to_string(),
            }
        })?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Output(format!("cannot start the runtime: {e}")))?;
    let named = a.name.is_some();
    let store = ctx.store()?;
    let mut reports = Vec::new();
    for account in &accounts {
        if !named && account.status == AccountStatus::NeedsAttention {
            let mut r = skipped(account);
            r.outcome = SyncOutcome::NeedsAttention {
                code: ErrorCode::NeedsAttention,
                message: format!(
                    "{} (not polled; fix it, then `cairn account test {}`)",
                    account
                        .status_message
                        .as_deref()
                        .unwrap_or("see `cairn account list`"),
                    account.name
                ),
            };
            reports.push(r);
            continue;
        }
        reports.push(rt.block_on(syncer.sync(store, account)));
    }
    let failed = reports
        .iter()
        .filter(|r| {
            matches!(
                r.outcome,
                SyncOutcome::Failed { .. } | SyncOutcome::NeedsAttention { .. }
            )
        })
        .count();
    ctx.print(&Synced { accounts: reports })?;
    if failed > 0 {
        return Err(CliError::Rejected {
            code: "sync_failed",
            message: format!(
                "{failed} account{} could not be synced (see above)",
                if failed == 1 { "" } else { "s" }
            ),
        });
    }
    Ok(())
}

/// A report for an account that was not polled.
fn skipped(account: &cairn_store::accounts::Account) -> SyncReport {
    SyncReport {
        account: account.name.clone(),
        kind: account.kind,
        outcome: SyncOutcome::Skipped {
            reason: String::new(),
        },
        new: 0,
        duplicates: 0,
        ignored: 0,
        notes: vec![],
        requests: 0,
        cursor_at: None,
        next_poll_at: None,
        warning: None,
    }
}
