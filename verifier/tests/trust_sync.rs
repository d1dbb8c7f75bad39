#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `vpass_verifier::sync`: what a trust-store update accepts, refuses and writes — root pinning,
//! rollback of the trust list and of status lists, lists signed by the wrong key, root
//! rotation — and that the folder it writes opens as a trust store that reports revocations.

use std::path::PathBuf;

use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::status::{sign_status_list, StatusList};
use vpass_credential::time::UnixTime;
use vpass_credential::trust::{sign_trust_list, KeyState, Names, Office, OfficeKey, TrustList};
use vpass_credential::Code;
use vpass_verifier::sync::{status_file_name, sync, SyncError};
use vpass_verifier::TrustStore;

const OFFICE: &str = "did:web:front-office.example:astana";
const LIST_URL: &str = "http://front-office.example/status/astana/1";
const NOW: i64 = 1_795_000_000; // 2026-11-18

struct World {
    root: SigningKey,
    office_key: SigningKey,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        World {
            root: SigningKey::from_seed(&[1; 32]),
            office_key: SigningKey::from_seed(&[2; 32]).with_kid(format!("{OFFICE}#k1")),
            dir: tmp.path().join("trust"),
            _tmp: tmp,
        }
    }

    fn trust_list(&self, sequence: u64, next_root: Option<String>) -> String {
        let list = TrustList {
            sequence,
            issued_at: UnixTime(NOW - 3_600),
            next_update: UnixTime(NOW + 86_400),
            root: self.root.public().did_key(),
            next_root,
            offices: vec![Office {
                id: OFFICE.into(),
                names: Names {
                    kk: "Астана".into(),
                    ru: "Астана".into(),
                    en: "Astana".into(),
                },
                region: Some("KZ-71".into()),
                credential_types: vec!["VolunteerHoursCredential".into()],
                keys: vec![OfficeKey {
                    kid: format!("{OFFICE}#k1"),
                    jwk: self.office_key.public().to_jwk(),
                    valid_from: UnixTime(NOW - 86_400 * 30),
                    valid_until: None,
                    state: KeyState::Active,
                }],
                status_lists: vec![LIST_URL.into()],
            }],
        };
        sign_trust_list(&self.root, &list)
    }

    fn status_list(&self, key: &SigningKey, revoked: &[u64], from: i64) -> (String, String) {
        let mut list = StatusList::new(131_072).unwrap();
        for &i in revoked {
            list.set(i, true).unwrap();
        }
        let token = sign_status_list(
            key,
            OFFICE,
            LIST_URL,
            "revocation",
            &list,
            UnixTime(from),
            UnixTime(from + 7 * 86_400),
        );
        (LIST_URL.to_owned(), token)
    }

    fn revoked_in_store(&self, index: u64) -> bool {
        let store = TrustStore::open(&self.dir, UnixTime(NOW)).unwrap();
        let Some(Ok(trust)) = store.trust_list() else {
            panic!("the synced trust list does not verify");
        };
        let token =
            std::fs::read_to_string(self.dir.join("status").join(status_file_name(LIST_URL)))
                .unwrap();
        vpass_credential::status::verify_status_list_with_trust(
            &token,
            trust,
            LIST_URL,
            "revocation",
        )
        .unwrap()
        .list
        .get(index)
        .unwrap()
    }
}

#[test]
fn first_sync_pins_the_root_and_writes_a_store_that_opens() {
    let w = World::new();
    let root = w.root.public();
    let report = sync(
        &w.dir,
        Some(&root),
        &w.trust_list(3, None),
        &[w.status_list(&w.office_key, &[42], NOW - 60)],
        UnixTime(NOW),
    )
    .unwrap();
    assert!(report.pinned);
    assert!(!report.root_rotated);
    assert_eq!(report.sequence, 3);
    assert_eq!(report.offices, 1);
    assert_eq!(report.status_lists, vec![LIST_URL.to_owned()]);
    assert!(report.refused.is_empty());
    assert_eq!(
        std::fs::read_to_string(w.dir.join("root-key"))
            .unwrap()
            .trim(),
        root.did_key()
    );
    assert!(w.revoked_in_store(42));
    assert!(!w.revoked_in_store(43));
}

#[test]
fn refuse_first_sync_without_a_root_key() {
    let w = World::new();
    let err = sync(&w.dir, None, &w.trust_list(1, None), &[], UnixTime(NOW)).unwrap_err();
    assert!(matches!(err, SyncError::NoRoot), "{err}");
    assert!(!w.dir.join("trust-list.jwt").exists());
}

#[test]
fn refuse_a_root_key_other_than_the_pinned_one() {
    let w = World::new();
    let root = w.root.public();
    sync(
        &w.dir,
        Some(&root),
        &w.trust_list(1, None),
        &[],
        UnixTime(NOW),
    )
    .unwrap();
    let other = SigningKey::from_seed(&[9; 32]).public();
    let err = sync(
        &w.dir,
        Some(&other),
        &w.trust_list(2, None),
        &[],
        UnixTime(NOW),
    )
    .unwrap_err();
    assert!(matches!(err, SyncError::RootMismatch { .. }), "{err}");
    // Later syncs need no --root-key: the pinned one is used.
    let report = sync(&w.dir, None, &w.trust_list(2, None), &[], UnixTime(NOW)).unwrap();
    assert_eq!(report.sequence, 2);
    assert!(!report.pinned);
}

#[test]
fn refuse_a_trust_list_signed_by_another_root_and_keep_the_old_one() {
    let w = World::new();
    let root = w.root.public();
    sync(
        &w.dir,
        Some(&root),
        &w.trust_list(1, None),
        &[],
        UnixTime(NOW),
    )
    .unwrap();
    let before = std::fs::read_to_string(w.dir.join("trust-list.jwt")).unwrap();
    let forger = World {
        root: SigningKey::from_seed(&[7; 32]),
        ..World::new()
    };
    let err = sync(
        &w.dir,
        None,
        &forger.trust_list(9, None),
        &[],
        UnixTime(NOW),
    )
    .unwrap_err();
    assert!(matches!(err, SyncError::TrustList(_)), "{err}");
    assert_eq!(
        std::fs::read_to_string(w.dir.join("trust-list.jwt")).unwrap(),
        before
    );
}

#[test]
fn refuse_trust_list_rollback() {
    let w = World::new();
    let root = w.root.public();
    sync(
        &w.dir,
        Some(&root),
        &w.trust_list(5, None),
        &[],
        UnixTime(NOW),
    )
    .unwrap();
    let err = sync(&w.dir, None, &w.trust_list(4, None), &[], UnixTime(NOW)).unwrap_err();
    match err {
        SyncError::TrustList(e) => assert_eq!(e.code(), Code::TrustlistRollback),
        other => panic!("{other}"),
    }
    // The same sequence again is the same publication: accepted.
    sync(&w.dir, None, &w.trust_list(5, None), &[], UnixTime(NOW)).unwrap();
}

#[test]
fn refuse_status_list_rollback_and_wrong_signer_but_keep_the_rest() {
    let w = World::new();
    let root = w.root.public();
    sync(
        &w.dir,
        Some(&root),
        &w.trust_list(1, None),
        &[w.status_list(&w.office_key, &[7], NOW - 60)],
        UnixTime(NOW),
    )
    .unwrap();
    assert!(w.revoked_in_store(7));
    // An older list (index 7 not revoked in it) is refused; the newer copy stays.
    let report = sync(
        &w.dir,
        None,
        &w.trust_list(2, None),
        &[w.status_list(&w.office_key, &[], NOW - 3_600)],
        UnixTime(NOW),
    )
    .unwrap();
    assert_eq!(report.sequence, 2);
    assert!(report.status_lists.is_empty());
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].1.code(), Code::StatusRollback);
    assert!(w.revoked_in_store(7));
    // A list signed by a key the trust list does not name is refused too.
    let stranger = SigningKey::from_seed(&[8; 32]).with_kid(format!("{OFFICE}#k1"));
    let report = sync(
        &w.dir,
        None,
        &w.trust_list(2, None),
        &[w.status_list(&stranger, &[], NOW)],
        UnixTime(NOW),
    )
    .unwrap();
    assert_eq!(report.refused.len(), 1);
    assert!(w.revoked_in_store(7));
    // A newer genuine list replaces it.
    sync(
        &w.dir,
        None,
        &w.trust_list(2, None),
        &[w.status_list(&w.office_key, &[7, 8], NOW)],
        UnixTime(NOW),
    )
    .unwrap();
    assert!(w.revoked_in_store(8));
}

#[test]
fn root_rotation_announced_by_the_pinned_root_moves_the_pin() {
    let w = World::new();
    let root = w.root.public();
    let next = SigningKey::from_seed(&[5; 32]);
    let report = sync(
        &w.dir,
        Some(&root),
        &w.trust_list(1, Some(next.public().did_key())),
        &[],
        UnixTime(NOW),
    )
    .unwrap();
    assert!(report.root_rotated);
    // The first pinned root stays pinned; the rotation list keeps the chain to the next one,
    // and the store still opens (issue 8 #8: it used to say TRUSTLIST_INVALID here).
    assert_eq!(
        std::fs::read_to_string(w.dir.join("root-key"))
            .unwrap()
            .trim(),
        root.did_key()
    );
    let store = TrustStore::open(&w.dir, UnixTime(NOW)).unwrap();
    assert!(matches!(store.trust_list(), Some(Ok(_))));
    // The next list must come from the new root; the old root's lists are refused.
    let err = sync(&w.dir, None, &w.trust_list(2, None), &[], UnixTime(NOW)).unwrap_err();
    assert!(matches!(err, SyncError::TrustList(_)), "{err}");
    let rotated = World {
        root: next,
        ..World::new()
    };
    sync(
        &w.dir,
        None,
        &rotated.trust_list(2, None),
        &[],
        UnixTime(NOW),
    )
    .unwrap();
}

#[test]
fn status_file_names_are_stable_and_flat() {
    assert_eq!(
        status_file_name("http://localhost:8080/status/kz-75/1"),
        "localhost_8080_status_kz-75_1.jwt"
    );
    assert_eq!(
        status_file_name("https://a.example/../x"),
        "a.example_.._x.jwt"
    );
}

#[test]
fn r5_status_list_of_equal_time_and_other_content_is_a_rollback() {
    let w = World::new();
    let root = w.root.public();
    // Two publications within one second: the first without, the second with index 7 revoked.
    let (_, older) = w.status_list(&w.office_key, &[], NOW - 60);
    let (_, newer) = w.status_list(&w.office_key, &[7], NOW - 60);
    sync(
        &w.dir,
        Some(&root),
        &w.trust_list(1, None),
        &[(LIST_URL.into(), newer.clone())],
        UnixTime(NOW),
    )
    .unwrap();
    assert!(w.revoked_in_store(7));
    // Sync refuses the older one and keeps the revocation.
    let report = sync(
        &w.dir,
        None,
        &w.trust_list(1, None),
        &[(LIST_URL.into(), older.clone())],
        UnixTime(NOW),
    )
    .unwrap();
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].1.code(), Code::StatusRollback);
    assert!(w.revoked_in_store(7));
    // The same publication fetched again is fine.
    let report = sync(
        &w.dir,
        None,
        &w.trust_list(1, None),
        &[(LIST_URL.into(), newer)],
        UnixTime(NOW),
    )
    .unwrap();
    assert!(report.refused.is_empty());
    // The store refuses the older one swapped in behind sync's back.
    std::fs::write(
        w.dir.join("status").join(status_file_name(LIST_URL)),
        &older,
    )
    .unwrap();
    let store = TrustStore::open(&w.dir, UnixTime(NOW)).unwrap();
    let err = store_status_error(&store);
    assert_eq!(err, Some(Code::StatusRollback));
}

/// The code a verification through `store` of a credential of the world's office with a
/// status entry in [`LIST_URL`] gets, if the status check fails.
fn store_status_error(store: &TrustStore) -> Option<Code> {
    let office_key = SigningKey::from_seed(&[2; 32]).with_kid(format!("{OFFICE}#k1"));
    let claims = serde_json::json!({
        "iss": OFFICE, "iat": NOW - 600, "nbf": NOW - 600, "exp": NOW + 86_400,
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "VolunteerHoursCredential"],
        "credentialSubject": {"name": "Айгерим Нурланова", "hours": 4,
            "activity": "Сенбілік", "organization": "Astana Volunteer Center",
            "periodStart": "2026-10-01", "periodEnd": "2026-10-02"},
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": "7", "statusListCredential": LIST_URL},
    });
    let token = vpass_credential::vcjwt::issue(&office_key, &claims).unwrap();
    let v = vpass_verifier::verify(&token, store, &vpass_verifier::Policy::at(UnixTime(NOW)));
    v.errors.first().and_then(|f| f.code_value)
}

#[test]
fn r5_trust_list_of_same_sequence_and_other_content_is_refused() {
    let w = World::new();
    let root = w.root.public();
    sync(
        &w.dir,
        Some(&root),
        &w.trust_list(5, None),
        &[],
        UnixTime(NOW),
    )
    .unwrap();
    // Sequence 5 again, but another document (one more office key).
    let other = World {
        office_key: SigningKey::from_seed(&[9; 32]).with_kid(format!("{OFFICE}#k1")),
        ..World::new()
    };
    let forged = other.trust_list(5, None);
    let err = sync(&w.dir, None, &forged, &[], UnixTime(NOW)).unwrap_err();
    match err {
        SyncError::TrustList(e) => assert_eq!(e.code(), Code::TrustlistRollback),
        other => panic!("{other}"),
    }
    // Swapped in behind sync's back, the store refuses it as well.
    std::fs::write(w.dir.join("trust-list.jwt"), &forged).unwrap();
    let store = TrustStore::open(&w.dir, UnixTime(NOW)).unwrap();
    match store.trust_list() {
        Some(Err(e)) => assert_eq!(e.code(), Code::TrustlistRollback),
        other => panic!("{other:?}"),
    }
}

#[test]
fn r5_retired_key_cannot_date_a_status_list_before_its_retirement() {
    let w = World::new();
    let root = w.root.public();
    let retired_at = NOW - 1_000;
    let mut list: TrustList = {
        let token = w.trust_list(1, None);
        let jws = vpass_credential::jose::parse(&token).unwrap();
        serde_json::from_slice(&jws.unverified_payload).unwrap()
    };
    list.offices[0].keys[0].state = KeyState::Retired {
        at: UnixTime(retired_at),
    };
    let trust = sign_trust_list(&w.root, &list);
    // Signed after retirement, claiming `iat` before it but valid from now (un-revoking 7).
    let mut bits = StatusList::new(131_072).unwrap();
    bits.set(3, true).unwrap();
    let payload = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": OFFICE,
        "validFrom": UnixTime(NOW - 10).to_rfc3339(),
        "validUntil": UnixTime(NOW + 86_400).to_rfc3339(),
        "credentialSubject": {"id": format!("{LIST_URL}#list"), "type": "BitstringStatusList",
            "statusPurpose": "revocation", "encodedList": bits.encode()},
        "iss": OFFICE, "iat": retired_at - 500, "nbf": NOW - 10, "exp": NOW + 86_400,
    });
    let token = vpass_credential::jose::sign_json(&w.office_key, Some("vc+jwt"), &payload);
    let report = sync(
        &w.dir,
        Some(&root),
        &trust,
        &[(LIST_URL.into(), token)],
        UnixTime(NOW),
    )
    .unwrap();
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert_eq!(report.refused[0].1.code(), Code::StatusVerificationError);
}

#[test]
fn r5_root_rotation_keeps_every_trust_store_usable() {
    use vpass_verifier::sync::sync_with_chain;
    let old = World::new();
    let r0 = old.root.public();
    let next = SigningKey::from_seed(&[5; 32]);
    let r1 = next.public();
    let new = World {
        root: next,
        ..World::new()
    };
    let l1 = old.trust_list(1, None);
    let l2 = old.trust_list(2, Some(r1.did_key())); // the rotation list, signed by r0
    let l3 = new.trust_list(3, None); // signed by r1
    let chain = vec![l2.clone()];
    let status = || vec![old.status_list(&old.office_key, &[8], NOW - 60)];
    // A credential of the office (index 7, not revoked) verifies VALID through the store.
    let valid = |dir: &std::path::Path| {
        let store = TrustStore::open(dir, UnixTime(NOW)).unwrap();
        assert!(
            matches!(store.trust_list(), Some(Ok(_))),
            "{:?}",
            store.trust_list()
        );
        assert_eq!(store_status_error(&store), None);
    };
    let fresh = || tempfile::tempdir().unwrap();

    // Syncs before, during and after the rotation.
    let a = fresh();
    for list in [&l1, &l2, &l3] {
        sync_with_chain(a.path(), Some(&r0), list, &[], &status(), UnixTime(NOW)).unwrap();
        valid(a.path());
    }
    // Missed the rotation list: catches up through the chain.
    let b = fresh();
    sync(b.path(), Some(&r0), &l1, &status(), UnixTime(NOW)).unwrap();
    let err = sync(b.path(), None, &l3, &status(), UnixTime(NOW)).unwrap_err();
    assert!(matches!(err, SyncError::TrustList(_)), "{err}");
    valid(b.path());
    let report = sync_with_chain(b.path(), None, &l3, &chain, &status(), UnixTime(NOW)).unwrap();
    assert!(report.root_rotated);
    valid(b.path());
    // Syncs only after, pinning the old root or the new one.
    for pin in [&r0, &r1] {
        let c = fresh();
        sync_with_chain(c.path(), Some(pin), &l3, &chain, &status(), UnixTime(NOW)).unwrap();
        valid(c.path());
        // And keeps following: a later list from r1.
        sync(
            c.path(),
            None,
            &new.trust_list(4, None),
            &status(),
            UnixTime(NOW),
        )
        .unwrap();
        valid(c.path());
        assert_eq!(
            std::fs::read_to_string(c.path().join("root-key"))
                .unwrap()
                .trim(),
            pin.did_key()
        );
    }
    // After the rotation, a list signed by the old root is refused, even offered as a chain.
    let err = sync_with_chain(
        a.path(),
        None,
        &old.trust_list(5, None),
        &chain,
        &[],
        UnixTime(NOW),
    )
    .unwrap_err();
    assert!(matches!(err, SyncError::TrustList(_)), "{err}");
    valid(a.path());
}
