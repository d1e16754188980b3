//! Recording what a sender did with an outbox entry, and moving the run on.

use cairn_model::Timestamp;
use cairn_model::condition::split_bucket;
use cairn_model::contact::ContactStatus;
use cairn_model::effect::Effect;
use cairn_model::workflow::{OnFailure, exits};
use cairn_store::outbox::{self, OutboxRow};
use cairn_store::runs::{self, RunStatus, StepStatus};
use cairn_store::step_detail::{EffectSummary, StepDetail};
use cairn_store::{accounts, contacts};

use crate::error::Result;
use crate::run::{self, Batch};
use crate::sender::{OutboxEntry, SendOutcome, later};

/// Retries never wait longer than this.
const MAX_BACKOFF_SECS: i64 = 6 * 3600;

/// Exponential backoff with jitter: `base · 2^(attempt-1)` capped at six
/// hours, plus up to 20 % derived from the key and attempt, so that retries
/// of many entries spread out yet a replay computes the same instant.
pub fn backoff(base_secs: i64, attempt: u32, key: &str) -> chrono::Duration {
    let exp = attempt.saturating_sub(1).min(20);
    let raw = base_secs
        .max(1)
        .saturating_mul(1i64 << exp)
        .min(MAX_BACKOFF_SECS);
    let jitter = raw * i64::from(split_bucket(key, &attempt.to_string())) / 500;
    chrono::Duration::seconds(raw + jitter)
}

/// How long an unreachable peer waits before the next try: a minute, plus
/// up to a minute of jitter so many accounts do not knock all at once when
/// the network returns. The jitter is the account's (`lane`), not the
/// entry's: entries of one account wait together and so leave in due order.
fn offline_wait(lane: &str, now: Timestamp) -> chrono::Duration {
    chrono::Duration::seconds(
        60 + i64::from(split_bucket(
            lane,
            &format!("offline-{}", now.timestamp() / 60),
        )) * 60
            / 100,
    )
}

pub(crate) fn entry_of(row: &OutboxRow) -> OutboxEntry {
    OutboxEntry {
        id: row.id,
        run_id: row.run_id,
        step_id: row.step_id,
        effect: row.effect.clone(),
        idempotency_key: row.idempotency_key.clone(),
        mode: row.mode,
        attempt: row.attempts,
        max_attempts: row.max_attempts,
        possibly_duplicated: row.possibly_duplicated,
    }
}

/// Records an outcome for entry `id` and advances its run when it is done.
pub(crate) fn record(batch: &mut Batch<'_>, id: i64, outcome: &SendOutcome) -> Result<()> {
    let row = outbox::get_using(batch.tx, id)?;
    if row.status != outbox::OutboxStatus::Sending {
        // The run left meanwhile (goal, removal): nothing to move on.
        return Ok(());
    }
    if row.step_id.is_none() {
        // A notice of the run's error path (`run::failure`): it belongs to
        // the run (erasing the contact clears it) but moves no step on.
        return record_notice(batch, &row, outcome);
    }
    let final_failure = |error: &str| -> (String, bool) { (error.to_string(), true) };
    let (error, failed) = match outcome {
        SendOutcome::Sent { detail } => {
            outbox::mark_sent_using(batch.tx, id, batch.now)?;
            let d = StepDetail::Sent {
                sent: true,
                attempts: row.attempts,
                effect: EffectSummary::of(&row.effect),
                response: detail.clone(),
                possibly_duplicated: row.possibly_duplicated.then_some(true),
                note: row.possibly_duplicated.then(|| {
                    "possibly duplicated: Cairn stopped between sending and recording an earlier attempt; it was sent again with the same Message-ID / Idempotency-Key".to_string()
                }),
            };
            return finish(batch, &row, StepStatus::Ok, exits::NEXT, d);
        }
        SendOutcome::Unreachable { error } => {
            let lane = row.account.clone().unwrap_or_else(|| row.kind.clone());
            let at = later(batch.now, offline_wait(&lane, batch.now));
            outbox::reschedule_using(batch.tx, id, at, Some(error), false, batch.now)?;
            if let Some(account) = &row.account {
                outbox::postpone_account_using(batch.tx, account, at, batch.now)?;
            }
            note_step(
                batch,
                &row,
                StepDetail::QueuedUntil {
                    queued_until: at.to_rfc3339(),
                    queued_because: format!("waiting for the network: {error}"),
                },
            )?;
            return Ok(());
        }
        SendOutcome::AccountFault { account, error } => {
            if accounts::hold_using(batch.tx, account, error, batch.now)? {
                // Back in the queue as it was (same due instant, attempt
                // given back), held until the account is fixed.
                outbox::reschedule_using(
                    batch.tx,
                    id,
                    row.next_attempt_at,
                    Some(error),
                    false,
                    batch.now,
                )?;
                note_step(
                    batch,
                    &row,
                    StepDetail::HeldByAccount {
                        held_by_account: account.clone(),
                        queued_because: format!(
                            "account {account:?} needs attention: {error}. This send waits, its attempts unspent, until the account is fixed (cairn account secret / cairn account test, or the Accounts screen)"
                        ),
                    },
                )?;
                return Ok(());
            }
            // No such account to hold: nothing the user can fix there, so
            // it fails like any other permanent error.
            final_failure(error)
        }
        SendOutcome::Deferred { until, reason } => {
            outbox::reschedule_using(batch.tx, id, *until, Some(reason), false, batch.now)?;
            note_step(
                batch,
                &row,
                StepDetail::QueuedUntil {
                    queued_until: until.to_rfc3339(),
                    queued_because: reason.clone(),
                },
            )?;
            return Ok(());
        }
        SendOutcome::Retry { error, retry_after } => {
            if row.attempts >= row.max_attempts {
                final_failure(&format!(
                    "{error} (gave up after {} attempts)",
                    row.attempts
                ))
            } else {
                let mut wait = backoff(row.backoff_secs, row.attempts, &row.idempotency_key);
                if let Some(ra) = retry_after
                    && *ra > wait
                {
                    wait = *ra;
                }
                let at: Timestamp = later(batch.now, wait);
                outbox::reschedule_using(batch.tx, id, at, Some(error), true, batch.now)?;
                let step = row.step_id.unwrap_or_default();
                let d = run::merged_detail(
                    batch.tx,
                    step,
                    Some(StepDetail::Retrying {
                        last_error: error.clone(),
                        attempts: row.attempts,
                        next_attempt_at: at.to_rfc3339(),
                    }),
                )
                .unwrap_or_default();
                runs::update_step_using(
                    batch.tx,
                    step,
                    &runs::StepUpdate {
                        status: StepStatus::Pending,
                        exit: None,
                        detail: Some(&d),
                        attempts: Some(row.attempts),
                    },
                    batch.now,
                )?;
                return Ok(());
            }
        }
        SendOutcome::Failed { error } => final_failure(error),
        SendOutcome::Bounced { error } => {
            if let Effect::Email(m) = &row.effect
                && let Some(cid) = m.contact_id
            {
                let how = cairn_store::consent::Consent::new(
                    cairn_store::consent::ConsentVia::Bounce,
                    Some(m.account.clone()),
                );
                contacts::set_status_as_using(
                    batch.tx,
                    cid,
                    ContactStatus::Bounced,
                    &how,
                    batch.now,
                )?;
            }
            final_failure(&format!("{error} (the contact is now marked bounced)"))
        }
    };
    debug_assert!(failed);
    outbox::mark_failed_using(batch.tx, id, &error, batch.now)?;
    let Some(run_id) = row.run_id else {
        return Ok(());
    };
    let Some(run) = run::load(batch, run_id)? else {
        return Ok(());
    };
    let Some(node) = run
        .def
        .node(run.node.as_deref().unwrap_or_default())
        .cloned()
    else {
        return Ok(());
    };
    let policy = node.spec.error_policy().copied().unwrap_or_default();
    let d = StepDetail::SendFailed {
        error: error.clone(),
        attempts: row.attempts,
        effect: EffectSummary::of(&row.effect),
    };
    match policy.then {
        OnFailure::ErrorExit => finish(batch, &row, StepStatus::Failed, exits::ERROR, d),
        OnFailure::Fail => {
            if let Some(step) = row.step_id {
                let d = run::merged_detail(batch.tx, step, Some(d))?;
                run::finish_step(
                    batch,
                    &run,
                    step,
                    &node.id,
                    StepStatus::Failed,
                    None,
                    Some(d),
                )?;
            }
            run::end(
                batch,
                &run,
                RunStatus::Failed,
                Some(&format!("{}: {error}", node.id)),
            )
        }
    }
}

/// Records what became of a failure notice: sent, tried again later, or
/// failed for good (logged; a notice has no run to fail).
fn record_notice(batch: &mut Batch<'_>, row: &OutboxRow, outcome: &SendOutcome) -> Result<()> {
    let now = batch.now;
    match outcome {
        SendOutcome::Sent { .. } => outbox::mark_sent_using(batch.tx, row.id, now)?,
        SendOutcome::Unreachable { error } | SendOutcome::AccountFault { error, .. } => {
            let at = later(now, offline_wait(&row.kind, now));
            outbox::reschedule_using(batch.tx, row.id, at, Some(error), false, now)?
        }
        SendOutcome::Deferred { until, reason } => {
            outbox::reschedule_using(batch.tx, row.id, *until, Some(reason), false, now)?
        }
        SendOutcome::Retry { error, .. } if row.attempts < row.max_attempts => {
            let at = later(
                now,
                backoff(row.backoff_secs, row.attempts, &row.idempotency_key),
            );
            outbox::reschedule_using(batch.tx, row.id, at, Some(error), true, now)?
        }
        SendOutcome::Retry { error, .. }
        | SendOutcome::Failed { error }
        | SendOutcome::Bounced { error } => {
            tracing::warn!(run = ?row.run_id, "a failure notice could not be sent: {error}");
            outbox::mark_failed_using(batch.tx, row.id, error, now)?
        }
    }
    Ok(())
}

fn note_step(batch: &mut Batch<'_>, row: &OutboxRow, extra: StepDetail) -> Result<()> {
    if let Some(step) = row.step_id {
        let d = run::merged_detail(batch.tx, step, Some(extra))?;
        runs::update_step_using(
            batch.tx,
            step,
            &runs::StepUpdate::with_detail(StepStatus::Pending, &d),
            batch.now,
        )?;
    }
    Ok(())
}

/// Finishes the entry's step and follows `exit` from its node.
fn finish(
    batch: &mut Batch<'_>,
    row: &OutboxRow,
    status: StepStatus,
    exit: &str,
    detail: StepDetail,
) -> Result<()> {
    let Some(run_id) = row.run_id else {
        return Ok(());
    };
    let Some(mut run) = run::load(batch, run_id)? else {
        return Ok(());
    };
    let Some(node_id) = run.node.clone() else {
        return Ok(());
    };
    if let Some(step) = row.step_id {
        let d = run::merged_detail(batch.tx, step, Some(detail))?;
        run::finish_step(batch, &run, step, &node_id, status, Some(exit), Some(d))?;
    }
    run::resume(batch, &mut run, &node_id, exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        for attempt in 1..6u32 {
            let b = backoff(60, attempt, "k").num_seconds();
            let raw = 60 * (1 << (attempt - 1));
            assert!(b >= raw && b <= raw + raw / 5, "{attempt}: {b}");
            assert_eq!(backoff(60, attempt, "k"), backoff(60, attempt, "k"));
        }
        assert!(backoff(60, 30, "k").num_seconds() <= MAX_BACKOFF_SECS * 6 / 5);
    }
}
