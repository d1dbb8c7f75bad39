#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Regressions found by the attack-catalog review, one test per finding.

use serde_json::Value;
use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::status::{sign_status_list, StatusList};
use vpass_credential::time::UnixTime;
use vpass_credential::{b64, jose, json, model, vcjwt};
use vpass_verifier::sample::{Sample, STANDARD_HOURS};
use vpass_verifier::Verdict;

fn code(v: &Verdict) -> &str {
    v.errors.first().map_or("", |f| f.code)
}

/// The standard credential's JWT claims, as an office would sign them.
fn hours_claims() -> Value {
    let vc = json::parse(STANDARD_HOURS.as_bytes(), "t").unwrap();
    let cred = model::Credential::from_json(&vc).unwrap();
    model::to_jwt_claims(&cred, cred.valid_from(), None)
}

#[test]
fn r1_p256_token_against_ed25519_keys_is_alg_key_mismatch() {
    let s = Sample::standard().unwrap();
    let token = jose::sign_json(
        &SigningKey::generate_p256(),
        Some("vc+jwt"),
        &hours_claims(),
    );
    let v = vpass_verifier::verify(&token, &s.store, &s.policy);
    assert_eq!(code(&v), "ALG_KEY_MISMATCH");
}

#[test]
fn r2_status_list_credential_is_not_a_volunteer_credential() {
    let s = Sample::standard().unwrap();
    let list = StatusList::new(131_072).unwrap();
    let token = sign_status_list(
        &s.office,
        "did:web:front-office.example:astana",
        "https://front-office.example/status/1",
        "revocation",
        &list,
        UnixTime(s.policy.now.0 - 60),
        UnixTime(s.policy.now.0 + 86_400),
    );
    let v = vpass_verifier::verify(&token, &s.store, &s.policy);
    assert_eq!(code(&v), "WRONG_CREDENTIAL_TYPE");
    let bare = vcjwt::issue(&s.office, &serde_json::json!({"iss": "did:web:x"})).unwrap();
    let v = vpass_verifier::verify(&bare, &s.store, &s.policy);
    assert_eq!(code(&v), "WRONG_CREDENTIAL_TYPE");
    // Third-party types pass only when the policy allows them.
    let mut open = s.policy.clone();
    open.allow_other_types = true;
    assert!(vpass_verifier::verify(&bare, &s.store, &open).valid);
}

#[test]
fn r3_json_serialization_is_malformed_jws_and_spaced_headers_are_accepted() {
    let s = Sample::standard().unwrap();
    let token = vcjwt::issue(&s.office, &hours_claims()).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let json_form = serde_json::json!({"protected": parts[0], "payload": parts[1],
        "signature": parts[2]})
    .to_string();
    let v = vpass_verifier::verify(&json_form, &s.store, &s.policy);
    assert_eq!(code(&v), "MALFORMED_JWS");
    // A header with spaces (`{ "alg"…`, base64url `eyAi…`) is still a JWS.
    let header = b64::encode(r#"{ "alg": "EdDSA", "typ": "vc+jwt" }"#);
    let input = format!("{header}.{}", parts[1]);
    let sig = b64::encode(s.office.sign(input.as_bytes()));
    let v = vpass_verifier::verify(&format!("{input}.{sig}"), &s.store, &s.policy);
    assert!(v.valid, "{:?}", v.errors);
}

#[test]
fn r4_vpass_credential_without_exp_is_refused() {
    let s = Sample::standard().unwrap();
    let mut claims = hours_claims();
    claims.as_object_mut().unwrap().remove("exp");
    let token = vcjwt::issue(&s.office, &claims).unwrap();
    let v = vpass_verifier::verify(&token, &s.store, &s.policy);
    assert_eq!(code(&v), "INVALID_FIELD", "{:?}", v.errors);
    assert!(v.errors[0]
        .detail
        .as_deref()
        .unwrap_or("")
        .contains("validUntil"));
}

/// The standard credential with the JWT times removed and VCDM members set instead.
fn hours_with_members(valid_from: &str, valid_until: &str) -> Value {
    let mut claims = hours_claims();
    let obj = claims.as_object_mut().unwrap();
    obj.remove("nbf");
    obj.remove("exp");
    obj.insert("validFrom".into(), valid_from.into());
    obj.insert("validUntil".into(), valid_until.into());
    claims
}

/// The standard credential as a VC 1.1 JWT (`vc` claim, `typ` `JWT`) with these dates.
fn vc11_hours(issuance: &str, expiration: &str) -> Value {
    let mut vc = json::parse(STANDARD_HOURS.as_bytes(), "t").unwrap();
    let obj = vc.as_object_mut().unwrap();
    obj.remove("validFrom");
    obj.remove("validUntil");
    obj.insert(
        "@context".into(),
        serde_json::json!(["https://www.w3.org/2018/credentials/v1"]),
    );
    obj.insert("issuanceDate".into(), issuance.into());
    obj.insert("expirationDate".into(), expiration.into());
    serde_json::json!({"iss": "did:web:front-office.example:astana", "vc": vc})
}

#[test]
fn r5_credential_validity_members_are_checked_against_the_clock() {
    let s = Sample::standard().unwrap();
    // now is 2026-06-01T01:00:00Z.
    let cases = [
        // VCDM 2.0 validUntil in the past, no `exp`.
        (
            vcjwt::issue(
                &s.office,
                &hours_with_members("2026-06-01T00:00:00Z", "2026-06-01T00:30:00Z"),
            )
            .unwrap(),
            "EXPIRED",
        ),
        // VCDM 2.0 validFrom in the future, no `nbf`.
        (
            vcjwt::issue(
                &s.office,
                &hours_with_members("2026-06-02T00:00:00Z", "2031-06-01T00:00:00Z"),
            )
            .unwrap(),
            "NOT_YET_VALID",
        ),
        // VC 1.1 expirationDate in the past.
        (
            jose::sign_json(
                &s.office,
                Some("JWT"),
                &vc11_hours("2026-06-01T00:00:00Z", "2026-06-01T00:30:00Z"),
            ),
            "EXPIRED",
        ),
        // VC 1.1 issuanceDate in the future.
        (
            jose::sign_json(
                &s.office,
                Some("JWT"),
                &vc11_hours("2026-06-02T00:00:00Z", "2031-06-01T00:00:00Z"),
            ),
            "NOT_YET_VALID",
        ),
    ];
    for (token, want) in &cases {
        let v = vpass_verifier::verify(token, &s.store, &s.policy);
        assert_eq!(code(&v), *want, "{:?}", v.errors);
    }
    // The same shapes inside their windows verify.
    let ok = vcjwt::issue(
        &s.office,
        &hours_with_members("2026-06-01T00:00:00Z", "2031-06-01T00:00:00Z"),
    )
    .unwrap();
    let v = vpass_verifier::verify(&ok, &s.store, &s.policy);
    assert!(v.valid, "{:?}", v.errors);
    let ok11 = jose::sign_json(
        &s.office,
        Some("JWT"),
        &vc11_hours("2026-06-01T00:00:00Z", "2031-06-01T00:00:00Z"),
    );
    let v = vpass_verifier::verify(&ok11, &s.store, &s.policy);
    assert!(v.valid, "{:?}", v.errors);
    // Within the clock skew of the end, still valid: the same constant as `exp`.
    let mut edge = s.policy.clone();
    edge.now = UnixTime(UnixTime::parse_rfc3339("2026-06-01T00:30:00Z").unwrap().0 + 299);
    let late = vcjwt::issue(
        &s.office,
        &hours_with_members("2026-06-01T00:00:00Z", "2026-06-01T00:30:00Z"),
    )
    .unwrap();
    assert!(vpass_verifier::verify(&late, &s.store, &edge).valid);
}

#[test]
fn r5_sd_jwt_vc_validity_members_are_checked_against_the_clock() {
    let s = Sample::standard().unwrap();
    let claims = hours_with_members("2026-06-01T00:00:00Z", "2026-06-01T00:30:00Z");
    let token = vpass_credential::sdjwt::issue(
        &s.office,
        claims,
        &[],
        &mut vpass_credential::sdjwt::OsSalts,
    )
    .unwrap();
    let v = vpass_verifier::verify(&token, &s.store, &s.policy);
    assert_eq!(code(&v), "EXPIRED", "{:?}", v.errors);
}
