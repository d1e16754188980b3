//! The Cairn desktop shell: a thin Tauri layer over the Tauri-free core.
//!
//! Everything Cairn knows and does lives in `crates/` (model, store, engine,
//! effects, connectors), which never depend on Tauri. This crate only
//! - finds the database ([`database_path`]) and sets up logging ([`logging`]),
//! - holds the [`AppState`] every command reads,
//! - exposes [`commands`]: each extracts state, calls one core function and
//!   turns the core's error into a [`CommandError`] `{code, message}`,
//! - starts background work in [`setup`].
//!
//! Keeping the shell this thin is what lets the CLI and the tests call the
//! same core functions the window does.

pub mod alerts;
pub mod background;
#[cfg(test)]
mod bindings;
pub mod commands;
pub mod error;
pub mod logging;
pub mod painting;
pub mod state;
pub mod tray;
pub mod window;

use std::ffi::OsString;
use std::path::PathBuf;

pub use error::CommandError;
pub use state::{AppState, Database};

/// The environment variable that overrides where the database lives. The
/// end-to-end tests point it at a temporary file.
pub const DB_ENV: &str = "CAIRN_DB";

/// The database the app opens: `$CAIRN_DB` when set and not empty, else the
/// platform default (`~/.local/share/cairn/cairn.db` on Linux).
pub fn database_path(from_env: Option<OsString>) -> Result<PathBuf, CommandError> {
    match from_env {
        Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
        _ => Ok(cairn_store::default_path()?),
    }
}

/// Runs the desktop app until its last window closes.
pub fn run() {
    // First: it sets an environment variable, which is only sound while the
    // process has one thread.
    let cpu_painting = painting::choose_before_threads();
    let db_path = match database_path(std::env::var_os(DB_ENV)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cairn: {}", e.message);
            std::process::exit(1);
        }
    };
    logging::keep_new_files_private();
    // Held until `run` returns so the last log lines reach the file.
    let _log = logging::init(&logging::directory_for(&db_path));
    tracing::info!(version = env!("CARGO_PKG_VERSION"), db = %db_path.display(), "starting Cairn");
    if cpu_painting {
        tracing::info!(
            "no GPU render node in {}: WebKit rasterises on the CPU ({}=1)",
            painting::DRI_DIR,
            painting::SKIA_CPU_RENDERING
        );
    }

    let context = tauri::generate_context!();
    let single_instance =
        tauri_plugin_single_instance::Builder::new().callback(window::on_second_instance);
    // One app per database: on Linux a D-Bus name keyed by the database path,
    // so an app over another database runs beside it. (The plugin has no
    // such key on macOS and Windows: one app per user session there.)
    #[cfg(target_os = "linux")]
    let single_instance =
        single_instance.dbus_id(window::instance_id(&context.config().identifier, &db_path));
    let state = AppState::new(db_path);
    // Create or migrate the database now, so a problem shows in the log at
    // once. The app still opens: every command meets the same error and the
    // UI shows its code and message instead of an empty window.
    if let Err(e) = state.database().open() {
        tracing::error!(code = %e.code, "cannot open the database: {}", e.message);
    }

    let background = background::BackgroundHandle::default();
    let app = tauri::Builder::default()
        // First, so a second start hands over before anything else runs.
        .plugin(single_instance.build())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args([window::BACKGROUND_ARG])
                .build(),
        )
        .on_window_event(window::on_window_event)
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .manage(background.clone())
        .invoke_handler(tauri::generate_handler![
            commands::workflows::list_workflows,
            commands::workflows::list_workflow_overviews,
            commands::workflows::create_workflow,
            commands::workflows::get_workflow,
            commands::workflows::workflow_catalog,
            commands::workflows::validate_workflow,
            commands::workflows::save_workflow,
            commands::workflows::workflow_report,
            commands::workflows::set_workflow_status,
            commands::workflows::forecast_workflow,
            commands::workflows::duplicate_workflow,
            commands::workflows::delete_workflow,
            commands::workflows::import_workflow_file,
            commands::workflows::export_workflow_file,
            commands::contacts::list_contacts,
            commands::contacts::count_contacts,
            commands::contacts::list_tags,
            commands::contacts::list_fields,
            commands::contacts::get_contact,
            commands::contacts::add_contact,
            commands::contacts::update_contact,
            commands::contacts::import_contacts_csv,
            commands::contacts::list_pipelines,
            commands::contacts::contact_deals,
            commands::contacts::set_deal_stage,
            commands::contacts::create_deal,
            commands::pipelines::board_deals,
            commands::pipelines::add_pipeline,
            commands::pipelines::rename_pipeline,
            commands::pipelines::add_stage,
            commands::pipelines::rename_stage,
            commands::pipelines::move_stage,
            commands::pipelines::delete_stage,
            commands::pipelines::pipeline_usage,
            commands::contacts::list_courses,
            commands::contacts::contact_enrollments,
            commands::contacts::set_course_access,
            commands::contacts::contact_events,
            commands::contacts::contact_runs,
            commands::contacts::run_steps,
            commands::contacts::contact_erased_at,
            commands::contacts::contact_consent,
            commands::contacts::erasure_preview,
            commands::contacts::erase_contact,
            commands::contacts::export_contact,
            commands::contacts::bulk_contacts,
            commands::contacts::export_contacts_csv,
            commands::contacts::preview_contacts_csv,
            commands::test_runs::start_test_run,
            commands::test_runs::skip_test_wait,
            commands::test_runs::get_test_run,
            commands::retries::failed_runs,
            commands::retries::retry_run,
            commands::retries::retry_failed_runs,
            commands::test_runs::workflow_node_counts,
            commands::accounts::list_accounts,
            commands::accounts::add_smtp_account,
            commands::accounts::add_webhook_account,
            commands::accounts::add_slack_account,
            commands::accounts::add_source_account,
            commands::accounts::test_account,
            commands::accounts::sync_account,
            commands::accounts::remove_account,
            commands::accounts::linked_courses,
            commands::accounts::link_course,
            commands::email_templates::list_email_templates,
            commands::email_templates::save_email_template,
            commands::email_templates::preview_email,
            commands::settings::get_settings,
            commands::settings::save_sender_defaults,
            commands::activity::recent_events,
            commands::activity::recent_runs,
            commands::housekeeping::background_status,
            commands::housekeeping::pause_all_workflows,
            commands::housekeeping::resume_all_workflows,
            commands::housekeeping::database_stats,
            commands::housekeeping::set_retention_days,
            commands::housekeeping::maintain_database,
            commands::housekeeping::backup_database,
            commands::housekeeping::inspect_backup,
            commands::housekeeping::restore_database,
            commands::housekeeping::alert_policy,
            commands::housekeeping::set_alert_policy,
            commands::housekeeping::autostart_enabled,
            commands::housekeeping::set_autostart,
            commands::templates::list_templates,
            commands::templates::template_workflow,
            commands::templates::use_template,
            commands::analytics::workflow_analytics,
            commands::analytics::analytics_overview,
            commands::analytics::declare_split_winner,
            commands::watch::workflow_watches,
            commands::watch::workflow_watch,
            commands::watch::workflow_drift,
            commands::watch::workflow_experience,
        ])
        .setup(setup)
        .build(context);
    let app = match app {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("the app could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(move |_app, event| {
        if let tauri::RunEvent::Exit = event {
            background.stop();
        }
    });
}

/// Runs once the app is built, before the window shows: starts the
/// executor and the poller over the app's database (stopped on exit). When
/// they cannot start (the database is unusable) the window still opens and
/// shows the error; the log says why.
fn setup(app: &mut tauri::App) -> Result<(), Box<dyn std::error::Error>> {
    use tauri::Manager;
    let db = app.state::<AppState>().database();
    let handle = app.state::<background::BackgroundHandle>().inner().clone();
    if let Err(e) = handle.start(db.path(), app.handle()) {
        tracing::error!(code = %e.code, "the executor could not start: {}", e.message);
    }
    // The tray, and desktop notifications of incidents.
    tray::install(app.handle());
    alerts::start(app.handle());
    if window::starts_hidden(std::env::args()) {
        if let Some(w) = app.get_webview_window(window::MAIN) {
            let _ = w.hide();
        }
        tracing::info!("started at login: running in the tray");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_the_database_path() {
        let p = database_path(Some(OsString::from("/tmp/x/cairn.db"))).unwrap();
        assert_eq!(p, PathBuf::from("/tmp/x/cairn.db"));
    }

    #[test]
    fn an_empty_override_means_the_default_location() {
        let p = database_path(Some(OsString::new())).unwrap();
        assert_eq!(p, cairn_store::default_path().unwrap());
        assert!(p.ends_with("cairn/cairn.db"), "{}", p.display());
    }
}
