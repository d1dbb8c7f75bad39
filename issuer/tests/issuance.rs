//! Single issuance through the HTTP API (`POST /api/v1/credentials`), each test on SQLite and
//! on PostgreSQL: the service signs an SD-JWT VC (or a VC-JWT bound to a holder key) with the
//! office's key and a status entry it sets itself; a bad body is refused with a problem naming
//! its field and stores nothing; the Idempotency-Key is required, a retry replays the first
//! answer byte for byte, another body under the same key is refused, and concurrent retries
//! issue once; concurrent issues get distinct status indices; idempotency records are purged
//! after the retention period and not before.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::http::StatusCode;
use serde_json::{json, Value};
use vpass_credential::sdjwt;
use vpass_credential::status;
use vpass_credential::time::{Clock, SystemClock};

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    healthz_answers_ok,
    issue_signs_a_verifiable_credential_with_a_server_set_status,
    concurrent_issues_get_distinct_indices,
    concurrent_retries_of_one_key_issue_once,
    issue_as_vc_jwt_with_a_holder_key,
    retry_with_the_same_idempotency_key_replays_byte_for_byte,
    reject_idempotency_key_reused_with_another_body,
    reject_missing_or_invalid_idempotency_key,
    reject_bad_bodies_with_problems_and_store_nothing,
    expired_idempotency_records_are_purged,
);

async fn healthz_answers_ok(h: Harness) {
    let a = send(&h.app, get("/healthz", None)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json(), json!({"status": "ok"}));
}

async fn issue_signs_a_verifiable_credential_with_a_server_set_status(h: Harness) {
    let a = issue(&h, "k1", &hours_body()).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    let index = out["status_index"].as_u64().unwrap();
    assert!(index < status::MIN_ENTRIES as u64);
    let (list, key) = trusted(&h).await;
    let office = &national(&list);
    let token = out["credential"].as_str().unwrap();
    let opts = sdjwt::VerifyOptions::at(SystemClock.now());
    let verified = sdjwt::verify(token, &key, &opts).unwrap();
    let claims = serde_json::to_value(&verified.claims).unwrap();
    assert_eq!(claims["iss"], office.id.as_str());
    assert_eq!(claims["credentialSubject"]["hours"], 48);
    assert_eq!(
        claims["credentialStatus"]["statusListIndex"],
        index.to_string()
    );
    assert_eq!(
        claims["credentialStatus"]["statusListCredential"],
        out["status_list"]
    );
    assert!(office.publishes_status_list(out["status_list"].as_str().unwrap()));
    // The stored credential reads back.
    let id = out["id"].as_str().unwrap();
    let read = send(
        &h.app,
        get(&format!("/api/v1/credentials/{id}"), Some(&h.token)),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json()["credential"], token);
    assert_eq!(read.json()["revoked"], Value::Null);
}

async fn concurrent_issues_get_distinct_indices(h: Harness) {
    let body = hours_body();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let app = h.app.clone();
            let req = post(
                "/api/v1/credentials",
                Some(&h.token),
                Some(&format!("c{i}")),
                body.to_string(),
            );
            tokio::spawn(async move { send(&app, req).await })
        })
        .collect();
    let mut indices = std::collections::HashSet::new();
    for t in tasks {
        let a = t.await.unwrap();
        assert_eq!(
            a.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&a.body)
        );
        assert!(indices.insert(a.json()["status_index"].as_u64().unwrap()));
    }
    assert_eq!(h.service.store().credential_count().await.unwrap(), 32);
}

async fn concurrent_retries_of_one_key_issue_once(h: Harness) {
    let body = hours_body();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let app = h.app.clone();
            let req = post(
                "/api/v1/credentials",
                Some(&h.token),
                Some("one"),
                body.to_string(),
            );
            tokio::spawn(async move { send(&app, req).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        let a = t.await.unwrap();
        match a.status {
            StatusCode::CREATED => answers.push(a.body),
            // A retry that raced the first attempt is told to retry; it stored nothing.
            StatusCode::CONFLICT => {
                assert_problem(&a, StatusCode::CONFLICT, "IDEMPOTENCY_KEY_IN_USE", None)
            }
            other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&a.body)),
        }
    }
    assert!(!answers.is_empty());
    assert!(answers.iter().all(|b| *b == answers[0]));
    assert_eq!(h.service.store().credential_count().await.unwrap(), 1);
}

async fn issue_as_vc_jwt_with_a_holder_key(h: Harness) {
    let holder = vpass_credential::keys::SigningKey::from_seed(&[9; 32]);
    let did = vpass_credential::keys::Signer::public(&holder).did_key();
    let mut body = hours_body();
    body["holder"] = did.clone().into();
    body["format"] = "jwt".into();
    let a = issue(&h, "k-jwt", &body).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let (_, key) = trusted(&h).await;
    let token = a.json()["credential"].as_str().unwrap().to_owned();
    let v = vpass_credential::vcjwt::verify(&token, &key, SystemClock.now(), 60).unwrap();
    let claims = serde_json::to_value(&v.claims).unwrap();
    assert_eq!(claims["credentialSubject"]["id"], did);
    assert!(claims["cnf"]["jwk"].is_object());
}

async fn retry_with_the_same_idempotency_key_replays_byte_for_byte(h: Harness) {
    let first = issue(&h, "same-key", &hours_body()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = issue(&h, "same-key", &hours_body()).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(h.service.store().credential_count().await.unwrap(), 1);
    // Another key issues another credential, at another index.
    let other = issue(&h, "other-key", &hours_body()).await;
    assert_eq!(other.status, StatusCode::CREATED);
    assert_ne!(other.json()["id"], first.json()["id"]);
    assert_ne!(other.json()["status_index"], first.json()["status_index"]);
    assert_eq!(h.service.store().credential_count().await.unwrap(), 2);
}

async fn reject_idempotency_key_reused_with_another_body(h: Harness) {
    assert_eq!(
        issue(&h, "k", &hours_body()).await.status,
        StatusCode::CREATED
    );
    let mut changed = hours_body();
    changed["credentialSubject"]["hours"] = 47.into();
    let a = issue(&h, "k", &changed).await;
    assert_problem(
        &a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "IDEMPOTENCY_KEY_REUSED",
        Some("Idempotency-Key"),
    );
    assert_eq!(h.service.store().credential_count().await.unwrap(), 1);
}

async fn reject_missing_or_invalid_idempotency_key(h: Harness) {
    let body = hours_body().to_string();
    let a = send(
        &h.app,
        post("/api/v1/credentials", Some(&h.token), None, body.clone()),
    )
    .await;
    assert_problem(
        &a,
        StatusCode::BAD_REQUEST,
        "IDEMPOTENCY_KEY_MISSING",
        Some("Idempotency-Key"),
    );
    let long = "x".repeat(256);
    let a = send(
        &h.app,
        post("/api/v1/credentials", Some(&h.token), Some(&long), body),
    )
    .await;
    assert_problem(
        &a,
        StatusCode::BAD_REQUEST,
        "IDEMPOTENCY_KEY_INVALID",
        Some("Idempotency-Key"),
    );
}

async fn reject_bad_bodies_with_problems_and_store_nothing(h: Harness) {
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = hours_body();
        f(&mut b);
        b.to_string()
    };
    let cases: Vec<(String, &str, Option<&str>)> = vec![
        ("{not json".into(), "JSON_INVALID", Some("body")),
        ("[1,2]".into(), "MALFORMED_CREDENTIAL", None),
        (
            r#"{"type": 1, "type": 2}"#.into(),
            "DUPLICATE_MEMBER",
            Some("body"),
        ),
        (
            with(&|b| b["credentialSubject"]["hour"] = 48.into()),
            "INVALID_FIELD",
            Some("credentialSubject.hour"),
        ),
        (
            with(&|b| b["credentialSubject"]["hours"] = 0.into()),
            "INVALID_FIELD",
            Some("credentialSubject.hours"),
        ),
        (
            with(&|b| b["credentialSubject"]["hours"] = "48".into()),
            "INVALID_FIELD",
            Some("credentialSubject.hours"),
        ),
        (
            with(&|b| b["credentialSubject"]["periodEnd"] = "2026-02-01".into()),
            "INVALID_FIELD",
            Some("credentialSubject.periodEnd"),
        ),
        (
            with(&|b| b["credentialSubject"]["iin"] = "950101400122".into()),
            "INVALID_FIELD",
            Some("credentialSubject.iin"),
        ),
        (
            with(&|b| b["type"] = json!(["VerifiableCredential", "NoSuchCredential"])),
            "MALFORMED_CREDENTIAL",
            Some("type"),
        ),
        (
            with(&|b| b["issuer"] = "did:web:elsewhere.example".into()),
            "INVALID_FIELD",
            Some("issuer"),
        ),
        (
            with(&|b| {
                b["credentialStatus"] = json!({"type": "BitstringStatusListEntry"});
            }),
            "INVALID_FIELD",
            Some("credentialStatus"),
        ),
        (
            with(&|b| b["holder"] = "did:key:zNope".into()),
            "INVALID_FIELD",
            Some("holder"),
        ),
        (
            with(&|b| b["format"] = "mdoc".into()),
            "INVALID_FIELD",
            Some("format"),
        ),
    ];
    for (i, (body, code, field)) in cases.into_iter().enumerate() {
        let a = send(
            &h.app,
            post(
                "/api/v1/credentials",
                Some(&h.token),
                Some(&format!("k{i}")),
                body,
            ),
        )
        .await;
        assert_problem(&a, StatusCode::BAD_REQUEST, code, field);
    }
    let huge = format!(
        "{{\"pad\": \"{}\"}}",
        "x".repeat(vpass_issuer::http::MAX_BODY)
    );
    let a = send(
        &h.app,
        post("/api/v1/credentials", Some(&h.token), Some("big"), huge),
    )
    .await;
    assert_problem(&a, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", None);
    assert_eq!(h.service.store().credential_count().await.unwrap(), 0);
    // A rejected request leaves its key unused: the same key then works for a valid body.
    assert_eq!(
        issue(&h, "k0", &hours_body()).await.status,
        StatusCode::CREATED
    );
}

async fn expired_idempotency_records_are_purged(h: Harness) {
    let first = issue(&h, "k", &hours_body()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    // Traffic in a rate-limit window.
    send(&h.app, get("/api/v1/offices", Some(&h.token))).await;
    let now = SystemClock.now().0;
    let day = 86_400;
    // Within the retention period nothing is deleted and a retry replays.
    let soon = second_instance(
        &h,
        vpass_credential::time::UnixTime(now + 6 * day),
        vpass_issuer::Limits::default(),
    )
    .await;
    let (records, windows) = soon.purge_expired().await.unwrap();
    assert_eq!(records, 0);
    assert!(windows >= 1, "the ended rate-limit window is deleted");
    let retry = issue(&h, "k", &hours_body()).await;
    assert_eq!(retry.body, first.body);
    // After it, the record is gone: the same key is a new request.
    let later = second_instance(
        &h,
        vpass_credential::time::UnixTime(now + 8 * day),
        vpass_issuer::Limits::default(),
    )
    .await;
    let (records, _) = later.purge_expired().await.unwrap();
    assert_eq!(records, 1);
    let again = issue(&h, "k", &hours_body()).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_ne!(again.json()["id"], first.json()["id"]);
    assert_eq!(h.service.store().credential_count().await.unwrap(), 2);
    // Retention 0 keeps records forever.
    let forever = vpass_issuer::Limits {
        idempotency_retention_days: 0,
        ..vpass_issuer::Limits::default()
    };
    let never = second_instance(
        &h,
        vpass_credential::time::UnixTime(now + 800 * day),
        forever,
    )
    .await;
    assert_eq!(never.purge_expired().await.unwrap().0, 0);
}
