//! Batch issuance (`POST /api/v1/credentials/batch`), each test on SQLite and on PostgreSQL: a
//! JSON or CSV batch issues its valid rows and reports every refused row with its code and
//! field; an oversized or malformed batch, or an unknown column or type, is refused whole and
//! stores nothing; each row is linked to the volunteer register and put through the same
//! plausibility checks as a single issue, against stored credentials and the earlier rows of
//! the batch; a retry replays the report byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use vpass_credential::sdjwt;
use vpass_credential::time::{Clock, SystemClock};

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    batch_of_json_issues_valid_rows_and_reports_invalid_ones,
    batch_of_csv_issues_valid_rows_and_reports_invalid_ones,
    reject_oversized_or_malformed_batches,
    batch_refuses_implausible_rows_and_issues_the_others,
    batch_links_rows_whose_iin_is_registered_and_checks_them,
    csv_batch_links_volunteers_and_confirms_duplicates,
);

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
