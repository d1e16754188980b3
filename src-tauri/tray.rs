//! The tray icon: Cairn's presence while its window is closed.
//!
//! Its menu says how many runs are waiting and how many failed lately, and
//! offers Open, Pause all / Resume all, and Quit (which stops the executor
//! cleanly through the exit handler in `lib.rs`). The counts are re-read
//! from the database (`Store::background_summary`) at most every two
//! seconds while run changes arrive, and once a minute regardless (failures
//! age out of "the last 24 hours"). What the menu says is a pure function,
//! [`tray_text`], tested without a tray.
//!
//! On Linux the icon is an AppIndicator: desktops without a status-notifier
//! host (GNOME without its extension) show no icon; starting Cairn again
//! then brings the window back (single instance).

use std::sync::Mutex;
use std::time::Duration;

use cairn_model::{Clock, SystemClock};
use cairn_store::incidents::BackgroundSummary;
use serde::Serialize;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager, Wry};

use crate::background::BackgroundHandle;
use crate::{AppState, CommandError, window};

/// Told to the window whenever the tray's counts are re-read, and after
/// "Pause all" / "Resume all".
pub const BACKGROUND_EVENT: &str = "cairn://background";

/// What the toggle item does when clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToggleAction {
    PauseAll,
    ResumeAll,
    Nothing,
}

/// Everything the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayText {
    /// The first (disabled) menu line.
    pub status: String,
    pub tooltip: String,
    pub toggle_label: String,
    pub toggle: ToggleAction,
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The tray's words for a summary. `running` is false when this app's
/// executor is not running (`cairn run` holds the database, or it failed);
/// `outbox_held` is true after a restore, until "Resume all".
pub fn tray_text(s: &BackgroundSummary, running: bool, outbox_held: bool) -> TrayText {
    let mut parts = vec![
        format!("{} waiting", plural(s.waiting_runs, "run", "runs")),
        format!("{} failed in 24 h", s.failed_runs_24h),
    ];
    if outbox_held {
        parts.push("sending held since a restore".into());
    }
    if !s.open_incidents.is_empty() {
        parts.push(plural(s.open_incidents.len() as u64, "problem", "problems"));
    }
    let status = if running {
        parts.join(" · ")
    } else {
        format!("Not running workflows · {}", parts.join(" · "))
    };
    let (toggle_label, toggle) = if outbox_held {
        // After a restore: "Resume all" starts the paused workflows and
        // releases the held outbox, whatever else is active.
        (
            match s.paused_by_pause_all {
                0 => "Resume sending".to_string(),
                n => format!("Resume all workflows ({n}) and sending"),
            },
            ToggleAction::ResumeAll,
        )
    } else if s.active_workflows > 0 {
        (
            format!("Pause all workflows ({} active)", s.active_workflows),
            ToggleAction::PauseAll,
        )
    } else if s.paused_by_pause_all > 0 {
        (
            format!("Resume all workflows ({})", s.paused_by_pause_all),
            ToggleAction::ResumeAll,
        )
    } else {
        ("Pause all workflows".to_string(), ToggleAction::Nothing)
    };
    TrayText {
        tooltip: format!("Cairn — {status}"),
        status,
        toggle_label,
        toggle,
    }
}

/// The live tray, kept in the app's state for refreshes.
pub struct Tray {
    icon: TrayIcon<Wry>,
    status: MenuItem<Wry>,
    toggle: MenuItem<Wry>,
    action: Mutex<ToggleAction>,
}

/// Builds the tray icon and its menu, and starts keeping its counts fresh.
/// A desktop without a tray only loses the icon: the error is logged.
pub fn install(app: &AppHandle) {
    match build(app) {
        Ok(tray) => {
            app.manage(tray);
            watch(app.clone());
        }
        Err(e) => tracing::warn!("no tray icon: {e}"),
    }
}

fn build(app: &AppHandle) -> tauri::Result<Tray> {
    let status = MenuItem::with_id(app, "status", "Cairn", false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Cairn", true, None::<&str>)?;
    let toggle = MenuItem::with_id(app, "toggle", "Pause all workflows", false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Cairn", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &toggle,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("cairn")
        .menu(&menu)
        .tooltip("Cairn")
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => window::show_main(app),
            "toggle" => toggle_clicked(app.clone()),
            "quit" => {
                tracing::info!("quit from the tray");
                app.exit(0);
            }
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                window::show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let icon = builder.build(app)?;
    Ok(Tray {
        icon,
        status,
        toggle,
        action: Mutex::new(ToggleAction::Nothing),
    })
}

fn toggle_clicked(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let action = app
            .try_state::<Tray>()
            .map(|t| *t.action.lock().unwrap_or_else(|e| e.into_inner()))
            .unwrap_or(ToggleAction::Nothing);
        let db = app.state::<AppState>().database();
        let done = db
            .with_store(move |s| {
                let now = SystemClock.now();
                Ok(match action {
                    ToggleAction::PauseAll => Some(s.pause_all(now)?),
                    ToggleAction::ResumeAll => Some(s.resume_all(now)?),
                    ToggleAction::Nothing => None,
                })
            })
            .await;
        match done {
            Ok(Some(report)) => {
                tracing::info!(?action, changed = ?report.changed, left = ?report.left, "from the tray");
                // Resumed runs may have timers due: look now.
                app.state::<BackgroundHandle>().wake();
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(code = %e.code, "the tray could not {action:?}: {}", e.message)
            }
        }
        refresh(&app).await;
    });
}

/// Reads the counts and updates the tray; tells the window too.
pub async fn refresh(app: &AppHandle) {
    let running = app.state::<BackgroundHandle>().is_running();
    let (summary, outbox_held) = match summary(app).await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(code = %e.code, "tray counts unavailable: {}", e.message);
            return;
        }
    };
    let text = tray_text(&summary, running, outbox_held);
    if let Some(tray) = app.try_state::<Tray>() {
        let _ = tray.status.set_text(&text.status);
        let _ = tray.toggle.set_text(&text.toggle_label);
        let _ = tray
            .toggle
            .set_enabled(text.toggle != ToggleAction::Nothing);
        let _ = tray.icon.set_tooltip(Some(&text.tooltip));
        *tray.action.lock().unwrap_or_else(|e| e.into_inner()) = text.toggle;
    }
    let _ = app.emit(BACKGROUND_EVENT, &summary);
}

/// The counts, and whether the outbox is held after a restore.
async fn summary(app: &AppHandle) -> Result<(BackgroundSummary, bool), CommandError> {
    app.state::<AppState>()
        .database()
        .with_store(|s| {
            Ok((
                s.background_summary(SystemClock.now())?,
                s.outbox_held_since()?.is_some(),
            ))
        })
        .await
}

/// Keeps the counts fresh: after run changes (at most every two seconds)
/// and every minute. Follows the executor across restarts (a restore).
fn watch(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        refresh(&app).await;
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut since_full = 0u32;
        let mut dirty = false;
        let mut changes = app.state::<BackgroundHandle>().subscribe();
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    since_full += 1;
                    if dirty || since_full >= 30 {
                        refresh(&app).await;
                        dirty = false;
                        since_full = 0;
                    }
                    if changes.is_none() {
                        changes = app.state::<BackgroundHandle>().subscribe();
                    }
                }
                r = next(&mut changes) => match r {
                    Ok(_) | Err(RecvError::Lagged(_)) => dirty = true,
                    Err(RecvError::Closed) => {
                        changes = None;
                        dirty = true;
                    }
                },
            }
        }
    });
}

async fn next(
    rx: &mut Option<tokio::sync::broadcast::Receiver<cairn_engine::Change>>,
) -> Result<cairn_engine::Change, tokio::sync::broadcast::error::RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_store::incidents::{Incident, IncidentKind};

    fn summary(waiting: u64, failed: u64, active: u64, paused_by_all: u64) -> BackgroundSummary {
        BackgroundSummary {
            waiting_runs: waiting,
            failed_runs_24h: failed,
            active_workflows: active,
            paused_by_pause_all: paused_by_all,
            open_incidents: vec![],
        }
    }

    #[test]
    fn the_menu_counts_waiting_runs_and_failures() {
        let t = tray_text(&summary(3, 1, 2, 0), true, false);
        assert_eq!(t.status, "3 runs waiting · 1 failed in 24 h");
        assert_eq!(t.tooltip, "Cairn — 3 runs waiting · 1 failed in 24 h");
        assert_eq!(t.toggle, ToggleAction::PauseAll);
        assert_eq!(t.toggle_label, "Pause all workflows (2 active)");
        assert_eq!(
            tray_text(&summary(1, 0, 1, 0), true, false).status,
            "1 run waiting · 0 failed in 24 h"
        );
    }

    #[test]
    fn after_pause_all_the_toggle_resumes() {
        let t = tray_text(&summary(0, 0, 0, 2), true, false);
        assert_eq!(t.toggle, ToggleAction::ResumeAll);
        assert_eq!(t.toggle_label, "Resume all workflows (2)");
        let t = tray_text(&summary(0, 0, 0, 0), true, false);
        assert_eq!(t.toggle, ToggleAction::Nothing);
    }

    #[test]
    fn after_a_restore_the_toggle_resumes_workflows_and_sending() {
        let t = tray_text(&summary(5, 0, 0, 2), true, true);
        assert_eq!(
            t.status,
            "5 runs waiting · 0 failed in 24 h · sending held since a restore"
        );
        assert_eq!(t.toggle, ToggleAction::ResumeAll);
        assert_eq!(t.toggle_label, "Resume all workflows (2) and sending");
        // No workflow was active in the backup: only sending waits.
        let t = tray_text(&summary(0, 0, 0, 0), true, true);
        assert_eq!(t.toggle, ToggleAction::ResumeAll);
        assert_eq!(t.toggle_label, "Resume sending");
    }

    #[test]
    fn problems_and_a_stopped_executor_are_said() {
        let mut s = summary(0, 4, 1, 0);
        s.open_incidents.push(Incident {
            id: 1,
            kind: IncidentKind::ErrorRate,
            subject: "1".into(),
            title: "“Welcome” is failing".into(),
            message: String::new(),
            opened_at: chrono::DateTime::UNIX_EPOCH,
            notified_at: None,
            closed_at: None,
        });
        let t = tray_text(&s, false, false);
        assert_eq!(
            t.status,
            "Not running workflows · 0 runs waiting · 4 failed in 24 h · 1 problem"
        );
    }
}
