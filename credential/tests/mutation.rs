//! Token-mutation properties: an Ed25519-issued SD-JWT VC presented with key binding stops
//! verifying under any single-bit flip, any truncation, and any part swapped with the same
//! part of another valid presentation.
//!
//! Every byte of a presentation is covered by a signature or a digest: the issuer JWS by
//! the office's signature, each disclosure by its digest in the signed payload, the list of
//! disclosures and their order by the KB-JWT's `sd_hash`, and the KB-JWT by the holder's
//! signature. So there is no byte whose change may be accepted, and the properties assert
//! `Err` for every mutation. The verifier requires key binding here: without that policy a
//! prefix ending at a `~` is a valid SD-JWT with fewer disclosures and no KB-JWT
//! (`truncation_at_a_tilde_is_refused_only_by_the_kb_policy` shows it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Value};
use vpass_credential::keys::{PublicKey, Signer, SigningKey};
use vpass_credential::sdjwt::{self, KbParams, SaltSource, Verified, VerifyOptions};
use vpass_credential::time::UnixTime;
use vpass_credential::{Code, Result};

const ISSUED_AT: i64 = 1_780_000_000;
const PRESENTED_AT: i64 = ISSUED_AT + 86_400;
const AUD: &str = "https://hr.example.kz";
const NONCE: &str = "n-4f1c";

/// Deterministic salts, different per `seed`.
struct SeededSalts {
    seed: u64,
    n: u32,
}

impl SaltSource for SeededSalts {
    fn salt(&mut self) -> String {
        self.n += 1;
        common::b64(format!("{:016x}{:08x}", self.seed, self.n))
    }
}

fn office() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_seed(&[0x0f; 32]))
}

fn holder() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_seed(&[0x40; 32]))
}

fn holder_jwk() -> &'static Value {
    static JWK: OnceLock<Value> = OnceLock::new();
    JWK.get_or_init(|| holder().public().to_jwk())
}

fn claims(hours: u32, name: &str, region: &str) -> Value {
    json!({
        "iss": "did:web:office.example.kz",
        "iat": ISSUED_AT,
        "exp": ISSUED_AT + 3 * 365 * 86_400,
        "vct": "https://vpass.example/hours",
        "cnf": {"jwk": holder_jwk()},
        "hours": hours,
        "subject": {"name": name, "iin": "950101400123", "region": region},
        "langs": ["kk", "ru", "en"],
    })
}

/// Issue with five disclosures (one nested), present three of them with a KB-JWT.
fn presentation(claims: Value, salt_seed: u64) -> String {
    let sd: Vec<_> = [
        "subject.iin",
        "subject.region",
        "subject",
        "langs.1",
        "hours",
    ]
    .iter()
    .map(|p| sdjwt::parse_path(&claims, p))
    .collect();
    let mut salts = SeededSalts {
        seed: salt_seed,
        n: 0,
    };
    let issued = sdjwt::issue(office(), claims, &sd, &mut salts).unwrap();
    let kb = KbParams {
        key: holder(),
        aud: AUD,
        nonce: NONCE,
        iat: UnixTime(PRESENTED_AT),
    };
    sdjwt::present_names(&issued, &["region", "langs.1", "hours"], Some(&kb)).unwrap()
}

fn opts() -> VerifyOptions {
    let mut o = VerifyOptions::at(UnixTime(PRESENTED_AT + 10));
    o.kb.required = true;
    o.kb.aud = Some(AUD.into());
    o.kb.nonce = Some(NONCE.into());
    o
}

fn verify(text: &str) -> Result<Verified> {
    sdjwt::verify(text, &office_public(), &opts())
}

fn office_public() -> PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| office().public()).clone()
}

/// The fixed presentation that bit flips and truncations mutate.
fn fixed() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| presentation(claims(48, "Aigerim", "KZ-AST"), 1))
}

/// Split into parts: issuer JWS, disclosures…, KB-JWT.
fn parts(text: &str) -> Vec<&str> {
    text.split('~').collect()
}

#[test]
fn fixed_presentation_verifies_control() {
    let v = verify(fixed()).unwrap();
    assert_eq!(v.claims["hours"], 48);
    assert_eq!(
        v.claims["subject"],
        json!({"name": "Aigerim", "region": "KZ-AST"})
    );
    assert_eq!(v.claims["langs"], json!(["kk", "ru", "en"]));
    assert_eq!(v.disclosed_paths.len(), 4);
    assert_eq!(parts(fixed()).len(), 6, "JWS, 4 disclosures, KB-JWT");
}

/// Cutting the presentation right after any `~` leaves a valid SD-JWT with fewer
/// disclosures and no KB-JWT: only the key-binding policy refuses it.
#[test]
fn truncation_at_a_tilde_is_refused_only_by_the_kb_policy() {
    let text = fixed();
    let mut cuts = 0;
    for (i, _) in text.match_indices('~') {
        let prefix = &text[..=i];
        assert_eq!(
            verify(prefix).unwrap_err().code(),
            Code::KbRequired,
            "cut {i}"
        );
        let mut lax = opts();
        lax.kb.required = false;
        let shown = sdjwt::verify(prefix, &office_public(), &lax);
        // a prefix that cuts a recursive disclosure's parent away leaves its child
        // unreferenced; every other prefix is a smaller, valid presentation
        if let Err(e) = shown {
            assert_eq!(e.code(), Code::SdUnreferencedDisclosure, "cut {i}");
        }
        cuts += 1;
    }
    assert_eq!(cuts, 5);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// (a) Any single bit flipped anywhere is refused. Flipping bit 7 of an ASCII byte
    /// always gives invalid UTF-8, which cannot reach the verifier as text.
    #[test]
    fn any_single_bit_flip_is_refused(pos in 0usize..4096, bit in 0u8..8) {
        let text = fixed();
        let pos = pos % text.len();
        let mut bytes = text.as_bytes().to_vec();
        bytes[pos] ^= 1 << bit;
        match String::from_utf8(bytes) {
            Err(_) => prop_assert_eq!(bit, 7),
            Ok(mutated) => {
                let r = verify(&mutated);
                prop_assert!(r.is_err(), "flip of bit {} at {} accepted", bit, pos);
            }
        }
    }

    /// (b) Any truncation is refused.
    #[test]
    fn any_truncation_is_refused(cut in 0usize..4096) {
        let text = fixed();
        let cut = cut % text.len();
        prop_assert!(verify(&text[..cut]).is_err(), "prefix of {} accepted", cut);
    }

}

proptest! {
    // Each case issues, presents and verifies afresh (about ten Ed25519 operations in an
    // unoptimized test build), so fewer cases than the properties above.
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// (c) Any part (issuer JWS, a disclosure, the KB-JWT) of a freshly issued presentation
    /// replaced by the same part of another valid presentation, from another issuance, is
    /// refused. (Two presentations of the *same* issuance share their JWS, so that swap
    /// would be no change at all.)
    #[test]
    fn any_part_swapped_with_another_presentation_is_refused(
        hours in 0u32..100_000,
        name in "[A-Za-z][a-z]{0,11}",
        region in prop::sample::select(vec!["KZ-AST", "KZ-ALA", "KZ-SHY", "KZ-KAR"]),
        seed in 2u64..u64::MAX,
        part in 0usize..6,
    ) {
        let a = presentation(claims(hours, &name, region), seed);
        let b = fixed();
        prop_assert!(verify(&a).is_ok());
        let (pa, pb) = (parts(&a), parts(b));
        prop_assert_eq!(pa.len(), pb.len());
        let mut swapped = pa.clone();
        swapped[part] = pb[part];
        let text = swapped.join("~");
        prop_assert_ne!(&text, &a);
        let r = verify(&text);
        prop_assert!(r.is_err(), "part {} swapped: accepted", part);
    }
}
