//! The HTTP API through `app(state)` with `tower::ServiceExt::oneshot`, on a SQLite database
//! in a temporary data folder (the real first-start path of `vpass serve`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use vpass_credential::keys::PublicKey;
use vpass_credential::sdjwt;
use vpass_credential::status;
use vpass_credential::time::{Clock, SystemClock};
use vpass_credential::trust::verify_trust_list;
use vpass_issuer::service::{self, Config};

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    healthz_answers_ok,
    batch_of_json_issues_valid_rows_and_reports_invalid_ones,
    batch_of_csv_issues_valid_rows_and_reports_invalid_ones,
    reject_oversized_or_malformed_batches,
    audit_log_records_every_change_in_an_intact_chain,
    reject_tampered_audit_log,
    reject_revoked_token,
    officers_are_scoped_to_their_office_and_auditors_only_read,
    reject_operators_with_unknown_role_or_office,
    concurrent_issues_get_distinct_indices,
    concurrent_retries_of_one_key_issue_once,
    issue_signs_a_verifiable_credential_with_a_server_set_status,
    issue_as_vc_jwt_with_a_holder_key,
    retry_with_the_same_idempotency_key_replays_byte_for_byte,
    reject_idempotency_key_reused_with_another_body,
    reject_missing_or_invalid_idempotency_key,
    reject_missing_wrong_or_malformed_token,
    reject_bad_bodies_with_problems_and_store_nothing,
    revoke_sets_the_bit_in_a_newly_signed_status_list,
    reject_bad_revocations,
    publications_have_etags_and_answer_304,
    did_document_names_the_office_key,
    register_read_and_find_volunteers,
    reject_second_registration_of_an_iin_naming_the_volunteer,
    reject_bad_volunteer_registrations,
    issue_for_a_named_volunteer_fills_the_subject_from_the_register,
    issue_with_an_iin_links_or_registers_the_volunteer,
    reject_hours_over_the_cap,
    reject_daily_hours_over_the_cap_naming_the_day,
    reject_duplicate_event_unless_confirmed_and_revoked_ones_do_not_count,
    batch_refuses_implausible_rows_and_issues_the_others,
    batch_links_rows_whose_iin_is_registered_and_checks_them,
    csv_batch_links_volunteers_and_confirms_duplicates,
    list_credentials_filters_paginates_and_scopes,
    reject_bad_credential_list_parameters,
    passport_summarises_the_records_and_verifies_offline,
    passport_of_an_officer_counts_its_office_only,
    raw_database_holds_no_iin_in_plaintext_or_base64,
    concurrent_requests_racing_the_daily_cap_issue_exactly_one,
    linked_issuance_rolls_over_and_signs_with_the_active_key,
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

async fn officers_are_scoped_to_their_office_and_auditors_only_read(h: Harness) {
    use vpass_issuer::service::add_operator;
    let store = h.service.store();
    let almaty = add_operator(store, "test", "Almaty officer", "officer", Some("kz-75"))
        .await
        .unwrap();
    let astana = add_operator(store, "test", "Astana officer", "officer", Some("kz-71"))
        .await
        .unwrap();
    let auditor = add_operator(store, "test", "Auditor", "auditor", None)
        .await
        .unwrap();
    let body = hours_body().to_string();

    let a = send(
        &h.app,
        post(
            "/api/v1/credentials",
            Some(&almaty),
            Some("k"),
            body.clone(),
        ),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    assert!(out["status_list"]
        .as_str()
        .unwrap()
        .ends_with("/status/kz-75/1"));
    // Signed with the Almaty office's key, as the trust list says.
    let (list, _) = trusted(&h).await;
    let office = list
        .offices()
        .iter()
        .find(|o| o.region.as_deref() == Some("KZ-75"))
        .unwrap();
    assert!(office.id.ends_with(":offices:kz-75"));
    assert_eq!(list.offices().len(), 21);
    let key = PublicKey::from_jwk(&office.keys[0].jwk).unwrap();
    let token = out["credential"].as_str().unwrap();
    let v = sdjwt::verify(token, &key, &sdjwt::VerifyOptions::at(SystemClock.now())).unwrap();
    assert_eq!(v.claims["iss"], office.id.as_str());

    let id = out["id"].as_str().unwrap();
    let read_uri = format!("/api/v1/credentials/{id}");
    let revoke_uri = format!("/api/v1/credentials/{id}/revoke");
    let reason = r#"{"reason": "x"}"#;
    // Another office's officer sees nothing.
    let a = send(&h.app, get(&read_uri, Some(&astana))).await;
    assert_problem(&a, StatusCode::NOT_FOUND, "NOT_FOUND", None);
    let a = send(&h.app, post(&revoke_uri, Some(&astana), Some("r"), reason)).await;
    assert_problem(&a, StatusCode::NOT_FOUND, "NOT_FOUND", None);
    // The auditor reads but never writes.
    assert_eq!(
        send(&h.app, get(&read_uri, Some(&auditor))).await.status,
        StatusCode::OK
    );
    let a = send(&h.app, post(&revoke_uri, Some(&auditor), Some("r"), reason)).await;
    assert_problem(&a, StatusCode::FORBIDDEN, "FORBIDDEN", None);
    let a = send(
        &h.app,
        post("/api/v1/credentials", Some(&auditor), Some("k"), body),
    )
    .await;
    assert_problem(&a, StatusCode::FORBIDDEN, "FORBIDDEN", None);
    assert_eq!(store.credential_count().await.unwrap(), 1);
    // The officer of the issuing office revokes; the Almaty list shows it.
    let a = send(&h.app, post(&revoke_uri, Some(&almaty), Some("r"), reason)).await;
    assert_eq!(a.status, StatusCode::OK);
    let list_token = send(&h.app, get("/status/kz-75/1", None)).await.body;
    let url = out["status_list"].as_str().unwrap();
    let sl = status::verify_status_list(
        std::str::from_utf8(&list_token).unwrap(),
        &key,
        &office.id,
        url,
        "revocation",
    )
    .unwrap();
    assert!(sl.list.get(out["status_index"].as_u64().unwrap()).unwrap());
    // The Astana list does not.
    let other = send(&h.app, get("/status/kz-71/1", None)).await;
    assert_eq!(other.status, StatusCode::OK);
}

async fn audit_log_records_every_change_in_an_intact_chain(h: Harness) {
    use vpass_issuer::service::add_operator;
    let out = issue(&h, "audit-1", &hours_body()).await.json();
    // A replay records nothing new.
    issue(&h, "audit-1", &hours_body()).await;
    let id = out["id"].as_str().unwrap();
    let revoke = post(
        &format!("/api/v1/credentials/{id}/revoke"),
        Some(&h.token),
        Some("audit-2"),
        r#"{"reason": "duplicate"}"#,
    );
    assert_eq!(send(&h.app, revoke).await.status, StatusCode::OK);
    let store = h.service.store();
    let auditor = add_operator(store, "test", "Auditor", "auditor", None)
        .await
        .unwrap();
    let officer = add_operator(store, "test", "Officer", "officer", Some("kz-75"))
        .await
        .unwrap();

    let a = send(&h.app, get("/api/v1/audit", Some(&auditor))).await;
    assert_eq!(a.status, StatusCode::OK);
    let log = a.json();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "service.bootstrap",
            "credential.issue",
            "credential.revoke",
            "operator.add",
            "operator.add"
        ]
    );
    assert_eq!(log["head"], 5);
    let issued = &log["entries"][1];
    assert_eq!(issued["subject"], id);
    assert_eq!(issued["request"], "audit-1");
    assert_eq!(issued["office"], "national");
    assert_eq!(log["entries"][2]["detail"], "duplicate");
    assert_eq!(log["entries"][2]["prev_hash"], issued["hash"]);
    // No credential contents (the IIN, the name) in the log.
    assert!(!a.body.windows(12).any(|w| w == b"950101400121"));
    assert!(!String::from_utf8_lossy(&a.body).contains("Айгерим"));
    assert_eq!(vpass_issuer::audit::verify_chain(store).await.unwrap(), 5);

    let page = send(&h.app, get("/api/v1/audit?after=3&limit=1", Some(&h.token))).await;
    assert_eq!(page.json()["entries"][0]["seq"], 4);
    assert_eq!(page.json()["entries"].as_array().unwrap().len(), 1);
    let a = send(&h.app, get("/api/v1/audit", Some(&officer))).await;
    assert_problem(&a, StatusCode::FORBIDDEN, "FORBIDDEN", None);
    for q in ["after=-1", "limit=x", "sort=seq"] {
        let a = send(&h.app, get(&format!("/api/v1/audit?{q}"), Some(&h.token))).await;
        assert_problem(
            &a,
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            Some(q.split('=').next().unwrap()),
        );
    }
}

async fn reject_tampered_audit_log(h: Harness) {
    use vpass_issuer::audit::{verify_chain, ChainError};
    for key in ["t1", "t2", "t3"] {
        assert_eq!(
            issue(&h, key, &hours_body()).await.status,
            StatusCode::CREATED
        );
    }
    let store = h.service.store();
    assert_eq!(verify_chain(store).await.unwrap(), 4);
    h.raw_sql("UPDATE audit_log SET detail = 'edited' WHERE seq = 3")
        .await;
    let err = verify_chain(store).await.unwrap_err();
    assert!(matches!(err, ChainError::Broken { seq: 3, .. }), "{err}");
    h.raw_sql("UPDATE audit_log SET detail = 'VolunteerHoursCredential as sd-jwt' WHERE seq = 3")
        .await;
    assert_eq!(verify_chain(store).await.unwrap(), 4);
    // Cutting the last entry off is noticed through the head.
    h.raw_sql("DELETE FROM audit_log WHERE seq = 4").await;
    let err = verify_chain(store).await.unwrap_err();
    assert!(matches!(err, ChainError::Broken { seq: 4, .. }), "{err}");
    // So is deleting one in the middle.
    h.raw_sql("DELETE FROM audit_log WHERE seq = 2").await;
    let err = verify_chain(store).await.unwrap_err();
    assert!(matches!(err, ChainError::Broken { seq: 2, .. }), "{err}");
}

async fn reject_revoked_token(h: Harness) {
    use vpass_issuer::service::{add_operator, revoke_token};
    let store = h.service.store();
    let officer = add_operator(store, "test", "Officer", "officer", Some("kz-75"))
        .await
        .unwrap();
    let ok = issue_with(&h, &officer, "before").await;
    assert_eq!(ok.status, StatusCode::CREATED);
    assert!(revoke_token(store, "test", &officer).await.unwrap());
    assert!(!revoke_token(store, "test", &officer).await.unwrap());
    let a = issue_with(&h, &officer, "after").await;
    assert_problem(&a, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", None);
    // The admin's token is unaffected.
    assert_eq!(
        issue(&h, "admin", &hours_body()).await.status,
        StatusCode::CREATED
    );
}

async fn issue_with(h: &Harness, token: &str, key: &str) -> Answer {
    let body = hours_body().to_string();
    send(
        &h.app,
        post("/api/v1/credentials", Some(token), Some(key), body),
    )
    .await
}

fn batch_request(token: &str, key: &str, content_type: &str, body: String) -> Request<Body> {
    Request::post("/api/v1/credentials/batch")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("idempotency-key", key)
        .body(Body::from(body))
        .unwrap()
}

async fn batch_of_json_issues_valid_rows_and_reports_invalid_ones(h: Harness) {
    let mut bad = hours_body();
    bad["credentialSubject"]["hours"] = 0.into();
    let body = json!([hours_body(), bad, hours_body()]).to_string();
    let req = || batch_request(&h.token, "b1", "application/json", body.clone());
    let a = send(&h.app, req()).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    let issued = out["issued"].as_array().unwrap();
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[0]["row"], 1);
    assert_eq!(issued[1]["row"], 3);
    assert_ne!(issued[0]["status_index"], issued[1]["status_index"]);
    assert_eq!(
        out["errors"],
        json!([{"row": 2, "code": "INVALID_FIELD", "field": "credentialSubject.hours",
            "detail": out["errors"][0]["detail"], "reason": "must be a positive number"}])
    );
    let (_, key) = trusted(&h).await;
    let opts = sdjwt::VerifyOptions::at(SystemClock.now());
    for item in issued {
        sdjwt::verify(item["credential"].as_str().unwrap(), &key, &opts).unwrap();
        let id = item["id"].as_str().unwrap();
        let read = send(
            &h.app,
            get(&format!("/api/v1/credentials/{id}"), Some(&h.token)),
        )
        .await;
        assert_eq!(read.json()["status_index"], item["status_index"]);
    }
    let store = h.service.store();
    assert_eq!(store.credential_count().await.unwrap(), 2);
    // A retry replays the report byte for byte and issues nothing.
    let again = send(&h.app, req()).await;
    assert_eq!(again.body, a.body);
    assert_eq!(store.credential_count().await.unwrap(), 2);
    assert_eq!(vpass_issuer::audit::verify_chain(store).await.unwrap(), 3);
}

async fn batch_of_csv_issues_valid_rows_and_reports_invalid_ones(h: Harness) {
    let csv = "name,iin,hours,activity,organization,periodStart,periodEnd,validFrom,validUntil\n\
        Айгерим Нурланова,950101400121,48,Сенбілік,Astana Volunteer Center,2026-03-01,2026-05-31,\
        2026-06-01T00:00:00Z,2031-06-01T00:00:00Z\n\
        Broken row,only,three\n\
        Bad IIN,950101400122,8,Clean-up,AVC,2026-03-01,2026-03-01,\
        2026-06-01T00:00:00Z,2031-06-01T00:00:00Z\n\
        Ерлан,,7.5,Clean-up,AVC,2026-03-01,2026-03-01,2026-06-01T00:00:00Z,2031-06-01T00:00:00Z\n";
    let a = send(
        &h.app,
        batch_request(&h.token, "c1", "text/csv", csv.into()),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    let rows: Vec<u64> = out["issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [1, 4]);
    assert_eq!(out["errors"][0]["row"], 2);
    assert_eq!(out["errors"][0]["code"], "CSV_INVALID");
    assert_eq!(out["errors"][1]["row"], 3);
    assert_eq!(out["errors"][1]["field"], "credentialSubject.iin");
    let (_, key) = trusted(&h).await;
    let token = out["issued"][1]["credential"].as_str().unwrap();
    let v = sdjwt::verify(token, &key, &sdjwt::VerifyOptions::at(SystemClock.now())).unwrap();
    assert_eq!(v.claims["credentialSubject"]["hours"], 7.5);
    assert_eq!(v.claims["credentialSubject"]["name"], "Ерлан");
    assert_eq!(h.service.store().credential_count().await.unwrap(), 2);
    // An unknown column refuses the whole batch before any row is built, named.
    let csv = "validFrom,validUntil,name,hourz\n\
        2026-06-01T00:00:00Z,2031-06-01T00:00:00Z,A,1\n";
    let a = send(
        &h.app,
        batch_request(&h.token, "c2", "text/csv", csv.into()),
    )
    .await;
    assert_problem(
        &a,
        StatusCode::BAD_REQUEST,
        "INVALID_FIELD",
        Some("credentialSubject.hourz"),
    );
}

async fn reject_oversized_or_malformed_batches(h: Harness) {
    let mut csv = String::from("name,hours\n");
    for _ in 0..10_001 {
        csv.push_str("A,1\n");
    }
    let a = send(&h.app, batch_request(&h.token, "big", "text/csv", csv)).await;
    assert_problem(&a, StatusCode::PAYLOAD_TOO_LARGE, "BATCH_TOO_LARGE", None);
    let a = send(
        &h.app,
        batch_request(&h.token, "obj", "application/json", "{}".into()),
    )
    .await;
    assert_problem(&a, StatusCode::BAD_REQUEST, "MALFORMED_BATCH", None);
    let req = Request::post("/api/v1/credentials/batch?type=Nope")
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::AUTHORIZATION, format!("Bearer {}", h.token))
        .header("idempotency-key", "t")
        .body(Body::from("name\nA\n"))
        .unwrap();
    assert_problem(
        &send(&h.app, req).await,
        StatusCode::BAD_REQUEST,
        "INVALID_FIELD",
        Some("type"),
    );
    // An unknown type is refused for a JSON body too, not ignored.
    let req = Request::post("/api/v1/credentials/batch?type=Nope")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", h.token))
        .header("idempotency-key", "t2")
        .body(Body::from(format!("[{}]", hours_body())))
        .unwrap();
    assert_problem(
        &send(&h.app, req).await,
        StatusCode::BAD_REQUEST,
        "INVALID_FIELD",
        Some("type"),
    );
    assert_eq!(h.service.store().credential_count().await.unwrap(), 0);
}

async fn reject_operators_with_unknown_role_or_office(h: Harness) {
    use vpass_issuer::service::add_operator;
    let store = h.service.store();
    for (role, office) in [
        ("officer", None),
        ("officer", Some("kz-00")),
        ("auditor", Some("kz-75")),
        ("root", None),
    ] {
        assert!(
            add_operator(store, "test", "x", role, office)
                .await
                .is_err(),
            "{role} {office:?}"
        );
    }
    assert!(add_operator(store, "test", " ", "auditor", None)
        .await
        .is_err());
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

async fn reject_missing_wrong_or_malformed_token(h: Harness) {
    let body = hours_body().to_string();
    let a = send(
        &h.app,
        post("/api/v1/credentials", None, Some("k"), body.clone()),
    )
    .await;
    assert_problem(&a, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", None);
    assert_eq!(a.headers[header::WWW_AUTHENTICATE], "Bearer");
    // Right id, wrong secret.
    let mut wrong = h.token.clone();
    wrong.pop();
    wrong.push(if h.token.ends_with('A') { 'B' } else { 'A' });
    for t in [wrong.as_str(), "garbage", ""] {
        let a = send(
            &h.app,
            post("/api/v1/credentials", Some(t), Some("k"), body.clone()),
        )
        .await;
        assert_problem(&a, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", None);
    }
    let a = send(&h.app, get("/api/v1/credentials/x", Some("garbage"))).await;
    assert_problem(&a, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", None);
    assert_eq!(h.service.store().credential_count().await.unwrap(), 0);
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

// --- Key rotation, status-list rollover, rate limits, idempotency retention --------------

on_both_backends!(
    rotation_signs_with_the_new_key_and_old_credentials_still_verify,
    compromised_key_credentials_are_refused_offline,
    only_admins_rotate_keys_and_bad_rotations_are_refused,
    rotation_by_another_instance_takes_effect_at_once,
    full_status_list_rolls_over_to_the_next_list,
    concurrent_issues_at_the_fill_threshold_open_one_list,
    rate_limit_answers_429_with_retry_after_and_survives_restart,
    expired_idempotency_records_are_purged,
);

/// A second service on the harness's data folder and database (another instance, or the
/// CLI), with `clock` and `limits`.
async fn second_instance(
    h: &Harness,
    clock: vpass_credential::time::UnixTime,
    limits: vpass_issuer::Limits,
) -> Arc<vpass_issuer::Service> {
    let mut config = Config::default_with_data_dir(h._dir.path().to_path_buf());
    config.database_url = Some(h.db_url.clone());
    let opened = service::open(&config).await.unwrap();
    assert!(opened.initial_admin_token.is_none());
    Arc::new(
        opened
            .service
            .with_clock(Box::new(vpass_credential::time::FixedClock(clock)))
            .with_limits(limits),
    )
}

/// Check an issued SD-JWT offline against the published trust list, as a verifier does: the
/// key chosen by the trust list from `kid`, `iss` and `iat`, then the signature. `Ok(kid)`,
/// or the trust error's code.
async fn verify_offline(h: &Harness, token: &str) -> Result<String, String> {
    let a = send(&h.app, get("/trust-list", None)).await;
    let root = PublicKey::from_did_key(&h.service.root_did()).unwrap();
    let list = verify_trust_list(
        std::str::from_utf8(&a.body).unwrap(),
        &root,
        SystemClock.now(),
        None,
    )
    .unwrap();
    let jws = vpass_credential::jose::parse(token.split('~').next().unwrap()).unwrap();
    let kid = jws.header.kid.clone().unwrap();
    let key = list
        .offices()
        .iter()
        .flat_map(|o| o.keys.iter())
        .find(|k| k.kid == kid)
        .map(|k| PublicKey::from_jwk(&k.jwk).unwrap())
        .unwrap();
    let verified = sdjwt::verify(token, &key, &sdjwt::VerifyOptions::at(SystemClock.now()))
        .map_err(|e| e.code().as_str().to_owned())?;
    let iss = verified.claims["iss"].as_str().unwrap();
    let iat = vpass_credential::time::UnixTime(verified.claims["iat"].as_i64().unwrap());
    list.find_key(Some(&kid), iss, iat)
        .map_err(|e| e.code().as_str().to_owned())?;
    Ok(kid)
}

fn rotate_request(token: &str, office: &str, key: &str, body: Value) -> Request<Body> {
    post(
        &format!("/api/v1/offices/{office}/keys/rotate"),
        Some(token),
        Some(key),
        body.to_string(),
    )
}

async fn trust_sequence(h: &Harness) -> u64 {
    let a = send(&h.app, get("/trust-list", None)).await;
    let root = PublicKey::from_did_key(&h.service.root_did()).unwrap();
    verify_trust_list(
        std::str::from_utf8(&a.body).unwrap(),
        &root,
        SystemClock.now(),
        None,
    )
    .unwrap()
    .sequence()
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

async fn rate_limit_answers_429_with_retry_after_and_survives_restart(h: Harness) {
    // A fixed clock 15 s into a minute, so that the test never straddles two windows.
    let now = SystemClock.now().0;
    let at = vpass_credential::time::UnixTime(now - now.rem_euclid(60) + 15);
    let limits = vpass_issuer::Limits {
        rate_limit_per_minute: 3,
        auth_failures_per_minute: 2,
        ..vpass_issuer::Limits::default()
    };
    let app = vpass_issuer::app(second_instance(&h, at, limits).await);
    for _ in 0..3 {
        let a = send(&app, get("/api/v1/offices", Some(&h.token))).await;
        assert_eq!(a.status, StatusCode::OK);
    }
    let a = send(&app, get("/api/v1/offices", Some(&h.token))).await;
    assert_problem(&a, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", None);
    assert_eq!(a.headers[header::RETRY_AFTER], "45");
    // Writes count too, and a refused write stores nothing.
    let a = send(
        &app,
        post(
            "/api/v1/credentials",
            Some(&h.token),
            Some("w"),
            hours_body().to_string(),
        ),
    )
    .await;
    assert_problem(&a, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", None);
    assert_eq!(a.headers[header::RETRY_AFTER], "45");
    assert_eq!(h.service.store().credential_count().await.unwrap(), 0);
    // Requests without a valid token are counted per client address.
    for _ in 0..2 {
        let a = send(
            &app,
            get("/api/v1/offices", Some("vpass_0000000000000000_x")),
        )
        .await;
        assert_problem(&a, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", None);
    }
    let a = send(&app, get("/api/v1/offices", None)).await;
    assert_problem(&a, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", None);
    assert!(a.headers.contains_key(header::RETRY_AFTER));
    // Publications are never limited.
    for _ in 0..5 {
        assert_eq!(
            send(&app, get("/trust-list", None)).await.status,
            StatusCode::OK
        );
        assert_eq!(
            send(&app, get("/healthz", None)).await.status,
            StatusCode::OK
        );
    }
    // A restarted instance (same database) still counts the window.
    let restarted = vpass_issuer::app(second_instance(&h, at, limits).await);
    let a = send(&restarted, get("/api/v1/offices", Some(&h.token))).await;
    assert_problem(&a, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", None);
    // The next minute starts afresh. Writes are counted inside their transaction, in the
    // same bucket as reads.
    let later = vpass_credential::time::UnixTime(at.0 + 60);
    let next = vpass_issuer::app(second_instance(&h, later, limits).await);
    let a = send(&next, get("/api/v1/offices", Some(&h.token))).await;
    assert_eq!(a.status, StatusCode::OK);
    for key in ["w1", "w2"] {
        let a = send(
            &next,
            post(
                "/api/v1/credentials",
                Some(&h.token),
                Some(key),
                hours_body().to_string(),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED);
    }
    let a = send(
        &next,
        post(
            "/api/v1/credentials",
            Some(&h.token),
            Some("w3"),
            hours_body().to_string(),
        ),
    )
    .await;
    assert_problem(&a, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", None);
    assert_eq!(a.headers[header::RETRY_AFTER], "45");
    let a = send(&next, get("/api/v1/offices", Some(&h.token))).await;
    assert_problem(&a, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", None);
    assert_eq!(h.service.store().credential_count().await.unwrap(), 2);
    // 0 turns the limit off.
    let off = vpass_issuer::Limits {
        rate_limit_per_minute: 0,
        ..limits
    };
    let unlimited = vpass_issuer::app(second_instance(&h, at, off).await);
    let a = send(&unlimited, get("/api/v1/offices", Some(&h.token))).await;
    assert_eq!(a.status, StatusCode::OK);
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

// ---- the volunteer register, linking, plausibility checks, listing, passport ----------------

/// An hours request for a registered volunteer (name, IIN and birth date from the register).
fn hours_for(volunteer: &str, activity: &str, hours: f64, start: &str, end: &str) -> Value {
    let mut v = hours_body();
    v["volunteer"] = volunteer.into();
    let s = v["credentialSubject"].as_object_mut().unwrap();
    s.remove("name");
    s.insert("activity".into(), activity.into());
    s.insert("hours".into(), json!(hours));
    s.insert("periodStart".into(), start.into());
    s.insert("periodEnd".into(), end.into());
    v
}

async fn verified_subject(h: &Harness, token: &str) -> Value {
    let (_, key) = trusted(h).await;
    let v = sdjwt::verify(token, &key, &sdjwt::VerifyOptions::at(SystemClock.now())).unwrap();
    v.claims["credentialSubject"].clone()
}

async fn register_read_and_find_volunteers(h: Harness) {
    let the_iin = iin(0);
    let a = register_with(&h, &h.token, "r1", &volunteer_body(&the_iin)).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let v = a.json();
    let id = v["id"].as_str().unwrap();
    assert_eq!(v["iin"], the_iin.as_str());
    assert_eq!(v["birthDate"], "1995-01-01");
    assert_eq!(v["name"]["en"], "Aigerim Nurlanova");
    // A retry replays the answer.
    let again = register_with(&h, &h.token, "r1", &volunteer_body(&the_iin)).await;
    assert_eq!(again.body, a.body);
    let read = send(
        &h.app,
        get(&format!("/api/v1/volunteers/{id}"), Some(&h.token)),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json(), v);
    let missing = send(&h.app, get("/api/v1/volunteers/nope", Some(&h.token))).await;
    assert_problem(&missing, StatusCode::NOT_FOUND, "NOT_FOUND", None);

    // By IIN: exact, and audited without the IIN.
    let found = send(
        &h.app,
        get(&format!("/api/v1/volunteers?iin={the_iin}"), Some(&h.token)),
    )
    .await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.json()["volunteers"][0]["id"], id);
    let none = send(
        &h.app,
        get(
            &format!("/api/v1/volunteers?iin={}", iin(1)),
            Some(&h.token),
        ),
    )
    .await;
    assert_eq!(none.json()["volunteers"], json!([]));
    let audit = send(&h.app, get("/api/v1/audit", Some(&h.token)))
        .await
        .json();
    let entries = audit["entries"].as_array().unwrap();
    let lookups: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "volunteer.lookup")
        .collect();
    assert_eq!(lookups.len(), 2);
    assert_eq!(lookups[0]["subject"], id);
    assert!(entries.iter().any(|e| e["action"] == "volunteer.register"));
    let text = audit.to_string();
    assert!(
        !text.contains(&the_iin) && !text.contains("Нурланова"),
        "{text}"
    );

    // By name: case-insensitive substring over every spelling.
    for needle in ["%D0%BD%D0%A3%D0%A0%D0%BB%D0%B0%D0%BD", "NURLAN", "%D2%B1"] {
        let a = send(
            &h.app,
            get(&format!("/api/v1/volunteers?name={needle}"), Some(&h.token)),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{needle}");
        assert_eq!(a.json()["volunteers"][0]["id"], id, "{needle}");
    }
    // Pages of two through three more volunteers named alike.
    let mut ids = Vec::new();
    for n in 1..=3 {
        let mut body = volunteer_body(&iin(n));
        body["name"] = json!({"en": format!("Page Tester {n}")});
        ids.push(
            register_with(&h, &h.token, &format!("p{n}"), &body)
                .await
                .json()["id"]
                .clone(),
        );
    }
    let first = send(
        &h.app,
        get(
            "/api/v1/volunteers?name=page+tester&limit=2",
            Some(&h.token),
        ),
    )
    .await
    .json();
    assert_eq!(first["volunteers"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = send(
        &h.app,
        get(
            &format!("/api/v1/volunteers?name=page+tester&limit=2&cursor={cursor}"),
            Some(&h.token),
        ),
    )
    .await
    .json();
    assert_eq!(second["volunteers"].as_array().unwrap().len(), 1);
    assert_eq!(second["next_cursor"], Value::Null);
    let mut seen: Vec<Value> = first["volunteers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["volunteers"].as_array().unwrap())
        .map(|v| v["id"].clone())
        .collect();
    seen.sort_by_key(|v| v.to_string());
    ids.sort_by_key(|v| v.to_string());
    assert_eq!(seen, ids);
    // Any operator reads; auditors may not register.
    let auditor = vpass_issuer::service::add_operator(h.service.store(), "t", "A", "auditor", None)
        .await
        .unwrap();
    let a = send(
        &h.app,
        get(&format!("/api/v1/volunteers/{id}"), Some(&auditor)),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = register_with(&h, &auditor, "x", &volunteer_body(&iin(9))).await;
    assert_problem(&a, StatusCode::FORBIDDEN, "FORBIDDEN", None);
}

async fn reject_second_registration_of_an_iin_naming_the_volunteer(h: Harness) {
    let id = registered(&h, &iin(0)).await;
    let mut body = volunteer_body(&iin(0));
    body["name"] = json!({"ru": "Другое Имя"});
    let a = register_with(&h, &h.token, "second", &body).await;
    assert_problem(&a, StatusCode::CONFLICT, "VOLUNTEER_EXISTS", Some("iin"));
    assert_eq!(a.json()["volunteer"], id.as_str());
    let found = send(
        &h.app,
        get(
            &format!("/api/v1/volunteers?iin={}", iin(0)),
            Some(&h.token),
        ),
    )
    .await
    .json();
    assert_eq!(found["volunteers"].as_array().unwrap().len(), 1);
    // The key of the refused request stored nothing: it can be used again.
    let a = register_with(&h, &h.token, "second", &volunteer_body(&iin(1))).await;
    assert_eq!(a.status, StatusCode::CREATED);
}

async fn reject_bad_volunteer_registrations(h: Harness) {
    let good = volunteer_body(&iin(0));
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        v
    };
    let cases: Vec<(Value, &str)> = vec![
        (with(&|v| v["iin"] = "950101400122".into()), "iin"),
        (with(&|v| v["iin"] = "95010140012".into()), "iin"),
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("iin");
            }),
            "iin",
        ),
        (with(&|v| v["birthDate"] = "1995-01-02".into()), "birthDate"),
        (with(&|v| v["region"] = "KZ-XX".into()), "region"),
        (with(&|v| v["email"] = "not-an-email".into()), "email"),
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("name");
            }),
            "name",
        ),
        (with(&|v| v["name"] = json!({})), "name"),
        (with(&|v| v["name"] = json!({"de": "X"})), "name.de"),
        (with(&|v| v["name"] = json!({"kk": "  "})), "name.kk"),
        (with(&|v| v["nickname"] = "A".into()), "nickname"),
    ];
    for (i, (body, field)) in cases.iter().enumerate() {
        let a = register_with(&h, &h.token, &format!("bad-{i}"), body).await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "{field}: {}",
            String::from_utf8_lossy(&a.body)
        );
        assert_eq!(a.json()["field"], *field, "{}", a.json());
    }
    let found = send(&h.app, get("/api/v1/volunteers", Some(&h.token)))
        .await
        .json();
    assert_eq!(found["volunteers"], json!([]));
}

async fn issue_for_a_named_volunteer_fills_the_subject_from_the_register(h: Harness) {
    let id = registered(&h, &iin(0)).await;
    let a = issue(
        &h,
        "i1",
        &hours_for(&id, "Clean-up", 8.0, "2026-03-01", "2026-03-01"),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    assert_eq!(out["volunteer"], json!({"id": id, "registered": false}));
    let subject = verified_subject(&h, out["credential"].as_str().unwrap()).await;
    assert_eq!(subject["name"], "Айгерим Нұрланова");
    assert_eq!(subject["iin"], iin(0).as_str());
    assert_eq!(subject["birthDate"], "1995-01-01");
    let cid = out["id"].as_str().unwrap();
    let read = send(
        &h.app,
        get(&format!("/api/v1/credentials/{cid}"), Some(&h.token)),
    )
    .await;
    assert_eq!(read.json()["volunteer"], id.as_str());
    // Any spelling of the name is accepted; a contradiction is refused, field named.
    let mut ok = hours_for(&id, "Tree planting", 2.0, "2026-03-02", "2026-03-02");
    ok["credentialSubject"]["name"] = "aigerim  NURLANOVA".into();
    assert_eq!(issue(&h, "i2", &ok).await.status, StatusCode::CREATED);
    let cases = [
        ("name", json!("Someone Else")),
        ("iin", json!(iin(1))),
        ("birthDate", json!("1995-01-02")),
    ];
    for (member, value) in cases {
        let mut bad = hours_for(&id, "Other", 1.0, "2026-03-03", "2026-03-03");
        bad["credentialSubject"][member] = value;
        let a = issue(&h, &format!("m-{member}"), &bad).await;
        assert_problem(
            &a,
            StatusCode::UNPROCESSABLE_ENTITY,
            "VOLUNTEER_MISMATCH",
            Some(&format!("credentialSubject.{member}")),
        );
    }
    let a = issue(
        &h,
        "u",
        &hours_for("no-such-id", "X", 1.0, "2026-03-03", "2026-03-03"),
    )
    .await;
    assert_problem(
        &a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VOLUNTEER_UNKNOWN",
        Some("volunteer"),
    );
    assert_eq!(h.service.store().credential_count().await.unwrap(), 2);
}

async fn issue_with_an_iin_links_or_registers_the_volunteer(h: Harness) {
    let mut body = hours_body();
    body["credentialSubject"]["iin"] = iin(3).into();
    body["credentialSubject"]["name"] = "Ерлан Серіков".into();
    let a = issue(&h, "a1", &body).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let linked = a.json()["volunteer"].clone();
    assert_eq!(linked["registered"], true);
    let id = linked["id"].as_str().unwrap();
    let v = send(
        &h.app,
        get(&format!("/api/v1/volunteers/{id}"), Some(&h.token)),
    )
    .await
    .json();
    assert_eq!(v["iin"], iin(3).as_str());
    assert_eq!(v["name"], json!({"kk": "Ерлан Серіков"}));
    assert_eq!(v["birthDate"], "1995-01-01");
    // A second credential with that IIN links to the same volunteer.
    body["credentialSubject"]["activity"] = "Another event".into();
    let b = issue(&h, "a2", &body).await.json();
    assert_eq!(b["volunteer"], json!({"id": id, "registered": false}));
    // Linked to a volunteer registered by hand too.
    let other = registered(&h, &iin(4)).await;
    let mut body = hours_body();
    body["credentialSubject"]["iin"] = iin(4).into();
    body["credentialSubject"]["name"] = "Айгерим Нурланова".into();
    let c = issue(&h, "a3", &body).await.json();
    assert_eq!(c["volunteer"], json!({"id": other, "registered": false}));
    let audit = send(&h.app, get("/api/v1/audit", Some(&h.token)))
        .await
        .json();
    let registrations = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "volunteer.register")
        .count();
    assert_eq!(registrations, 2);
}

async fn reject_hours_over_the_cap(h: Harness) {
    let id = registered(&h, &iin(0)).await;
    let a = issue(
        &h,
        "c1",
        &hours_for(&id, "Long", 1001.0, "2025-01-01", "2025-12-31"),
    )
    .await;
    assert_problem(
        &a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "HOURS_OVER_CAP",
        Some("credentialSubject.hours"),
    );
    assert!(a.json()["detail"].as_str().unwrap().contains("1000"));
    // Unlinked credentials are capped too.
    let mut body = hours_body();
    body["credentialSubject"]["hours"] = 1500.into();
    body["credentialSubject"]["periodStart"] = "2025-01-01".into();
    let a = issue(&h, "c2", &body).await;
    assert_problem(
        &a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "HOURS_OVER_CAP",
        Some("credentialSubject.hours"),
    );
    assert_eq!(
        issue(
            &h,
            "c3",
            &hours_for(&id, "Long", 1000.0, "2025-01-01", "2025-12-31")
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(h.service.store().credential_count().await.unwrap(), 1);
}

async fn reject_daily_hours_over_the_cap_naming_the_day(h: Harness) {
    let id = registered(&h, &iin(0)).await;
    // 20 hours over 1–2 March: 10 a day.
    let first = issue(
        &h,
        "d1",
        &hours_for(&id, "Two days", 20.0, "2026-03-01", "2026-03-02"),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED);
    // 8 more on 2 March is 18.
    let a = issue(
        &h,
        "d2",
        &hours_for(&id, "Evening", 8.0, "2026-03-02", "2026-03-02"),
    )
    .await;
    assert_problem(
        &a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "DAILY_HOURS_OVER_CAP",
        Some("credentialSubject.hours"),
    );
    let detail = a.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("2026-03-02") && detail.contains("18 hours"),
        "{detail}"
    );
    assert!(
        detail.contains("10 already recorded") && detail.contains("16 hours a day"),
        "{detail}"
    );
    // 6 more fits exactly; another volunteer is not affected.
    assert_eq!(
        issue(
            &h,
            "d3",
            &hours_for(&id, "Evening", 6.0, "2026-03-02", "2026-03-02")
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let other = registered(&h, &iin(1)).await;
    assert_eq!(
        issue(
            &h,
            "d4",
            &hours_for(&other, "Evening", 8.0, "2026-03-02", "2026-03-02")
        )
        .await
        .status,
        StatusCode::CREATED
    );
    // Revoking frees the day.
    let a = issue(
        &h,
        "d5",
        &hours_for(&id, "Night", 5.0, "2026-03-01", "2026-03-01"),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let a = issue(
        &h,
        "d6",
        &hours_for(&id, "Night 2", 2.0, "2026-03-01", "2026-03-01"),
    )
    .await;
    assert_problem(
        &a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "DAILY_HOURS_OVER_CAP",
        Some("credentialSubject.hours"),
    );
    let fid = first.json()["id"].as_str().unwrap().to_owned();
    let r = send(
        &h.app,
        post(
            &format!("/api/v1/credentials/{fid}/revoke"),
            Some(&h.token),
            Some("rv"),
            r#"{"reason":"typo"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        issue(
            &h,
            "d7",
            &hours_for(&id, "Night 2", 2.0, "2026-03-01", "2026-03-01")
        )
        .await
        .status,
        StatusCode::CREATED
    );
}

async fn reject_duplicate_event_unless_confirmed_and_revoked_ones_do_not_count(h: Harness) {
    let id = registered(&h, &iin(0)).await;
    let body = hours_for(&id, "Сенбілік", 2.0, "2026-03-01", "2026-03-01");
    let first = issue(&h, "e1", &body).await.json();
    let first_id = first["id"].as_str().unwrap().to_owned();
    // The same event, written differently (case, spaces), is the same event.
    let mut same = body.clone();
    same["credentialSubject"]["activity"] = " сенбілік ".into();
    same["credentialSubject"]["organization"] = "ASTANA  volunteer center".into();
    let a = issue(&h, "e2", &same).await;
    assert_problem(
        &a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "DUPLICATE_EVENT",
        Some("credentialSubject.activity"),
    );
    assert_eq!(a.json()["credential"], first_id.as_str());
    assert!(a.json()["detail"].as_str().unwrap().contains(&first_id));
    // Confirmed, it is issued.
    let mut confirmed = same.clone();
    confirmed["confirm"] = json!(["duplicate-event"]);
    let second = issue(&h, "e3", &confirmed).await;
    assert_eq!(
        second.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&second.body)
    );
    let mut bad = same.clone();
    bad["confirm"] = json!(["anything"]);
    assert_problem(
        &issue(&h, "e4", &bad).await,
        StatusCode::BAD_REQUEST,
        "INVALID_FIELD",
        Some("confirm"),
    );
    // Revoked credentials do not count.
    for (n, cid) in [
        first_id.clone(),
        second.json()["id"].as_str().unwrap().to_owned(),
    ]
    .iter()
    .enumerate()
    {
        let r = send(
            &h.app,
            post(
                &format!("/api/v1/credentials/{cid}/revoke"),
                Some(&h.token),
                Some(&format!("r{n}")),
                r#"{"reason":"dup"}"#,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(issue(&h, "e5", &body).await.status, StatusCode::CREATED);
    assert_eq!(h.service.store().credential_count().await.unwrap(), 3);
}

async fn batch_refuses_implausible_rows_and_issues_the_others(h: Harness) {
    let a_id = registered(&h, &iin(0)).await;
    let mut new_person = hours_body();
    new_person["credentialSubject"]["iin"] = iin(5).into();
    new_person["credentialSubject"]["activity"] = "Event one".into();
    new_person["credentialSubject"]["periodStart"] = "2026-03-01".into();
    new_person["credentialSubject"]["periodEnd"] = "2026-03-01".into();
    new_person["credentialSubject"]["hours"] = 3.into();
    let mut dup_confirmed = hours_for(&a_id, "Event one", 2.0, "2026-03-01", "2026-03-01");
    dup_confirmed["confirm"] = json!(["duplicate-event"]);
    let rows = json!([
        hours_for(&a_id, "Event one", 2.0, "2026-03-01", "2026-03-01"),
        hours_for(&a_id, "Event one", 2.0, "2026-03-01", "2026-03-01"),
        hours_for(&a_id, "Marathon", 15.0, "2026-03-01", "2026-03-01"),
        new_person.clone(),
        dup_confirmed,
        hours_for(&a_id, "Huge", 5000.0, "2025-01-01", "2025-12-31"),
        new_person,
    ]);
    let a = send(
        &h.app,
        batch_request(&h.token, "b", "application/json", rows.to_string()),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    let issued: Vec<u64> = out["issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["row"].as_u64().unwrap())
        .collect();
    assert_eq!(issued, [1, 4, 5]);
    let errors = out["errors"].as_array().unwrap();
    let codes: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            (2, "DUPLICATE_EVENT"),
            (3, "DAILY_HOURS_OVER_CAP"),
            (6, "HOURS_OVER_CAP"),
            (7, "DUPLICATE_EVENT")
        ]
    );
    assert_eq!(errors[0]["credential"], out["issued"][0]["id"]);
    assert_eq!(errors[0]["field"], "credentialSubject.activity");
    assert_eq!(errors[1]["field"], "credentialSubject.hours");
    assert_eq!(out["issued"][1]["volunteer"]["registered"], true);
    assert_eq!(errors[3]["credential"], out["issued"][1]["id"]);
    assert_eq!(h.service.store().credential_count().await.unwrap(), 3);
    // Replayed byte for byte.
    let again = send(
        &h.app,
        batch_request(&h.token, "b", "application/json", rows.to_string()),
    )
    .await;
    assert_eq!(again.body, a.body);
}

/// An hours row naming its volunteer by IIN.
fn hours_by_iin(iin: &str, activity: &str, day: &str) -> Value {
    let mut v = hours_body();
    let s = v["credentialSubject"].as_object_mut().unwrap();
    s.insert("iin".into(), iin.into());
    s.insert("activity".into(), activity.into());
    s.insert("hours".into(), json!(2.0));
    s.insert("periodStart".into(), day.into());
    s.insert("periodEnd".into(), day.into());
    v
}

async fn batch_links_rows_whose_iin_is_registered_and_checks_them(h: Harness) {
    let a_id = registered(&h, &iin(0)).await;
    let before = issue(
        &h,
        "p",
        &hours_for(&a_id, "Event one", 2.0, "2026-03-01", "2026-03-01"),
    )
    .await
    .json();
    let rows = json!([
        // Registered before the batch: linked, and checked against its stored hours.
        hours_by_iin(&iin(0), "Event one", "2026-03-01"),
        hours_by_iin(&iin(0), "Event two", "2026-03-02"),
        // New: registered by the first row, the second one linked and checked against it.
        hours_by_iin(&iin(6), "Event three", "2026-03-03"),
        hours_by_iin(&iin(6), "Event three", "2026-03-03"),
        // By id: checked against the earlier rows of the batch.
        hours_for(&a_id, "Event two", 2.0, "2026-03-02", "2026-03-02"),
    ]);
    let a = send(
        &h.app,
        batch_request(&h.token, "b", "application/json", rows.to_string()),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    let issued = out["issued"].as_array().unwrap();
    let rows: Vec<u64> = issued.iter().map(|i| i["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, [2, 3]);
    assert_eq!(
        issued[0]["volunteer"],
        json!({"id": a_id, "registered": false})
    );
    assert_eq!(issued[1]["volunteer"]["registered"], true);
    let b_id = issued[1]["volunteer"]["id"].as_str().unwrap();
    assert_ne!(b_id, a_id);
    let errors = out["errors"].as_array().unwrap();
    let refused: Vec<(u64, &str, &Value)> = errors
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["code"].as_str().unwrap(),
                &e["credential"],
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            (1, "DUPLICATE_EVENT", &before["id"]),
            (4, "DUPLICATE_EVENT", &issued[1]["id"]),
            (5, "DUPLICATE_EVENT", &issued[0]["id"]),
        ]
    );
    assert_eq!(h.service.store().credential_count().await.unwrap(), 3);
    // One registration by hand, one by the batch.
    let audit = send(&h.app, get("/api/v1/audit", Some(&h.token)))
        .await
        .json();
    let registrations = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "volunteer.register")
        .count();
    assert_eq!(registrations, 2);
}

async fn csv_batch_links_volunteers_and_confirms_duplicates(h: Harness) {
    let id = registered(&h, &iin(0)).await;
    let csv = format!(
        "volunteer,confirm,hours,activity,organization,periodStart,periodEnd,validFrom,validUntil\n\
         {id},,4,Clean-up,AVC,2026-03-01,2026-03-01,2026-06-01T00:00:00Z,2031-06-01T00:00:00Z\n\
         {id},,4,Clean-up,AVC,2026-03-01,2026-03-01,2026-06-01T00:00:00Z,2031-06-01T00:00:00Z\n\
         {id},duplicate-event,4,Clean-up,AVC,2026-03-01,2026-03-01,2026-06-01T00:00:00Z,2031-06-01T00:00:00Z\n"
    );
    let a = send(&h.app, batch_request(&h.token, "csv", "text/csv", csv)).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    let rows: Vec<u64> = out["issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [1, 3]);
    assert_eq!(out["errors"][0]["code"], "DUPLICATE_EVENT");
    assert_eq!(out["issued"][0]["volunteer"]["id"], id.as_str());
    let subject = verified_subject(&h, out["issued"][1]["credential"].as_str().unwrap()).await;
    assert_eq!(subject["iin"], iin(0).as_str());
}

async fn list(h: &Harness, token: &str, query: &str) -> Answer {
    send(
        &h.app,
        get(&format!("/api/v1/credentials{query}"), Some(token)),
    )
    .await
}

async fn list_credentials_filters_paginates_and_scopes(h: Harness) {
    use vpass_issuer::service::add_operator;
    let store = h.service.store();
    let almaty = add_operator(store, "t", "Almaty", "officer", Some("kz-75"))
        .await
        .unwrap();
    let auditor = add_operator(store, "t", "Aud", "auditor", None)
        .await
        .unwrap();
    let vid = registered(&h, &iin(0)).await;
    let mut national_ids = Vec::new();
    for n in 0..3 {
        let out = issue(
            &h,
            &format!("n{n}"),
            &hours_for(&vid, &format!("E{n}"), 1.0, "2026-03-01", "2026-03-01"),
        )
        .await
        .json();
        national_ids.push(out["id"].as_str().unwrap().to_owned());
    }
    let unlinked = issue(&h, "n-unlinked", &hours_body()).await.json()["id"].clone();
    let skill: Value = serde_json::from_str(include_str!("../../examples/skill.json")).unwrap();
    let mut skill = skill;
    skill.as_object_mut().unwrap().remove("issuer");
    let mut almaty_ids = Vec::new();
    for n in 0..2 {
        let a = send(
            &h.app,
            post(
                "/api/v1/credentials",
                Some(&almaty),
                Some(&format!("a{n}")),
                skill.to_string(),
            ),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&a.body)
        );
        almaty_ids.push(a.json()["id"].as_str().unwrap().to_owned());
    }
    let revoked = &national_ids[0];
    let r = send(
        &h.app,
        post(
            &format!("/api/v1/credentials/{revoked}/revoke"),
            Some(&h.token),
            Some("rv"),
            r#"{"reason":"typo"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    let ids = |v: &Value| -> Vec<String> {
        let mut out: Vec<String> = v["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        out.sort();
        out
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let all = list(&h, &h.token, "").await;
    assert_eq!(
        all.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&all.body)
    );
    let all = all.json();
    assert_eq!(all["credentials"].as_array().unwrap().len(), 6);
    let first = &all["credentials"][0];
    assert!(
        first.get("credential").is_none(),
        "the list holds no tokens: {first}"
    );
    for member in [
        "id",
        "type",
        "format",
        "office",
        "volunteer",
        "issued_at",
        "revoked",
    ] {
        assert!(first.get(member).is_some(), "{member}");
    }
    // Filters.
    let by_vol = list(&h, &auditor, &format!("?volunteer={vid}"))
        .await
        .json();
    assert_eq!(ids(&by_vol), sorted(national_ids.clone()));
    assert!(by_vol["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["volunteer"] == vid.as_str()));
    let active = list(&h, &h.token, &format!("?volunteer={vid}&status=active"))
        .await
        .json();
    assert_eq!(ids(&active), sorted(national_ids[1..].to_vec()));
    let gone = list(&h, &h.token, "?status=revoked").await.json();
    assert_eq!(ids(&gone), vec![revoked.clone()]);
    assert_eq!(gone["credentials"][0]["revoked"]["reason"], "typo");
    let skills = list(&h, &h.token, "?type=VolunteerSkillCredential")
        .await
        .json();
    assert_eq!(ids(&skills), sorted(almaty_ids.clone()));
    let office = list(
        &h,
        &h.token,
        "?office=national&type=VolunteerHoursCredential",
    )
    .await
    .json();
    let mut expected = national_ids.clone();
    expected.push(unlinked.as_str().unwrap().to_owned());
    assert_eq!(ids(&office), sorted(expected));
    let future = list(&h, &h.token, "?issued_after=2999-01-01T00:00:00Z")
        .await
        .json();
    assert_eq!(future["credentials"], json!([]));
    let past = list(&h, &h.token, "?issued_before=2000-01-01T00:00:00Z")
        .await
        .json();
    assert_eq!(past["credentials"], json!([]));
    let window = list(
        &h,
        &h.token,
        "?issued_after=2000-01-01T00:00:00Z&issued_before=2999-01-01T00:00:00Z",
    )
    .await
    .json();
    assert_eq!(window["credentials"].as_array().unwrap().len(), 6);
    // Keyset pages of 4: every credential once.
    let mut seen = Vec::new();
    let mut query = "?limit=4".to_owned();
    loop {
        let page = list(&h, &h.token, &query).await.json();
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("?limit=4&cursor={c}"),
            None => break,
        }
    }
    let mut everything = national_ids.clone();
    everything.extend(almaty_ids.clone());
    everything.push(unlinked.as_str().unwrap().to_owned());
    assert_eq!(sorted(seen), sorted(everything));
    // Officers see their office's only.
    let mine = list(&h, &almaty, "").await.json();
    assert_eq!(ids(&mine), sorted(almaty_ids.clone()));
    let theirs = list(&h, &almaty, "?office=national").await;
    assert_problem(&theirs, StatusCode::FORBIDDEN, "FORBIDDEN", Some("office"));
}

async fn reject_bad_credential_list_parameters(h: Harness) {
    for (query, field) in [
        ("?status=gone", "status"),
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=x", "limit"),
        ("?issued_after=yesterday", "issued_after"),
        ("?issued_before=2026-01-01", "issued_before"),
        ("?cursor=%%%", "cursor"),
        ("?cursor=bm9jb2xvbg", "cursor"),
        ("?office=kz-00", "office"),
        ("?type=VolunteerCredential", "type"),
        ("?colour=red", "colour"),
        ("?limit=1&limit=2", "limit"),
    ] {
        let a = list(&h, &h.token, query).await;
        assert_problem(&a, StatusCode::BAD_REQUEST, "INVALID_FIELD", Some(field));
    }
    let a = send(&h.app, get("/api/v1/credentials", None)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

async fn passport(h: &Harness, token: &str, key: &str, id: &str, body: &str) -> Answer {
    send(
        &h.app,
        post(
            &format!("/api/v1/volunteers/{id}/passport"),
            Some(token),
            Some(key),
            body.to_owned(),
        ),
    )
    .await
}

async fn passport_summarises_the_records_and_verifies_offline(h: Harness) {
    let id = registered(&h, &iin(0)).await;
    // An empty record first: zeros and empty arrays.
    let empty = passport(&h, &h.token, "p0", &id, "").await;
    assert_eq!(
        empty.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&empty.body)
    );
    let s = verified_subject(&h, empty.json()["credential"].as_str().unwrap()).await;
    assert_eq!(
        (
            s["totalHours"].clone(),
            s["events"].clone(),
            s["hoursByCategory"].clone(),
            s["skills"].clone(),
            s["awards"].clone()
        ),
        (json!(0), json!(0), json!([]), json!([]), json!([]))
    );
    let hours = [
        (
            "Trees",
            10.0,
            Some("environment"),
            "2026-03-01",
            "2026-03-02",
        ),
        ("Shelter", 5.5, Some("social"), "2026-03-05", "2026-03-05"),
        ("Marathon", 3.0, None, "2026-04-01", "2026-04-01"),
        (
            "Old clean-up",
            4.0,
            Some("environment"),
            "2025-05-01",
            "2025-05-01",
        ),
        ("Revoked", 7.0, Some("social"), "2026-04-02", "2026-04-02"),
    ];
    let mut revoke_me = String::new();
    for (n, (activity, h_, cat, start, end)) in hours.iter().enumerate() {
        let mut body = hours_for(&id, activity, *h_, start, end);
        if let Some(c) = cat {
            body["credentialSubject"]["category"] = (*c).into();
        }
        let a = issue(&h, &format!("h{n}"), &body).await;
        assert_eq!(
            a.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&a.body)
        );
        revoke_me = a.json()["id"].as_str().unwrap().to_owned();
    }
    let r = send(
        &h.app,
        post(
            &format!("/api/v1/credentials/{revoke_me}/revoke"),
            Some(&h.token),
            Some("rv"),
            r#"{"reason":"not done"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut skill: Value = serde_json::from_str(include_str!("../../examples/skill.json")).unwrap();
    skill.as_object_mut().unwrap().remove("issuer");
    skill["volunteer"] = id.clone().into();
    skill["credentialSubject"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    assert_eq!(issue(&h, "s1", &skill).await.status, StatusCode::CREATED);
    let mut award: Value = serde_json::from_str(include_str!("../../examples/award.json")).unwrap();
    award.as_object_mut().unwrap().remove("issuer");
    award["volunteer"] = id.clone().into();
    award["validFrom"] = "2026-11-01T00:00:00Z".into();
    award["credentialSubject"]["awardDate"] = "2026-11-01".into();
    let a = issue(&h, "w1", &award).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );

    let (trust, key) = trusted(&h).await;
    let a = passport(&h, &h.token, "p1", &id, r#"{"format": "sd-jwt"}"#).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let out = a.json();
    assert_eq!(out["type"], "VolunteerPassportCredential");
    assert_eq!(out["volunteer"]["id"], id.as_str());
    let token = out["credential"].as_str().unwrap();
    let v = sdjwt::verify(token, &key, &sdjwt::VerifyOptions::at(SystemClock.now())).unwrap();
    let s = &v.claims["credentialSubject"];
    assert_eq!(s["name"], "Айгерим Нұрланова");
    assert_eq!(s["iin"], iin(0).as_str());
    assert_eq!(s["region"], "KZ-71");
    let today = {
        let t = time::OffsetDateTime::now_utc().date();
        format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
    };
    assert_eq!(s["asOf"], today.as_str());
    assert_eq!(s["totalHours"], json!(22.5));
    assert_eq!(s["events"], 4);
    assert_eq!(
        s["hoursByCategory"],
        json!([
            {"category": "social", "year": 2026, "hours": 5.5},
            {"category": "environment", "year": 2026, "hours": 10},
            {"category": "other", "year": 2026, "hours": 3},
            {"category": "environment", "year": 2025, "hours": 4},
        ])
    );
    assert_eq!(
        s["skills"],
        json!([{"skill": "First aid", "level": "basic", "trainingProvider": "Kazakhstan Red Crescent", "validUntil": "2028-09-15"}])
    );
    assert_eq!(
        s["awards"],
        json!([{"award": "Шапағат", "awardedBy": "National Volunteer Center", "awardDate": "2026-11-01"}])
    );
    // Valid one year from now.
    let from = v.claims["nbf"]
        .as_i64()
        .or(v.claims["iat"].as_i64())
        .unwrap();
    assert_eq!(v.claims["exp"].as_i64().unwrap() - from, 365 * 24 * 3600);

    // Offline: the verifier with the published trust list and status list only.
    let url = out["status_list"].as_str().unwrap();
    let path = url.split_once("://").unwrap().1;
    let path = &path[path.find('/').unwrap()..];
    let status_token = String::from_utf8(send(&h.app, get(path, None)).await.body).unwrap();
    let store = vpass_verifier::TrustStore::with_trust_list(Ok(trust), [status_token]);
    let now = SystemClock.now();
    let verdict = vpass_verifier::verify(token, &store, &vpass_verifier::Policy::at(now));
    assert!(verdict.valid, "{:?}", verdict.errors);
    assert!(verdict.status.checked && !verdict.status.revoked);
    assert!(verdict
        .types
        .iter()
        .any(|t| t == "VolunteerPassportCredential"));

    // Stored, listed, audited.
    let pid = out["id"].as_str().unwrap();
    let listed = list(
        &h,
        &h.token,
        &format!("?volunteer={id}&type=VolunteerPassportCredential"),
    )
    .await
    .json();
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 2);
    let read = send(
        &h.app,
        get(&format!("/api/v1/credentials/{pid}"), Some(&h.token)),
    )
    .await
    .json();
    assert_eq!(read["credential"], token);
    let audit = send(&h.app, get("/api/v1/audit?limit=1000", Some(&h.token)))
        .await
        .json();
    assert!(audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["subject"] == pid && e["action"] == "credential.issue"));
    // A passport is not counted in the next passport; retries replay.
    let again = passport(&h, &h.token, "p1", &id, r#"{"format": "sd-jwt"}"#).await;
    assert_eq!(again.body, a.body);
    let as_jwt = passport(&h, &h.token, "p2", &id, r#"{"format": "jwt"}"#).await;
    assert_eq!(as_jwt.status, StatusCode::CREATED);
    assert_eq!(as_jwt.json()["format"], "jwt");
    // Bad bodies and unknown volunteers.
    let a = passport(&h, &h.token, "p3", &id, r#"{"format": "pdf"}"#).await;
    assert_problem(&a, StatusCode::BAD_REQUEST, "INVALID_FIELD", Some("format"));
    let a = passport(&h, &h.token, "p4", &id, r#"{"colour": 1}"#).await;
    assert_problem(&a, StatusCode::BAD_REQUEST, "INVALID_FIELD", Some("colour"));
    let a = passport(&h, &h.token, "p5", "nobody", "").await;
    assert_problem(&a, StatusCode::NOT_FOUND, "NOT_FOUND", None);
}

async fn passport_of_an_officer_counts_its_office_only(h: Harness) {
    use vpass_issuer::service::add_operator;
    let store = h.service.store();
    let almaty = add_operator(store, "t", "Almaty", "officer", Some("kz-75"))
        .await
        .unwrap();
    let auditor = add_operator(store, "t", "Aud", "auditor", None)
        .await
        .unwrap();
    let id = registered(&h, &iin(0)).await;
    assert_eq!(
        issue(
            &h,
            "n1",
            &hours_for(&id, "National", 6.0, "2026-03-01", "2026-03-01")
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let body = hours_for(&id, "Almaty", 4.0, "2026-03-02", "2026-03-02");
    let a = send(
        &h.app,
        post(
            "/api/v1/credentials",
            Some(&almaty),
            Some("a1"),
            body.to_string(),
        ),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let p = passport(&h, &almaty, "pa", &id, "").await;
    assert_eq!(
        p.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&p.body)
    );
    let out = p.json();
    assert!(out["status_list"]
        .as_str()
        .unwrap()
        .contains("/status/kz-75/"));
    let token = out["credential"].as_str().unwrap();
    let claims = sdjwt::verify(
        token,
        &{
            let (list, _) = trusted(&h).await;
            let office = list
                .offices()
                .iter()
                .find(|o| o.id.ends_with("kz-75"))
                .unwrap()
                .clone();
            PublicKey::from_jwk(&office.keys[0].jwk).unwrap()
        },
        &sdjwt::VerifyOptions::at(SystemClock.now()),
    )
    .unwrap()
    .claims;
    assert_eq!(claims["credentialSubject"]["totalHours"], 4);
    let national = passport(&h, &h.token, "pn", &id, "").await;
    let s = verified_subject(&h, national.json()["credential"].as_str().unwrap()).await;
    assert_eq!(s["totalHours"], 10);
    assert_eq!(s["events"], 2);
    let a = passport(&h, &auditor, "px", &id, "").await;
    assert_problem(&a, StatusCode::FORBIDDEN, "FORBIDDEN", None);
}

/// Every way the IIN could show in stored bytes: as text, and in base64/base64url at each of
/// the three byte alignments (an SD-JWT disclosure is base64url of JSON holding it).
fn iin_forms(iin: &str) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let mut forms = vec![iin.as_bytes().to_vec()];
    for shift in 0..3usize {
        let mut bytes = vec![b'"'; shift];
        bytes.extend_from_slice(iin.as_bytes());
        for engine in [&STANDARD, &URL_SAFE_NO_PAD] {
            let enc = engine.encode(&bytes);
            // Drop the characters that also depend on the bytes before and after.
            let skip = (shift * 4).div_ceil(3);
            let keep = (bytes.len() * 4) / 3;
            forms.push(enc.as_bytes()[skip..keep].to_vec());
        }
    }
    forms
}

async fn raw_database_holds_no_iin_in_plaintext_or_base64(h: Harness) {
    let the_iin = iin(7);
    let id = registered(&h, &the_iin).await;
    assert_eq!(
        issue(
            &h,
            "i1",
            &hours_for(&id, "A", 2.0, "2026-03-01", "2026-03-01")
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let mut body = hours_body();
    body["credentialSubject"]["iin"] = iin(8).into();
    body["format"] = "jwt".into();
    assert_eq!(issue(&h, "i2", &body).await.status, StatusCode::CREATED);
    let rows = json!([hours_for(&id, "B", 1.0, "2026-03-02", "2026-03-02")]);
    assert_eq!(
        send(
            &h.app,
            batch_request(&h.token, "b", "application/json", rows.to_string())
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        passport(&h, &h.token, "p", &id, "").await.status,
        StatusCode::CREATED
    );
    let cid = list(&h, &h.token, "?limit=1").await.json()["credentials"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = send(
        &h.app,
        post(
            &format!("/api/v1/credentials/{cid}/revoke"),
            Some(&h.token),
            Some("r"),
            r#"{"reason":"x"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let _ = send(
        &h.app,
        get(&format!("/api/v1/volunteers?iin={the_iin}"), Some(&h.token)),
    )
    .await;

    let dump = raw_dump(&h).await;
    assert!(dump.len() > 10_000);
    for iin in [&the_iin, &iin(8)] {
        let hex: String = iin.bytes().map(|b| format!("{b:02x}")).collect();
        let mut forms = iin_forms(iin);
        forms.push(hex.into_bytes());
        for form in forms {
            assert!(
                !dump.windows(form.len()).any(|w| w == form.as_slice()),
                "{} found in the database",
                String::from_utf8_lossy(&form)
            );
        }
    }
    // And yet the API gives it back.
    let v = send(
        &h.app,
        get(&format!("/api/v1/volunteers/{id}"), Some(&h.token)),
    )
    .await
    .json();
    assert_eq!(v["iin"], the_iin.as_str());
}

async fn concurrent_requests_racing_the_daily_cap_issue_exactly_one(h: Harness) {
    let id = registered(&h, &iin(0)).await;
    for round in 0..3 {
        let day = format!("2026-03-1{round}");
        let one = hours_for(&id, &format!("Morning {round}"), 10.0, &day, &day);
        let two = hours_for(&id, &format!("Evening {round}"), 10.0, &day, &day);
        let (a, b) = tokio::join!(
            send(
                &h.app,
                post(
                    "/api/v1/credentials",
                    Some(&h.token),
                    Some(&format!("m{round}")),
                    one.to_string()
                )
            ),
            send(
                &h.app,
                post(
                    "/api/v1/credentials",
                    Some(&h.token),
                    Some(&format!("e{round}")),
                    two.to_string()
                )
            ),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY],
            "round {round}"
        );
        let refused = if a.status == StatusCode::CREATED {
            &b
        } else {
            &a
        };
        assert_eq!(refused.json()["code"], "DAILY_HOURS_OVER_CAP");
    }
    assert_eq!(h.service.store().credential_count().await.unwrap(), 3);
}

// ---- the linked paths with the operations of the store -----------------------------------

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
