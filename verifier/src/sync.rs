//! Updating a trust-store folder from freshly downloaded documents: the checking and writing
//! half of `vpass trust sync` (the command does the downloading; this library never touches
//! the network).
//!
//! A sync runs in three steps, so that nothing a downloaded document names is fetched before
//! that document was verified, and status lists are handled one at a time:
//!
//! 1. [`begin`] checks the trust list (and the root chain offered with it) against the folder:
//!    - the **root key** is pinned at the first sync (given by the operator, out of band) and
//!      never replaced; a root rotation (`nextRoot`) is followed through the **root chain**
//!      kept in `trust-list.jwt` (each rotation list signed by the previous root), so the
//!      stored lists always verify from the first pinned root, and a verifier that missed a
//!      rotation catches up through the chain the publisher serves;
//!    - a trust list with a lower `sequence` than the one held, or the same sequence and other
//!      content, is refused (`TRUSTLIST_ROLLBACK`), as is one that is expired or not signed by
//!      the root the chain ends at: the folder is then left as it was.
//! 2. [`Pending::status_list_urls`] names the status lists of the *verified* list;
//!    [`Pending::add_status_list`] checks each as it arrives (named by the new list, signed by
//!    its office's key, not older than the copy held, and of the same time only if it is the
//!    same document) and stages it in a temporary file; a list that fails is reported and its
//!    old copy kept.
//! 3. [`Pending::commit`] moves everything into place. Every file is written to a temporary
//!    name, flushed (`fsync`), renamed, and the folder flushed, in an order that leaves a
//!    folder that opens and verifies after a crash at any point: the trust list first (it
//!    verifies with the old state and old status lists), then the status lists, then
//!    `state.json`; at the first sync `root-key` comes last, so a folder with a root key is
//!    complete.

use std::path::{Path, PathBuf};

use vpass_credential::keys::PublicKey;
use vpass_credential::status::verify_status_list_with_trust;
use vpass_credential::time::UnixTime;
use vpass_credential::trust::{verify_root_rotation, VerifiedTrustList};
use vpass_credential::{Code, Error};

use crate::store::{self, State, StoreError};

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
    /// The root that signs the following lists changed (a rotation list was accepted).
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

/// The pinned root and the root chain already in the folder.
struct Held {
    pinned: PublicKey,
    first: bool,
    links: Vec<String>,
    roots: Vec<PublicKey>,
    last_link: Option<u64>,
    state: State,
}

fn held(dir: &Path, root: Option<&PublicKey>) -> Result<Held, SyncError> {
    let root_path = dir.join("root-key");
    let stored = if root_path.exists() {
        Some(store::read_root(&root_path)?)
    } else {
        None
    };
    let (pinned, first) = match (stored, root) {
        (Some(p), Some(given)) if p != *given => {
            return Err(SyncError::RootMismatch {
                pinned: p.did_key(),
                given: given.did_key(),
            })
        }
        (Some(p), _) => (p, false),
        (None, Some(given)) => (given.clone(), true),
        (None, None) => return Err(SyncError::NoRoot),
    };
    let list_path = dir.join("trust-list.jwt");
    let mut links = Vec::new();
    if !first && list_path.exists() {
        let text = store::read_capped(&list_path, store::MAX_STORED_TRUST_LIST)?;
        let (stored_links, current) = store::split_lines(&text).map_err(SyncError::TrustList)?;
        links = stored_links.iter().map(|l| (*l).to_owned()).collect();
        // The current list belongs to the chain when it rotates the root.
        if verify_root_rotation(current, &chain_end(&pinned, &links)?).is_ok() {
            links.push(current.to_owned());
        }
    }
    let link_refs: Vec<&str> = links.iter().map(String::as_str).collect();
    let (roots, last_link) =
        store::follow_chain(&pinned, &link_refs).map_err(SyncError::TrustList)?;
    let state = if first {
        State::default()
    } else {
        store::read_state(dir)?
    };
    Ok(Held {
        pinned,
        first,
        links,
        roots,
        last_link,
        state,
    })
}

fn chain_end(pinned: &PublicKey, links: &[String]) -> Result<PublicKey, SyncError> {
    let refs: Vec<&str> = links.iter().map(String::as_str).collect();
    let (roots, _) = store::follow_chain(pinned, &refs).map_err(SyncError::TrustList)?;
    Ok(roots.last().unwrap_or(pinned).clone())
}

/// Whether `trust_list` (as downloaded, not yet verified) is signed by a root other than the
/// one the folder's chain ends at (or `root` at the first sync): then the publisher's root
/// chain is needed to reach it. Read unverified only to decide whether to fetch the chain.
pub fn needs_chain(
    dir: &Path,
    root: Option<&PublicKey>,
    trust_list: &str,
) -> Result<bool, SyncError> {
    let held = held(dir, root)?;
    let current = held.roots.last().unwrap_or(&held.pinned).did_key();
    let signer = vpass_credential::jose::parse_with_limit(
        trust_list.trim(),
        vpass_credential::limits::MAX_TRUST_LIST,
    )
    .ok()
    .and_then(|jws| serde_json::from_slice::<serde_json::Value>(&jws.unverified_payload).ok())
    .and_then(|p| p.get("root").and_then(|r| r.as_str()).map(str::to_owned));
    Ok(signer.is_some_and(|s| s != current))
}

/// A sync whose trust list was verified, collecting status lists (see the module doc).
#[derive(Debug)]
pub struct Pending {
    dir: PathBuf,
    pinned: PublicKey,
    first: bool,
    list: VerifiedTrustList,
    /// The new `trust-list.jwt`: chain links then the current list, one a line.
    lines: String,
    state: State,
    root_rotated: bool,
    now: UnixTime,
    /// (url, staged temporary file, final file).
    staged: Vec<(String, PathBuf, PathBuf)>,
    refused: Vec<(String, Error)>,
}

/// Step 1: verify `trust_list` (with the publisher's root chain `chain`, rotation lists
/// oldest first; empty when not fetched) against the folder `dir` at `now`. `root` is the
/// operator's root key: required at the first sync, and if given later it must equal the
/// pinned one. Nothing is written yet.
pub fn begin(
    dir: &Path,
    root: Option<&PublicKey>,
    trust_list: &str,
    chain: &[String],
    now: UnixTime,
) -> Result<Pending, SyncError> {
    let Held {
        pinned,
        first,
        mut links,
        mut roots,
        mut last_link,
        state,
    } = held(dir, root)?;
    let end_before = roots.last().unwrap_or(&pinned).clone();
    // Links the folder does not hold yet, each signed by the root reached so far; others
    // (older links, or links of a chain this store never followed) are skipped: trust comes
    // only from verified links.
    for link in chain.iter().take(vpass_credential::limits::MAX_ROOT_CHAIN) {
        let link = link.trim();
        let current = roots.last().unwrap_or(&pinned);
        if let Ok(rotation) = verify_root_rotation(link, current) {
            if last_link.is_none_or(|seq| rotation.sequence > seq) {
                last_link = Some(rotation.sequence);
                roots.push(rotation.next_root);
                links.push(link.to_owned());
            }
        }
    }
    let trust_list = trust_list.trim();
    let link_refs: Vec<&str> = links.iter().map(String::as_str).collect();
    let list = store::verify_current(&roots, &link_refs, last_link, trust_list, now)
        .and_then(|list| {
            state.check_trust_list(&list, trust_list)?;
            Ok(list)
        })
        .map_err(SyncError::TrustList)?;
    if links.len() > vpass_credential::limits::MAX_ROOT_CHAIN {
        return Err(SyncError::TrustList(Error::limit(
            Code::PayloadTooLarge,
            "root chain",
            vpass_credential::limits::MAX_ROOT_CHAIN,
            links.len(),
        )));
    }
    let mut lines: Vec<&str> = link_refs
        .iter()
        .copied()
        .filter(|l| *l != trust_list)
        .collect();
    lines.push(trust_list);
    let mut state = state;
    state.trust_list_sequence = Some(list.sequence());
    state.trust_list_digest = Some(vpass_credential::status::token_digest(trust_list));
    Ok(Pending {
        dir: dir.to_path_buf(),
        root_rotated: *list.root_to_pin() != end_before,
        now,
        pinned,
        first,
        list,
        lines: lines.join("\n") + "\n",
        state,
        staged: Vec::new(),
        refused: Vec::new(),
    })
}

impl Pending {
    /// The verified trust list.
    pub fn trust_list(&self) -> &VerifiedTrustList {
        &self.list
    }

    /// The status-list URLs the verified trust list names, sorted, each once.
    pub fn status_list_urls(&self) -> Vec<String> {
        let mut urls: Vec<String> = self
            .list
            .offices()
            .iter()
            .flat_map(|o| o.status_lists.iter().cloned())
            .collect();
        urls.sort();
        urls.dedup();
        urls
    }

    /// Step 2: check one downloaded status list and stage it. A list that fails the checks is
    /// recorded in the report (its old copy is kept); only writing can fail here.
    pub fn add_status_list(&mut self, url: &str, token: &str) -> Result<(), SyncError> {
        let token = token.trim();
        let checked =
            verify_status_list_with_trust(token, &self.list, url, "revocation").and_then(|l| {
                self.state.check_status_list(&l)?;
                l.check_current(self.now)?;
                Ok(l)
            });
        let list = match checked {
            Ok(l) => l,
            Err(e) => {
                self.refused.push((url.to_owned(), e));
                return Ok(());
            }
        };
        let status_dir = self.dir.join("status");
        std::fs::create_dir_all(&status_dir).map_err(|source| SyncError::Write {
            path: status_dir.clone(),
            source,
        })?;
        let path = status_dir.join(status_file_name(url));
        let tmp = path.with_extension("tmp");
        write_synced(&tmp, token)?;
        self.state.accept_status_list(&list);
        self.staged.retain(|(u, _, _)| u != url);
        self.staged.push((url.to_owned(), tmp, path));
        Ok(())
    }

    /// Record a status list that could not be fetched (its old copy is kept).
    pub fn refuse(&mut self, url: &str, error: Error) {
        self.refused.push((url.to_owned(), error));
    }

    /// The writes of step 3, in order (see the module doc for why this order).
    fn plan(&self) -> Result<Vec<Op>, SyncError> {
        let mut ops = vec![Op::Write(
            PathBuf::from("trust-list.jwt"),
            self.lines.clone(),
        )];
        for (_, tmp, path) in &self.staged {
            ops.push(Op::Rename(tmp.clone(), path.clone()));
        }
        let state_json =
            serde_json::to_string_pretty(&self.state).map_err(|e| SyncError::Write {
                path: self.dir.join("state.json"),
                source: std::io::Error::other(e),
            })?;
        ops.push(Op::Write(PathBuf::from("state.json"), state_json));
        if self.first {
            ops.push(Op::Write(
                PathBuf::from("root-key"),
                format!("{}\n", self.pinned.did_key()),
            ));
        }
        Ok(ops)
    }

    /// Step 3: move everything into place.
    pub fn commit(self) -> Result<SyncReport, SyncError> {
        std::fs::create_dir_all(&self.dir).map_err(|source| SyncError::Write {
            path: self.dir.clone(),
            source,
        })?;
        for op in self.plan()? {
            op.apply(&self.dir)?;
        }
        Ok(SyncReport {
            sequence: self.list.sequence(),
            offices: self.list.offices().len(),
            status_lists: self.staged.into_iter().map(|(url, _, _)| url).collect(),
            refused: self.refused,
            pinned: self.first,
            root_rotated: self.root_rotated,
        })
    }
}

/// Check `trust_list` and `status_lists` (`(url, token)` as downloaded) at `now` and write what
/// passes into the trust-store folder `dir` (created if missing): [`begin`] without a root
/// chain, [`Pending::add_status_list`] for each, [`Pending::commit`].
pub fn sync(
    dir: &Path,
    root: Option<&PublicKey>,
    trust_list: &str,
    status_lists: &[(String, String)],
    now: UnixTime,
) -> Result<SyncReport, SyncError> {
    sync_with_chain(dir, root, trust_list, &[], status_lists, now)
}

/// [`sync`] with the publisher's root chain (rotation lists, oldest first).
pub fn sync_with_chain(
    dir: &Path,
    root: Option<&PublicKey>,
    trust_list: &str,
    chain: &[String],
    status_lists: &[(String, String)],
    now: UnixTime,
) -> Result<SyncReport, SyncError> {
    let mut pending = begin(dir, root, trust_list, chain, now)?;
    for (url, token) in status_lists {
        pending.add_status_list(url, token)?;
    }
    pending.commit()
}

/// One write of a commit, relative to the folder (renames carry full paths).
#[derive(Debug)]
enum Op {
    Write(PathBuf, String),
    Rename(PathBuf, PathBuf),
}

impl Op {
    fn apply(&self, dir: &Path) -> Result<(), SyncError> {
        match self {
            Op::Write(name, text) => {
                let path = dir.join(name);
                let tmp = path.with_extension("tmp");
                write_synced(&tmp, text)?;
                rename_synced(&tmp, &path)
            }
            Op::Rename(from, to) => rename_synced(from, to),
        }
    }
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

/// Write `text` to `path` and flush it to disk.
fn write_synced(path: &Path, text: &str) -> Result<(), SyncError> {
    use std::io::Write;
    let err = |source| SyncError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::create(path).map_err(err)?;
    file.write_all(text.as_bytes()).map_err(err)?;
    file.sync_all().map_err(err)
}

/// Rename `from` to `to` and flush the folder, so the rename survives a crash.
fn rename_synced(from: &Path, to: &Path) -> Result<(), SyncError> {
    let err = |source| SyncError::Write {
        path: to.to_path_buf(),
        source,
    };
    std::fs::rename(from, to).map_err(err)?;
    sync_dir(to.parent().unwrap_or(Path::new("."))).map_err(err)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::TrustStore;
    use vpass_credential::keys::{Signer, SigningKey};
    use vpass_credential::status::{sign_status_list, StatusList};
    use vpass_credential::trust::{sign_trust_list, KeyState, Names, Office, OfficeKey, TrustList};

    const OFFICE: &str = "did:web:front-office.example:astana";
    const URL: &str = "http://front-office.example/status/1";
    const NOW: i64 = 1_795_000_000;

    /// A trust list naming the office keys `k1` up to `k{sequence}` (keys stay listed, as the
    /// issuer keeps retired keys).
    fn list(
        root: &SigningKey,
        keys: &[&SigningKey],
        sequence: u64,
        next: Option<String>,
    ) -> String {
        sign_trust_list(
            root,
            &TrustList {
                sequence,
                issued_at: UnixTime(NOW - 3_600),
                next_update: UnixTime(NOW + 86_400),
                root: root.public().did_key(),
                next_root: next,
                offices: vec![Office {
                    id: OFFICE.into(),
                    names: Names {
                        kk: "А".into(),
                        ru: "А".into(),
                        en: "A".into(),
                    },
                    region: None,
                    credential_types: vec!["VolunteerHoursCredential".into()],
                    keys: keys
                        .iter()
                        .enumerate()
                        .map(|(i, k)| OfficeKey {
                            kid: format!("{OFFICE}#k{}", i + 1),
                            jwk: k.public().to_jwk(),
                            valid_from: UnixTime(NOW - 86_400),
                            valid_until: None,
                            state: KeyState::Active,
                        })
                        .take(usize::try_from(sequence).unwrap())
                        .collect(),
                    status_lists: vec![URL.into()],
                }],
            },
        )
    }

    fn status(office: &SigningKey, revoked: &[u64], from: i64) -> String {
        let mut bits = StatusList::new(131_072).unwrap();
        for &i in revoked {
            bits.set(i, true).unwrap();
        }
        sign_status_list(
            office,
            OFFICE,
            URL,
            "revocation",
            &bits,
            UnixTime(from),
            UnixTime(from + 86_400),
        )
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &to.join(entry.file_name()));
            } else {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    }

    /// The folder after a crash following `k` writes of a commit: every path under `dir`
    /// moved to the copy.
    fn crashed_after(dir: &Path, ops: &[Op], k: usize, copy: &Path) {
        copy_dir(dir, copy);
        let rebase = |p: &Path| copy.join(p.strip_prefix(dir).unwrap_or(p));
        for op in ops.iter().take(k) {
            match op {
                Op::Write(name, text) => Op::Write(name.clone(), text.clone()),
                Op::Rename(a, b) => Op::Rename(rebase(a), rebase(b)),
            }
            .apply(copy)
            .unwrap();
        }
    }

    /// The status list of the store, checked as a verification would.
    fn revoked(dir: &Path, index: u64) -> bool {
        let store = TrustStore::open(dir, UnixTime(NOW)).unwrap();
        let Some(Ok(trust)) = store.trust_list() else {
            panic!("trust list refused: {:?}", store.trust_list());
        };
        let list = store
            .status_list(trust, URL, "revocation", UnixTime(NOW))
            .unwrap()
            .unwrap();
        list.list.get(index).unwrap()
    }

    #[test]
    fn r5_a_crash_at_any_point_of_a_sync_leaves_a_store_that_opens() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("trust");
        let r0 = SigningKey::from_seed(&[1; 32]);
        let r1 = SigningKey::from_seed(&[5; 32]);
        let k1 = SigningKey::from_seed(&[2; 32]).with_kid(format!("{OFFICE}#k1"));
        let k2 = SigningKey::from_seed(&[3; 32]).with_kid(format!("{OFFICE}#k2"));
        let k3 = SigningKey::from_seed(&[4; 32]).with_kid(format!("{OFFICE}#k3"));

        // First sync: until `root-key` is written the folder is no store; after, a whole one.
        let mut first = begin(
            &dir,
            Some(&r0.public()),
            &list(&r0, &[&k1], 1, None),
            &[],
            UnixTime(NOW),
        )
        .unwrap();
        first
            .add_status_list(URL, &status(&k1, &[7], NOW - 600))
            .unwrap();
        let ops = first.plan().unwrap();
        for k in 0..=ops.len() {
            let copy = tmp.path().join(format!("first-{k}"));
            crashed_after(&dir, &ops, k, &copy);
            if copy.join("root-key").exists() {
                assert!(revoked(&copy, 7), "after {k} writes");
            } else {
                assert!(TrustStore::open(&copy, UnixTime(NOW)).is_err());
            }
        }
        first.commit().unwrap();

        // Updates: a rotation list with a new office key, then a list from the new root.
        let updates = [
            (
                list(&r0, &[&k1, &k2], 2, Some(r1.public().did_key())),
                status(&k2, &[7, 8], NOW - 300),
            ),
            (
                list(&r1, &[&k1, &k2, &k3], 3, None),
                status(&k3, &[7, 8, 9], NOW - 100),
            ),
        ];
        for (n, (trust, token)) in updates.iter().enumerate() {
            let mut pending = begin(&dir, None, trust, &[], UnixTime(NOW)).unwrap();
            pending.add_status_list(URL, token).unwrap();
            let ops = pending.plan().unwrap();
            for k in 0..=ops.len() {
                let copy = tmp.path().join(format!("update-{n}-{k}"));
                crashed_after(&dir, &ops, k, &copy);
                assert!(revoked(&copy, 7), "update {n} after {k} writes");
            }
            pending.commit().unwrap();
            assert!(revoked(&dir, 8));
        }
    }
}
