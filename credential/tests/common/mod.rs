//! Helpers shared by the vector, reference and mutation suites.
//!
//! Every fixture is compiled in with `include_str!` from `testdata/vectors/`, so the tests
//! need nothing outside the repository.

#![allow(dead_code)] // each test binary uses a different subset

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use vpass_credential::keys::SigningKey;
use vpass_credential::{Code, Error};

/// RFC 9901 examples (issuer key, disclosure encoding, ten examples).
pub const RFC9901: &str = include_str!("../../../testdata/vectors/sdjwt_rfc9901_examples.json");
/// sd-jwt-python `settings.yml`: the RFC 9901 A.5 issuer key with `d`, and the holder key.
pub const PY_SETTINGS: &str =
    include_str!("../../../testdata/vectors/sd-jwt-python-testcases/settings.yml");

/// Parse a fixture that must be JSON.
pub fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

/// Lower-case hex to bytes.
pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex length: {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Unpadded base64url.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decode unpadded base64url (test data only).
pub fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

/// The SD-JWT digest of a disclosure: base64url(SHA-256(ASCII text)), RFC 9901 §4.2.3.
pub fn sd_digest(disclosure: &str) -> String {
    b64(Sha256::digest(disclosure.as_bytes()))
}

/// Encode a disclosure from its JSON array (compact serialization).
pub fn disclosure(items: &Value) -> String {
    b64(items.to_string())
}

/// The code of a failed result, or a panic naming what unexpectedly passed.
pub fn code<T: std::fmt::Debug>(what: &str, r: Result<T, Error>) -> Code {
    match r {
        Ok(v) => panic!("{what}: accepted, expected a rejection: {v:?}"),
        Err(e) => e.code(),
    }
}

/// The JSON of a YAML document (settings are plain YAML; no tags).
pub fn yaml_settings() -> Value {
    let y: serde_norway::Value = serde_norway::from_str(PY_SETTINGS).expect("settings.yml");
    serde_json::to_value(y).expect("settings.yml as JSON")
}

/// The RFC 9901 A.5 issuer key (P-256), private half from sd-jwt-python's settings.yml.
pub fn rfc_issuer_key() -> SigningKey {
    let s = yaml_settings();
    SigningKey::from_jwk(&s["key_settings"]["issuer_keys"][0]).expect("issuer key")
}

/// The holder key (P-256) whose public half is the `cnf` of the RFC 9901 examples.
pub fn rfc_holder_key() -> SigningKey {
    let s = yaml_settings();
    SigningKey::from_jwk(&s["key_settings"]["holder_key"]).expect("holder key")
}
