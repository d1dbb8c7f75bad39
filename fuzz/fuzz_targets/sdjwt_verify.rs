//! Untrusted SD-JWT text → `sdjwt::SdJwt::parse` and, when it parses, `verify` under a fixed
//! Ed25519 key at a fixed time; then the whole verifier, `vpass_verifier::verify`, on the same
//! text (so QR envelope text is covered too), once with the key given directly and once with
//! a signed trust list and a cached status list. Must never panic, hang or allocate without
//! bound; a verdict is valid exactly when it has no errors; and whatever the verifier accepts
//! as a raw SD-JWT, the library accepts too.
//!
//! The fixed key and time are those of the standard sample (`vpass_verifier::sample`), so the
//! seeds (the sample presentation, with and without key binding, as text and QR text) verify.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vpass_credential::keys::{PublicKey, Signer, SigningKey};
use vpass_credential::sdjwt::{KbPolicy, SdJwt, VerifyOptions};
use vpass_credential::status::{sign_status_list, StatusList};
use vpass_credential::time::UnixTime;
use vpass_credential::trust::{
    sign_trust_list, verify_trust_list, KeyState, Names, Office, OfficeKey, TrustList,
};
use vpass_verifier::sample::{AUD, NONCE};
use vpass_verifier::{Policy, TrustStore};

/// The sample office key's seed and `kid`.
const OFFICE_SEED: [u8; 32] = [0x0f; 32];
const OFFICE: &str = "did:web:front-office.example:astana";
const KID: &str = "did:web:front-office.example:astana#2026";
const LIST_URL: &str = "https://front-office.example/status/1";
/// 2026-06-01T01:00:00Z: one hour after the sample credential's `iat`, when its KB-JWT is made.
const NOW: i64 = 1_780_275_600;

struct Fixed {
    key: PublicKey,
    opts: VerifyOptions,
    keys: TrustStore,
    trust: TrustStore,
    policy: Policy,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let office = SigningKey::from_seed(&OFFICE_SEED).with_kid(KID);
        let root = SigningKey::from_seed(&[1; 32]);
        let list = TrustList {
            sequence: 1,
            issued_at: UnixTime(NOW - 3_600),
            next_update: UnixTime(NOW + 86_400),
            root: root.public().did_key(),
            next_root: None,
            offices: vec![Office {
                id: OFFICE.into(),
                names: Names {
                    kk: "Астана".into(),
                    ru: "Астана".into(),
                    en: "Astana".into(),
                },
                region: Some("KZ-AST".into()),
                credential_types: vec!["VolunteerHoursCredential".into()],
                keys: vec![OfficeKey {
                    kid: KID.into(),
                    jwk: office.public().to_jwk(),
                    valid_from: UnixTime(NOW - 86_400 * 365),
                    valid_until: None,
                    state: KeyState::Active,
                }],
                status_lists: vec![LIST_URL.into()],
            }],
        };
        let now = UnixTime(NOW);
        let trust_list =
            verify_trust_list(&sign_trust_list(&root, &list), &root.public(), now, None);
        let mut bits = StatusList::new(131_072).expect("minimum length");
        bits.set(7, true).expect("in range");
        let status = sign_status_list(
            &office,
            OFFICE,
            LIST_URL,
            "revocation",
            &bits,
            UnixTime(NOW - 600),
            UnixTime(NOW + 86_400),
        );
        let mut policy = Policy::at(now);
        policy.aud = Some(AUD.into());
        policy.nonce = Some(NONCE.into());
        let mut opts = VerifyOptions::at(now);
        opts.kb = KbPolicy {
            required: false,
            aud: policy.aud.clone(),
            nonce: policy.nonce.clone(),
        };
        Fixed {
            key: office.public(),
            opts,
            keys: TrustStore::with_keys(vec![office.public()]),
            trust: TrustStore::with_trust_list(trust_list, [status]),
            policy,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixed();
    let library = SdJwt::parse(text).and_then(|sd| sd.verify(&f.key, &f.opts));
    for store in [&f.keys, &f.trust] {
        let verdict = vpass_verifier::verify(text, store, &f.policy);
        assert_eq!(verdict.valid, verdict.errors.is_empty());
        if verdict.valid && text.starts_with("eyJ") && text.contains('~') {
            assert!(
                library.is_ok(),
                "verifier accepted what the library refuses"
            );
        }
    }
});
