//! Files only the user can read.
//!
//! The database, its WAL, backups, logs, exports and the headless secrets
//! file hold the user's customers: on Unix they are created with mode 0600
//! and the folders Cairn creates for them with 0700, whatever the umask.
//! (SQLite creates the `-wal` and `-shm` files with the mode of the
//! database file, so creating that one right is enough.) Elsewhere the
//! functions fall back to the platform's defaults: Windows gives a user's
//! profile folders to that user already.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Creates `dir` and its missing parents; the ones created here get mode
/// 0700. An existing folder is left as it is (it may be the user's own,
/// shared one, such as the folder of a `--db` path they chose).
pub fn create_dir_private(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_private(parent)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            other => other,
        }
    }
    #[cfg(not(unix))]
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

/// Opens `path` for writing as a new file (`O_EXCL`: an existing file or a
/// symbolic link planted there is an error, never followed) with mode 0600.
pub fn create_new(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Narrows an existing file to mode 0600 (a database made by an older
/// Cairn under a loose umask). A missing file is fine.
pub fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// A temporary name beside `path` that no one else uses: the process id
/// and a counter, created with `O_EXCL` by the caller.
pub fn temp_beside(path: &Path, attempt: u32) -> PathBuf {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".tmp-{}-{attempt}", std::process::id()));
    dir.join(name)
}

/// Writes `bytes` to `path` atomically and durably, readable by the user
/// only: a fresh temporary file (`O_EXCL`, 0600) is written and fsynced,
/// renamed over `path`, and the folder fsynced, so a crash leaves either
/// the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        create_dir_private(dir)?;
    }
    let (tmp, mut f) = {
        let mut attempt = 0;
        loop {
            let tmp = temp_beside(path, attempt);
            match create_new(&tmp) {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    };
    let written = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(path)
}

/// Fsyncs the folder holding `path`, so a rename in it is durable. A no-op
/// where folders cannot be opened (Windows).
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Writes a new file (an export) readable by the user only; an existing
/// file at `path` is replaced atomically.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic(path, bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_folders_made_here_are_the_users_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let f = dir.path().join("a/b/export.json");
        write_atomic(&f, b"{}").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"{}");
        assert_eq!(mode(&f), 0o600);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        // The folder that existed is not changed.
        assert_eq!(mode(dir.path()), 0o755);
        // Replacing keeps the mode and leaves no temporary file behind.
        write_atomic(&f, b"{\"x\":1}").unwrap();
        assert_eq!(mode(&f), 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a/b"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["export.json"]);
        // A loose file is narrowed.
        let loose = dir.path().join("loose");
        std::fs::write(&loose, b"x").unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
        restrict(&loose).unwrap();
        assert_eq!(mode(&loose), 0o600);
        // A symbolic link planted at the temporary name is not followed.
        let target = dir.path().join("target");
        std::fs::write(&target, b"keep").unwrap();
        std::os::unix::fs::symlink(&target, temp_beside(&f, 0)).unwrap();
        write_atomic(&f, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
    }
}
