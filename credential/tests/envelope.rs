//! QR envelope (VP1): round trips, sizes of the standard presentation, and the test vectors of
//! docs/formats.md. The refusals (`reject_*`) are unit tests next to the code, in
//! `credential/src/envelope/tests.rs`, because they build broken bodies from its internals.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use proptest::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::{b64, envelope, jose, limits, Code};

/// Deterministic tokens shaped like what vpass issues and presents.
mod fixture {
    use super::*;

    /// The standard hours credential (testdata/fixtures/standard-hours.json).
    pub fn standard_hours() -> Value {
        let text = include_str!("../../testdata/fixtures/standard-hours.json");
        serde_json::from_str(text).expect("fixture parses")
    }

    /// Bytes that look random but are fixed: SHA-256 of a label, cut to `n`.
    pub fn pseudo_random(label: &str, n: usize) -> Vec<u8> {
        Sha256::digest(label.as_bytes())[..n].to_vec()
    }

    pub fn office() -> SigningKey {
        SigningKey::from_seed(&[1; 32]).with_kid("did:web:front-office.example:astana#key-1")
    }

    pub fn holder() -> SigningKey {
        SigningKey::from_seed(&[2; 32])
    }

    /// An RFC 9901 object-property disclosure and its digest.
    pub fn disclosure(name: &str, value: &Value) -> (String, String) {
        let salt = b64::encode(pseudo_random(&format!("salt {name}"), 16));
        let d = b64::encode(json!([salt, name, value]).to_string());
        let digest = b64::encode(Sha256::digest(d.as_bytes()));
        (d, digest)
    }

    /// The issuer-signed SD-JWT of the standard hours credential, with the subject claims
    /// named in `sd` made selectively disclosable. Returns the JWS and all disclosures.
    pub fn issued(sd: &[&str]) -> (String, Vec<(String, String)>) {
        let vc = standard_hours();
        let mut subject = vc["credentialSubject"].as_object().expect("object").clone();
        let mut disclosures = Vec::new();
        for name in sd {
            let value = subject.shift_remove(*name).expect("claim present");
            disclosures.push((name.to_string(), disclosure(name, &value)));
        }
        let mut subject_out = serde_json::Map::new();
        subject_out.insert("id".into(), json!(holder().public().did_key()));
        subject_out.extend(subject);
        let mut digests: Vec<&str> = disclosures.iter().map(|(_, (_, h))| h.as_str()).collect();
        digests.sort_unstable();
        subject_out.insert("_sd".into(), json!(digests));

        let mut payload = serde_json::Map::new();
        payload.insert("iss".into(), vc["issuer"].clone());
        payload.insert("iat".into(), json!(1_780_272_000));
        payload.insert("nbf".into(), json!(1_780_272_000));
        payload.insert("exp".into(), json!(1_938_038_400));
        payload.insert("vct".into(), json!("VolunteerHoursCredential"));
        for (k, v) in vc.as_object().expect("object") {
            let v = if k == "credentialSubject" {
                Value::Object(subject_out.clone())
            } else {
                v.clone()
            };
            payload.insert(k.clone(), v);
        }
        payload.insert("cnf".into(), json!({"jwk": holder().public().to_jwk()}));
        payload.insert("_sd_alg".into(), json!("sha-256"));
        let jws = jose::sign_json(&office(), Some("dc+sd-jwt"), &Value::Object(payload));
        (jws, disclosures.into_iter().map(|(_, d)| d).collect())
    }

    /// A presentation: the JWS, the disclosures shown, and a KB-JWT over them.
    pub fn presented(jws: &str, shown: &[String]) -> String {
        let mut sd = format!("{jws}~");
        for d in shown {
            sd.push_str(d);
            sd.push('~');
        }
        let sd_hash = b64::encode(Sha256::digest(sd.as_bytes()));
        let nonce = b64::encode(pseudo_random("nonce", 16));
        let kb = json!({"iat": 1_781_481_600, "aud": "https://hr.example.kz",
            "nonce": nonce, "sd_hash": sd_hash});
        sd + &jose::sign_json(&holder(), Some("kb+jwt"), &kb)
    }

    /// The standard presentation of the brief: `iin` and `region` selectively disclosable
    /// and hidden, everything else in the clear, key binding attached.
    pub fn standard_presentation() -> String {
        let (jws, _) = issued(&["iin", "region"]);
        presented(&jws, &[])
    }

    /// Every subject claim selectively disclosable; all but `iin` and `region` shown.
    pub fn all_sd_presentation() -> String {
        let names = [
            "name",
            "iin",
            "hours",
            "activity",
            "organization",
            "region",
            "periodStart",
            "periodEnd",
        ];
        let (jws, all) = issued(&names);
        let shown: Vec<String> = names
            .iter()
            .zip(all)
            .filter(|(n, _)| **n != "iin" && **n != "region")
            .map(|(_, (d, _))| d)
            .collect();
        presented(&jws, &shown)
    }

    /// A plain VC-JWT of the standard hours credential.
    pub fn vc_jwt() -> String {
        let mut vc = standard_hours();
        vc["credentialSubject"]["id"] = json!(holder().public().did_key());
        jose::sign_json(&office(), Some("vc+jwt"), &vc)
    }
}

/// Alphanumeric capacity of QR versions 1–40 at error-correction level M (ISO/IEC 18004
/// table 7; checked against the `qrcode` crate).
const QR_ALNUM_M: [usize; 40] = [
    20, 38, 61, 90, 122, 154, 178, 221, 262, 311, 366, 419, 483, 528, 600, 656, 734, 816, 909, 970,
    1035, 1134, 1248, 1326, 1451, 1542, 1637, 1732, 1839, 1994, 2113, 2238, 2369, 2506, 2632, 2780,
    2894, 3054, 3220, 3391,
];

fn qr_version_m(chars: usize) -> Option<usize> {
    QR_ALNUM_M
        .iter()
        .position(|&cap| chars <= cap)
        .map(|i| i + 1)
}

fn report(label: &str, token: &str) -> usize {
    let text = envelope::encode(token).unwrap();
    assert_eq!(envelope::decode(&text).unwrap(), token);
    println!(
        "{label}: token {} chars, envelope {} chars, QR version {:?} at EC level M",
        token.len(),
        text.len(),
        qr_version_m(text.len())
    );
    text.len()
}

#[test]
fn standard_presentation_fits_qr_version_20_m() {
    let n = report("standard SD-JWT+KB", &fixture::standard_presentation());
    assert!(n <= 970, "{n} chars do not fit QR version 20-M");
    report("all-claims-SD SD-JWT+KB", &fixture::all_sd_presentation());
    report("VC-JWT", &fixture::vc_jwt());
}

/// The vectors in docs/formats.md, as (label, token).
fn docs_vector_tokens() -> Vec<(&'static str, String)> {
    let (issued, disclosures) = fixture::issued(&["iin", "region"]);
    let mut issued_sd = format!("{issued}~");
    for (d, _) in &disclosures {
        issued_sd.push_str(d);
        issued_sd.push('~');
    }
    let tiny = jose::sign_json(
        &SigningKey::from_seed(&[1; 32]),
        None,
        &json!({"nonce": b64::encode(fixture::pseudo_random("nonce", 16))}),
    );
    vec![
        ("a tiny JWS (the worked example)", tiny),
        ("plain JWS (VC-JWT)", fixture::vc_jwt()),
        ("SD-JWT (as issued, two disclosures)", issued_sd),
        (
            "SD-JWT+KB (the standard presentation)",
            fixture::standard_presentation(),
        ),
    ]
}

/// Pairs of ```` ```vp1-token ```` / ```` ```vp1-envelope ```` blocks in docs/formats.md.
fn docs_vectors() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/formats.md");
    let doc = std::fs::read_to_string(path).expect("docs/formats.md is readable");
    let block = |info: &str| -> Vec<String> {
        let fence = format!("```{info}\n");
        doc.split(&fence)
            .skip(1)
            .map(|rest| rest.split("\n```").next().unwrap_or("").to_owned())
            .collect()
    };
    let tokens = block("vp1-token");
    let envelopes = block("vp1-envelope");
    assert_eq!(tokens.len(), envelopes.len(), "unpaired vector blocks");
    tokens.into_iter().zip(envelopes).collect()
}

#[test]
fn docs_formats_vectors_decode_to_their_tokens() {
    let vectors = docs_vectors();
    assert!(
        vectors.len() >= 4,
        "docs/formats.md has {} vectors",
        vectors.len()
    );
    assert!(vectors.iter().any(|(t, _)| !t.contains('~')));
    assert!(vectors.iter().any(|(t, _)| t.ends_with('~')));
    assert!(vectors
        .iter()
        .any(|(t, _)| t.contains('~') && !t.ends_with('~')));
    for (token, text) in &vectors {
        // Normative: every decoder must give back exactly the token.
        assert_eq!(&envelope::decode(text).unwrap(), token);
        assert_eq!(
            &envelope::decode(&envelope::encode(token).unwrap()).unwrap(),
            token
        );
    }
}

#[test]
fn docs_formats_vectors_match_this_encoder() {
    // Encoders may differ (any DEFLATE stream is allowed); this one is pinned so that the
    // documented sizes stay true. If the compressor changes, regenerate the vectors with
    // `cargo test -p vpass-credential --test envelope print_docs_vectors -- --ignored
    // --nocapture`: envelopes already printed keep decoding.
    let documented = docs_vectors();
    let ours = docs_vector_tokens();
    assert_eq!(documented.len(), ours.len());
    for ((token, text), (label, expected)) in documented.iter().zip(&ours) {
        assert_eq!(token, expected, "{label}: the fixture token changed");
        assert_eq!(&envelope::encode(token).unwrap(), text, "{label}");
    }
}

#[test]
fn docs_formats_names_the_dictionary_by_sha256() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let dict = std::fs::read(format!("{dir}/src/envelope/dict-v1.txt")).unwrap();
    let doc = std::fs::read_to_string(format!("{dir}/../docs/formats.md")).unwrap();
    let hex: String = Sha256::digest(&dict)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        doc.contains(&hex),
        "docs/formats.md lacks the dictionary hash {hex}"
    );
    assert!(doc.contains(&format!("{} bytes", dict.len())));
    assert!(!dict.contains(&b'\n') && std::str::from_utf8(&dict).is_ok());
}

/// Tokens of all three forms from arbitrary bytes, with JSON-ish parts that contain
/// base64url strings in quotes (to exercise the extraction).
fn arb_part() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..120),
        (any::<[u8; 32]>(), any::<[u8; 16]>(), "[a-z\"{}:,]{0,20}").prop_map(|(a, b, s)| {
            format!(
                r#"{{"a":"{}","n":"{}","s":"{s}","e":""}}"#,
                b64::encode(a),
                b64::encode(b)
            )
            .into_bytes()
        }),
    ]
}

fn arb_jws() -> impl Strategy<Value = String> {
    (
        arb_part(),
        arb_part(),
        proptest::collection::vec(any::<u8>(), 0..80),
    )
        .prop_map(|(h, p, s)| format!("{}.{}.{}", b64::encode(h), b64::encode(p), b64::encode(s)))
}

fn arb_token() -> impl Strategy<Value = String> {
    (
        0u8..3,
        arb_jws(),
        proptest::collection::vec(arb_part(), 0..6),
        arb_jws(),
    )
        .prop_map(|(form, issuer, disclosures, kb)| {
            let mut t = issuer;
            if form == 0 {
                return t;
            }
            t.push('~');
            for d in disclosures {
                t.push_str(&b64::encode(d));
                t.push('~');
            }
            if form == 2 {
                t.push_str(&kb);
            }
            t
        })
}

proptest! {
    #[test]
    fn decode_encode_round_trips_byte_for_byte(token in arb_token()) {
        let text = envelope::encode(&token).unwrap();
        prop_assert!(text.len() <= limits::MAX_QR_TEXT);
        prop_assert!(text.starts_with(envelope::PREFIX));
        prop_assert!(envelope::is_envelope(&text));
        prop_assert_eq!(envelope::decode(&text).unwrap(), token);
    }

    #[test]
    fn decode_never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
        let _ = envelope::decode(&text);
        let _ = envelope::decode(&format!("VP1:{text}"));
    }

    #[test]
    fn decode_never_panics_on_qr_alphanumeric_text(text in "[0-9A-Z $%*+./:-]{0,600}") {
        let _ = envelope::decode(&format!("VP1:{text}"));
    }

    #[test]
    fn decode_refuses_unprefixed_text_as_unsupported_version(text in "[^:]{0,100}") {
        prop_assert_eq!(envelope::decode(&text).unwrap_err().code(), Code::UnsupportedVersion);
    }
}
