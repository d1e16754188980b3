//! `cairn simulate`: run a workflow file for one contact on a virtual clock
//! in a throwaway database and print the timeline. Needs no database and no
//! network; nothing is sent.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use cairn_engine::simulate::{SimulateOptions, Timeline, parse_script, simulate};
use cairn_model::{Duration, file};
use clap::Args;
use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The workflow file.
    file: PathBuf,
    /// The contact to run it for.
    #[arg(long, value_name = "EMAIL")]
    contact: String,
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// A contact field, KEY=VALUE (repeatable).
    #[arg(long = "field", value_name = "KEY=VALUE")]
    fields: Vec<String>,
    /// A tag the contact has at the start (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// The contact's IANA time zone.
    #[arg(long, value_name = "TZ")]
    timezone: Option<String>,
    /// A script of events at offsets, one per line: `+3d email.opened {"email":"welcome-1"}`.
    #[arg(long, value_name = "SCRIPT")]
    events: Option<PathBuf>,
    /// How long to simulate, such as 21d.
    #[arg(long = "for", value_name = "DURATION")]
    duration: String,
    /// The virtual start time (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339")]
    start: Option<String>,
    /// The payload of the trigger event that starts the run (JSON object).
    #[arg(long, value_name = "JSON")]
    payload: Option<String>,
    /// Do not fire the first trigger at +0; only the script's events start runs.
    #[arg(long)]
    no_trigger: bool,
}

pub fn run(ctx: &mut Ctx, a: SimulateArgs) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&a.file).map_err(|e| CliError::io("read", &a.file, e))?;
    let def = file::parse(&text).map_err(|source| CliError::WorkflowFile {
        file: a.file.display().to_string(),
        source,
    })?;
    let duration =
        Duration::parse(&a.duration).map_err(|e| CliError::Usage(format!("--for: {e}")))?;
    if duration > cairn_model::validate::max_span() {
        return Err(CliError::Usage(format!(
            "--for: at most {}d (10 years) can be simulated, not {duration}",
            cairn_model::validate::MAX_SPAN_DAYS
        )));
    }
    let script = match &a.events {
        Some(p) => {
            let t = std::fs::read_to_string(p).map_err(|e| CliError::io("read", p, e))?;
            parse_script(&t).map_err(|e| CliError::Usage(format!("{}: {e}", p.display())))?
        }
        None => vec![],
    };
    let mut fields = BTreeMap::new();
    for kv in &a.fields {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("--field {kv:?}: expected KEY=VALUE")))?;
        fields.insert(k.trim().to_string(), v.to_string());
    }
    let start = match &a.start {
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map_err(|e| CliError::Usage(format!("--start {s:?}: {e}")))?
            .with_timezone(&chrono::Utc),
        None => ctx.now(),
    };
    let trigger_payload = match &a.payload {
        Some(p) => {
            let v: serde_json::Value = serde_json::from_str(p)
                .map_err(|e| CliError::Usage(format!("--payload is not valid JSON: {e}")))?;
            if !v.is_object() {
                return Err(CliError::Usage("--payload must be a JSON object".into()));
            }
            v
        }
        None => serde_json::json!({}),
    };
    let timeline = simulate(
        &def,
        &SimulateOptions {
            email: a.contact,
            name: a.name,
            fields,
            tags: a.tags,
            timezone: a.timezone,
            script,
            duration,
            start,
            fire_trigger: !a.no_trigger,
            trigger_payload,
        },
    )?;
    ctx.print(&Simulated(timeline))
}

#[derive(Serialize)]
#[serde(transparent)]
struct Simulated(Timeline);

/// `+3d 4h` style offsets for the timeline.
pub fn offset(secs: i64) -> String {
    if secs == 0 {
        return "+0s".into();
    }
    format!("+{}", Duration::from_secs(secs))
}

impl Render for Simulated {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let t = &self.0;
        writeln!(
            out,
            "Simulation of {:?} for {} from {} (virtual time; nothing was sent)",
            t.workflow,
            t.contact.email,
            crate::output::when(t.start)
        )?;
        if t.entries.is_empty() {
            writeln!(out, "  nothing happened: no trigger fired")?;
        }
        let kind_w = t.entries.iter().map(|e| e.kind.len()).max().unwrap_or(0);
        let node_w = t.entries.iter().map(|e| e.node.len()).max().unwrap_or(0);
        for e in &t.entries {
            let exit = e
                .exit
                .as_deref()
                .map(|x| format!(" → {x}"))
                .unwrap_or_default();
            let wf = if e.workflow == t.workflow {
                String::new()
            } else {
                format!(" [{}]", e.workflow)
            };
            writeln!(
                out,
                "  {:<9} {:<node_w$}  {:<kind_w$}  {}{}{}  {}",
                offset(e.offset_secs),
                e.node,
                e.kind,
                e.status.as_str(),
                exit,
                wf,
                e.summary
            )?;
        }
        for r in &t.runs {
            let reason = r
                .exit_reason
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            writeln!(
                out,
                "run {} of {:?}: {}{}",
                r.id,
                r.workflow,
                r.status.as_str(),
                reason
            )?;
        }
        writeln!(
            out,
            "contact at the end: {}; tags: {}",
            t.contact.status,
            if t.contact.tags.is_empty() {
                "none".to_string()
            } else {
                t.contact.tags.join(", ")
            }
        )
    }
}
