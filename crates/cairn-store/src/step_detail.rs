//! What a step records about its outcome (`steps.detail`): one variant per
//! kind of outcome, typed for the engine that writes it and, through ts-rs,
//! for the UI that reads it.
//!
//! The type is `#[serde(untagged)]` on purpose. Details were written as free
//! JSON objects before the type existed, and a step's detail is *merged*
//! across writes: a queued send (`outbox_id`, `effect`) later gains what its
//! attempts did (`sent`, `attempts`, `response`, or `queued_until`, or
//! `last_error` …), a wait gains `late_by_secs`, a run leaving early adds
//! its `reason`. A tag would add a key that old rows lack and that a merge
//! would overwrite, so each variant serialises to exactly the object the
//! engine wrote before (same keys, same order: fields are declared in the
//! order they were written), and the engine merges them into the stored
//! object key by key as before (`cairn_engine`'s `merged_detail`).
//!
//! Reading a detail back picks the first variant whose fields are all
//! present (variants with more fields come first); a merged detail reads as
//! one of the outcomes it holds. The UI reads it as the union of the
//! variants and tests for the keys it shows (`"error" in detail`).

use cairn_model::effect::Effect;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One outcome of a step, as the step log stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum StepDetail {
    /// A live send that went out (`sent: true`), merged into the step's
    /// [`StepDetail::Queued`]: after how many attempts, the receiver's
    /// answer (a webhook's response, an SMTP reply), and whether an earlier
    /// attempt may have reached the receiver too.
    Sent {
        sent: bool,
        attempts: u32,
        effect: EffectSummary,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        response: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        possibly_duplicated: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        note: Option<String>,
    },
    /// A dry or test run recorded the effect in full instead of sending it
    /// (`sent: false`); `note` says why nothing left the machine.
    NotSent {
        sent: bool,
        note: String,
        effect: Effect,
    },
    /// A send failed for good: the error, after how many attempts.
    SendFailed {
        error: String,
        attempts: u32,
        effect: EffectSummary,
    },
    /// A send failed and will be tried again at `next_attempt_at`.
    Retrying {
        last_error: String,
        attempts: u32,
        next_attempt_at: String,
    },
    /// A wait-for-event waits for `event_type` matching `correlation` until
    /// `until` (its timeout).
    WaitingForEvent {
        event_type: String,
        #[ts(type = "Record<string, unknown>")]
        correlation: serde_json::Value,
        until: String,
    },
    /// An external action queued in the outbox, with a summary of it.
    Queued {
        outbox_id: i64,
        effect: EffectSummary,
    },
    /// A queued send waits, its attempts unspent, for an account that needs
    /// attention.
    HeldByAccount {
        held_by_account: String,
        queued_because: String,
    },
    /// A queued send waits until `queued_until` (the network is away, the
    /// account's sending limit is reached).
    QueuedUntil {
        queued_until: String,
        queued_because: String,
    },
    /// A send is tried again after an interruption; the receiver may see it
    /// twice (`possibly_duplicated: true`).
    PossiblyDuplicated {
        possibly_duplicated: bool,
        note: String,
    },
    /// A failed step taken up again (`cairn runs retry`, the run page's
    /// Retry): the how-many-th retry of its run, and the error it had.
    Retried {
        retried: u32,
        previous_error: String,
    },
    /// An email not sent because of the contact's status; `code` names the
    /// rule (`contact_unsubscribed`, `contact_bounced`).
    Refused { reason: String, code: String },
    /// The step is due at `until` and `reason` says why it is held or went
    /// on (outside the send window; the date has already passed).
    Until { until: String, reason: String },
    /// A wait that fires at `until`.
    WaitingUntil { until: String },
    /// Start-workflow: whether the run started (its id) or why not.
    StartedWorkflow {
        workflow: String,
        started: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        run_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        reason: Option<String>,
    },
    /// Remove-from-workflow: how many of the contact's runs were taken out.
    RemovedFromWorkflow { workflow: String, removed: u32 },
    /// Set-field: the value written, and whether it changed anything.
    Field {
        field: String,
        value: String,
        changed: bool,
    },
    /// Add or remove a tag, and whether it changed anything.
    Tag { tag: String, changed: bool },
    /// Enrol in or unenrol from a course, and whether it changed anything;
    /// `note` says where it was recorded ("recorded in Cairn only" for a
    /// course on no platform).
    Course {
        course: String,
        changed: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        note: Option<String>,
    },
    /// A contact status set by the workflow (`unsubscribed`).
    Status { status: String, changed: bool },
    /// Create or move a deal: the deal and where it is now.
    Deal {
        deal_id: i64,
        pipeline: String,
        stage: String,
    },
    /// A wait that fired late (by `late_by_secs`); `late` says it in words
    /// when it counts as late.
    Late {
        late_by_secs: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        late: Option<String>,
    },
    /// The trigger step of a run an event started.
    Triggered { event_id: i64 },
    /// A wait-for-event whose event arrived.
    Arrived { arrived_event_id: i64 },
    /// A condition and what it evaluated to.
    Condition { result: bool },
    /// A branch and the path it took.
    Branch { path: String },
    /// An A/B split and the variant the run took; `winner` when it took it
    /// because the workflow's version declares it the winner.
    Split {
        variant: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        winner: Option<bool>,
    },
    /// An action that failed.
    Error { error: String },
    /// A step skipped, or a run that left, and why.
    Skipped { reason: String },
}

/// What the step log keeps of a live effect (the outbox keeps all of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EffectSummary {
    Email {
        to: String,
        subject: String,
        template: String,
        message_id: String,
    },
    Webhook {
        method: String,
        url: String,
    },
    Slack {
        account: String,
        text: String,
    },
    Desktop {
        title: String,
        body: String,
    },
    Course {
        account: String,
        course: String,
        enroll: bool,
        email: String,
    },
}

impl EffectSummary {
    pub fn of(e: &Effect) -> Self {
        match e {
            Effect::Email(m) => EffectSummary::Email {
                to: m.to.clone(),
                subject: m.subject.clone(),
                template: m.template.clone(),
                message_id: m.message_id.clone(),
            },
            Effect::Webhook(w) => EffectSummary::Webhook {
                method: w.method.as_str().to_string(),
                url: w.url.clone(),
            },
            Effect::Slack(s) => EffectSummary::Slack {
                account: s.account.clone(),
                text: s.text.clone(),
            },
            Effect::Desktop(d) => EffectSummary::Desktop {
                title: d.title.clone(),
                body: d.body.clone(),
            },
            Effect::Course(c) => EffectSummary::Course {
                account: c.account.clone(),
                course: c.course.clone(),
                enroll: c.enroll,
                email: c.email.clone(),
            },
        }
    }
}

/// The JSON object stored in `steps.detail` (merged into what is there).
impl From<StepDetail> for serde_json::Value {
    fn from(d: StepDetail) -> Self {
        // Cannot fail: every variant is an object with string keys.
        serde_json::to_value(d).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    //! Stored rows stay readable and new rows are written byte for byte as
    //! before: each sample is the `json!` the engine wrote before this type
    //! existed (copied from its code paths), stored as `Value::to_string`.
    use super::*;
    use cairn_model::effect::{EmailMessage, SlackMessage};
    use serde_json::{Value, json};

    const UNTIL: &str = "2026-03-30T07:00:00+00:00";

    fn email() -> Effect {
        Effect::Email(EmailMessage {
            account: "Gmail".into(),
            to: "ada@example.com".into(),
            to_name: Some("Ada".into()),
            subject: "Your receipt".into(),
            html: "<p>Thanks</p>".into(),
            text: "Thanks".into(),
            message_id: "<cairn-1-0-2-3@example.com>".into(),
            list_unsubscribe: None,
            template: "receipt".into(),
            contact_id: Some(4),
        })
    }

    /// The summary as the engine's `effect_summary` wrote it.
    fn old_summary(e: &Effect) -> Value {
        match e {
            Effect::Email(m) => {
                json!({"kind": "email", "to": m.to, "subject": m.subject, "template": m.template, "message_id": m.message_id})
            }
            Effect::Webhook(w) => {
                json!({"kind": "webhook", "method": w.method.as_str(), "url": w.url})
            }
            Effect::Slack(s) => json!({"kind": "slack", "account": s.account, "text": s.text}),
            Effect::Desktop(d) => json!({"kind": "desktop", "title": d.title, "body": d.body}),
            Effect::Course(_) => unreachable!("course effects are newer than the untyped details"),
        }
    }

    /// (what the engine wrote before, the typed detail that replaces it)
    fn samples() -> Vec<(Value, StepDetail)> {
        let e = email();
        let slack = Effect::Slack(SlackMessage {
            account: "Team".into(),
            text: "Hi <!channel>".into(),
        });
        let corr = json!({"order_id": "A-1", "sku": null});
        let sent_note = "possibly duplicated: Cairn stopped between sending and recording an earlier attempt; it was sent again with the same Message-ID / Idempotency-Key";
        vec![
            (
                json!({"event_id": 7}),
                StepDetail::Triggered { event_id: 7 },
            ),
            (
                json!({"result": true}),
                StepDetail::Condition { result: true },
            ),
            (
                json!({"path": "VIP"}),
                StepDetail::Branch { path: "VIP".into() },
            ),
            (
                json!({"until": UNTIL}),
                StepDetail::WaitingUntil {
                    until: UNTIL.into(),
                },
            ),
            (
                json!({"reason": format!("the contact has no {} date", "birthday")}),
                StepDetail::Skipped {
                    reason: "the contact has no birthday date".into(),
                },
            ),
            (
                json!({"until": UNTIL, "reason": "the date has already passed"}),
                StepDetail::Until {
                    until: UNTIL.into(),
                    reason: "the date has already passed".into(),
                },
            ),
            (
                json!({"event_type": "order.fulfilled", "correlation": corr, "until": UNTIL}),
                StepDetail::WaitingForEvent {
                    event_type: "order.fulfilled".into(),
                    correlation: corr.clone(),
                    until: UNTIL.into(),
                },
            ),
            (
                json!({"error": "there is no workflow named \"Later\""}),
                StepDetail::Error {
                    error: "there is no workflow named \"Later\"".into(),
                },
            ),
            (
                json!({"tag": "vip", "changed": true}),
                StepDetail::Tag {
                    tag: "vip".into(),
                    changed: true,
                },
            ),
            (
                json!({"field": "plan", "value": "pro", "changed": false}),
                StepDetail::Field {
                    field: "plan".into(),
                    value: "pro".into(),
                    changed: false,
                },
            ),
            (
                json!({"deal_id": 3, "pipeline": "Sales", "stage": "Won"}),
                StepDetail::Deal {
                    deal_id: 3,
                    pipeline: "Sales".into(),
                    stage: "Won".into(),
                },
            ),
            (
                json!({"course": "Program A", "changed": true}),
                StepDetail::Course {
                    course: "Program A".into(),
                    changed: true,
                    note: None,
                },
            ),
            (
                json!({"status": "unsubscribed", "changed": true}),
                StepDetail::Status {
                    status: "unsubscribed".into(),
                    changed: true,
                },
            ),
            (
                json!({"workflow": "Onboarding", "started": true, "run_id": 12}),
                StepDetail::StartedWorkflow {
                    workflow: "Onboarding".into(),
                    started: true,
                    run_id: Some(12),
                    reason: None,
                },
            ),
            (
                json!({"workflow": "Onboarding", "started": false, "reason": "that workflow is not active"}),
                StepDetail::StartedWorkflow {
                    workflow: "Onboarding".into(),
                    started: false,
                    run_id: None,
                    reason: Some("that workflow is not active".into()),
                },
            ),
            (
                json!({"workflow": "Onboarding", "removed": 2}),
                StepDetail::RemovedFromWorkflow {
                    workflow: "Onboarding".into(),
                    removed: 2,
                },
            ),
            (
                json!({"reason": "not sent: the contact's address bounced, so no email can reach it", "code": "contact_bounced"}),
                StepDetail::Refused {
                    reason: "not sent: the contact's address bounced, so no email can reach it"
                        .into(),
                    code: "contact_bounced".into(),
                },
            ),
            (
                json!({"until": UNTIL, "reason": "outside the send window"}),
                StepDetail::Until {
                    until: UNTIL.into(),
                    reason: "outside the send window".into(),
                },
            ),
            (
                json!({"sent": false, "note": "dry run: nothing was sent", "effect": e}),
                StepDetail::NotSent {
                    sent: false,
                    note: "dry run: nothing was sent".into(),
                    effect: e.clone(),
                },
            ),
            (
                json!({"sent": false, "note": "test run: only email to the test contact leaves the machine", "effect": slack}),
                StepDetail::NotSent {
                    sent: false,
                    note: "test run: only email to the test contact leaves the machine".into(),
                    effect: slack.clone(),
                },
            ),
            (
                json!({"outbox_id": 5, "effect": old_summary(&e)}),
                StepDetail::Queued {
                    outbox_id: 5,
                    effect: EffectSummary::of(&e),
                },
            ),
            (
                {
                    let mut d = json!({"sent": true, "attempts": 1, "effect": old_summary(&slack)});
                    d["response"] = json!("ok");
                    d
                },
                StepDetail::Sent {
                    sent: true,
                    attempts: 1,
                    effect: EffectSummary::of(&slack),
                    response: Some("ok".into()),
                    possibly_duplicated: None,
                    note: None,
                },
            ),
            (
                {
                    let mut d = json!({"sent": true, "attempts": 2, "effect": old_summary(&e)});
                    d["possibly_duplicated"] = json!(true);
                    d["note"] = json!(sent_note);
                    d
                },
                StepDetail::Sent {
                    sent: true,
                    attempts: 2,
                    effect: EffectSummary::of(&e),
                    response: None,
                    possibly_duplicated: Some(true),
                    note: Some(sent_note.into()),
                },
            ),
            (
                json!({"queued_until": UNTIL, "queued_because": format!("waiting for the network: {}", "connection refused")}),
                StepDetail::QueuedUntil {
                    queued_until: UNTIL.into(),
                    queued_because: "waiting for the network: connection refused".into(),
                },
            ),
            (
                json!({"held_by_account": "Gmail", "queued_because": "account \"Gmail\" needs attention: 535 bad credentials"}),
                StepDetail::HeldByAccount {
                    held_by_account: "Gmail".into(),
                    queued_because: "account \"Gmail\" needs attention: 535 bad credentials".into(),
                },
            ),
            (
                json!({"last_error": "HTTP 503", "attempts": 2, "next_attempt_at": UNTIL}),
                StepDetail::Retrying {
                    last_error: "HTTP 503".into(),
                    attempts: 2,
                    next_attempt_at: UNTIL.into(),
                },
            ),
            (
                json!({"error": "HTTP 404", "attempts": 1, "effect": old_summary(&e)}),
                StepDetail::SendFailed {
                    error: "HTTP 404".into(),
                    attempts: 1,
                    effect: EffectSummary::of(&e),
                },
            ),
            (
                json!({"possibly_duplicated": true, "note": "Cairn stopped while this was being sent"}),
                StepDetail::PossiblyDuplicated {
                    possibly_duplicated: true,
                    note: "Cairn stopped while this was being sent".into(),
                },
            ),
            (
                json!({"arrived_event_id": 9}),
                StepDetail::Arrived {
                    arrived_event_id: 9,
                },
            ),
            (
                json!({"late_by_secs": 7200}),
                StepDetail::Late {
                    late_by_secs: 7200,
                    late: None,
                },
            ),
            (
                json!({"late_by_secs": 10800, "late": "fired 3 h late"}),
                StepDetail::Late {
                    late_by_secs: 10800,
                    late: Some("fired 3 h late".into()),
                },
            ),
        ]
    }

    #[test]
    fn each_outcome_is_written_as_before() {
        for (old, typed) in samples() {
            assert_eq!(Value::from(typed).to_string(), old.to_string());
        }
    }

    #[test]
    fn stored_details_read_back_as_the_outcome_that_wrote_them() {
        for (old, typed) in samples() {
            let stored = old.to_string();
            let read: StepDetail = serde_json::from_str(&stored)
                .unwrap_or_else(|e| panic!("{stored} does not read: {e}"));
            assert_eq!(read, typed, "{stored}");
        }
    }

    #[test]
    fn merged_details_stay_readable() {
        // A queued send that was then sent; a wait that fired late; a
        // waiting step the run left (reason merged into it); literal rows.
        for stored in [
            r#"{"outbox_id":5,"effect":{"kind":"webhook","method":"POST","url":"https://example.com/hook"},"sent":true,"attempts":1,"response":"HTTP 200"}"#,
            r#"{"until":"2026-03-30T07:00:00+00:00","late_by_secs":7260,"late":"fired 2 h 1 min late"}"#,
            r#"{"event_type":"order.fulfilled","correlation":{"order_id":"A-1"},"until":"2026-03-30T07:00:00+00:00","reason":"goal reached: Bought"}"#,
            r#"{"outbox_id":5,"effect":{"kind":"desktop","title":"T","body":"B"},"queued_until":"2026-03-30T07:00:00+00:00","queued_because":"waiting for the network: offline","last_error":"HTTP 503","attempts":1,"next_attempt_at":"2026-03-30T07:00:00+00:00"}"#,
        ] {
            serde_json::from_str::<StepDetail>(stored)
                .unwrap_or_else(|e| panic!("{stored} does not read: {e}"));
        }
    }
}
