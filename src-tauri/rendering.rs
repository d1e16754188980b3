//! How the window's web view paints on Linux.
//!
//! WebKitGTK composites the page in layers. With a GPU that work is the
//! GPU's; without one (a virtual machine, a remote desktop, Xvfb) WebKit
//! composites in software, and that costs more than it saves. Measured on
//! the 500-node editor under Xvfb (docs/BENCHMARKS.md, "Editor"): the web
//! process spent 2.4 s of CPU per open and kept 330 MiB more memory with
//! compositing, 1.4 s and 66 MiB without; a 10-node workflow opened in
//! 0.43 s instead of 0.9 s.
//!
//! So on a machine with no DRM render node (`/dev/dri/renderD*`, what a GPU
//! driver provides) the app asks WebKit to paint without compositing
//! (`WEBKIT_DISABLE_COMPOSITING_MODE=1`), unless the user set the variable
//! either way. Machines with a GPU keep WebKit's default.

/// The variable WebKitGTK reads at start.
pub const COMPOSITING_VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Whether to turn compositing off: only when the user said nothing and
/// there is no GPU to composite on.
pub fn disable_compositing(user_set: bool, has_render_node: bool) -> bool {
    !user_set && !has_render_node
}

/// Whether a DRM render node exists under `dev_dri` (`/dev/dri`).
pub fn has_render_node(dev_dri: &std::path::Path) -> bool {
    std::fs::read_dir(dev_dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Applies the choice to this process's environment. Call first thing in
/// `main`, before any thread starts (setting a variable is not
/// thread-safe) and before WebKit reads it. Returns whether it turned
/// compositing off, for the log.
pub fn prefer_plain_painting_without_gpu() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let user_set = std::env::var_os(COMPOSITING_VAR).is_some();
    if !disable_compositing(user_set, has_render_node(std::path::Path::new("/dev/dri"))) {
        return false;
    }
    // SAFETY: called at the start of `run`, while the process has one
    // thread: nothing reads the environment concurrently.
    unsafe { std::env::set_var(COMPOSITING_VAR, "1") };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_goes_off_only_without_a_gpu_and_without_the_users_word() {
        assert!(disable_compositing(false, false));
        assert!(
            !disable_compositing(false, true),
            "a GPU keeps WebKit's default"
        );
        assert!(!disable_compositing(true, false), "the user's setting wins");
        assert!(!disable_compositing(true, true));
    }

    #[test]
    fn a_render_node_is_found_by_its_name() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dir.path()), "empty /dev/dri");
        assert!(
            !has_render_node(&dir.path().join("missing")),
            "no /dev/dri at all"
        );
        std::fs::write(dir.path().join("card0"), "").unwrap();
        assert!(
            !has_render_node(dir.path()),
            "a card alone is not a render node"
        );
        std::fs::write(dir.path().join("renderD128"), "").unwrap();
        assert!(has_render_node(dir.path()));
    }
}
