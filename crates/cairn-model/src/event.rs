//! Events: things that happened to a contact. Append-only; deduplicated by
//! `(source, external_id)`; the only way anything starts or resumes a run.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Timestamp;

/// Event types Cairn itself emits or maps connector data onto. Custom types
/// (anything a JSON feed or the user emits) are plain strings too.
pub mod types {
    pub const CONTACT_CREATED: &str = "contact.created";
    pub const TAG_ADDED: &str = "tag.added";
    pub const TAG_REMOVED: &str = "tag.removed";
    pub const FIELD_CHANGED: &str = "field.changed";
    pub const STATUS_CHANGED: &str = "status.changed";
    pub const FORM_SUBMITTED: &str = "form.submitted";
    pub const PURCHASE_COMPLETED: &str = "purchase.completed";
    pub const REFUND_ISSUED: &str = "refund.issued";
    pub const LINK_CLICKED: &str = "link.clicked";
    pub const EMAIL_OPENED: &str = "email.opened";
    pub const EMAIL_DELIVERED: &str = "email.delivered";
    pub const EMAIL_BOUNCED: &str = "email.bounced";
    pub const EMAIL_COMPLAINED: &str = "email.complained";
    /// A contact answered an email Cairn sent (read from the sending
    /// mailbox); payload `{"email", "workflow", "subject", "message_id"}`.
    pub const EMAIL_REPLIED: &str = "email.replied";
    /// A contact asked to stop receiving mail (a provider's unsubscribe, a
    /// mailto unsubscribe read from the sending mailbox).
    pub const CONTACT_UNSUBSCRIBED: &str = "contact.unsubscribed";
    pub const COURSE_PROGRESS: &str = "course.progress";
    pub const COURSE_COMPLETED: &str = "course.completed";
    pub const COURSE_ENROLLED: &str = "course.enrolled";
    pub const COURSE_UNENROLLED: &str = "course.unenrolled";
    pub const DEAL_CREATED: &str = "deal.created";
    pub const DEAL_STAGE_CHANGED: &str = "deal.stage_changed";
    pub const ORDER_CREATED: &str = "order.created";
    pub const ORDER_FULFILLED: &str = "order.fulfilled";
    pub const ORDER_DELIVERED: &str = "order.delivered";
    /// A contact added to a workflow by hand (or a test run); payload
    /// `{"workflow": NAME}`.
    pub const WORKFLOW_ENROLLED: &str = "workflow.enrolled";
    /// Fired by the scheduler for date-based and schedule triggers; payload
    /// `{"workflow": NAME, "node": ID, "due": RFC3339}`.
    pub const SCHEDULE_FIRED: &str = "schedule.fired";
}

/// Where events come from when no connector is involved.
pub mod sources {
    /// Changes made through Cairn itself (CLI, app, engine actions).
    pub const CAIRN: &str = "cairn";
    /// `cairn event emit` without `--source`.
    pub const MANUAL: &str = "manual";
    pub const SCHEDULER: &str = "scheduler";
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NewEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    /// The contact it happened to, by email. `None` for account-level events.
    pub contact_email: Option<String>,
    #[ts(type = "unknown")]
    pub payload: serde_json::Value,
    pub occurred_at: Timestamp,
    pub source: String,
    /// The id the source gave it; `(source, external_id)` is unique.
    pub external_id: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Event {
    #[ts(type = "number")]
    pub id: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    #[ts(type = "number | null")]
    pub contact_id: Option<i64>,
    #[ts(type = "unknown")]
    pub payload: serde_json::Value,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub source: String,
    pub external_id: Option<String>,
}

/// What appending an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Appended {
    Stored {
        #[ts(type = "number")]
        id: i64,
    },
    /// `(source, external_id)` was already stored; nothing changed.
    Duplicate {
        #[ts(type = "number")]
        existing_id: i64,
    },
}
