//! Where the verifier's trust comes from: keys given directly, or a trust-store folder.
//!
//! A trust-store folder (written by `vpass trust sync`, or by hand) holds:
//!
//! ```text
//! root-key          the pinned national root key: one did:key line (pinned at first sync)
//! trust-list.jwt    the signed trust list (offices, their keys, types, status lists)
//! status/*.jwt      cached signed status-list credentials (any file names)
//! state.json        optional: the highest trust-list sequence and status-list validFrom seen,
//!                   {"trustListSequence": 7, "statusLists": {"https://…/status/1": 1780000000}}
//! ```
//!
//! Opening the folder reads files only; problems with the *content* (a trust list that is
//! expired, rolled back or badly signed) are kept and reported in every verdict, so that an
//! officer sees "trust list expired" rather than a crash; problems with *reading* (missing
//! root key, unreadable files) are a [`StoreError`]: the verifier could not check at all.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vpass_credential::keys::PublicKey;
use vpass_credential::limits::{MAX_STATUS_LIST_TOKEN, MAX_TRUST_LIST};
use vpass_credential::status::{verify_status_list_with_trust, VerifiedStatusList};
use vpass_credential::time::UnixTime;
use vpass_credential::trust::{verify_trust_list, VerifiedTrustList};
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
    #[serde(default)]
    pub(crate) status_lists: BTreeMap<String, i64>,
}

/// The keys and lists a verifier trusts.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    keys: Vec<PublicKey>,
    trust: Option<Result<VerifiedTrustList, Error>>,
    status_tokens: HashMap<String, String>,
    status_seen: HashMap<String, i64>,
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
        let list_text = read_capped(&dir.join("trust-list.jwt"), MAX_TRUST_LIST)?;
        let trust = verify_trust_list(list_text.trim(), &root, now, None).and_then(|list| {
            match state.trust_list_sequence {
                Some(seen) if list.sequence() < seen => Err(Error::value(
                    Code::TrustlistRollback,
                    "sequence",
                    &list.sequence().to_string(),
                )),
                _ => Ok(list),
            }
        });
        let mut store = TrustStore {
            trust: Some(trust),
            ..TrustStore::default()
        };
        store.status_seen = state.status_lists.into_iter().collect();
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
                list.check_rollback(self.status_seen.get(url).copied().map(UnixTime))?;
                list.check_current(now)?;
                Ok(list)
            }),
        )
    }
}

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

fn read_capped(path: &Path, cap: usize) -> Result<String, StoreError> {
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
