//! Untrusted JSON bytes → `json::parse` (strict: duplicates, depth, I-JSON), then
//! `model::Credential::from_json` and, for objects, `model::from_jwt_claims` (the JWT-claims
//! view the verifier shows). Must never panic. Whatever `from_json` accepts is a fixed point:
//! its own JSON parses back to the same credential, and so does the round trip through JWT
//! claims (`to_jwt_claims` → `from_jwt_claims` → `from_json`) that issuing and verifying make.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpass_credential::json;
use vpass_credential::model::{self, Credential};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = json::parse(data, "fuzz") else {
        return;
    };
    if let Ok(cred) = Credential::from_json(&value) {
        let again = Credential::from_json(&cred.to_json()).expect("own JSON parses");
        assert_eq!(again, cred);
        let claims = model::to_jwt_claims(&cred, cred.valid_from(), None);
        let claims = claims.as_object().expect("JWT claims are an object");
        let view = model::from_jwt_claims(claims).expect("own JWT claims convert");
        let back = Credential::from_json(&view).expect("own JWT view parses");
        assert_eq!(back, cred);
    }
    if let Some(map) = value.as_object() {
        let _ = model::from_jwt_claims(map);
    }
});
