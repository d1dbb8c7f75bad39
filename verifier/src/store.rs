//! Where the verifier's trust comes from: keys given directly, or a trust-store folder.
//!
//! A trust-store folder (written by `vpass trust sync`, or by hand) holds:
//!
//! ```text
//! root-key          the national root key pinned at the first sync: one did:key line; never
//!                   replaced (root rotation is followed through the chain below)
//! trust-list.jwt    the signed trust list (offices, their keys, types, status lists), one
//!                   JWS a line: first the root chain — the rotation lists, oldest first, each
//!                   signed by the previous root and naming the next (`nextRoot`) — and last
//!                   the current list, signed by the root the chain ends at (or, when it is
//!                   itself the latest rotation list, by the root before)
//! status/*.jwt      cached signed status-list credentials (any file names)
//! state.json        optional: what was accepted, so that older documents are refused:
//!                   {"trustListSequence": 7, "trustListDigest": "…",
//!                    "statusLists": {"https://…/status/1": 1780000000},
//!                    "statusListDigests": {"https://…/status/1": "…"}}
//! ```
//!
//! A digest is the base64url SHA-256 of the document's text: a trust list of the sequence
//! already held, or a status list of the time already held, must be that very document
//! (`TRUSTLIST_ROLLBACK`, `STATUS_ROLLBACK` otherwise).
//!
//! Opening the folder reads files only; problems with the *content* (a trust list that is
//! expired, rolled back or badly signed) are kept and reported in every verdict, so that an
//! officer sees "trust list expired" rather than a crash; problems with *reading* (missing
//! root key, unreadable files) are a [`StoreError`]: the verifier could not check at all.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vpass_credential::keys::PublicKey;
use vpass_credential::limits::{MAX_ROOT_CHAIN, MAX_STATUS_LIST_TOKEN, MAX_TRUST_LIST};
use vpass_credential::status::{token_digest, verify_status_list_with_trust, VerifiedStatusList};
use vpass_credential::time::UnixTime;
use vpass_credential::trust::{verify_root_rotation, verify_trust_list, VerifiedTrustList};
use vpass_credential::{json, Code, Error};

/// Why a trust store could not be used ("could not check", as opposed to a verdict).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file of the store could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A key given to the verifier is not a usable public key.
    #[error("not a usable key ({0}): give a did:key or a public JWK file")]
    BadKey(vpass_credential::Error),
    /// A file of the store is larger than any valid one.
    #[error("{0} is larger than any valid trust-store file")]
    TooLarge(PathBuf),
    /// `state.json` is not what `vpass trust sync` writes.
    #[error("{0} is not a valid trust-store state file")]
    BadState(PathBuf),
}

/// `state.json`: what the store has already accepted, so that older documents are refused.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct State {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) trust_list_sequence: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) trust_list_digest: Option<String>,
    #[serde(default)]
    pub(crate) status_lists: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) status_list_digests: BTreeMap<String, String>,
}

impl State {
    /// The trust list may replace the one held: its sequence is not lower, and an equal
    /// sequence is the very same document (`TRUSTLIST_ROLLBACK` otherwise; issue 8 #19).
    pub(crate) fn check_trust_list(
        &self,
        list: &VerifiedTrustList,
        text: &str,
    ) -> Result<(), Error> {
        match self.trust_list_sequence {
            Some(seen) if list.sequence() < seen => Err(Error::value(
                Code::TrustlistRollback,
                "sequence",
                &list.sequence().to_string(),
            )),
            Some(seen)
                if list.sequence() == seen
                    && self
                        .trust_list_digest
                        .as_deref()
                        .is_some_and(|d| d != token_digest(text)) =>
            {
                Err(Error::field_reason(
                    Code::TrustlistRollback,
                    "sequence",
                    "same sequence as the list held, other content",
                ))
            }
            _ => Ok(()),
        }
    }

    /// The status list may replace the one held for its URL (not older; same time, same
    /// document).
    pub(crate) fn check_status_list(&self, list: &VerifiedStatusList) -> Result<(), Error> {
        list.check_rollback(
            self.status_lists.get(&list.url).copied().map(UnixTime),
            self.status_list_digests.get(&list.url).map(String::as_str),
        )
    }

    /// Record an accepted status list.
    pub(crate) fn accept_status_list(&mut self, list: &VerifiedStatusList) {
        self.status_lists
            .insert(list.url.clone(), list.valid_from.0);
        self.status_list_digests
            .insert(list.url.clone(), list.digest.clone());
    }
}

/// The lines of a stored `trust-list.jwt`: the chain links and the current list.
pub(crate) fn split_lines(text: &str) -> Result<(Vec<&str>, &str), Error> {
    let mut lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let current = lines.pop().ok_or(Error::field_reason(
        Code::TrustlistInvalid,
        "token",
        "empty",
    ))?;
    if lines.len() > MAX_ROOT_CHAIN {
        return Err(Error::limit(
            Code::PayloadTooLarge,
            "root chain",
            MAX_ROOT_CHAIN,
            lines.len(),
        ));
    }
    Ok((lines, current))
}

/// Follow the root chain `links` from `pinned`: each link signed by the root reached so far,
/// with strictly increasing sequences. Returns the roots, `pinned` first, and the last
/// link's sequence.
pub(crate) fn follow_chain(
    pinned: &PublicKey,
    links: &[&str],
) -> Result<(Vec<PublicKey>, Option<u64>), Error> {
    let mut roots = vec![pinned.clone()];
    let mut last = None;
    for link in links {
        let current = roots.last().unwrap_or(pinned);
        let rotation = verify_root_rotation(link, current)?;
        if last.is_some_and(|seq| rotation.sequence <= seq) {
            return Err(Error::value(
                Code::TrustlistRollback,
                "sequence",
                &rotation.sequence.to_string(),
            ));
        }
        last = Some(rotation.sequence);
        roots.push(rotation.next_root);
    }
    Ok((roots, last))
}

/// Verify the current list of a stored chain: under the root the chain ends at, unless it is
/// the chain's last link itself (then under the root before). Not older than the last link.
pub(crate) fn verify_current(
    roots: &[PublicKey],
    links: &[&str],
    last_link: Option<u64>,
    current: &str,
    now: UnixTime,
) -> Result<VerifiedTrustList, Error> {
    let is_last_link = links.last().is_some_and(|l| *l == current);
    let signer = if is_last_link {
        roots.len().checked_sub(2).and_then(|i| roots.get(i))
    } else {
        roots.last()
    };
    let signer = signer.ok_or(Error::new(Code::TrustlistInvalid))?;
    let list = verify_trust_list(current, signer, now, None)?;
    if last_link.is_some_and(|seq| list.sequence() < seq) {
        return Err(Error::value(
            Code::TrustlistRollback,
            "sequence",
            &list.sequence().to_string(),
        ));
    }
    Ok(list)
}

/// The keys and lists a verifier trusts.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    keys: Vec<PublicKey>,
    trust: Option<Result<VerifiedTrustList, Error>>,
    status_tokens: HashMap<String, String>,
    status_seen: BTreeMap<String, i64>,
    status_digests: BTreeMap<String, String>,
}

impl TrustStore {
    /// Trust exactly these issuer keys (development, or a verifier configured by hand). The
    /// issuer's authority per credential type cannot be checked this way; verdicts say so.
    pub fn with_keys(keys: Vec<PublicKey>) -> TrustStore {
        TrustStore {
            keys,
            ..TrustStore::default()
        }
    }

    /// Add one directly trusted key.
    pub fn add_key(&mut self, key: PublicKey) {
        self.keys.push(key);
    }

    /// A store from a verified trust list and signed status-list tokens (tests, services
    /// that hold them in memory). Status tokens are matched to lists by their `id`.
    pub fn with_trust_list(
        trust: Result<VerifiedTrustList, Error>,
        status_tokens: impl IntoIterator<Item = String>,
    ) -> TrustStore {
        let mut store = TrustStore {
            trust: Some(trust),
            ..TrustStore::default()
        };
        for token in status_tokens {
            store.add_status_token(token);
        }
        store
    }

    fn add_status_token(&mut self, token: String) {
        // The URL is read unverified only to index the cache; verification checks it.
        let url = vpass_credential::jose::parse_with_limit(&token, MAX_STATUS_LIST_TOKEN)
            .ok()
            .and_then(|jws| {
                json::parse_with_limit(&jws.unverified_payload, "payload", MAX_STATUS_LIST_TOKEN)
                    .ok()
            })
            .and_then(|p| p.get("id").and_then(|v| v.as_str()).map(str::to_owned));
        if let Some(url) = url {
            self.status_tokens.insert(url, token);
        }
    }

    /// Open a trust-store folder at time `now` (see the module doc for its layout).
    pub fn open(dir: &Path, now: UnixTime) -> Result<TrustStore, StoreError> {
        let root = read_root(&dir.join("root-key"))?;
        let state = read_state(dir)?;
        let list_text = read_capped(&dir.join("trust-list.jwt"), MAX_STORED_TRUST_LIST)?;
        let trust = split_lines(&list_text).and_then(|(links, current)| {
            let (roots, last_link) = follow_chain(&root, &links)?;
            let list = verify_current(&roots, &links, last_link, current, now)?;
            state.check_trust_list(&list, current)?;
            Ok(list)
        });
        let mut store = TrustStore {
            trust: Some(trust),
            ..TrustStore::default()
        };
        store.status_seen = state.status_lists;
        store.status_digests = state.status_list_digests;
        let status_dir = dir.join("status");
        if status_dir.is_dir() {
            let entries = std::fs::read_dir(&status_dir).map_err(|source| StoreError::Io {
                path: status_dir.clone(),
                source,
            })?;
            for entry in entries {
                let path = entry
                    .map_err(|source| StoreError::Io {
                        path: status_dir.clone(),
                        source,
                    })?
                    .path();
                if path.extension().is_some_and(|e| e == "jwt") {
                    let token = read_capped(&path, MAX_STATUS_LIST_TOKEN)?;
                    store.add_status_token(token.trim().to_owned());
                }
            }
        }
        Ok(store)
    }

    /// Parse `--issuer-key` values: a `did:key`, or a path to a JWK file (a private JWK is
    /// accepted too; only its public half is used).
    pub fn parse_key_arg(arg: &str) -> Result<PublicKey, StoreError> {
        if arg.starts_with("did:key:") {
            return PublicKey::from_did_key(arg).map_err(StoreError::BadKey);
        }
        let text = read_capped(Path::new(arg), 64 * 1024)?;
        let jwk = json::parse(text.as_bytes(), "jwk").map_err(StoreError::BadKey)?;
        match PublicKey::from_jwk(&jwk) {
            Ok(k) => Ok(k),
            Err(_) => vpass_credential::keys::SigningKey::from_jwk(&jwk)
                .map(|k| vpass_credential::keys::Signer::public(&k))
                .map_err(StoreError::BadKey),
        }
    }

    /// The directly trusted keys.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }

    /// The trust list, if the store has one (or the error that made it unusable).
    pub fn trust_list(&self) -> Option<&Result<VerifiedTrustList, Error>> {
        self.trust.as_ref()
    }

    /// True when nothing at all is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.trust.is_none()
    }

    /// The cached status list at `url`, verified against the trust list and checked for
    /// rollback and currency. `None` when no list is cached for that URL.
    pub(crate) fn status_list(
        &self,
        trust: &VerifiedTrustList,
        url: &str,
        purpose: &str,
        now: UnixTime,
    ) -> Option<Result<VerifiedStatusList, Error>> {
        let token = self.status_tokens.get(url)?;
        Some(
            verify_status_list_with_trust(token, trust, url, purpose).and_then(|list| {
                list.check_rollback(
                    self.status_seen.get(url).copied().map(UnixTime),
                    self.status_digests.get(url).map(String::as_str),
                )?;
                list.check_current(now)?;
                Ok(list)
            }),
        )
    }
}

/// Largest stored `trust-list.jwt`: the current list and a full root chain.
pub(crate) const MAX_STORED_TRUST_LIST: usize = MAX_TRUST_LIST * (MAX_ROOT_CHAIN + 1);

/// The pinned root key of a trust-store folder (`root-key`: one did:key line).
pub(crate) fn read_root(path: &Path) -> Result<PublicKey, StoreError> {
    let root_text = read_capped(path, 1024)?;
    PublicKey::from_did_key(root_text.trim()).map_err(StoreError::BadKey)
}

/// The folder's `state.json`, or an empty state when there is none.
pub(crate) fn read_state(dir: &Path) -> Result<State, StoreError> {
    let state_path = dir.join("state.json");
    if !state_path.exists() {
        return Ok(State::default());
    }
    let text = read_capped(&state_path, 1024 * 1024)?;
    serde_json::from_str(&text).map_err(|_| StoreError::BadState(state_path))
}

pub(crate) fn read_capped(path: &Path, cap: usize) -> Result<String, StoreError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut buf = String::new();
    file.take(cap as u64 + 1)
        .read_to_string(&mut buf)
        .map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() > cap {
        return Err(StoreError::TooLarge(path.to_path_buf()));
    }
    Ok(buf)
}
