//! The signed trust list: round trip, every rejection, key lookups, root rotation, and status
//! lists checked against it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use proptest::prelude::*;
use serde_json::{json, Value};
use vpass_credential::b64;
use vpass_credential::error::Code;
use vpass_credential::jose;
use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::limits::{CLOCK_SKEW_SECS, MAX_TOKEN};
use vpass_credential::status::{sign_status_list, verify_status_list_with_trust, StatusList};
use vpass_credential::time::UnixTime;
use vpass_credential::trust::{
    sign_trust_list, verify_trust_list, KeyState, Names, Office, OfficeKey, TrustList,
    VerifiedTrustList, TRUST_LIST_GRACE_SECS, TRUST_LIST_TYP,
};

const ALMATY: &str = "did:web:almaty.vpass.kz";
const ASTANA: &str = "did:web:vpass.kz";
const ISSUED: UnixTime = UnixTime(1_780_000_000);
const NEXT: UnixTime = UnixTime(1_780_604_800);
/// Almaty's 2025 key was retired at this time.
const RETIRED_AT: UnixTime = UnixTime(1_770_000_000);
const YEAR: i64 = 365 * 86_400;

fn root() -> SigningKey {
    SigningKey::from_seed(&[100; 32])
}

fn key(seed: u8, kid: &str) -> SigningKey {
    SigningKey::from_seed(&[seed; 32]).with_kid(kid)
}

fn almaty_2025() -> SigningKey {
    key(1, "did:web:almaty.vpass.kz#2025")
}
fn almaty_2026() -> SigningKey {
    key(2, "did:web:almaty.vpass.kz#2026")
}
fn almaty_lost() -> SigningKey {
    key(3, "did:web:almaty.vpass.kz#lost")
}
fn astana_main() -> SigningKey {
    key(4, "did:web:vpass.kz#main")
}

fn office_key(signer: &SigningKey, valid_from: UnixTime, state: KeyState) -> OfficeKey {
    OfficeKey {
        kid: signer.kid().unwrap().to_owned(),
        jwk: signer.public().to_jwk(),
        valid_from,
        valid_until: None,
        state,
    }
}

fn names(en: &str) -> Names {
    Names {
        kk: format!("{en} (kk)"),
        ru: format!("{en} (ru)"),
        en: en.to_owned(),
    }
}

fn list() -> TrustList {
    TrustList {
        sequence: 7,
        issued_at: ISSUED,
        next_update: NEXT,
        root: root().public().did_key(),
        next_root: None,
        offices: vec![
            Office {
                id: ALMATY.into(),
                names: names("Almaty front-office"),
                region: Some("KZ-75".into()),
                credential_types: vec![
                    "VolunteerHoursCredential".into(),
                    "VolunteerSkillCredential".into(),
                ],
                keys: vec![
                    office_key(
                        &almaty_2025(),
                        UnixTime(1_740_000_000),
                        KeyState::Retired { at: RETIRED_AT },
                    ),
                    office_key(&almaty_2026(), UnixTime(1_767_225_600), KeyState::Active),
                    office_key(
                        &almaty_lost(),
                        UnixTime(1_767_225_600),
                        KeyState::Compromised {
                            at: UnixTime(1_775_000_000),
                        },
                    ),
                ],
                status_lists: vec!["https://almaty.vpass.kz/status/1".into()],
            },
            Office {
                id: ASTANA.into(),
                names: names("National front-office"),
                region: None,
                credential_types: vec![
                    "VolunteerHoursCredential".into(),
                    "VolunteerAwardCredential".into(),
                ],
                keys: vec![office_key(
                    &astana_main(),
                    UnixTime(1_700_000_000),
                    KeyState::Active,
                )],
                status_lists: vec!["https://vpass.kz/status/1".into()],
            },
        ],
    }
}

fn verified(list: &TrustList) -> vpass_credential::Result<VerifiedTrustList> {
    verify_trust_list(
        &sign_trust_list(&root(), list),
        &root().public(),
        ISSUED,
        None,
    )
}

fn code(r: vpass_credential::Result<VerifiedTrustList>) -> Code {
    r.unwrap_err().code()
}

fn edited(edit: impl FnOnce(&mut TrustList)) -> vpass_credential::Result<VerifiedTrustList> {
    let mut l = list();
    edit(&mut l);
    verified(&l)
}

// ---- format and round trip ------------------------------------------------------------------

#[test]
fn trust_list_round_trip() {
    let token = sign_trust_list(&root(), &list());
    let v = verify_trust_list(&token, &root().public(), ISSUED, Some(6)).unwrap();
    assert_eq!(v.list(), &list());
    assert_eq!(v.sequence(), 7);
    assert_eq!((v.issued_at(), v.next_update()), (ISSUED, NEXT));
    assert_eq!(v.expires_at(), UnixTime(NEXT.0 + TRUST_LIST_GRACE_SECS));
    assert_eq!(v.root(), &root().public());
    assert_eq!(v.root_to_pin(), &root().public());
    assert!(v.next_root().is_none());
    assert_eq!(v.offices().len(), 2);
    assert_eq!(v.office(ASTANA).unwrap().region, None);
    assert!(v.office("did:web:nowhere").is_none());
    assert_eq!(
        v.office_for_status_list("https://almaty.vpass.kz/status/1")
            .unwrap()
            .id,
        ALMATY
    );
    assert!(v
        .office_for_status_list("https://evil.example/status/1")
        .is_none());

    let jws = jose::parse(&token)
        .unwrap()
        .verify(&root().public())
        .unwrap();
    assert_eq!(jws.header.typ.as_deref(), Some(TRUST_LIST_TYP));
    assert_eq!(TRUST_LIST_TYP, "vpass-trustlist+jwt");
}

#[test]
fn trust_list_document_shape() {
    let doc = serde_json::to_value(list()).unwrap();
    assert_eq!(doc["sequence"], 7);
    assert_eq!(doc["issuedAt"], "2026-05-28T20:26:40Z");
    assert_eq!(doc["nextUpdate"], "2026-06-04T20:26:40Z");
    assert_eq!(doc["root"], root().public().did_key());
    assert!(doc.get("nextRoot").is_none());
    let almaty = &doc["offices"][0];
    assert_eq!(almaty["region"], "KZ-75");
    assert_eq!(almaty["credentialTypes"][0], "VolunteerHoursCredential");
    assert_eq!(almaty["statusLists"][0], "https://almaty.vpass.kz/status/1");
    assert_eq!(almaty["names"]["en"], "Almaty front-office");
    let k = &almaty["keys"][0];
    assert_eq!(k["kid"], "did:web:almaty.vpass.kz#2025");
    assert_eq!(k["jwk"]["kty"], "OKP");
    assert_eq!(k["validFrom"], "2025-02-19T21:20:00Z");
    assert!(k.get("validUntil").is_none());
    assert_eq!(
        k["state"],
        json!({"kind": "retired", "at": "2026-02-02T02:40:00Z"})
    );
    assert_eq!(almaty["keys"][1]["state"], json!({"kind": "active"}));
    assert!(doc["offices"][1].get("region").is_none());
    // And back.
    assert_eq!(serde_json::from_value::<TrustList>(doc).unwrap(), list());
}

#[test]
fn national_list_of_21_offices_fits_the_token_limit() {
    let mut l = list();
    l.offices = (0..21)
        .map(|i| {
            let id = format!("did:web:office{i:02}.vpass.kz");
            let keys = (0..3u8)
                .map(|k| {
                    let signer = key(10 + k, &format!("{id}#key-202{k}"));
                    OfficeKey {
                        valid_until: Some(UnixTime(1_900_000_000)),
                        ..office_key(&signer, UnixTime(1_700_000_000), KeyState::Active)
                    }
                })
                .collect();
            Office {
                id: id.clone(),
                names: Names {
                    kk: "Ерікті қызметтің өңірлік фронт-офисі".into(),
                    ru: "Региональный фронт-офис волонтёрской деятельности".into(),
                    en: "Regional volunteer front-office".into(),
                },
                region: Some(format!("KZ-{}", 10 + i)),
                credential_types: vec![
                    "VolunteerHoursCredential".into(),
                    "VolunteerSkillCredential".into(),
                    "VolunteerAwardCredential".into(),
                    "VolunteerPassportCredential".into(),
                ],
                keys,
                status_lists: (1..=4)
                    .map(|n| format!("https://office{i:02}.vpass.kz/status/{n}"))
                    .collect(),
            }
        })
        .collect();
    let token = sign_trust_list(&root(), &l);
    println!(
        "21 offices x 3 keys x 4 status lists: {} bytes",
        token.len()
    );
    assert!(token.len() < MAX_TOKEN);
    let v = verify_trust_list(&token, &root().public(), ISSUED, None).unwrap();
    assert_eq!(v.offices().len(), 21);
}

// ---- the list as a whole --------------------------------------------------------------------

#[test]
fn reject_trust_list_wrong_root() {
    let other = SigningKey::from_seed(&[101; 32]);
    let token = sign_trust_list(&other, &list());
    let err = verify_trust_list(&token, &root().public(), ISSUED, None).unwrap_err();
    assert_eq!(err.code(), Code::TrustlistInvalid);
    // Signed by the pinned root, but naming another root: also refused.
    assert_eq!(
        code(edited(|l| l.root = other.public().did_key())),
        Code::TrustlistInvalid
    );
    // A P-256 root is never pinned.
    let p256 = SigningKey::generate_p256();
    let token = sign_trust_list(&p256, &list());
    assert_eq!(
        code(verify_trust_list(&token, &p256.public(), ISSUED, None)),
        Code::KeyInvalid
    );
}

#[test]
fn reject_trust_list_tampered() {
    let token = sign_trust_list(&root(), &list());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut doc: Value = serde_json::from_slice(&b64::decode(&parts[1], "p").unwrap()).unwrap();
    doc["sequence"] = json!(8);
    parts[1] = b64::encode(doc.to_string());
    let forged = parts.join(".");
    assert_eq!(
        code(verify_trust_list(&forged, &root().public(), ISSUED, None)),
        Code::TrustlistInvalid
    );
    assert_eq!(
        code(verify_trust_list("x.y", &root().public(), ISSUED, None)),
        Code::TrustlistInvalid
    );
}

#[test]
fn reject_trust_list_wrong_typ() {
    let payload = serde_json::to_value(list()).unwrap();
    for typ in [Some("vc+jwt"), Some("JWT"), None] {
        let token = jose::sign_json(&root(), typ, &payload);
        assert_eq!(
            code(verify_trust_list(&token, &root().public(), ISSUED, None)),
            Code::WrongTyp
        );
    }
}

#[test]
fn reject_trust_list_unknown_or_malformed_members() {
    let mut doc = serde_json::to_value(list()).unwrap();
    doc["trustEverything"] = json!(true);
    let cases = [
        doc,
        json!({"sequence": 8}),
        {
            let mut d = serde_json::to_value(list()).unwrap();
            d["sequence"] = json!(-1);
            d
        },
        {
            let mut d = serde_json::to_value(list()).unwrap();
            d["issuedAt"] = json!(1_780_000_000);
            d
        },
    ];
    let mut cases = cases.to_vec();
    for state in [
        json!({"kind": "suspended"}),
        json!({"kind": "active", "at": "2026-01-01T00:00:00Z"}),
        json!({"kind": "retired"}),
        json!({"kind": "retired", "at": "2026-01-01T00:00:00Z", "reason": "x"}),
        json!({"kind": "compromised", "at": 1_780_000_000}),
        json!("active"),
    ] {
        let mut d = serde_json::to_value(list()).unwrap();
        d["offices"][0]["keys"][0]["state"] = state;
        cases.push(d);
    }
    for doc in cases {
        let token = jose::sign_json(&root(), Some(TRUST_LIST_TYP), &doc);
        assert_eq!(
            code(verify_trust_list(&token, &root().public(), ISSUED, None)),
            Code::TrustlistInvalid,
            "{doc}"
        );
    }
}

#[test]
fn reject_trust_list_rollback() {
    let token = sign_trust_list(&root(), &list());
    for last in [7, 8, u64::MAX] {
        let err = verify_trust_list(&token, &root().public(), ISSUED, Some(last)).unwrap_err();
        assert_eq!(err.code(), Code::TrustlistRollback, "last {last}");
    }
    assert!(verify_trust_list(&token, &root().public(), ISSUED, Some(6)).is_ok());
    assert!(verify_trust_list(&token, &root().public(), ISSUED, Some(0)).is_ok());
}

#[test]
fn reject_trust_list_expired() {
    let token = sign_trust_list(&root(), &list());
    let at = |t: i64| verify_trust_list(&token, &root().public(), UnixTime(t), None);
    assert!(at(NEXT.0).is_ok());
    assert!(at(NEXT.0 + TRUST_LIST_GRACE_SECS).is_ok());
    let err = at(NEXT.0 + TRUST_LIST_GRACE_SECS + 1).unwrap_err();
    assert_eq!(err.code(), Code::TrustlistExpired);
    assert_eq!(
        at(NEXT.0 + 10 * YEAR).unwrap_err().code(),
        Code::TrustlistExpired
    );
}

#[test]
fn reject_trust_list_issued_in_the_future() {
    let token = sign_trust_list(&root(), &list());
    let at = |t: i64| verify_trust_list(&token, &root().public(), UnixTime(t), None);
    assert!(at(ISSUED.0 - CLOCK_SKEW_SECS).is_ok());
    assert_eq!(
        at(ISSUED.0 - CLOCK_SKEW_SECS - 1).unwrap_err().code(),
        Code::ClockInconsistent
    );
    assert_eq!(
        code(edited(|l| l.next_update = l.issued_at)),
        Code::TrustlistInvalid
    );
}

// ---- offices and keys -----------------------------------------------------------------------

#[test]
fn reject_small_order_office_key() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let err = edited(|l| {
        l.offices[0].keys[1].jwk =
            json!({"kty": "OKP", "crv": "Ed25519", "x": b64::encode(identity)})
    })
    .unwrap_err();
    assert_eq!(err.code(), Code::KeyInvalid);
    // Non-canonical encoding of a point (y = p) is refused as well.
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xed;
    non_canonical[31] = 0x7f;
    assert_eq!(
        code(edited(|l| {
            l.offices[0].keys[1].jwk =
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64::encode(non_canonical)})
        })),
        Code::KeyInvalid
    );
}

#[test]
fn reject_p256_office_key() {
    let p256 = SigningKey::generate_p256();
    let err = edited(|l| l.offices[0].keys[1].jwk = p256.public().to_jwk()).unwrap_err();
    assert_eq!(err.code(), Code::KeyInvalid);
    let x25519 = json!({"kty": "OKP", "crv": "X25519", "x": b64::encode([9u8; 32])});
    assert_eq!(
        code(edited(|l| l.offices[0].keys[1].jwk = x25519)),
        Code::KeyInvalid
    );
}

#[test]
fn reject_private_office_key() {
    let err = edited(|l| l.offices[0].keys[1].jwk = almaty_2026().to_private_jwk()).unwrap_err();
    assert_eq!(err.code(), Code::KeyInvalid);
}

#[test]
fn reject_duplicate_kid() {
    let err = edited(|l| {
        let dup = l.offices[0].keys[1].clone();
        l.offices[0].keys.push(dup);
    })
    .unwrap_err();
    assert_eq!(err.code(), Code::TrustlistInvalid);
}

#[test]
fn reject_duplicate_office_id() {
    let err = edited(|l| {
        let mut dup = l.offices[1].clone();
        dup.keys.clear();
        dup.status_lists.clear();
        l.offices.push(dup);
    })
    .unwrap_err();
    assert_eq!(err.code(), Code::TrustlistInvalid);
}

#[test]
fn reject_kid_outside_its_office() {
    for kid in [
        "did:web:vpass.kz#2026",
        "did:web:almaty.vpass.kz",
        "did:web:almaty.vpass.kz#",
        "did:web:almaty.vpass.kz.evil#2026",
        "2026",
    ] {
        assert_eq!(
            code(edited(|l| l.offices[0].keys[1].kid = kid.into())),
            Code::TrustlistInvalid,
            "{kid}"
        );
    }
}

/// An edit of a trust list document.
type ListEdit = Box<dyn Fn(&mut TrustList)>;

#[test]
fn reject_malformed_office_entries() {
    let cases: Vec<ListEdit> = vec![
        Box::new(|l| l.offices[0].id = "https://almaty.vpass.kz".into()),
        Box::new(|l| l.offices[0].id = "did:web:".into()),
        Box::new(|l| l.offices[0].region = Some("Almaty".into())),
        Box::new(|l| l.offices[0].region = Some("RU-MOW".into())),
        Box::new(|l| l.offices[0].region = Some("KZ-".into())),
        Box::new(|l| l.offices[0].names.kk.clear()),
        Box::new(|l| l.offices[0].credential_types.push(String::new())),
        Box::new(|l| l.offices[0].status_lists.push(String::new())),
        Box::new(|l| l.offices[1].status_lists = l.offices[0].status_lists.clone()),
        Box::new(|l| l.offices[0].keys[1].valid_until = Some(l.offices[0].keys[1].valid_from)),
    ];
    for (i, edit) in cases.into_iter().enumerate() {
        assert_eq!(code(edited(edit)), Code::TrustlistInvalid, "case {i}");
    }
    for region in ["KZ-75", "KZ-ALA", "KZ-10"] {
        assert!(edited(|l| l.offices[0].region = Some(region.into())).is_ok());
    }
}

#[test]
fn office_may_issue_only_its_types() {
    let v = verified(&list()).unwrap();
    let almaty = v.office(ALMATY).unwrap();
    assert!(almaty.may_issue("VolunteerHoursCredential"));
    assert!(!almaty.may_issue("VolunteerAwardCredential"));
    assert!(!almaty.may_issue("volunteerhourscredential"));
    assert!(v
        .office(ASTANA)
        .unwrap()
        .may_issue("VolunteerAwardCredential"));
    assert!(almaty.publishes_status_list("https://almaty.vpass.kz/status/1"));
    assert!(!almaty.publishes_status_list("https://vpass.kz/status/1"));
}

// ---- find_key -------------------------------------------------------------------------------

const NOW: UnixTime = UnixTime(1_780_000_000);

#[test]
fn find_key_by_kid() {
    let v = verified(&list()).unwrap();
    let (office, key) = v.find_key(almaty_2026().kid(), ALMATY, NOW).unwrap();
    assert_eq!(office.id, ALMATY);
    assert_eq!(key, almaty_2026().public());
    let (office, key) = v.find_key(astana_main().kid(), ASTANA, NOW).unwrap();
    assert_eq!((office.id.as_str(), key), (ASTANA, astana_main().public()));
}

#[test]
fn reject_unknown_kid_or_issuer() {
    let v = verified(&list()).unwrap();
    let err = v
        .find_key(Some("did:web:almaty.vpass.kz#2099"), ALMATY, NOW)
        .unwrap_err();
    assert_eq!(err.code(), Code::UnknownKid);
    let err = v.find_key(None, "did:web:nowhere.kz", NOW).unwrap_err();
    assert_eq!(err.code(), Code::UntrustedKey);
}

#[test]
fn reject_key_of_other_office() {
    let v = verified(&list()).unwrap();
    // Almaty's key used for a credential that claims the national office as issuer.
    let err = v.find_key(almaty_2026().kid(), ASTANA, NOW).unwrap_err();
    assert_eq!(err.code(), Code::IssuerKeyMismatch);
    let err = v
        .find_key(almaty_2026().kid(), "did:web:nowhere.kz", NOW)
        .unwrap_err();
    assert_eq!(err.code(), Code::IssuerKeyMismatch);
}

#[test]
fn reject_compromised_key() {
    let v = verified(&list()).unwrap();
    // Whatever the claimed issue time: before, at, or after the compromise.
    for iat in [1_767_225_600, 1_774_999_999, 1_775_000_000, NOW.0] {
        let err = v
            .find_key(almaty_lost().kid(), ALMATY, UnixTime(iat))
            .unwrap_err();
        assert_eq!(err.code(), Code::KeyCompromised, "iat {iat}");
    }
}

#[test]
fn accept_retired_key_before_retirement() {
    let v = verified(&list()).unwrap();
    let (_, key) = v
        .find_key(almaty_2025().kid(), ALMATY, UnixTime(RETIRED_AT.0 - 1))
        .unwrap();
    assert_eq!(key, almaty_2025().public());
}

#[test]
fn reject_retired_key_after_retirement() {
    let v = verified(&list()).unwrap();
    for iat in [RETIRED_AT.0, RETIRED_AT.0 + 1, NOW.0] {
        let err = v
            .find_key(almaty_2025().kid(), ALMATY, UnixTime(iat))
            .unwrap_err();
        assert_eq!(err.code(), Code::UntrustedKey, "iat {iat}");
    }
}

#[test]
fn reject_key_outside_validity() {
    let mut l = list();
    l.offices[1].keys[0].valid_until = Some(UnixTime(1_800_000_000));
    let v = verified(&l).unwrap();
    let kid = astana_main();
    let kid = kid.kid();
    assert!(v.find_key(kid, ASTANA, UnixTime(1_700_000_000)).is_ok());
    assert!(v.find_key(kid, ASTANA, UnixTime(1_799_999_999)).is_ok());
    for iat in [1_699_999_999, 1_800_000_000, 1_900_000_000] {
        let err = v.find_key(kid, ASTANA, UnixTime(iat)).unwrap_err();
        assert_eq!(err.code(), Code::UntrustedKey, "iat {iat}");
    }
}

#[test]
fn find_key_without_kid_needs_one_usable_key() {
    let v = verified(&list()).unwrap();
    // The national office has one key.
    let (_, key) = v.find_key(None, ASTANA, NOW).unwrap();
    assert_eq!(key, astana_main().public());
    // Almaty now: 2025 is retired, "lost" compromised, so 2026 is the one usable key.
    let (_, key) = v.find_key(None, ALMATY, NOW).unwrap();
    assert_eq!(key, almaty_2026().public());
    // Almaty in mid-2026-01: both 2025 (not yet retired) and 2026 are usable: ambiguous.
    let err = v
        .find_key(None, ALMATY, UnixTime(1_768_000_000))
        .unwrap_err();
    assert_eq!(err.code(), Code::UnknownKid);
    // Before any Almaty key was valid: none usable.
    let err = v
        .find_key(None, ALMATY, UnixTime(1_600_000_000))
        .unwrap_err();
    assert_eq!(err.code(), Code::UntrustedKey);
    // An office whose only key is compromised says so, even without kid.
    let mut l = list();
    l.offices[1].keys[0].state = KeyState::Compromised { at: NOW };
    let v = verified(&l).unwrap();
    assert_eq!(
        v.find_key(None, ASTANA, NOW).unwrap_err().code(),
        Code::KeyCompromised
    );
}

#[test]
fn find_key_result_verifies_a_token() {
    // The lookup result is what verifies: office key → JWS verification.
    let v = verified(&list()).unwrap();
    let token = jose::sign(&almaty_2026(), Some("vc+jwt"), b"{}");
    let parsed = jose::parse(&token).unwrap();
    let (_, key) = v
        .find_key(parsed.header.kid.as_deref(), ALMATY, NOW)
        .unwrap();
    assert!(parsed.verify(&key).is_ok());
}

// ---- root rotation --------------------------------------------------------------------------

#[test]
fn root_rotation_needs_the_old_root() {
    let new_root = SigningKey::from_seed(&[102; 32]);
    // List 7, signed by the pinned root, announces the new root.
    let mut rotation = list();
    rotation.next_root = Some(new_root.public().did_key());
    let v = verified(&rotation).unwrap();
    assert_eq!(v.next_root(), Some(&new_root.public()));
    assert_eq!(v.root_to_pin(), &new_root.public());
    assert_eq!(v.root(), &root().public());

    // List 8, signed by the new root, verifies under the new pin only.
    let mut next = list();
    next.sequence = 8;
    next.root = new_root.public().did_key();
    let token = sign_trust_list(&new_root, &next);
    let pinned = v.root_to_pin().clone();
    let v8 = verify_trust_list(&token, &pinned, ISSUED, Some(v.sequence())).unwrap();
    assert_eq!(v8.sequence(), 8);
    assert_eq!(
        code(verify_trust_list(&token, &root().public(), ISSUED, Some(7))),
        Code::TrustlistInvalid
    );

    // A list signed by some key, naming itself as next root, does not move the pin.
    let attacker = SigningKey::from_seed(&[103; 32]);
    let mut hijack = next.clone();
    hijack.root = root().public().did_key();
    hijack.next_root = Some(attacker.public().did_key());
    let token = sign_trust_list(&attacker, &hijack);
    assert_eq!(
        code(verify_trust_list(&token, &root().public(), ISSUED, None)),
        Code::TrustlistInvalid
    );
}

#[test]
fn reject_malformed_next_root() {
    assert_eq!(
        code(edited(|l| l.next_root = Some(l.root.clone()))),
        Code::TrustlistInvalid
    );
    let p256 = SigningKey::generate_p256().public().did_key();
    assert_eq!(code(edited(|l| l.next_root = Some(p256))), Code::KeyInvalid);
    assert_eq!(
        code(edited(|l| l.next_root = Some("did:web:vpass.kz".into()))),
        Code::KeyInvalid
    );
}

// ---- status lists against the trust list ----------------------------------------------------

const LIST_URL: &str = "https://almaty.vpass.kz/status/1";

fn status_token(signer: &SigningKey, issuer: &str, url: &str) -> String {
    let mut list = StatusList::new(131_072).unwrap();
    list.set(42, true).unwrap();
    sign_status_list(
        signer,
        issuer,
        url,
        "revocation",
        &list,
        NOW,
        UnixTime(NOW.0 + 86_400),
    )
}

#[test]
fn status_list_verified_with_trust() {
    let v = verified(&list()).unwrap();
    let token = status_token(&almaty_2026(), ALMATY, LIST_URL);
    let s = verify_status_list_with_trust(&token, &v, LIST_URL, "revocation").unwrap();
    assert_eq!(s.issuer, ALMATY);
    assert!(s.list.get(42).unwrap());
}

#[test]
fn reject_status_list_signed_by_untrusted_or_compromised_key() {
    let v = verified(&list()).unwrap();
    let cases = [
        // Attack G1: a compromised key, a key of another office, an unknown key.
        status_token(&almaty_lost(), ALMATY, LIST_URL),
        status_token(&astana_main(), ALMATY, LIST_URL),
        status_token(&key(9, "did:web:almaty.vpass.kz#rogue"), ALMATY, LIST_URL),
        // Retired key signing after retirement.
        status_token(&almaty_2025(), ALMATY, LIST_URL),
        // Attack G2: the national office's list offered under Almaty's URL.
        status_token(&astana_main(), ASTANA, LIST_URL),
    ];
    for (i, token) in cases.iter().enumerate() {
        let err = verify_status_list_with_trust(token, &v, LIST_URL, "revocation").unwrap_err();
        assert_eq!(err.code(), Code::StatusVerificationError, "case {i}: {err}");
    }
    // A URL no office publishes.
    let token = status_token(&almaty_2026(), ALMATY, "https://evil.example/status/1");
    let err =
        verify_status_list_with_trust(&token, &v, "https://evil.example/status/1", "revocation")
            .unwrap_err();
    assert_eq!(err.code(), Code::StatusVerificationError);
    // Right key, wrong purpose.
    let token = status_token(&almaty_2026(), ALMATY, LIST_URL);
    let err = verify_status_list_with_trust(&token, &v, LIST_URL, "suspension").unwrap_err();
    assert_eq!(err.code(), Code::StatusVerificationError);
}

// ---- properties -----------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Flipping any byte of a signed list never yields a different accepted list.
    #[test]
    fn mutated_trust_list_is_never_accepted_differently(pos in any::<prop::sample::Index>(),
                                                        byte in any::<u8>()) {
        let token = sign_trust_list(&root(), &list());
        let mut bytes = token.clone().into_bytes();
        let i = pos.index(bytes.len());
        bytes[i] = byte;
        if let Ok(text) = String::from_utf8(bytes) {
            if let Ok(v) = verify_trust_list(&text, &root().public(), ISSUED, None) {
                prop_assert_eq!(v.list(), &list());
            }
        }
    }

    #[test]
    fn sequence_must_grow(seq in any::<u64>(), last in any::<u64>()) {
        let mut l = list();
        l.sequence = seq;
        let token = sign_trust_list(&root(), &l);
        let r = verify_trust_list(&token, &root().public(), ISSUED, Some(last));
        if seq > last {
            prop_assert!(r.is_ok());
        } else {
            prop_assert_eq!(r.unwrap_err().code(), Code::TrustlistRollback);
        }
    }
}
