//! Updating a trust-store folder from freshly downloaded documents: the checking and writing
//! half of `vpass trust sync` (the command does the downloading; this library never touches
//! the network).
//!
//! [`sync`] takes the trust list and the status lists as fetched, checks them exactly as
//! verification will ([`TrustStore::open`](crate::TrustStore::open)), and writes only what
//! passed:
//!
//! - the **root key** is pinned at the first sync (given by the operator, out of band) and
//!   never replaced by a downloaded document, except by the next root that a list signed by
//!   the pinned root announces (`nextRoot`, root rotation);
//! - a trust list older than the newest one seen (`sequence`) is refused (rollback), as is one
//!   that is expired or not signed by the pinned root: the folder is then left as it was;
//! - each status list must be named by the new trust list and signed by its office's key, and
//!   not be older than the copy already held; a list that fails is reported and its old copy
//!   kept, the others are written;
//! - every file is written to a temporary name and renamed, so a verifier reading the folder
//!   at the same time sees the old or the new file, never half of one.

use std::path::{Path, PathBuf};

use vpass_credential::keys::PublicKey;
use vpass_credential::status::verify_status_list_with_trust;
use vpass_credential::time::UnixTime;
use vpass_credential::trust::verify_trust_list;
use vpass_credential::{Code, Error};

use crate::store::{self, StoreError};

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The trust list's sequence number now held.
    pub sequence: u64,
    /// How many offices it names.
    pub offices: usize,
    /// The status-list URLs written.
    pub status_lists: Vec<String>,
    /// Status lists that were not written, with the reason (their old copies are kept).
    pub refused: Vec<(String, Error)>,
    /// The root key was pinned now (first sync).
    pub pinned: bool,
    /// The pinned root moved to the next root the list announced.
    pub root_rotated: bool,
}

/// Why a sync wrote nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The folder could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The folder could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// First sync without a root key to pin.
    #[error("no root key pinned in this trust store yet: give --root-key (the did:key from `vpass admin root-key`, obtained out of band)")]
    NoRoot,
    /// The given root key is not the one pinned at the first sync.
    #[error("the root key given ({given}) is not the one pinned in this trust store ({pinned}); a trust store keeps its first root (delete the folder to start over)")]
    RootMismatch {
        /// The pinned did:key.
        pinned: String,
        /// The given did:key.
        given: String,
    },
    /// The downloaded trust list was refused (bad signature, expired, rolled back, …).
    #[error("the trust list was refused: {0}")]
    TrustList(Error),
}

/// Check `trust_list` and `status_lists` (`(url, token)` as downloaded) at `now` and write what
/// passes into the trust-store folder `dir` (created if missing). `root` is the operator's
/// root key: required at the first sync, and if given later it must equal the pinned one.
pub fn sync(
    dir: &Path,
    root: Option<&PublicKey>,
    trust_list: &str,
    status_lists: &[(String, String)],
    now: UnixTime,
) -> Result<SyncReport, SyncError> {
    let root_path = dir.join("root-key");
    let pinned = if root_path.exists() {
        Some(store::read_root(&root_path)?)
    } else {
        None
    };
    let (pin, first) = match (&pinned, root) {
        (Some(p), Some(given)) if p != given => {
            return Err(SyncError::RootMismatch {
                pinned: p.did_key(),
                given: given.did_key(),
            })
        }
        (Some(p), _) => (p.clone(), false),
        (None, Some(given)) => (given.clone(), true),
        (None, None) => return Err(SyncError::NoRoot),
    };
    let mut state = store::read_state(dir)?;
    let list = verify_trust_list(trust_list.trim(), &pin, now, None)
        .and_then(|list| match state.trust_list_sequence {
            Some(seen) if list.sequence() < seen => Err(Error::value(
                Code::TrustlistRollback,
                "sequence",
                &list.sequence().to_string(),
            )),
            _ => Ok(list),
        })
        .map_err(SyncError::TrustList)?;

    let mut written = Vec::new();
    let mut refused = Vec::new();
    let mut files = Vec::new();
    for (url, token) in status_lists {
        let checked = verify_status_list_with_trust(token.trim(), &list, url, "revocation")
            .and_then(|l| {
                l.check_rollback(state.status_lists.get(url).copied().map(UnixTime))?;
                l.check_current(now)?;
                Ok(l)
            });
        match checked {
            Ok(l) => {
                state.status_lists.insert(url.clone(), l.valid_from.0);
                files.push((
                    dir.join("status").join(status_file_name(url)),
                    token.trim().to_owned(),
                ));
                written.push(url.clone());
            }
            Err(e) => refused.push((url.clone(), e)),
        }
    }
    state.trust_list_sequence = Some(list.sequence());

    std::fs::create_dir_all(dir.join("status")).map_err(|source| SyncError::Write {
        path: dir.join("status"),
        source,
    })?;
    let next_pin = list.root_to_pin().clone();
    let root_rotated = next_pin != pin;
    if first || root_rotated {
        write_atomically(&root_path, &format!("{}\n", next_pin.did_key()))?;
    }
    write_atomically(&dir.join("trust-list.jwt"), trust_list.trim())?;
    for (path, token) in &files {
        write_atomically(path, token)?;
    }
    let state_json = serde_json::to_string_pretty(&state).map_err(|e| SyncError::Write {
        path: dir.join("state.json"),
        source: std::io::Error::other(e),
    })?;
    write_atomically(&dir.join("state.json"), &state_json)?;
    Ok(SyncReport {
        sequence: list.sequence(),
        offices: list.offices().len(),
        status_lists: written,
        refused,
        pinned: first,
        root_rotated,
    })
}

/// A file name for a status-list URL: its host and path with every character outside
/// `[A-Za-z0-9.-]` replaced by `_`, so one URL always maps to the same file.
pub fn status_file_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let name: String = rest
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}.jwt")
}

fn write_atomically(path: &Path, text: &str) -> Result<(), SyncError> {
    let err = |source| SyncError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}
