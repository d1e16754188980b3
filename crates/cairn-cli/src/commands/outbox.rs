//! `cairn outbox`: what is queued to leave the machine, and why it has not.

use std::io::Write;

use cairn_store::outbox::OutboxRow;
use clap::Args;
use serde::Serialize;

use crate::output::{Render, when};
use crate::{CliError, Ctx};

#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Include sent and skipped entries, not only queued and failed ones.
    #[arg(long)]
    all: bool,
    #[arg(long, default_value_t = 100)]
    limit: i64,
}

#[derive(Serialize)]
struct Outbox {
    /// Since a restore nothing leaves until `cairn workflow resume-all`:
    /// when that restore happened.
    held_since: Option<cairn_model::Timestamp>,
    entries: Vec<OutboxRow>,
}

pub fn run(ctx: &mut Ctx, a: OutboxArgs) -> Result<(), CliError> {
    let store = ctx.store()?;
    let entries = store.outbox(a.all, a.limit)?;
    let held_since = store.outbox_held_since()?;
    ctx.print(&Outbox {
        held_since,
        entries,
    })
}

fn target(r: &OutboxRow) -> String {
    use cairn_model::effect::Effect;
    match &r.effect {
        Effect::Email(m) => format!("email to {} \"{}\"", m.to, m.subject),
        Effect::Webhook(w) => format!("{} {}", w.method.as_str(), w.url),
        Effect::Slack(s) => format!("slack via {}", s.account),
        Effect::Desktop(d) => format!("notification \"{}\"", d.title),
        Effect::Course(c) => format!(
            "{} {} in {:?} on {}",
            if c.enroll { "enroll" } else { "unenroll" },
            c.email,
            c.course,
            c.account
        ),
    }
}

impl Render for Outbox {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if let Some(t) = self.held_since {
            writeln!(
                out,
                "held since the restore of {}: nothing is sent until `cairn workflow resume-all`",
                when(t)
            )?;
        }
        if self.entries.is_empty() {
            return writeln!(out, "the outbox is empty: nothing is waiting to be sent");
        }
        for r in &self.entries {
            let why = match r.status {
                cairn_store::outbox::OutboxStatus::Pending if r.attempts == 0 => {
                    format!("queued, due {}", when(r.next_attempt_at))
                }
                cairn_store::outbox::OutboxStatus::Pending => format!(
                    "retry {} of {} at {}",
                    r.attempts + 1,
                    r.max_attempts,
                    when(r.next_attempt_at)
                ),
                s => s.as_str().to_string(),
            };
            let err = r
                .last_error
                .as_deref()
                .map(|e| format!(" — last error: {e}"))
                .unwrap_or_default();
            let dup = if r.possibly_duplicated {
                " (possibly duplicated)"
            } else {
                ""
            };
            writeln!(out, "#{} {} — {}{}{}", r.id, target(r), why, err, dup)?;
        }
        Ok(())
    }
}
