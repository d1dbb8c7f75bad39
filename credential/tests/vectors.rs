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
        assert_eq!(
            msg.len() as u64,
            t["message_len"].as_u64().unwrap(),
            "{name}"
        );
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
        code(
            "A.1 as public",
            PublicKey::from_jwk(&file["A1_private_jwk"])
        ),
        Code::KeyInvalid
    );
}

#[test]
fn rfc8037_a3_thumbprint() {
    let file = json(RFC8037);
    let a3 = &file["A3_thumbprint"];
    let key = PublicKey::from_jwk(&file["A2_public_jwk"]).unwrap();
    assert_eq!(
        key.to_jwk().to_string(),
        a3["canonical_json"].as_str().unwrap()
    );
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

// ---------------------------------------------------------------------------------------------
// RFC 9901: examples and disclosure encoding
// ---------------------------------------------------------------------------------------------

/// The `typ` values the RFC examples use (§5 and A.1, A.2, A.4 use `example+sd-jwt`).
const RFC_TYPS: &[&str] = &["example+sd-jwt", "dc+sd-jwt", "vc+sd-jwt"];
/// The KB-JWT verifier parameters of the RFC examples.
const RFC_AUD: &str = "https://verifier.example.org";
const RFC_NONCE: &str = "1234567890";
/// A time inside every example's validity (`iat` 1683000000, `exp` 1883000000), used for the
/// examples without a KB-JWT; it is also the examples' KB-JWT `iat`.
const RFC_NOW: i64 = 1_748_536_865;

fn rfc_example(id: &str) -> Value {
    json(RFC9901)["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("no example {id}"))
        .clone()
}

fn rfc_issuer() -> PublicKey {
    PublicKey::from_jwk(&json(RFC9901)["issuer_public_jwk"]).unwrap()
}

fn rfc_opts(now: i64) -> VerifyOptions {
    let mut opts = VerifyOptions::at(UnixTime(now));
    opts.typ = RFC_TYPS;
    opts.kb.aud = Some(RFC_AUD.into());
    opts.kb.nonce = Some(RFC_NONCE.into());
    opts
}

/// The `iat` of a presentation's KB-JWT, read without verifying (to pick the time).
fn kb_iat(presentation: &str) -> Option<i64> {
    let kb = SdJwt::parse(presentation).unwrap().kb_jwt?;
    let payload: Value = serde_json::from_slice(&jose::parse(kb).unwrap().unverified_payload)
        .expect("KB-JWT payload");
    payload["iat"].as_i64()
}

/// Verify one RFC example's presentation and compare with `expected_processed_payload`.
fn check_rfc_example(id: &str) {
    let e = rfc_example(id);
    let presentation = e["presentation"].as_str().unwrap();
    let has_kb = e["presentation_has_kb_jwt"].as_bool().unwrap();
    let now = kb_iat(presentation).unwrap_or(RFC_NOW);
    if let Some(listed) = e["kb_jwt_payload"]["iat"].as_i64() {
        assert_eq!(now, listed, "{id}: KB-JWT iat");
    }
    let mut opts = rfc_opts(now);
    opts.kb.required = has_kb;
    let v = sdjwt::verify(presentation, &rfc_issuer(), &opts)
        .unwrap_or_else(|err| panic!("{id}: {err}"));
    assert_eq!(
        Value::Object(v.claims.clone()),
        e["expected_processed_payload"],
        "{id}: processed payload"
    );
    assert_eq!(
        v.disclosed_paths.len() as u64,
        e["presentation_disclosure_count"].as_u64().unwrap(),
        "{id}: disclosures used"
    );
    assert_eq!(v.key_binding.is_some(), has_kb, "{id}");
    if let Some(kb) = &v.key_binding {
        assert_eq!((kb.aud.as_str(), kb.nonce.as_str()), (RFC_AUD, RFC_NONCE));
        assert_eq!(kb.iat, now);
        assert_eq!(v.holder_key, Some(common::rfc_holder_key().public()));
    }
    // the chosen time is inside the credential's validity
    if let Some(exp) = v.times.exp {
        assert!(now <= exp, "{id}");
    }
    if let Some(iat) = v.times.iat {
        assert!(iat <= now, "{id}");
    }
}

/// The examples `check_rfc_example` covers: every one with a presentation and an expected
/// processed payload. A new example in the file makes this list, and the test, fail.
const RFC_PRESENTED: &[&str] = &[
    "simple",
    "simple_structured",
    "complex_ekyc",
    "sd_jwt_vc_pid",
    "w3c_vcdm",
];

#[test]
fn rfc9901_every_presented_example_is_covered() {
    let file = json(RFC9901);
    let with_presentation: Vec<&str> = file["examples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e.get("presentation").is_some() && e.get("expected_processed_payload").is_some()
        })
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(with_presentation, RFC_PRESENTED);
}

#[test]
fn rfc9901_5_simple_with_key_binding() {
    check_rfc_example("simple");
}

#[test]
fn rfc9901_a1_simple_structured_with_unicode_and_decoys() {
    check_rfc_example("simple_structured");
}

#[test]
fn rfc9901_a2_complex_ekyc() {
    check_rfc_example("complex_ekyc");
}

#[test]
fn rfc9901_a3_sd_jwt_vc_pid_with_key_binding() {
    check_rfc_example("sd_jwt_vc_pid");
}

#[test]
fn rfc9901_a4_w3c_vcdm_with_key_binding() {
    check_rfc_example("w3c_vcdm");
}

/// The issued SD-JWTs (every disclosure, no KB-JWT) verify and use every disclosure; each
/// listed disclosure hashes to its listed digest and decodes to its listed contents.
#[test]
fn rfc9901_issued_sd_jwts_and_listed_disclosures() {
    let file = json(RFC9901);
    let mut issued_checked = 0;
    let mut disclosures_checked = 0;
    for e in file["examples"].as_array().unwrap() {
        let id = e["id"].as_str().unwrap();
        for d in e["disclosures"].as_array().into_iter().flatten() {
            let text = d["disclosure"].as_str().unwrap();
            assert_eq!(
                sd_digest(text),
                d["sha256_digest"].as_str().unwrap(),
                "{id}"
            );
            let contents: Value = serde_json::from_slice(&unb64(text)).unwrap();
            assert_eq!(contents, d["contents"], "{id}");
            disclosures_checked += 1;
        }
        let Some(issued) = e["sd_jwt_issued"].as_str() else {
            continue;
        };
        let v = sdjwt::verify(issued, &rfc_issuer(), &rfc_opts(RFC_NOW))
            .unwrap_or_else(|err| panic!("{id} issued: {err}"));
        let sent = SdJwt::parse(issued).unwrap().disclosures.len();
        assert_eq!(v.disclosed_paths.len(), sent, "{id}");
        assert!(v.key_binding.is_none());
        issued_checked += 1;
    }
    println!("RFC 9901: {issued_checked} issued SD-JWTs, {disclosures_checked} disclosures");
    assert_eq!(issued_checked, 3);
    assert!(disclosures_checked >= 40, "{disclosures_checked}");
}

/// §6.1–6.3 give only payloads and disclosures (no signed token): signed here with the
/// A.5 issuer key, each must process to the §6 address claims.
#[test]
fn rfc9901_6_flat_structured_and_recursive_payloads() {
    let issuer = common::rfc_issuer_key();
    let expected_address = json!({"street_address": "Schulstr. 12", "locality": "Schulpforta",
        "region": "Sachsen-Anhalt", "country": "DE"});
    let mut checked = 0;
    for id in ["flat", "structured", "recursive"] {
        let e = rfc_example(id);
        let payloads = match e.get("sd_jwt_payloads") {
            Some(list) => list.as_array().unwrap().clone(),
            None => vec![e["sd_jwt_payload"].clone()],
        };
        for payload in payloads {
            let jws = jose::sign_json(&issuer, Some("example+sd-jwt"), &payload);
            // send only the disclosures this payload (or a disclosure) refers to
            let all: Vec<&str> = e["disclosures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["disclosure"].as_str().unwrap())
                .collect();
            let referenced = |d: &&str| {
                let digest = sd_digest(d);
                payload.to_string().contains(&digest)
                    || all
                        .iter()
                        .any(|o| String::from_utf8(unb64(o)).unwrap().contains(&digest))
            };
            let sent: Vec<&str> = all.iter().copied().filter(referenced).collect();
            let text = format!("{jws}~{}~", sent.join("~"));
            let v = sdjwt::verify(&text, &issuer.public(), &rfc_opts(RFC_NOW))
                .unwrap_or_else(|err| panic!("{id}: {err}"));
            assert_eq!(v.claims["address"], expected_address, "{id}");
            assert_eq!(v.claims["sub"], "6c5c0a49-b589-431d-bae7-219122a9ec2c");
            assert_eq!(v.disclosed_paths.len(), sent.len(), "{id}");
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
}

/// §4.2.1–4.2.3: the listed disclosures hash to the listed digests, and the verifier finds a
/// disclosure only under the digest of its exact text. The "equivalent variants" (same JSON
/// value, different bytes) have different digests and must not match (D14: never re-encode).
#[test]
fn rfc9901_disclosure_encoding_digest_is_over_the_exact_text() {
    let enc = json(RFC9901)["disclosure_encoding"].clone();
    let original = enc["disclosure"].as_str().unwrap();
    let original_digest = enc["sha256_digest"].as_str().unwrap();
    assert_eq!(sd_digest(original), original_digest);
    assert_eq!(
        serde_json::from_slice::<Value>(&unb64(original)).unwrap(),
        enc["object_property_contents"]
    );
    let array_d = enc["array_element_disclosure"].as_str().unwrap();
    let array_digest = enc["array_element_sha256_digest"].as_str().unwrap();
    assert_eq!(sd_digest(array_d), array_digest);
    assert_eq!(
        serde_json::from_slice::<Value>(&unb64(array_d)).unwrap(),
        enc["array_element_contents"]
    );

    // through the verifier: the exact disclosures are found under their digests
    let issuer = common::rfc_issuer_key();
    let payload = json!({"iss": "https://issuer.example.com", "iat": 1_683_000_000,
        "_sd": [original_digest], "nationalities": [{"...": array_digest}],
        "_sd_alg": "sha-256"});
    let jws = jose::sign_json(&issuer, Some("example+sd-jwt"), &payload);
    let ok = sdjwt::verify(
        &format!("{jws}~{original}~{array_d}~"),
        &issuer.public(),
        &rfc_opts(RFC_NOW),
    )
    .unwrap();
    assert_eq!(ok.claims["family_name"], "Möbius");
    assert_eq!(ok.claims["nationalities"], json!(["FR"]));

    let variants = enc["equivalent_variants_same_value_different_digest"]
        .as_array()
        .unwrap();
    assert_eq!(variants.len(), 3);
    let mut digests = vec![original_digest.to_owned()];
    for variant in variants {
        let what = variant["what"].as_str().unwrap();
        let text = variant["disclosure"].as_str().unwrap();
        let digest = sd_digest(text);
        assert_eq!(digest, variant["sha256_digest"].as_str().unwrap(), "{what}");
        // the same JSON value ...
        assert_eq!(
            serde_json::from_slice::<Value>(&unb64(text)).unwrap(),
            enc["object_property_contents"],
            "{what}"
        );
        // ... under a different digest
        assert!(!digests.contains(&digest), "{what}");
        digests.push(digest);
        // a variant sent in place of the original is not the disclosure the issuer signed
        let swapped = format!("{jws}~{text}~{array_d}~");
        let got = code(
            what,
            sdjwt::verify(&swapped, &issuer.public(), &rfc_opts(RFC_NOW)),
        );
        println!("D14 variant '{what}': {got}");
        assert_eq!(got, Code::SdUnreferencedDisclosure, "{what}");
    }
}

/// §8 JSON serialization (flattened and general) is out of scope for our compact-only
/// verifier: the compact parser must refuse it, never half-read it.
#[test]
fn rfc9901_8_json_serialization_is_refused_by_the_compact_parser() {
    let mut refused = 0;
    for id in ["json_flattened", "json_general"] {
        let e = rfc_example(id);
        for item in e["json_serialized"].as_array().unwrap() {
            let text = item["value"].to_string();
            let got = code(id, SdJwt::parse(&text).map(|_| ()));
            println!("JSON serialization {id}: refused with {got}");
            assert_eq!(got, Code::SdFormat, "{id}");
            let pretty = serde_json::to_string_pretty(&item["value"]).unwrap();
            assert!(SdJwt::parse(&pretty).is_err(), "{id} pretty");
            refused += 1;
        }
    }
    assert!(refused >= 2, "{refused}");
}

/// A disclosure built the way our issuer writes them (compact JSON) hashes like the RFC's.
#[test]
fn rfc9901_compact_disclosure_helper_matches_the_no_whitespace_variant() {
    let enc = json(RFC9901)["disclosure_encoding"].clone();
    let compact = disclosure(&enc["object_property_contents"]);
    let variant = enc["equivalent_variants_same_value_different_digest"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["what"] == "no whitespace")
        .unwrap()
        .clone();
    assert_eq!(compact, variant["disclosure"].as_str().unwrap());
    assert_eq!(
        sd_digest(&compact),
        variant["sha256_digest"].as_str().unwrap()
    );
}
