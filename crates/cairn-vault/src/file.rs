//! The secrets file: the explicit, headless alternative to the OS keyring.
//!
//! A JSON object of lower-cased account name to secret. It is refused when
//! anyone but its owner may read or write it (any of the group/other mode
//! bits set), because then it would be a secret in the open. Writes go to a
//! fresh temporary file beside it, created with `O_EXCL` and mode 0600 (a
//! file or symbolic link already at that name is never reused or followed),
//! fsynced, renamed over it, and the folder fsynced, under an advisory lock
//! on a `.lock` file next to it: two Cairn processes cannot lose each
//! other's changes, and a crash leaves the old file or the new one, never
//! half of one. A folder created for it gets mode 0700.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use cairn_model::Sensitive;

use crate::{Result, VaultError};

fn err(path: &Path, reason: impl Into<String>) -> VaultError {
    VaultError::SecretsFile {
        path: path.display().to_string(),
        reason: reason.into(),
        source: None,
    }
}

/// "`what`: `e`", keeping the I/O error as the source.
fn io_err(path: &Path, what: impl std::fmt::Display, e: std::io::Error) -> VaultError {
    VaultError::SecretsFile {
        path: path.display().to_string(),
        reason: format!("{what}: {e}"),
        source: Some(e),
    }
}

/// Refuses a file that others may read. A missing file is fine: the first
/// write creates it with mode 0600.
pub(crate) fn check(path: &Path) -> Result<()> {
    match fs::metadata(path) {
        Ok(meta) => {
            if !meta.is_file() {
                return Err(err(path, "is not a regular file"));
            }
            check_mode(path, &meta)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(path, "cannot be read", e)),
    }
}

#[cfg(unix)]
fn check_mode(path: &Path, meta: &fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(VaultError::LoosePermissions {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path, _meta: &fs::Metadata) -> Result<()> {
    // Windows has no mode bits; the file inherits its folder's ACL.
    Ok(())
}

fn read(path: &Path) -> Result<BTreeMap<String, String>> {
    check(path)?;
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(io_err(path, "cannot be read", e)),
    };
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    // The parser's message may quote the text around a syntax error, which
    // could be a secret: only its position is kept.
    let map: BTreeMap<String, serde_json::Value> = serde_json::from_str(&text).map_err(|e| {
        err(
            path,
            format!(
                "is not a JSON object of account name to secret (error at line {} column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut out = BTreeMap::new();
    for (k, v) in map {
        match v {
            serde_json::Value::String(s) => {
                out.insert(k.trim().to_lowercase(), s);
            }
            _ => {
                return Err(err(
                    path,
                    format!("the value for account {k:?} must be a string (the secret)"),
                ));
            }
        }
    }
    Ok(out)
}

pub(crate) fn get(path: &Path, key: &str) -> Result<Option<Sensitive<String>>> {
    Ok(read(path)?.remove(key).map(Sensitive::new))
}

/// Sets (`Some`) or removes (`None`) one secret. Returns whether the account
/// had a secret before.
pub(crate) fn set(path: &Path, key: &str, secret: Option<&Sensitive<String>>) -> Result<bool> {
    let _lock = lock(path)?;
    let mut map = read(path)?;
    let had = match secret {
        Some(s) => map.insert(key.to_string(), s.expose().clone()).is_some(),
        None => map.remove(key).is_some(),
    };
    if secret.is_none() && !had {
        return Ok(false);
    }
    let mut text = serde_json::to_string_pretty(&map).map_err(|e| err(path, e.to_string()))?;
    text.push('\n');
    let (tmp, mut f) = fresh_temp(path)?;
    let written = f
        .write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| io_err(path, format_args!("cannot write {}", tmp.display()), e))
        .and_then(|()| fs::rename(&tmp, path).map_err(|e| io_err(path, "cannot replace it", e)));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    sync_dir(path).map_err(|e| io_err(path, "cannot sync its folder", e))?;
    Ok(had)
}

/// A new temporary file beside `path`, created with `O_EXCL` and mode 0600.
fn fresh_temp(path: &Path) -> Result<(PathBuf, File)> {
    for attempt in 0..100u32 {
        let tmp = sibling(path, &format!(".tmp-{}-{attempt}", std::process::id()));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(io_err(
                    path,
                    format_args!("cannot write {}", tmp.display()),
                    e,
                ));
            }
        }
    }
    Err(err(path, "cannot find a free temporary name beside it"))
}

/// Fsyncs the folder of `path`, so the rename into it survives a crash.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Creates `dir` and its missing parents, the new ones with mode 0700.
fn create_dir_private(dir: &Path) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Holds an exclusive advisory lock on `<file>.lock` until dropped.
fn lock(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        create_dir_private(dir).map_err(|e| io_err(path, "cannot create its folder", e))?;
    }
    let lock_path = sibling(path, ".lock");
    let f = create_private(&lock_path)
        .map_err(|e| io_err(path, format_args!("cannot open {}", lock_path.display()), e))?;
    f.lock()
        .map_err(|e| io_err(path, format_args!("cannot lock {}", lock_path.display()), e))?;
    Ok(f)
}

fn create_private(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Vault;

    #[test]
    fn round_trips_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conf/secrets.json");
        let vault = Vault::secrets_file(&path).unwrap();
        assert!(vault.find("gmail").unwrap().is_none());
        vault
            .set("Gmail", &Sensitive::new("pw-1".to_string()))
            .unwrap();
        vault
            .set(
                "slack",
                &Sensitive::new("https://hooks.example/x".to_string()),
            )
            .unwrap();
        assert_eq!(vault.get("gmail").unwrap().expose(), "pw-1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("conf"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o700, "the folder made for it");
            // A symbolic link planted at a temporary name is not followed,
            // and no temporary file is left behind.
            let target = dir.path().join("elsewhere");
            fs::write(&target, "keep").unwrap();
            std::os::unix::fs::symlink(
                &target,
                sibling(&path, &format!(".tmp-{}-0", std::process::id())),
            )
            .unwrap();
            vault.set("x", &Sensitive::new("y".to_string())).unwrap();
            assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
            let mut names: Vec<String> = fs::read_dir(dir.path().join("conf"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| *n != format!("secrets.json.tmp-{}-0", std::process::id()))
                .collect();
            names.sort();
            assert_eq!(names, ["secrets.json", "secrets.json.lock"]);
            assert!(vault.delete("x").unwrap());
        }
        assert!(vault.delete("GMAIL").unwrap());
        assert!(!vault.delete("gmail").unwrap());
        assert!(vault.find("gmail").unwrap().is_none());
        assert_eq!(
            vault.get("slack").unwrap().expose(),
            "https://hooks.example/x"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        fs::write(&path, r#"{"gmail": "pw"}"#).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let e = Vault::secrets_file(&path).unwrap_err();
        assert_eq!(e.code(), "secrets_file_permissions");
        let msg = e.to_string();
        assert!(
            msg.contains("mode 0644") && msg.contains("chmod 600"),
            "{msg}"
        );
        // Loosened after opening: refused at the next read too.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let vault = Vault::secrets_file(&path).unwrap();
        assert_eq!(vault.get("gmail").unwrap().expose(), "pw");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(
            vault.get("gmail").unwrap_err().code(),
            "secrets_file_permissions"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_broken_file_is_named_without_quoting_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        fs::write(&path, "{\"gmail\": \"sup3r-secret").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let e = Vault::secrets_file(&path)
            .unwrap()
            .get("gmail")
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("line 1"), "{msg}");
        assert!(!msg.contains("sup3r"), "{msg}");
    }
}
