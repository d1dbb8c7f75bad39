//! The data folder is private to the user the service runs as (issue 8, finding 9).
//!
//! It holds the SQLite database (credentials, the sealed keys, the register), the
//! key-encryption key file and the first admin token. Whatever the process's umask:
//!
//! - a new folder is created with mode 0700; an existing one that group or others may access
//!   is refused at start, with the `chmod` that fixes it (the service does not loosen or
//!   silently change what an administrator set up, and a folder that was open may have been
//!   copied already: refusing makes someone look);
//! - the SQLite file is created empty with mode 0600 before SQLite opens it, so its `-wal`
//!   and `-shm` files get the same mode (SQLite creates them with the database file's
//!   permissions); database files left with wider modes by an earlier version are narrowed
//!   to their owner's bits;
//! - `kek` and `initial-admin-token` are written 0600 by [`crate::crypto::write_private_file`].
//!
//! On platforms without Unix modes only the folder is created.

use std::path::{Path, PathBuf};

use crate::service::StartError;

/// Mode of the data folder.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file in it.
pub const FILE_MODE: u32 = 0o600;

/// Create the data folder (mode 0700) or check that an existing one is private, then create
/// or narrow the SQLite files of `database_url` if it names a file.
pub fn prepare(data_dir: &Path, database_url: &str) -> Result<(), StartError> {
    let io = |what: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| StartError::Io { what, path, source }
    };
    if data_dir.exists() {
        check_private(data_dir)?;
    } else {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(DIR_MODE);
        }
        builder
            .create(data_dir)
            .map_err(io("creating the data folder", data_dir))?;
    }
    if let Some(db) = sqlite_file(database_url) {
        private_database(&db).map_err(io("making the database private:", &db))?;
    }
    Ok(())
}

/// Refuse a data folder that group or others may read, write or enter.
fn check_private(data_dir: &Path) -> Result<(), StartError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(data_dir).map_err(|source| StartError::Io {
            what: "reading the data folder",
            path: data_dir.to_path_buf(),
            source,
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StartError::DataDirNotPrivate {
                path: data_dir.to_path_buf(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = data_dir;
    Ok(())
}

/// The file a `sqlite://` URL names (`None` for PostgreSQL and in-memory databases).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Create the database file empty with mode 0600 if absent (SQLite takes an empty file as a
/// new database); narrow an existing one and its `-wal`, `-shm` and `-journal` files.
fn private_database(db: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(db)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            let path = PathBuf::from(name);
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o700))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = db;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_file_of_urls() {
        assert_eq!(
            sqlite_file("sqlite:///tmp/x/vpass.db"),
            Some(PathBuf::from("/tmp/x/vpass.db"))
        );
        assert_eq!(
            sqlite_file("sqlite://data/vpass.db?mode=rwc"),
            Some(PathBuf::from("data/vpass.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}
