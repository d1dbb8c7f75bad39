//! QR envelope (VP1): round trips, sizes of the standard presentation, and the test vectors of
//! docs/formats.md. The refusals (`reject_*`) are unit tests next to the code, in
//! `credential/src/envelope/tests.rs`, because they build broken bodies from its internals.

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
        let mut subject = vc["credentialSubject"]
            .as_object()
            .expect("object")
            .clone();
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
    20, 38, 61, 90, 122, 154, 178, 221, 262, 311, 366, 419, 483, 528, 600, 656, 734, 816, 909,
    970, 1035, 1134, 1248, 1326, 1451, 1542, 1637, 1732, 1839, 1994, 2113, 2238, 2369, 2506,
    2632, 2780, 2894, 3054, 3220, 3391,
];

fn qr_version_m(chars: usize) -> Option<usize> {
    QR_ALNUM_M.iter().position(|&cap| chars <= cap).map(|i| i + 1)
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

#[test]
fn dump_standard() {
    let t = fixture::standard_presentation();
    std::fs::write("/tmp/tok-standard.txt", &t).unwrap();
    std::fs::write("/tmp/tok-allsd.txt", fixture::all_sd_presentation()).unwrap();
    std::fs::write("/tmp/tok-vcjwt.txt", fixture::vc_jwt()).unwrap();
    for seg in t.split(['~', '.']) {
        let b = b64::decode(seg, "x").unwrap();
        println!("{} bytes: {}", b.len(), String::from_utf8_lossy(&b));
    }
}
