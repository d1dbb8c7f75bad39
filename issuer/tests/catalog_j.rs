//! Attack catalogue section J (the issuer's HTTP API) cases that no other suite states on
//! its own; the others are mapped to their tests in docs/threat-model.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

#[macro_use]
mod common;
use common::*;

on_both_backends!(j6_cookies_form_fields_and_query_tokens_never_authenticate);

/// J6 (CSRF): the API authenticates only with an `Authorization: Bearer` header, which a
/// browser never attaches to a cross-site request by itself. A valid token in a cookie, in a
/// form-encoded body or in the query string is not a credential: 401, nothing stored.
async fn j6_cookies_form_fields_and_query_tokens_never_authenticate(h: Harness) {
    let body = hours_body().to_string();
    let with_cookie = Request::post("/api/v1/credentials")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::COOKIE,
            format!("token={}; vpass_token={}", h.token, h.token),
        )
        .header("idempotency-key", "j6-cookie")
        .body(Body::from(body.clone()))
        .unwrap();
    let as_form = Request::post("/api/v1/credentials")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("idempotency-key", "j6-form")
        .body(Body::from(format!(
            "access_token={}&token={}",
            h.token, h.token
        )))
        .unwrap();
    let in_query = Request::post(format!("/api/v1/credentials?access_token={}", h.token))
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", "j6-query")
        .body(Body::from(body))
        .unwrap();
    for req in [with_cookie, as_form, in_query] {
        let a = send(&h.app, req).await;
        assert_problem(&a, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", None);
    }
    assert_eq!(h.service.store().credential_count().await.unwrap(), 0);
}
