//! The volunteer register, each test on SQLite and on PostgreSQL: registration (validated,
//! one volunteer per IIN), reads and searches by IIN and by name (paged, audited without the
//! IIN); issuance for a named volunteer fills the subject from the register and refuses a
//! contradiction; an IIN in a credential links to its volunteer or registers one; and the raw
//! database holds no IIN in any readable form while the API still gives it back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::http::StatusCode;
use serde_json::{json, Value};

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    register_read_and_find_volunteers,
    reject_second_registration_of_an_iin_naming_the_volunteer,
    reject_bad_volunteer_registrations,
    issue_for_a_named_volunteer_fills_the_subject_from_the_register,
    issue_with_an_iin_links_or_registers_the_volunteer,
    raw_database_holds_no_iin_in_plaintext_or_base64,
);

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
