//! josekit (the JOSE library the design names) as an independent oracle: VC-JWTs and SD-JWT
//! issuer JWTs made by vpass verify in josekit, and josekit EdDSA tokens verify in vpass —
//! while josekit tokens with an algorithm vpass refuses stay refused.

use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsHeader, HS256};
use josekit::jwt::{self, JwtPayload};
use serde_json::{json, Map, Value};
use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::time::UnixTime;
use vpass_credential::{sdjwt, vcjwt, Code};

fn private_jwk(key: &SigningKey) -> Jwk {
    Jwk::from_bytes(key.to_private_jwk().to_string().as_bytes()).expect("josekit reads our JWK")
}

fn public_jwk(key: &SigningKey) -> Jwk {
    Jwk::from_bytes(key.public().to_jwk().to_string().as_bytes()).expect("josekit reads our JWK")
}

fn claims() -> Value {
    json!({"iss": "did:web:front-office.example:astana", "iat": 1_780_000_000, "nbf": 1_780_000_000,
        "exp": 1_900_000_000, "type": ["VerifiableCredential", "VolunteerHoursCredential"],
        "credentialSubject": {"name": "Айгерим Нурланова", "hours": 48}})
}

#[test]
fn josekit_verifies_vpass_vc_jwt_and_sd_jwt_issuer_jwt() {
    let office = SigningKey::from_seed(&[21; 32]);
    let verifier = EdDSA.verifier_from_jwk(&public_jwk(&office)).unwrap();
    let token = vcjwt::issue(&office, &claims()).unwrap();
    let (payload, header) = jwt::decode_with_verifier(&token, &verifier).unwrap();
    assert_eq!(header.token_type(), Some("vc+jwt"));
    assert_eq!(payload.claim("credentialSubject").unwrap()["hours"], 48);

    let sd = vec![sdjwt::parse_path(&claims(), "credentialSubject.name")];
    let issued = sdjwt::issue(&office, claims(), &sd, &mut sdjwt::OsSalts).unwrap();
    let issuer_jwt = issued.split('~').next().unwrap();
    let (payload, header) = jwt::decode_with_verifier(issuer_jwt, &verifier).unwrap();
    assert_eq!(header.token_type(), Some("dc+sd-jwt"));
    assert_eq!(payload.claim("_sd_alg"), Some(&json!("sha-256")));

    let mut tampered = token.clone();
    tampered.replace_range(token.len() - 10..token.len() - 9, "A");
    if tampered != token {
        assert!(jwt::decode_with_verifier(&tampered, &verifier).is_err());
    }
}

#[test]
fn vpass_verifies_josekit_eddsa_vc_jwt() {
    let office = SigningKey::from_seed(&[22; 32]);
    let signer = EdDSA.signer_from_jwk(&private_jwk(&office)).unwrap();
    let mut header = JwsHeader::new();
    header.set_token_type("vc+jwt");
    let map: Map<String, Value> = claims().as_object().unwrap().clone();
    let payload = JwtPayload::from_map(map).unwrap();
    let token = jwt::encode_with_signer(&payload, &header, &signer).unwrap();
    let v = vcjwt::verify(&token, &office.public(), UnixTime(1_800_000_000), 300).unwrap();
    assert_eq!(v.claims["credentialSubject"]["hours"], 48);
    // Ed25519 is deterministic: josekit and vpass sign the same input identically.
    let ours = vpass_credential::jose::sign(&office, None, b"x");
    let theirs = {
        let header = JwsHeader::new();
        josekit::jws::serialize_compact(b"x", &header, &signer).unwrap()
    };
    assert_eq!(ours.rsplit('.').next(), theirs.rsplit('.').next());
}

#[test]
fn reject_josekit_hs256_token_keyed_with_the_office_public_key() {
    // Algorithm confusion (catalog B2): HS256 with the public key bytes as the HMAC secret.
    let office = SigningKey::from_seed(&[23; 32]);
    let public_bytes = match office.public() {
        vpass_credential::keys::PublicKey::Ed25519(vk) => vk.to_bytes(),
        _ => unreachable!(),
    };
    let signer = HS256.signer_from_bytes(public_bytes).unwrap();
    let mut header = JwsHeader::new();
    header.set_token_type("vc+jwt");
    let payload = JwtPayload::from_map(claims().as_object().unwrap().clone()).unwrap();
    let token = jwt::encode_with_signer(&payload, &header, &signer).unwrap();
    let e = vcjwt::verify(&token, &office.public(), UnixTime(1_800_000_000), 300).unwrap_err();
    assert_eq!(e.code(), Code::AlgNotAllowed);
}
