//! Reading back what was issued, each test on SQLite and on PostgreSQL: the credential list
//! (filters, pages, office scope; bad parameters refused, named) and the volunteer passport,
//! which summarises a volunteer's records (an officer's counts its own office only) and
//! verifies offline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::http::StatusCode;
use serde_json::{json, Value};
use vpass_credential::keys::PublicKey;
use vpass_credential::sdjwt;
use vpass_credential::time::{Clock, SystemClock};

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    list_credentials_filters_paginates_and_scopes,
    reject_bad_credential_list_parameters,
    passport_summarises_the_records_and_verifies_offline,
    passport_of_an_officer_counts_its_office_only,
);

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
