//! Build script of the app shell: embeds `tauri.conf.json`, the UI in
//! `ui/dist` and the capabilities, and declares which commands the app
//! exposes so that capabilities can grant them one by one.

/// Every `#[tauri::command]` the shell registers. Tauri turns each name into
/// an `allow-<name-with-dashes>` permission; a command missing here (or not
/// granted in `src-tauri/capabilities/`) is refused at run time with
/// "not allowed by ACL". Add new commands here and to the capability.
const COMMANDS: &[&str] = &[
    "list_workflows",
    "list_workflow_overviews",
    "create_workflow",
    "get_workflow",
    "workflow_catalog",
    "validate_workflow",
    "save_workflow",
    "workflow_report",
    "set_workflow_status",
    "duplicate_workflow",
    "delete_workflow",
    "import_workflow_file",
    "export_workflow_file",
    "list_contacts",
    "count_contacts",
    "list_tags",
    "list_fields",
    "define_field",
    "get_contact",
    "add_contact",
    "update_contact",
    "import_contacts_csv",
    "list_pipelines",
    "contact_deals",
    "set_deal_stage",
    "create_deal",
    "list_courses",
    "contact_enrollments",
    "set_course_access",
    "contact_events",
    "contact_runs",
    "run_steps",
    "contact_erased_at",
    "contact_consent",
    "erasure_preview",
    "erase_contact",
    "export_contact",
    "bulk_contacts",
    "export_contacts_csv",
    "preview_contacts_csv",
    "start_test_run",
    "skip_test_wait",
    "get_test_run",
    "failed_runs",
    "retry_run",
    "retry_failed_runs",
    "workflow_node_counts",
    "list_accounts",
    "add_smtp_account",
    "add_webhook_account",
    "add_slack_account",
    "add_source_account",
    "test_account",
    "sync_account",
    "remove_account",
    "list_email_templates",
    "save_email_template",
    "preview_email",
    "get_settings",
    "sender_defaults",
    "save_sender_defaults",
    "recent_events",
    "recent_runs",
    "background_status",
    "pause_all_workflows",
    "resume_all_workflows",
    "database_stats",
    "set_retention_days",
    "maintain_database",
    "backup_database",
    "inspect_backup",
    "restore_database",
    "alert_policy",
    "set_alert_policy",
    "autostart_enabled",
    "set_autostart",
    "list_templates",
    "template_workflow",
    "use_template",
    "workflow_analytics",
    "analytics_overview",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        // `{:#}` prints the whole cause chain, e.g. a missing `ui/dist`.
        panic!("tauri build step failed: {error:#}");
    }
}
