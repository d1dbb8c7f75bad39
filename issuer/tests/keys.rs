//! The offices' signing keys: sealed at rest and kept across a restart (no new admin token,
//! no start without the right key-encryption key); and, on SQLite and on PostgreSQL, rotation
//! by an admin only, which signs with the new key at once (also when another instance or the
//! CLI rotates) while what the old key signed still verifies offline against the trust list,
//! and rotation of a compromised key, after which what it signed is refused offline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::http::StatusCode;
use serde_json::{json, Value};
use vpass_credential::time::{Clock, SystemClock};
use vpass_issuer::service::{self, Config};

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    rotation_signs_with_the_new_key_and_old_credentials_still_verify,
    compromised_key_credentials_are_refused_offline,
    only_admins_rotate_keys_and_bad_rotations_are_refused,
    rotation_by_another_instance_takes_effect_at_once,
);

#[tokio::test]
async fn second_start_keeps_keys_and_writes_no_new_token() {
    let dir = private_tempdir();
    let (first, token_file) = start_in(dir.path(), None).await;
    let token_file = token_file.unwrap();
    let meta = std::fs::metadata(&token_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let kek = std::fs::metadata(dir.path().join("kek")).unwrap();
        assert_eq!(kek.permissions().mode() & 0o777, 0o600);
    }
    let _ = meta;
    let root = first.root_did();
    drop(first);
    let (second, again) = start_in(dir.path(), None).await;
    assert!(again.is_none());
    assert_eq!(second.root_did(), root);
    // The stored private keys are sealed: the database holds no private JWK in the clear.
    // Without its KEK the data folder does not open, and no new KEK is made up.
    drop(second);
    std::fs::rename(dir.path().join("kek"), dir.path().join("kek.bak")).unwrap();
    let config = Config::default_with_data_dir(dir.path().to_path_buf());
    let err = service::open(&config).await.unwrap_err();
    assert!(err.to_string().contains("no key-encryption key"), "{err}");
    assert!(!dir.path().join("kek").exists());
    // A wrong KEK does not open the sealed keys.
    std::fs::write(dir.path().join("kek"), "11".repeat(32)).unwrap();
    let err = service::open(&config).await.unwrap_err();
    assert!(err.to_string().contains("does not decrypt"), "{err}");
    for name in ["vpass.db", "vpass.db-wal"] {
        let db = std::fs::read(dir.path().join(name)).unwrap_or_default();
        assert!(!db.windows(5).any(|w| w == b"\"d\":\""), "{name}");
    }
}

async fn national_keys(h: &Harness) -> Vec<Value> {
    let a = send(&h.app, get("/api/v1/offices", Some(&h.token))).await;
    assert_eq!(a.status, StatusCode::OK);
    let offices = a.json()["offices"].as_array().unwrap().clone();
    assert_eq!(offices.len(), 21);
    let national = offices.iter().find(|o| o["id"] == "national").unwrap();
    national["keys"].as_array().unwrap().clone()
}

async fn rotation_signs_with_the_new_key_and_old_credentials_still_verify(h: Harness) {
    let old = issue(&h, "before", &hours_body()).await.json();
    let old_token = old["credential"].as_str().unwrap().to_owned();
    let old_kid = verify_offline(&h, &old_token).await.unwrap();
    assert!(old_kid.ends_with("#key-1"));
    let sequence = trust_sequence(&h).await;

    let a = send(
        &h.app,
        rotate_request(
            &h.token,
            "national",
            "rot-1",
            json!({"reason": "yearly rotation"}),
        ),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    let new_kid = out["kid"].as_str().unwrap().to_owned();
    assert!(new_kid.ends_with("#key-2"), "{out}");
    assert_eq!(out["previous"]["kid"], old_kid.as_str());
    assert_eq!(out["previous"]["state"], "retired");
    // A retry replays the answer and makes no third key.
    let again = send(
        &h.app,
        rotate_request(
            &h.token,
            "national",
            "rot-1",
            json!({"reason": "yearly rotation"}),
        ),
    )
    .await;
    assert_eq!(again.body, a.body);
    let keys = national_keys(&h).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    let state = |kid: &str| {
        keys.iter().find(|k| k["kid"] == kid).unwrap()["state"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(state(&old_kid), "retired");
    assert_eq!(state(&new_kid), "active");

    // The trust list was re-signed with the next sequence and names both keys.
    assert!(trust_sequence(&h).await > sequence);
    let new = issue(&h, "after", &hours_body()).await;
    assert_eq!(new.status, StatusCode::CREATED);
    let new_token = new.json()["credential"].as_str().unwrap().to_owned();
    assert_eq!(verify_offline(&h, &new_token).await.unwrap(), new_kid);
    // What the old key signed before the rotation still verifies.
    assert_eq!(verify_offline(&h, &old_token).await.unwrap(), old_kid);

    // The status list is re-signed with the new key.
    let list = send(&h.app, get("/status/national/1", None)).await;
    let header = vpass_credential::jose::parse(std::str::from_utf8(&list.body).unwrap())
        .unwrap()
        .header;
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    // The DID document names both keys.
    let doc = send(&h.app, get("/offices/national/did.json", None))
        .await
        .json();
    assert_eq!(doc["verificationMethod"].as_array().unwrap().len(), 2);
    // Audited.
    let audit = send(&h.app, get("/api/v1/audit?limit=1000", Some(&h.token)))
        .await
        .json();
    let entry = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "key.rotate")
        .unwrap()
        .clone();
    assert_eq!(entry["subject"], new_kid.as_str());
    assert_eq!(entry["office"], "national");
    assert!(entry["detail"]
        .as_str()
        .unwrap()
        .contains("yearly rotation"));
}

async fn compromised_key_credentials_are_refused_offline(h: Harness) {
    let before = issue(&h, "before", &hours_body()).await.json();
    let before = before["credential"].as_str().unwrap().to_owned();
    assert!(verify_offline(&h, &before).await.is_ok());
    let since = vpass_credential::time::UnixTime(SystemClock.now().0 - 3600).to_rfc3339();
    let a = send(
        &h.app,
        rotate_request(
            &h.token,
            "national",
            "leak",
            json!({"reason": "laptop stolen", "compromised": true, "since": since}),
        ),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    assert_eq!(a.json()["previous"]["state"], "compromised");
    assert_eq!(a.json()["previous"]["at"], since.as_str());
    // The trust module refuses everything a compromised key signed, whenever it was issued
    // (its `iat` could be forged by whoever holds the key).
    assert_eq!(
        verify_offline(&h, &before).await.unwrap_err(),
        "KEY_COMPROMISED"
    );
    let after = issue(&h, "after", &hours_body()).await.json();
    let after = after["credential"].as_str().unwrap().to_owned();
    assert!(verify_offline(&h, &after)
        .await
        .unwrap()
        .ends_with("#key-2"));
    // The compromised key leaves the DID document.
    let doc = send(&h.app, get("/offices/national/did.json", None))
        .await
        .json();
    let methods = doc["verificationMethod"].as_array().unwrap();
    assert_eq!(methods.len(), 1);
    assert!(methods[0]["id"].as_str().unwrap().ends_with("#key-2"));
}

async fn only_admins_rotate_keys_and_bad_rotations_are_refused(h: Harness) {
    use vpass_issuer::service::add_operator;
    let store = h.service.store();
    let officer = add_operator(store, "test", "Officer", "officer", Some("kz-75"))
        .await
        .unwrap();
    let auditor = add_operator(store, "test", "Auditor", "auditor", None)
        .await
        .unwrap();
    let body = json!({"reason": "x"});
    for token in [&officer, &auditor] {
        let a = send(&h.app, rotate_request(token, "kz-75", "r", body.clone())).await;
        assert_problem(&a, StatusCode::FORBIDDEN, "FORBIDDEN", None);
        // Both may read the offices.
        let a = send(&h.app, get("/api/v1/offices", Some(token))).await;
        assert_eq!(a.status, StatusCode::OK);
    }
    let a = send(&h.app, rotate_request(&h.token, "kz-99", "r", body.clone())).await;
    assert_problem(&a, StatusCode::NOT_FOUND, "NOT_FOUND", None);
    let future = vpass_credential::time::UnixTime(SystemClock.now().0 + 86_400).to_rfc3339();
    for (body, field) in [
        (json!({}), "reason"),
        (json!({"reason": ""}), "reason"),
        (json!({"reason": "x", "compromised": "yes"}), "compromised"),
        (
            json!({"reason": "x", "since": "2026-01-01T00:00:00Z"}),
            "since",
        ),
        (
            json!({"reason": "x", "compromised": true, "since": "yesterday"}),
            "since",
        ),
        (
            json!({"reason": "x", "compromised": true, "since": future}),
            "since",
        ),
        (json!({"reason": "x", "extra": 1}), "extra"),
    ] {
        let a = send(&h.app, rotate_request(&h.token, "kz-75", "r", body.clone())).await;
        assert_problem(&a, StatusCode::BAD_REQUEST, "INVALID_FIELD", Some(field));
    }
    let a = send(
        &h.app,
        post(
            "/api/v1/offices/kz-75/keys/rotate",
            Some(&h.token),
            None,
            "{}",
        ),
    )
    .await;
    assert_problem(
        &a,
        StatusCode::BAD_REQUEST,
        "IDEMPOTENCY_KEY_MISSING",
        Some("Idempotency-Key"),
    );
    let a = send(&h.app, get("/api/v1/offices", None)).await;
    assert_problem(&a, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", None);
    // Nothing changed.
    let keys = store.office_keys().await.unwrap();
    assert_eq!(keys.len(), 21);
    assert!(keys.iter().all(|k| k.state == "active"));
}

async fn rotation_by_another_instance_takes_effect_at_once(h: Harness) {
    let before = issue(&h, "before", &hours_body()).await.json();
    let before = before["credential"].as_str().unwrap().to_owned();
    // Another instance (or `vpass admin rotate-key`, which goes through the same call)
    // rotates the key while this one keeps running.
    let other = second_instance(&h, SystemClock.now(), vpass_issuer::Limits::default()).await;
    let req = service::RotateRequest {
        reason: "rotation from the command line".into(),
        compromised: false,
        since: None,
    };
    let (status, body) = other
        .rotate("vpass-admin-cli", "cli", "national", &req, None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let new_kid = serde_json::from_slice::<Value>(&body).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    // This instance signs with the new key at once, for single and batch issuance.
    let after = issue(&h, "after", &hours_body()).await.json();
    let after = after["credential"].as_str().unwrap().to_owned();
    assert_eq!(verify_offline(&h, &after).await.unwrap(), new_kid);
    let batch = send(
        &h.app,
        batch_request(
            &h.token,
            "b",
            "application/json",
            json!([hours_body()]).to_string(),
        ),
    )
    .await
    .json();
    let token = batch["issued"][0]["credential"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(verify_offline(&h, &token).await.unwrap(), new_kid);
    assert!(verify_offline(&h, &before)
        .await
        .unwrap()
        .ends_with("#key-1"));
}
