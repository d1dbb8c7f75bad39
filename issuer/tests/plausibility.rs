//! The plausibility checks on single issuance, each test on SQLite and on PostgreSQL: hours
//! over the cap per credential, hours over the daily cap (naming the day; a revoked credential
//! frees its hours), a duplicate event unless confirmed (revoked credentials do not count), and
//! two concurrent requests racing the daily cap issue exactly one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::http::StatusCode;
use serde_json::json;

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    reject_hours_over_the_cap,
    reject_daily_hours_over_the_cap_naming_the_day,
    reject_duplicate_event_unless_confirmed_and_revoked_ones_do_not_count,
    concurrent_requests_racing_the_daily_cap_issue_exactly_one,
);

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
