//! How the window's web view paints on a machine without a GPU.
//!
//! WebKitGTK (2.46 and later) rasterises pages with Skia on the GPU. On a
//! Linux machine with no GPU (no DRM render node: a VM, a headless box, a
//! remote desktop) that "GPU" is Mesa's llvmpipe, which emulates the GPU on
//! the CPU, and the canvas editor pays for it: opening a 500-node workflow
//! took about 1.1 s to become interactive (docs/BENCHMARKS.md), most of it
//! one frame rasterised through llvmpipe. Skia's own CPU rasteriser paints
//! the same frame in a fraction of that, so without a render node the app
//! asks WebKit for it (`WEBKIT_SKIA_ENABLE_CPU_RENDERING=1`).
//!
//! Why not `WEBKIT_DISABLE_COMPOSITING_MODE=1`, which is faster still: with
//! compositing off, WebKit's WebDriver screenshot of a page that has not
//! changed since its last paint never returns (the end-to-end tests hung on
//! one), and compositing is what the rest of the suite and every user with
//! a GPU run on. CPU rasterisation changes only who paints the tiles.
//!
//! A value the user set for the variable stands, whatever it is.

use std::path::Path;

/// WebKitGTK's switch from GPU (here: emulated) to CPU rasterisation.
pub const SKIA_CPU_RENDERING: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

/// Where Linux lists DRM devices; a GPU that can render has a `renderD*` node.
pub const DRI_DIR: &str = "/dev/dri";

/// Whether the app should ask for CPU rasterisation: only when the user has
/// not chosen either way and `dri_dir` holds no render node.
pub fn wants_cpu_rasterising(user_choice: Option<&std::ffi::OsStr>, dri_dir: &Path) -> bool {
    user_choice.is_none() && !has_render_node(dri_dir)
}

/// Whether `dri_dir` holds a DRM render node (`renderD128`, …). A missing or
/// unreadable directory holds none.
pub fn has_render_node(dri_dir: &Path) -> bool {
    std::fs::read_dir(dri_dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Asks WebKit for CPU rasterisation when the machine has no GPU. Returns
/// whether it did, for the log. Must run before any thread starts (it sets
/// an environment variable) and before the web view is created (WebKit's web
/// process inherits the environment when it is spawned).
pub fn choose_before_threads() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let chosen = wants_cpu_rasterising(
        std::env::var_os(SKIA_CPU_RENDERING).as_deref(),
        Path::new(DRI_DIR),
    );
    if chosen {
        // SAFETY: called first thing in `run`, while the process has one
        // thread, so nothing reads the environment concurrently.
        unsafe { std::env::set_var(SKIA_CPU_RENDERING, "1") };
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn a_machine_without_a_render_node_paints_on_the_cpu() {
        let dri = tempfile::tempdir().unwrap();
        // A card node alone (a display without a render-capable GPU) is not enough.
        std::fs::write(dri.path().join("card0"), b"").unwrap();
        assert!(!has_render_node(dri.path()));
        assert!(wants_cpu_rasterising(None, dri.path()));
        // No /dev/dri at all: the usual VM.
        assert!(wants_cpu_rasterising(None, &dri.path().join("missing")));
    }

    #[test]
    fn a_gpu_or_the_users_own_choice_leaves_webkit_alone() {
        let dri = tempfile::tempdir().unwrap();
        std::fs::write(dri.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dri.path()));
        assert!(!wants_cpu_rasterising(None, dri.path()));

        let empty = tempfile::tempdir().unwrap();
        assert!(!wants_cpu_rasterising(Some(OsStr::new("0")), empty.path()));
        assert!(!wants_cpu_rasterising(Some(OsStr::new("1")), empty.path()));
    }
}
