//! External actions (email, webhook, Slack, desktop notice): who may
//! receive them, the send window, and then either a record of the rendered
//! effect (dry and test runs) or an outbox entry the run waits for.

use cairn_model::effect::{Effect, RunMode};
use cairn_model::workflow::{Node, NodeSpec, NotifyChannel, exits};
use cairn_store::identity;
use cairn_store::outbox;
use cairn_store::runs::{self, StepStatus, StepUpdate, TimerPurpose};
use cairn_store::step_detail::{EffectSummary, StepDetail};
use serde_json::Value;

use super::render::render_effect;
use super::{
    Batch, Flow, OpenRun, action_failed, contact, finish_or_record, merged_detail, record_step,
};
use crate::error::Result;
use crate::send_window;

pub(super) fn exec(batch: &mut Batch<'_>, run: &mut OpenRun, node: &Node) -> Result<Flow> {
    let c = contact(batch, run)?;
    let mode = run.effective_mode(batch);
    // A step left waiting by the send window is reused when the window opens.
    let held = runs::open_step_using(batch.tx, run.id, &node.id)?
        .filter(|s| {
            s.status == StepStatus::Waiting && run.node.as_deref() == Some(node.id.as_str())
        })
        .map(|s| s.id);
    let is_email = matches!(node.spec, NodeSpec::SendEmail(_));
    // Who may receive it depends on the template's kind (marketing or
    // transactional); a missing template fails when the email is rendered.
    let refusal = match &node.spec {
        NodeSpec::SendEmail(s) => run
            .def
            .template(&s.template)
            .and_then(|t| t.kind.refusal(c.status)),
        _ => None,
    };
    if let Some((code, reason)) = refusal {
        let detail = StepDetail::Refused {
            reason,
            code: code.to_string(),
        };
        finish_or_record(
            batch,
            run,
            node,
            held,
            StepStatus::Skipped,
            Some(exits::NEXT),
            Some(detail.into()),
        )?;
        return Ok(Flow::Next(exits::NEXT.into()));
    }
    // The send window applies to what reaches contacts or other systems.
    if (is_email || matches!(node.spec, NodeSpec::Webhook(_)))
        && let Some(w) = &run.def.settings.send_window
    {
        let tz = w
            .timezone
            .resolve(c.timezone.as_deref(), &run.def.settings.timezone);
        if !send_window::is_open(w, tz, batch.now) {
            let until = send_window::next_opening(w, tz, batch.now);
            let detail = StepDetail::Until {
                until: until.to_rfc3339(),
                reason: "outside the send window".into(),
            };
            match held {
                Some(s) => {
                    let d = merged_detail(batch.tx, s, Some(detail))?;
                    runs::update_step_using(
                        batch.tx,
                        s,
                        &StepUpdate::with_detail(StepStatus::Waiting, &d),
                        batch.now,
                    )?;
                }
                None => {
                    record_step(
                        batch,
                        run,
                        node,
                        StepStatus::Waiting,
                        None,
                        Some(detail.into()),
                    )?;
                }
            }
            runs::insert_timer_using(
                batch.tx,
                run.id,
                &node.id,
                TimerPurpose::Window,
                until,
                batch.now,
            )?;
            return Ok(Flow::Block);
        }
    }
    // Whether this effect leaves the machine: decided by the mode and by
    // what the node produces (a test run sends email only).
    let makes_email = matches!(
        &node.spec,
        NodeSpec::SendEmail(_)
            | NodeSpec::Notify(cairn_model::workflow::Notify {
                channel: NotifyChannel::EmailOwner { .. },
                ..
            })
    );
    let send_for_real = match mode {
        RunMode::Live => true,
        RunMode::Test => makes_email,
        RunMode::DryRun => false,
    };
    if !send_for_real {
        // Recorded with its full content in one write; the Message-ID shown
        // is what a live send of this node in this run would resemble.
        let key = identity::identity_using(batch.tx)?.effect_key(run.id, &node.id);
        let effect = match render_effect(batch, run, node, &c, &key) {
            Ok(e) => e,
            Err(msg) => return action_failed(batch, run, node, held, &msg),
        };
        let note = match mode {
            RunMode::DryRun => "dry run: nothing was sent",
            _ => "test run: only email to the test contact leaves the machine",
        };
        let detail = StepDetail::NotSent {
            sent: false,
            note: note.into(),
            effect,
        };
        finish_or_record(
            batch,
            run,
            node,
            held,
            StepStatus::Ok,
            Some(exits::NEXT),
            Some(detail.into()),
        )?;
        return Ok(Flow::Next(exits::NEXT.into()));
    }
    queue(batch, run, node, held, |batch, run, key| {
        render_effect(batch, run, node, &c, key)
    })
}

/// Records the step pending (or reuses the `held` one), builds the effect
/// with its idempotency key, writes it to the outbox and leaves the run
/// waiting for it — all in the step's transaction.
pub(super) fn queue(
    batch: &mut Batch<'_>,
    run: &mut OpenRun,
    node: &Node,
    held: Option<i64>,
    build: impl FnOnce(&Batch<'_>, &OpenRun, &str) -> std::result::Result<Effect, String>,
) -> Result<Flow> {
    let mode = run.effective_mode(batch);
    let step_id = match held {
        Some(s) => {
            runs::update_step_using(
                batch.tx,
                s,
                &StepUpdate::status(StepStatus::Pending, None),
                batch.now,
            )?;
            s
        }
        None => record_step(batch, run, node, StepStatus::Pending, None, None)?,
    };
    // Unique across databases too (identity.rs): receivers deduplicate on it.
    let key = identity::identity_using(batch.tx)?.effect_key(run.id, step_id);
    let effect = match build(batch, run, &key) {
        Ok(e) => e,
        Err(msg) => return action_failed(batch, run, node, Some(step_id), &msg),
    };
    let policy = node.spec.error_policy().copied().unwrap_or_default();
    let outbox_id = outbox::enqueue_using(
        batch.tx,
        &outbox::NewOutboxEntry {
            run_id: Some(run.id),
            step_id: Some(step_id),
            effect: &effect,
            idempotency_key: &key,
            mode,
            max_attempts: policy.max_attempts,
            backoff_secs: policy.backoff.secs(),
        },
        batch.now,
    )?;
    let d = Value::from(StepDetail::Queued {
        outbox_id,
        effect: EffectSummary::of(&effect),
    });
    runs::update_step_using(
        batch.tx,
        step_id,
        &StepUpdate::with_detail(StepStatus::Pending, &d),
        batch.now,
    )?;
    Ok(Flow::Block)
}
