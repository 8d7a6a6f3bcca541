//! Modes of what Sésame keeps on disk (REST-02): the data folder and its
//! sub-folders owner-only (0700); the SQLite database (its `-wal` and
//! `-shm` take its mode), generated secrets and outbox `.eml` files
//! owner-only (0600), whatever the umask. In production a wider mode stops
//! the start, naming the path and its mode; in development it is narrowed
//! and logged.

use crate::config::{Config, Mode};
use std::path::{Path, PathBuf};

/// The folder the outbox transport writes to.
pub fn outbox_dir(config: &Config) -> PathBuf {
    if config.mail.outbox_dir.as_os_str().is_empty() {
        config.server.data_dir.join("outbox")
    } else {
        config.mail.outbox_dir.clone()
    }
}

/// A folder or file Sésame keeps private.
enum Kind {
    Dir,
    File,
}

/// Creates what is missing with owner-only modes, then checks (production)
/// or narrows (development) the modes of what exists. The error names every
/// path that is too open.
pub fn secure(config: &Config) -> Result<(), String> {
    let data = &config.server.data_dir;
    let outbox = outbox_dir(config);
    let mut dirs = vec![data.clone(), data.join("secrets")];
    if config.mail.transport == crate::config::MailTransport::Outbox {
        dirs.push(outbox.clone());
    }
    for d in &dirs {
        create_private_dir(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let mut paths: Vec<(PathBuf, Kind)> = dirs.into_iter().map(|d| (d, Kind::Dir)).collect();
    if let Some(db) = sqlite_path(&config.database.url) {
        if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        create_private_file(&db).map_err(|e| format!("{}: {e}", db.display()))?;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db.clone().into_os_string();
            p.push(suffix);
            paths.push((PathBuf::from(p), Kind::File));
        }
    }
    paths.extend(files_in(&data.join("secrets"), "key"));
    paths.extend(files_in(&outbox, "eml"));
    let production = config.server.mode == Mode::Production;
    let mut refused = Vec::new();
    for (path, kind) in paths {
        check(&path, &kind, production, &mut refused);
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(refused.join("\n"))
    }
}

/// Narrows an outbox file written by the mail transport to 0600.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    set_mode(path, 0o600)
}

fn files_in(dir: &Path, ext: &str) -> Vec<(PathBuf, Kind)> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == ext))
                .map(|p| (p, Kind::File))
                .collect()
        })
        .unwrap_or_default()
}

/// The file of an `sqlite://PATH` URL (none for PostgreSQL or memory).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let path = rest.trim_start_matches("//").split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_: &Path) -> Option<u32> {
    None
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

fn check(path: &Path, kind: &Kind, production: bool, refused: &mut Vec<String>) {
    let Some(mode) = mode_of(path) else {
        return;
    };
    // Security: nobody but the service's user may read the database, the
    // keys or the mails (REST-02).
    if mode & 0o077 == 0 {
        return;
    }
    let want = match kind {
        Kind::Dir => 0o700,
        Kind::File => 0o600,
    };
    if production {
        refused.push(format!(
            "{}: mode {mode:04o} lets other users in; production needs {want:04o} (chmod {want:o} {})",
            path.display(),
            path.display()
        ));
        return;
    }
    match set_mode(path, want) {
        Ok(()) => tracing::warn!(
            path = %path.display(),
            "mode {mode:04o} narrowed to {want:04o} (development; production refuses to start)"
        ),
        Err(e) => refused.push(format!(
            "{}: mode {mode:04o} lets other users in and cannot be narrowed: {e}",
            path.display()
        )),
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Creates an empty file 0600 unless it exists (SQLite then keeps that
/// mode, and gives it to its `-wal` and `-shm` files).
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
