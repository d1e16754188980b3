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
//! The dispatcher sends concurrently. Each due entry has a *lane*
//! ([`Lane`]): its SMTP account (as many at a time as the account's
//! connection pool, `pool_size`, default 4), its webhook host, its Slack
//! account. A lane takes at most its limit at a time and lanes never wait
//! for each other, so an account that hangs or fails delays no other. Each
//! send runs in its own task; the outcomes that came back meanwhile are
//! recorded together, one transaction per turn. Every database call runs on
//! a blocking thread (`spawn_blocking`), never on the runtime's workers.
//! An entry committed `sending` carries a lease ([`SEND_LEASE`]): one whose
//! result was lost while the process lives (its outcome could not be
//! recorded) is taken back when the lease expires, without a restart.
//!
//! Nothing one entry does stops the others. A send that panics fails its
//! entry alone, with the reason on its step; a loop that panics is
//! restarted (with a growing pause if it keeps failing); the engine, after
//! a crash, handles the next events one at a time and sets aside the one
//! that crashes it (a crash no event explains, a timer's or a schedule's,
//! is tried again after a growing pause). Each such fault is recorded as
//! an incident (`Store::record_executor_fault`), which the app shows once,
//! and sent as [`Change::Fault`], which `cairn run` prints. The poller
//! beside the executor (cairn-connectors) does the same for its loop and
//! sets aside the account it was syncing.
//!
//! The dispatcher's turn costs what it takes, not what waits: it reads the
//! queue lane by lane ([`crate::take`]), and the engine looks at what the
//! recorded sends changed at most every [`ENGINE_COALESCE`].
//!
//! A third task keeps the database in order ([`UpkeepConfig`]): a WAL
//! checkpoint every minute, retention and space reclaimed once a day.
//!
//! Only one executor runs over a database at a time: it holds the
//! database's [`ExecutorLock`] from start to shutdown (see
//! `cairn_store::lock` for why two would not be safe).

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use cairn_model::{Clock, Timestamp};
use cairn_store::Store;
use cairn_store::hygiene::{Upkeep, UpkeepPolicy};
use cairn_store::lock::{ExecutorLock, holder_name};
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::{JoinError, JoinHandle, JoinSet};

use crate::change::Change;
use crate::engine::{Engine, EngineConfig, SEND_LEASE};
use crate::error::Result;
use crate::sender::{Lane, OutboxEntry, SendOutcome, Sender, later};

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
    /// Sends in flight at most, over all lanes.
    pub max_in_flight: usize,
    /// The first pause before a loop that stopped on a panic starts again;
    /// it doubles while the loop keeps failing, up to a minute.
    pub restart_pause: StdDuration,
    /// Called at fixed points of the loops (see [`Probe`]); for tests that
    /// show a loop survives a panic there. `None` in the app and the CLI.
    pub probe: Option<ProbeFn>,
}

/// See [`ExecutorConfig::probe`].
pub type ProbeFn = Arc<dyn Fn(Probe<'_>) + Send + Sync>;

/// Where the loops call [`ExecutorConfig::probe`]: each on the loop's own
/// blocking thread, inside the work it guards, so a panic there is handled
/// as a panic of that work would be.
#[non_exhaustive]
pub enum Probe<'a> {
    /// The engine is about to handle what is due, first the oldest
    /// `events` events not yet handled (one alone after a crash); the
    /// engine's connection sees them.
    Engine { engine: &'a Engine, events: usize },
    /// The upkeep is about to run over this connection.
    Upkeep(&'a Store),
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
            // Short turns: the dispatcher records and takes sends between
            // them (see `Shared::db_turn`) while a flood of events is
            // handled. A batch of 100 purchases is a few milliseconds at rest.
            engine: EngineConfig {
                event_batch: 100,
                max_batches_per_tick: 1,
                ..EngineConfig::default()
            },
            idle_check: StdDuration::from_secs(1),
            jump_threshold: chrono::Duration::seconds(30),
            upkeep: Some(UpkeepConfig::default()),
            holder: holder_name("a Cairn executor"),
            max_in_flight: 256,
            restart_pause: StdDuration::from_secs(1),
            probe: None,
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
    changes: broadcast::Sender<Change>,
}

impl Waker {
    /// Something changed (an event was written): look now.
    pub fn wake(&self) {
        self.engine.notify_one();
        self.dispatch.notify_one();
    }

    /// Tells the executor's subscribers (`cairn run`, the app) that a task
    /// beside it faulted (the poller), as [`Change::Fault`]; the caller
    /// records the incident.
    pub fn fault(&self, task: &str, message: String) {
        let _ = self.changes.send(Change::Fault {
            task: task.to_string(),
            message,
        });
    }
}

/// What every loop shares: where to record faults and whom to tell.
#[derive(Clone)]
struct Shared {
    cfg: ExecutorConfig,
    stop: watch::Receiver<bool>,
    wake_engine: Arc<Notify>,
    wake_dispatch: Arc<Notify>,
    /// The dispatcher recorded outcomes (runs moved on, perhaps events or
    /// timers written): the engine looks soon, at most every
    /// [`ENGINE_COALESCE`], however many sends land.
    recorded: Arc<Notify>,
    /// Taken (first come, first served) around each loop's database work:
    /// the engine and the dispatcher of this process take turns at the
    /// write lock instead of waiting in SQLite's busy handler, where the
    /// engine's back-to-back batches kept the dispatcher from recording
    /// and taking sends for as long as events kept coming (measured: 64
    /// webhooks sent in the first 5 s of 10,000 purchases).
    db_turn: Arc<tokio::sync::Mutex<()>>,
    changes: broadcast::Sender<Change>,
}

/// The shortest time between two turns of the engine started by the
/// dispatcher's recordings: sends landing hundreds of times a second would
/// otherwise make the engine look each time and find nothing (measured: the
/// engine loop then used more CPU than the sends).
const ENGINE_COALESCE: StdDuration = StdDuration::from_millis(25);

/// How long the dispatcher keeps gathering sends that land after the one
/// that woke it, while others are still in flight, before it records them
/// and takes more: each turn is two transactions, so 32 requests landing
/// one by one at a slow host (640 a second at 50 ms) made 640 turns a
/// second of one outcome each (measured: their commits and reads grew the
/// CPU per webhook by half against an instant host). A send that lands
/// waits at most this long to be recorded; a turn with nothing left in
/// flight does not wait.
const DISPATCH_COALESCE: StdDuration = StdDuration::from_millis(5);

/// How often (by the executor's clock) the dispatcher looks for sends whose
/// lease expired: a lease is ten minutes, so a look every half minute
/// takes a lost send back soon enough and costs nothing meanwhile.
const RECOVER_EVERY: chrono::Duration = chrono::Duration::seconds(30);

impl Shared {
    /// Records a fault as an incident (on a blocking thread, its own
    /// connection) and tells the subscribers.
    async fn fault(&self, task: &str, title: String, message: String) {
        tracing::error!(task, %message, "{title}");
        let db = self.cfg.db_path.clone();
        let now = self.cfg.clock.now();
        let (t, ti, m) = (task.to_string(), title.clone(), message.clone());
        let recorded = tokio::task::spawn_blocking(move || {
            Store::open(&db).and_then(|mut s| s.record_executor_fault(&t, &ti, &m, now))
        })
        .await;
        match recorded {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "could not record the executor fault"),
            Err(e) => tracing::error!("could not record the executor fault: {e}"),
        }
        let _ = self.changes.send(Change::Fault {
            task: task.to_string(),
            message: format!("{title}: {message}"),
        });
    }
}

type LoopFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs a loop and restarts it when it panics: the fault is recorded, and
/// the loop starts again after a pause that doubles (1 s to 1 min) while it
/// keeps failing. `make` builds a fresh loop (its own connection).
async fn supervise(
    task: &'static str,
    shared: Shared,
    make: impl Fn(&Shared) -> Result<LoopFuture> + Send + 'static,
) {
    let first_pause = shared.cfg.restart_pause;
    let mut pause = first_pause;
    let mut stop = shared.stop.clone();
    loop {
        let started = Instant::now();
        let outcome = match make(&shared) {
            Ok(fut) => tokio::spawn(fut).await,
            Err(e) => {
                shared
                    .fault(
                        task,
                        format!("Cairn's {task} could not start again"),
                        format!("{e}; it tries again in {}", pause_text(pause)),
                    )
                    .await;
                Ok(())
            }
        };
        match outcome {
            Ok(()) if *stop.borrow() => return,
            Ok(()) => {}
            Err(e) if e.is_panic() => {
                shared
                    .fault(
                        task,
                        format!("Cairn's {task} stopped on an internal error and was restarted"),
                        panic_text(e),
                    )
                    .await;
            }
            Err(_) => return,
        }
        if started.elapsed() > StdDuration::from_secs(600) {
            pause = first_pause;
        }
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(StdDuration::from_secs(60));
    }
}

fn pause_text(d: StdDuration) -> String {
    if d >= StdDuration::from_secs(1) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// What a panic said, for a message.
pub fn panic_text(e: JoinError) -> String {
    match e.try_into_panic() {
        Ok(p) => p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an internal error (no message)".into()),
        Err(e) => e.to_string(),
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
        // Opened now so that a database that cannot be opened fails the
        // start instead of a background task.
        let first_dispatch = match cfg.sender {
            Some(_) => Some(Engine::with_config(
                Store::open(&cfg.db_path)?,
                cfg.engine.clone(),
            )),
            None => None,
        };
        let first_upkeep = match cfg.upkeep {
            Some(_) => Some(Store::open(&cfg.db_path)?),
            None => None,
        };
        let (stop, stop_rx) = watch::channel(false);
        let (changes, _) = broadcast::channel(1024);
        let wake_engine = Arc::new(Notify::new());
        let wake_dispatch = Arc::new(Notify::new());
        let shared = Shared {
            cfg: cfg.clone(),
            stop: stop_rx,
            wake_engine: wake_engine.clone(),
            wake_dispatch: wake_dispatch.clone(),
            recorded: Arc::new(Notify::new()),
            db_turn: Arc::new(tokio::sync::Mutex::new(())),
            changes: changes.clone(),
        };
        let mut tasks = vec![];
        let first = std::sync::Mutex::new(Some(engine));
        tasks.push(rt.spawn(supervise("engine", shared.clone(), move |sh| {
            let engine = match first.lock().unwrap_or_else(|e| e.into_inner()).take() {
                Some(e) => e,
                None => Engine::with_config(Store::open(&sh.cfg.db_path)?, sh.cfg.engine.clone()),
            };
            Ok(Box::pin(engine_loop(engine, sh.clone())))
        })));
        if let Some(up) = cfg.upkeep.clone() {
            let first = std::sync::Mutex::new(first_upkeep);
            tasks.push(rt.spawn(supervise("upkeep", shared.clone(), move |sh| {
                let store = match first.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    Some(s) => s,
                    None => Store::open(&sh.cfg.db_path)?,
                };
                Ok(Box::pin(upkeep_loop(store, sh.clone(), up.clone())))
            })));
        }
        if let Some(sender) = cfg.sender.clone() {
            let first = std::sync::Mutex::new(first_dispatch);
            tasks.push(rt.spawn(supervise("dispatcher", shared, move |sh| {
                let engine = match first.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    Some(e) => e,
                    None => {
                        // The dispatcher that stopped left its sends
                        // `sending`: they were interrupted.
                        let mut e = Engine::with_config(
                            Store::open(&sh.cfg.db_path)?,
                            sh.cfg.engine.clone(),
                        );
                        e.recover_interrupted(sh.cfg.clock.now())?;
                        e
                    }
                };
                Ok(Box::pin(dispatch_loop(engine, sh.clone(), sender.clone())))
            })));
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
            changes: self.changes.clone(),
        }
    }

    pub fn wake(&self) {
        self.waker().wake();
    }

    /// Stops the loops after the work in hand (sends in flight finish and
    /// are recorded) and waits for them.
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
        Some(t) => t
            .signed_duration_since(now)
            .to_std()
            .unwrap_or(cap)
            .min(cap),
        None => cap,
    }
}

/// Runs `f` with the engine on a blocking thread and gives it back; `None`
/// when `f` panicked (the engine is lost with it).
async fn blocking<T: Send + 'static>(
    mut engine: Engine,
    f: impl FnOnce(&mut Engine) -> T + Send + 'static,
) -> std::result::Result<(Engine, T), JoinError> {
    tokio::task::spawn_blocking(move || {
        let r = f(&mut engine);
        (engine, r)
    })
    .await
}

async fn engine_loop(mut engine: Engine, sh: Shared) {
    let cfg = sh.cfg.clone();
    let mut stop = sh.stop.clone();
    let mut last_wall = cfg.clock.now();
    let mut last_mono = Instant::now();
    let mut last_version: Option<i64> = None;
    let mut next_due: Option<Timestamp> = None;
    let mut woken = true;
    // After a crash: handle the next events one at a time first, so an
    // event that crashes the engine is found and set aside instead of
    // crashing it again and again.
    let mut careful = false;
    // Crashes in a row that no event explains (a timer, a schedule): the
    // engine pauses more and more between tries instead of spinning.
    let mut unexplained = 0u32;
    let mut last_turn = Instant::now();
    loop {
        if *stop.borrow() {
            break;
        }
        let now = cfg.clock.now();
        let mono = Instant::now();
        let wall_step = now.signed_duration_since(last_wall);
        let mono_step = chrono::Duration::from_std(mono - last_mono).unwrap_or_default();
        let gap = wall_step.checked_sub(&mono_step).unwrap_or_default();
        last_wall = now;
        last_mono = mono;
        let jumped = gap > cfg.jump_threshold;
        let (back, version) = match blocking(engine, data_version).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        engine = back;
        let due = next_due.is_some_and(|d| d <= now);
        if woken || jumped || due || version != last_version {
            last_turn = Instant::now();
            let was_careful = careful;
            // Set once the careful turn's events were handled one by one:
            // a crash after that is no event's doing.
            let past_the_event = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let past = past_the_event.clone();
            let probe = cfg.probe.clone();
            let seat = sh.db_turn.clone().lock_owned().await;
            let done = blocking(engine, move |engine| {
                let batch = engine.config.event_batch;
                if was_careful {
                    // After a crash, the next batch's events one by one,
                    // each in its own transaction: the one that crashes
                    // is then the oldest not handled.
                    engine.config.event_batch = 1;
                    let mut one = Ok(());
                    for _ in 0..batch {
                        if let Some(p) = &probe {
                            p(Probe::Engine { engine, events: 1 });
                        }
                        match engine.process_events(now) {
                            Ok(0) => break,
                            Ok(_) => {}
                            Err(e) => {
                                one = Err(e);
                                break;
                            }
                        }
                    }
                    engine.config.event_batch = batch;
                    one?;
                } else if let Some(p) = &probe {
                    p(Probe::Engine {
                        engine,
                        events: batch,
                    });
                }
                past.store(true, std::sync::atomic::Ordering::SeqCst);
                engine
                    .tick(now)
                    .and_then(|rep| engine.next_due().map(|d| (rep, d)))
            })
            .await;
            drop(seat);
            let result = match done {
                Ok((back, r)) => {
                    engine = back;
                    careful = false;
                    unexplained = 0;
                    r
                }
                Err(e) => {
                    let text = panic_text(e);
                    // A fresh connection: the old one went down with the
                    // panic (its transaction rolled back).
                    let store = match Store::open(&cfg.db_path) {
                        Ok(s) => s,
                        Err(e) => panic!(
                            "the engine crashed ({text}) and could not reopen the database: {e}"
                        ),
                    };
                    engine = Engine::with_config(store, cfg.engine.clone());
                    let mut message = text;
                    let event_did_it =
                        was_careful && !past_the_event.load(std::sync::atomic::Ordering::SeqCst);
                    let mut pause = StdDuration::ZERO;
                    if event_did_it {
                        // The next event alone crashed it: set it aside.
                        match blocking(engine, move |e| e.skip_poison_event(now)).await {
                            Ok((back, Ok(Some((id, ty))))) => {
                                engine = back;
                                message = format!(
                                    "{message}. Event #{id} ({ty}) made it crash; it was set aside unhandled, the others go on"
                                );
                            }
                            Ok((back, _)) => engine = back,
                            Err(e) => std::panic::resume_unwind(e.into_panic()),
                        }
                        careful = false;
                    } else if was_careful {
                        // Not an event: a timer or a schedule. Try again
                        // after a pause that grows while it keeps failing.
                        unexplained += 1;
                        pause = (cfg.restart_pause * 2u32.saturating_pow(unexplained - 1))
                            .min(StdDuration::from_secs(60));
                        message = format!(
                            "{message}. No single event made it crash; it tries again in {}",
                            pause_text(pause)
                        );
                        careful = true;
                    } else {
                        careful = true;
                    }
                    sh.fault(
                        "engine",
                        "Cairn's engine stopped on an internal error and carried on".into(),
                        message,
                    )
                    .await;
                    if !pause.is_zero() {
                        tokio::select! {
                            _ = stop.changed() => break,
                            _ = tokio::time::sleep(pause) => {}
                        }
                    }
                    woken = true;
                    continue;
                }
            };
            match result {
                Ok((report, due)) => {
                    next_due = due;
                    if jumped {
                        tracing::info!(
                            gap_secs = gap.num_seconds(),
                            "the clock jumped ahead (wake from sleep?); handled what fell due"
                        );
                        let _ = sh.changes.send(Change::Woke {
                            gap_secs: gap.num_seconds(),
                            late_waits: report.late_waits as u64,
                        });
                    }
                    for c in engine.drain_changes() {
                        let _ = sh.changes.send(c);
                    }
                    if report.events + report.timers + report.scheduled_runs > 0 {
                        sh.wake_dispatch.notify_one();
                    }
                    // The version read before this turn: a commit of
                    // another connection during the turn (an event the
                    // turn did not see) changes it again, so the next look
                    // notices. Read after the turn, it would hide such an
                    // event until something else was written (the cause of
                    // a test that waited 20 s for an event emitted just as
                    // a turn ended).
                    last_version = version;
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
            _ = sh.wake_engine.notified() => { woken = true; }
            _ = sh.recorded.notified() => {
                // Sends landed and were recorded: look soon, not at once,
                // so that many landings make one turn.
                let since = last_turn.elapsed();
                if since < ENGINE_COALESCE {
                    tokio::select! {
                        _ = stop.changed() => break,
                        _ = tokio::time::sleep(ENGINE_COALESCE - since) => {}
                    }
                }
                woken = true;
            }
            _ = tokio::time::sleep(nap) => {}
        }
    }
}

fn data_version(engine: &mut Engine) -> Option<i64> {
    engine.store().data_version().ok()
}

/// A send in flight.
struct Flight {
    entry: i64,
    lane: String,
    kind: &'static str,
    to: String,
}

/// The dispatcher's state between turns.
struct Dispatch {
    sh: Shared,
    sender: Arc<dyn Sender>,
    engine: Option<Engine>,
    sends: JoinSet<SendOutcome>,
    flights: HashMap<tokio::task::Id, Flight>,
    /// Per lane: sends in flight, the lane's limit.
    in_lane: HashMap<String, (usize, usize)>,
    /// Outcomes back from senders, not yet recorded.
    done: Vec<(i64, SendOutcome)>,
    /// Entries that crashed the sender: (title, message) for the incident.
    crashed: Vec<String>,
    /// When (by the executor's clock) to look for lost leases next.
    recover_at: Timestamp,
}

impl Dispatch {
    /// Takes in a finished send.
    fn landed(&mut self, r: std::result::Result<(tokio::task::Id, SendOutcome), JoinError>) {
        let (id, outcome) = match r {
            Ok((id, o)) => (id, Ok(o)),
            Err(e) => (e.id(), Err(e)),
        };
        let Some(f) = self.flights.remove(&id) else {
            return;
        };
        if let Some((n, _)) = self.in_lane.get_mut(&f.lane) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.in_lane.remove(&f.lane);
            }
        }
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                let why = panic_text(e);
                self.crashed.push(format!(
                    "outbox entry #{} ({} to {}) made the sender crash: {why}. It was failed alone; the other sends go on",
                    f.entry, f.kind, f.to
                ));
                SendOutcome::Failed {
                    error: format!(
                        "Cairn's sender crashed on this {} ({why}); it was not sent and is not retried. Check the data it was built from (a contact's name, a field)",
                        f.kind
                    ),
                }
            }
        };
        tracing::debug!(id = f.entry, kind = f.kind, ?outcome, "outbox attempt");
        self.done.push((f.entry, outcome));
    }

    fn collect_ready(&mut self) {
        while let Some(r) = self.sends.try_join_next_with_id() {
            self.landed(r);
        }
    }

    /// Takes in the sends that land within `window`, or until none is in
    /// flight (see [`DISPATCH_COALESCE`]).
    async fn gather(&mut self, window: StdDuration) {
        let until = tokio::time::sleep(window);
        tokio::pin!(until);
        while !self.sends.is_empty() {
            tokio::select! {
                _ = &mut until => break,
                Some(r) = self.sends.join_next_with_id() => self.landed(r),
            }
        }
    }

    /// Records the outcomes in hand: one transaction for all; when that
    /// fails, one by one, so one bad record does not hold back the others.
    async fn record(&mut self) {
        if self.done.is_empty() && self.crashed.is_empty() {
            return;
        }
        let done = std::mem::take(&mut self.done);
        let now = self.sh.cfg.clock.now();
        let engine = self.engine.take().expect("the dispatcher holds its engine");
        let batch = done.clone();
        let mut failed_batch = false;
        let seat = self.sh.db_turn.clone().lock_owned().await;
        let recorded = blocking(engine, move |e| e.record_outcomes(&batch, now)).await;
        drop(seat);
        match recorded {
            Ok((e, Ok(()))) => self.engine = Some(e),
            Ok((e, Err(err))) => {
                tracing::warn!(error = %err, "recording a batch of send results failed; recording them one by one");
                self.engine = Some(e);
                failed_batch = true;
            }
            Err(p) => {
                tracing::error!(
                    "recording a batch of send results crashed ({}); recording them one by one",
                    panic_text(p)
                );
                self.engine = Some(self.reopen());
                failed_batch = true;
            }
        }
        if failed_batch {
            for (id, o) in done {
                let engine = self.engine.take().expect("the dispatcher holds its engine");
                match blocking(engine, move |e| e.record_outcome(id, &o, now)).await {
                    Ok((e, Ok(()))) => self.engine = Some(e),
                    Ok((e, Err(err))) => {
                        // The entry stays "sending" under its lease: it is
                        // taken back and sent again when the lease expires.
                        tracing::error!(error = %err, id, "could not record a send result");
                        self.engine = Some(e);
                    }
                    Err(p) => {
                        let why = panic_text(p);
                        let mut engine = self.reopen();
                        let reason = format!(
                            "Cairn crashed while recording the result of this send ({why}); it is not retried"
                        );
                        let r = tokio::task::spawn_blocking(move || {
                            let r = engine.fail_entry(id, &reason, now);
                            (engine, r)
                        })
                        .await;
                        self.engine = Some(match r {
                            Ok((e, r)) => {
                                if let Err(err) = r {
                                    tracing::error!(error = %err, id, "could not fail the entry");
                                }
                                e
                            }
                            Err(_) => self.reopen(),
                        });
                        self.crashed.push(format!(
                            "recording the result of outbox entry #{id} crashed: {why}. The entry was failed alone; the other sends go on"
                        ));
                    }
                }
            }
        }
        if let Some(e) = self.engine.as_mut() {
            for c in e.drain_changes() {
                let _ = self.sh.changes.send(c);
            }
        }
        for message in std::mem::take(&mut self.crashed) {
            self.sh
                .fault(
                    "dispatcher",
                    "A send made Cairn's sender crash".into(),
                    message,
                )
                .await;
        }
        self.sh.recorded.notify_one();
    }

    fn reopen(&self) -> Engine {
        match Store::open(&self.sh.cfg.db_path) {
            Ok(s) => Engine::with_config(s, self.sh.cfg.engine.clone()),
            // Nothing to go on with: the supervisor restarts the loop.
            Err(e) => panic!("the dispatcher could not reopen the database: {e}"),
        }
    }

    /// Takes back lost attempts (every [`RECOVER_EVERY`]) and takes what
    /// is due while lanes have room ([`crate::take`]). Returns the entries
    /// taken and when an entry of a lane with room falls due next.
    async fn take(&mut self) -> (Vec<(OutboxEntry, Lane)>, Option<Timestamp>) {
        let now = self.sh.cfg.clock.now();
        let room = self.sh.cfg.max_in_flight.saturating_sub(self.sends.len());
        let recover = now >= self.recover_at;
        if recover {
            self.recover_at = later(now, RECOVER_EVERY);
        }
        let in_hand: Vec<i64> = if recover {
            self.flights.values().map(|f| f.entry).collect()
        } else {
            vec![]
        };
        let mut lanes = std::mem::take(&mut self.in_lane);
        let engine = self.engine.take().expect("the dispatcher holds its engine");
        let seat = self.sh.db_turn.clone().lock_owned().await;
        let r = blocking(engine, move |e| {
            let recovered = if recover {
                e.recover_expired(now, &in_hand)
            } else {
                Ok(0)
            };
            let turn = if room > 0 {
                crate::take::take(e, now, room, &mut lanes)
            } else {
                Ok(Default::default())
            };
            (recovered, turn, lanes)
        })
        .await;
        drop(seat);
        let (engine, (recovered, turn, lanes)) = match r {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p.into_panic()),
        };
        self.engine = Some(engine);
        self.in_lane = lanes;
        match recovered {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                n,
                "sends whose result was lost were taken back after their lease ({} min); they go out again, marked possibly duplicated",
                SEND_LEASE.num_minutes()
            ),
            Err(e) => tracing::error!(error = %e, "could not take back lost sends"),
        }
        match turn {
            Ok(t) => (t.entries, t.next),
            Err(e) => {
                tracing::error!(error = %e, "could not read the outbox");
                (vec![], None)
            }
        }
    }

    fn launch(&mut self, entry: OutboxEntry, lane: Lane) {
        let now = self.sh.cfg.clock.now();
        let sender = self.sender.clone();
        let flight = Flight {
            entry: entry.id,
            lane: lane.key,
            kind: entry.effect.kind(),
            to: recipient(&entry),
        };
        let handle = self
            .sends
            .spawn(async move { sender.send(&entry, now).await });
        self.flights.insert(handle.id(), flight);
    }
}

/// Who an entry goes to, for messages (an email address, a host).
fn recipient(entry: &OutboxEntry) -> String {
    use cairn_model::effect::Effect;
    match &entry.effect {
        Effect::Email(m) => m.to.clone(),
        Effect::Course(c) => c.email.clone(),
        Effect::Webhook(_) | Effect::Slack(_) | Effect::Desktop(_) => Lane::of(entry, None).key,
    }
}

async fn dispatch_loop(engine: Engine, sh: Shared, sender: Arc<dyn Sender>) {
    let mut stop = sh.stop.clone();
    let mut d = Dispatch {
        sh: sh.clone(),
        sender,
        engine: Some(engine),
        sends: JoinSet::new(),
        flights: HashMap::new(),
        in_lane: HashMap::new(),
        done: vec![],
        crashed: vec![],
        recover_at: sh.cfg.clock.now(),
    };
    loop {
        d.collect_ready();
        d.record().await;
        if *stop.borrow() {
            // Sends in flight finish and are recorded.
            if d.sends.is_empty() {
                break;
            }
            if let Some(r) = d.sends.join_next_with_id().await {
                d.landed(r);
            }
            continue;
        }
        let (taken, next) = d.take().await;
        for (entry, lane) in taken {
            d.launch(entry, lane);
        }
        // A full lane's next entry waits for one of its sends to land,
        // which wakes this loop; the others for their due instant.
        let nap = if d.sends.len() >= sh.cfg.max_in_flight {
            sh.cfg.idle_check
        } else {
            sleep_for(next, sh.cfg.clock.now(), sh.cfg.idle_check)
        };
        tokio::select! {
            _ = stop.changed() => {}
            _ = sh.wake_dispatch.notified() => {}
            Some(r) = d.sends.join_next_with_id(), if !d.sends.is_empty() => {
                d.landed(r);
                d.gather(DISPATCH_COALESCE).await;
            }
            _ = tokio::time::sleep(nap) => {}
        }
    }
}

async fn upkeep_loop(mut store: Store, sh: Shared, cfg: UpkeepConfig) {
    let mut stop = sh.stop.clone();
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
        let now = sh.cfg.clock.now();
        let up = upkeep.clone();
        let probe = sh.cfg.probe.clone();
        let done = tokio::task::spawn_blocking(move || {
            if let Some(p) = &probe {
                p(Probe::Upkeep(&store));
            }
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
            // The supervisor records it and starts again.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}
