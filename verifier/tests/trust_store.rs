#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The verifier with a trust-store folder: trust list, issuer authority, revocation, and the
//! ways each can be attacked (attack catalog F3, F4, G1–G4, H1–H4).

use std::path::Path;

use serde_json::{json, Value};
use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::model::{self, Credential};
use vpass_credential::sdjwt::{self, OsSalts};
use vpass_credential::status::{sign_status_list, StatusList};
use vpass_credential::time::UnixTime;
use vpass_credential::trust::{sign_trust_list, KeyState, Names, Office, OfficeKey, TrustList};
use vpass_verifier::{Policy, TrustStore, Verdict};

const ASTANA: &str = "did:web:front-office.example:astana";
const ALMATY: &str = "did:web:front-office.example:almaty";
const LIST_URL: &str = "https://front-office.example/status/1";
const LIST_ALMATY: &str = "https://front-office.example/status/almaty";
const ISSUED: i64 = 1_780_000_000; // 2026-05-28
const NOW: i64 = 1_795_000_000; // 2026-11-18

struct World {
    root: SigningKey,
    astana: SigningKey,
    almaty: SigningKey,
    dir: std::path::PathBuf,
}

fn office(id: &str, key: &SigningKey, types: &[&str], list: &str, state: KeyState) -> Office {
    Office {
        id: id.into(),
        names: Names {
            kk: format!("{id} kk"),
            ru: format!("{id} ru"),
            en: format!("{id} en"),
        },
        region: None,
        credential_types: types.iter().map(|t| (*t).to_owned()).collect(),
        keys: vec![OfficeKey {
            kid: format!("{id}#k1"),
            jwk: key.public().to_jwk(),
            valid_from: UnixTime(ISSUED - 86_400),
            valid_until: None,
            state,
        }],
        status_lists: vec![list.into()],
    }
}

impl World {
    fn new(name: &str) -> World {
        let dir = std::env::temp_dir().join(format!("vpass-trust-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("status")).unwrap();
        let w = World {
            root: SigningKey::from_seed(&[1; 32]),
            astana: SigningKey::from_seed(&[2; 32]).with_kid(format!("{ASTANA}#k1")),
            almaty: SigningKey::from_seed(&[3; 32]).with_kid(format!("{ALMATY}#k1")),
            dir,
        };
        std::fs::write(w.dir.join("root-key"), w.root.public().did_key()).unwrap();
        w.write_trust_list(7, KeyState::Active, NOW + 86_400);
        w.write_status_list(&w.astana, ASTANA, LIST_URL, &[], NOW - 3_600, NOW + 86_400);
        w
    }

    fn write_trust_list(&self, sequence: u64, astana_state: KeyState, next_update: i64) {
        let list = TrustList {
            sequence,
            issued_at: UnixTime((NOW - 7_200).min(next_update - 86_400)),
            next_update: UnixTime(next_update),
            root: self.root.public().did_key(),
            next_root: None,
            offices: vec![
                office(
                    ASTANA,
                    &self.astana,
                    &["VolunteerHoursCredential"],
                    LIST_URL,
                    astana_state,
                ),
                office(
                    ALMATY,
                    &self.almaty,
                    &["VolunteerHoursCredential"],
                    LIST_ALMATY,
                    KeyState::Active,
                ),
            ],
        };
        std::fs::write(
            self.dir.join("trust-list.jwt"),
            sign_trust_list(&self.root, &list),
        )
        .unwrap();
    }

    fn write_status_list(
        &self,
        key: &SigningKey,
        issuer: &str,
        url: &str,
        revoked: &[u64],
        from: i64,
        until: i64,
    ) {
        let mut list = StatusList::new(131_072).unwrap();
        for &i in revoked {
            list.set(i, true).unwrap();
        }
        let token = sign_status_list(
            key,
            issuer,
            url,
            "revocation",
            &list,
            UnixTime(from),
            UnixTime(until),
        );
        let name = url.rsplit('/').next().unwrap();
        std::fs::write(self.dir.join(format!("status/{name}.jwt")), token).unwrap();
    }

    /// An hours credential from the examples, issued by `key` as `iss`.
    fn credential(&self, key: &SigningKey, iss: &str, kind_type: &str) -> String {
        let mut json: Value = serde_json::from_str(
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hours.json"),
            )
            .unwrap(),
        )
        .unwrap();
        json["issuer"] = json!(iss);
        let cred = Credential::from_json(&json).unwrap();
        let mut claims = model::to_jwt_claims(&cred, UnixTime(ISSUED), None);
        if kind_type != "VolunteerHoursCredential" {
            claims["type"] = json!(["VerifiableCredential", kind_type]);
            claims["vct"] = json!(kind_type);
        }
        sdjwt::issue(key, claims, &[], &mut OsSalts).unwrap()
    }

    fn verify(&self, token: &str) -> Verdict {
        let store = TrustStore::open(&self.dir, UnixTime(NOW)).unwrap();
        vpass_verifier::verify(token, &store, &Policy::at(UnixTime(NOW)))
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn code(v: &Verdict) -> &str {
    v.errors.first().map_or("", |f| f.code)
}

#[test]
fn accept_trusted_office_with_current_status_list() {
    let w = World::new("ok");
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerHoursCredential"));
    assert!(v.valid, "{:?}", v.errors);
    assert!(v.status.checked);
    assert!(!v.status.revoked);
    assert_eq!(v.status.index, Some(94_567));
    assert_eq!(
        v.issuer_name.as_ref().unwrap()["en"],
        format!("{ASTANA} en")
    );
    assert!(v
        .warnings
        .iter()
        .all(|w| w.code != "ISSUER_AUTHORITY_NOT_CHECKED"));
}

#[test]
fn reject_revoked_credential() {
    let w = World::new("revoked");
    w.write_status_list(
        &w.astana,
        ASTANA,
        LIST_URL,
        &[94_567],
        NOW - 3_600,
        NOW + 86_400,
    );
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "REVOKED");
    assert!(v.status.revoked);
}

#[test]
fn reject_office_not_authorized_for_type() {
    let w = World::new("authz");
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerAwardCredential"));
    assert_eq!(code(&v), "ISSUER_NOT_AUTHORIZED");
}

#[test]
fn reject_key_of_another_office() {
    let w = World::new("mismatch");
    let v = w.verify(&w.credential(&w.almaty, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "ISSUER_KEY_MISMATCH");
}

#[test]
fn reject_unknown_kid() {
    let w = World::new("kid");
    let stranger = SigningKey::from_seed(&[9; 32]).with_kid(format!("{ASTANA}#stolen"));
    let v = w.verify(&w.credential(&stranger, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "UNKNOWN_KID");
}

#[test]
fn reject_compromised_key() {
    let w = World::new("compromised");
    w.write_trust_list(
        8,
        KeyState::Compromised {
            at: UnixTime(NOW - 100),
        },
        NOW + 86_400,
    );
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "KEY_COMPROMISED");
}

#[test]
fn reject_expired_trust_list() {
    let w = World::new("tl-expired");
    w.write_trust_list(8, KeyState::Active, NOW - 30 * 86_400);
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "TRUSTLIST_EXPIRED");
}

#[test]
fn reject_trust_list_rollback() {
    let w = World::new("tl-rollback");
    std::fs::write(w.dir.join("state.json"), r#"{"trustListSequence": 9}"#).unwrap();
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "TRUSTLIST_ROLLBACK");
}

#[test]
fn reject_trust_list_from_unpinned_root() {
    let w = World::new("tl-root");
    let other = SigningKey::from_seed(&[8; 32]);
    std::fs::write(w.dir.join("root-key"), other.public().did_key()).unwrap();
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "TRUSTLIST_INVALID");
}

#[test]
fn reject_stale_status_list() {
    let w = World::new("stale");
    w.write_status_list(
        &w.astana,
        ASTANA,
        LIST_URL,
        &[],
        NOW - 10 * 86_400,
        NOW - 86_400,
    );
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "STATUS_UNKNOWN");
}

#[test]
fn reject_missing_status_list() {
    let w = World::new("missing");
    std::fs::remove_file(w.dir.join("status/1.jwt")).unwrap();
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "STATUS_UNKNOWN");
}

#[test]
fn reject_status_list_rollback() {
    let w = World::new("status-rollback");
    let newer = NOW - 60;
    std::fs::write(
        w.dir.join("state.json"),
        format!(r#"{{"statusLists": {{"{LIST_URL}": {newer}}}}}"#),
    )
    .unwrap();
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "STATUS_ROLLBACK");
}

#[test]
fn reject_status_list_signed_by_another_office() {
    let w = World::new("status-forged");
    // Almaty signs a list at Astana's URL claiming nothing is revoked.
    w.write_status_list(&w.almaty, ALMATY, LIST_URL, &[], NOW - 3_600, NOW + 86_400);
    let v = w.verify(&w.credential(&w.astana, ASTANA, "VolunteerHoursCredential"));
    assert_eq!(code(&v), "STATUS_VERIFICATION_ERROR");
}

#[test]
fn reject_credential_pointing_at_another_offices_list() {
    let w = World::new("status-other");
    let mut json: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hours.json"),
        )
        .unwrap(),
    )
    .unwrap();
    json["credentialStatus"]["statusListCredential"] = json!(LIST_ALMATY);
    let cred = Credential::from_json(&json).unwrap();
    let claims = model::to_jwt_claims(&cred, UnixTime(ISSUED), None);
    let token = sdjwt::issue(&w.astana, claims, &[], &mut OsSalts).unwrap();
    let v = w.verify(&token);
    assert_eq!(code(&v), "STATUS_VERIFICATION_ERROR");
}
