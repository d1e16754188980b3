//! Workflows: a named graph of nodes (triggers, flow control, actions) joined
//! by edges from a node's named exit to another node.
//!
//! [`WorkflowDef`] is at once the in-memory model, what the store keeps per
//! version, and (with `format` and `version`) the shareable file. Everything
//! is referenced by name (tags, fields, templates, pipelines, courses,
//! accounts), never by database id, and no secret ever appears in it.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use ts_rs::TS;

use crate::Duration;
use crate::condition::{Condition, Filter, is_default_tz};
use crate::contact::{ContactStatus, FieldDef};
use crate::time::{TimeOfDay, TimezoneRef, Weekday};

/// The `format` value of every workflow file.
pub const FORMAT_NAME: &str = "cairn.workflow";
/// The newest file format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A workflow, as stored per version and as written to a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Cairn workflow file",
    description = "A Cairn workflow: triggers, conditions, waits and actions joined by edges. Secrets never appear here; accounts are referenced by name."
)]
pub struct WorkflowDef {
    /// Always `"cairn.workflow"`.
    #[schemars(extend("const" = FORMAT_NAME))]
    pub format: String,
    /// The file format version; this build writes 1.
    #[schemars(extend("const" = FORMAT_VERSION))]
    pub version: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub description: String,
    #[serde(default)]
    pub settings: Settings,
    /// Leave the workflow when one of these events happens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub goals: Vec<Goal>,
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub edges: Vec<Edge>,
    /// The email templates the workflow's send-email nodes use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub email_templates: Vec<EmailTemplate>,
    /// Fields, pipelines and courses the workflow needs; created on import
    /// when missing.
    #[serde(default, skip_serializing_if = "Requires::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub requires: Requires,
}

impl WorkflowDef {
    /// An empty workflow with default settings.
    pub fn new(name: impl Into<String>) -> Self {
        WorkflowDef {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            name: name.into(),
            description: String::new(),
            settings: Settings::default(),
            goals: vec![],
            nodes: vec![],
            edges: vec![],
            email_templates: vec![],
            requires: Requires::default(),
        }
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The node an exit leads to, if connected.
    pub fn next(&self, from: &str, exit: &str) -> Option<&Node> {
        self.edges
            .iter()
            .find(|e| e.from == from && e.exit == exit)
            .and_then(|e| self.node(&e.to))
    }

    pub fn triggers(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.spec.is_trigger())
    }

    pub fn template(&self, name: &str) -> Option<&EmailTemplate> {
        self.email_templates.iter().find(|t| t.name == name)
    }

    /// The pipeline stages this workflow names, as `(pipeline, stage)`: a
    /// deal action's stage, or a deal-stage trigger's (`None`: any stage).
    pub fn deal_stages(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.nodes.iter().filter_map(|n| match &n.spec {
            NodeSpec::CreateDeal(a) | NodeSpec::MoveDeal(a) => {
                Some((a.pipeline.as_str(), Some(a.stage.as_str())))
            }
            NodeSpec::TriggerDealStageChanged(t) => Some((t.pipeline.as_str(), t.stage.as_deref())),
            _ => None,
        })
    }
}

/// Per-workflow settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The workflow's IANA time zone; waits and windows read wall-clock
    /// times in it unless they say "contact".
    #[serde(default = "utc", deserialize_with = "iana_zone")]
    #[schemars(with = "String")]
    pub timezone: String,
    #[serde(default)]
    pub reentry: Reentry,
    /// External actions due outside this window wait for its next opening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub send_window: Option<SendWindow>,
    /// Minutes of manual work one run replaces (for "cost saved").
    #[serde(default, skip_serializing_if = "is_zero")]
    #[ts(as = "Option<_>", optional)]
    pub manual_minutes_per_run: f64,
    /// Cost of an hour of that manual work (for "cost saved").
    #[serde(default, skip_serializing_if = "is_zero")]
    #[ts(as = "Option<_>", optional)]
    pub hourly_rate: f64,
    /// What happens when a run fails ("when a run fails"): who is told,
    /// and which workflow starts for the run's contact.
    #[serde(default, skip_serializing_if = "OnRunFailure::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub on_run_failure: OnRunFailure,
    /// The customer-experience number: a downstream event type
    /// (`refund.issued`, `ticket.opened`) whose rate per contact analytics
    /// compares between contacts who went through the workflow and those
    /// who did not (docs/analytics.md, "Customer experience").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub experience_event: Option<String>,
}

/// The workflow's error path: what happens each time one of its live runs
/// fails, the first time or after a retry. A run that a
/// `trigger.workflow_failed` started never starts another workflow when it
/// fails itself (it still notifies), so error handlers cannot loop.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct OnRunFailure {
    /// Tell someone: a desktop notification, a Slack message through a
    /// Slack account, an email to the owner of an SMTP account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub notify: Vec<NotifyChannel>,
    /// Start this workflow for the failed run's contact, at its
    /// `trigger.workflow_failed` trigger, with the payload
    /// `{workflow, node, error, run}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub start_workflow: Option<String>,
}

impl OnRunFailure {
    pub fn is_empty(&self) -> bool {
        self.notify.is_empty() && self.start_workflow.is_none()
    }
}

fn utc() -> String {
    "UTC".into()
}

/// Refuses an unknown zone while reading, so a file with a bad
/// `settings.timezone` is refused with that path rather than imported.
fn iana_zone<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    if crate::time::parse_tz(&name).is_none() {
        return Err(de::Error::custom(format!(
            "expected an IANA time zone such as \"Europe/Berlin\", found {name:?}"
        )));
    }
    Ok(name)
}
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timezone: utc(),
            reentry: Reentry::default(),
            send_window: None,
            manual_minutes_per_run: 0.0,
            hourly_rate: 0.0,
            on_run_failure: OnRunFailure::default(),
            experience_event: None,
        }
    }
}

/// Whether a contact may start the workflow again.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema, TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Reentry {
    /// Once ever.
    Once,
    /// Again, but only after the previous run ended.
    #[default]
    OneAtATime,
    /// Every time a trigger fires, even while another run is going.
    Always,
}

/// Days and hours in which email and webhooks may leave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct SendWindow {
    /// Allowed days; empty means every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub days: Vec<Weekday>,
    pub from: TimeOfDay,
    pub to: TimeOfDay,
    #[serde(default, skip_serializing_if = "is_default_tz")]
    #[ts(as = "Option<_>", optional)]
    pub timezone: TimezoneRef,
}

/// Leave the workflow when an event happens; a conversion when `conversion`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    pub name: String,
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    #[ts(as = "Option<_>", optional)]
    pub conversion: bool,
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// An email the workflow sends. Subject and body are MiniJinja templates
/// with merge fields such as `{{ contact.first_name }}`; the body is Markdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct EmailTemplate {
    pub name: String,
    pub subject: String,
    /// Markdown; rendered to HTML, with a plain-text part beside it.
    pub body: String,
    /// Preview text shown by mail clients after the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub preheader: Option<String>,
    /// Marketing (the default, left out of files) or transactional.
    #[serde(default, skip_serializing_if = "EmailKind::is_marketing")]
    #[ts(as = "Option<_>", optional)]
    pub kind: EmailKind,
}

/// What an email is for, which decides who may receive it.
///
/// Marketing mail (newsletters, sequences, offers) goes only to subscribed
/// contacts and always carries an unsubscribe link and a `List-Unsubscribe`
/// header. Transactional mail (a receipt, access details, an order update:
/// mail the contact is owed because of something they did) also reaches
/// unsubscribed contacts and carries neither. Nothing goes to a bounced
/// address: it cannot receive mail at all.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema, TS,
)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    #[default]
    Marketing,
    Transactional,
}

impl EmailKind {
    pub fn is_marketing(&self) -> bool {
        *self == EmailKind::Marketing
    }
    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Marketing => "marketing",
            EmailKind::Transactional => "transactional",
        }
    }

    /// Why an email of this kind is not sent to a contact with `status`
    /// (a stable code and a sentence for the step log), or `None` when it
    /// is sent.
    pub fn refusal(self, status: ContactStatus) -> Option<(&'static str, String)> {
        match (status, self) {
            (ContactStatus::Subscribed, _) => None,
            (ContactStatus::Unsubscribed, EmailKind::Transactional) => None,
            (ContactStatus::Unsubscribed, EmailKind::Marketing) => Some((
                "contact_unsubscribed",
                "not sent: the contact unsubscribed and this is marketing mail (mark the template transactional if it is a receipt, access details or an order update)".into(),
            )),
            (ContactStatus::Bounced, _) => Some((
                "contact_bounced",
                "not sent: the contact's address bounced, so no email can reach it".into(),
            )),
        }
    }
}

/// What a workflow needs to exist in the database.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct Requires {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub fields: Vec<FieldDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub pipelines: Vec<PipelineDecl>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub courses: Vec<String>,
}

impl Requires {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.pipelines.is_empty() && self.courses.is_empty()
    }
}

/// A deal pipeline and its ordered stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct PipelineDecl {
    pub name: String,
    pub stages: Vec<String>,
}

/// A connection from one node's exit to another node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub from: String,
    /// The exit of `from`: `next`, `yes`/`no`, a branch path, `otherwise`,
    /// `arrived`/`timed_out`, `error`.
    #[serde(default = "next_exit")]
    pub exit: String,
    pub to: String,
}

fn next_exit() -> String {
    exits::NEXT.into()
}

/// Exit names.
pub mod exits {
    pub const NEXT: &str = "next";
    pub const YES: &str = "yes";
    pub const NO: &str = "no";
    pub const OTHERWISE: &str = "otherwise";
    pub const ARRIVED: &str = "arrived";
    pub const TIMED_OUT: &str = "timed_out";
    pub const ERROR: &str = "error";
}

/// Where a node sits on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// One node on the canvas: `{"id", "label"?, "position", "kind", "config"}`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Node {
    /// Unique within the workflow; steps and edges refer to it.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub label: Option<String>,
    pub position: Position,
    #[serde(flatten)]
    pub spec: NodeSpec,
}

/// How to behave when a wait fires late (the laptop was closed or asleep).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct LatePolicy {
    /// Run anyway when absent; otherwise, when the wait fires more than this
    /// late, the run leaves the workflow (recorded as "skipped: late").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub skip_if_late_by: Option<Duration>,
}

impl LatePolicy {
    pub fn is_default(&self) -> bool {
        self.skip_if_late_by.is_none()
    }
}

/// What an action does when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct ErrorPolicy {
    /// Attempts in all, the first included.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// The first retry waits this long; each next one doubles it (plus jitter).
    #[serde(default = "default_backoff")]
    pub backoff: Duration,
    /// After the last attempt: fail the run, or follow the `error` exit.
    #[serde(default)]
    pub then: OnFailure,
}

fn default_attempts() -> u32 {
    5
}
fn default_backoff() -> Duration {
    Duration::from_mins(1)
}

impl Default for ErrorPolicy {
    fn default() -> Self {
        ErrorPolicy {
            max_attempts: default_attempts(),
            backoff: default_backoff(),
            then: OnFailure::Fail,
        }
    }
}

impl ErrorPolicy {
    pub fn is_default(&self) -> bool {
        *self == ErrorPolicy::default()
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema, TS,
)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    #[default]
    Fail,
    ErrorExit,
}

// ---------------------------------------------------------------------------
// Node configurations
// ---------------------------------------------------------------------------

/// Triggers whose only setting is a list of payload filters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct EventTrigger {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct FormTrigger {
    /// Only this form (its id or name at the form tool); any form when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub form: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct TagTrigger {
    pub tag: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct EmailEngagementTrigger {
    /// Only this email template; any email when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct LinkTrigger {
    /// Only links whose URL contains this text; any link when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub url_contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct CourseProgressTrigger {
    pub course: String,
    /// Fires when progress reaches at least this percentage.
    pub at_least_percent: u8,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct CourseTrigger {
    pub course: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct DealStageTrigger {
    pub pipeline: String,
    /// Only moves into this stage; any stage when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
}

/// N days before/after a contact's date field at a time of day (yearly if
/// asked), or a fixed date. Exactly one of `field` and `date` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct DateTrigger {
    /// A contact date field, such as `"birthday"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
    /// Days after the field's date (negative: before).
    #[serde(default, skip_serializing_if = "is_zero_i32")]
    #[ts(as = "Option<_>", optional)]
    pub offset_days: i32,
    /// Every year on the anniversary of the field's date.
    #[serde(default, skip_serializing_if = "is_false")]
    #[ts(as = "Option<_>", optional)]
    pub yearly: bool,
    /// A fixed date `YYYY-MM-DD` instead of a field.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "calendar_date"
    )]
    #[schemars(with = "Option<chrono::NaiveDate>")]
    #[ts(optional)]
    pub date: Option<chrono::NaiveDate>,
    pub time: TimeOfDay,
    #[serde(default, skip_serializing_if = "is_default_tz")]
    #[ts(as = "Option<_>", optional)]
    pub timezone: TimezoneRef,
    /// Only contacts matching this condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub audience: Option<Condition>,
}

/// chrono's own message for "2026-02-30" is "input is out of range".
fn calendar_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<chrono::NaiveDate>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            de::Error::custom(format!(
                "expected a calendar date such as \"2026-09-01\", found {text:?}"
            ))
        })
}

fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    Day,
    Week,
}

/// Every day or week at a time, over the contacts a condition selects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct ScheduleTrigger {
    pub every: Every,
    /// For `week`: which days (at least one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub weekdays: Vec<Weekday>,
    pub time: TimeOfDay,
    #[serde(default, skip_serializing_if = "is_default_tz")]
    #[ts(as = "Option<_>", optional)]
    pub timezone: TimezoneRef,
    /// Only contacts matching this condition; every subscribed contact when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub audience: Option<Condition>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct ManualTrigger {}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct CustomEventTrigger {
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct ConditionNode {
    pub condition: Condition,
}

/// Ordered paths; the first whose condition holds wins, else `otherwise`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct BranchNode {
    pub paths: Vec<BranchPath>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct BranchPath {
    /// The exit name, shown on the canvas.
    pub name: String,
    pub condition: Condition,
}

/// An A/B split: each run goes on through one named variant, chosen by
/// weight from a hash of the run and the node (as `random_split` is), so the
/// same run always takes the same variant, after a restart too. Each variant
/// is an exit. Once a `winner` is declared (a new version of the workflow),
/// every run of that version takes it; the weights stay for the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct SplitNode {
    /// Two or more; the first is the control the others are compared with.
    pub variants: Vec<SplitVariant>,
    /// The variant every run takes, once declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub winner: Option<String>,
}

/// One arm of a split: its exit name and its whole-number weight (a variant
/// with weight 3 gets three times the runs of one with weight 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct SplitVariant {
    /// The exit name, shown on the canvas and in the results.
    pub name: String,
    pub weight: u32,
}

/// MurmurHash3's 64-bit finalizer. FNV-1a's low bits depend only on the
/// low bits of the input bytes, so `hash % 2` alone would alternate with the
/// run id (run 1 A, run 2 B, …) and follow any pattern in how runs start;
/// mixing every bit into every other before the modulo makes the choice
/// independent of such patterns while staying the same for the same run.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

impl SplitNode {
    /// The variant a run takes: the winner once declared, else the one whose
    /// share of the total weight holds the run's point, a hash of `seed`
    /// (the run) and `key` (the node). `None` when no variant has weight.
    pub fn choose(&self, seed: &str, key: &str) -> Option<&str> {
        if let Some(w) = &self.winner {
            return Some(w);
        }
        let total: u64 = self.variants.iter().map(|v| u64::from(v.weight)).sum();
        if total == 0 {
            return None;
        }
        let mut point = mix(crate::condition::split_hash(seed, key)) % total;
        for v in &self.variants {
            let w = u64::from(v.weight);
            if point < w {
                return Some(&v.name);
            }
            point -= w;
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct WaitDuration {
    pub duration: Duration,
    #[serde(default, skip_serializing_if = "LatePolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub late: LatePolicy,
}

/// Wait until the next given weekday and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct WaitUntilTime {
    /// Any day when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub weekdays: Vec<Weekday>,
    pub time: TimeOfDay,
    #[serde(default, skip_serializing_if = "is_default_tz")]
    #[ts(as = "Option<_>", optional)]
    pub timezone: TimezoneRef,
    #[serde(default, skip_serializing_if = "LatePolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub late: LatePolicy,
}

/// Wait until N days before/after a contact date field, at a time of day.
/// When the field is empty or the moment has passed, the run goes on at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct WaitUntilDate {
    pub field: String,
    #[serde(default, skip_serializing_if = "is_zero_i32")]
    #[ts(as = "Option<_>", optional)]
    pub offset_days: i32,
    pub time: TimeOfDay,
    #[serde(default, skip_serializing_if = "is_default_tz")]
    #[ts(as = "Option<_>", optional)]
    pub timezone: TimezoneRef,
    #[serde(default, skip_serializing_if = "LatePolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub late: LatePolicy,
}

/// Wait for an event; exits `arrived` or `timed_out`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct WaitForEvent {
    pub event_type: String,
    /// Payload keys whose values must equal the trigger event's, such as
    /// `["order_id"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub correlate: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub filters: Vec<Filter>,
    pub timeout: Duration,
    #[serde(default, skip_serializing_if = "LatePolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub late: LatePolicy,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct EndNode {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct SendEmail {
    /// An email template of this workflow.
    pub template: String,
    /// An SMTP account.
    pub account: String,
    #[serde(default, skip_serializing_if = "ErrorPolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub on_error: ErrorPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct TagAction {
    pub tag: String,
    #[serde(default, skip_serializing_if = "ErrorPolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub on_error: ErrorPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct SetField {
    pub field: String,
    /// A template such as `"{{ trigger.amount }}"`, or a literal; checked
    /// against the field's type.
    pub value: String,
    #[serde(default, skip_serializing_if = "ErrorPolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub on_error: ErrorPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct DealAction {
    pub pipeline: String,
    pub stage: String,
    /// For a new deal: its title (a template); defaults to the contact's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub title: Option<String>,
    /// For a new deal: its value (a template, such as `"{{ trigger.amount }}"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "ErrorPolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub on_error: ErrorPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct CourseAction {
    pub course: String,
    #[serde(default, skip_serializing_if = "ErrorPolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub on_error: ErrorPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct WorkflowAction {
    pub workflow: String,
    #[serde(default, skip_serializing_if = "ErrorPolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub on_error: ErrorPolicy,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema, TS,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    #[default]
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// Post a webhook. The signing secret, if any, lives in the keyring under the
/// named webhook account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    #[serde(default)]
    pub method: HttpMethod,
    /// A template, such as `"https://example.com/hooks/{{ contact.email }}"`.
    pub url: String,
    /// Header values are templates, or `{"secret": "Account"}`: the
    /// secret a webhook account holds, read from the vault when sending.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub headers: BTreeMap<String, HeaderValue>,
    /// A JSON body template; merge fields are JSON-escaped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub body: Option<String>,
    /// A webhook account whose signing secret signs the body (HMAC-SHA256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "ErrorPolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub on_error: ErrorPolicy,
}

/// A webhook header's value: text (a template), or a reference to the
/// secret a webhook account holds. The reference is all a workflow, a
/// version, an export or the outbox ever holds; the value is read from the
/// vault when the request is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(untagged)]
pub enum HeaderValue {
    /// A template, such as `"{{ contact.email }}"`.
    Text(String),
    /// `{"secret": "CRM", "prefix": "Bearer "}`.
    Secret(HeaderSecret),
}

impl HeaderValue {
    /// The text of a text header.
    pub fn text(&self) -> Option<&str> {
        match self {
            HeaderValue::Text(t) => Some(t),
            HeaderValue::Secret(_) => None,
        }
    }
}

impl From<&str> for HeaderValue {
    fn from(s: &str) -> Self {
        HeaderValue::Text(s.to_string())
    }
}

/// A header whose value is the secret held by a webhook account, after an
/// optional prefix (`"Bearer "`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct HeaderSecret {
    /// The webhook account whose vault secret is the value.
    pub secret: String,
    /// Text sent before the secret, such as `"Bearer "`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub prefix: String,
}

/// Where a team notification goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum NotifyChannel {
    /// A Slack incoming webhook, stored in the keyring under this account.
    Slack { account: String },
    /// A desktop notification shown by the app (`cairn run` logs it).
    Desktop,
    /// An email to the owner address of this SMTP account.
    EmailOwner { account: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    pub channel: NotifyChannel,
    /// A template, such as `"New sale: {{ contact.email }} bought {{ trigger.product }}"`.
    pub message: String,
    #[serde(default, skip_serializing_if = "ErrorPolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub on_error: ErrorPolicy,
}

/// Marks the contact unsubscribed (no more email from any workflow).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct Unsubscribe {
    #[serde(default, skip_serializing_if = "ErrorPolicy::is_default")]
    #[ts(as = "Option<_>", optional)]
    pub on_error: ErrorPolicy,
}

/// Which family a node kind belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NodeFamily {
    Trigger,
    Flow,
    Wait,
    Action,
}

macro_rules! node_kinds {
    ($( $variant:ident($ty:ty) = $name:literal, $family:ident, $title:literal; )*) => {
        /// A node's kind and its settings: `"kind": "...", "config": {...}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
        #[serde(tag = "kind", content = "config")]
        pub enum NodeSpec {
            $( #[serde(rename = $name)] #[doc = $title] $variant($ty), )*
        }

        impl NodeSpec {
            /// Every kind name, in palette order.
            pub const KINDS: &'static [&'static str] = &[$($name),*];

            pub fn kind(&self) -> &'static str {
                match self { $( NodeSpec::$variant(_) => $name, )* }
            }

            pub fn family(&self) -> NodeFamily {
                match self { $( NodeSpec::$variant(_) => NodeFamily::$family, )* }
            }

            /// A human title for the kind, as in the palette.
            pub fn title_of(kind: &str) -> Option<&'static str> {
                match kind { $( $name => Some($title), )* _ => None }
            }

            fn deserialize_config<'de, D: Deserializer<'de>>(kind: &str, d: D) -> Result<Self, D::Error> {
                match kind {
                    $( $name => <$ty>::deserialize(d).map(NodeSpec::$variant), )*
                    other => Err(de::Error::custom(unknown_kind(other))),
                }
            }
        }
    };
}

node_kinds! {
    TriggerContactCreated(EventTrigger) = "trigger.contact_created", Trigger, "Contact created (signup)";
    TriggerFormSubmitted(FormTrigger) = "trigger.form_submitted", Trigger, "Form submitted";
    TriggerPurchaseCompleted(EventTrigger) = "trigger.purchase_completed", Trigger, "Purchase completed";
    TriggerRefundIssued(EventTrigger) = "trigger.refund_issued", Trigger, "Refund issued";
    TriggerTagAdded(TagTrigger) = "trigger.tag_added", Trigger, "Tag added";
    TriggerTagRemoved(TagTrigger) = "trigger.tag_removed", Trigger, "Tag removed";
    TriggerLinkClicked(LinkTrigger) = "trigger.link_clicked", Trigger, "Link clicked";
    TriggerEmailOpened(EmailEngagementTrigger) = "trigger.email_opened", Trigger, "Email opened";
    TriggerEmailReplied(EmailEngagementTrigger) = "trigger.email_replied", Trigger, "Email replied";
    TriggerCourseProgress(CourseProgressTrigger) = "trigger.course_progress", Trigger, "Course progress";
    TriggerCourseCompleted(CourseTrigger) = "trigger.course_completed", Trigger, "Course completed";
    TriggerDealStageChanged(DealStageTrigger) = "trigger.deal_stage_changed", Trigger, "Deal stage changed";
    TriggerDate(DateTrigger) = "trigger.date", Trigger, "Date-based";
    TriggerSchedule(ScheduleTrigger) = "trigger.schedule", Trigger, "Schedule";
    TriggerManual(ManualTrigger) = "trigger.manual", Trigger, "Manual / test contact";
    TriggerEvent(CustomEventTrigger) = "trigger.event", Trigger, "Custom event";
    TriggerWorkflowFailed(EventTrigger) = "trigger.workflow_failed", Trigger, "A run of another workflow failed";
    Condition(ConditionNode) = "condition", Flow, "Condition (yes / no)";
    Branch(BranchNode) = "branch", Flow, "Branch";
    Split(SplitNode) = "split", Flow, "A/B split";
    WaitDuration(WaitDuration) = "wait.duration", Wait, "Wait for a duration";
    WaitUntilTime(WaitUntilTime) = "wait.until_time", Wait, "Wait until a weekday and time";
    WaitUntilDate(WaitUntilDate) = "wait.until_date", Wait, "Wait until a contact date";
    WaitForEvent(WaitForEvent) = "wait.for_event", Wait, "Wait for an event";
    End(EndNode) = "end", Flow, "End";
    SendEmail(SendEmail) = "action.send_email", Action, "Send email";
    AddTag(TagAction) = "action.add_tag", Action, "Add tag";
    RemoveTag(TagAction) = "action.remove_tag", Action, "Remove tag";
    SetField(SetField) = "action.set_field", Action, "Set field";
    CreateDeal(DealAction) = "action.create_deal", Action, "Create deal";
    MoveDeal(DealAction) = "action.move_deal", Action, "Move deal to stage";
    EnrollCourse(CourseAction) = "action.enroll_course", Action, "Enroll in course";
    UnenrollCourse(CourseAction) = "action.unenroll_course", Action, "Unenroll from course";
    StartWorkflow(WorkflowAction) = "action.start_workflow", Action, "Start another workflow";
    RemoveFromWorkflow(WorkflowAction) = "action.remove_from_workflow", Action, "Remove from a workflow";
    Webhook(Webhook) = "action.webhook", Action, "Post webhook";
    Notify(Notify) = "action.notify", Action, "Notify the team";
    Unsubscribe(Unsubscribe) = "action.unsubscribe", Action, "Unsubscribe";
}

fn unknown_kind(kind: &str) -> String {
    format!(
        "unknown node kind {kind:?}; expected one of: {}",
        NodeSpec::KINDS.join(", ")
    )
}

impl NodeSpec {
    pub fn is_trigger(&self) -> bool {
        self.family() == NodeFamily::Trigger
    }

    /// External actions leave the machine (through the outbox); everything
    /// else happens inside one SQLite transaction.
    pub fn is_external(&self) -> bool {
        matches!(
            self,
            NodeSpec::SendEmail(_) | NodeSpec::Webhook(_) | NodeSpec::Notify(_)
        )
    }

    /// The action's error policy, if it is an action.
    pub fn error_policy(&self) -> Option<&ErrorPolicy> {
        Some(match self {
            NodeSpec::SendEmail(c) => &c.on_error,
            NodeSpec::AddTag(c) | NodeSpec::RemoveTag(c) => &c.on_error,
            NodeSpec::SetField(c) => &c.on_error,
            NodeSpec::CreateDeal(c) | NodeSpec::MoveDeal(c) => &c.on_error,
            NodeSpec::EnrollCourse(c) | NodeSpec::UnenrollCourse(c) => &c.on_error,
            NodeSpec::StartWorkflow(c) | NodeSpec::RemoveFromWorkflow(c) => &c.on_error,
            NodeSpec::Webhook(c) => &c.on_error,
            NodeSpec::Notify(c) => &c.on_error,
            NodeSpec::Unsubscribe(c) => &c.on_error,
            _ => return None,
        })
    }

    /// The late policy, if it is a wait.
    pub fn late_policy(&self) -> Option<&LatePolicy> {
        match self {
            NodeSpec::WaitDuration(w) => Some(&w.late),
            NodeSpec::WaitUntilTime(w) => Some(&w.late),
            NodeSpec::WaitUntilDate(w) => Some(&w.late),
            NodeSpec::WaitForEvent(w) => Some(&w.late),
            _ => None,
        }
    }

    /// The exits this node offers, in display order.
    pub fn exits(&self) -> Vec<String> {
        match self {
            NodeSpec::End(_) => vec![],
            NodeSpec::Condition(_) => vec![exits::YES.into(), exits::NO.into()],
            NodeSpec::Branch(b) => b
                .paths
                .iter()
                .map(|p| p.name.clone())
                .chain([exits::OTHERWISE.to_string()])
                .collect(),
            NodeSpec::Split(s) => s.variants.iter().map(|v| v.name.clone()).collect(),
            NodeSpec::WaitForEvent(_) => vec![exits::ARRIVED.into(), exits::TIMED_OUT.into()],
            other => {
                let mut v = vec![exits::NEXT.to_string()];
                if other
                    .error_policy()
                    .is_some_and(|p| p.then == OnFailure::ErrorExit)
                {
                    v.push(exits::ERROR.into());
                }
                v
            }
        }
    }
}

// `Node` deserializes by hand so that import errors carry the exact JSON path
// (`nodes[3].config.delay`): serde's derived code for a flattened, adjacently
// tagged enum buffers the input and loses the path. Here the kind is read
// first and the config is deserialized straight into its type.
impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(NodeVisitor)
    }
}

struct NodeVisitor;

/// Refuses the value of an unknown node key.
struct UnknownKey<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for UnknownKey<'_> {
    type Value = Node;
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Node, D::Error> {
        Err(de::Error::unknown_field(
            self.0,
            &["id", "label", "position", "kind", "config"],
        ))
    }
}

struct ConfigSeed<'a>(&'a str);

/// Reads a kind name and refuses unknown ones, so the error's path ends in `.kind`.
struct KindSeed;

impl<'de> DeserializeSeed<'de> for KindSeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        let k = String::deserialize(d)?;
        if NodeSpec::KINDS.contains(&k.as_str()) {
            Ok(k)
        } else {
            Err(de::Error::custom(unknown_kind(&k)))
        }
    }
}

impl<'de> DeserializeSeed<'de> for ConfigSeed<'_> {
    type Value = NodeSpec;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<NodeSpec, D::Error> {
        NodeSpec::deserialize_config(self.0, d)
    }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a node object with id, position, kind and config")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut id: Option<String> = None;
        let mut label: Option<Option<String>> = None;
        let mut position: Option<Position> = None;
        let mut kind: Option<String> = None;
        let mut spec: Option<NodeSpec> = None;
        let mut early_config: Option<serde_json::Value> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => id = Some(map.next_value()?),
                "label" => label = Some(map.next_value()?),
                "position" => position = Some(map.next_value()?),
                "kind" => kind = Some(map.next_value_seed(KindSeed)?),
                "config" => match &kind {
                    Some(k) => spec = Some(map.next_value_seed(ConfigSeed(k))?),
                    None => early_config = Some(map.next_value()?),
                },
                // Refused while reading its value, so the error's path ends
                // in the key (`nodes[0].colour`), as for unknown config keys.
                other => return map.next_value_seed(UnknownKey(other)),
            }
        }
        let id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
        let spec = match (spec, early_config) {
            (Some(s), _) => s,
            (None, Some(cfg)) => {
                NodeSpec::deserialize_config(&kind, cfg).map_err(de::Error::custom)?
            }
            (None, None) => {
                NodeSpec::deserialize_config(&kind, serde_json::Value::Object(Default::default()))
                    .map_err(|e| de::Error::custom(format!("config: {e}")))?
            }
        };
        Ok(Node {
            id,
            label: label.flatten(),
            position: position.unwrap_or_default(),
            spec,
        })
    }
}

// The schema of `Node` is derived from this mirror because `Node`
// deserializes by hand. `unevaluatedProperties` refuses unknown keys the way
// the reader does (`additionalProperties` cannot see the `kind`/`config`
// pair that the flattened `NodeSpec` adds).
/// One node on the canvas: a unique id, an optional label, a position, and
/// the node's `kind` with the settings (`config`) of that kind.
#[derive(JsonSchema)]
#[schemars(extend("unevaluatedProperties" = false))]
#[allow(dead_code)]
struct NodeSchema {
    /// Unique within the workflow.
    id: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    position: Position,
    #[serde(flatten)]
    spec: NodeSpec,
}

impl JsonSchema for Node {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Node".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        NodeSchema::json_schema(g)
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    fn ab(wa: u32, wb: u32) -> SplitNode {
        SplitNode {
            variants: vec![
                SplitVariant {
                    name: "A".into(),
                    weight: wa,
                },
                SplitVariant {
                    name: "B".into(),
                    weight: wb,
                },
            ],
            winner: None,
        }
    }

    #[test]
    fn the_choice_is_stable_and_does_not_follow_the_run_ids() {
        let s = ab(1, 1);
        let take = |i: usize| s.choose(&format!("run-{i}"), "ab").unwrap();
        assert_eq!(take(7), take(7));
        // Consecutive runs agree about half the time: no alternation.
        let same = (1..2_001).filter(|&i| take(i) == take(i + 1)).count();
        assert!((850..=1_150).contains(&same), "{same} of 2000 pairs agree");
        // A variant with no weight is never chosen; none at all, no choice.
        assert!((1..500).all(|i| ab(0, 5).choose(&format!("run-{i}"), "ab") == Some("B")));
        assert_eq!(ab(0, 0).choose("run-1", "ab"), None);
        let mut won = ab(1, 1);
        won.winner = Some("A".into());
        assert!((1..100).all(|i| won.choose(&format!("run-{i}"), "ab") == Some("A")));
    }
}
