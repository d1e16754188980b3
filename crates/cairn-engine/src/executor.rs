//! The executor in the background: an engine loop and an outbox dispatcher,
//! each with its own database connection, on a tokio runtime.
//!
//! The engine loop sleeps until the earliest due instant (a timer, a retry,
//! a time-based trigger) or until woken (an event written in this process),
//! and at most `idle_check` between cheap looks at `PRAGMA data_version` for
//! work written by another process (the CLI against the same file). It
//! compares the wall clock with the monotonic clock at every turn: when the
//! wall clock jumped ahead (the laptop slept), it says so and fires what fell
//! due, in order, honouring each wait's late policy.
//!
//! A third task keeps the database in order ([`UpkeepConfig`]): a WAL
//! checkpoint every minute, retention and space reclaimed once a day.
//!
//! Only one executor runs over a database at a time: it holds the
//! database's [`ExecutorLock`] from start to shutdown (see
//! `cairn_store::lock` for why two would not be safe).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use cairn_model::{Clock, Timestamp};
use cairn_store::Store;
use cairn_store::hygiene::{Upkeep, UpkeepPolicy};
use cairn_store::lock::{ExecutorLock, holder_name};
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use crate::change::Change;
use crate::engine::{Engine, EngineConfig};
use crate::error::Result;
use crate::sender::Sender;

/// How to run the executor.
#[derive(Clone)]
pub struct ExecutorConfig {
    pub db_path: PathBuf,
    pub clock: Arc<dyn Clock>,
    /// Delivers outbox entries; `None` leaves them queued (dry runs).
    pub sender: Option<Arc<dyn Sender>>,
    pub engine: EngineConfig,
    /// Longest sleep between looks for work written by another process.
    pub idle_check: StdDuration,
    /// A wall-clock jump larger than this is reported as a wake from sleep.
    pub jump_threshold: chrono::Duration,
    /// Keeping the database in order; `None` leaves it to `cairn db maintain`.
    pub upkeep: Option<UpkeepConfig>,
    /// How this executor names itself in the lock file, for the message a
    /// second one gets ("cairn run (pid 42)").
    pub holder: String,
}

/// When the executor's upkeep task runs.
#[derive(Debug, Clone)]
pub struct UpkeepConfig {
    pub policy: UpkeepPolicy,
    /// Real time between runs (a checkpoint each; maintenance when due by
    /// the executor's clock).
    pub every: StdDuration,
    /// Real time before the first run, so a start is not slowed by it.
    pub first_after: StdDuration,
}

impl Default for UpkeepConfig {
    fn default() -> Self {
        UpkeepConfig {
            policy: UpkeepPolicy::default(),
            every: StdDuration::from_secs(60),
            first_after: StdDuration::from_secs(60),
        }
    }
}

impl ExecutorConfig {
    pub fn new(
        db_path: impl Into<PathBuf>,
        clock: Arc<dyn Clock>,
        sender: Option<Arc<dyn Sender>>,
    ) -> Self {
        ExecutorConfig {
            db_path: db_path.into(),
            clock,
            sender,
            engine: EngineConfig::default(),
            idle_check: StdDuration::from_secs(1),
            jump_threshold: chrono::Duration::seconds(30),
            upkeep: Some(UpkeepConfig::default()),
            holder: holder_name("a Cairn executor"),
        }
    }
}

/// A running executor. Dropping it without [`Executor::shutdown`] aborts
/// the tasks (state is safe either way: every change is a transaction).
pub struct Executor {
    wake_engine: Arc<Notify>,
    wake_dispatch: Arc<Notify>,
    stop: watch::Sender<bool>,
    changes: broadcast::Sender<Change>,
    tasks: Vec<JoinHandle<()>>,
    // Released when the executor is dropped, after its tasks stopped.
    _lock: ExecutorLock,
}

/// Wakes an executor from another task.
#[derive(Clone)]
pub struct Waker {
    engine: Arc<Notify>,
    dispatch: Arc<Notify>,
}

impl Waker {
    /// Something changed (an event was written): look now.
    pub fn wake(&self) {
        self.engine.notify_one();
        self.dispatch.notify_one();
    }
}

impl Executor {
    /// Starts the executor on the current tokio runtime.
    pub fn start(cfg: ExecutorConfig) -> Result<Executor> {
        Self::start_on(&tokio::runtime::Handle::current(), cfg)
    }

    /// Starts the executor on the given runtime. Refused
    /// (`executor_running`) while another executor runs over the database.
    pub fn start_on(rt: &tokio::runtime::Handle, cfg: ExecutorConfig) -> Result<Executor> {
        let lock = ExecutorLock::acquire(&cfg.db_path, &cfg.holder)?;
        let mut engine = Engine::with_config(Store::open(&cfg.db_path)?, cfg.engine.clone());
        let recovered = engine.recover_interrupted(cfg.clock.now())?;
        if recovered > 0 {
            tracing::warn!(
                recovered,
                "outbox entries were interrupted mid-send; they will be sent again and marked possibly duplicated"
            );
        }
        let (stop, stop_rx) = watch::channel(false);
        let (changes, _) = broadcast::channel(1024);
        let wake_engine = Arc::new(Notify::new());
        let wake_dispatch = Arc::new(Notify::new());
        let mut tasks = vec![rt.spawn(engine_loop(
            engine,
            cfg.clone(),
            stop_rx.clone(),
            wake_engine.clone(),
            wake_dispatch.clone(),
            changes.clone(),
        ))];
        if let Some(up) = cfg.upkeep.clone() {
            tasks.push(rt.spawn(upkeep_loop(
                Store::open(&cfg.db_path)?,
                cfg.clock.clone(),
                up,
                stop_rx.clone(),
            )));
        }
        if let Some(sender) = cfg.sender.clone() {
            let engine = Engine::with_config(Store::open(&cfg.db_path)?, cfg.engine.clone());
            tasks.push(rt.spawn(dispatch_loop(
                engine,
                cfg,
                sender,
                stop_rx,
                wake_dispatch.clone(),
                wake_engine.clone(),
                changes.clone(),
            )));
        }
        Ok(Executor {
            wake_engine,
            wake_dispatch,
            stop,
            changes,
            tasks,
            _lock: lock,
        })
    }

    /// Run and step changes, after they commit.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    pub fn waker(&self) -> Waker {
        Waker {
            engine: self.wake_engine.clone(),
            dispatch: self.wake_dispatch.clone(),
        }
    }

    pub fn wake(&self) {
        self.waker().wake();
    }

    /// Stops both loops after the work in hand (a send in flight finishes
    /// and is recorded) and waits for them.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn sleep_for(next: Option<Timestamp>, now: Timestamp, cap: StdDuration) -> StdDuration {
    match next {
        Some(t) if t <= now => StdDuration::ZERO,
        Some(t) => (t - now).to_std().unwrap_or(cap).min(cap),
        None => cap,
    }
}

async fn engine_loop(
    mut engine: Engine,
    cfg: ExecutorConfig,
    mut stop: watch::Receiver<bool>,
    wake: Arc<Notify>,
    wake_dispatch: Arc<Notify>,
    changes: broadcast::Sender<Change>,
) {
    let mut last_wall = cfg.clock.now();
    let mut last_mono = Instant::now();
    let mut last_version: Option<i64> = None;
    let mut next_due: Option<Timestamp> = None;
    let mut woken = true;
    loop {
        if *stop.borrow() {
            break;
        }
        let now = cfg.clock.now();
        let mono = Instant::now();
        let wall_step = now - last_wall;
        let mono_step = chrono::Duration::from_std(mono - last_mono).unwrap_or_default();
        let gap = wall_step - mono_step;
        last_wall = now;
        last_mono = mono;
        let jumped = gap > cfg.jump_threshold;
        let version: Option<i64> = engine
            .store()
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .ok();
        let due = next_due.is_some_and(|d| d <= now);
        if woken || jumped || due || version != last_version {
            let (back, result) = tokio::task::spawn_blocking(move || {
                let r = engine
                    .tick(now)
                    .and_then(|rep| engine.next_due().map(|d| (rep, d)));
                (engine, r)
            })
            .await
            .expect("engine tick panicked");
            engine = back;
            match result {
                Ok((report, due)) => {
                    next_due = due;
                    if jumped {
                        tracing::info!(
                            gap_secs = gap.num_seconds(),
                            "the clock jumped ahead (wake from sleep?); handled what fell due"
                        );
                        let _ = changes.send(Change::Woke {
                            gap_secs: gap.num_seconds(),
                            late_waits: report.late_waits as u64,
                        });
                    }
                    for c in engine.drain_changes() {
                        let _ = changes.send(c);
                    }
                    if report.events + report.timers + report.scheduled_runs > 0 {
                        wake_dispatch.notify_one();
                    }
                    last_version = engine
                        .store()
                        .conn()
                        .query_row("PRAGMA data_version", [], |r| r.get(0))
                        .ok();
                    if report.more {
                        woken = true;
                        tokio::task::yield_now().await;
                        continue;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, code = e.code(), "executor tick failed; retrying");
                }
            }
        }
        woken = false;
        let nap = sleep_for(next_due, cfg.clock.now(), cfg.idle_check);
        tokio::select! {
            _ = stop.changed() => break,
            _ = wake.notified() => { woken = true; }
            _ = tokio::time::sleep(nap) => {}
        }
    }
}

async fn dispatch_loop(
    mut engine: Engine,
    cfg: ExecutorConfig,
    sender: Arc<dyn Sender>,
    mut stop: watch::Receiver<bool>,
    wake: Arc<Notify>,
    wake_engine: Arc<Notify>,
    changes: broadcast::Sender<Change>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        let now = cfg.clock.now();
        let entries = match engine.take_due(now, 8) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "could not read the outbox");
                vec![]
            }
        };
        let worked = !entries.is_empty();
        for entry in entries {
            let outcome = sender.send(&entry, now).await;
            tracing::debug!(
                id = entry.id,
                kind = entry.effect.kind(),
                ?outcome,
                "outbox attempt"
            );
            if let Err(e) = engine.record_outcome(entry.id, &outcome, cfg.clock.now()) {
                // The entry stays "sending": at the next start it is retried
                // and flagged possibly duplicated. That is the honest state.
                tracing::error!(error = %e, id = entry.id, "could not record a send result");
            }
            for c in engine.drain_changes() {
                let _ = changes.send(c);
            }
        }
        if worked {
            wake_engine.notify_one();
            continue;
        }
        let next = cairn_store::outbox::next_due_using(engine.store().conn()).unwrap_or(None);
        let nap = sleep_for(next, cfg.clock.now(), cfg.idle_check);
        tokio::select! {
            _ = stop.changed() => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(nap) => {}
        }
    }
}

async fn upkeep_loop(
    mut store: Store,
    clock: Arc<dyn Clock>,
    cfg: UpkeepConfig,
    mut stop: watch::Receiver<bool>,
) {
    let upkeep = Upkeep::new(cfg.policy.clone());
    let mut nap = cfg.first_after;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(nap) => {}
        }
        if *stop.borrow() {
            break;
        }
        nap = cfg.every;
        let now = clock.now();
        let up = upkeep.clone();
        let done = tokio::task::spawn_blocking(move || {
            let r = up.run(&mut store, now);
            (store, r)
        })
        .await;
        match done {
            Ok((back, r)) => {
                store = back;
                if let Err(e) = r {
                    tracing::warn!(error = %e, code = e.code(), "database upkeep failed; trying again later");
                }
            }
            Err(e) => {
                tracing::error!("database upkeep stopped: {e}");
                break;
            }
        }
    }
}
