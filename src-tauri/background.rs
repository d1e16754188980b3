//! What runs while the app is open: the executor (engine loop and outbox
//! dispatcher) and the poller for connected accounts, over the app's
//! database with the system clock.
//!
//! Run and step changes are forwarded to the window as `cairn://change`
//! events (the canvas lights nodes up from them). Desktop notifications from
//! workflows go to the operating system through tauri-plugin-notification
//! and, so they are seen even where no notification service runs, to the
//! window as `cairn://notice`.

use std::path::Path;
use std::sync::{Arc, Mutex};

use cairn_connectors::{Poller, PollerConfig};
use cairn_effects::{Effects, Notifier, Vault};
use cairn_engine::executor::Waker;
use cairn_engine::{Change, Executor, ExecutorConfig};
use cairn_model::effect::DesktopNotice;
use cairn_model::{Clock, SystemClock};
use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::NotificationExt;

use crate::CommandError;

/// The window event carrying an engine [`Change`].
pub const CHANGE_EVENT: &str = "cairn://change";
/// The window event carrying a [`DesktopNotice`].
pub const NOTICE_EVENT: &str = "cairn://notice";

/// Shows workflow notifications on the desktop and in the window.
struct AppNotifier {
    app: AppHandle,
}

impl Notifier for AppNotifier {
    fn notify(&self, notice: &DesktopNotice) -> Result<(), String> {
        let shown = self
            .app
            .notification()
            .builder()
            .title(&notice.title)
            .body(&notice.body)
            .show()
            .map_err(|e| e.to_string());
        let told = self
            .app
            .emit(NOTICE_EVENT, notice)
            .map_err(|e| e.to_string());
        match (shown, told) {
            (Err(a), Err(b)) => Err(format!("{a}; and the window could not be told: {b}")),
            (Err(e), Ok(())) => {
                tracing::warn!("desktop notification shown in the window only: {e}");
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The background work of a running app.
pub struct Background {
    executor: Executor,
    poller: Option<Poller>,
}

/// A handle commands use to wake the executor after writing events.
#[derive(Default, Clone)]
pub struct BackgroundHandle {
    waker: Arc<Mutex<Option<Waker>>>,
    running: Arc<Mutex<Option<Background>>>,
}

impl BackgroundHandle {
    /// Something was written that the executor should look at now.
    pub fn wake(&self) {
        if let Some(w) = self
            .waker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            w.wake();
        }
    }

    /// Whether the executor is running.
    pub fn is_running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Starts the executor and the poller on Tauri's runtime.
    pub fn start(&self, db: &Path, app: &AppHandle) -> Result<(), CommandError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let vault = Vault::from_env()?;
        let notifier = Arc::new(AppNotifier { app: app.clone() });
        let effects = Effects::open(db, vault.clone(), notifier)?;
        let rt = tauri::async_runtime::handle();
        let rt = rt.inner();
        let mut config = ExecutorConfig::new(db, clock.clone(), Some(Arc::new(effects)));
        config.holder = cairn_store::lock::holder_name("the Cairn app");
        let executor = Executor::start_on(rt, config)?;
        let waker = executor.waker();
        let poller =
            match Poller::start_on(rt, PollerConfig::new(db, vault, clock, Some(waker.clone()))) {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::error!("connected accounts will not be polled: {e}");
                    None
                }
            };
        let mut changes = executor.subscribe();
        let app = app.clone();
        rt.spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match changes.recv().await {
                    Ok(c) => {
                        let _ = app.emit(CHANGE_EVENT, &c);
                    }
                    Err(RecvError::Lagged(n)) => {
                        tracing::debug!(missed = n, "the window missed some run changes");
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        });
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(waker);
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Background { executor, poller });
        tracing::info!("executor and poller started");
        Ok(())
    }

    /// Subscribes to run changes (for tests and the tray's counts).
    pub fn subscribe(&self) -> Option<tokio::sync::broadcast::Receiver<Change>> {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|b| b.executor.subscribe())
    }

    /// Stops both cleanly: a send in flight finishes and is recorded.
    pub fn stop(&self) {
        let taken = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(b) = taken {
            tauri::async_runtime::block_on(async move {
                if let Some(p) = b.poller {
                    p.shutdown().await;
                }
                b.executor.shutdown().await;
            });
            tracing::info!("executor and poller stopped");
        }
    }
}
