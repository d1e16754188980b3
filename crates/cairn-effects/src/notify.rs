//! Desktop notifications. Showing one is the app's business (it has the
//! window and `tauri-plugin-notification`); this crate only defines the
//! seam, so the senders stay free of any UI toolkit, and a logging
//! implementation for `cairn run`, which has no desktop to show it on.

use cairn_model::effect::DesktopNotice;

/// Shows a desktop notification. Implemented by the app; an error says why
/// it could not be shown (the send then fails with it).
pub trait Notifier: Send + Sync + 'static {
    fn notify(&self, notice: &DesktopNotice) -> Result<(), String>;
}

/// Writes each notice to the log (an `info` event with target
/// `cairn_effects::notify`): what `cairn run` does instead of a popup.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogNotifier;

impl Notifier for LogNotifier {
    fn notify(&self, notice: &DesktopNotice) -> Result<(), String> {
        tracing::info!(title = %notice.title, body = %notice.body, "desktop notification");
        Ok(())
    }
}
