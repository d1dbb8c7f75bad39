//! The one issuance path (`issue::Issuance`): each of the four kinds in both formats, round
//! tripped through the verifiers. As SD-JWT VC exactly the kind's selectively disclosable
//! members are disclosures and everything else is in the clear; as VC-JWT everything is in the
//! clear; the status entry and `id` the issuer sets are signed; `cnf` binds the holder when one
//! is given.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use vpass_credential::error::Context;
use vpass_credential::issue::{Format, Issuance};
use vpass_credential::keys::{PublicKey, Signer, SigningKey};
use vpass_credential::model::{
    self, reason, Credential, CredentialKind, StatusEntry, StatusPurpose,
};
use vpass_credential::sdjwt::{self, PathSeg, SaltSource, VerifyOptions};
use vpass_credential::time::UnixTime;
use vpass_credential::{jose, json as strict_json, vcjwt, Code};

const EXAMPLES: [(CredentialKind, &str); 4] = [
    (
        CredentialKind::Hours,
        include_str!("../../examples/hours.json"),
    ),
    (
        CredentialKind::Skill,
        include_str!("../../examples/skill.json"),
    ),
    (
        CredentialKind::Award,
        include_str!("../../examples/award.json"),
    ),
    (
        CredentialKind::Passport,
        include_str!("../../examples/passport.json"),
    ),
];

/// A value for every selectively disclosable member (the IIN's birth date is `birthDate`).
const PERSON: [(&str, &str); 5] = [
    ("iin", "950101400121"),
    ("birthDate", "1995-01-01"),
    ("email", "aigerim@example.kz"),
    ("phone", "+77011234567"),
    ("region", "KZ-AST"),
];

const LIST_URL: &str = "https://front-office.example/astana/status/7";
const INDEX: u64 = 104_729;
const ID: &str = "urn:uuid:0b6f2a52-9a4e-4c1f-8f57-3f0f2c1c7e11";

fn office() -> SigningKey {
    SigningKey::from_seed(&[0x0f; 32]).with_kid("did:web:front-office.example:astana#2026")
}

fn holder() -> PublicKey {
    SigningKey::from_seed(&[0x42; 32]).public()
}

/// The example of `kind` with every selectively disclosable member set, without `id` or
/// status (the issuer sets them).
fn example(kind: CredentialKind) -> Credential {
    let (_, text) = EXAMPLES.iter().find(|(k, _)| *k == kind).unwrap();
    let mut v = strict_json::parse(text.as_bytes(), "example").unwrap();
    let map = v.as_object_mut().unwrap();
    map.shift_remove("credentialStatus");
    map.shift_remove("id");
    for (name, value) in PERSON {
        v["credentialSubject"][name] = value.into();
    }
    let c = Credential::from_json(&v).unwrap();
    assert_eq!(c.kind(), kind);
    c
}

fn status() -> StatusEntry {
    StatusEntry::new(StatusPurpose::Revocation, INDEX, LIST_URL).unwrap()
}

fn issued_at(c: &Credential) -> UnixTime {
    UnixTime(c.valid_from().0 + 60)
}

fn now(c: &Credential) -> UnixTime {
    UnixTime(c.valid_from().0 + 3_600)
}

fn verify_at(c: &Credential) -> VerifyOptions {
    VerifyOptions::at(now(c))
}

/// The issuer-signed payload of a token, as signed (digests in place of disclosures).
fn signed_payload(token: &str) -> (jose::Header, Map<String, Value>) {
    let jws = token.split('~').next().unwrap();
    let verified = jose::parse(jws)
        .unwrap()
        .verify(&office().public())
        .unwrap();
    let payload = verified.payload_object().unwrap();
    (verified.header, payload)
}

fn subject(claims: &Map<String, Value>) -> &Map<String, Value> {
    claims["credentialSubject"].as_object().unwrap()
}

/// The status entry as signed: the one the issuer set.
fn assert_status_and_id(claims: &Map<String, Value>) {
    assert_eq!(claims["id"], ID);
    let entry = &claims["credentialStatus"];
    assert_eq!(entry["type"], "BitstringStatusListEntry");
    assert_eq!(entry["statusPurpose"], "revocation");
    assert_eq!(entry["statusListIndex"], INDEX.to_string());
    assert_eq!(entry["statusListCredential"], LIST_URL);
}

fn issue(c: &Credential, format: Format, holder: Option<&PublicKey>) -> String {
    Issuance::new(c)
        .format(format)
        .issued_at(issued_at(c))
        .holder(holder)
        .id(ID)
        .status(status())
        .sign(&office())
        .unwrap()
}

/// Every kind's example issued as `format`, with the token.
fn every_kind(
    format: Format,
    holder: Option<&PublicKey>,
) -> Vec<(CredentialKind, Credential, String)> {
    CredentialKind::ALL
        .into_iter()
        .map(|kind| {
            let c = example(kind);
            let token = issue(&c, format, holder);
            (kind, c, token)
        })
        .collect()
}

#[test]
fn the_test_person_sets_every_selectively_disclosable_member() {
    for kind in CredentialKind::ALL {
        let names: BTreeSet<&str> = PERSON.iter().map(|(n, _)| *n).collect();
        let sd: BTreeSet<&str> = kind.selectively_disclosable().iter().copied().collect();
        assert_eq!(names, sd, "{kind:?}");
    }
}

#[test]
fn sd_jwt_discloses_exactly_the_kinds_selectively_disclosable_members_for_every_kind() {
    let holder = holder();
    for (kind, c, token) in every_kind(Format::SdJwt, Some(&holder)) {
        // As signed: no disclosable member in the clear, one digest for each, the rest clear.
        let (header, payload) = signed_payload(&token);
        assert_eq!(header.typ.as_deref(), Some(sdjwt::TYP), "{kind:?}");
        let signed = subject(&payload);
        for name in kind.selectively_disclosable() {
            assert!(!signed.contains_key(*name), "{kind:?}: {name} in the clear");
        }
        assert_eq!(
            signed["_sd"].as_array().unwrap().len(),
            kind.selectively_disclosable().len(),
            "{kind:?}"
        );
        let clear = c.subject().to_json();
        for (name, value) in clear
            .iter()
            .filter(|(n, _)| !kind.selectively_disclosable().contains(&n.as_str()))
        {
            assert_eq!(&signed[name], value, "{kind:?}: {name} not in the clear");
        }
        assert_status_and_id(&payload);
        assert_eq!(payload["vct"], kind.type_name());
        assert_eq!(payload["iat"], issued_at(&c).0);

        // Verified with every disclosure: the disclosed paths are exactly those members.
        let verified = sdjwt::verify(&token, &office().public(), &verify_at(&c)).unwrap();
        let disclosed: BTreeSet<_> = verified.disclosed_paths.iter().cloned().collect();
        let expected: BTreeSet<_> = PERSON
            .iter()
            .map(|(n, _)| sdjwt::parse_path(&Value::Null, &format!("credentialSubject.{n}")))
            .collect();
        assert_eq!(disclosed, expected, "{kind:?}");
        for (name, value) in PERSON {
            assert_eq!(subject(&verified.claims)[name], value, "{kind:?}: {name}");
        }
        assert_status_and_id(&verified.claims);
        assert_eq!(verified.holder_key.as_ref(), Some(&holder), "{kind:?}");
        assert_eq!(verified.claims["cnf"]["jwk"], holder.to_jwk());
        assert_eq!(verified.times.iat, Some(issued_at(&c).0));

        // Read back: the credential that was signed, with the id, status and holder DID added.
        let view = model::from_jwt_claims(&verified.claims).unwrap();
        let back = Credential::from_json(&view).unwrap();
        assert_eq!(back.id(), Some(ID));
        assert_eq!(back.status(), Some(&status()));
        assert_eq!(back.subject().id(), Some(holder.did_key().as_str()));
        let mut back_subject = back.subject().to_json();
        back_subject.shift_remove("id");
        assert_eq!(back_subject, c.subject().to_json(), "{kind:?}");
    }
}

#[test]
fn vc_jwt_signs_every_member_in_the_clear_for_every_kind() {
    let holder = holder();
    for (kind, c, token) in every_kind(Format::VcJwt, Some(&holder)) {
        assert!(!token.contains('~'), "{kind:?}: not a compact JWS");
        let verified = vcjwt::verify(&token, &office().public(), now(&c), 0).unwrap();
        assert_eq!(verified.header.typ.as_deref(), Some(vcjwt::TYP));
        assert!(!verified.legacy_vc11);
        assert!(!verified.claims.contains_key("_sd_alg"), "{kind:?}");
        let signed = subject(&verified.claims);
        assert!(!signed.contains_key("_sd"), "{kind:?}");
        for (name, value) in PERSON {
            assert_eq!(signed[name], value, "{kind:?}: {name}");
        }
        assert_status_and_id(&verified.claims);
        assert_eq!(verified.claims["cnf"]["jwk"], holder.to_jwk(), "{kind:?}");
        assert_eq!(verified.claims["vct"], kind.type_name());
        assert_eq!(verified.times.iat, Some(issued_at(&c).0));
        let view = model::from_jwt_claims(&verified.claims).unwrap();
        assert_eq!(Credential::from_json(&view).unwrap().kind(), kind);
    }
}

#[test]
fn without_a_holder_there_is_no_binding_in_either_format() {
    for (kind, c, sd) in every_kind(Format::SdJwt, None) {
        let verified = sdjwt::verify(&sd, &office().public(), &verify_at(&c)).unwrap();
        assert_eq!(verified.holder_key, None, "{kind:?}");
        assert!(!verified.claims.contains_key("cnf"));
        assert!(!subject(&verified.claims).contains_key("id"));
    }
    for (kind, c, jwt) in every_kind(Format::VcJwt, None) {
        let verified = vcjwt::verify(&jwt, &office().public(), now(&c), 0).unwrap();
        assert!(!verified.claims.contains_key("cnf"), "{kind:?}");
        assert!(!subject(&verified.claims).contains_key("id"));
    }
}

#[test]
fn defaults_are_sd_jwt_at_valid_from_with_the_credentials_own_id_and_status() {
    let text = include_str!("../../examples/hours.json");
    let mut v = strict_json::parse(text.as_bytes(), "example").unwrap();
    v["id"] = "urn:uuid:11111111-2222-4333-8444-555555555555".into();
    let c = Credential::from_json(&v).unwrap();
    let token = Issuance::new(&c).sign(&office()).unwrap();
    let (header, payload) = signed_payload(&token);
    assert_eq!(header.typ.as_deref(), Some(sdjwt::TYP));
    assert_eq!(payload["iat"], c.valid_from().0);
    assert_eq!(payload["id"], v["id"]);
    assert_eq!(payload["credentialStatus"], v["credentialStatus"]);
    assert!(!payload.contains_key("cnf"));

    // What the issuer sets replaces them.
    let token = Issuance::new(&c)
        .id(ID)
        .status(status())
        .sign(&office())
        .unwrap();
    assert_status_and_id(&signed_payload(&token).1);
}

/// Salts that count up, for byte-exact tokens.
struct Counting(u8);

impl SaltSource for Counting {
    fn salt(&mut self) -> String {
        self.0 = self.0.wrapping_add(1);
        vpass_credential::b64::encode([self.0; 16])
    }
}

#[test]
fn same_bytes_as_the_claims_signed_with_the_standard_disclosable_paths() {
    // The oracle: JWT claims of the credential with its id and status in the JSON, and the
    // disclosable members named as dotted paths, signed by the SD-JWT primitive.
    let holder = holder();
    for kind in CredentialKind::ALL {
        let c = example(kind);
        let mut json = c.to_json();
        json["id"] = ID.into();
        json["credentialStatus"] = serde_json::json!({
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": INDEX.to_string(),
            "statusListCredential": LIST_URL,
        });
        let placed = Credential::from_json(&json).unwrap();
        let claims = model::to_jwt_claims(&placed, issued_at(&c), Some(&holder));
        let dotted: Vec<Vec<PathSeg>> = PERSON
            .iter()
            .map(|(n, _)| sdjwt::parse_path(&claims, &format!("credentialSubject.{n}")))
            .collect();
        let oracle = sdjwt::issue(&office(), claims.clone(), &dotted, &mut Counting(0)).unwrap();
        let mut salts = Counting(0);
        let ours = Issuance::new(&c)
            .issued_at(issued_at(&c))
            .holder(&holder)
            .id(ID)
            .status(status())
            .salts(&mut salts)
            .sign(&office())
            .unwrap();
        assert_eq!(ours, oracle, "{kind:?}");
        let jwt = Issuance::new(&c)
            .format(Format::VcJwt)
            .issued_at(issued_at(&c))
            .holder(&holder)
            .id(ID)
            .status(status())
            .sign(&office())
            .unwrap();
        assert_eq!(jwt, vcjwt::issue(&office(), &claims).unwrap(), "{kind:?}");
    }
}

#[test]
fn reject_an_id_that_is_not_a_uri() {
    let c = example(CredentialKind::Hours);
    let err = Issuance::new(&c)
        .id("not a uri")
        .sign(&office())
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidField);
    assert_eq!(
        err.context(),
        &Context::FieldReason {
            field: "id".into(),
            reason: reason::NOT_URI
        }
    );
}

#[test]
fn reject_a_status_list_that_is_not_an_http_url() {
    for url in [
        "",
        "ftp://front-office.example/status/1",
        "https://",
        "status/1",
    ] {
        let err = StatusEntry::new(StatusPurpose::Revocation, 0, url).unwrap_err();
        assert_eq!(err.code(), Code::InvalidField, "{url}");
        assert_eq!(
            err.context(),
            &Context::FieldReason {
                field: "credentialStatus.statusListCredential".into(),
                reason: reason::NOT_HTTP_URL
            },
            "{url}"
        );
    }
    let entry = StatusEntry::new(StatusPurpose::Suspension, 7, "http://127.0.0.1:8080/s/1");
    let entry = entry.unwrap();
    assert_eq!(entry.purpose(), StatusPurpose::Suspension);
    assert_eq!(entry.index(), 7);
    assert_eq!(entry.list_credential(), "http://127.0.0.1:8080/s/1");
    assert_eq!(entry.id(), None);
}

#[test]
fn mark_unlinked_sets_the_member_on_hours_only() {
    let mut hours = example(CredentialKind::Hours);
    assert!(hours.mark_unlinked());
    assert_eq!(hours.to_json()["credentialSubject"]["unlinked"], true);
    // Exactly what the profile reads back from the same JSON.
    assert_eq!(Credential::from_json(&hours.to_json()).unwrap(), hours);
    for kind in [
        CredentialKind::Skill,
        CredentialKind::Award,
        CredentialKind::Passport,
    ] {
        let mut c = example(kind);
        let before = c.clone();
        assert!(!c.mark_unlinked(), "{kind:?}");
        assert_eq!(c, before);
    }
}

#[test]
fn format_names_are_the_apis_and_nothing_else_is_one() {
    for format in Format::ALL {
        assert_eq!(Format::from_name(format.as_str()), Some(format));
        assert_eq!(format.to_string(), format.as_str());
    }
    assert_eq!(Format::SdJwt.as_str(), "sd-jwt");
    assert_eq!(Format::VcJwt.as_str(), "jwt");
    assert_eq!(Format::SdJwt.typ(), sdjwt::TYP);
    assert_eq!(Format::VcJwt.typ(), vcjwt::TYP);
    for other in ["", "JWT", "sd_jwt", "vc+jwt", "dc+sd-jwt", " jwt"] {
        assert_eq!(Format::from_name(other), None, "{other:?}");
    }
    assert_eq!(Format::default(), Format::SdJwt);
}
