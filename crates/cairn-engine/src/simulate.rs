//! `cairn simulate`: a workflow file on a virtual clock, in a throwaway
//! database, with scripted events — the timeline of what would happen to one
//! contact, in well under a second, with nothing leaving the machine.
//!
//! The script lists events at offsets from the start, one per line:
//!
//! ```text
//! # comments and blank lines are ignored
//! +0s  purchase.completed {"product": "Program A", "amount": 497}
//! +3d  email.opened {"email": "welcome-1"}
//! +2h  order.fulfilled {"order_id": "1001"}
//! ```
//!
//! Each line is `+DURATION TYPE [JSON object]`; the payload defaults to `{}`.

use std::collections::BTreeMap;

use cairn_model::account::AccountKind;
use cairn_model::contact::{Contact, FieldDef, FieldType};
use cairn_model::event::{NewEvent, sources};
use cairn_model::time::TimezoneRef;
use cairn_model::time::add_checked;
use cairn_model::workflow::{NodeSpec, NotifyChannel, WorkflowDef};
use cairn_model::{Clock, Duration, Timestamp, VirtualClock, file};
use cairn_store::Store;
use cairn_store::contacts::ContactInput;
use cairn_store::runs::{Run, RunQuery, Step, StepStatus};
use cairn_store::workflows::WorkflowStatus;
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{Value, json};
use ts_rs::TS;

use crate::engine::{Engine, EngineConfig};
use crate::error::{EngineError, Result};

/// One scripted event.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptEvent {
    pub offset: Duration,
    pub event_type: String,
    pub payload: Value,
    pub line: usize,
}

/// Parses an events script; errors name the line.
pub fn parse_script(text: &str) -> std::result::Result<Vec<ScriptEvent>, String> {
    let mut out = vec![];
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        // Any run of spaces or tabs separates the fields, so scripts can
        // align their columns (as the one in docs/cli.md does).
        let (off, rest) = next_field(t);
        let Some(off) = off.strip_prefix('+') else {
            return Err(format!(
                "line {line}: expected an offset such as +3d at the start, found {off:?}"
            ));
        };
        let offset = Duration::parse(off).map_err(|e| format!("line {line}: {e}"))?;
        let (event_type, rest) = next_field(rest);
        if event_type.is_empty() {
            return Err(format!(
                "line {line}: expected an event type after the offset"
            ));
        }
        let event_type = event_type.to_string();
        let payload = match Some(rest.trim()).filter(|s| !s.is_empty()) {
            None => json!({}),
            Some(j) => {
                let v: Value = serde_json::from_str(j)
                    .map_err(|e| format!("line {line}: the payload is not valid JSON: {e}"))?;
                if !v.is_object() {
                    return Err(format!("line {line}: the payload must be a JSON object"));
                }
                v
            }
        };
        out.push(ScriptEvent {
            offset,
            event_type,
            payload,
            line,
        });
    }
    out.sort_by_key(|e| (e.offset, e.line));
    Ok(out)
}

/// The first field of `s` (up to the first space or tab) and the rest after
/// the run of blanks that follows it.
fn next_field(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    pub email: String,
    pub name: Option<String>,
    /// Field values as text; types come from the workflow's `requires`, or
    /// are guessed (date, number, boolean, else text).
    pub fields: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub timezone: Option<String>,
    pub script: Vec<ScriptEvent>,
    /// How long to run, in virtual time.
    pub duration: Duration,
    pub start: Timestamp,
    /// Start a run through the first trigger at +0 when no event did.
    pub fire_trigger: bool,
    /// The payload of that trigger event (`trigger.*` merge fields).
    pub trigger_payload: Value,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TimelineEntry {
    pub at: Timestamp,
    /// Seconds since the start.
    #[ts(type = "number")]
    pub offset_secs: i64,
    #[ts(type = "number")]
    pub run_id: i64,
    pub workflow: String,
    pub node: String,
    pub kind: String,
    pub status: StepStatus,
    pub exit: Option<String>,
    /// What the step did, in a few words.
    pub summary: String,
    /// The rendered subject, for emails.
    pub subject: Option<String>,
}

/// What a simulation produced.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Timeline {
    pub workflow: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub entries: Vec<TimelineEntry>,
    pub runs: Vec<Run>,
    /// The contact as it stands at the end.
    pub contact: Contact,
}

fn guess_type(raw: &str) -> FieldType {
    let t = raw.trim();
    if chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok() {
        FieldType::Date
    } else if t.parse::<f64>().is_ok() {
        FieldType::Number
    } else if matches!(t.to_ascii_lowercase().as_str(), "true" | "false") {
        FieldType::Boolean
    } else {
        FieldType::Text
    }
}

/// Accounts, workflows and fields the workflow refers to, created as
/// stand-ins so it validates in an empty database. Nothing is ever sent.
fn stand_ins(
    store: &mut Store,
    def: &WorkflowDef,
    opts: &SimulateOptions,
    now: Timestamp,
) -> Result<()> {
    let mut accounts: BTreeMap<String, AccountKind> = BTreeMap::new();
    let mut workflows: Vec<String> = vec![];
    for n in &def.nodes {
        match &n.spec {
            NodeSpec::SendEmail(s) => {
                accounts.insert(s.account.clone(), AccountKind::Smtp);
            }
            NodeSpec::Webhook(w) => {
                if let Some(a) = &w.account {
                    accounts.insert(a.clone(), AccountKind::Webhook);
                }
            }
            NodeSpec::Notify(nf) => match &nf.channel {
                NotifyChannel::Slack { account } => {
                    accounts.insert(account.clone(), AccountKind::Slack);
                }
                NotifyChannel::EmailOwner { account } => {
                    accounts.insert(account.clone(), AccountKind::Smtp);
                }
                NotifyChannel::Desktop => {}
            },
            NodeSpec::StartWorkflow(w) | NodeSpec::RemoveFromWorkflow(w) => {
                workflows.push(w.workflow.clone())
            }
            _ => {}
        }
    }
    // The script supplies the opens and clicks a tracking account would
    // report, so a workflow that reads them is not refused as blind.
    if !cairn_model::validate::engagement_readers(def).is_empty() {
        accounts
            .entry("Simulated tracking".into())
            .or_insert(AccountKind::Mailgun);
    }
    for (name, kind) in accounts {
        if name.trim().is_empty() {
            continue;
        }
        store.add_account(
            &name,
            kind,
            &json!({"from": "Simulation <simulation@cairn.invalid>"}),
            None,
            now,
        )?;
    }
    for w in workflows {
        if w.trim().is_empty() || w.eq_ignore_ascii_case(&def.name) || store.workflow(&w).is_ok() {
            continue;
        }
        let mut other = WorkflowDef::new(w.clone());
        other.description = "Stand-in created by cairn simulate".into();
        store.create_workflow(&other, now)?;
    }
    for (k, raw) in &opts.fields {
        if k.eq_ignore_ascii_case("name") {
            continue;
        }
        let declared = def
            .requires
            .fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(k))
            .map(|f| f.field_type);
        if cairn_store::contacts::field_type_using(store.conn(), k)?.is_none() {
            store.define_field(
                &FieldDef {
                    name: k.clone(),
                    field_type: declared.unwrap_or_else(|| guess_type(raw)),
                },
                now,
            )?;
        }
    }
    Ok(())
}

/// The zone a step's times are read in: a wait's own zone (the contact's, a
/// named one) where it has one, else the workflow's.
fn zone_of(def: &WorkflowDef, node_id: &str, contact_tz: Option<&str>) -> Tz {
    let workflow_tz = &def.settings.timezone;
    match def.node(node_id).map(|n| &n.spec) {
        Some(NodeSpec::WaitUntilTime(w)) => w.timezone.resolve(contact_tz, workflow_tz),
        Some(NodeSpec::WaitUntilDate(w)) => w.timezone.resolve(contact_tz, workflow_tz),
        _ => TimezoneRef::Workflow.resolve(contact_tz, workflow_tz),
    }
}

/// `until` an instant: in UTC as stored, and beside it the wall-clock time
/// in `tz` (the one the workflow was written in) unless that is UTC.
fn until(u: &str, tz: Tz) -> String {
    match chrono::DateTime::parse_from_rfc3339(u) {
        Ok(t) if tz != Tz::UTC => format!(
            "until {u} ({}, {})",
            t.with_timezone(&tz).format("%Y-%m-%d %H:%M %a"),
            tz.name()
        ),
        _ => format!("until {u}"),
    }
}

fn summary(step: &Step, tz: Tz) -> (String, Option<String>) {
    let d = &step.detail;
    let s = |v: &Value| v.as_str().map(str::to_string);
    let subject = d["effect"]["subject"].as_str().map(str::to_string);
    let text = if let Some(e) = s(&d["error"]) {
        format!("error: {e}")
    } else if let Some(r) = s(&d["reason"]) {
        r
    } else if let Some(sub) = &subject {
        format!(
            "email to {} \"{sub}\"",
            d["effect"]["to"].as_str().unwrap_or_default()
        )
    } else if d["effect"]["kind"] == "webhook" || d["effect"]["url"].is_string() {
        format!(
            "{} {}",
            d["effect"]["method"].as_str().unwrap_or("POST"),
            d["effect"]["url"].as_str().unwrap_or_default()
        )
    } else if let Some(t) = s(&d["effect"]["text"]).or_else(|| s(&d["effect"]["body"])) {
        t
    } else if let Some(t) = s(&d["tag"]) {
        format!("tag {t}")
    } else if let Some(c) = s(&d["course"]) {
        format!("course {c}")
    } else if let Some(st) = s(&d["stage"]) {
        format!("deal → {st}")
    } else if let Some(f) = s(&d["field"]) {
        format!("{f} = {}", d["value"].as_str().unwrap_or_default())
    } else if let Some(p) = s(&d["path"]) {
        format!("path {p}")
    } else if let Some(r) = d["result"].as_bool() {
        if r { "yes".into() } else { "no".into() }
    } else if let Some(w) = s(&d["workflow"]) {
        w
    } else if let Some(l) = s(&d["late"]) {
        l
    } else if let Some(u) = s(&d["until"]) {
        until(&u, tz)
    } else {
        String::new()
    };
    (text, subject)
}

/// The event that fires the workflow's first event-based trigger: its type,
/// and the given payload completed with what the trigger's own settings
/// look for (the tag of a tag trigger, the course of a course trigger…).
fn trigger_event(def: &WorkflowDef, name: &str, given: &Value) -> Option<(String, Value)> {
    let node = def
        .triggers()
        .find(|n| crate::defs::trigger_event_type(&n.spec).is_some())?;
    let event_type = crate::defs::trigger_event_type(&node.spec)?.to_string();
    let mut payload = given.as_object().cloned().unwrap_or_default();
    let mut put = |k: &str, v: Value| {
        payload.entry(k.to_string()).or_insert(v);
    };
    match &node.spec {
        NodeSpec::TriggerTagAdded(t) | NodeSpec::TriggerTagRemoved(t) => put("tag", json!(t.tag)),
        NodeSpec::TriggerFormSubmitted(t) => {
            if let Some(f) = &t.form {
                put("form_id", json!(f));
            }
        }
        NodeSpec::TriggerLinkClicked(t) => {
            if let Some(u) = &t.url_contains {
                put("url", json!(u));
            }
            if let Some(e) = &t.email {
                put("email", json!(e));
            }
        }
        NodeSpec::TriggerEmailOpened(t) | NodeSpec::TriggerEmailReplied(t) => {
            if let Some(e) = &t.email {
                put("email", json!(e));
            }
        }
        NodeSpec::TriggerCourseProgress(t) => {
            put("course", json!(t.course));
            put("percent", json!(t.at_least_percent));
        }
        NodeSpec::TriggerCourseCompleted(t) => put("course", json!(t.course)),
        NodeSpec::TriggerDealStageChanged(t) => {
            put("pipeline", json!(t.pipeline));
            if let Some(st) = &t.stage {
                put("stage", json!(st));
            }
        }
        NodeSpec::TriggerManual(_) => put("workflow", json!(name)),
        _ => {}
    }
    Some((event_type, Value::Object(payload)))
}

/// Runs `def` for one contact on a virtual clock and returns the timeline.
pub fn simulate(def: &WorkflowDef, opts: &SimulateOptions) -> Result<Timeline> {
    if opts.duration > cairn_model::validate::max_span() {
        return Err(EngineError::Invalid(format!(
            "a simulation covers at most {}d (10 years), not {}",
            cairn_model::validate::MAX_SPAN_DAYS,
            opts.duration
        )));
    }
    let dir = tempfile::tempdir()
        .map_err(|e| EngineError::Invalid(format!("cannot create a temporary folder: {e}")))?;
    let clock = VirtualClock::new(opts.start);
    let mut store = Store::open(dir.path().join("simulation.db"))?;
    let now = clock.now();
    stand_ins(&mut store, def, opts, now)?;
    let imported = store.import_workflow(&file::to_canonical_json(def), false, now)?;
    store.set_workflow_status(&imported.name, WorkflowStatus::Active, now)?;
    let name = imported.name;
    let mut engine = Engine::with_config(
        store,
        EngineConfig {
            force_dry_run: true,
            ..EngineConfig::default()
        },
    );
    engine.store_mut().upsert_contact(
        &ContactInput {
            email: opts.email.clone(),
            name: opts.name.clone(),
            timezone: opts.timezone.clone(),
            fields: opts.fields.clone(),
            tags: opts.tags.clone(),
            ..Default::default()
        },
        now,
    )?;
    let end = add_checked(opts.start, opts.duration.to_chrono());
    let mut script = opts.script.iter().peekable();
    let mut first = true;
    loop {
        let now = clock.now();
        while let Some(ev) =
            script.next_if(|e| add_checked(opts.start, e.offset.to_chrono()) <= now)
        {
            engine.store_mut().emit(
                &NewEvent {
                    event_type: ev.event_type.clone(),
                    contact_email: Some(opts.email.clone()),
                    payload: ev.payload.clone(),
                    occurred_at: now,
                    source: sources::MANUAL.into(),
                    external_id: None,
                },
                now,
            )?;
        }
        engine.tick(now)?;
        if first {
            first = false;
            let started = !engine
                .store()
                .runs(&RunQuery {
                    workflow: Some(name.clone()),
                    ..Default::default()
                })?
                .is_empty();
            if opts.fire_trigger && !started {
                // Fire the first event-based trigger through the normal
                // path, so its filters apply. Time-based triggers (schedule,
                // date) fire on their own as virtual time passes.
                if let Some((event_type, payload)) =
                    trigger_event(def, &name, &opts.trigger_payload)
                {
                    engine.store_mut().emit(
                        &NewEvent {
                            event_type,
                            contact_email: Some(opts.email.clone()),
                            payload,
                            occurred_at: now,
                            source: sources::MANUAL.into(),
                            external_id: None,
                        },
                        now,
                    )?;
                    engine.tick(now)?;
                }
            }
        }
        let next_event = script
            .peek()
            .map(|e| add_checked(opts.start, e.offset.to_chrono()));
        let next = [engine.next_due()?, next_event]
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .min();
        match next {
            Some(t) if t <= end => clock.set(t),
            _ => break,
        }
    }
    let store = engine.store();
    let mut runs = store.runs(&RunQuery::default())?;
    runs.reverse();
    let mut entries = vec![];
    for r in &runs {
        for step in store.steps(r.id)? {
            let at = step.finished_at.unwrap_or(step.started_at);
            let tz = zone_of(def, &step.node_id, opts.timezone.as_deref());
            let (summary, subject) = summary(&step, tz);
            entries.push((
                at,
                step.id,
                TimelineEntry {
                    at,
                    offset_secs: (at - opts.start).num_seconds(),
                    run_id: r.id,
                    workflow: r.workflow.clone(),
                    node: step.node_id.clone(),
                    kind: step.kind.clone(),
                    status: step.status,
                    exit: step.exit.clone(),
                    summary,
                    subject,
                },
            ));
        }
    }
    entries.sort_by_key(|(at, id, _)| (*at, *id));
    let contact = store.require_contact(&opts.email)?;
    Ok(Timeline {
        workflow: name,
        start: opts.start,
        end: clock.now().max(end),
        entries: entries.into_iter().map(|(_, _, e)| e).collect(),
        runs,
        contact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_with_line_numbers() {
        let s =
            parse_script("# hi\n+3d email.opened {\"email\": \"welcome-1\"}\n\n+0s go\n").unwrap();
        assert_eq!(s[0].event_type, "go");
        assert_eq!(s[1].offset, Duration::from_days(3));
        assert_eq!(s[1].payload["email"], "welcome-1");
        assert_eq!(s[1].line, 2);
        let e = parse_script("+1d ok\n3d bad").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        let e = parse_script("+1x go").unwrap_err();
        assert!(e.contains("expected a duration"), "{e}");
        let e = parse_script("+1d go [1]").unwrap_err();
        assert!(e.contains("JSON object"), "{e}");
        let e = parse_script("+1d   ").unwrap_err();
        assert!(e.contains("expected an event type"), "{e}");
    }

    #[test]
    fn any_run_of_spaces_or_tabs_separates_the_fields() {
        let s = parse_script("+0s \t  go\t\t{\"a\": 1}\n\t+2h\tthen   \n").unwrap();
        assert_eq!(s[0].event_type, "go");
        assert_eq!(s[0].payload["a"], 1);
        assert_eq!(s[1].event_type, "then");
        assert_eq!(s[1].offset, Duration::from_hours(2));
        assert_eq!(s[1].payload, json!({}));
    }

    /// The example script printed in docs/cli.md (aligned columns) parses.
    #[test]
    fn the_script_in_the_cli_docs_parses() {
        let doc = include_str!("../../../docs/cli.md");
        let start = doc
            .find("# abandoned cart")
            .expect("docs/cli.md shows an events script");
        let script = &doc[start..start + doc[start..].find("```").unwrap()];
        let s = parse_script(script).unwrap();
        let types: Vec<_> = s.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            ["cart.abandoned", "purchase.completed", "email.opened"]
        );
        assert_eq!(s[0].payload["cart_id"], "c-1");
        assert_eq!(s[1].offset, Duration::from_hours(26));
        assert_eq!(s[2].payload["email"], "welcome-1");
    }
}
