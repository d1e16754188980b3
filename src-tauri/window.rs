//! The main window's life: closing it hides it (the executor keeps running,
//! reachable from the tray), starting Cairn again shows it, and a start at
//! login may begin hidden.
//!
//! "One instance" is per database: tauri-plugin-single-instance names its
//! D-Bus service after the app and a hash of the database path, so a second
//! `cairn-app` over the same file hands over to the first (which shows its
//! window and is told through [`SECOND_INSTANCE_EVENT`]) and exits, while an
//! app over another database (`CAIRN_DB`) runs beside it. Two apps over one
//! file could not both run their executor anyway (`cairn_store::lock`). On
//! macOS and Windows the plugin keys by the app alone.

#[cfg(target_os = "linux")]
use std::path::Path;

use tauri::{AppHandle, Emitter, Manager, Runtime, WindowEvent};

/// The label of the main window (tauri.conf.json).
pub const MAIN: &str = "main";

/// Told to the window when a second start handed over to this one.
pub const SECOND_INSTANCE_EVENT: &str = "cairn://second-instance";

/// The argument the login item passes: start in the tray, window hidden.
pub const BACKGROUND_ARG: &str = "--background";

/// Whether this start asked for no window (a start at login).
pub fn starts_hidden(args: impl IntoIterator<Item = String>) -> bool {
    args.into_iter().any(|a| a == BACKGROUND_ARG)
}

/// The D-Bus name of the single-instance service for the database at `db`:
/// `app.cairn.desktop.db_1a2b3c4d5e6f7a8b` (64-bit FNV-1a of the path; the
/// name only needs to differ between databases, not to be secret). Linux
/// only: on macOS and Windows the plugin keys the instance by the app's
/// identifier alone (docs/background.md).
#[cfg(target_os = "linux")]
pub fn instance_id(identifier: &str, db: &Path) -> String {
    let canonical = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in canonical.to_string_lossy().as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{identifier}.db_{hash:016x}")
}

/// Shows the main window and brings it to the front.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(MAIN) {
        let _ = w.show();
        let _ = w.unminimize();
        if let Err(e) = w.set_focus() {
            tracing::debug!("the window could not take the focus: {e}");
        }
    }
}

/// A second start of Cairn over this database: show the window.
pub fn on_second_instance<R: Runtime>(app: &AppHandle<R>, args: Vec<String>, _cwd: String) {
    tracing::info!("Cairn was started again; showing the window");
    show_main(app);
    let _ = app.emit_to(MAIN, SECOND_INSTANCE_EVENT, args);
}

/// Closing the main window hides it: the executor keeps running and the
/// tray's "Open" (or starting Cairn again) brings it back. "Quit" in the
/// tray ends the app.
pub fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event
        && window.label() == MAIN
    {
        api.prevent_close();
        if let Err(e) = window.hide() {
            tracing::warn!("could not hide the window: {e}");
        } else {
            tracing::info!("window closed; Cairn keeps running in the background");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn each_database_has_its_own_instance_name() {
        let a = instance_id("app.cairn.desktop", Path::new("/tmp/a/cairn.db"));
        let b = instance_id("app.cairn.desktop", Path::new("/tmp/b/cairn.db"));
        assert_ne!(a, b);
        assert_eq!(
            a,
            instance_id("app.cairn.desktop", Path::new("/tmp/a/cairn.db"))
        );
        // A valid D-Bus name: elements of [A-Za-z0-9_-], none starting with a digit.
        assert!(a.starts_with("app.cairn.desktop.db_"));
        assert_eq!(a.len(), "app.cairn.desktop.db_".len() + 16);
    }

    #[test]
    fn a_login_start_is_hidden() {
        assert!(starts_hidden(["cairn-app".into(), "--background".into()]));
        assert!(!starts_hidden(["cairn-app".into()]));
    }
}
