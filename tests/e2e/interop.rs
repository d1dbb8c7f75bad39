//! Interoperability with independent implementations from npm: `@sd-jwt/sd-jwt-vc` (SD-JWT VC,
//! RFC 9901) and `jose` (JWS/JWT), driven through the small scripts in `tests/interop/`.
//!
//! Keys and tokens cross between Rust and Node as one JSON document on stdin and one on
//! stdout. Time is injected on both sides ([`NOW`]), so no test reads a clock.
//!
//! `scripts/interop-setup.sh` installs the npm packages (pinned by
//! `tests/interop/package-lock.json`). Without `node` or without `tests/interop/node_modules`
//! each test says why and returns, except under CI, where it fails ([`crate::util::missing`]).

// A failed unwrap is a failed test; the workspace lints are for library code.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use vpass_credential::keys::{PublicKey, Signer, SigningKey};
use vpass_credential::sdjwt::{self, KbParams, OsSalts, VerifyOptions};
use vpass_credential::time::UnixTime;
use vpass_credential::{vcjwt, Code};

use crate::util::missing;

/// The verification time both sides are given (2026-05-28T20:26:40Z).
const NOW: i64 = 1_780_000_000;
const AUD: &str = "https://hr.example/verifier";
const NONCE: &str = "n-0S6_WzA2Mj";

/// The Node side: the scripts' folder, once `node` and the packages are known to be there.
struct Js {
    dir: PathBuf,
}

impl Js {
    /// `Some` when the interop tests can run; otherwise `None` after [`missing`] said why
    /// (under CI it fails the test instead).
    fn find() -> Option<Js> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop");
        let node = Command::new("node").arg("--version").output();
        if !node.is_ok_and(|o| o.status.success()) {
            missing(
                "`node` (Node.js 20+, for the interop tests)",
                "install Node.js and npm (Debian: apt-get install nodejs npm), then run \
                 scripts/interop-setup.sh",
            );
            return None;
        }
        for package in ["@sd-jwt/sd-jwt-vc", "jose"] {
            if !dir.join("node_modules").join(package).is_dir() {
                missing(
                    &format!(
                        "the npm package {package} ({})",
                        dir.join("node_modules").join(package).display()
                    ),
                    "scripts/interop-setup.sh installs it",
                );
                return None;
            }
        }
        Some(Js { dir })
    }

    /// Run `script` with `input` on stdin; the script answers with one JSON document.
    fn run(&self, script: &str, input: &Value) -> Value {
        let mut child = Command::new("node")
            .arg(script)
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.to_string().as_bytes()).unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "node {script} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Verify an SD-JWT VC presentation with `@sd-jwt/sd-jwt-vc`.
    fn verify_sd_jwt(&self, token: &str, office: &PublicKey, required: &[&str]) -> Value {
        let input = json!({"token": token, "issuerJwk": office.to_jwk(), "aud": AUD,
            "nonce": NONCE, "now": NOW, "requiredClaimKeys": required});
        self.run("sd-jwt-verify.mjs", &input)
    }

    /// Verify a VC-JWT with `jose`.
    fn verify_vc_jwt(&self, token: &str, office: &PublicKey) -> Value {
        let input = json!({"token": token, "jwk": office.to_jwk(), "now": NOW});
        self.run("jose-verify.mjs", &input)
    }
}

/// What `@sd-jwt/sd-jwt-vc` conceals: `name` (non-ASCII, so the disclosure's UTF-8 and base64
/// must agree), `iin`, `region`, the second language, plus two decoy digests (RFC 9901
/// §4.2.5) that vpass must skip.
const JS_DISCLOSURE_FRAME: &str = r#"{"credentialSubject":
    {"_sd": ["name", "iin", "region"], "_sd_decoy": 2, "languages": {"_sd": [1]}}}"#;

/// A volunteer-hours credential as an office issues it (SD-JWT VC shape).
fn hours_claims(holder: &PublicKey) -> Value {
    json!({
        "iss": "did:web:front-office.example:astana",
        "iat": NOW - 3600,
        "nbf": NOW - 3600,
        "exp": NOW + 365 * 86_400,
        "vct": "VolunteerHoursCredential",
        "cnf": {"jwk": holder.to_jwk()},
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "VolunteerHoursCredential"],
        "credentialSubject": {
            "name": "Айгерим Нурланова",
            "iin": "950101400123",
            "hours": 48,
            "region": "KZ-AST",
            "languages": ["kk", "ru", "en"]
        }
    })
}

/// The same credential as a VC-JWT payload (no `vct`, no `cnf`).
fn vc_jwt_claims() -> Value {
    let mut claims = hours_claims(&SigningKey::from_seed(&[1; 32]).public());
    let obj = claims.as_object_mut().unwrap();
    obj.shift_remove("vct");
    obj.shift_remove("cnf");
    claims
}

/// vpass issues with `iin`, `region` and the second language selectively disclosable.
fn vpass_issue(office: &SigningKey, holder: &PublicKey) -> String {
    let claims = hours_claims(holder);
    let sd = [
        sdjwt::parse_path(&claims, "credentialSubject.iin"),
        sdjwt::parse_path(&claims, "credentialSubject.region"),
        sdjwt::parse_path(&claims, "credentialSubject.languages.1"),
    ];
    sdjwt::issue(office, claims, &sd, &mut OsSalts).unwrap()
}

fn kb<'a>(holder: &'a SigningKey) -> KbParams<'a> {
    KbParams {
        key: holder,
        aud: AUD,
        nonce: NONCE,
        iat: UnixTime(NOW - 5),
    }
}

/// vpass's options for a presentation made for [`AUD`] with [`NONCE`].
fn kb_options() -> VerifyOptions {
    let mut opts = VerifyOptions::at(UnixTime(NOW));
    opts.kb.required = true;
    opts.kb.aud = Some(AUD.into());
    opts.kb.nonce = Some(NONCE.into());
    opts
}

/// Change one character in the middle of a JWS signature (the last character may carry only
/// padding bits that lenient decoders ignore).
fn alter_signature(jws: &str) -> String {
    let dot = jws.rfind('.').unwrap();
    let mut bytes = jws.as_bytes().to_vec();
    let at = dot + 10;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

fn reported_error(answer: &Value) -> &str {
    assert_eq!(answer["ok"], false, "accepted: {answer}");
    answer["error"].as_str().unwrap()
}

#[test]
fn interop_vpass_sd_jwt_vc_verifies_in_sd_jwt_js() {
    let Some(js) = Js::find() else { return };
    let office = SigningKey::generate_ed25519();
    // Each holder key type, with a different subset of disclosures.
    let cases: [(SigningKey, &[&str]); 2] = [
        (SigningKey::generate_ed25519(), &["region"]),
        (
            SigningKey::generate_p256(),
            &["iin", "region", "credentialSubject.languages.1"],
        ),
    ];
    for (holder, shown) in cases {
        let issued = vpass_issue(&office, &holder.public());
        let presentation = sdjwt::present_names(&issued, shown, Some(&kb(&holder))).unwrap();
        let ours = sdjwt::verify(&presentation, &office.public(), &kb_options()).unwrap();

        let required = [
            "iss",
            "vct",
            "cnf",
            "credentialSubject.name",
            "credentialSubject.hours",
            "credentialSubject.region",
        ];
        let theirs = js.verify_sd_jwt(&presentation, &office.public(), &required);
        assert_eq!(theirs["ok"], true, "{:?} holder: {theirs}", holder.alg());
        assert_eq!(theirs["header"]["alg"], "EdDSA");
        assert_eq!(theirs["kb"]["header"]["alg"], holder.alg().as_str());
        assert_eq!(theirs["kb"]["payload"]["nonce"], NONCE);
        assert_eq!(theirs["kb"]["payload"]["iat"], NOW - 5);
        // Both verifiers report the same processed claims.
        assert_eq!(theirs["payload"], Value::Object(ours.claims.clone()));
        let subject = &theirs["payload"]["credentialSubject"];
        assert_eq!(subject["name"], "Айгерим Нурланова");
        assert_eq!(subject["region"], "KZ-AST");
        assert_eq!(subject.get("iin").is_some(), shown.contains(&"iin"));
        let languages = if shown.contains(&"credentialSubject.languages.1") {
            json!(["kk", "ru", "en"])
        } else {
            json!(["kk", "en"])
        };
        assert_eq!(subject["languages"], languages);
        assert!(theirs["payload"].get("_sd").is_none());
        assert!(subject.get("_sd").is_none());
    }
}

#[test]
fn interop_sd_jwt_js_token_verifies_in_vpass() {
    let Some(js) = Js::find() else { return };
    let office = SigningKey::generate_ed25519();
    let holder = SigningKey::generate_ed25519();
    let claims = hours_claims(&holder.public());
    let input = json!({
        "issuerJwk": office.to_private_jwk(),
        "holderJwk": holder.to_private_jwk(),
        "claims": claims,
        "disclosureFrame": JS_DISCLOSURE_FRAME.parse::<Value>().unwrap(),
        "presentationFrame": {"credentialSubject": {"name": true, "region": true}},
        "aud": AUD,
        "nonce": NONCE,
        "iat": NOW - 5,
    });
    let made = js.run("sd-jwt-issue.mjs", &input);
    let (issued, presentation) = (
        made["issued"].as_str().unwrap(),
        made["presentation"].as_str().unwrap(),
    );
    // Four disclosures issued, two kept, then the KB-JWT.
    assert_eq!(issued.matches('~').count(), 5, "{issued}");
    assert_eq!(presentation.matches('~').count(), 3, "{presentation}");
    // `name`, `iin`, `region` and two decoys.
    let parsed = sdjwt::SdJwt::parse(issued).unwrap();
    let sd = &parsed.unverified_claims().unwrap()["credentialSubject"]["_sd"];
    assert_eq!(sd.as_array().map(Vec::len), Some(5));

    let v = sdjwt::verify(presentation, &office.public(), &kb_options()).unwrap();
    assert_eq!(v.header.typ.as_deref(), Some(sdjwt::TYP));
    let mut expected = claims;
    let subject = expected["credentialSubject"].as_object_mut().unwrap();
    subject.shift_remove("iin");
    subject["languages"] = json!(["kk", "en"]);
    assert_eq!(Value::Object(v.claims), expected);
    assert_eq!(v.disclosed_paths.len(), 2);
    assert_eq!(v.holder_key, Some(holder.public()));
    let binding = v.key_binding.unwrap();
    assert_eq!((binding.aud.as_str(), binding.nonce.as_str()), (AUD, NONCE));

    // The issued form, with every disclosure and no KB-JWT, verifies too.
    let v = sdjwt::verify(issued, &office.public(), &VerifyOptions::at(UnixTime(NOW))).unwrap();
    assert_eq!(v.claims["credentialSubject"]["iin"], "950101400123");
    assert_eq!(
        v.claims["credentialSubject"]["languages"],
        json!(["kk", "ru", "en"])
    );
    assert!(v.key_binding.is_none());
}

#[test]
fn interop_vpass_vc_jwt_verifies_in_jose() {
    let Some(js) = Js::find() else { return };
    let office = SigningKey::generate_ed25519();
    let claims = vc_jwt_claims();
    let token = vcjwt::issue(&office, &claims).unwrap();
    let theirs = js.verify_vc_jwt(&token, &office.public());
    assert_eq!(theirs["ok"], true, "{theirs}");
    assert_eq!(
        theirs["protectedHeader"],
        json!({"alg": "EdDSA", "typ": "vc+jwt"})
    );
    assert_eq!(theirs["payload"], claims);
}

#[test]
fn interop_jose_vc_jwt_verifies_in_vpass() {
    let Some(js) = Js::find() else { return };
    let office = SigningKey::generate_ed25519();
    let claims = vc_jwt_claims();
    let made = js.run(
        "jose-sign.mjs",
        &json!({"jwk": office.to_private_jwk(), "claims": claims}),
    );
    let token = made["token"].as_str().unwrap();
    let v = vcjwt::verify(token, &office.public(), UnixTime(NOW), 0).unwrap();
    assert!(!v.legacy_vc11);
    assert_eq!(v.header.typ.as_deref(), Some(vcjwt::TYP));
    assert_eq!(Value::Object(v.claims), claims);
}

#[test]
fn interop_js_rejects_vpass_tokens_with_altered_signature() {
    let Some(js) = Js::find() else { return };
    let office = SigningKey::generate_ed25519();
    let holder = SigningKey::generate_ed25519();

    // SD-JWT VC: one character of the issuer signature changed.
    let issued = vpass_issue(&office, &holder.public());
    let presentation = sdjwt::present_names(&issued, &["region"], Some(&kb(&holder))).unwrap();
    let (jws, rest) = presentation.split_once('~').unwrap();
    let tampered = format!("{}~{rest}", alter_signature(jws));
    let answer = js.verify_sd_jwt(&tampered, &office.public(), &[]);
    assert!(reported_error(&answer).contains("Invalid JWT Signature"));
    // The untampered one passes, so the signature is what failed.
    assert_eq!(
        js.verify_sd_jwt(&presentation, &office.public(), &[])["ok"],
        true
    );

    // SD-JWT VC: one character of the KB-JWT signature changed.
    let (without_kb, kb_jwt) = presentation.rsplit_once('~').unwrap();
    let tampered = format!("{without_kb}~{}", alter_signature(kb_jwt));
    let answer = js.verify_sd_jwt(&tampered, &office.public(), &[]);
    assert!(reported_error(&answer).contains("Invalid JWT Signature"));

    // VC-JWT: one character of the signature changed.
    let token = vcjwt::issue(&office, &vc_jwt_claims()).unwrap();
    let answer = js.verify_vc_jwt(&alter_signature(&token), &office.public());
    assert!(reported_error(&answer).contains("ERR_JWS_SIGNATURE_VERIFICATION_FAILED"));
}

#[test]
fn interop_sd_jwt_js_rejects_vpass_presentation_for_other_verifier() {
    let Some(js) = Js::find() else { return };
    let office = SigningKey::generate_ed25519();
    let holder = SigningKey::generate_ed25519();
    let issued = vpass_issue(&office, &holder.public());
    let other = |aud, nonce| {
        let kb = KbParams {
            aud,
            nonce,
            ..kb(&holder)
        };
        sdjwt::present_names(&issued, &["region"], Some(&kb)).unwrap()
    };
    // The library compares the nonce; the script compares `aud`, which the library skips.
    let answer = js.verify_sd_jwt(&other(AUD, "another-nonce"), &office.public(), &[]);
    assert!(reported_error(&answer).contains("Invalid Nonce"));
    let answer = js.verify_sd_jwt(
        &other("https://other.example", NONCE),
        &office.public(),
        &[],
    );
    assert!(reported_error(&answer).contains("aud https://other.example"));
    // A claim that was not disclosed cannot be required.
    let answer = js.verify_sd_jwt(
        &other(AUD, NONCE),
        &office.public(),
        &["credentialSubject.iin"],
    );
    assert!(reported_error(&answer).contains("Missing required claim keys"));
}

#[test]
fn interop_vpass_rejects_tampered_js_tokens() {
    let Some(js) = Js::find() else { return };
    let office = SigningKey::generate_ed25519();
    let holder = SigningKey::generate_ed25519();
    let input = json!({
        "issuerJwk": office.to_private_jwk(),
        "holderJwk": holder.to_private_jwk(),
        "claims": hours_claims(&holder.public()),
        "disclosureFrame": JS_DISCLOSURE_FRAME.parse::<Value>().unwrap(),
        "presentationFrame": {"credentialSubject": {"name": true, "region": true}},
        "aud": AUD,
        "nonce": NONCE,
        "iat": NOW - 5,
    });
    let made = js.run("sd-jwt-issue.mjs", &input);
    let presentation = made["presentation"].as_str().unwrap();
    let opts = kb_options();

    // SD-JWT VC: one character of the issuer signature changed.
    let (jws, rest) = presentation.split_once('~').unwrap();
    let tampered = format!("{}~{rest}", alter_signature(jws));
    let e = sdjwt::verify(&tampered, &office.public(), &opts).unwrap_err();
    assert_eq!(e.code(), Code::SignatureInvalid);

    // SD-JWT VC: the KB-JWT signature changed.
    let (without_kb, kb_jwt) = presentation.rsplit_once('~').unwrap();
    let tampered = format!("{without_kb}~{}", alter_signature(kb_jwt));
    let e = sdjwt::verify(&tampered, &office.public(), &opts).unwrap_err();
    assert_eq!(e.code(), Code::KbSignatureInvalid);

    // SD-JWT VC: a presentation made for another verifier.
    let mut other = opts.clone();
    other.kb.aud = Some("https://other.example".into());
    let e = sdjwt::verify(presentation, &office.public(), &other).unwrap_err();
    assert_eq!(e.code(), Code::KbAudMismatch);

    // VC-JWT: one character of the signature changed.
    let made = js.run(
        "jose-sign.mjs",
        &json!({"jwk": office.to_private_jwk(), "claims": vc_jwt_claims()}),
    );
    let token = made["token"].as_str().unwrap();
    let e = vcjwt::verify(&alter_signature(token), &office.public(), UnixTime(NOW), 0).unwrap_err();
    assert_eq!(e.code(), Code::SignatureInvalid);
}
