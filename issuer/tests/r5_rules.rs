//! Regression tests of issue 8's authorisation and disclosure findings: which office may
//! issue which type (4), who reads the register (10), what refusals say about other offices
//! (14), server-assigned credential ids (17) and correcting a registration (18).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use vpass_credential::keys::PublicKey;
use vpass_credential::sdjwt;
use vpass_credential::time::{Clock, SystemClock};
use vpass_issuer::service::add_operator;

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    r5_passports_only_from_the_register_and_awards_only_national,
    r5_admin_sets_an_office_credential_types,
    r5_unlinked_hours_credential_is_marked,
    r5_volunteer_reads_are_scoped_masked_and_audited,
    r5_refusals_do_not_leak_other_offices_records,
    r5_client_credential_id_is_refused,
    r5_admin_corrects_a_squatted_registration,
);

const HOURS: &str = "VolunteerHoursCredential";
const SKILL: &str = "VolunteerSkillCredential";
const AWARD: &str = "VolunteerAwardCredential";
const PASSPORT: &str = "VolunteerPassportCredential";

async fn officer(h: &Harness, office: &str) -> String {
    add_operator(
        h.service.store(),
        "test",
        &format!("{office} officer"),
        "officer",
        Some(office),
    )
    .await
    .unwrap()
}

async fn issue_as(h: &Harness, token: &str, key: &str, body: &Value) -> Answer {
    send(
        &h.app,
        post(
            "/api/v1/credentials",
            Some(token),
            Some(key),
            body.to_string(),
        ),
    )
    .await
}

fn request(method: &str, uri: &str, token: &str, body: Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("idempotency-key", vpass_issuer::crypto::random_hex(8))
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn example(name: &str) -> Value {
    let text = match name {
        "award" => include_str!("../../examples/award.json"),
        "passport" => include_str!("../../examples/passport.json"),
        _ => include_str!("../../examples/skill.json"),
    };
    let mut v: Value = serde_json::from_str(text).unwrap();
    let obj = v.as_object_mut().unwrap();
    obj.remove("issuer");
    obj.remove("credentialStatus");
    v
}

/// An hours request with an IIN (linked to the register).
fn linked_hours(iin: &str, name: &str, activity: &str, hours: f64, day: &str) -> Value {
    let mut v = hours_body();
    let s = v["credentialSubject"].as_object_mut().unwrap();
    s.insert("iin".into(), iin.into());
    s.insert("name".into(), name.into());
    s.insert("activity".into(), activity.into());
    s.insert("hours".into(), json!(hours));
    s.insert("periodStart".into(), day.into());
    s.insert("periodEnd".into(), day.into());
    v
}

/// The trust list's office with this short id (`national`, `kz-75`).
fn office_in<'a>(
    list: &'a vpass_credential::trust::VerifiedTrustList,
    id: &str,
) -> &'a vpass_credential::trust::Office {
    list.offices()
        .iter()
        .find(|o| {
            if id == "national" {
                o.region.is_none()
            } else {
                o.id.ends_with(&format!(":offices:{id}"))
            }
        })
        .unwrap()
}

/// The claims of an SD-JWT issued by `office`, verified under the trust list.
async fn verified(h: &Harness, office: &str, token: &str) -> Value {
    let (list, _) = trusted(h).await;
    let o = office_in(&list, office);
    let key = PublicKey::from_jwk(&o.keys[0].jwk).unwrap();
    let v = sdjwt::verify(token, &key, &sdjwt::VerifyOptions::at(SystemClock.now())).unwrap();
    Value::Object(v.claims)
}

async fn audit_actions(h: &Harness) -> Vec<Value> {
    let a = send(&h.app, get("/api/v1/audit?limit=1000", Some(&h.token))).await;
    assert_eq!(a.status, StatusCode::OK);
    a.json()["entries"].as_array().unwrap().clone()
}

async fn r5_passports_only_from_the_register_and_awards_only_national(h: Harness) {
    let almaty = officer(&h, "kz-75").await;
    // A passport with invented totals, posted as a credential: refused for every operator.
    let mut passport = example("passport");
    passport["credentialSubject"]["totalHours"] = json!(10_000);
    passport["credentialSubject"]["hoursByCategory"] =
        json!([{"category": "social", "year": 2026, "hours": 10_000}]);
    passport["credentialSubject"]["events"] = json!(500);
    for token in [&almaty, &h.token] {
        let a = issue_as(&h, token, "forged-passport", &passport).await;
        assert_problem(
            &a,
            StatusCode::BAD_REQUEST,
            "PASSPORT_FROM_REGISTER",
            Some("type"),
        );
    }
    let mut batch = request(
        "POST",
        "/api/v1/credentials/batch",
        &almaty,
        json!([passport]),
    );
    batch
        .headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".try_into().unwrap());
    let a = send(&h.app, batch).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["issued"], json!([]));
    assert_eq!(a.json()["errors"][0]["code"], "PASSPORT_FROM_REGISTER");

    // A national award from a regional office: refused; the national office issues it.
    let award = example("award");
    let a = issue_as(&h, &almaty, "award", &award).await;
    assert_problem(
        &a,
        StatusCode::BAD_REQUEST,
        "ISSUER_NOT_AUTHORIZED",
        Some("type"),
    );
    let a = issue_as(&h, &h.token, "award", &award).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());

    // The trust list says so; a regional office still signs passports and skills.
    let (list, _) = trusted(&h).await;
    let regional = office_in(&list, "kz-75");
    assert_eq!(regional.credential_types, vec![HOURS, SKILL, PASSPORT]);
    assert_eq!(
        office_in(&list, "national").credential_types,
        vec![HOURS, SKILL, AWARD, PASSPORT]
    );

    // The passport endpoint still works for a regional office and verifies.
    let a = issue_as(
        &h,
        &almaty,
        "h1",
        &linked_hours(&iin(0), "Aigerim", "Clean-up", 4.0, "2026-03-01"),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    let vid = a.json()["volunteer"]["id"].as_str().unwrap().to_owned();
    let a = send(
        &h.app,
        post(
            &format!("/api/v1/volunteers/{vid}/passport"),
            Some(&almaty),
            Some("p1"),
            "",
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    let claims = verified(&h, "kz-75", a.json()["credential"].as_str().unwrap()).await;
    assert_eq!(claims["credentialSubject"]["totalHours"], json!(4));
    assert!(regional.may_issue(claims["vct"].as_str().unwrap()));
}

async fn r5_admin_sets_an_office_credential_types(h: Harness) {
    let almaty = officer(&h, "kz-75").await;
    let auditor = add_operator(h.service.store(), "t", "Auditor", "auditor", None)
        .await
        .unwrap();
    let uri = "/api/v1/offices/kz-75/credential-types";
    let all = json!({"credential_types": [AWARD, HOURS, SKILL, PASSPORT]});
    for token in [&almaty, &auditor] {
        let a = send(&h.app, request("PUT", uri, token, all.clone())).await;
        assert_problem(&a, StatusCode::FORBIDDEN, "FORBIDDEN", None);
    }
    for bad in [
        json!({"credential_types": ["NoSuchCredential"]}),
        json!({"credential_types": [HOURS, HOURS]}),
        json!({"credential_types": HOURS}),
        json!({"types": [HOURS]}),
    ] {
        let a = send(&h.app, request("PUT", uri, &h.token, bad.clone())).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(a.json()["code"], "INVALID_FIELD", "{bad}");
    }
    let a = send(
        &h.app,
        request(
            "PUT",
            "/api/v1/offices/nowhere/credential-types",
            &h.token,
            all.clone(),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    let (before, _) = trusted(&h).await;
    let a = send(&h.app, request("PUT", uri, &h.token, all.clone())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json());
    assert_eq!(
        a.json()["credential_types"],
        json!([HOURS, SKILL, AWARD, PASSPORT])
    );
    // The trust list is re-signed at once under the next sequence number.
    let (after, _) = trusted(&h).await;
    assert!(after.sequence() > before.sequence());
    assert!(office_in(&after, "kz-75").may_issue(AWARD));
    // The office issues awards now.
    let a = issue_as(&h, &almaty, "award", &example("award")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    // The same request again changes nothing and records nothing.
    let a = send(&h.app, request("PUT", uri, &h.token, all.clone())).await;
    assert_eq!(a.status, StatusCode::OK);
    let changes: Vec<Value> = audit_actions(&h)
        .await
        .into_iter()
        .filter(|e| e["action"] == "office.credential_types")
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["office"], "kz-75");
    // Taking a type away refuses it at once.
    let a = send(
        &h.app,
        request(
            "PUT",
            uri,
            &h.token,
            json!({"credential_types": [HOURS, PASSPORT]}),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = issue_as(&h, &almaty, "skill", &example("skill")).await;
    assert_problem(
        &a,
        StatusCode::BAD_REQUEST,
        "ISSUER_NOT_AUTHORIZED",
        Some("type"),
    );
    let (last, _) = trusted(&h).await;
    assert_eq!(
        office_in(&last, "kz-75").credential_types,
        vec![HOURS, PASSPORT]
    );
}

async fn r5_unlinked_hours_credential_is_marked(h: Harness) {
    // No IIN, no volunteer: the register's checks could not run; the credential says so.
    let a = issue(&h, "u1", &hours_body()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    assert!(a.json().get("volunteer").is_none());
    let claims = verified(&h, "national", a.json()["credential"].as_str().unwrap()).await;
    assert_eq!(claims["credentialSubject"]["unlinked"], json!(true));
    // A linked one is not marked.
    let a = issue(
        &h,
        "l1",
        &linked_hours(&iin(0), "Aigerim", "Clean-up", 4.0, "2026-03-01"),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    let claims = verified(&h, "national", a.json()["credential"].as_str().unwrap()).await;
    assert!(claims["credentialSubject"].get("unlinked").is_none());
    // The client does not set the mark.
    let mut body = linked_hours(&iin(1), "Aigerim", "Clean-up", 4.0, "2026-03-01");
    body["credentialSubject"]["unlinked"] = json!(true);
    let a = issue(&h, "l2", &body).await;
    assert_problem(
        &a,
        StatusCode::BAD_REQUEST,
        "INVALID_FIELD",
        Some("credentialSubject.unlinked"),
    );
}

async fn r5_volunteer_reads_are_scoped_masked_and_audited(h: Harness) {
    let almaty = officer(&h, "kz-75").await;
    let astana = officer(&h, "kz-71").await;
    let auditor = add_operator(h.service.store(), "t", "Auditor", "auditor", None)
        .await
        .unwrap();
    let a = issue_as(
        &h,
        &almaty,
        "a1",
        &linked_hours(&iin(0), "Almaty Person", "Clean-up", 4.0, "2026-03-01"),
    )
    .await;
    let in_almaty = a.json()["volunteer"]["id"].as_str().unwrap().to_owned();
    let a = issue_as(
        &h,
        &astana,
        "b1",
        &linked_hours(&iin(1), "Astana Person", "Clean-up", 4.0, "2026-03-01"),
    )
    .await;
    let in_astana = a.json()["volunteer"]["id"].as_str().unwrap().to_owned();
    let masked = |i: &str| format!("{}******{}", &i[..4], &i[10..]);

    // An officer lists and reads only volunteers of their office's credentials, IIN masked.
    let list = send(&h.app, get("/api/v1/volunteers", Some(&almaty))).await;
    assert_eq!(list.status, StatusCode::OK);
    let vols = list.json()["volunteers"].as_array().unwrap().clone();
    assert_eq!(vols.len(), 1, "{vols:?}");
    assert_eq!(vols[0]["id"], in_almaty.as_str());
    assert_eq!(vols[0]["iin"], masked(&iin(0)));
    let a = send(
        &h.app,
        get(&format!("/api/v1/volunteers/{in_astana}"), Some(&almaty)),
    )
    .await;
    assert_problem(&a, StatusCode::NOT_FOUND, "NOT_FOUND", None);
    let a = send(
        &h.app,
        get(&format!("/api/v1/volunteers/{in_almaty}"), Some(&almaty)),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["iin"], masked(&iin(0)));
    // ... and cannot issue a passport (which holds the IIN) for another office's volunteer.
    let a = send(
        &h.app,
        post(
            &format!("/api/v1/volunteers/{in_astana}/passport"),
            Some(&almaty),
            Some("p"),
            "",
        ),
    )
    .await;
    assert_problem(&a, StatusCode::NOT_FOUND, "NOT_FOUND", None);
    // An exact IIN look-up finds anyone (the clerk has the IIN), IIN in full.
    let a = send(
        &h.app,
        get(&format!("/api/v1/volunteers?iin={}", iin(1)), Some(&almaty)),
    )
    .await;
    assert_eq!(a.json()["volunteers"][0]["id"], in_astana.as_str());
    assert_eq!(a.json()["volunteers"][0]["iin"], iin(1).as_str());
    // An auditor sees everyone, masked.
    let a = send(&h.app, get("/api/v1/volunteers", Some(&auditor))).await;
    let vols = a.json()["volunteers"].as_array().unwrap().clone();
    assert_eq!(vols.len(), 2);
    assert!(vols
        .iter()
        .all(|v| v["iin"].as_str().unwrap().contains("******")));
    let a = send(
        &h.app,
        get(&format!("/api/v1/volunteers/{in_astana}"), Some(&auditor)),
    )
    .await;
    assert_eq!(a.json()["iin"], masked(&iin(1)));

    // Every read is in the audit log: one entry per request, naming whom it returned.
    let entries = audit_actions(&h).await;
    let reads: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            matches!(
                e["action"].as_str().unwrap(),
                "volunteer.read" | "volunteer.list" | "volunteer.lookup"
            )
        })
        .collect();
    assert_eq!(reads.len(), 5, "{reads:?}");
    let list_entries: Vec<&&Value> = reads
        .iter()
        .filter(|e| e["action"] == "volunteer.list")
        .collect();
    assert_eq!(list_entries.len(), 2);
    let detail = list_entries[1]["detail"].as_str().unwrap();
    assert!(detail.starts_with("2 volunteers"), "{detail}");
    assert!(
        detail.contains(&in_almaty) && detail.contains(&in_astana),
        "{detail}"
    );
    assert!(reads
        .iter()
        .any(|e| e["action"] == "volunteer.read" && e["subject"] == in_almaty.as_str()));
}

async fn r5_refusals_do_not_leak_other_offices_records(h: Harness) {
    let almaty = officer(&h, "kz-75").await;
    let astana = officer(&h, "kz-71").await;
    let first = linked_hours(&iin(0), "Aigerim", "Tree planting", 10.0, "2026-03-01");
    let a = issue_as(&h, &almaty, "a1", &first).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    let almaty_id = a.json()["id"].as_str().unwrap().to_owned();

    // Another office: told a duplicate exists, not which credential.
    let a = issue_as(&h, &astana, "b1", &first).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = a.json();
    assert_eq!(p["code"], "DUPLICATE_EVENT");
    assert!(p.get("credential").is_none(), "{p}");
    assert!(!p.to_string().contains(&almaty_id), "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("another office"),
        "{p}"
    );
    // The same office is told which one.
    let a = issue_as(&h, &almaty, "a2", &first).await;
    assert_eq!(a.json()["code"], "DUPLICATE_EVENT");
    assert_eq!(a.json()["credential"], almaty_id.as_str());

    // Daily cap: another office hears of a conflict, not of the 10 hours recorded.
    let more = linked_hours(&iin(0), "Aigerim", "Food bank", 8.0, "2026-03-01");
    let a = issue_as(&h, &astana, "b2", &more).await;
    assert_eq!(a.json()["code"], "DAILY_HOURS_OVER_CAP");
    let detail = a.json()["detail"].as_str().unwrap().to_owned();
    assert!(!detail.contains("10 already"), "{detail}");
    assert!(!detail.contains("18"), "{detail}");
    assert!(detail.contains("other offices"), "{detail}");
    let a = issue_as(&h, &almaty, "a3", &more).await;
    let detail = a.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("18 hours (10 already recorded + 8"),
        "{detail}"
    );
    // In a batch too.
    let mut req = request(
        "POST",
        "/api/v1/credentials/batch",
        &astana,
        json!([first, more]),
    );
    req.headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".try_into().unwrap());
    let a = send(&h.app, req).await;
    let out = a.json();
    assert_eq!(out["errors"].as_array().unwrap().len(), 2, "{out}");
    assert!(!out.to_string().contains(&almaty_id), "{out}");
    assert!(!out.to_string().contains("10 already"), "{out}");
}

async fn r5_client_credential_id_is_refused(h: Harness) {
    let a = issue(&h, "first", &hours_body()).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let id = a.json()["id"].as_str().unwrap().to_owned();
    // The issued credential carries the server's id.
    let claims = verified(&h, "national", a.json()["credential"].as_str().unwrap()).await;
    assert_eq!(claims["id"], format!("urn:uuid:{id}"));
    // A client id, even one copied from another credential, is refused.
    let mut body = hours_body();
    body["id"] = format!("urn:uuid:{id}").into();
    let a = issue(&h, "copy", &body).await;
    assert_problem(&a, StatusCode::BAD_REQUEST, "INVALID_FIELD", Some("id"));
    let mut req = request("POST", "/api/v1/credentials/batch", &h.token, json!([body]));
    req.headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".try_into().unwrap());
    let a = send(&h.app, req).await;
    assert_eq!(a.json()["issued"], json!([]));
    assert_eq!(a.json()["errors"][0]["code"], "INVALID_FIELD");
    assert_eq!(a.json()["errors"][0]["field"], "id");
    let csv = format!(
        "id,name,hours,activity,organization,periodStart,periodEnd,validFrom,validUntil\n\
         urn:uuid:{id},Aigerim,2,Clean-up,Astana VC,2026-03-01,2026-03-01,\
         2026-06-01T00:00:00Z,2031-06-01T00:00:00Z\n"
    );
    let req = Request::post("/api/v1/credentials/batch?type=VolunteerHoursCredential")
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::AUTHORIZATION, format!("Bearer {}", h.token))
        .header("idempotency-key", "csv")
        .body(Body::from(csv))
        .unwrap();
    let a = send(&h.app, req).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json());
    assert_eq!(a.json()["issued"], json!([]));
    assert_eq!(a.json()["errors"][0]["field"], "id");
}

async fn r5_admin_corrects_a_squatted_registration(h: Harness) {
    let almaty = officer(&h, "kz-75").await;
    let astana = officer(&h, "kz-71").await;
    // The first office registers the IIN under a wrong name.
    let squat = linked_hours(&iin(0), "Wrong Name", "Clean-up", 2.0, "2026-03-01");
    let a = issue_as(&h, &almaty, "s1", &squat).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    let vid = a.json()["volunteer"]["id"].as_str().unwrap().to_owned();
    // Another office is refused and told whom to ask, without the registered name.
    let right = linked_hours(&iin(0), "Айгерим Нұрланова", "Food bank", 2.0, "2026-03-02");
    let a = issue_as(&h, &astana, "r1", &right).await;
    assert_eq!(a.json()["code"], "VOLUNTEER_MISMATCH");
    let detail = a.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("kz-75"), "{detail}");
    assert!(detail.contains("admin"), "{detail}");
    assert!(!detail.contains("Wrong Name"), "{detail}");
    // Only an admin corrects it.
    let uri = format!("/api/v1/volunteers/{vid}");
    let fix = json!({"name": {"kk": "Айгерим Нұрланова", "en": "Aigerim Nurlanova"},
                     "email": "aigerim@example.kz"});
    for token in [&almaty, &astana] {
        let a = send(&h.app, request("PATCH", &uri, token, fix.clone())).await;
        assert_problem(&a, StatusCode::FORBIDDEN, "FORBIDDEN", None);
    }
    for bad in [
        json!({"iin": iin(1)}),
        json!({"name": {"xx": "A"}}),
        json!({"email": "not an address"}),
        json!({}),
    ] {
        let a = send(&h.app, request("PATCH", &uri, &h.token, bad.clone())).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let a = send(
        &h.app,
        request("PATCH", "/api/v1/volunteers/nope", &h.token, fix.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = send(&h.app, request("PATCH", &uri, &h.token, fix.clone())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json());
    assert_eq!(
        a.json()["name"],
        json!({"kk": "Айгерим Нұрланова", "en": "Aigerim Nurlanova"})
    );
    assert_eq!(a.json()["email"], "aigerim@example.kz");
    // Idempotent: the same correction again changes and records nothing.
    let again = send(&h.app, request("PATCH", &uri, &h.token, fix.clone())).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json(), a.json());
    let corrections: Vec<Value> = audit_actions(&h)
        .await
        .into_iter()
        .filter(|e| e["action"] == "volunteer.correct")
        .collect();
    assert_eq!(corrections.len(), 1, "{corrections:?}");
    assert_eq!(corrections[0]["subject"], vid.as_str());
    assert!(!corrections[0]["detail"]
        .as_str()
        .unwrap()
        .contains("Aigerim"));
    // Now the other office issues under the right name.
    let a = issue_as(&h, &astana, "r2", &right).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    assert_eq!(a.json()["volunteer"]["id"], vid.as_str());
}
