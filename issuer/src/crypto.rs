//! Secrets at rest and API tokens.
//!
//! - **Key encryption.** Private keys (the root key and office keys) are stored sealed with
//!   XChaCha20-Poly1305 (`chacha20poly1305` 0.11) under a 32-byte key-encryption key (KEK).
//!   A sealed value is `version (1 byte) || nonce (24 bytes) || ciphertext+tag`; the
//!   associated data names what is sealed (`root:<did>`, `office-key:<kid>`), so a sealed key
//!   moved to another row does not open. The KEK comes from `VPASS_KEK` (64 hex digits or
//!   unpadded base64url of 32 bytes) or from `<data-dir>/kek`, created with mode 0600 on first
//!   start. A KMS or HSM can replace this later behind `vpass_credential::keys::Signer`.
//! - **API tokens.** `vpass_<id>_<secret>`: the id finds the row, the database keeps only the
//!   SHA-256 of the whole token, compared in constant time (`subtle`). Tokens carry 256 bits of
//!   randomness, so a plain hash (not a password hash) is enough.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Version byte of a sealed value.
const SEAL_V1: u8 = 1;
/// Name of the environment variable that may hold the KEK.
pub const KEK_ENV: &str = "VPASS_KEK";

/// Why a secret could not be loaded or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The KEK in the environment or file is not 32 bytes in hex or base64url.
    #[error("the key-encryption key from {0} is not 32 bytes (64 hex digits or base64url)")]
    BadKek(String),
    /// The database holds sealed keys but no KEK is configured.
    #[error(
        "no key-encryption key: set VPASS_KEK or restore {0} (the database's private keys \
         are sealed under it)"
    )]
    MissingKek(String),
    /// Reading or creating the KEK file failed.
    #[error("key-encryption key file {path}: {source}")]
    KekFile {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A sealed value does not open under this KEK (wrong KEK, or tampered data).
    #[error("a stored private key does not decrypt under this key-encryption key ({0})")]
    Open(String),
}

/// The key-encryption key.
#[derive(Clone)]
pub struct Kek([u8; 32]);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

impl Kek {
    /// A KEK from raw bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Kek {
        Kek(bytes)
    }

    /// Parse a KEK written as 64 hex digits or unpadded base64url.
    pub fn parse(text: &str, source: &str) -> Result<Kek, CryptoError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| {
                    text.get(2 * i..2 * i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect::<Option<Vec<u8>>>()
        } else {
            URL_SAFE_NO_PAD.decode(text).ok()
        };
        bytes
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .map(Kek)
            .ok_or_else(|| CryptoError::BadKek(source.to_owned()))
    }

    /// The KEK from `VPASS_KEK` if set, else from `<data_dir>/kek`, created (mode 0600) with
    /// fresh random bytes when absent and `create` is set (a new database); without `create`
    /// a missing KEK is an error, since the stored keys were sealed under another one.
    /// Returns the KEK and where it came from.
    pub fn load(data_dir: &Path, create: bool) -> Result<(Kek, String), CryptoError> {
        if let Ok(text) = std::env::var(KEK_ENV) {
            return Ok((Kek::parse(&text, KEK_ENV)?, KEK_ENV.to_owned()));
        }
        let path = data_dir.join("kek");
        let shown = path.display().to_string();
        let io = |source| CryptoError::KekFile {
            path: shown.clone(),
            source,
        };
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(io)?;
            return Ok((Kek::parse(&text, &shown)?, shown.clone()));
        }
        if !create {
            return Err(CryptoError::MissingKek(shown));
        }
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        write_private_file(&path, format!("{hex}\n").as_bytes()).map_err(io)?;
        Ok((Kek(bytes), shown.clone()))
    }

    /// Seal `plaintext`, binding it to `label`.
    pub fn seal(&self, label: &str, plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: label.as_bytes(),
        };
        // Encryption fails only for inputs beyond 256 GiB; keys are a few hundred bytes.
        let ct = cipher
            .encrypt(&XNonce::from(nonce), payload)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + 24 + ct.len());
        out.push(SEAL_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// A 32-byte key for `purpose`, derived from the KEK: HMAC-SHA256(KEK, purpose). Used for
    /// the IIN blind index (`vpass/v1/blind-index/iin`), so that rotating the KEK is the only
    /// secret to keep.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.0, purpose.as_bytes())
    }

    /// Open a value sealed with [`Kek::seal`] under the same `label`.
    pub fn open(&self, label: &str, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let fail = || CryptoError::Open(label.to_owned());
        let (version, rest) = sealed.split_first().ok_or_else(fail)?;
        if *version != SEAL_V1 {
            return Err(fail());
        }
        let (nonce, ct) = rest.split_at_checked(24).ok_or_else(fail)?;
        let nonce: &[u8; 24] = nonce.try_into().map_err(|_| fail())?;
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        cipher
            .decrypt(
                &XNonce::from(*nonce),
                Payload {
                    msg: ct,
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| fail())
    }
}

/// Write a file readable by its owner only (mode 0600 on Unix), failing if it exists.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random UUID (version 4), as the id of a stored credential.
pub fn random_uuid() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A uniformly random integer in `0..bound` (`bound` > 0), by rejection sampling.
pub fn random_below(bound: u64) -> u64 {
    let bound = bound.max(1);
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let x = OsRng.next_u64();
        if x < zone {
            return x % bound;
        }
    }
}

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(msg);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// SHA-256.
pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// A new API token: `(token, id, sha256(token))`.
pub fn new_api_token() -> (String, String, Vec<u8>) {
    let id = random_hex(8);
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    let token = format!("vpass_{id}_{}", URL_SAFE_NO_PAD.encode(secret));
    let hash = sha256(token.as_bytes());
    (token, id, hash)
}

/// The id part of a presented API token, if it has the token's shape.
pub fn api_token_id(token: &str) -> Option<&str> {
    let rest = token.strip_prefix("vpass_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) && secret.len() == 43)
        .then_some(id)
}

/// Whether `token` hashes to `stored_hash`, compared in constant time.
pub fn token_matches(token: &str, stored_hash: &[u8]) -> bool {
    sha256(token.as_bytes()).ct_eq(stored_hash).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_label_binding() {
        let kek = Kek::from_bytes([7; 32]);
        let sealed = kek.seal("office-key:a", b"secret");
        assert_eq!(kek.open("office-key:a", &sealed).unwrap(), b"secret");
        assert!(kek.open("office-key:b", &sealed).is_err());
        assert!(Kek::from_bytes([8; 32])
            .open("office-key:a", &sealed)
            .is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(kek.open("office-key:a", &tampered).is_err());
        assert!(kek.open("office-key:a", &[]).is_err());
        assert!(kek.open("office-key:a", &sealed[..10]).is_err());
    }

    #[test]
    fn hmac_sha256_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let kek = Kek::from_bytes([7; 32]);
        assert_eq!(kek.derive("a"), kek.derive("a"));
        assert_ne!(kek.derive("a"), kek.derive("b"));
    }

    #[test]
    fn kek_parses_hex_and_base64url_only() {
        let hex = "00".repeat(32);
        assert!(Kek::parse(&hex, "t").is_ok());
        assert!(Kek::parse(&URL_SAFE_NO_PAD.encode([1u8; 32]), "t").is_ok());
        assert!(Kek::parse("abc", "t").is_err());
        assert!(Kek::parse(&"0".repeat(63), "t").is_err());
    }

    #[test]
    fn api_token_shape_and_match() {
        let (token, id, hash) = new_api_token();
        assert_eq!(api_token_id(&token), Some(id.as_str()));
        assert!(token_matches(&token, &hash));
        assert!(!token_matches(&format!("{token}x"), &hash));
        assert_eq!(api_token_id("vpass_zz_abc"), None);
        assert_eq!(api_token_id("Bearer"), None);
    }

    #[test]
    fn random_below_stays_in_range() {
        for _ in 0..1000 {
            assert!(random_below(7) < 7);
        }
        assert_eq!(random_uuid().len(), 36);
    }
}
