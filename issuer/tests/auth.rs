//! Who may do what, and the record of what was done, each test on SQLite and on PostgreSQL:
//! bearer tokens (missing, wrong, malformed, revoked are refused with 401); operators' roles
//! and office scope (an officer sees and writes its own office only, an auditor only reads,
//! an operator with an unknown role or office is not created); the rate limit per token and
//! per client address, which writes count against and a restart does not reset; and the
//! audit log, a hash chain recording every change without credential contents, in which an
//! edited, cut or deleted entry is found.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::http::{header, StatusCode};
use vpass_credential::keys::PublicKey;
use vpass_credential::sdjwt;
use vpass_credential::status;
use vpass_credential::time::{Clock, SystemClock};

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    officers_are_scoped_to_their_office_and_auditors_only_read,
    audit_log_records_every_change_in_an_intact_chain,
    reject_tampered_audit_log,
    reject_revoked_token,
    reject_operators_with_unknown_role_or_office,
    reject_missing_wrong_or_malformed_token,
    rate_limit_answers_429_with_retry_after_and_survives_restart,
);

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
