//! `cairn workflow forecast NAME [--for 30d]`, and the forecast that
//! `cairn workflow activate` looks at first: what the workflow would do to
//! the real contacts over the next days, from `cairn_engine::forecast` (the
//! engine on a virtual clock over a scratch copy; nothing is sent).

use std::io::Write;

use cairn_engine::forecast::{self, Forecast, ForecastCounts, ForecastOptions, MAX_DAYS};
use cairn_model::Duration;
use cairn_store::workflows::WorkflowStatus;
use serde::Serialize;

use crate::commands::workflow::StatusChanged;
use crate::output::{Render, when};
use crate::{CliError, Ctx};

/// `--for`: whole days, 1 to [`MAX_DAYS`].
pub fn days_of(text: &str) -> Result<u32, CliError> {
    let d = Duration::parse(text).map_err(|e| CliError::Usage(format!("--for: {e}")))?;
    let secs = d.to_chrono().num_seconds();
    if secs % 86_400 != 0 {
        return Err(CliError::Usage(format!(
            "--for: a forecast covers whole days, such as 7d or 30d, not {text:?}"
        )));
    }
    let days = secs / 86_400;
    if days < 1 || days > i64::from(MAX_DAYS) {
        return Err(CliError::Usage(format!(
            "--for: a forecast covers 1 to {MAX_DAYS} days (such as 30d), not {days}"
        )));
    }
    Ok(days as u32)
}

/// Prints the forecast of `name` over `days` days from now.
pub fn run(ctx: &mut Ctx, name: &str, days: &str) -> Result<(), CliError> {
    let days = days_of(days)?;
    let now = ctx.now();
    let f = forecast::forecast(ctx.store()?, name, None, &ForecastOptions::new(days, now))?;
    ctx.print(&Report(f))
}

/// Activates `name` after looking at its forecast over the usual 30 days:
/// when it asks for a confirmation (much of the list emailed at once, an
/// unsubscribe) and `yes` is not given, the forecast is printed and
/// activation refused (`confirmation_required`).
pub fn activate(ctx: &mut Ctx, name: &str, yes: bool) -> Result<(), CliError> {
    let now = ctx.now();
    let store = ctx.store()?;
    if store.workflow(name)?.status != WorkflowStatus::Active && !yes {
        let f = forecast::forecast(
            store,
            name,
            None,
            &ForecastOptions::new(forecast::DEFAULT_DAYS, now),
        )?;
        if f.needs_confirmation() {
            let reasons: Vec<&str> = f.confirm.iter().map(|c| c.message.as_str()).collect();
            let message = format!(
                "{} was not activated: {}; look at the forecast and activate with --yes to go ahead",
                f.workflow,
                reasons.join("; ")
            );
            ctx.print(&Report(f))?;
            return Err(CliError::Rejected {
                code: "confirmation_required",
                message,
            });
        }
    }
    let w = ctx
        .store()?
        .set_workflow_status(name, WorkflowStatus::Active, now)?;
    ctx.print(&StatusChanged(w))
}

/// The forecast as printed: a table for people, the `Forecast` as JSON.
#[derive(Serialize)]
#[serde(transparent)]
struct Report(Forecast);

/// The rows of the table: a label and how to read it from the counts.
/// Rows that are zero in every column are left out, except the first two.
fn rows(f: &Forecast) -> Vec<(String, Vec<u64>)> {
    type Get = fn(&ForecastCounts) -> u64;
    let fixed: [(&str, Get); 15] = [
        ("runs started", |c| c.runs_started),
        ("emails", |c| c.emails_total),
        ("emails refused", |c| c.emails_refused),
        ("tags added", |c| c.tags_added),
        ("tags removed", |c| c.tags_removed),
        ("fields set", |c| c.fields_set),
        ("deals", |c| c.deals),
        ("course enrollments", |c| c.course_enrollments),
        ("course unenrollments", |c| c.course_unenrollments),
        ("webhooks", |c| c.webhooks),
        ("notifications", |c| c.notifications),
        ("workflows started", |c| c.workflows_started),
        ("removed from workflows", |c| c.workflows_removed),
        ("unsubscribes", |c| c.unsubscribes),
        ("failed steps", |c| c.failures),
    ];
    let mut out = vec![];
    for (i, (label, get)) in fixed.iter().enumerate() {
        let values: Vec<u64> = f.windows.iter().map(|w| get(&w.counts)).collect();
        if i < 2 || values.iter().any(|v| *v > 0) {
            out.push((label.to_string(), values));
        }
        if i == 1 {
            let templates = f.windows.last().map(|w| w.counts.emails.keys().cloned());
            for t in templates.into_iter().flatten() {
                let values = f
                    .windows
                    .iter()
                    .map(|w| w.counts.emails.get(&t).copied().unwrap_or(0))
                    .collect();
                out.push((format!("  email {t:?}"), values));
            }
        }
    }
    out
}

impl Render for Report {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let f = &self.0;
        let what = if f.active {
            "as it runs now"
        } else {
            "if activated"
        };
        writeln!(
            out,
            "Forecast of {:?} (version {}) {what} at {}, over {} day{} (virtual time on a copy of the database; nothing was sent)",
            f.workflow,
            f.version,
            when(f.start),
            f.days,
            if f.days == 1 { "" } else { "s" }
        )?;
        let rows = rows(f);
        let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0).max(12);
        let heads: Vec<String> = f
            .windows
            .iter()
            .map(|w| format!("{} day{}", w.days, if w.days == 1 { "" } else { "s" }))
            .collect();
        write!(out, "  {:width$}", "")?;
        for h in &heads {
            write!(out, " {h:>9}")?;
        }
        writeln!(out)?;
        for (label, values) in &rows {
            write!(out, "  {label:width$}")?;
            for v in values {
                write!(out, " {v:>9}")?;
            }
            writeln!(out)?;
        }
        if let Some((day, d)) = f
            .per_day
            .iter()
            .enumerate()
            .filter(|(_, d)| d.emails_total > 0)
            .max_by_key(|(i, d)| (d.emails_total, std::cmp::Reverse(*i)))
        {
            writeln!(
                out,
                "busiest day for email: day {} with {} (the list: {} subscribed contacts)",
                day + 1,
                d.emails_total,
                f.subscribed_contacts
            )?;
        }
        if !f.paths.is_empty() {
            writeln!(out, "where the runs stand at the end:")?;
            for p in &f.paths {
                let at = match (&p.node, &p.label) {
                    (Some(n), Some(l)) => format!(" at {n} ({l})"),
                    (Some(n), None) => format!(" at {n}"),
                    _ => String::new(),
                };
                let why = p
                    .reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {:>7}  {}{at}{why} — e.g. {}",
                    p.runs,
                    p.status.as_str(),
                    p.sample.join(", ")
                )?;
            }
        }
        writeln!(out, "assumptions:")?;
        for a in &f.assumptions {
            writeln!(out, "  - {a}")?;
        }
        for c in &f.confirm {
            writeln!(out, "needs confirmation: {}", c.message)?;
        }
        Ok(())
    }
}
