//! Keys: Ed25519 (offices, holders) and P-256 (holders whose phone hardware offers only
//! P-256), as JWK (RFC 7517, RFC 8037 for OKP) and as `did:key`.
//!
//! Key material from outside is parsed into typed keys here and nowhere else. An Ed25519
//! public key must be canonically encoded and not of small order (`KEY_INVALID`), so that a
//! weak key can never enter a trust list or a `cnf` claim.
//!
//! did:key is written by hand (multicodec prefix + base58btc, per the did:key method spec):
//! the available DID crates pull in hundreds of dependencies for these few lines.

use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::Verifier as _;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::b64;
use crate::error::{Code, Error, Result};

/// The JOSE algorithms vpass accepts. Nothing else is ever verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// Ed25519 (RFC 8037). Offices always sign with this.
    EdDSA,
    /// ECDSA P-256 SHA-256 (RFC 7518 §3.4). Holder keys only.
    ES256,
}

impl Alg {
    /// The JOSE name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Alg::EdDSA => "EdDSA",
            Alg::ES256 => "ES256",
        }
    }

    /// Look up an `alg` header value against the allow-list.
    pub fn from_header(name: &str) -> Result<Alg> {
        match name {
            "EdDSA" => Ok(Alg::EdDSA),
            "ES256" => Ok(Alg::ES256),
            other => Err(Error::value(Code::AlgNotAllowed, "alg", other)),
        }
    }
}

/// A public key that may verify JOSE signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An Ed25519 key (canonical, not of small order).
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A P-256 key.
    P256(p256::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// An Ed25519 key from its 32-byte encoding; refuses non-canonical and small-order keys.
    pub fn ed25519_from_bytes(bytes: &[u8]) -> Result<PublicKey> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::field(Code::KeyInvalid, "x"))?;
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&arr)
            .map_err(|_| Error::field(Code::KeyInvalid, "x"))?;
        // Decompression accepts some non-canonical encodings (y >= p); re-encoding tells.
        if vk.to_bytes() != arr || vk.is_weak() {
            return Err(Error::field(Code::KeyInvalid, "x"));
        }
        Ok(PublicKey::Ed25519(vk))
    }

    /// The algorithm this key verifies; a token's `alg` must equal it.
    pub const fn alg(&self) -> Alg {
        match self {
            PublicKey::Ed25519(_) => Alg::EdDSA,
            PublicKey::P256(_) => Alg::ES256,
        }
    }

    /// Verify `sig` over `msg` with `alg`. The `alg` must match the key type
    /// (`ALG_KEY_MISMATCH`). Ed25519 uses `verify_strict` (rejects S ≥ L, small-order R and
    /// A, non-canonical encodings) — the one Ed25519 check used everywhere in vpass.
    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> Result<()> {
        if alg != self.alg() {
            return Err(Error::value(Code::AlgKeyMismatch, "alg", alg.as_str()));
        }
        match self {
            PublicKey::Ed25519(vk) => {
                let sig = ed25519_dalek::Signature::from_slice(sig)
                    .map_err(|_| Error::new(Code::SignatureInvalid))?;
                vk.verify_strict(msg, &sig)
                    .map_err(|_| Error::new(Code::SignatureInvalid))
            }
            PublicKey::P256(vk) => {
                let sig = p256::ecdsa::Signature::from_slice(sig)
                    .map_err(|_| Error::new(Code::SignatureInvalid))?;
                vk.verify(msg, &sig)
                    .map_err(|_| Error::new(Code::SignatureInvalid))
            }
        }
    }

    /// Parse a public JWK (OKP/Ed25519 or EC/P-256). Private members are refused here: a
    /// public key slot never holds a secret.
    pub fn from_jwk(jwk: &Value) -> Result<PublicKey> {
        let obj = jwk
            .as_object()
            .ok_or(Error::field(Code::KeyInvalid, "jwk"))?;
        if obj.contains_key("d") {
            return Err(Error::field(Code::KeyInvalid, "d"));
        }
        Self::from_jwk_members(obj)
    }

    fn from_jwk_members(obj: &Map<String, Value>) -> Result<PublicKey> {
        let s = |name: &'static str| {
            obj.get(name)
                .and_then(Value::as_str)
                .ok_or(Error::field(Code::KeyInvalid, name))
        };
        match (s("kty")?, s("crv")?) {
            ("OKP", "Ed25519") => PublicKey::ed25519_from_bytes(&b64::decode(s("x")?, "x")?),
            ("EC", "P-256") => {
                let x = b64::decode(s("x")?, "x")?;
                let y = b64::decode(s("y")?, "y")?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(Error::field(Code::KeyInvalid, "x"));
                }
                let mut sec1 = Vec::with_capacity(65);
                sec1.push(4);
                sec1.extend_from_slice(&x);
                sec1.extend_from_slice(&y);
                let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                    .map_err(|_| Error::field(Code::KeyInvalid, "x"))?;
                Ok(PublicKey::P256(vk))
            }
            (_, crv) => Err(Error::value(Code::KeyInvalid, "crv", crv)),
        }
    }

    /// The public JWK, members in RFC 7638 order.
    pub fn to_jwk(&self) -> Value {
        match self {
            PublicKey::Ed25519(vk) => {
                json!({"crv": "Ed25519", "kty": "OKP", "x": b64::encode(vk.as_bytes())})
            }
            PublicKey::P256(vk) => {
                let p = vk.to_encoded_point(false);
                let x = p.x().map(b64::encode).unwrap_or_default();
                let y = p.y().map(b64::encode).unwrap_or_default();
                json!({"crv": "P-256", "kty": "EC", "x": x, "y": y})
            }
        }
    }

    /// RFC 7638 JWK thumbprint (SHA-256, base64url).
    pub fn thumbprint(&self) -> String {
        // `to_jwk` emits exactly the required members in lexicographic order, without spaces.
        let canonical = self.to_jwk().to_string();
        b64::encode(Sha256::digest(canonical.as_bytes()))
    }

    /// The `did:key` identifier (Ed25519: multicodec 0xed; P-256: 0x1200, compressed point).
    pub fn did_key(&self) -> String {
        let mut bytes = Vec::with_capacity(35);
        match self {
            PublicKey::Ed25519(vk) => {
                bytes.extend_from_slice(&[0xed, 0x01]);
                bytes.extend_from_slice(vk.as_bytes());
            }
            PublicKey::P256(vk) => {
                bytes.extend_from_slice(&[0x80, 0x24]);
                bytes.extend_from_slice(vk.to_encoded_point(true).as_bytes());
            }
        }
        format!("did:key:z{}", bs58::encode(bytes).into_string())
    }

    /// Parse a `did:key` (with or without a `#fragment`).
    pub fn from_did_key(did: &str) -> Result<PublicKey> {
        let did = did.split('#').next().unwrap_or(did);
        let rest = did
            .strip_prefix("did:key:z")
            .ok_or(Error::field(Code::KeyInvalid, "did"))?;
        if rest.len() > 128 {
            return Err(Error::field(Code::KeyInvalid, "did"));
        }
        let bytes = bs58::decode(rest)
            .into_vec()
            .map_err(|_| Error::field(Code::KeyInvalid, "did"))?;
        match bytes.split_at_checked(2) {
            Some(([0xed, 0x01], key)) => PublicKey::ed25519_from_bytes(key),
            Some(([0x80, 0x24], key)) if key.len() == 33 => {
                let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                    .map_err(|_| Error::field(Code::KeyInvalid, "did"))?;
                Ok(PublicKey::P256(vk))
            }
            _ => Err(Error::field(Code::KeyInvalid, "did")),
        }
    }
}

/// Something that signs JOSE payloads. Office keys sit behind this so that an HSM or KMS can
/// replace file keys later.
pub trait Signer {
    /// The algorithm of the signatures produced.
    fn alg(&self) -> Alg;
    /// The public half.
    fn public(&self) -> PublicKey;
    /// Sign `msg`. JOSE signatures: 64 bytes for both algorithms (ES256 as `r || s`).
    fn sign(&self, msg: &[u8]) -> Vec<u8>;
    /// The `kid` to put in the header, if any.
    fn kid(&self) -> Option<&str> {
        None
    }
}

#[derive(Clone)]
enum SecretKey {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

/// A private key held in memory (file keys, tests). Signing takes the key pair as one value,
/// never a secret and a public key given separately (RUSTSEC-2022-0093).
#[derive(Clone)]
pub struct SigningKey {
    secret: SecretKey,
    kid: Option<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg())
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh Ed25519 key from the operating system's CSPRNG.
    pub fn generate_ed25519() -> SigningKey {
        let key = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
        SigningKey {
            secret: SecretKey::Ed25519(key),
            kid: None,
        }
    }

    /// A fresh P-256 key from the operating system's CSPRNG.
    pub fn generate_p256() -> SigningKey {
        let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        SigningKey {
            secret: SecretKey::P256(key),
            kid: None,
        }
    }

    /// An Ed25519 key from a 32-byte seed (tests, known-answer vectors).
    pub fn from_seed(seed: &[u8; 32]) -> SigningKey {
        SigningKey {
            secret: SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(seed)),
            kid: None,
        }
    }

    /// Set the `kid` written into JWS headers.
    pub fn with_kid(mut self, kid: impl Into<String>) -> SigningKey {
        self.kid = Some(kid.into());
        self
    }

    /// Parse a private JWK (`d` present). For Ed25519 the public `x` must match `d`.
    pub fn from_jwk(jwk: &Value) -> Result<SigningKey> {
        let obj = jwk
            .as_object()
            .ok_or(Error::field(Code::KeyInvalid, "jwk"))?;
        let public = PublicKey::from_jwk_members(obj)?;
        let d = obj
            .get("d")
            .and_then(Value::as_str)
            .ok_or(Error::field(Code::KeyInvalid, "d"))?;
        let d = b64::decode(d, "d")?;
        let secret = match public {
            PublicKey::Ed25519(_) => {
                let seed: [u8; 32] = d
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::field(Code::KeyInvalid, "d"))?;
                SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
            }
            PublicKey::P256(_) => SecretKey::P256(
                p256::ecdsa::SigningKey::from_slice(&d)
                    .map_err(|_| Error::field(Code::KeyInvalid, "d"))?,
            ),
        };
        let key = SigningKey {
            secret,
            kid: obj.get("kid").and_then(Value::as_str).map(str::to_owned),
        };
        if key.public() != public {
            return Err(Error::field(Code::KeyInvalid, "x"));
        }
        Ok(key)
    }

    /// The private JWK (handle with care: it contains `d`).
    pub fn to_private_jwk(&self) -> Value {
        let mut jwk = self.public().to_jwk();
        let d = match &self.secret {
            SecretKey::Ed25519(k) => b64::encode(k.to_bytes()),
            SecretKey::P256(k) => b64::encode(k.to_bytes()),
        };
        if let Some(obj) = jwk.as_object_mut() {
            obj.insert("d".into(), Value::String(d));
            if let Some(kid) = &self.kid {
                obj.insert("kid".into(), Value::String(kid.clone()));
            }
        }
        jwk
    }
}

impl Signer for SigningKey {
    fn alg(&self) -> Alg {
        match self.secret {
            SecretKey::Ed25519(_) => Alg::EdDSA,
            SecretKey::P256(_) => Alg::ES256,
        }
    }

    fn public(&self) -> PublicKey {
        match &self.secret {
            SecretKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            SecretKey::P256(k) => PublicKey::P256(*k.verifying_key()),
        }
    }

    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match &self.secret {
            SecretKey::Ed25519(k) => k.sign(msg).to_bytes().to_vec(),
            SecretKey::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                sig.to_bytes().to_vec()
            }
        }
    }

    fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_key_round_trip_both_curves() {
        for key in [SigningKey::generate_ed25519(), SigningKey::generate_p256()] {
            let did = key.public().did_key();
            assert_eq!(PublicKey::from_did_key(&did).unwrap(), key.public());
            let jwk = key.to_private_jwk();
            assert_eq!(SigningKey::from_jwk(&jwk).unwrap().public(), key.public());
            assert_eq!(
                PublicKey::from_jwk(&key.public().to_jwk()).unwrap(),
                key.public()
            );
        }
        assert!(SigningKey::generate_ed25519()
            .public()
            .did_key()
            .starts_with("did:key:z6Mk"));
        assert!(SigningKey::generate_p256()
            .public()
            .did_key()
            .starts_with("did:key:zDn"));
    }

    #[test]
    fn reject_small_order_and_x25519_keys() {
        let identity = {
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        };
        assert_eq!(
            PublicKey::ed25519_from_bytes(&identity).unwrap_err().code(),
            Code::KeyInvalid
        );
        let x25519 = json!({"kty":"OKP","crv":"X25519","x":b64::encode([9u8;32])});
        assert_eq!(
            PublicKey::from_jwk(&x25519).unwrap_err().code(),
            Code::KeyInvalid
        );
    }

    #[test]
    fn reject_mismatched_private_jwk() {
        let a = SigningKey::generate_ed25519().to_private_jwk();
        let b = SigningKey::generate_ed25519().to_private_jwk();
        let mut mixed = a.clone();
        mixed["x"] = b["x"].clone();
        assert_eq!(
            SigningKey::from_jwk(&mixed).unwrap_err().code(),
            Code::KeyInvalid
        );
    }
}
