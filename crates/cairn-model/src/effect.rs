//! Effects: what a run asks to send out of the machine, fully rendered.
//!
//! The engine renders an effect when the step runs and stores it in the
//! outbox; a sender later delivers exactly these bytes, so a retry after a
//! crash sends the same message with the same idempotency key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::workflow::{HeaderSecret, HttpMethod};

/// How a run treats external effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// Everything is sent for real.
    #[default]
    Live,
    /// Nothing leaves the machine; every effect is recorded with its content.
    DryRun,
    /// Email goes only to the test contact's address; nothing else leaves.
    Test,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Live => "live",
            RunMode::DryRun => "dry_run",
            RunMode::Test => "test",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "live" => Some(RunMode::Live),
            "dry_run" => Some(RunMode::DryRun),
            "test" => Some(RunMode::Test),
            _ => None,
        }
    }
}

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EmailMessage {
    /// The SMTP account it leaves through (From and Reply-To come from it).
    pub account: String,
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Derived from run and step, so a re-send after a crash is recognisable.
    pub message_id: String,
    /// The `List-Unsubscribe` target (a `mailto:` URL); `None` for
    /// transactional mail, which carries no unsubscribe link or header.
    pub list_unsubscribe: Option<String>,
    /// The workflow's template name, for engagement tracking.
    pub template: String,
    #[ts(type = "number | null")]
    pub contact_id: Option<i64>,
}

/// An HTTP request ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WebhookRequest {
    pub method: HttpMethod,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// Headers whose value is a webhook account's secret: only the
    /// reference is stored; the sender reads the value from the vault.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub secret_headers: BTreeMap<String, HeaderSecret>,
    pub body: Option<String>,
    /// A webhook account whose signing secret signs the body.
    pub signing_account: Option<String>,
    #[ts(type = "number")]
    pub timeout_secs: u64,
}

/// A Slack incoming-webhook message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SlackMessage {
    pub account: String,
    pub text: String,
}

/// A desktop notification, shown by the app (logged by `cairn run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DesktopNotice {
    pub title: String,
    pub body: String,
}

/// Course access granted or revoked on a course platform (Thinkific,
/// Teachable) for a contact. The sender finds or creates the platform's
/// user by email; an existing enrollment is success, so a resend after a
/// crash enrolls no one twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CourseAccess {
    /// The course platform account.
    pub account: String,
    /// The course's name in Cairn.
    pub course: String,
    /// The course's id on the platform.
    pub platform_course_id: String,
    /// `true` to enroll, `false` to unenroll.
    pub enroll: bool,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[ts(type = "number | null")]
    pub contact_id: Option<i64>,
}

/// One effect in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    Email(EmailMessage),
    Webhook(WebhookRequest),
    Slack(SlackMessage),
    Desktop(DesktopNotice),
    Course(CourseAccess),
}

impl Effect {
    pub fn kind(&self) -> &'static str {
        match self {
            Effect::Email(_) => "email",
            Effect::Webhook(_) => "webhook",
            Effect::Slack(_) => "slack",
            Effect::Desktop(_) => "desktop",
            Effect::Course(_) => "course",
        }
    }

    /// The account an effect leaves through, if any.
    pub fn account(&self) -> Option<&str> {
        match self {
            Effect::Email(m) => Some(&m.account),
            Effect::Webhook(w) => w.signing_account.as_deref(),
            Effect::Slack(s) => Some(&s.account),
            Effect::Desktop(_) => None,
            Effect::Course(c) => Some(&c.account),
        }
    }
}
