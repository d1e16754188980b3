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

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use cairn_engine::executor::Waker;
use cairn_model::{Clock, Timestamp};
use cairn_store::Store;
use cairn_store::accounts::AccountStatus;
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
        }
    }
}

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
        let task = rt.spawn(poll_loop(
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

async fn poll_loop(
    mut store: Store,
    syncer: Syncer,
    cfg: PollerConfig,
    mut stop: watch::Receiver<bool>,
    wake: Arc<Notify>,
    reports: broadcast::Sender<SyncReport>,
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
            let now = cfg.clock.now();
            if is_due(account, now) {
                let report = syncer.sync(&mut store, account).await;
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
