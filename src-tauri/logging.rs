//! Logging: to stderr and to a daily-rotated file beside the database.
//!
//! A desktop app has no terminal most of the time, so what happened must be
//! findable afterwards: `logs/cairn.<date>.log` next to the database file
//! (`~/.local/share/cairn/logs/` by default), keeping the last
//! [`KEEP_FILES`] days. Putting the logs beside the database means a test
//! that points `CAIRN_DB` at a temporary directory also keeps its logs there.
//!
//! The filter reads `RUST_LOG` (for example `RUST_LOG=debug` or
//! `RUST_LOG=info,cairn_store=debug`); the default is `info`. Secrets never
//! reach a log line: they travel as `Sensitive<T>`, whose Debug and Display
//! print `<redacted>`.
//!
//! Log lines name contacts, so on Unix the log folder is the user's only
//! (mode 0700, narrowed at each start) and the files in it are narrowed to
//! 0600 at each start, and the app's umask is 077
//! ([`keep_new_files_private`]), so a file the appender rotates into at
//! midnight is created 0600 too (the appender has no mode of its own).

use std::path::{Path, PathBuf};

use tracing::Subscriber;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// From now on, files and folders this process creates are its user's
/// alone (Unix umask 077): the log file rotated into at midnight, and
/// anything else a library creates with the default mode. Cairn's own
/// files are created private explicitly as well.
pub fn keep_new_files_private() {
    #[cfg(unix)]
    // SAFETY: umask(2) only swaps the process's file-mode mask; it cannot
    // fail and touches no memory of ours.
    unsafe {
        libc::umask(0o077);
    }
}

/// How many daily log files are kept.
pub const KEEP_FILES: usize = 14;

/// The log directory for a database at `db_path`.
pub fn directory_for(db_path: &Path) -> PathBuf {
    match db_path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("logs"),
        _ => PathBuf::from("logs"),
    }
}

/// Keeps the file writer flushing; drop it last.
#[must_use = "dropping the guard stops writing the log file"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber. If the log file cannot be opened the
/// app still starts, logging to stderr only, and says why.
pub fn init(dir: &Path) -> LogGuard {
    let filter = filter_from(std::env::var("RUST_LOG").ok().as_deref());
    match subscriber(filter.clone(), dir) {
        Ok((subscriber, guard)) => {
            if subscriber.try_init().is_err() {
                eprintln!(
                    "cairn: a logger was already installed; not logging to {}",
                    dir.display()
                );
            }
            LogGuard {
                _writer: Some(guard),
            }
        }
        Err(e) => {
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
                .try_init();
            tracing::warn!(
                "cannot write log files in {}: {e}; logging to stderr only",
                dir.display()
            );
            LogGuard { _writer: None }
        }
    }
}

/// The filter for a `RUST_LOG`-style directive; a bad one is reported and
/// replaced by the default rather than silently ignored.
pub fn filter_from(directives: Option<&str>) -> EnvFilter {
    match directives {
        Some(d) if !d.trim().is_empty() => EnvFilter::try_new(d).unwrap_or_else(|e| {
            eprintln!("cairn: ignoring RUST_LOG={d:?} ({e}); using \"info\"");
            EnvFilter::new("info")
        }),
        _ => EnvFilter::new("info"),
    }
}

/// The subscriber writing to stderr and to the rotating file in `dir`.
pub fn subscriber(
    filter: EnvFilter,
    dir: &Path,
) -> Result<(impl Subscriber + Send + Sync + 'static, WorkerGuard), std::io::Error> {
    cairn_store::private_file::create_dir_private(dir)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("cairn")
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(std::io::Error::other)?;
    make_private(dir)?;
    let (file, guard) = tracing_appender::non_blocking(appender);
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(file),
        );
    Ok((subscriber, guard))
}

/// Narrows the log folder to 0700 and the files in it to 0600 (Unix).
fn make_private(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        for entry in std::fs::read_dir(dir)? {
            let p = entry?.path();
            if p.is_file() {
                cairn_store::private_file::restrict(&p)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_land_in_a_file_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let logs = directory_for(&dir.path().join("cairn.db"));
        assert_eq!(logs, dir.path().join("logs"));

        let (subscriber, guard) = subscriber(filter_from(Some("info")), &logs).unwrap();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(workflow = "Welcome", "activated");
            tracing::debug!("below the filter");
        });
        drop(guard); // flushes the writer thread

        let files: Vec<_> = std::fs::read_dir(&logs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("cairn.") && name.ends_with(".log"),
            "{name}"
        );
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(
            text.contains("activated") && text.contains("workflow=\"Welcome\""),
            "{text}"
        );
        assert!(!text.contains("below the filter"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&logs), 0o700);
            assert_eq!(mode(&files[0]), 0o600);
        }
    }

    /// What the appender does at rotation: a plain create with the default
    /// mode, after the app has narrowed its umask.
    #[cfg(unix)]
    #[test]
    fn a_file_created_after_start_is_the_users_alone() {
        use std::os::unix::fs::PermissionsExt;
        keep_new_files_private();
        let dir = tempfile::tempdir().unwrap();
        let rotated = dir.path().join("cairn.2026-12-08.log");
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&rotated)
            .unwrap();
        let sub = dir.path().join("logs");
        std::fs::create_dir(&sub).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&rotated), 0o600);
        assert_eq!(mode(&sub), 0o700);
    }

    #[test]
    fn a_bad_filter_falls_back_to_info() {
        let f = filter_from(Some("cairn=loud"));
        assert_eq!(f.to_string(), "info");
    }
}
