//! The poller: connected accounts synced in the background, beside the
//! executor, on a tokio runtime.
//!
//! It keeps its own database connection (see `cairn_store`: one `Store` per
//! user of the file). Each turn it reads the accounts, polls each source
//! account that is due (its own interval; backoff or `Retry-After` after a
//! failure; never one that needs attention), wakes the executor when new
//! events were committed, and sleeps until the next account falls due, a
//! wake-up ([`Poller::wake`], the app's "sync now"), or at most
//! `idle_check` — so an account added or fixed by another process (`cairn
//! account test`) is noticed.
//!
//! Shutdown waits for the poll in hand: a poll's writes are one
//! transaction, so stopping between polls loses nothing, and a poll is
//! seconds at most (requests time out after 30 s).
//!
//! The loop survives a panic. It is restarted (after a pause that doubles
//! from `restart_pause` up to a minute while it keeps failing), and the
//! account it was syncing is set aside: an account polled for events is
//! marked "needs attention" with the reason (polled again once fixed or
//! tested), an SMTP account's mailbox "error" (its mail keeps going; the
//! mailbox is not read again until Cairn starts again). The fault is an
//! incident (kind `executor`, subject `poller`) and, through the
//! executor's [`Waker`], a `Change::Fault` that `cairn run` prints.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use cairn_engine::executor::Waker;
use cairn_model::account::AccountKind;
use cairn_model::{Clock, Timestamp};
use cairn_store::Store;
use cairn_store::accounts::{Account, AccountStatus};
use cairn_vault::Vault;
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use crate::error::ConnectorError;
use crate::pace::{ClockTimer, Timer};
use crate::sync::{SyncReport, Syncer, is_due, staleness};

/// How to run the poller.
#[derive(Clone)]
pub struct PollerConfig {
    pub db_path: PathBuf,
    pub vault: Vault,
    pub clock: Arc<dyn Clock>,
    /// Woken after new events are committed, so runs start at once.
    pub waker: Option<Waker>,
    /// Waits between requests (pacing); a `VirtualTimer` in tests.
    pub timer: Arc<dyn Timer>,
    /// Longest sleep between looks at the accounts.
    pub idle_check: StdDuration,
    /// The first pause before the loop starts again after a panic; it
    /// doubles while the loop keeps failing, up to a minute.
    pub restart_pause: StdDuration,
    /// Called on the loop's task before each account is synced; for tests
    /// that show the poller survives a panic there. `None` otherwise.
    pub probe: Option<AccountProbe>,
}

impl PollerConfig {
    pub fn new(
        db_path: impl Into<PathBuf>,
        vault: Vault,
        clock: Arc<dyn Clock>,
        waker: Option<Waker>,
    ) -> Self {
        PollerConfig {
            db_path: db_path.into(),
            vault,
            timer: Arc::new(ClockTimer::new(clock.clone())),
            clock,
            waker,
            idle_check: StdDuration::from_secs(5),
            restart_pause: StdDuration::from_secs(1),
            probe: None,
        }
    }
}

/// See [`PollerConfig::probe`].
pub type AccountProbe = Arc<dyn Fn(&Account) + Send + Sync>;

/// A running poller. Dropping it without [`Poller::shutdown`] stops it at
/// its next turn (state is safe either way: every poll is a transaction).
pub struct Poller {
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    reports: broadcast::Sender<SyncReport>,
    task: Option<JoinHandle<()>>,
}

impl Poller {
    /// Starts the poller on the current tokio runtime.
    pub fn start(cfg: PollerConfig) -> Result<Poller, ConnectorError> {
        Self::start_on(&tokio::runtime::Handle::current(), cfg)
    }

    /// Starts the poller on the given runtime.
    pub fn start_on(
        rt: &tokio::runtime::Handle,
        cfg: PollerConfig,
    ) -> Result<Poller, ConnectorError> {
        let store = Store::open(&cfg.db_path)?;
        let syncer = Syncer::new(cfg.vault.clone(), cfg.clock.clone(), cfg.timer.clone())?;
        let (stop, stop_rx) = watch::channel(false);
        let (reports, _) = broadcast::channel(256);
        let wake = Arc::new(Notify::new());
        let task = rt.spawn(supervise(
            store,
            syncer,
            cfg,
            stop_rx,
            wake.clone(),
            reports.clone(),
        ));
        Ok(Poller {
            wake,
            stop,
            reports,
            task: Some(task),
        })
    }

    /// Every poll's report, after it is recorded.
    pub fn subscribe(&self) -> broadcast::Receiver<SyncReport> {
        self.reports.subscribe()
    }

    /// Look at the accounts now (the clock moved, an account was fixed).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops after the poll in hand and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn nap(next: Option<Timestamp>, now: Timestamp, cap: StdDuration) -> StdDuration {
    match next {
        Some(t) if t <= now => StdDuration::ZERO,
        Some(t) => (t - now).to_std().unwrap_or(cap).min(cap),
        None => cap,
    }
}

/// What the loop and its supervisor share.
#[derive(Default)]
struct Watch {
    /// The account being synced, if any (set aside when the loop panics).
    current: Option<String>,
    /// SMTP accounts whose mailbox made the loop panic: not read again
    /// while this poller runs (a send through the account marks it "ok"
    /// again, so the status cannot say).
    set_aside: HashSet<String>,
}

/// Runs the loop and starts it again after a panic (see the module docs).
async fn supervise(
    store: Store,
    syncer: Syncer,
    cfg: PollerConfig,
    stop: watch::Receiver<bool>,
    wake: Arc<Notify>,
    reports: broadcast::Sender<SyncReport>,
) {
    let watch = Arc::new(Mutex::new(Watch::default()));
    let mut first = Some((store, syncer));
    let mut pause = cfg.restart_pause;
    loop {
        let started = Instant::now();
        let parts = match first.take() {
            Some(p) => Ok(p),
            None => Store::open(&cfg.db_path)
                .map_err(ConnectorError::from)
                .and_then(|s| {
                    Syncer::new(cfg.vault.clone(), cfg.clock.clone(), cfg.timer.clone())
                        .map(|y| (s, y))
                }),
        };
        let outcome = match parts {
            Ok((store, syncer)) => {
                tokio::spawn(poll_loop(
                    store,
                    syncer,
                    cfg.clone(),
                    stop.clone(),
                    wake.clone(),
                    reports.clone(),
                    watch.clone(),
                ))
                .await
            }
            Err(e) => {
                tracing::error!(error = %e, "the poller could not start again");
                Ok(())
            }
        };
        match outcome {
            Ok(()) if *stop.borrow() => return,
            Ok(()) => {}
            Err(e) if e.is_panic() => {
                let why = cairn_engine::executor::panic_text(e);
                let account = watch
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .current
                    .take();
                fault(&cfg, &watch, account, why).await;
            }
            Err(_) => return,
        }
        if started.elapsed() > StdDuration::from_secs(600) {
            pause = cfg.restart_pause;
        }
        let mut stop = stop.clone();
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(StdDuration::from_secs(60));
    }
}

/// Sets aside the account whose sync crashed the loop, records the
/// incident and tells the executor's subscribers.
async fn fault(
    cfg: &PollerConfig,
    watch: &Arc<Mutex<Watch>>,
    account: Option<String>,
    why: String,
) {
    let title = "Cairn's poller stopped on an internal error and was restarted";
    let message = match &account {
        Some(a) => format!(
            "syncing account {a:?} crashed it ({why}); that account is set aside (an account polled for events until you test it again: cairn account test {a}, or the Accounts screen; an SMTP account's mailbox until Cairn starts again), the others go on"
        ),
        None => why.clone(),
    };
    tracing::error!(task = "poller", %message, "{title}");
    let db = cfg.db_path.clone();
    let now = cfg.clock.now();
    let (m, name) = (message.clone(), account.clone());
    let watch2 = watch.clone();
    let done = tokio::task::spawn_blocking(move || -> Result<(), ConnectorError> {
        let mut store = Store::open(&db)?;
        if let Some(name) = &name {
            let a = store.account(name)?;
            let reason = if a.kind == AccountKind::Smtp {
                format!("Cairn crashed while reading this account's mailbox ({why}); its mail still goes out, the mailbox is read again when Cairn starts again")
            } else {
                format!("Cairn crashed while syncing this account ({why}); test it again to resume")
            };
            // An SMTP account's mailbox: "error", so its mail keeps going.
            let status = if a.kind == AccountKind::Smtp {
                watch2
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .set_aside
                    .insert(a.name.to_lowercase());
                AccountStatus::Error
            } else {
                AccountStatus::NeedsAttention
            };
            store.set_account_status(&a.name, status, Some(&reason), now)?;
        }
        store.record_executor_fault("poller", title, &m, now)?;
        Ok(())
    })
    .await;
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "could not record the poller's fault"),
        Err(e) => tracing::error!("could not record the poller's fault: {e}"),
    }
    if let Some(w) = &cfg.waker {
        w.fault("poller", format!("{title}: {message}"));
    }
}

async fn poll_loop(
    mut store: Store,
    syncer: Syncer,
    cfg: PollerConfig,
    mut stop: watch::Receiver<bool>,
    wake: Arc<Notify>,
    reports: broadcast::Sender<SyncReport>,
    watch: Arc<Mutex<Watch>>,
) {
    let mut warned: HashSet<String> = HashSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        let accounts = match store.accounts() {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "the poller could not read the accounts");
                vec![]
            }
        };
        let mut next: Option<Timestamp> = None;
        for account in accounts
            .iter()
            .filter(|a| crate::provider::of_account(a).is_some())
        {
            if *stop.borrow() {
                break;
            }
            if watch
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .set_aside
                .contains(&account.name.to_lowercase())
            {
                continue;
            }
            let now = cfg.clock.now();
            if is_due(account, now) {
                watch.lock().unwrap_or_else(|e| e.into_inner()).current =
                    Some(account.name.clone());
                if let Some(p) = &cfg.probe {
                    p(account);
                }
                let report = syncer.sync(&mut store, account).await;
                watch.lock().unwrap_or_else(|e| e.into_inner()).current = None;
                if report.new > 0
                    && let Some(w) = &cfg.waker
                {
                    w.wake();
                }
                if let Some(t) = report.next_poll_at {
                    next = Some(next.map_or(t, |n| n.min(t)));
                }
                let _ = reports.send(report);
            } else if account.status == AccountStatus::NeedsAttention {
                warn_when_stale(&mut store, account, now, &mut warned);
            } else if let Some(t) = account.next_poll_at {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        let sleep = nap(next, cfg.clock.now(), cfg.idle_check);
        tokio::select! {
            _ = stop.changed() => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

/// An account that waits for the user, unpolled for longer than its
/// provider keeps events, says so once (a tracing warning and its status
/// message), without losing the reason it needs attention.
fn warn_when_stale(
    store: &mut Store,
    account: &cairn_store::accounts::Account,
    now: Timestamp,
    warned: &mut HashSet<String>,
) {
    let Some(w) = staleness(account, now) else {
        return;
    };
    let already = account
        .status_message
        .as_deref()
        .is_some_and(|m| m.contains("keeps events for"));
    if already || !warned.insert(account.name.to_lowercase()) {
        return;
    }
    tracing::warn!(account = %account.name, "{w}");
    let message = match &account.status_message {
        Some(m) => format!("{m}; {w}"),
        None => w,
    };
    if let Err(e) = store.set_account_status(&account.name, account.status, Some(&message), now) {
        tracing::warn!(account = %account.name, error = %e, "could not record the staleness warning");
    }
}
