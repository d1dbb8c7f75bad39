//! States are enums at the row boundary (issue 9, "types, not strings"): every key state,
//! role, credential kind and format goes into its row and comes back as itself, and a stored
//! value this version does not write is refused as corrupt (a clear error naming the column)
//! instead of becoming a default; problems and batch row errors carry their reason as a
//! member of its own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::http::StatusCode;
use serde_json::{json, Value};
use vpass_credential::issue::Format;
use vpass_credential::model::CredentialKind;
use vpass_issuer::service::{add_operator, RotateRequest};
use vpass_issuer::store::StoreError;
use vpass_issuer::types::{KeyState, Role};

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    kinds_formats_roles_and_key_states_round_trip_through_their_rows,
    reject_unknown_stored_format,
    reject_unknown_stored_kind,
    reject_unknown_stored_key_state,
    reject_unknown_stored_role,
    reject_unknown_stored_office_credential_type,
    reject_passport_from_incomplete_stored_facts,
    problems_and_batch_rows_carry_their_reason,
);

/// Issue `body` in `format` and return the credential id.
async fn issued(h: &Harness, key: &str, format: Format) -> String {
    let mut body = hours_body();
    body["format"] = format.as_str().into();
    let a = issue(h, key, &body).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    a.json()["id"].as_str().unwrap().to_owned()
}

fn assert_corrupt<T: std::fmt::Debug>(got: Result<T, StoreError>, column: &str) {
    match got {
        Err(StoreError::Corrupt(c)) => assert_eq!(c, column),
        other => panic!("expected StoreError::Corrupt({column:?}), got {other:?}"),
    }
}

/// The API answers a request that reads a corrupt row with a 500, never with a default.
async fn assert_internal(h: &Harness, uri: &str, token: &str) {
    let a = send(&h.app, get(uri, Some(token))).await;
    assert_problem(&a, StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", None);
}

async fn kinds_formats_roles_and_key_states_round_trip_through_their_rows(h: Harness) {
    let store = h.service.store();
    // Kind and format.
    for (n, format) in Format::ALL.into_iter().enumerate() {
        let id = issued(&h, &format!("round-{n}"), format).await;
        let row = store.credential(&id).await.unwrap().unwrap();
        assert_eq!(row.format, format);
        assert_eq!(row.kind, CredentialKind::Hours);
        let a = send(
            &h.app,
            get(&format!("/api/v1/credentials/{id}"), Some(&h.token)),
        )
        .await;
        assert_eq!(a.json()["format"], format.as_str());
        assert_eq!(a.json()["type"], "VolunteerHoursCredential");
    }
    // Roles, read back through their tokens.
    for (role, office) in [
        ("admin", None),
        ("auditor", None),
        ("officer", Some("kz-75")),
    ] {
        let token = add_operator(store, "test", "someone", role, office)
            .await
            .unwrap();
        let id = vpass_issuer::crypto::api_token_id(&token).unwrap();
        let row = store.token(id).await.unwrap().unwrap();
        let expected = match role {
            "admin" => Role::Admin,
            "auditor" => Role::Auditor,
            _ => Role::Officer("kz-75".into()),
        };
        assert_eq!(row.role, expected);
    }
    // Key states: active, then retired, then compromised (with their times).
    let rotate = |compromised| RotateRequest {
        reason: "round trip".into(),
        compromised,
        since: None,
    };
    let retired = h
        .service
        .rotate_office_key("test", "r1", "kz-75", &rotate(false))
        .await
        .unwrap();
    assert!(matches!(retired.previous_state, KeyState::Retired { .. }));
    let compromised = h
        .service
        .rotate_office_key("test", "r2", "kz-75", &rotate(true))
        .await
        .unwrap();
    assert!(matches!(
        compromised.previous_state,
        KeyState::Compromised { .. }
    ));
    let keys: Vec<_> = store
        .office_keys()
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.office_id == "kz-75")
        .collect();
    let state_of = |kid: &str| keys.iter().find(|k| k.kid == kid).unwrap().state;
    assert_eq!(state_of(&retired.previous_kid), retired.previous_state);
    assert_eq!(
        state_of(&compromised.previous_kid),
        compromised.previous_state
    );
    assert_eq!(state_of(&compromised.kid), KeyState::Active);
    // Credential types of an office.
    let all = CredentialKind::ALL;
    h.service
        .apply_credential_types("test", "kz-75", &all)
        .await
        .unwrap();
    assert_eq!(
        store.office_credential_types("kz-75").await.unwrap(),
        Some(all.to_vec())
    );
}

async fn reject_unknown_stored_format(h: Harness) {
    let id = issued(&h, "f", Format::VcJwt).await;
    h.raw_sql(&format!(
        "UPDATE credentials SET format = 'jwe' WHERE id = '{id}'"
    ))
    .await;
    // Neither read as SD-JWT nor as anything else: the row is refused.
    assert_corrupt(
        h.service.store().credential(&id).await,
        "credentials.format",
    );
    assert_internal(&h, &format!("/api/v1/credentials/{id}"), &h.token).await;
    assert_internal(&h, "/api/v1/credentials", &h.token).await;
    // Case matters: the stored text is exactly what this version writes.
    h.raw_sql(&format!(
        "UPDATE credentials SET format = 'SD-JWT' WHERE id = '{id}'"
    ))
    .await;
    assert_corrupt(
        h.service.store().credential(&id).await,
        "credentials.format",
    );
}

async fn reject_unknown_stored_kind(h: Harness) {
    let id = issued(&h, "k", Format::SdJwt).await;
    h.raw_sql(&format!(
        "UPDATE credentials SET kind = 'VolunteerMysteryCredential' WHERE id = '{id}'"
    ))
    .await;
    assert_corrupt(h.service.store().credential(&id).await, "credentials.kind");
    assert_internal(&h, &format!("/api/v1/credentials/{id}"), &h.token).await;
}

async fn reject_unknown_stored_key_state(h: Harness) {
    let store = h.service.store();
    h.raw_sql("UPDATE office_keys SET state = 'dormant' WHERE office_id = 'kz-75'")
        .await;
    assert_corrupt(store.office_keys().await, "office_keys.state");
    assert_internal(&h, "/api/v1/offices", &h.token).await;
    // A known state without the time it needs is no better.
    h.raw_sql(
        "UPDATE office_keys SET state = 'retired', state_at = NULL WHERE office_id = 'kz-75'",
    )
    .await;
    assert_corrupt(store.office_keys().await, "office_keys.state");
}

async fn reject_unknown_stored_role(h: Harness) {
    let store = h.service.store();
    let token = add_operator(store, "test", "Officer", "officer", Some("kz-75"))
        .await
        .unwrap();
    let id = vpass_issuer::crypto::api_token_id(&token)
        .unwrap()
        .to_owned();
    h.raw_sql("UPDATE operators SET role = 'superuser' WHERE office_id = 'kz-75'")
        .await;
    assert_corrupt(store.token(&id).await, "operators.role");
    // The request is refused with an internal error, not served under some default role.
    assert_internal(&h, "/api/v1/offices", &token).await;
    // An officer without an office is as corrupt as an unknown role.
    h.raw_sql("UPDATE operators SET role = 'officer', office_id = NULL WHERE role = 'superuser'")
        .await;
    assert_corrupt(store.token(&id).await, "operators.role");
}

async fn reject_unknown_stored_office_credential_type(h: Harness) {
    let store = h.service.store();
    h.raw_sql(
        "UPDATE offices SET credential_types = '[\"VolunteerHoursCredential\",\"Mystery\"]' \
         WHERE id = 'kz-75'",
    )
    .await;
    assert_corrupt(
        store.office_credential_types("kz-75").await,
        "offices.credential_types",
    );
    assert_corrupt(store.offices().await, "offices.credential_types");
}

async fn problems_and_batch_rows_carry_their_reason(h: Harness) {
    let mut zero = hours_body();
    zero["credentialSubject"]["hours"] = json!(0);
    // A problem.
    let a = issue(&h, "zero", &zero).await;
    assert_problem(
        &a,
        StatusCode::BAD_REQUEST,
        "INVALID_FIELD",
        Some("credentialSubject.hours"),
    );
    assert_eq!(a.json()["reason"], "must be a positive number");
    // A batch row error: the same reason beside the detail.
    let body = Value::Array(vec![hours_body(), zero]).to_string();
    let a = send(
        &h.app,
        post("/api/v1/credentials/batch", Some(&h.token), Some("b"), body),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let errors = a.json()["errors"].clone();
    assert_eq!(errors[0]["row"], 2);
    assert_eq!(errors[0]["reason"], "must be a positive number");
    assert!(errors[0]["detail"]
        .as_str()
        .unwrap()
        .contains("must be a positive number"));
    // A problem without a field-level reason has no reason member.
    let a = send(&h.app, get("/api/v1/credentials/nope", Some(&h.token))).await;
    assert_problem(&a, StatusCode::NOT_FOUND, "NOT_FOUND", None);
    assert_eq!(a.json().get("reason"), None);
}

async fn reject_passport_from_incomplete_stored_facts(h: Harness) {
    let id = registered(&h, &iin(0)).await;
    let mut body = hours_body();
    body["volunteer"] = id.clone().into();
    body["credentialSubject"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let a = issue(&h, "linked", &body).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let passport = |key: &'static str| {
        post(
            &format!("/api/v1/volunteers/{id}/passport"),
            Some(&h.token),
            Some(key),
            "",
        )
    };
    let a = send(&h.app, passport("p1")).await;
    assert_eq!(a.status, StatusCode::CREATED);
    // An hours credential whose stored hours are gone: the passport is refused rather than
    // issued without those hours.
    h.raw_sql("UPDATE credential_facts SET hours = NULL").await;
    let a = send(&h.app, passport("p2")).await;
    assert_problem(&a, StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", None);
    // So is one whose stored kind is unknown.
    h.raw_sql("UPDATE credentials SET kind = 'VolunteerMysteryCredential'")
        .await;
    let a = send(&h.app, passport("p3")).await;
    assert_problem(&a, StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", None);
}
