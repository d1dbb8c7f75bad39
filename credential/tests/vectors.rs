//! Public test vectors, run in full through the production code paths:
//! Wycheproof Ed25519, RFC 8032 §7.1, RFC 8037 Appendix A and RFC 9901 (examples and the
//! disclosure-encoding section). Negative SD-JWT mutations of the RFC 9901 examples live in
//! `sdjwt_attacks.rs`. See `testdata/vectors/README.md` for where each file comes from.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{b64, code, disclosure, hex, json, sd_digest, unb64, RFC9901};
use serde_json::{json, Value};
use vpass_credential::keys::{Alg, PublicKey, Signer, SigningKey};
use vpass_credential::sdjwt::{self, SdJwt, VerifyOptions};
use vpass_credential::time::UnixTime;
use vpass_credential::{jose, Code};

const WYCHEPROOF: &str = include_str!("../../testdata/vectors/wycheproof_ed25519_test.json");
const RFC8032: &str = include_str!("../../testdata/vectors/rfc8032_ed25519.json");
const RFC8037: &str = include_str!("../../testdata/vectors/rfc8037_ed25519_jws.json");

// ---------------------------------------------------------------------------------------------
// Ed25519: Wycheproof and RFC 8032
// ---------------------------------------------------------------------------------------------

/// Every Wycheproof Ed25519 test through `PublicKey::ed25519_from_bytes` + `verify`, the one
/// path production uses. A key our parser refuses (small order, non-canonical) counts as a
/// rejection, which is only allowed for tests whose expected result is `invalid`.
#[test]
fn wycheproof_ed25519_all() {
    let file = json(WYCHEPROOF);
    let (mut run, mut valid_ok, mut invalid_rejected, mut key_rejected) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for group in file["testGroups"].as_array().unwrap() {
        let pk = hex(group["publicKey"]["pk"].as_str().unwrap());
        let key = PublicKey::ed25519_from_bytes(&pk);
        for t in group["tests"].as_array().unwrap() {
            run += 1;
            let msg = hex(t["msg"].as_str().unwrap());
            let sig = hex(t["sig"].as_str().unwrap());
            let outcome = match &key {
                Ok(k) => k.verify(Alg::EdDSA, &msg, &sig),
                Err(e) => {
                    key_rejected += 1;
                    assert_eq!(e.code(), Code::KeyInvalid);
                    Err(e.clone())
                }
            };
            match (t["result"].as_str().unwrap(), &outcome) {
                ("valid", Ok(())) => valid_ok += 1,
                ("invalid", Err(e)) => {
                    assert!(
                        matches!(e.code(), Code::SignatureInvalid | Code::KeyInvalid),
                        "tcId {}: unexpected code {}",
                        t["tcId"],
                        e.code()
                    );
                    invalid_rejected += 1;
                }
                (expected, _) => wrong.push(format!(
                    "tcId {} expected {expected} got {outcome:?} flags {} comment {:?}",
                    t["tcId"], t["flags"], t["comment"]
                )),
            }
        }
    }
    println!(
        "Wycheproof Ed25519: {run} run, {valid_ok} valid accepted, {invalid_rejected} invalid \
         rejected ({key_rejected} of them at key parsing)"
    );
    assert!(wrong.is_empty(), "mismatches:\n{}", wrong.join("\n"));
    assert_eq!(run, file["numberOfTests"].as_u64().unwrap() as usize);
    assert_eq!((run, valid_ok, invalid_rejected), (151, 88, 63));
}

/// RFC 8032 §7.1: seed → public key, (seed, message) → the exact signature, which verifies.
#[test]
fn rfc8032_known_answers() {
    let file = json(RFC8032);
    let tests = file["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 5);
    for t in tests {
        let name = t["name"].as_str().unwrap();
        let seed: [u8; 32] = hex(t["secret_key_hex"].as_str().unwrap())
            .try_into()
            .unwrap();
        let key = SigningKey::from_seed(&seed);
        let public = hex(t["public_key_hex"].as_str().unwrap());
        assert_eq!(
            key.public(),
            PublicKey::ed25519_from_bytes(&public).unwrap(),
            "{name}: public key"
        );
        let msg = hex(t["message_hex"].as_str().unwrap());
        assert_eq!(msg.len() as u64, t["message_len"].as_u64().unwrap(), "{name}");
        let sig = key.sign(&msg);
        assert_eq!(
            sig,
            hex(t["signature_hex"].as_str().unwrap()),
            "{name}: signature"
        );
        assert_eq!(t["expected"], "valid");
        key.public().verify(Alg::EdDSA, &msg, &sig).unwrap();
        // and one flipped bit of the message is refused
        let mut other = msg.clone();
        match other.first_mut() {
            Some(b) => *b ^= 1,
            None => other.push(0),
        }
        assert_eq!(
            code(name, key.public().verify(Alg::EdDSA, &other, &sig)),
            Code::SignatureInvalid
        );
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 8037 Appendix A: OKP JWK, thumbprint, JWS
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc8037_a1_private_jwk_parses_and_its_public_half_is_a2() {
    let file = json(RFC8037);
    let key = SigningKey::from_jwk(&file["A1_private_jwk"]).unwrap();
    let a2 = PublicKey::from_jwk(&file["A2_public_jwk"]).unwrap();
    assert_eq!(key.public(), a2);
    assert_eq!(key.public().to_jwk(), file["A2_public_jwk"]);
    assert_eq!(key.to_private_jwk(), file["A1_private_jwk"]);
    // the A.1 key is the RFC 8032 TEST 1 key
    let seed: [u8; 32] = unb64(file["A1_private_jwk"]["d"].as_str().unwrap())
        .try_into()
        .unwrap();
    assert_eq!(SigningKey::from_seed(&seed).public(), a2);
    // a private JWK is never accepted where a public key is expected
    assert_eq!(
        code("A.1 as public", PublicKey::from_jwk(&file["A1_private_jwk"])),
        Code::KeyInvalid
    );
}

#[test]
fn rfc8037_a3_thumbprint() {
    let file = json(RFC8037);
    let a3 = &file["A3_thumbprint"];
    let key = PublicKey::from_jwk(&file["A2_public_jwk"]).unwrap();
    assert_eq!(key.to_jwk().to_string(), a3["canonical_json"].as_str().unwrap());
    assert_eq!(key.thumbprint(), a3["thumbprint_b64url"].as_str().unwrap());
    assert_eq!(
        unb64(&key.thumbprint()),
        hex(a3["sha256_hex"].as_str().unwrap())
    );
}

#[test]
fn rfc8037_a4_signature_known_answer() {
    let file = json(RFC8037);
    let a4 = &file["A4_signing"];
    let key = SigningKey::from_jwk(&file["A1_private_jwk"]).unwrap();
    let input = a4["signing_input"].as_str().unwrap();
    assert_eq!(
        input,
        format!(
            "{}.{}",
            b64(a4["protected_header_json"].as_str().unwrap()),
            b64(a4["payload_text"].as_str().unwrap())
        )
    );
    assert_eq!(
        b64(key.sign(input.as_bytes())),
        a4["signature_b64url"].as_str().unwrap()
    );
    // our JWS writer emits exactly `{"alg":"EdDSA"}` when there is no typ and no kid
    let payload = a4["payload_text"].as_str().unwrap().as_bytes();
    assert_eq!(
        jose::sign(&key, None, payload),
        a4["jws_compact"].as_str().unwrap()
    );
}

#[test]
fn rfc8037_a5_validation() {
    let file = json(RFC8037);
    let a5 = &file["A5_validation"];
    assert_eq!(a5["expected"], "valid");
    let key = PublicKey::from_jwk(&a5["public_jwk"]).unwrap();
    let v = jose::parse(a5["jws_compact"].as_str().unwrap())
        .unwrap()
        .verify(&key)
        .unwrap();
    assert_eq!(v.payload, b"Example of Ed25519 signing");
    assert_eq!(v.header.alg, Alg::EdDSA);
    // the same JWS under a P-256 key: alg/key mismatch, never a verify attempt
    let p256 = PublicKey::from_jwk(&json(RFC9901)["issuer_public_jwk"]).unwrap();
    let e = jose::parse(a5["jws_compact"].as_str().unwrap())
        .unwrap()
        .verify(&p256);
    assert_eq!(code("EdDSA under P-256", e), Code::AlgKeyMismatch);
}

/// Each derived negative JWS fails with the code the attack catalog gives (B1, B3, B12, B16,
/// B17). The truncated (63-byte) and extended (65-byte) signatures decode as canonical
/// base64url and are refused by the signature check (`SIGNATURE_INVALID`, B17).
#[test]
fn rfc8037_derived_negatives_rejected_with_specific_codes() {
    let file = json(RFC8037);
    let key = PublicKey::from_jwk(&file["A2_public_jwk"]).unwrap();
    let expected = [
        ("flip_last_sig_char", Code::SignatureInvalid),
        ("payload_changed", Code::SignatureInvalid),
        ("alg_none_no_sig", Code::AlgNotAllowed),
        ("alg_Ed25519_fully_specified", Code::AlgNotAllowed),
        ("padding_added", Code::Base64Invalid),
        ("sig_truncated", Code::SignatureInvalid),
        ("sig_with_trailing_zero_byte", Code::SignatureInvalid),
        ("four_segments", Code::MalformedJws),
        ("whitespace_in_sig", Code::Base64Invalid),
    ];
    let cases = file["derived_negative_cases_NOT_from_rfc"]["cases"]
        .as_array()
        .unwrap();
    assert_eq!(cases.len(), expected.len());
    for case in cases {
        let id = case["id"].as_str().unwrap();
        assert_eq!(case["expected"], "invalid", "{id}");
        let want = expected
            .iter()
            .find(|(name, _)| *name == id)
            .unwrap_or_else(|| panic!("no expected code for {id}"))
            .1;
        let got = code(
            id,
            jose::parse(case["jws"].as_str().unwrap()).and_then(|j| j.verify(&key)),
        );
        println!("rfc8037 derived {id}: {got}");
        assert_eq!(got, want, "{id}");
    }
}
