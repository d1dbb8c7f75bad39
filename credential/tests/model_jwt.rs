//! The mapping between typed credentials and JWT claims, both ways, and VC 1.1 payloads.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use serde_json::{json, Map, Value};
use vpass_credential::error::Context;
use vpass_credential::keys::{PublicKey, Signer, SigningKey};
use vpass_credential::model::{from_jwt_claims, reason, to_jwt_claims, Credential, Subject};
use vpass_credential::time::UnixTime;
use vpass_credential::{json as strict_json, Code};

const FIXTURE: &str = include_str!("../../testdata/fixtures/standard-hours.json");
const IAT: UnixTime = UnixTime(1_780_272_000);

/// The standard hours fixture with its IIN's check digit corrected (see tests/model.rs).
fn hours() -> Value {
    let mut v = strict_json::parse(FIXTURE.as_bytes(), "fixture").unwrap();
    v["credentialSubject"]["iin"] = "950101400121".into();
    v
}

fn holder() -> PublicKey {
    SigningKey::from_seed(&[9; 32]).public()
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[track_caller]
fn assert_claim_error(claims: Value, code: Code, field: &str, why: &'static str) {
    let err = from_jwt_claims(&obj(claims)).expect_err("must be rejected");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(
        err.context(),
        &Context::FieldReason {
            field: field.into(),
            reason: why
        }
    );
}

#[test]
fn jwt_claims_member_order() {
    let c = Credential::from_json(&hours()).unwrap();
    let claims = to_jwt_claims(&c, IAT, Some(&holder()));
    assert_eq!(
        keys(&claims),
        [
            "iss",
            "iat",
            "nbf",
            "exp",
            "vct",
            "cnf",
            "@context",
            "type",
            "credentialSubject",
            "credentialStatus"
        ]
    );
    assert_eq!(keys(&claims["credentialSubject"])[0], "id");
}

#[test]
fn jwt_claims_values() {
    let c = Credential::from_json(&hours()).unwrap();
    let key = holder();
    let claims = to_jwt_claims(&c, UnixTime(1_780_300_000), Some(&key));
    assert_eq!(claims["iss"], "did:web:front-office.example:astana");
    assert_eq!(claims["iat"], 1_780_300_000);
    assert_eq!(claims["nbf"], 1_780_272_000); // 2026-06-01T00:00:00Z
    assert_eq!(claims["exp"], 1_938_038_400); // 2031-06-01T00:00:00Z
    assert_eq!(claims["vct"], "VolunteerHoursCredential");
    assert_eq!(claims["cnf"], json!({"jwk": key.to_jwk()}));
    assert_eq!(claims["credentialSubject"]["id"], key.did_key());
    assert_eq!(claims["type"], hours()["type"]);
    assert_eq!(claims["credentialStatus"], hours()["credentialStatus"]);
    for vcdm_only in ["issuer", "validFrom", "validUntil"] {
        assert!(claims.get(vcdm_only).is_none(), "{vcdm_only} repeated");
    }
}

#[test]
fn jwt_claims_without_holder_have_no_cnf_and_no_subject_id() {
    let c = Credential::from_json(&hours()).unwrap();
    let claims = to_jwt_claims(&c, IAT, None);
    assert!(claims.get("cnf").is_none());
    assert!(claims["credentialSubject"].get("id").is_none());
    assert_eq!(claims["credentialSubject"], hours()["credentialSubject"]);
}

#[test]
fn jwt_claims_keep_an_existing_subject_id() {
    let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let mut v = hours();
    v["credentialSubject"]["id"] = did.into();
    let c = Credential::from_json(&v).unwrap();
    let claims = to_jwt_claims(&c, IAT, Some(&holder()));
    assert_eq!(claims["credentialSubject"]["id"], did);
}

#[test]
fn jwt_claims_optional_members_last() {
    let mut v = hours();
    v["id"] = "urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5".into();
    v["name"] = "Volunteer hours".into();
    v["description"] = "Spring clean-up".into();
    v["issuer"] = json!({"id": "did:web:front-office.example:astana", "name": "Astana office"});
    let c = Credential::from_json(&v).unwrap();
    let claims = to_jwt_claims(&c, IAT, None);
    assert_eq!(
        keys(&claims),
        [
            "iss",
            "iat",
            "nbf",
            "exp",
            "vct",
            "@context",
            "id",
            "type",
            "credentialSubject",
            "credentialStatus",
            "name",
            "description",
            "issuerName"
        ]
    );
    assert_eq!(claims["issuerName"], "Astana office");
    // And back.
    let view = from_jwt_claims(&obj(claims)).unwrap();
    assert_eq!(view, v);
    assert_eq!(Credential::from_json(&view).unwrap(), c);
}

#[test]
fn round_trip_fixture_through_jwt_claims() {
    let fixture = hours();
    let c = Credential::from_json(&fixture).unwrap();
    let key = holder();
    let claims = to_jwt_claims(&c, IAT, Some(&key));
    let view = from_jwt_claims(&obj(claims)).unwrap();

    // The fixture's content plus the holder's id, in the fixture's member order.
    let mut expected = fixture.clone();
    let subject = expected["credentialSubject"].as_object().unwrap().clone();
    let mut with_id = Map::new();
    with_id.insert("id".into(), key.did_key().into());
    with_id.extend(subject);
    expected["credentialSubject"] = Value::Object(with_id);
    assert_eq!(view.to_string(), expected.to_string());

    // The view is a valid credential again.
    let again = Credential::from_json(&view).unwrap();
    assert_eq!(again.subject().id(), Some(key.did_key().as_str()));
    assert_eq!(again.to_json(), view);
}

#[test]
fn round_trip_skill_and_award_through_jwt_claims() {
    let skill = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "VolunteerSkillCredential"],
        "issuer": "did:web:front-office.example:almaty",
        "validFrom": "2026-04-10T09:00:00Z",
        "validUntil": "2029-04-10T09:00:00Z",
        "credentialSubject": {"name": "Данияр", "skill": "Search and rescue",
            "trainingProvider": "Emergency ministry training centre"}
    });
    let award = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "VolunteerAwardCredential"],
        "issuer": "did:web:front-office.example:national",
        "validFrom": "2026-12-06T00:00:00Z",
        "validUntil": "2036-12-06T00:00:00Z",
        "credentialSubject": {"name": "Айгерим", "award": "Volunteer of the Year 2026",
            "awardedBy": "National Volunteer Office", "awardDate": "2026-12-05",
            "achievement": {"type": ["Achievement"], "name": "Volunteer of the Year"}}
    });
    for v in [skill, award] {
        let c = Credential::from_json(&v).unwrap();
        let view = from_jwt_claims(&obj(to_jwt_claims(&c, IAT, None))).unwrap();
        assert_eq!(view.to_string(), v.to_string());
    }
}

#[test]
fn from_jwt_claims_drops_jwt_only_claims() {
    let c = Credential::from_json(&hours()).unwrap();
    let mut claims = obj(to_jwt_claims(&c, IAT, Some(&holder())));
    claims.insert("_sd_alg".into(), "sha-256".into());
    claims.insert(
        "status".into(),
        json!({"status_list": {"idx": 1, "uri": "https://x.example"}}),
    );
    claims.insert("aud".into(), "https://hr.example".into());
    let view = from_jwt_claims(&claims).unwrap();
    for gone in [
        "iat", "nbf", "exp", "iss", "vct", "cnf", "_sd_alg", "status", "aud",
    ] {
        assert!(view.get(gone).is_none(), "{gone} kept");
    }
    assert_eq!(view["issuer"], "did:web:front-office.example:astana");
    assert_eq!(view["validFrom"], "2026-06-01T00:00:00Z");
    assert_eq!(view["validUntil"], "2031-06-01T00:00:00Z");
}

#[test]
fn from_jwt_claims_strips_leftover_digests() {
    let c = Credential::from_json(&hours()).unwrap();
    let mut claims = obj(to_jwt_claims(&c, IAT, None));
    claims["credentialSubject"]["_sd"] = json!(["X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"]);
    claims["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!({"...": "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"}));
    let view = from_jwt_claims(&claims).unwrap();
    assert_eq!(view["credentialSubject"].get("_sd"), None);
    assert_eq!(view["@context"], hours()["@context"]);
}

/// The same credential as another tool would sign it under VC-JWT 1.1.
fn vc11_claims(key: &PublicKey) -> Value {
    let fixture = hours();
    json!({
        "iss": "did:web:front-office.example:astana",
        "sub": key.did_key(),
        "nbf": 1_780_272_000,
        "iat": 1_780_272_000,
        "exp": 1_938_038_400,
        "vc": {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential", "VolunteerHoursCredential"],
            "issuer": "did:web:front-office.example:astana",
            "issuanceDate": "2026-06-01T00:00:00Z",
            "expirationDate": "2031-06-01T00:00:00Z",
            "credentialSubject": fixture["credentialSubject"],
            "credentialStatus": fixture["credentialStatus"]
        }
    })
}

#[test]
fn from_jwt_claims_reads_vc11_payload_as_the_same_view() {
    let key = holder();
    let c = Credential::from_json(&hours()).unwrap();
    let ours = from_jwt_claims(&obj(to_jwt_claims(&c, IAT, Some(&key)))).unwrap();
    let theirs = from_jwt_claims(&obj(vc11_claims(&key))).unwrap();
    assert_eq!(theirs.to_string(), ours.to_string());
}

#[test]
fn from_jwt_claims_vc11_minimal_payload() {
    // Only JWT claims carry issuer and dates; `jti` becomes the id; a string context.
    let claims = json!({
        "iss": "did:web:other-tool.example",
        "jti": "urn:uuid:0d6b1f1e-2b5b-4c8e-9a7c-1d2e3f405162",
        "nbf": 1_780_272_000,
        "vc": {
            "@context": "https://www.w3.org/2018/credentials/v1",
            "type": ["VerifiableCredential", "VolunteerHoursCredential"],
            "credentialSubject": {"name": "A"}
        }
    });
    let view = from_jwt_claims(&obj(claims)).unwrap();
    assert_eq!(
        view,
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:0d6b1f1e-2b5b-4c8e-9a7c-1d2e3f405162",
            "type": ["VerifiableCredential", "VolunteerHoursCredential"],
            "issuer": "did:web:other-tool.example",
            "validFrom": "2026-06-01T00:00:00Z",
            "credentialSubject": {"name": "A"}
        })
    );
    assert_eq!(keys(&view)[..3], ["@context", "id", "type"]);
}

#[test]
fn from_jwt_claims_keeps_vcdm2_members_without_jwt_claims() {
    // A VC-JOSE-COSE payload that is the credential itself, without iss/nbf/exp.
    let v = hours();
    let view = from_jwt_claims(&obj(v.clone())).unwrap();
    assert_eq!(view.to_string(), v.to_string());
}

#[test]
fn reject_vc_claim_not_object() {
    assert_claim_error(
        json!({"iss": "did:web:x.example", "vc": "eyJ..."}),
        Code::MalformedCredential,
        "vc",
        reason::NOT_OBJECT,
    );
}

#[test]
fn reject_numeric_date_not_integer() {
    for (claim, value) in [
        ("nbf", json!(1.5)),
        ("exp", json!("1938038400")),
        ("nbf", json!(1e10)),
    ] {
        let mut claims = obj(hours());
        claims.insert(claim.into(), value);
        assert_claim_error(
            Value::Object(claims),
            Code::InvalidClaim,
            claim,
            reason::NOT_NUMERIC_DATE,
        );
    }
}

#[test]
fn reject_iss_not_string() {
    let mut claims = obj(hours());
    claims.insert("iss".into(), json!({"id": "did:web:x.example"}));
    assert_claim_error(
        Value::Object(claims),
        Code::InvalidClaim,
        "iss",
        reason::NOT_STRING,
    );
}

#[test]
fn reject_iss_contradicting_issuer() {
    let mut claims = vc11_claims(&holder());
    claims["iss"] = "did:web:someone-else.example".into();
    assert_claim_error(
        claims,
        Code::InvalidClaim,
        "iss",
        reason::CLAIM_CONTRADICTS_MEMBER,
    );
}

#[test]
fn reject_dates_contradicting_members() {
    let mut claims = vc11_claims(&holder());
    claims["vc"]["expirationDate"] = "2032-06-01T00:00:00Z".into();
    assert_claim_error(
        claims,
        Code::InvalidClaim,
        "exp",
        reason::CLAIM_CONTRADICTS_MEMBER,
    );
    let mut claims = vc11_claims(&holder());
    claims["nbf"] = 1_780_272_001.into();
    assert_claim_error(
        claims,
        Code::InvalidClaim,
        "nbf",
        reason::CLAIM_CONTRADICTS_MEMBER,
    );
}

#[test]
fn reject_sub_contradicting_subject_id() {
    let mut claims = vc11_claims(&holder());
    claims["vc"]["credentialSubject"]["id"] =
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK".into();
    assert_claim_error(
        claims,
        Code::InvalidClaim,
        "sub",
        reason::CLAIM_CONTRADICTS_MEMBER,
    );
}

#[test]
fn vc11_view_with_offset_dates_agrees_with_claims() {
    let mut claims = vc11_claims(&holder());
    claims["vc"]["issuanceDate"] = "2026-06-01T05:00:00+05:00".into();
    let view = from_jwt_claims(&obj(claims)).unwrap();
    assert_eq!(view["validFrom"], "2026-06-01T05:00:00+05:00");
}

// ---------------------------------------------------------------- the passport as an SD-JWT VC

/// Issue the example passport as an SD-JWT VC with the standard selectively disclosable
/// members, present it with `shown` disclosed and a KB-JWT, verify, and read it back.
fn passport_through_sd_jwt(shown: &[&str]) -> (Value, Credential, Vec<String>) {
    use vpass_credential::issue::Issuance;
    use vpass_credential::sdjwt::{self, KbParams, VerifyOptions};
    let text = include_str!("../../examples/passport.json");
    let v = strict_json::parse(text.as_bytes(), "passport").unwrap();
    let c = Credential::from_json(&v).unwrap();
    let office = SigningKey::from_seed(&[0x0f; 32]);
    let holder = SigningKey::from_seed(&[9; 32]);
    let iat = c.valid_from();
    let issued = Issuance::new(&c)
        .issued_at(iat)
        .holder(&holder.public())
        .sign(&office)
        .unwrap();
    let now = UnixTime(iat.0 + 3_600);
    let kb = KbParams {
        key: &holder,
        aud: "https://hr.example.kz",
        nonce: "n-1",
        iat: now,
    };
    let presented = sdjwt::present_names(&issued, shown, Some(&kb)).unwrap();
    let mut opts = VerifyOptions::at(now);
    opts.kb.required = true;
    opts.kb.aud = Some("https://hr.example.kz".into());
    opts.kb.nonce = Some("n-1".into());
    let verified = sdjwt::verify(&presented, &office.public(), &opts).unwrap();
    let disclosed = verified
        .disclosed_paths
        .iter()
        .map(|p| format!("{p:?}"))
        .collect();
    let view = from_jwt_claims(&verified.claims).unwrap();
    (view, c, disclosed)
}

#[test]
fn passport_sd_jwt_hides_identifying_members_and_keeps_the_record() {
    let (view, original, disclosed) = passport_through_sd_jwt(&[]);
    assert!(disclosed.is_empty(), "{disclosed:?}");
    let subject = &view["credentialSubject"];
    assert!(subject.get("iin").is_none() && subject.get("region").is_none());
    // The record itself is in the clear and reads back as a typed passport.
    let back = Credential::from_json(&view).unwrap();
    let (Subject::Passport(got), Subject::Passport(want)) = (back.subject(), original.subject())
    else {
        panic!("not passports");
    };
    assert_eq!(got.total_hours(), 316.5);
    assert_eq!(got.hours_by_category(), want.hours_by_category());
    assert_eq!(got.skills(), want.skills());
    assert_eq!(got.awards(), want.awards());
    assert_eq!(got.as_of(), want.as_of());
    assert_eq!(got.events(), want.events());
    assert_eq!(got.person().iin(), None);
    assert_eq!(got.person().region(), None);
    assert_eq!(
        back.subject().id(),
        Some(SigningKey::from_seed(&[9; 32]).public().did_key().as_str())
    );
}

#[test]
fn passport_sd_jwt_with_everything_disclosed_is_the_original() {
    let (view, original, disclosed) = passport_through_sd_jwt(&["iin", "region"]);
    assert_eq!(disclosed.len(), 2, "{disclosed:?}");
    let back = Credential::from_json(&view).unwrap();
    // The original plus the holder's id.
    let mut expected = original.to_json();
    let subject = expected["credentialSubject"].as_object().unwrap().clone();
    let mut with_id = Map::new();
    with_id.insert("id".into(), back.subject().id().unwrap().into());
    with_id.extend(subject);
    expected["credentialSubject"] = Value::Object(with_id);
    assert_eq!(back.to_json(), expected);
}
