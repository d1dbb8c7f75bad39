//! Revocation, status lists and the public documents, each test on SQLite and on PostgreSQL:
//! revoking sets the credential's bit in a newly signed status list (a retry replays, a second
//! revocation and bad requests are refused); a full status list rolls over to the next one,
//! which the re-signed trust list publishes, for single, batch and linked issuance, and
//! concurrent issues from two instances at the threshold open one new list; the trust list,
//! status lists and DID documents carry ETags and answer 304.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use vpass_credential::status;
use vpass_credential::time::{Clock, SystemClock};

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    revoke_sets_the_bit_in_a_newly_signed_status_list,
    reject_bad_revocations,
    publications_have_etags_and_answer_304,
    did_document_names_the_office_key,
    full_status_list_rolls_over_to_the_next_list,
    concurrent_issues_at_the_fill_threshold_open_one_list,
    linked_issuance_rolls_over_and_signs_with_the_active_key,
);

async fn revoke_sets_the_bit_in_a_newly_signed_status_list(h: Harness) {
    let out = issue(&h, "k", &hours_body()).await.json();
    let id = out["id"].as_str().unwrap();
    let index = out["status_index"].as_u64().unwrap();
    let url = out["status_list"].as_str().unwrap();
    let path = url.split_once("://").unwrap().1;
    let path = &path[path.find('/').unwrap()..];
    let (list, key) = trusted(&h).await;
    let did = national(&list).id.clone();
    let fetch = |app: Router| async move {
        let a = send(&app, get(path, None)).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.headers[header::CONTENT_TYPE], "application/vc+jwt");
        String::from_utf8(a.body).unwrap()
    };
    let before = fetch(h.app.clone()).await;
    let v = status::verify_status_list(&before, &key, &did, url, "revocation").unwrap();
    assert!(!v.list.get(index).unwrap());

    let revoke = |key: &'static str, body: &'static str| {
        post(
            &format!("/api/v1/credentials/{id}/revoke"),
            Some(&h.token),
            Some(key),
            body,
        )
    };
    let a = send(&h.app, revoke("r1", r#"{"reason": "issued in error"}"#)).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    assert_eq!(a.json()["revoked"]["reason"], "issued in error");
    let replay = send(&h.app, revoke("r1", r#"{"reason": "issued in error"}"#)).await;
    assert_eq!(replay.status, StatusCode::OK);
    assert_eq!(replay.body, a.body);
    let again = send(&h.app, revoke("r2", r#"{"reason": "twice"}"#)).await;
    assert_problem(&again, StatusCode::CONFLICT, "ALREADY_REVOKED", None);

    let after = fetch(h.app.clone()).await;
    assert_ne!(after, before);
    let v = status::verify_status_list(&after, &key, &did, url, "revocation").unwrap();
    assert!(v.list.get(index).unwrap());
}

async fn reject_bad_revocations(h: Harness) {
    let out = issue(&h, "k", &hours_body()).await.json();
    let uri = format!("/api/v1/credentials/{}/revoke", out["id"].as_str().unwrap());
    let cases = [
        (
            "{}",
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            Some("reason"),
        ),
        (
            r#"{"reason": ""}"#,
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            Some("reason"),
        ),
        (
            r#"{"reason": 5}"#,
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            Some("reason"),
        ),
        (
            r#"{"reason": "x", "why": "y"}"#,
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            Some("why"),
        ),
        (
            "nope",
            StatusCode::BAD_REQUEST,
            "JSON_INVALID",
            Some("body"),
        ),
    ];
    for (i, (body, status, code, field)) in cases.into_iter().enumerate() {
        let a = send(
            &h.app,
            post(&uri, Some(&h.token), Some(&format!("r{i}")), body),
        )
        .await;
        assert_problem(&a, status, code, field);
    }
    let a = send(
        &h.app,
        post(
            "/api/v1/credentials/no-such-id/revoke",
            Some(&h.token),
            Some("r9"),
            r#"{"reason": "x"}"#,
        ),
    )
    .await;
    assert_problem(&a, StatusCode::NOT_FOUND, "NOT_FOUND", None);
    let read = send(
        &h.app,
        get(
            &format!("/api/v1/credentials/{}", out["id"].as_str().unwrap()),
            Some(&h.token),
        ),
    )
    .await;
    assert_eq!(read.json()["revoked"], Value::Null);
}

async fn publications_have_etags_and_answer_304(h: Harness) {
    for path in ["/trust-list", "/status/national/1", "/.well-known/did.json"] {
        let a = send(&h.app, get(path, None)).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.headers[header::CACHE_CONTROL], "public, max-age=300");
        let etag = a.headers[header::ETAG].to_str().unwrap().to_owned();
        let req = Request::get(path)
            .header(header::IF_NONE_MATCH, &etag)
            .body(Body::empty())
            .unwrap();
        let b = send(&h.app, req).await;
        assert_eq!(b.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(b.body.is_empty());
    }
    for path in [
        "/status/national/2",
        "/status/nowhere/1",
        "/status/national/x",
        "/nope",
    ] {
        let a = send(&h.app, get(path, None)).await;
        assert_problem(&a, StatusCode::NOT_FOUND, "NOT_FOUND", None);
    }
}

async fn did_document_names_the_office_key(h: Harness) {
    let (list, _) = trusted(&h).await;
    let office = &national(&list);
    let doc = send(&h.app, get("/.well-known/did.json", None))
        .await
        .json();
    assert_eq!(doc["id"], office.id.as_str());
    assert_eq!(
        doc["verificationMethod"][0]["id"],
        office.keys[0].kid.as_str()
    );
    assert_eq!(
        doc["verificationMethod"][0]["publicKeyJwk"],
        office.keys[0].jwk
    );
    assert_eq!(doc["assertionMethod"][0], office.keys[0].kid.as_str());
    let same = send(&h.app, get("/offices/national/did.json", None))
        .await
        .json();
    assert_eq!(same, doc);
    assert_eq!(office.id, "did:web:localhost%3A8080");
}

/// The national office's status lists as `GET /api/v1/offices` shows them.
async fn national_lists(h: &Harness) -> Vec<Value> {
    let a = send(&h.app, get("/api/v1/offices", Some(&h.token))).await;
    let offices = a.json()["offices"].as_array().unwrap().clone();
    let national = offices.iter().find(|o| o["id"] == "national").unwrap();
    national["status_lists"].as_array().unwrap().clone()
}

/// Test hook: pretend list `n` of the national office has `used` indices taken (filling a
/// real list would take 117,965 issuances).
async fn set_used(h: &Harness, n: i64, used: i64) {
    h.raw_sql(&format!(
        "UPDATE status_lists SET used = {used} WHERE office_id = 'national' AND list_no = {n}"
    ))
    .await;
}

async fn full_status_list_rolls_over_to_the_next_list(h: Harness) {
    let capacity = vpass_issuer::store::list_capacity(status::MIN_ENTRIES as i64);
    let first = issue(&h, "k0", &hours_body()).await.json();
    assert!(first["status_list"]
        .as_str()
        .unwrap()
        .ends_with("/status/national/1"));
    assert_eq!(national_lists(&h).await[0]["used"], 1);
    let sequence = trust_sequence(&h).await;
    set_used(&h, 1, capacity).await;
    let a = issue(&h, "k1", &hours_body()).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    let url = out["status_list"].as_str().unwrap().to_owned();
    assert!(url.ends_with("/status/national/2"), "{url}");
    let lists = national_lists(&h).await;
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[1]["used"], 1);
    assert_eq!(lists[1]["size"], status::MIN_ENTRIES);
    // The credential names list 2; the list is published and in the re-signed trust list.
    let token = out["credential"].as_str().unwrap();
    assert!(verify_offline(&h, token).await.is_ok());
    let (list, key) = trusted(&h).await;
    assert!(list.sequence() > sequence);
    let office = national(&list);
    assert!(office.publishes_status_list(&url));
    assert!(office.publishes_status_list(first["status_list"].as_str().unwrap()));
    let sl = send(&h.app, get("/status/national/2", None)).await;
    assert_eq!(sl.status, StatusCode::OK);
    let sl = status::verify_status_list(
        std::str::from_utf8(&sl.body).unwrap(),
        &key,
        &office.id,
        &url,
        "revocation",
    )
    .unwrap();
    assert!(!sl.list.get(out["status_index"].as_u64().unwrap()).unwrap());
    // Revoking it sets the bit in list 2.
    let id = out["id"].as_str().unwrap();
    let r = send(
        &h.app,
        post(
            &format!("/api/v1/credentials/{id}/revoke"),
            Some(&h.token),
            Some("r"),
            r#"{"reason": "test"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let sl = send(&h.app, get("/status/national/2", None)).await;
    let sl = status::verify_status_list(
        std::str::from_utf8(&sl.body).unwrap(),
        &key,
        &office.id,
        &url,
        "revocation",
    )
    .unwrap();
    assert!(sl.list.get(out["status_index"].as_u64().unwrap()).unwrap());

    // A batch that reaches the threshold carries on in the next list.
    set_used(&h, 2, capacity - 1).await;
    let rows = json!([hours_body(), hours_body(), hours_body()]).to_string();
    let b = send(
        &h.app,
        batch_request(&h.token, "b", "application/json", rows),
    )
    .await;
    assert_eq!(b.status, StatusCode::OK);
    let b = b.json();
    let lists: Vec<&str> = b["issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status_list"].as_str().unwrap())
        .collect();
    assert!(lists[0].ends_with("/status/national/2"), "{lists:?}");
    assert!(lists[1].ends_with("/status/national/3"), "{lists:?}");
    assert!(lists[2].ends_with("/status/national/3"), "{lists:?}");
    assert_eq!(b["status_list"], lists[0]);
    let counts: Vec<i64> = national_lists(&h)
        .await
        .iter()
        .map(|l| l["used"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, vec![capacity, capacity, 2]);
    for row in b["issued"].as_array().unwrap() {
        assert!(verify_offline(&h, row["credential"].as_str().unwrap())
            .await
            .is_ok());
    }
    // Other offices are untouched.
    assert!(send(&h.app, get("/status/kz-75/2", None)).await.status == StatusCode::NOT_FOUND);
}

async fn concurrent_issues_at_the_fill_threshold_open_one_list(h: Harness) {
    let capacity = vpass_issuer::store::list_capacity(status::MIN_ENTRIES as i64);
    set_used(&h, 1, capacity).await;
    let other = second_instance(&h, SystemClock.now(), vpass_issuer::Limits::default()).await;
    let apps = [h.app.clone(), vpass_issuer::app(other)];
    let mut tasks = Vec::new();
    for i in 0..8 {
        let app = apps[i % 2].clone();
        let req = post(
            "/api/v1/credentials",
            Some(&h.token),
            Some(&format!("c{i}")),
            hours_body().to_string(),
        );
        tasks.push(tokio::spawn(async move { send(&app, req).await }));
    }
    for t in tasks {
        let a = t.await.unwrap();
        assert_eq!(
            a.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&a.body)
        );
        assert!(a.json()["status_list"]
            .as_str()
            .unwrap()
            .ends_with("/status/national/2"));
    }
    let lists = national_lists(&h).await;
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[1]["used"], 8);
}

/// The status lists (`used` counts) of the national office.
async fn national_used(h: &Harness) -> Vec<i64> {
    national_lists(h)
        .await
        .iter()
        .map(|l| l["used"].as_i64().unwrap())
        .collect()
}

/// Linked issuance does what the plain one did: a batch of linked rows (one refused by a
/// check) carries on in the next status list at 90 %, each row naming its list and counted in
/// it; after a rotation a linked single issue and a passport are signed with the key now
/// active and placed in the current list.
async fn linked_issuance_rolls_over_and_signs_with_the_active_key(h: Harness) {
    let capacity = vpass_issuer::store::list_capacity(status::MIN_ENTRIES as i64);
    let id = registered(&h, &iin(0)).await;
    set_used(&h, 1, capacity - 1).await;
    let rows = json!([
        hours_for(&id, "Clean-up", 8.0, "2026-03-01", "2026-03-01"),
        hours_for(&id, "Clean-up", 8.0, "2026-03-01", "2026-03-01"),
        hours_for(&id, "Night shift", 4.0, "2026-03-02", "2026-03-02"),
    ])
    .to_string();
    let b = send(
        &h.app,
        batch_request(&h.token, "lb", "application/json", rows),
    )
    .await;
    assert_eq!(b.status, StatusCode::OK);
    let b = b.json();
    let issued = b["issued"].as_array().unwrap();
    let numbers: Vec<u64> = issued.iter().map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(numbers, vec![1, 3], "{b}");
    let list_of = |r: &Value| r["status_list"].as_str().unwrap().to_owned();
    assert!(list_of(&issued[0]).ends_with("/status/national/1"), "{b}");
    assert!(list_of(&issued[1]).ends_with("/status/national/2"), "{b}");
    assert_eq!(b["status_list"], issued[0]["status_list"]);
    for row in issued {
        assert_eq!(row["volunteer"], json!({"id": id, "registered": false}));
        assert!(verify_offline(&h, row["credential"].as_str().unwrap())
            .await
            .unwrap()
            .ends_with("#key-1"));
    }
    let errors = b["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{b}");
    assert_eq!(errors[0]["row"], 2);
    assert_eq!(errors[0]["code"], "DUPLICATE_EVENT");
    assert_eq!(errors[0]["credential"], issued[0]["id"]);
    assert_eq!(national_used(&h).await, vec![capacity, 1]);

    let r = send(
        &h.app,
        rotate_request(&h.token, "national", "lrot", json!({"reason": "test"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let new_kid = r.json()["kid"].as_str().unwrap().to_owned();
    assert!(new_kid.ends_with("#key-2"));
    let a = issue(
        &h,
        "l1",
        &hours_for(&id, "Library", 2.0, "2026-03-03", "2026-03-03"),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let a = a.json();
    assert!(list_of(&a).ends_with("/status/national/2"), "{a}");
    assert_eq!(
        verify_offline(&h, a["credential"].as_str().unwrap()).await,
        Ok(new_kid.clone())
    );
    let p = passport(&h, &h.token, "lp", &id, "").await;
    assert_eq!(
        p.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&p.body)
    );
    let p = p.json();
    assert!(list_of(&p).ends_with("/status/national/2"), "{p}");
    assert_eq!(p["volunteer"], json!({"id": id, "registered": false}));
    assert_eq!(
        verify_offline(&h, p["credential"].as_str().unwrap()).await,
        Ok(new_kid)
    );
    assert_eq!(national_used(&h).await, vec![capacity, 3]);
}
