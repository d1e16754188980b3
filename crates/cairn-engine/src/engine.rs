//! The synchronous core of the executor: one database connection, one clock
//! reading per call, every state change in one `BEGIN IMMEDIATE` transaction.
//!
//! [`Engine::tick`] does everything that is due at `now`: it processes new
//! events (goals, waits, triggers), fires due timers and scans time-based
//! triggers, each in batches that commit together. The async
//! [`crate::Executor`] calls it when something may have changed; tests and
//! `cairn simulate` call it directly with a virtual clock.

use cairn_model::Timestamp;
use cairn_model::effect::RunMode;
use cairn_model::event::types;
use cairn_store::Store;
use cairn_store::runs::{self, StepStatus};
use cairn_store::step_detail::StepDetail;
use cairn_store::{accounts, events, outbox};
use serde_json::Value;

use crate::change::Change;
use crate::defs::Definitions;
use crate::error::{EngineError, Result};
use crate::run::{self, Batch};
use crate::schedule::ScheduleState;
use crate::sender::{Lane, OutboxEntry, SendOutcome, later};
use crate::{ingest, outcome, schedule, timers};

/// Tunables.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Events handled per transaction.
    pub event_batch: usize,
    /// Timers fired per transaction.
    pub timer_batch: usize,
    /// Steps one run may take without waiting before it is failed as a loop.
    pub max_steps_per_advance: usize,
    /// Batches per tick before yielding (bounds a tick when workflows feed
    /// each other events).
    pub max_batches_per_tick: usize,
    /// Record every effect of live runs without sending (`cairn run --dry-run`).
    pub force_dry_run: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            event_batch: 500,
            timer_batch: 500,
            max_steps_per_advance: 1_000,
            max_batches_per_tick: 200,
            force_dry_run: false,
        }
    }
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub events: usize,
    pub timers: usize,
    pub scheduled_runs: usize,
    /// Waits (and wait timeouts) that fired at least [`LATE_SECS`] after
    /// they were due: after a sleep, what the wake notice counts.
    pub late_waits: usize,
    /// More work was left for the next tick.
    pub more: bool,
}

/// Lateness from which a fired wait counts as late (below it is scheduling
/// jitter). The step of such a wait records "fired … late" (timers.rs).
pub const LATE_SECS: i64 = 60;

/// How long a send may take before its entry counts as lost: longer than
/// any send's own timeout (webhooks at most 60 s, SMTP per command).
pub const SEND_LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// Due outbox entries taken to be sent, each with its lane.
#[derive(Debug, Default)]
pub struct Taken {
    pub entries: Vec<(OutboxEntry, Lane)>,
    /// Due entries left waiting because their lane was full.
    pub lane_full: usize,
}

/// The executor's synchronous core.
pub struct Engine {
    store: Store,
    defs: Definitions,
    changes: Vec<Change>,
    schedule: ScheduleState,
    pub config: EngineConfig,
    /// Late waits fired since the last [`Engine::tick`] report.
    late_waits: usize,
}

impl Engine {
    pub fn new(store: Store) -> Self {
        Engine::with_config(store, EngineConfig::default())
    }

    pub fn with_config(store: Store, config: EngineConfig) -> Self {
        Engine {
            store,
            defs: Definitions::default(),
            changes: vec![],
            schedule: ScheduleState::default(),
            config,
            late_waits: 0,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Changes committed since the last call.
    pub fn drain_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// Runs `f` in one write transaction with a fresh view of the workflows.
    /// Changes are kept only if the transaction commits.
    pub(crate) fn with_tx<T>(
        &mut self,
        now: Timestamp,
        f: impl FnOnce(&mut Batch<'_>, &mut ScheduleState) -> Result<T>,
    ) -> Result<T> {
        let Engine {
            store,
            defs,
            changes,
            schedule,
            config,
            ..
        } = self;
        let mut local = vec![];
        let r = store.write(|tx| {
            defs.refresh(tx)?;
            let mut batch = Batch {
                tx,
                now,
                defs,
                changes: &mut local,
                max_steps: config.max_steps_per_advance,
                force_dry_run: config.force_dry_run,
            };
            f(&mut batch, schedule)
        });
        match r {
            Ok(v) => {
                changes.extend(local);
                Ok(v)
            }
            Err(e) => {
                defs.clear();
                Err(e)
            }
        }
    }

    /// Handles everything due at `now`.
    pub fn tick(&mut self, now: Timestamp) -> Result<TickReport> {
        let mut report = TickReport::default();
        for _ in 0..self.config.max_batches_per_tick {
            let n = self.process_events(now)?;
            report.events += n;
            if n == 0 {
                let t = self.fire_timers(now)?;
                report.timers += t;
                if t == 0 {
                    report.scheduled_runs += self.scan_schedules(now)?;
                    // Scheduled runs and timers may have emitted events.
                    if !self.has_unprocessed_events()? {
                        report.late_waits = std::mem::take(&mut self.late_waits);
                        return Ok(report);
                    }
                }
            }
        }
        report.late_waits = std::mem::take(&mut self.late_waits);
        report.more = true;
        Ok(report)
    }

    fn has_unprocessed_events(&self) -> Result<bool> {
        Ok(events::has_unprocessed_using(self.store.conn())?)
    }

    /// One batch of new events. Returns how many were handled.
    pub fn process_events(&mut self, now: Timestamp) -> Result<usize> {
        let limit = self.config.event_batch;
        self.with_tx(now, |batch, sched| {
            let events = ingest::unprocessed(batch, limit)?;
            for ev in &events {
                if matches!(
                    ev.event_type.as_str(),
                    types::FIELD_CHANGED | types::CONTACT_CREATED
                ) {
                    sched.dirty = true;
                }
                ingest::handle(batch, ev)?;
            }
            Ok(events.len())
        })
    }

    /// One batch of due timers. Returns how many fired.
    pub fn fire_timers(&mut self, now: Timestamp) -> Result<usize> {
        let limit = self.config.timer_batch;
        let (fired, late) = self.with_tx(now, |batch, _| {
            let due = runs::due_timers_using(batch.tx, batch.now, limit)?;
            for t in &due {
                timers::fire(batch, t)?;
            }
            let late = due
                .iter()
                .filter(|t| {
                    t.purpose != runs::TimerPurpose::Window
                        && (batch.now - t.due_at).num_seconds() >= LATE_SECS
                })
                .count();
            Ok((due.len(), late))
        })?;
        self.late_waits += late;
        Ok(fired)
    }

    /// Scans date-based and schedule triggers when something may be due.
    pub fn scan_schedules(&mut self, now: Timestamp) -> Result<usize> {
        {
            let c = self.store.conn();
            self.defs.refresh(c)?;
        }
        if self.defs.scheduled.is_empty() || !self.schedule.needs_scan(now, self.defs.generation) {
            return Ok(0);
        }
        self.with_tx(now, |batch, sched| {
            let scheduled = batch.defs.scheduled.clone();
            schedule::scan(batch, sched, &scheduled)
        })
    }

    /// The earliest instant something falls due: a timer, an outbox retry,
    /// a time-based trigger.
    pub fn next_due(&mut self) -> Result<Option<Timestamp>> {
        let c = self.store.conn();
        let mut due = runs::next_timer_due_using(c)?;
        for t in [outbox::next_due_using(c)?, self.schedule.next_due]
            .into_iter()
            .flatten()
        {
            if due.is_none_or(|d| t < d) {
                due = Some(t);
            }
        }
        Ok(due)
    }

    /// The earliest instant strictly after `now` at which something falls
    /// due: [`Engine::next_due`] without what is due already but cannot be
    /// taken (an outbox entry held for its account). For callers that
    /// drive a virtual clock to the next instant (a forecast).
    pub(crate) fn next_due_after(&mut self, now: Timestamp) -> Result<Option<Timestamp>> {
        let c = self.store.conn();
        Ok([
            runs::next_timer_due_using(c)?,
            outbox::next_due_using(c)?,
            self.schedule.next_due,
        ]
        .into_iter()
        .flatten()
        .filter(|t| *t > now)
        .min())
    }

    /// Starts a run by hand: a test run from the editor, or "add to
    /// workflow" from the contacts screen. `trigger` picks the trigger node
    /// (the first one when absent). Test runs (`DryRun`, `Test`) may start in
    /// any workflow; live runs only in an active one and by its re-entry rule.
    pub fn start_run(
        &mut self,
        workflow: &str,
        contact_email: &str,
        trigger: Option<&str>,
        payload: &Value,
        mode: RunMode,
        now: Timestamp,
    ) -> Result<Option<i64>> {
        let w = self.store.workflow(workflow)?;
        let contact = self.store.require_contact(contact_email)?;
        if mode == RunMode::Live && w.status != cairn_store::workflows::WorkflowStatus::Active {
            return Err(EngineError::NotActive(w.name));
        }
        self.with_tx(now, |batch, _| {
            let def = batch.defs.def(batch.tx, w.id, w.version)?;
            let node = match trigger {
                Some(t) => def
                    .node(t)
                    .filter(|n| n.spec.is_trigger())
                    .map(|n| n.id.clone())
                    .ok_or_else(|| {
                        EngineError::Invalid(format!("workflow {:?} has no trigger {t:?}", w.name))
                    })?,
                None => def.triggers().next().map(|n| n.id.clone()).ok_or_else(|| {
                    EngineError::Invalid(format!("workflow {:?} has no trigger", w.name))
                })?,
            };
            run::start(
                batch,
                &runs::NewRun {
                    workflow_id: w.id,
                    version: w.version,
                    contact_id: contact.id,
                    trigger_node: &node,
                    trigger_event_id: None,
                    trigger_payload: payload,
                    mode,
                },
            )
        })
    }

    /// Time travel for test runs: fires the run's pending timer now, as if
    /// its wait had elapsed. Returns false when the run was not waiting on a
    /// timer.
    pub fn skip_wait(&mut self, run_id: i64, now: Timestamp) -> Result<bool> {
        self.with_tx(now, |batch, _| {
            let t = runs::first_timer_of_run_using(batch.tx, run_id)?;
            let Some(mut t) = t else {
                return Ok(false);
            };
            // Skipping is not lateness: fire as if exactly on time.
            t.due_at = batch.now;
            timers::fire(batch, &t)?;
            Ok(true)
        })
    }

    /// Marks entries a crash left "sending" as pending and possibly
    /// duplicated. Call once at start.
    pub fn recover_interrupted(&mut self, now: Timestamp) -> Result<usize> {
        self.with_tx(now, |batch, _| {
            let rows = outbox::recover_interrupted_using(batch.tx, batch.now)?;
            for r in &rows {
                if let Some(step) = r.step_id {
                    let d = run::merged_detail(batch.tx, step, Some(StepDetail::PossiblyDuplicated {
                        possibly_duplicated: true,
                        note: "Cairn stopped while this was being sent; it will be sent again with the same Message-ID / Idempotency-Key, so the recipient may see it twice".into(),
                    }))?;
                    runs::update_step_using(batch.tx, step, &runs::StepUpdate::with_detail(StepStatus::Pending, &d), batch.now)?;
                }
            }
            Ok(rows.len())
        })
    }

    /// Takes up to `limit` due outbox entries and records the intent to send
    /// them (committed before they are handed to a sender).
    pub fn take_due(&mut self, now: Timestamp, limit: usize) -> Result<Vec<OutboxEntry>> {
        let taken = self.take_due_in_lanes(now, limit, &mut Default::default())?;
        Ok(taken.entries.into_iter().map(|(e, _)| e).collect())
    }

    /// Takes up to `limit` due outbox entries, in due order, while their
    /// lane has room: `in_lane` holds, per lane, the sends in flight and the
    /// lane's limit, and is updated with those taken. Each taken entry is
    /// committed `sending` with a lease of [`SEND_LEASE`].
    pub fn take_due_in_lanes(
        &mut self,
        now: Timestamp,
        limit: usize,
        in_lane: &mut std::collections::HashMap<String, (usize, usize)>,
    ) -> Result<Taken> {
        if limit == 0 {
            return Ok(Taken::default());
        }
        let lease_until = later(now, SEND_LEASE);
        let mut counts = in_lane.clone();
        let taken = self.with_tx(now, |batch, _| {
            // Look past full lanes, so one busy account does not keep the
            // others' due entries waiting.
            // Full lanes are left out in the query, so one busy account
            // does not fill the window and keep the others waiting.
            let full: Vec<String> = counts
                .iter()
                .filter(|(_, (busy, max))| busy >= max)
                .map(|(k, _)| k.clone())
                .collect();
            let rows = outbox::due_in_lanes_using(
                batch.tx,
                batch.now,
                limit.saturating_mul(2).min(512),
                &full,
            )?;
            let mut out = Taken::default();
            let mut pools: std::collections::HashMap<String, Option<usize>> = Default::default();
            for r in rows {
                if out.entries.len() >= limit {
                    break;
                }
                let mut e = outcome::entry_of(&r);
                let pool = match (&r.effect, &r.account) {
                    (cairn_model::effect::Effect::Email(_), Some(a)) => match pools.get(a) {
                        Some(p) => *p,
                        None => {
                            let p = accounts::smtp_pool_using(batch.tx, a)?;
                            pools.insert(a.clone(), p);
                            p
                        }
                    },
                    _ => None,
                };
                let lane = Lane::of(&e, pool);
                let load = counts.entry(lane.key.clone()).or_insert((0, lane.limit));
                load.1 = lane.limit;
                if load.0 >= lane.limit {
                    out.lane_full += 1;
                    continue;
                }
                if outbox::mark_sending_using(batch.tx, r.id, batch.now, lease_until)? {
                    load.0 += 1;
                    e.attempt += 1;
                    out.entries.push((e, lane));
                }
            }
            Ok(out)
        })?;
        *in_lane = counts;
        Ok(taken)
    }

    /// Takes back entries whose lease expired while `sending` and that are
    /// not in `in_hand` (the sends the dispatcher still waits for): their
    /// attempt was lost. They are sent again, flagged possibly duplicated.
    pub fn recover_expired(&mut self, now: Timestamp, in_hand: &[i64]) -> Result<usize> {
        self.with_tx(now, |batch, _| {
            let rows = outbox::recover_expired_using(batch.tx, batch.now, in_hand)?;
            for r in &rows {
                if let Some(step) = r.step_id {
                    let d = run::merged_detail(batch.tx, step, Some(StepDetail::PossiblyDuplicated {
                        possibly_duplicated: true,
                        note: "the result of an attempt was lost (no answer was recorded within the send lease); it will be sent again with the same Message-ID / Idempotency-Key, so the recipient may see it twice".into(),
                    }))?;
                    runs::update_step_using(batch.tx, step, &runs::StepUpdate::with_detail(StepStatus::Pending, &d), batch.now)?;
                }
            }
            Ok(rows.len())
        })
    }

    /// Records what a sender did with an entry and moves its run on.
    pub fn record_outcome(
        &mut self,
        entry_id: i64,
        outcome: &SendOutcome,
        now: Timestamp,
    ) -> Result<()> {
        self.with_tx(now, |batch, _| outcome::record(batch, entry_id, outcome))
    }

    /// Records a batch of outcomes in one transaction (the dispatcher's
    /// tick of outcomes). All or nothing: on an error, record them one by
    /// one to find the one that fails.
    pub fn record_outcomes(
        &mut self,
        outcomes: &[(i64, SendOutcome)],
        now: Timestamp,
    ) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        self.with_tx(now, |batch, _| {
            for (id, o) in outcomes {
                outcome::record(batch, *id, o)?;
            }
            Ok(())
        })
    }

    /// Fails entry `id` without moving its run through the usual path: for
    /// an entry whose outcome could not be recorded at all (recording it
    /// crashed). The step says why; the run is failed with the reason.
    pub fn fail_entry(&mut self, id: i64, reason: &str, now: Timestamp) -> Result<()> {
        self.with_tx(now, |batch, _| {
            let row = outbox::get_using(batch.tx, id)?;
            outbox::mark_failed_using(batch.tx, id, reason, batch.now)?;
            if let Some(step) = row.step_id {
                let d = run::merged_detail(
                    batch.tx,
                    step,
                    Some(StepDetail::Error {
                        error: reason.to_string(),
                    }),
                )?;
                runs::update_step_using(
                    batch.tx,
                    step,
                    &runs::StepUpdate::with_detail(StepStatus::Failed, &d),
                    batch.now,
                )?;
            }
            if let Some(run_id) = row.run_id
                && let Some(open) = run::load(batch, run_id)?
            {
                runs::end_run_using(
                    batch.tx,
                    run_id,
                    runs::RunStatus::Failed,
                    Some(reason),
                    None,
                    false,
                    batch.now,
                )?;
                run::failure::run_failed(batch, &open, reason)?;
            }
            Ok(())
        })
    }

    /// Marks the oldest unprocessed event processed without handling it:
    /// the executor found that handling it crashes the engine. Returns its
    /// id and type.
    pub fn skip_poison_event(&mut self, now: Timestamp) -> Result<Option<(i64, String)>> {
        self.with_tx(now, |batch, _| {
            let ev = events::oldest_unprocessed_using(batch.tx)?;
            if let Some((id, _)) = &ev {
                events::mark_processed_using(batch.tx, *id, batch.now)?;
            }
            Ok(ev)
        })
    }
}
