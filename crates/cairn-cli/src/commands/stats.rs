//! `cairn stats NAME`: a workflow's analytics over a time range, the same
//! [`WorkflowStats`] the app's analytics screen and canvas counts show.
//!
//! Dates are local days in the workflow's time zone (`--since 2026-01-05`
//! means from that day's midnight there) or RFC 3339 instants; `--until`
//! is exclusive and defaults to now.

use std::io::Write;

use cairn_model::Timestamp;
use cairn_model::time::{TimeOfDay, TimezoneRef, local_instant};
use cairn_store::analytics::WorkflowStats;
use cairn_store::drift::{DriftReport, DriftVerdict, describe, span};
use cairn_store::experience::{ExperienceGroup, ExperienceNumber};
use cairn_store::splits::{SplitMetric, SplitResults, VariantResult};
use clap::Args;
use serde::Serialize;

use crate::output::{Render, when};
use crate::{CliError, Ctx};

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The workflow.
    name: String,
    /// From this day (YYYY-MM-DD, in the workflow's time zone) or instant
    /// (RFC 3339); default: the workflow's first run.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Up to, not including, this day or instant; default: now.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
}

pub fn run(ctx: &mut Ctx, a: StatsArgs) -> Result<(), CliError> {
    let now = ctx.now();
    let store = ctx.store()?;
    let (_, def) = store.workflow_def(&a.name)?;
    let tz = &def.settings.timezone;
    let since = a
        .since
        .as_deref()
        .map(|d| parse_date("--since", d, tz))
        .transpose()?;
    let until = match a.until.as_deref() {
        Some(d) => parse_date("--until", d, tz)?,
        None => now,
    };
    let stats = store.workflow_stats(&a.name, since, until)?;
    let drift = store.workflow_drift(stats.workflow_id, until)?;
    let experience = store.workflow_experience(stats.workflow_id, stats.since, until)?;
    ctx.print(&Stats {
        stats,
        drift,
        experience,
    })
}

fn parse_date(flag: &str, text: &str, tz: &str) -> Result<Timestamp, CliError> {
    let t = text.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let zone = TimezoneRef::Workflow.resolve(None, tz);
        return Ok(local_instant(zone, d, TimeOfDay::MIDNIGHT));
    }
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&chrono::Utc))
        .map_err(|_| {
            CliError::Usage(format!(
                "{flag} {text:?}: expected a date such as 2026-01-05 or an instant such as 2026-01-05T09:00:00Z"
            ))
        })
}

/// The analytics, with the drift of the 7 days before `until` and the
/// customer-experience number over the same range (JSON: the
/// `WorkflowStats` fields plus `drift` and `experience`).
#[derive(Serialize)]
struct Stats {
    #[serde(flatten)]
    stats: WorkflowStats,
    drift: DriftReport,
    experience: Option<ExperienceNumber>,
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "–".to_string(), |r| format!("{:.1} %", r * 100.0))
}

impl Render for Stats {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let s = &self.stats;
        let r = &s.runs;
        writeln!(
            out,
            "{} from {} to {} ({:.1} days)",
            s.workflow,
            when(s.since),
            when(s.until),
            s.throughput.days
        )?;
        writeln!(
            out,
            "  runs started      {} ({:.2} a day, {:.1} a week); {} still open",
            r.started, s.throughput.per_day, s.throughput.per_week, r.open
        )?;
        writeln!(
            out,
            "  runs ended        {} (completed {}, exited {}, failed {})",
            r.ended, r.completed, r.exited, r.failed
        )?;
        writeln!(out, "  completion rate   {}", pct(s.completion_rate))?;
        match &s.drop_off {
            Some(d) => writeln!(
                out,
                "  drop-off step     {}{} ({} exited, {} failed)",
                d.node,
                d.label
                    .as_deref()
                    .map(|l| format!(" \"{l}\""))
                    .unwrap_or_default(),
                d.exited,
                d.failed
            )?,
            None => writeln!(out, "  drop-off step     –")?,
        }
        writeln!(
            out,
            "  error rate        {} ({} of {} action steps failed)",
            pct(s.error_rate),
            s.failed_action_steps,
            s.action_steps
        )?;
        match &s.time_to_completion {
            Some(t) => writeln!(
                out,
                "  time to complete  median {}, p90 {} (over {} runs)",
                span(t.median_secs),
                span(t.p90_secs),
                t.runs
            )?,
            None => writeln!(out, "  time to complete  –")?,
        }
        let goals = s
            .goals
            .iter()
            .map(|g| format!("{} {}", g.goal, g.runs))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(
            out,
            "  conversions       {} ({}){}",
            s.conversions,
            pct(s.conversion_rate),
            if goals.is_empty() {
                String::new()
            } else {
                format!(": {goals}")
            }
        )?;
        let c = &s.cost_saved;
        writeln!(
            out,
            "  cost saved        {:.2} ({} runs × {} min ÷ 60 × {:.2} an hour = {:.2} h)",
            c.amount, c.completed_runs, c.manual_minutes_per_run, c.hourly_rate, c.hours
        )?;
        writeln!(out, "  workflows active  {}", s.workflows_active)?;
        writeln!(out, "nodes (passed / waiting / failed / skipped):")?;
        let w = s.nodes.iter().map(|n| n.node.len()).max().unwrap_or(0);
        for n in &s.nodes {
            writeln!(
                out,
                "  {:<w$}  {:>6} {:>6} {:>6} {:>6}  {}{}",
                n.node,
                n.passed,
                n.waiting,
                n.failed,
                n.skipped,
                n.kind,
                if n.in_current_version {
                    ""
                } else {
                    " (older version)"
                }
            )?;
            if !n.exits.is_empty() {
                let exits: Vec<String> = n
                    .exits
                    .iter()
                    .map(|e| format!("{} {}", e.exit, e.runs))
                    .collect();
                writeln!(out, "  {:<w$}  left by: {}", "", exits.join(", "))?;
            }
        }
        for sp in &s.splits {
            split_results(out, sp)?;
        }
        writeln!(out, "per day (started / completed / failed / conversions):")?;
        for d in &s.series {
            if d.started + d.completed + d.failed + d.conversions == 0 {
                continue;
            }
            writeln!(
                out,
                "  {}  {:>5} {:>5} {:>5} {:>5}",
                d.date, d.started, d.completed, d.failed, d.conversions
            )?;
        }
        drift(&self.drift, out)?;
        if let Some(e) = &self.experience {
            experience(e, out)?;
        }
        Ok(())
    }
}

/// One A/B split's table: per variant its runs, how they ended, the rate it
/// is compared on, and the comparison with the control in words.
fn split_results(out: &mut dyn Write, sp: &SplitResults) -> std::io::Result<()> {
    let (metric, rate_of): (&str, fn(&VariantResult) -> Option<f64>) = match sp.metric {
        SplitMetric::Conversion => ("conversion rate", |v| v.conversion_rate),
        SplitMetric::Completion => ("completion rate", |v| v.completion_rate),
    };
    write!(out, "A/B split {}", sp.node)?;
    if let Some(l) = &sp.label {
        write!(out, " ({l})")?;
    }
    write!(out, ", compared on {metric}")?;
    if let Some(w) = &sp.winner {
        write!(
            out,
            "; winner {w:?} declared ({} runs since, not counted)",
            sp.after_winner
        )?;
    }
    writeln!(out, ":")?;
    let w = sp
        .variants
        .iter()
        .map(|v| v.variant.chars().count())
        .max()
        .unwrap_or(0)
        .max("variant".len());
    writeln!(
        out,
        "  {:<w$}  weight   runs  ended  completed  converted    rate",
        "variant"
    )?;
    for v in &sp.variants {
        writeln!(
            out,
            "  {:<w$}  {:>6} {:>6} {:>6} {:>10} {:>10}  {:>6}  {}",
            v.variant,
            v.weight.map_or("–".to_string(), |x| x.to_string()),
            v.runs,
            v.ended,
            v.completed,
            v.conversions,
            pct(rate_of(v)),
            v.statement
        )?;
    }
    Ok(())
}
/// "drift (last 7 days vs the 28 before, to …):" and one line per metric.
fn drift(d: &DriftReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "drift (the 7 days to {} against the 28 days before):",
        when(d.until)
    )?;
    for m in &d.metrics {
        let verdict = match m.verdict {
            DriftVerdict::Drift => "DRIFT",
            DriftVerdict::Steady => "steady",
            DriftVerdict::TooFewRuns => "too few runs to judge",
        };
        writeln!(out, "  {verdict:<6}  {}", describe(m))?;
    }
    Ok(())
}

fn experience(e: &ExperienceNumber, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "customer experience: {} per contact, same range:",
        e.event_type
    )?;
    let line = |label: &str, g: &ExperienceGroup| {
        format!(
            "  {label:<22}{} ({} events, {} contacts, {} with one; {} per 30 days)",
            g.per_contact.map_or("–".to_string(), |r| format!("{r:.3}")),
            g.events,
            g.contacts,
            g.contacts_with_event,
            g.per_contact_per_30_days
                .map_or("–".to_string(), |r| format!("{r:.3}")),
        )
    };
    writeln!(out, "{}", line("through the workflow", &e.through))?;
    writeln!(out, "{}", line("the others", &e.others))
}
