//! A forecast before activation: what a workflow would do to the real
//! contacts over the next days, worked out by the real engine on a virtual
//! clock over a scratch copy of the database.
//!
//! The copy is taken with SQLite's backup API (`Store::scratch_copy`) in a
//! private folder beside the database and deleted afterwards; the database
//! itself is only read. In the copy the workflow is activated (or its draft
//! saved as a new version), and the engine ticks from one due instant to
//! the next, with every live effect recorded in the copy's run log and
//! nothing sent (`EngineConfig::force_dry_run`, as `cairn run --dry-run`
//! does). The counts are then read from that log (`cairn_store::forecast`).
//!
//! What the engine cannot foresee is said, not guessed: no new events
//! arrive (no purchases, signups, opens), so event triggers start runs only
//! for events already waiting, waits for events reach their timeout, and
//! conditions read the history as it stands. [`assumptions`] lists the ones
//! that apply to a workflow; docs/analytics.md ("Forecast") explains them.

mod counts;

use cairn_model::workflow::{NodeSpec, WorkflowDef};
use cairn_model::{Timestamp, validate};
use cairn_store::Store;
use cairn_store::forecast as tally;
use cairn_store::workflows::WorkflowStatus;
use serde::Serialize;
use ts_rs::TS;

pub use counts::{ConfirmReason, ForecastCounts, ForecastPath, ForecastWindow};

use crate::engine::{Engine, EngineConfig};
use crate::error::{EngineError, Result};
use crate::sender::SendOutcome;

/// The longest forecast, in days.
pub const MAX_DAYS: u32 = 366;
/// The usual horizon: what the activation dialog shows.
pub const DEFAULT_DAYS: u32 = 30;
/// Emails on one day to more than this share of the subscribed contacts
/// ask for a confirmation.
pub const CONFIRM_SHARE: f64 = 0.2;
/// Contacts named per path.
pub const SAMPLE: usize = 5;

/// What to forecast.
#[derive(Debug, Clone)]
pub struct ForecastOptions {
    /// 1 to [`MAX_DAYS`].
    pub days: u32,
    /// "Now": the instant the workflow would be activated.
    pub start: Timestamp,
    /// See [`CONFIRM_SHARE`].
    pub confirm_share: f64,
    pub sample: usize,
}

impl ForecastOptions {
    pub fn new(days: u32, start: Timestamp) -> Self {
        ForecastOptions {
            days,
            start,
            confirm_share: CONFIRM_SHARE,
            sample: SAMPLE,
        }
    }
}

/// What activating a workflow would do over the next days.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Forecast {
    pub workflow: String,
    /// The version forecast (a draft is saved as the next version in the copy).
    pub version: u32,
    /// Whether the workflow is active already (the forecast is then of what
    /// it keeps doing).
    pub active: bool,
    pub start: Timestamp,
    pub end: Timestamp,
    pub days: u32,
    /// Subscribed contacts now: what "a share of the list" is measured against.
    #[ts(type = "number")]
    pub subscribed_contacts: u64,
    /// Totals over the first 1, 7 and `days` days.
    pub windows: Vec<ForecastWindow>,
    /// One entry per day (24 hours from `start`).
    pub per_day: Vec<ForecastCounts>,
    /// How the runs stand at the end, largest group first.
    pub paths: Vec<ForecastPath>,
    /// What the forecast takes for granted, in words.
    pub assumptions: Vec<String>,
    /// Non-empty when activating should be confirmed explicitly.
    pub confirm: Vec<ConfirmReason>,
}

impl Forecast {
    pub fn needs_confirmation(&self) -> bool {
        !self.confirm.is_empty()
    }
}

/// Forecasts workflow `name` (its current version, or `draft` saved as its
/// next one) as if activated at `opts.start`, over `opts.days` days. Only
/// reads `store`: everything runs in a scratch copy beside it, removed
/// before this returns.
pub fn forecast(
    store: &Store,
    name: &str,
    draft: Option<&WorkflowDef>,
    opts: &ForecastOptions,
) -> Result<Forecast> {
    if opts.days == 0 || opts.days > MAX_DAYS {
        return Err(EngineError::Invalid(format!(
            "a forecast covers 1 to {MAX_DAYS} days, not {}",
            opts.days
        )));
    }
    let start = opts.start;
    let end = start + chrono::Duration::days(opts.days.into());
    let dir = scratch_dir(store)?;
    let copy = store.scratch_copy(&dir.path().join("forecast.cairn"))?;
    let (engine, summary, def) = activate_in(copy, name, draft, start)?;
    let mut engine = engine;
    let waiting = tally::unprocessed_events_using(engine.store().conn(), &event_types(&def))?;
    drive(&mut engine, start, end)?;
    let c = engine.store().conn();
    let steps = tally::step_tallies_using(c, summary.id, start, end)?;
    let started = tally::runs_started_by_day_using(c, summary.id, start, end)?;
    let per_day = counts::per_day(&def, opts.days, &steps, &started);
    let subscribed = tally::subscribed_contacts_using(store.conn())?;
    let paths = tally::run_paths_using(c, summary.id, start, opts.sample)?
        .into_iter()
        .map(|p| ForecastPath::of(&def, p))
        .collect();
    Ok(Forecast {
        workflow: summary.name.clone(),
        version: summary.version,
        active: summary.status == WorkflowStatus::Active,
        start,
        end,
        days: opts.days,
        subscribed_contacts: subscribed,
        windows: counts::windows(&per_day),
        confirm: counts::confirm_reasons(&per_day, subscribed, opts.confirm_share),
        per_day,
        paths,
        assumptions: assumptions(&def, waiting),
    })
}

/// What a forecast's scratch folder is called (then a random suffix).
const SCRATCH_PREFIX: &str = ".cairn-forecast-";

/// A forecast's folder older than this is a leftover: a forecast takes
/// seconds to minutes, and one whose process was killed never removed its.
const LEFTOVER_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// A private folder beside the database (the same file system, the user's
/// only), like `cairn run --dry-run`'s. Leftovers of killed forecasts are
/// removed first: each holds a copy of every contact, which must not
/// outlive an erasure.
fn scratch_dir(store: &Store) -> Result<tempfile::TempDir> {
    let parent = match store.path().parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    sweep_leftovers(&parent, std::time::SystemTime::now());
    tempfile::Builder::new()
        .prefix(SCRATCH_PREFIX)
        .tempdir_in(&parent)
        .map_err(|e| {
            EngineError::Invalid(format!(
                "cannot create a scratch folder in {}: {e}",
                parent.display()
            ))
        })
}

/// Removes the forecast folders in `parent` last changed more than
/// [`LEFTOVER_AFTER`] before `now` (file times are the system's clock, so
/// this reads it rather than the engine's). What cannot be removed is
/// logged and left for the next forecast.
fn sweep_leftovers(parent: &std::path::Path, now: std::time::SystemTime) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let ours = e.file_name().to_string_lossy().starts_with(SCRATCH_PREFIX)
            && e.file_type().is_ok_and(|t| t.is_dir());
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > LEFTOVER_AFTER));
        if ours
            && old
            && let Err(err) = std::fs::remove_dir_all(e.path())
        {
            tracing::warn!(
                "cannot remove the leftover forecast folder {}: {err}",
                e.path().display()
            );
        }
    }
}

/// In the copy: saves the draft as the next version, activates the
/// workflow (validation applies, as for the real activation), and returns
/// an engine on it that records every live effect without sending.
fn activate_in(
    mut copy: Store,
    name: &str,
    draft: Option<&WorkflowDef>,
    start: Timestamp,
) -> Result<(Engine, cairn_store::workflows::WorkflowSummary, WorkflowDef)> {
    let before = copy.workflow(name)?;
    if let Some(d) = draft {
        copy.save_workflow(before.id, d, start)?;
    }
    if before.status != WorkflowStatus::Active {
        copy.set_workflow_status(&before.name, WorkflowStatus::Active, start)?;
    }
    let (mut summary, def) = copy.workflow_def(&before.name)?;
    // Said as the real workflow stands, not as the copy now does.
    summary.status = before.status;
    let engine = Engine::with_config(
        copy,
        EngineConfig {
            force_dry_run: true,
            ..EngineConfig::default()
        },
    );
    Ok((engine, summary, def))
}

/// Moves the virtual clock from `start` to `end`, one due instant at a
/// time: each instant, everything due is handled (`Engine::tick`) and
/// sends queued before the copy was taken are taken as sent, counted, never
/// sent, until nothing more is due then.
fn drive(engine: &mut Engine, start: Timestamp, end: Timestamp) -> Result<()> {
    let mut now = start;
    loop {
        loop {
            let report = engine.tick(now)?;
            let taken = engine.take_due(now, 500)?;
            let outcomes: Vec<_> = taken
                .iter()
                .map(|e| {
                    (
                        e.id,
                        SendOutcome::Sent {
                            detail: Some("forecast: counted, not sent".into()),
                        },
                    )
                })
                .collect();
            engine.record_outcomes(&outcomes, now)?;
            if !report.more && outcomes.is_empty() {
                break;
            }
        }
        match engine.next_due_after(now)? {
            Some(t) if t < end => now = t,
            _ => return Ok(()),
        }
    }
}

/// The event types the triggers of `def` listen for.
fn event_types(def: &WorkflowDef) -> Vec<String> {
    let mut out: Vec<String> = def
        .triggers()
        .filter_map(|n| crate::defs::trigger_event_type(&n.spec))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What the forecast of `def` takes for granted, in words, for the
/// triggers, waits, conditions and goals it has. `waiting` is the number
/// of events recorded and not handled yet.
pub fn assumptions(def: &WorkflowDef, waiting: u64) -> Vec<String> {
    let mut out = vec![
        "Nothing leaves the machine: the engine ran on a copy of the database, and every email, webhook and notice was counted, not sent.".to_string(),
        "No new events are assumed: no purchases, signups, form submissions, opens, clicks or replies arrive during the forecast.".into(),
    ];
    let timed = def.triggers().any(|n| {
        matches!(
            n.spec,
            NodeSpec::TriggerDate(_) | NodeSpec::TriggerSchedule(_)
        )
    });
    let event_triggers = event_types(def);
    let signup = event_triggers
        .iter()
        .any(|t| t == cairn_model::event::types::CONTACT_CREATED);
    if timed {
        out.push("Date-based and schedule triggers fire over the contacts as they are now (their fields, tags and time zones).".into());
    }
    if signup {
        out.push("No new contacts are assumed: a contact-created trigger starts runs only for signups already recorded and not handled yet.".into());
    }
    if !event_triggers.is_empty() {
        out.push(format!(
            "Event triggers ({}) start runs only for the {waiting} event{} already recorded and not handled yet.",
            event_triggers.join(", "),
            if waiting == 1 { "" } else { "s" }
        ));
    }
    let waits: Vec<&str> = def
        .nodes
        .iter()
        .filter_map(|n| match &n.spec {
            NodeSpec::WaitForEvent(w) => Some(w.event_type.as_str()),
            _ => None,
        })
        .collect();
    if !waits.is_empty() {
        out.push(format!(
            "Waits for an event ({}) reach their timeout: the event is assumed not to come.",
            waits.join(", ")
        ));
    }
    if !validate::engagement_readers(def).is_empty() {
        out.push("Conditions on opens, clicks and replies read the engagement recorded so far; none is added.".into());
    }
    if !def.goals.is_empty() {
        out.push(
            "Goals are reached only by events already recorded: no conversions are foreseen."
                .into(),
        );
    }
    out.push("Every send is taken as delivered at once: no bounces or provider errors, and an account's daily cap or rate limit, which may spread sending over more days, is not applied. The send window is.".into());
    out.push("Other active workflows run in the copy as they would, and what they do to these contacts is seen; only this workflow's runs are counted.".into());
    out
}

#[cfg(test)]
mod tests {
    use std::fs::{self, File};
    use std::time::{Duration, SystemTime};

    use super::*;

    #[test]
    fn a_killed_forecasts_folder_is_swept_but_not_a_running_ones_or_others() {
        let parent = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let dir = |name: &str, age_secs: u64| {
            let p = parent.path().join(name);
            fs::create_dir(&p).unwrap();
            fs::write(p.join("forecast.cairn"), b"contacts").unwrap();
            File::open(&p)
                .unwrap()
                .set_modified(now - Duration::from_secs(age_secs))
                .unwrap();
            p
        };
        let left = dir(".cairn-forecast-killed", 2 * 3600);
        let running = dir(".cairn-forecast-running", 60);
        let dry_run = dir(".cairn-dry-run-long", 5 * 3600);
        sweep_leftovers(parent.path(), now);
        assert!(!left.exists(), "the leftover is removed with its copy");
        assert!(running.join("forecast.cairn").exists());
        assert!(dry_run.exists(), "a dry run may run for hours: not ours");
    }
}
