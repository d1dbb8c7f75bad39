//! Negative cases built from the real RFC 9901 examples: one `reject_*` test per rejection
//! reason of the attack catalog (sections B10, B14, D, E, F1/F2), each asserting its code.
//!
//! Where a case needs a different issuer-signed payload, the payload is re-signed with the
//! RFC 9901 A.5 issuer key (its private half is in sd-jwt-python's `settings.yml`), so the
//! verifier is set up exactly as for the unmodified examples. KB-JWTs are re-signed with the
//! RFC holder key. `resigned_example_verifies_control` proves that re-signing alone changes
//! nothing, so each rejection below is caused by its one mutation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{b64, code, disclosure, json, rfc_holder_key, rfc_issuer_key, sd_digest, RFC9901};
use serde_json::{json, Map, Value};
use vpass_credential::keys::{PublicKey, Signer, SigningKey};
use vpass_credential::sdjwt::{self, Verified, VerifyOptions};
use vpass_credential::time::UnixTime;
use vpass_credential::{jose, Code, Result};

const TYP: &str = "example+sd-jwt";
const RFC_TYPS: &[&str] = &["example+sd-jwt", "dc+sd-jwt", "vc+sd-jwt"];
const RFC_AUD: &str = "https://verifier.example.org";
const RFC_NONCE: &str = "1234567890";
/// The KB-JWT `iat` of the RFC examples; inside every credential's validity.
const KB_IAT: i64 = 1_748_536_865;
/// `iat` and `exp` of the RFC example credentials.
const CRED_IAT: i64 = 1_683_000_000;
const CRED_EXP: i64 = 1_883_000_000;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

fn example(id: &str) -> Value {
    json(RFC9901)["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap()
        .clone()
}

/// An SD-JWT split into its parts: issuer JWS, disclosures, KB-JWT.
#[derive(Clone, Debug)]
struct Parts {
    jws: String,
    disclosures: Vec<String>,
    kb: Option<String>,
}

impl Parts {
    fn of(text: &str) -> Parts {
        let mut segs: Vec<&str> = text.split('~').collect();
        let kb = segs.pop().filter(|s| !s.is_empty()).map(str::to_owned);
        Parts {
            jws: segs[0].to_owned(),
            disclosures: segs[1..].iter().map(|s| (*s).to_owned()).collect(),
            kb,
        }
    }

    /// `<jws>~<d1>~…~`, without the KB-JWT.
    fn without_kb(&self) -> String {
        let mut out = format!("{}~", self.jws);
        for d in &self.disclosures {
            out.push_str(d);
            out.push('~');
        }
        out
    }

    fn text(&self) -> String {
        format!("{}{}", self.without_kb(), self.kb.as_deref().unwrap_or(""))
    }
}

/// The §5 example presentation (4 disclosures and a KB-JWT), exactly as in the RFC.
fn simple_presentation() -> String {
    example("simple")["presentation"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The §5 example's issuer-signed payload (with `_sd`, `_sd_alg`, `cnf`).
fn simple_payload() -> Map<String, Value> {
    example("simple")["sd_jwt_payload"]
        .as_object()
        .unwrap()
        .clone()
}

/// The disclosure of the §5 example for `name` (object member) or array value `value`.
fn simple_disclosure(for_contents: &Value) -> String {
    example("simple")["disclosures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["contents"].as_array().unwrap()[1..].contains(for_contents))
        .unwrap()["disclosure"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn opts() -> VerifyOptions {
    let mut opts = VerifyOptions::at(UnixTime(KB_IAT));
    opts.typ = RFC_TYPS;
    opts.kb.aud = Some(RFC_AUD.into());
    opts.kb.nonce = Some(RFC_NONCE.into());
    opts
}

fn issuer_public() -> PublicKey {
    PublicKey::from_jwk(&json(RFC9901)["issuer_public_jwk"]).unwrap()
}

fn verify_with(text: &str, opts: &VerifyOptions) -> Result<Verified> {
    sdjwt::verify(text, &issuer_public(), opts)
}

fn verify(text: &str) -> Result<Verified> {
    verify_with(text, &opts())
}

/// Sign a payload with the RFC issuer key, as the RFC examples are signed.
fn sign(payload: &Map<String, Value>) -> String {
    jose::sign_json(
        &rfc_issuer_key(),
        Some(TYP),
        &Value::Object(payload.clone()),
    )
}

/// `<jws>~<d1>~…~`.
fn assemble(jws: &str, disclosures: &[String]) -> String {
    Parts {
        jws: jws.to_owned(),
        disclosures: disclosures.to_vec(),
        kb: None,
    }
    .without_kb()
}

fn sd_hash(without_kb: &str) -> String {
    sd_digest(without_kb)
}

/// A KB-JWT over `without_kb`, signed by `key` with the given header `typ`.
fn kb_jwt(key: &dyn Signer, typ: Option<&str>, without_kb: &str, iat: i64) -> String {
    let payload = json!({"nonce": RFC_NONCE, "aud": RFC_AUD, "iat": iat,
        "sd_hash": sd_hash(without_kb)});
    jose::sign_json(key, typ, &payload)
}

/// Append a fresh, valid KB-JWT by the RFC holder key.
fn with_kb(without_kb: &str) -> String {
    let kb = kb_jwt(&rfc_holder_key(), Some("kb+jwt"), without_kb, KB_IAT);
    format!("{without_kb}{kb}")
}

/// The §5 payload changed by `edit`, re-signed, with the presented disclosures plus `extra`
/// (no KB-JWT).
fn simple_with(edit: impl FnOnce(&mut Map<String, Value>), extra: &[String]) -> String {
    let mut payload = simple_payload();
    edit(&mut payload);
    let mut disclosures = Parts::of(&simple_presentation()).disclosures;
    disclosures.extend_from_slice(extra);
    assemble(&sign(&payload), &disclosures)
}

/// Add `digest` to the top-level `_sd` array.
fn push_sd(payload: &mut Map<String, Value>, digest: &str) {
    payload["_sd"].as_array_mut().unwrap().push(digest.into());
}

/// Remove `digest` from the top-level `_sd` array.
fn drop_sd(payload: &mut Map<String, Value>, digest: &str) {
    payload["_sd"]
        .as_array_mut()
        .unwrap()
        .retain(|d| d != digest);
}

fn expect(what: &str, text: &str, want: Code) {
    let got = code(what, verify(text));
    println!("{what}: {got}");
    assert_eq!(got, want, "{what}");
}

// ---------------------------------------------------------------------------------------------
// Controls: re-signing changes nothing
// ---------------------------------------------------------------------------------------------

#[test]
fn resigned_example_verifies_control() {
    let expected = example("simple")["expected_processed_payload"].clone();
    let original = verify(&simple_presentation()).unwrap();
    assert_eq!(Value::Object(original.claims), expected);
    let resigned = simple_with(|_| {}, &[]);
    let v = verify(&resigned).unwrap();
    assert_eq!(Value::Object(v.claims), expected);
    let mut required = opts();
    required.kb.required = true;
    let v = verify_with(&with_kb(&resigned), &required).unwrap();
    assert_eq!(Value::Object(v.claims), expected);
    assert_eq!(v.key_binding.unwrap().iat, KB_IAT);
}

// ---------------------------------------------------------------------------------------------
// D. Disclosure processing
// ---------------------------------------------------------------------------------------------

/// D1: the same disclosure sent twice, with a fresh KB-JWT over the doubled list.
#[test]
fn reject_disclosure_sent_twice() {
    let mut p = Parts::of(&simple_presentation());
    p.disclosures.push(p.disclosures[0].clone());
    expect(
        "D1 duplicate disclosure",
        &with_kb(&p.without_kb()),
        Code::SdDuplicateDigest,
    );
}

/// D3: a digest twice in `_sd`, or in `_sd` and as an array element.
#[test]
fn reject_digest_repeated_in_payload() {
    let given = simple_disclosure(&json!("given_name"));
    let twice = simple_with(|p| push_sd(p, &sd_digest(&given)), &[]);
    expect("D3 digest twice in _sd", &twice, Code::SdDuplicateDigest);
    let both = simple_with(
        |p| {
            let list = p["nationalities"].as_array_mut().unwrap();
            list.push(json!({"...": sd_digest(&given)}));
        },
        &[],
    );
    expect("D3 digest in _sd and ...", &both, Code::SdDuplicateDigest);
    // a repeated decoy is just as wrong
    let decoy = sd_digest("decoy");
    let decoys = simple_with(
        |p| {
            push_sd(p, &decoy);
            push_sd(p, &decoy);
        },
        &[],
    );
    expect("D3 decoy twice", &decoys, Code::SdDuplicateDigest);
}

/// D2: a disclosure no digest refers to: a fresh one, and a real one from another example.
#[test]
fn reject_unreferenced_disclosure() {
    let mut p = Parts::of(&simple_presentation());
    p.disclosures
        .push(disclosure(&json!(["c2FsdHNhbHQ", "admin", true])));
    expect(
        "D2 smuggled claim",
        &with_kb(&p.without_kb()),
        Code::SdUnreferencedDisclosure,
    );
    let other = Parts::of(
        example("simple_structured")["presentation"]
            .as_str()
            .unwrap(),
    );
    let mut p = Parts::of(&simple_presentation());
    p.disclosures.push(other.disclosures[0].clone());
    expect(
        "D2 disclosure of A.1",
        &with_kb(&p.without_kb()),
        Code::SdUnreferencedDisclosure,
    );
}

/// D4: a disclosure named `_sd` or `...`, referenced from `_sd`.
#[test]
fn reject_reserved_claim_name_in_disclosure() {
    for (name, value) in [("_sd", json!([sd_digest("x")])), ("...", json!("x"))] {
        let d = disclosure(&json!(["c2FsdHNhbHQ", name, value]));
        let text = simple_with(|p| push_sd(p, &sd_digest(&d)), std::slice::from_ref(&d));
        expect(&format!("D4 name {name}"), &text, Code::SdReservedName);
    }
}

/// D5: a disclosure for a claim already in the clear at the same level (`sub`, `iss`, and
/// `jwk` inside the clear `cnf`).
#[test]
fn reject_disclosure_overriding_clear_claim() {
    for name in ["sub", "iss"] {
        let d = disclosure(&json!(["c2FsdHNhbHQ", name, "https://attacker.example"]));
        let text = simple_with(|p| push_sd(p, &sd_digest(&d)), std::slice::from_ref(&d));
        expect(&format!("D5 {name}"), &text, Code::SdClaimExists);
    }
    let attacker = SigningKey::generate_p256().public().to_jwk();
    let d = disclosure(&json!(["c2FsdHNhbHQ", "jwk", attacker]));
    let text = simple_with(
        |p| p["cnf"]["_sd"] = json!([sd_digest(&d)]),
        std::slice::from_ref(&d),
    );
    expect("D5 cnf.jwk", &text, Code::SdClaimExists);
}

/// D6: kind confusion: an array-element disclosure from `_sd`, an object-member disclosure
/// from `{"...": …}`.
#[test]
fn reject_disclosure_of_the_wrong_kind() {
    let us = simple_disclosure(&json!("US"));
    let text = simple_with(
        |p| {
            p["nationalities"] = json!([]);
            push_sd(p, &sd_digest(&us));
        },
        &[],
    );
    expect("D6 2-element from _sd", &text, Code::SdMalformedDisclosure);
    let given = simple_disclosure(&json!("given_name"));
    let text = simple_with(
        |p| {
            drop_sd(p, &sd_digest(&given));
            p["nationalities"]
                .as_array_mut()
                .unwrap()
                .push(json!({"...": sd_digest(&given)}));
        },
        &[],
    );
    expect("D6 3-element from ...", &text, Code::SdMalformedDisclosure);
}

/// D7: malformed disclosures, each referenced from `_sd`.
#[test]
fn reject_malformed_disclosures() {
    let plain = b64(r#"["salt","name","value"]"#); // 31 characters: 2 unused bits
    let url_chars = b64(r#"["s","n","???>>>~~~"]"#);
    assert!(
        url_chars.contains('-') && url_chars.contains('_'),
        "{url_chars}"
    );
    let cases: Vec<(&str, String)> = vec![
        ("not base64url (!)", format!("{plain}!")),
        ("padding", format!("{plain}=")),
        (
            "standard base64 +/",
            url_chars.replace('-', "+").replace('_', "/"),
        ),
        ("whitespace", format!("{} {}", &plain[..8], &plain[8..])),
        ("non-zero unused bits", non_canonical(&plain)),
        ("not an array: object", b64(r#"{"a":"b"}"#)),
        ("not an array: string", b64(r#""salt""#)),
        ("not an array: number", b64("42")),
        ("empty array", b64("[]")),
        ("1 element", b64(r#"["salt"]"#)),
        ("4 elements", b64(r#"["salt","name","value","extra"]"#)),
        ("salt a number", b64(r#"[42,"name","value"]"#)),
        ("salt null", b64(r#"[null,"name","value"]"#)),
        ("salt an object (2 elements)", b64(r#"[{"s":1},"value"]"#)),
        ("name a number", b64(r#"["salt",42,"value"]"#)),
        ("name null", b64(r#"["salt",null,"value"]"#)),
        ("name an array", b64(r#"["salt",["n"],"value"]"#)),
    ];
    for (what, d) in cases {
        let text = simple_with(|p| push_sd(p, &sd_digest(&d)), std::slice::from_ref(&d));
        expect(&format!("D7 {what}"), &text, Code::SdMalformedDisclosure);
    }
}

/// Set the lowest unused bit of the last character of canonical base64url text (which must
/// have unused bits, i.e. a length that is not a multiple of 4): same bytes when decoded
/// leniently, different text, so a different digest (B12).
fn non_canonical(text: &str) -> String {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert_ne!(text.len() % 4, 0, "{text} has no unused bits");
    let (head, last) = text.split_at(text.len() - 1);
    let i = ALPHABET.find(last).unwrap();
    format!("{head}{}", &ALPHABET[i + 1..i + 2])
}

/// D7 (JSON layer): a disclosure whose bytes are not JSON, or repeat a member name, is
/// refused by the strict JSON reader with its own code, as for any other untrusted JSON.
#[test]
fn reject_disclosure_that_is_not_strict_json() {
    let cases = [
        ("not JSON", b64("[\"salt\", \"name\""), Code::JsonInvalid),
        (
            "invalid UTF-8",
            b64(b"[\"s\",\"n\",\"\xff\"]"),
            Code::JsonInvalid,
        ),
        (
            "duplicate member in value",
            b64(r#"["s","n",{"a":1,"a":2}]"#),
            Code::DuplicateMember,
        ),
    ];
    for (what, d, want) in cases {
        let text = simple_with(|p| push_sd(p, &sd_digest(&d)), std::slice::from_ref(&d));
        expect(&format!("D7 {what}"), &text, want);
    }
}

/// D8: security claims must never come from a disclosure (RFC 9901 §9.7; SD-JWT VC lists
/// `iss`, `nbf`, `exp`, `cnf`, `vct`, `status`; `iat` and `sub` may be disclosable).
#[test]
fn reject_security_claims_from_disclosures() {
    let cnf = simple_payload()["cnf"].clone();
    let cases = [
        ("exp", json!(CRED_EXP)),
        ("iss", json!("https://issuer.example.com")),
        ("cnf", cnf),
        ("nbf", json!(CRED_IAT)),
        (
            "vct",
            json!("https://credentials.example.com/identity_credential"),
        ),
        (
            "status",
            json!({"status_list": {"idx": 0, "uri": "https://x.example"}}),
        ),
    ];
    for (name, value) in cases {
        let d = disclosure(&json!(["c2FsdHNhbHQ", name, value]));
        let text = simple_with(
            |p| {
                p.shift_remove(name);
                push_sd(p, &sd_digest(&d));
            },
            std::slice::from_ref(&d),
        );
        expect(
            &format!("D8 {name} from a disclosure"),
            &text,
            Code::SdForbiddenSdClaim,
        );
    }
    // `iat` may come from a disclosure, as SD-JWT VC allows.
    let d = disclosure(&json!(["c2FsdHNhbHQ", "iat", CRED_IAT]));
    let text = simple_with(
        |p| {
            p.shift_remove("iat");
            push_sd(p, &sd_digest(&d));
        },
        std::slice::from_ref(&d),
    );
    assert!(verify(&text).is_ok(), "a disclosed iat is allowed");
}

/// D9: `_sd_alg` outside the allow-list {sha-256}.
#[test]
fn reject_sd_alg_not_sha256() {
    for alg in [
        json!("sha-1"),
        json!("SHA-256"),
        json!("none"),
        json!("md5"),
        json!("sha-512"),
        json!(""),
        json!(1),
        json!(null),
        json!(["sha-256"]),
    ] {
        let text = simple_with(|p| p["_sd_alg"] = alg.clone(), &[]);
        expect(&format!("D9 _sd_alg {alg}"), &text, Code::SdAlgNotAllowed);
    }
}

/// D10: `_sd` not an array of strings, `_sd_alg` below the top level, a malformed `...`.
#[test]
fn reject_malformed_sd_structures() {
    type Edit = fn(&mut Map<String, Value>);
    let cases: [(&str, Edit); 8] = [
        ("_sd a string", |p| p["_sd"] = json!("abc")),
        ("_sd an object", |p| p["_sd"] = json!({})),
        ("_sd holds a number", |p| push_sd_value(p, json!(1))),
        ("_sd holds null", |p| push_sd_value(p, json!(null))),
        ("_sd_alg nested in cnf", |p| {
            p["cnf"]["_sd_alg"] = json!("sha-256")
        }),
        ("_sd_alg nested in array", |p| {
            p["nationalities"]
                .as_array_mut()
                .unwrap()
                .push(json!({"_sd_alg": "sha-256"}))
        }),
        ("... with a second member", |p| {
            p["nationalities"][0]["extra"] = json!(1)
        }),
        ("... not a string", |p| {
            p["nationalities"]
                .as_array_mut()
                .unwrap()
                .push(json!({"...": 1}))
        }),
    ];
    for (what, edit) in cases {
        let text = simple_with(edit, &[]);
        expect(&format!("D10 {what}"), &text, Code::SdMalformed);
    }
}

fn push_sd_value(p: &mut Map<String, Value>, v: Value) {
    p["_sd"].as_array_mut().unwrap().push(v);
}

/// D11: decoy digests (in `_sd` and as array elements) are valid and change nothing.
#[test]
fn accept_decoy_digests() {
    let text = simple_with(
        |p| {
            for i in 0..5 {
                push_sd(p, &sd_digest(&format!("decoy {i}")));
            }
            let list = p["nationalities"].as_array_mut().unwrap();
            list.insert(1, json!({"...": sd_digest("decoy array element")}));
            p["cnf"]["_sd"] = json!([sd_digest("decoy in cnf")]);
        },
        &[],
    );
    let v = verify(&with_kb(&text)).unwrap();
    assert_eq!(
        Value::Object(v.claims),
        example("simple")["expected_processed_payload"]
    );
}

/// D12: at most 256 disclosures (256 verify, 257 do not), refused before any parsing.
#[test]
fn reject_more_than_256_disclosures() {
    let build = |n: usize| {
        let disclosures: Vec<String> = (0..n)
            .map(|i| disclosure(&json!([format!("salt{i}"), format!("c{i}"), i])))
            .collect();
        let mut payload = Map::new();
        payload.insert("iss".into(), json!("https://issuer.example.com"));
        payload.insert(
            "_sd".into(),
            disclosures.iter().map(|d| sd_digest(d)).collect(),
        );
        assemble(&sign(&payload), &disclosures)
    };
    let ok = verify(&build(256)).unwrap();
    assert_eq!(ok.disclosed_paths.len(), 256);
    assert_eq!(ok.claims["c255"], 255);
    expect("D12 257 disclosures", &build(257), Code::SdTooMany);
    // a flood of `~` never reaches the JWS parser
    let flood = format!("x{}", "~".repeat(10_000));
    assert_eq!(code("D12 flood", verify(&flood)), Code::SdTooMany);
}

/// D12: disclosures nested in disclosures, 16 levels verify, 17 do not.
#[test]
fn reject_disclosures_nested_deeper_than_16() {
    let build = |levels: usize| {
        let mut disclosures = Vec::new();
        let mut value = json!("leaf");
        for i in 0..levels {
            let d = disclosure(&json!([format!("salt{i}"), "n", value]));
            value = json!({"_sd": [sd_digest(&d)]});
            disclosures.push(d);
        }
        let mut payload = value.as_object().unwrap().clone();
        payload.insert("iss".into(), json!("https://issuer.example.com"));
        disclosures.reverse();
        assemble(&sign(&payload), &disclosures)
    };
    let ok = verify(&build(16)).unwrap();
    assert_eq!(ok.disclosed_paths.len(), 16);
    expect("D12 17 nested disclosures", &build(17), Code::SdTooMany);
}

/// D13: framing: `~~`, no `~`, no trailing `~`, a KB-JWT that is not three segments, and an
/// SD-JWT+KB handed to the holder as if it were an issued SD-JWT.
#[test]
fn reject_framing_errors() {
    let p = Parts::of(&simple_presentation());
    let mut empty = p.clone();
    empty.disclosures.insert(1, String::new());
    expect("D13 ~~", &empty.text(), Code::SdFormat);
    expect("D13 no ~", &p.jws, Code::SdFormat);
    let no_trailing = p.without_kb();
    expect(
        "D13 no trailing ~",
        no_trailing.trim_end_matches('~'),
        Code::SdFormat,
    );
    let four = format!("{}.x", p.text());
    expect("D13 KB-JWT of 4 segments", &four, Code::SdFormat);
    let e = sdjwt::present(&simple_presentation(), &|_| true, None);
    assert_eq!(code("D13 present SD-JWT+KB", e), Code::SdFormat);
}

// ---------------------------------------------------------------------------------------------
// E. Key binding
// ---------------------------------------------------------------------------------------------

/// E1: the RFC presentation with its KB-JWT stripped, under a policy that requires one.
#[test]
fn reject_stripped_kb_when_required() {
    let stripped = Parts::of(&simple_presentation()).without_kb();
    assert!(verify(&stripped).is_ok(), "KB optional: accepted");
    let mut required = opts();
    required.kb.required = true;
    let got = code("E1", verify_with(&stripped, &required));
    assert_eq!(got, Code::KbRequired);
}

/// E2: a KB-JWT signed by a key other than `cnf` (same curve), or of another type.
#[test]
fn reject_kb_signed_by_another_key() {
    let without = Parts::of(&simple_presentation()).without_kb();
    let other = SigningKey::generate_p256();
    let text = format!(
        "{without}{}",
        kb_jwt(&other, Some("kb+jwt"), &without, KB_IAT)
    );
    expect("E2 other P-256 key", &text, Code::KbSignatureInvalid);
    let ed = SigningKey::generate_ed25519();
    let text = format!("{without}{}", kb_jwt(&ed, Some("kb+jwt"), &without, KB_IAT));
    expect(
        "E2 Ed25519 key for a P-256 cnf",
        &text,
        Code::AlgKeyMismatch,
    );
    // the RFC KB-JWT with its signature replaced by another valid-looking one
    let rfc_kb = Parts::of(&simple_presentation()).kb.unwrap();
    let (input, _) = rfc_kb.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", b64(other.sign(input.as_bytes())));
    expect(
        "E2 forged signature",
        &format!("{without}{forged}"),
        Code::KbSignatureInvalid,
    );
}

/// E3: KB-JWT `typ` other than `kb+jwt`.
#[test]
fn reject_kb_with_wrong_typ() {
    let without = Parts::of(&simple_presentation()).without_kb();
    let holder = rfc_holder_key();
    for typ in [Some("JWT"), Some("dc+sd-jwt"), Some("example+sd-jwt"), None] {
        let text = format!("{without}{}", kb_jwt(&holder, typ, &without, KB_IAT));
        expect(&format!("E3 KB typ {typ:?}"), &text, Code::WrongTyp);
    }
}

/// E3: KB-JWT with `alg` none (empty signature) or HS256.
#[test]
fn reject_kb_with_alg_none_or_hmac() {
    let without = Parts::of(&simple_presentation()).without_kb();
    let payload = b64(json!({"nonce": RFC_NONCE, "aud": RFC_AUD, "iat": KB_IAT,
        "sd_hash": sd_hash(&without)})
    .to_string());
    for (alg, sig) in [("none", String::new()), ("HS256", b64([7u8; 32]))] {
        let header = b64(json!({"alg": alg, "typ": "kb+jwt"}).to_string());
        let text = format!("{without}{header}.{payload}.{sig}");
        expect(&format!("E3 KB alg {alg}"), &text, Code::AlgNotAllowed);
    }
}

/// E4: `sd_hash` that does not cover the disclosures sent: the RFC KB-JWT kept while a
/// disclosure is removed or added, and a fresh KB-JWT over another subset.
#[test]
fn reject_kb_sd_hash_over_other_disclosures() {
    let rfc = Parts::of(&simple_presentation());
    let mut fewer = rfc.clone();
    fewer.disclosures.pop();
    expect(
        "E4 one disclosure removed",
        &fewer.text(),
        Code::KbSdHashMismatch,
    );
    let issued = Parts::of(example("simple")["sd_jwt_issued"].as_str().unwrap());
    let extra = issued
        .disclosures
        .iter()
        .find(|d| !rfc.disclosures.contains(d))
        .unwrap()
        .clone();
    let mut more = rfc.clone();
    more.disclosures.push(extra);
    expect(
        "E4 one disclosure added",
        &more.text(),
        Code::KbSdHashMismatch,
    );
    let mut reordered = rfc.clone();
    reordered.disclosures.swap(0, 1);
    expect(
        "E4 disclosures reordered",
        &reordered.text(),
        Code::KbSdHashMismatch,
    );
    let kb = kb_jwt(
        &rfc_holder_key(),
        Some("kb+jwt"),
        &fewer.without_kb(),
        KB_IAT,
    );
    let text = format!("{}{kb}", rfc.without_kb());
    expect("E4 KB over a subset", &text, Code::KbSdHashMismatch);
    // the RFC KB-JWT after the issuer JWS was re-signed (same payload, other signature)
    let mut resigned = rfc.clone();
    resigned.jws = sign(&simple_payload());
    assert_ne!(resigned.jws, rfc.jws);
    expect(
        "E4 issuer JWS replaced",
        &resigned.text(),
        Code::KbSdHashMismatch,
    );
}

/// E5: the RFC presentation verified by another audience.
#[test]
fn reject_kb_for_another_audience() {
    let mut o = opts();
    o.kb.aud = Some("https://other-verifier.example.org".into());
    let got = code("E5", verify_with(&simple_presentation(), &o));
    assert_eq!(got, Code::KbAudMismatch);
}

/// E6: the RFC presentation checked against another nonce.
#[test]
fn reject_kb_with_another_nonce() {
    let mut o = opts();
    o.kb.nonce = Some("1234567891".into());
    let got = code("E6", verify_with(&simple_presentation(), &o));
    assert_eq!(got, Code::KbNonceMismatch);
}

/// E7: the RFC KB-JWT (iat 1748536865) is accepted up to `kb_max_age + skew` seconds later
/// and down to `skew` seconds earlier, and refused one second beyond either bound.
#[test]
fn reject_stale_and_future_kb_at_the_boundaries() {
    let text = simple_presentation();
    let o = opts();
    let window = o.kb_max_age + o.skew;
    let at = |now: i64| {
        let mut o = opts();
        o.now = UnixTime(now);
        verify_with(&text, &o)
    };
    for ok in [
        KB_IAT,
        KB_IAT + window - 1,
        KB_IAT + window,
        KB_IAT - o.skew + 1,
    ] {
        at(ok).unwrap_or_else(|e| panic!("now {ok}: {e}"));
    }
    at(KB_IAT - o.skew).unwrap();
    assert_eq!(code("E7 stale", at(KB_IAT + window + 1)), Code::KbStale);
    assert_eq!(
        code("E7 future", at(KB_IAT - o.skew - 1)),
        Code::KbNotYetValid
    );
}

/// E8: a KB-JWT appended to a credential without `cnf` (the RFC A.1 example).
#[test]
fn reject_kb_without_cnf() {
    let a1 = example("simple_structured")["presentation"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(verify(&a1).is_ok());
    expect("E8", &with_kb(&a1), Code::KbNoCnf);
}

/// C3: a `cnf` key that is of small order, of the wrong curve, private, or not a JWK at all
/// is refused whether or not a KB-JWT is sent.
#[test]
fn reject_weak_or_malformed_cnf_key() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let holder_private = rfc_holder_key().to_private_jwk();
    let cases = [
        (
            "small-order Ed25519",
            json!({"jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64(identity)}}),
        ),
        (
            "X25519",
            json!({"jwk": {"kty": "OKP", "crv": "X25519", "x": b64([9u8; 32])}}),
        ),
        ("private JWK", json!({ "jwk": holder_private })),
        ("no jwk member", json!({"kid": "holder-1"})),
        ("not an object", json!("did:key:z6Mk")),
    ];
    for (what, cnf) in cases {
        let text = simple_with(|p| p["cnf"] = cnf.clone(), &[]);
        expect(&format!("C3 cnf {what}"), &text, Code::KbKeyInvalid);
    }
}

// ---------------------------------------------------------------------------------------------
// F1/F2, B10, B14: validity, typ, NumericDate
// ---------------------------------------------------------------------------------------------

/// F1: the RFC A.1 example (exp 1883000000) at exp + skew − 1, exp + skew, exp + skew + 1.
#[test]
fn reject_expired_credential_at_skew_boundary() {
    let a1 = example("simple_structured")["presentation"]
        .as_str()
        .unwrap()
        .to_owned();
    let skew = opts().skew;
    let at = |now: i64| {
        let mut o = opts();
        o.now = UnixTime(now);
        verify_with(&a1, &o)
    };
    at(CRED_EXP + skew - 1).unwrap();
    at(CRED_EXP + skew).unwrap();
    let e = at(CRED_EXP + skew + 1).unwrap_err();
    assert_eq!(e.code(), Code::Expired);
    assert_eq!(
        e.context(),
        &vpass_credential::Context::Time {
            now: CRED_EXP + skew + 1,
            bound: CRED_EXP
        }
    );
}

/// F2: the RFC A.1 example (iat 1683000000) at iat − skew + 1, iat − skew, iat − skew − 1; and
/// the same for `nbf` on a re-signed payload.
#[test]
fn reject_not_yet_valid_credential_at_skew_boundary() {
    let a1 = example("simple_structured")["presentation"]
        .as_str()
        .unwrap()
        .to_owned();
    let nbf = CRED_IAT + 1_000;
    let with_nbf = simple_with(
        |p| {
            p.insert("nbf".into(), json!(nbf));
        },
        &[],
    );
    let skew = opts().skew;
    for (what, text, bound) in [("iat", a1, CRED_IAT), ("nbf", with_nbf, nbf)] {
        let at = |now: i64| {
            let mut o = opts();
            o.now = UnixTime(now);
            verify_with(&text, &o)
        };
        at(bound - skew + 1).unwrap_or_else(|e| panic!("{what}: {e}"));
        at(bound - skew).unwrap_or_else(|e| panic!("{what}: {e}"));
        let got = code(what, at(bound - skew - 1));
        assert_eq!(got, Code::NotYetValid, "{what}");
    }
}

/// B14: `exp`, `iat`, `nbf` that are not NumericDates (RFC 7519 §2).
#[test]
fn reject_numeric_dates_that_are_not_integers() {
    let bad = [
        json!("1883000000"),
        json!(1.5),
        json!(1_883_000_000.5),
        json!(-1),
        json!(1e20),
        json!(9_223_372_036_854_775_808u64),
        json!(253_402_300_800i64),
        json!(true),
        json!(null),
        json!([CRED_EXP]),
    ];
    for claim in ["exp", "iat", "nbf"] {
        for value in &bad {
            let text = simple_with(
                |p| {
                    p.insert(claim.into(), value.clone());
                },
                &[],
            );
            expect(&format!("B14 {claim} = {value}"), &text, Code::InvalidClaim);
        }
    }
}

/// B10: an issuer JWS whose `typ` is another JWT's, or absent.
#[test]
fn reject_issuer_jwt_with_wrong_typ() {
    let disclosures = Parts::of(&simple_presentation()).disclosures;
    let payload = Value::Object(simple_payload());
    for typ in [Some("kb+jwt"), Some("JWT"), Some("vc+jwt"), None] {
        let jws = jose::sign_json(&rfc_issuer_key(), typ, &payload);
        expect(
            &format!("B10 issuer typ {typ:?}"),
            &assemble(&jws, &disclosures),
            Code::WrongTyp,
        );
    }
}

/// The issuer JWS under any key but the trusted one.
#[test]
fn reject_issuer_jwt_signed_by_another_key() {
    let disclosures = Parts::of(&simple_presentation()).disclosures;
    let payload = Value::Object(simple_payload());
    let jws = jose::sign_json(&SigningKey::generate_p256(), Some(TYP), &payload);
    expect(
        "other P-256 issuer",
        &assemble(&jws, &disclosures),
        Code::SignatureInvalid,
    );
    let jws = jose::sign_json(&SigningKey::generate_ed25519(), Some(TYP), &payload);
    expect(
        "Ed25519 issuer, P-256 trusted",
        &assemble(&jws, &disclosures),
        Code::AlgKeyMismatch,
    );
}
