//! Where the verifier's trust comes from.

use std::path::{Path, PathBuf};

use vpass_credential::keys::PublicKey;

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
    #[error("not a usable issuer key ({0}): give a did:key or a public JWK file")]
    BadKey(vpass_credential::Error),
}

/// The keys and lists a verifier trusts.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    keys: Vec<PublicKey>,
}

impl TrustStore {
    /// Trust exactly these issuer keys (development, or a verifier configured by hand). The
    /// issuer's authority per credential type cannot be checked this way; verdicts say so.
    pub fn with_keys(keys: Vec<PublicKey>) -> TrustStore {
        TrustStore { keys }
    }

    /// Add one key.
    pub fn add_key(&mut self, key: PublicKey) {
        self.keys.push(key);
    }

    /// Parse `--issuer-key` values: a `did:key`, or a path to a public JWK file.
    pub fn parse_key_arg(arg: &str) -> Result<PublicKey, StoreError> {
        if arg.starts_with("did:key:") {
            return PublicKey::from_did_key(arg).map_err(StoreError::BadKey);
        }
        let path = Path::new(arg);
        let text = std::fs::read(path).map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let jwk = vpass_credential::json::parse(&text, "jwk").map_err(StoreError::BadKey)?;
        // A private JWK file is accepted too: only its public half is used.
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

    /// True when nothing at all is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
