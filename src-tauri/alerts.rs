//! Desktop notifications for incidents: a workflow that starts failing, an
//! account that needs attention. Once a minute the app asks the store what
//! is newly wrong (`Store::review_incidents`, where the decision lives and
//! is tested), shows each on the desktop (tauri-plugin-notification) and in
//! the window (`cairn://notice`, for desktops without a notification
//! service), then records it as shown. One notification per incident, not
//! per failure; none again after a restart.

use std::time::Duration;

use cairn_model::effect::DesktopNotice;
use cairn_model::{Clock, SystemClock};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::background::NOTICE_EVENT;
use crate::{AppState, tray};

/// How often incidents are reviewed, and how soon after start.
const EVERY: Duration = Duration::from_secs(60);
const FIRST_AFTER: Duration = Duration::from_secs(5);

/// Starts the review loop on Tauri's runtime (it ends with the process).
pub fn start(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(FIRST_AFTER).await;
        loop {
            review(&app).await;
            tokio::time::sleep(EVERY).await;
        }
    });
}

/// One review: open and close incidents, show the new ones.
pub async fn review(app: &AppHandle) {
    let db = app.state::<AppState>().database();
    let due = db
        .with_store(|s| Ok(s.review_incidents(SystemClock.now())?))
        .await;
    let due = match due {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(code = %e.code, "could not review incidents: {}", e.message);
            return;
        }
    };
    if due.is_empty() {
        return;
    }
    for incident in due {
        let notice = DesktopNotice {
            title: format!("Cairn: {}", incident.title),
            body: incident.message.clone(),
        };
        if let Err(e) = app
            .notification()
            .builder()
            .title(&notice.title)
            .body(&notice.body)
            .show()
        {
            tracing::warn!("desktop notification shown in the window only: {e}");
        }
        let _ = app.emit(NOTICE_EVENT, &notice);
        tracing::info!(kind = incident.kind.as_str(), subject = %incident.subject, "incident: {}", incident.title);
        let id = incident.id;
        if let Err(e) = db
            .with_store(move |s| Ok(s.mark_notified(id, SystemClock.now())?))
            .await
        {
            tracing::warn!(code = %e.code, "could not record a shown notification: {}", e.message);
        }
    }
    tray::refresh(app).await;
}
