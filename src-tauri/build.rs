//! Build script of the app shell: embeds `tauri.conf.json`, the UI in
//! `ui/dist` and the capabilities, and declares which commands the app
//! exposes so that capabilities can grant them one by one.

/// Every `#[tauri::command]` the shell registers. Tauri turns each name into
/// an `allow-<name-with-dashes>` permission; a command missing here (or not
/// granted in `src-tauri/capabilities/`) is refused at run time with
/// "not allowed by ACL". Add new commands here and to the capability.
const COMMANDS: &[&str] = &["list_workflows"];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        // `{:#}` prints the whole cause chain, e.g. a missing `ui/dist`.
        panic!("tauri build step failed: {error:#}");
    }
}
