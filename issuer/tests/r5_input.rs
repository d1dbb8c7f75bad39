//! Hostile input to the issuer (issue 8, findings 1, 15 and 20): every route, fed huge, deeply
//! nested, control-character, bidi and invalid UTF-8 input, answers a 4xx problem and stores
//! nothing; CSV headers are limited before a row is built; one text rule holds for every stored
//! or queried string; the bearer scheme is case-insensitive.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[macro_use]
mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    r5_hostile_input_to_every_route,
    r5_csv_header_is_limited_before_rows_are_built,
    r5_text_rule_refuses_nul_esc_and_bidi_everywhere,
    r5_invisible_or_bidi_names_are_refused,
    r5_bearer_scheme_is_case_insensitive,
);

/// One credential and one volunteer, so that hostile requests can name real ids.
async fn seed(h: &Harness) -> (String, String) {
    let a = issue(h, "seed-credential", &hours_body()).await;
    assert!(
        a.status.is_success(),
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let credential = a.json()["id"].as_str().unwrap().to_owned();
    let a = send(
        &h.app,
        post(
            "/api/v1/volunteers",
            Some(&h.token),
            Some("seed-volunteer"),
            volunteer_body(&iin(0)).to_string(),
        ),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let volunteer = a.json()["id"].as_str().unwrap().to_owned();
    (credential, volunteer)
}

/// A request with any method, URI, content type, authorization and body. The URI is taken as
/// raw bytes, so that it may carry percent-encoded invalid UTF-8.
fn request(
    method: &str,
    uri: &str,
    auth: Option<&str>,
    key: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(uri);
    if let Some(a) = auth {
        b = b.header(header::AUTHORIZATION, a);
    }
    if let Some(k) = key {
        b = b.header("idempotency-key", k);
    }
    if let Some(c) = content_type {
        b = b.header(header::CONTENT_TYPE, c);
    }
    b.body(body.into()).unwrap()
}

/// Every (METHOD, path template) the OpenAPI document describes (the route table in
/// `issuer/src/http/mod.rs` names the same, see `tests/openapi.rs`).
fn documented_operations() -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(vpass_issuer::http::publish::OPENAPI).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// A JSON string member `{"<name>": "<text>"}` with `text` escaped by serde.
fn member(name: &str, text: &str) -> String {
    json!({ name: text }).to_string()
}

/// Nested objects `{"a":{"a":…}}`, `depth` deep: past the JSON depth limit, under the body
/// limit.
fn object_bomb(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

/// A CSV header cell of `segments` dot-separated names: the finding-1 crash.
fn deep_csv_header(segments: usize) -> String {
    format!("name,{}\nA,1\n", vec!["a"; segments].join("."))
}

/// Hostile strings for text members and query values.
const HOSTILE_TEXTS: [&str; 6] = [
    "a\u{0}b",
    "\u{1b}[31mred",
    "abc\u{202e}fdp.exe",
    "\u{2066}isolate\u{2069}",
    "\u{200b}\u{200b}\u{200d}",
    "line\u{2028}break",
];

/// Hostile path segments (percent-encoded): NUL, ESC, right-to-left override, isolates,
/// invalid UTF-8, an overlong encoding, a huge id, and a lone surrogate encoded as UTF-8.
fn hostile_segments() -> Vec<String> {
    vec![
        "%00".into(),
        "a%00b".into(),
        "%1B%5B31m".into(),
        "abc%E2%80%AEexe".into(),
        "%E2%81%A6x%E2%81%A9".into(),
        "%FF".into(),
        "%C0%AF".into(),
        "%ED%A0%80".into(),
        "x".repeat(20_000),
    ]
}

/// Every hostile request, by the documented operation it targets. `h.token` is an admin's;
/// `cred` and `vol` are real ids (so that body checks are reached).
fn hostile_cases(
    h: &Harness,
    cred: &str,
    vol: &str,
) -> Vec<((&'static str, &'static str), Request<Body>)> {
    let bearer = format!("Bearer {}", h.token);
    let lower = format!("bearer {}", h.token);
    let auth = Some(bearer.as_str());
    let mut cases: Vec<((&'static str, &'static str), Request<Body>)> = Vec::new();
    let mut add = |op: (&'static str, &'static str), req: Request<Body>| cases.push((op, req));

    // Bodies every JSON write is fed.
    let mut bodies: Vec<(Option<&'static str>, Vec<u8>)> = vec![
        (Some("application/json"), "[".repeat(60_000).into_bytes()),
        (Some("application/json"), object_bomb(100).into_bytes()),
        (Some("application/json"), vec![b'{'; 100 * 1024]),
        (
            Some("application/json"),
            br#"{"reason":"a","reason":"b"}"#.to_vec(),
        ),
        (
            Some("application/json"),
            b"{\"reason\":\"\xff\xfe\"}".to_vec(),
        ),
        (Some("application/json"), br#"{"reason":"\ud800"}"#.to_vec()),
        (Some("application/json"), b"\xef\xbb\xbf{}".to_vec()),
        (Some("application/json"), br#"{"reason":1e400}"#.to_vec()),
        (
            Some("application/json"),
            br#"{"reason":["x"],"name":{"kk":5}}"#.to_vec(),
        ),
        (Some("application/json"), b"{} trailing".to_vec()),
        (Some("text/xml"), b"<reason>x</reason>".to_vec()),
        (None, b"\x00\x01\x02".to_vec()),
    ];
    for t in HOSTILE_TEXTS {
        bodies.push((Some("application/json"), member("reason", t).into_bytes()));
    }

    // Writes: every body, under the upper- and the lower-case scheme.
    let writes: [(&'static str, &'static str, String); 7] = [
        ("POST", "/api/v1/credentials", "/api/v1/credentials".into()),
        (
            "POST",
            "/api/v1/credentials/{id}/revoke",
            format!("/api/v1/credentials/{cred}/revoke"),
        ),
        (
            "POST",
            "/api/v1/offices/{office}/keys/rotate",
            "/api/v1/offices/national/keys/rotate".into(),
        ),
        (
            "PUT",
            "/api/v1/offices/{office}/credential-types",
            "/api/v1/offices/kz-75/credential-types".into(),
        ),
        ("POST", "/api/v1/volunteers", "/api/v1/volunteers".into()),
        (
            "PATCH",
            "/api/v1/volunteers/{id}",
            format!("/api/v1/volunteers/{vol}"),
        ),
        (
            "POST",
            "/api/v1/volunteers/{id}/passport",
            format!("/api/v1/volunteers/{vol}/passport"),
        ),
    ];
    for (method, template, uri) in &writes {
        for (i, (ct, body)) in bodies.iter().enumerate() {
            for a in [&bearer, &lower] {
                let key = format!("hostile-{i}");
                add(
                    (method, template),
                    request(method, uri, Some(a), Some(&key), *ct, body.clone()),
                );
            }
        }
        // No token, a hostile token; the wrong method on the route.
        add(
            (method, template),
            request(method, uri, None, Some("k"), Some("application/json"), "{}"),
        );
        let mut r = request(method, uri, None, Some("k"), Some("application/json"), "{}");
        r.headers_mut().insert(
            header::AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer \xff\xfe\x7e").unwrap(),
        );
        add((method, template), r);
        add(
            (method, template),
            request("DELETE", uri, auth, Some("k"), None, ""),
        );
        if *method != "POST" {
            // PUT and PATCH set a state and need no Idempotency-Key.
            continue;
        }
        // No, an empty, a huge and a non-ASCII Idempotency-Key.
        add(
            (method, template),
            request(method, uri, auth, None, Some("application/json"), "{}"),
        );
        add(
            (method, template),
            request(method, uri, auth, Some(""), Some("application/json"), "{}"),
        );
        add(
            (method, template),
            request(
                method,
                uri,
                auth,
                Some(&"k".repeat(10_000)),
                Some("application/json"),
                "{}",
            ),
        );
        let mut r = request(method, uri, auth, None, Some("application/json"), "{}");
        r.headers_mut().insert(
            "idempotency-key",
            HeaderValue::from_bytes(b"k\xff\xfe").unwrap(),
        );
        add((method, template), r);
    }

    // Credentials whose text members break the text rule, single and in a JSON batch.
    for t in HOSTILE_TEXTS {
        for field in ["name", "activity", "organization"] {
            let mut body = hours_body();
            body["credentialSubject"][field] = t.into();
            add(
                ("POST", "/api/v1/credentials"),
                request(
                    "POST",
                    "/api/v1/credentials",
                    auth,
                    Some("t"),
                    Some("application/json"),
                    body.to_string(),
                ),
            );
        }
        let mut body = volunteer_body(&iin(1));
        body["name"]["kk"] = t.into();
        add(
            ("POST", "/api/v1/volunteers"),
            request(
                "POST",
                "/api/v1/volunteers",
                auth,
                Some("t"),
                Some("application/json"),
                body.to_string(),
            ),
        );
        let mut body = hours_body();
        body["volunteer"] = t.into();
        add(
            ("POST", "/api/v1/credentials"),
            request(
                "POST",
                "/api/v1/credentials",
                auth,
                Some("v"),
                Some("application/json"),
                body.to_string(),
            ),
        );
    }

    // Batches: refused whole (header, body shape, type), so nothing is issued.
    let batch = "/api/v1/credentials/batch";
    let batch_bodies: Vec<(&str, Vec<u8>)> = vec![
        ("text/csv", deep_csv_header(100_000).into_bytes()),
        ("text/csv", deep_csv_header(40).into_bytes()),
        (
            "text/csv",
            format!("{}\n", vec!["name"; 100_000].join(",")).into_bytes(),
        ),
        (
            "text/csv",
            format!("name,{}\nA,1\n", "x".repeat(100_000)).into_bytes(),
        ),
        ("text/csv", b"name,hourz\nA,1\n".to_vec()),
        ("text/csv", b"name,name\nA,B\n".to_vec()),
        ("text/csv", b"name,achievement\nA,B\n".to_vec()),
        ("text/csv", b"name,a\x00b\nA,B\n".to_vec()),
        ("text/csv", "name,\u{202e}hours\nA,1\n".as_bytes().to_vec()),
        ("text/csv", b"name,\xff\xfe\nA,1\n".to_vec()),
        ("text/csv", b"".to_vec()),
        ("text/csv", br#"[{"credentialSubject":{}}]"#.to_vec()),
        ("application/json", "[".repeat(200_000).into_bytes()),
        (
            "application/json",
            format!("[{}]", object_bomb(100)).into_bytes(),
        ),
        ("application/json", br#"{"not":"an array"}"#.to_vec()),
        ("application/json", br#"[{"a":1,"a":2}]"#.to_vec()),
        ("application/json", b"[\"\xff\"]".to_vec()),
        ("text/plain", b"name\nA\n".to_vec()),
    ];
    for (i, (ct, body)) in batch_bodies.into_iter().enumerate() {
        for a in [&bearer, &lower] {
            let key = format!("batch-{i}");
            add(
                ("POST", batch),
                request("POST", batch, Some(a), Some(&key), Some(ct), body.clone()),
            );
        }
    }
    for q in [
        "?type=%00",
        "?type=Nope",
        "?type=VolunteerHoursCredential&x=1",
        "?%FF=1",
    ] {
        add(
            ("POST", batch),
            request(
                "POST",
                &format!("{batch}{q}"),
                auth,
                Some("q"),
                Some("text/csv"),
                "name\nA\n",
            ),
        );
    }
    add(
        ("POST", batch),
        request(
            "POST",
            batch,
            None,
            Some("k"),
            Some("text/csv"),
            "name\nA\n",
        ),
    );
    add(
        ("POST", batch),
        request("PUT", batch, auth, Some("k"), Some("text/csv"), "name\nA\n"),
    );

    // Path ids: every route with a path parameter, every hostile segment.
    for seg in hostile_segments() {
        for (m, template, uri) in [
            (
                "GET",
                "/api/v1/credentials/{id}",
                format!("/api/v1/credentials/{seg}"),
            ),
            (
                "POST",
                "/api/v1/credentials/{id}/revoke",
                format!("/api/v1/credentials/{seg}/revoke"),
            ),
            (
                "POST",
                "/api/v1/offices/{office}/keys/rotate",
                format!("/api/v1/offices/{seg}/keys/rotate"),
            ),
            (
                "GET",
                "/api/v1/volunteers/{id}",
                format!("/api/v1/volunteers/{seg}"),
            ),
            (
                "POST",
                "/api/v1/volunteers/{id}/passport",
                format!("/api/v1/volunteers/{seg}/passport"),
            ),
            (
                "PATCH",
                "/api/v1/volunteers/{id}",
                format!("/api/v1/volunteers/{seg}"),
            ),
            (
                "PUT",
                "/api/v1/offices/{office}/credential-types",
                format!("/api/v1/offices/{seg}/credential-types"),
            ),
            ("GET", "/status/{office}/{n}", format!("/status/{seg}/1")),
            (
                "GET",
                "/status/{office}/{n}",
                format!("/status/national/{seg}"),
            ),
            (
                "GET",
                "/offices/{office}/did.json",
                format!("/offices/{seg}/did.json"),
            ),
        ] {
            let body = match m {
                "POST" => member("reason", "ok"),
                "PATCH" => r#"{"email":"a@example.kz"}"#.to_owned(),
                "PUT" => r#"{"credential_types":["VolunteerHoursCredential"]}"#.to_owned(),
                _ => String::new(),
            };
            add(
                (m, template),
                request(m, &uri, auth, Some("p"), Some("application/json"), body),
            );
        }
    }
    for n in ["0", "-1", "99999999999999999999999", "1.5", "%2B1"] {
        add(
            ("GET", "/status/{office}/{n}"),
            request(
                "GET",
                &format!("/status/national/{n}"),
                None,
                None,
                None,
                "",
            ),
        );
    }

    // Query strings of the reads.
    let mut queries: Vec<String> = vec![
        "name=%00".into(),
        "name=a%00b".into(),
        "name=%1B%5B31m".into(),
        "name=%E2%80%AE".into(),
        "name=%FF%FE".into(),
        format!("name={}", "n".repeat(20_000)),
        "iin=%00".into(),
        "iin=95010140012%00".into(),
        "cursor=%00".into(),
        "cursor=a%E2%80%AEb".into(),
        "limit=%00".into(),
        "limit=-1".into(),
        "limit=1&limit=2".into(),
        "unknown=1".into(),
        "%00=1".into(),
    ];
    for q in &queries {
        add(
            ("GET", "/api/v1/volunteers"),
            request(
                "GET",
                &format!("/api/v1/volunteers?{q}"),
                auth,
                None,
                None,
                "",
            ),
        );
    }
    queries.extend([
        "volunteer=%00".into(),
        "volunteer=a%00b".into(),
        "volunteer=%E2%81%A6x".into(),
        "office=%00".into(),
        "type=%00".into(),
        "status=%00".into(),
        "issued_after=%00".into(),
        // A cursor whose decoded id holds a NUL ("1:\0").
        "cursor=MToA".into(),
        "cursor=%FF".into(),
    ]);
    for q in &queries {
        add(
            ("GET", "/api/v1/credentials"),
            request(
                "GET",
                &format!("/api/v1/credentials?{q}"),
                auth,
                None,
                None,
                "",
            ),
        );
    }
    for q in [
        "after=%00",
        "after=-1",
        "limit=x",
        "x=1",
        "after=99999999999999999999",
    ] {
        add(
            ("GET", "/api/v1/audit"),
            request("GET", &format!("/api/v1/audit?{q}"), auth, None, None, ""),
        );
    }

    // Reads without a valid token (the lower-case scheme with a wrong token is still 401).
    for (template, uri) in [
        ("/api/v1/credentials", "/api/v1/credentials".to_owned()),
        (
            "/api/v1/credentials/{id}",
            format!("/api/v1/credentials/{cred}"),
        ),
        ("/api/v1/audit", "/api/v1/audit".into()),
        ("/api/v1/offices", "/api/v1/offices".into()),
        ("/api/v1/volunteers", "/api/v1/volunteers".into()),
        (
            "/api/v1/volunteers/{id}",
            format!("/api/v1/volunteers/{vol}"),
        ),
    ] {
        add(
            ("GET", template),
            request("GET", &uri, Some("bearer vpass_0000"), None, None, ""),
        );
        add(
            ("GET", template),
            request("GET", &uri, Some(&"B".repeat(16_000)), None, None, ""),
        );
        add(
            ("GET", template),
            request("PATCH", &uri, auth, None, None, ""),
        );
    }

    // The metrics: no, a wrong or a huge token, a hostile request id, the wrong method, a
    // hostile suffix.
    for (auth, request_id) in [
        (None, None),
        (Some("Bearer vpass_0000"), None),
        (Some("bearer vpass_0000"), Some("x".repeat(20_000))),
        (Some(&*"B".repeat(16_000)), Some("a\tb".to_owned())),
    ] {
        let mut req = request("GET", "/metrics", auth, None, None, "");
        if let Some(id) = request_id {
            req.headers_mut()
                .insert("x-request-id", id.parse().unwrap());
        }
        add(("GET", "/metrics"), req);
    }
    for (method, uri) in [
        ("POST", "/metrics"),
        ("DELETE", "/metrics"),
        ("GET", "/metrics%FF"),
        ("GET", "/metrics/%00"),
    ] {
        add(
            ("GET", "/metrics"),
            request(method, uri, auth, None, Some("application/json"), "{}"),
        );
    }

    // Public documents: the wrong method, a hostile suffix.
    for (template, uri) in [
        ("/healthz", "/healthz"),
        ("/api/v1/openapi.json", "/api/v1/openapi.json"),
        ("/trust-list", "/trust-list"),
        ("/trust-list/chain", "/trust-list/chain"),
        ("/.well-known/did.json", "/.well-known/did.json"),
        ("/offices/{office}/did.json", "/offices/national/did.json"),
        ("/status/{office}/{n}", "/status/national/1"),
    ] {
        add(
            ("GET", template),
            request("POST", uri, None, None, Some("application/json"), "{}"),
        );
        add(
            ("GET", template),
            request("DELETE", uri, auth, None, None, ""),
        );
        add(
            ("GET", template),
            request("GET", &format!("{uri}%FF"), None, None, None, ""),
        );
        add(
            ("GET", template),
            request("GET", &format!("{uri}/%00"), None, None, None, ""),
        );
    }
    cases
}

/// What the service holds, read without going through audited routes.
async fn stored(h: &Harness) -> (i64, i64, Vec<String>, usize, usize) {
    let store = h.service.store();
    let (head, _) = store.audit_head().await.unwrap();
    let keys = store.office_keys().await.unwrap().len();
    let lists: Vec<String> = store
        .status_lists()
        .await
        .unwrap()
        .iter()
        .map(|l| format!("{}:{}:{:?}", l.office_id, l.list_no, l.token))
        .collect();
    let volunteers = store
        .find_volunteers("", None, None, 1000)
        .await
        .unwrap()
        .len();
    (
        store.credential_count().await.unwrap(),
        head,
        lists,
        keys,
        volunteers,
    )
}

async fn r5_hostile_input_to_every_route(h: Harness) {
    let (cred, vol) = seed(&h).await;
    let before = stored(&h).await;
    let credential_before = h.service.store().credential(&cred).await.unwrap().unwrap();
    let cases = hostile_cases(&h, &cred, &vol);

    // Every documented operation has hostile cases, and every case targets one.
    let covered: BTreeSet<(String, String)> = cases
        .iter()
        .map(|((m, p), _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        covered,
        documented_operations(),
        "a route without hostile cases"
    );

    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for ((m, p), req) in cases {
        let what = format!(
            "{m} {p}: {} {}",
            req.method(),
            String::from_utf8_lossy(req.uri().to_string().as_bytes())
                .chars()
                .take(120)
                .collect::<String>()
        );
        let lower_case_scheme = req.headers().get(header::AUTHORIZATION).is_some_and(|v| {
            v.as_bytes()
                .starts_with(format!("bearer {}", h.token).as_bytes())
        });
        let a = send(&h.app, req).await;
        *by_status.entry(a.status.as_u16()).or_default() += 1;
        assert!(
            a.status.is_client_error(),
            "{what} answered {}: {}",
            a.status,
            String::from_utf8_lossy(&a.body)
                .chars()
                .take(300)
                .collect::<String>()
        );
        assert_eq!(
            a.headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes()),
            Some(&b"application/problem+json"[..]),
            "{what} answered {} without a problem: {}",
            a.status,
            String::from_utf8_lossy(&a.body)
                .chars()
                .take(300)
                .collect::<String>()
        );
        let p: Value = serde_json::from_slice(&a.body)
            .unwrap_or_else(|e| panic!("{what}: the problem is not JSON: {e}"));
        assert_eq!(p["status"], a.status.as_u16(), "{what}: {p}");
        assert!(
            p["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{what}: {p}"
        );
        if lower_case_scheme {
            assert_ne!(
                p["code"], "UNAUTHORIZED",
                "{what}: the lower-case scheme is refused"
            );
        }
    }
    eprintln!("hostile answers by status: {by_status:?}");

    // Alive, and nothing stored: no credential, volunteer, key, status list or audit entry
    // more; the seeded credential is not revoked.
    let a = send(&h.app, get("/healthz", None)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(stored(&h).await, before);
    let credential_after = h.service.store().credential(&cred).await.unwrap().unwrap();
    assert_eq!(credential_after.revoked_at, credential_before.revoked_at);
    assert_eq!(credential_after.revoked_at, None);
}

/// Finding 1: the crash. A CSV header cell of 100,000 dot-separated names overflowed the stack
/// (building, then dropping, 100,000 nested objects) and aborted the process. The request runs
/// in a child process (this test binary, run again for this one test), so that an abort is
/// seen as a failed child instead of killing the test run.
#[test]
fn r5_csv_header_cannot_crash_the_service() {
    if std::env::var_os("VPASS_R5_CSV_CHILD").is_some() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let h = harness_on(Backend::Sqlite).await.unwrap();
            let req = request(
                "POST",
                "/api/v1/credentials/batch",
                Some(&format!("Bearer {}", h.token)),
                Some("deep"),
                Some("text/csv"),
                deep_csv_header(100_000),
            );
            let a = send(&h.app, req).await;
            assert!(a.status.is_client_error(), "{}", a.status);
            assert_eq!(a.headers[header::CONTENT_TYPE], "application/problem+json");
            assert_eq!(
                send(&h.app, get("/healthz", None)).await.status,
                StatusCode::OK
            );
            assert_eq!(h.service.store().credential_count().await.unwrap(), 0);
        });
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "r5_csv_header_cannot_crash_the_service",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("VPASS_R5_CSV_CHILD", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the service process died or failed on a deep CSV header: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // The child ran the test (and not nothing).
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn csv(h: &Harness, key: &str, body: impl Into<Body>) -> Request<Body> {
    request(
        "POST",
        "/api/v1/credentials/batch",
        Some(&format!("Bearer {}", h.token)),
        Some(key),
        Some("text/csv"),
        body,
    )
}

async fn r5_csv_header_is_limited_before_rows_are_built(h: Harness) {
    let limits = [
        // More columns than any credential type has members.
        (
            format!("{}\n", vec!["name"; 100_000].join(",")),
            "CSV_INVALID",
            None,
        ),
        // A column name longer than any known path.
        (
            format!("name,{}\nA,1\n", "y".repeat(10_000)),
            "CSV_INVALID",
            None,
        ),
        // Deeper than any known path.
        (deep_csv_header(100_000), "CSV_INVALID", None),
        (deep_csv_header(5), "CSV_INVALID", None),
        // Not a member of the type (refused for the whole batch, before any row).
        (
            "name,hourz\nA,1\n".to_owned(),
            "INVALID_FIELD",
            Some("credentialSubject.hourz"),
        ),
        (
            "name,achievement.name\nA,1\n".to_owned(),
            "INVALID_FIELD",
            Some("credentialSubject.achievement.name"),
        ),
        // The same column twice (the second would silently win).
        ("name,hours,name\nA,1,B\n".to_owned(), "CSV_INVALID", None),
    ];
    for (i, (body, code, field)) in limits.into_iter().enumerate() {
        let a = send(&h.app, csv(&h, &format!("h{i}"), body)).await;
        assert_problem(&a, StatusCode::BAD_REQUEST, code, field);
    }
    // Award columns: the nested paths the model defines are known.
    let req = request(
        "POST",
        "/api/v1/credentials/batch?type=VolunteerAwardCredential",
        Some(&format!("Bearer {}", h.token)),
        Some("award"),
        Some("text/csv"),
        "name,award,awardedBy,awardDate,achievement.name,achievement.criteria.narrative,\
         achievement.description,achievement.id\nA,B,C,2026-01-01,D,E,F,urn:x:1\n",
    );
    let a = send(&h.app, req).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    // A row larger than a single issuance request may be is an error of that row alone.
    let big = format!(
        "name,hours,activity,organization,periodStart,periodEnd,validFrom,validUntil\n\
         {},1,Clean-up,AVC,2026-03-01,2026-03-01,2026-06-01T00:00:00Z,2031-06-01T00:00:00Z\n",
        "n".repeat(vpass_credential::limits::MAX_JSON + 1)
    );
    let a = send(&h.app, csv(&h, "big-row", big)).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    assert_eq!(
        a.json()["errors"][0]["code"],
        "PAYLOAD_TOO_LARGE",
        "{}",
        a.json()
    );
    assert_eq!(h.service.store().credential_count().await.unwrap(), 0);
}

async fn r5_text_rule_refuses_nul_esc_and_bidi_everywhere(h: Harness) {
    let (cred, vol) = seed(&h).await;
    let auth = format!("Bearer {}", h.token);
    // Reasons (revocation, key rotation).
    for (i, t) in [
        "a\u{0}b",
        "\u{1b}[2J",
        "paid\u{202e}diap",
        "\u{2067}x\u{2069}",
        "a\u{2028}b",
    ]
    .into_iter()
    .enumerate()
    {
        let a = send(
            &h.app,
            post(
                &format!("/api/v1/credentials/{cred}/revoke"),
                Some(&h.token),
                Some(&format!("r{i}")),
                member("reason", t),
            ),
        )
        .await;
        assert_problem(&a, StatusCode::BAD_REQUEST, "INVALID_FIELD", Some("reason"));
        let a = send(
            &h.app,
            post(
                "/api/v1/offices/national/keys/rotate",
                Some(&h.token),
                Some(&format!("k{i}")),
                member("reason", t),
            ),
        )
        .await;
        assert_problem(&a, StatusCode::BAD_REQUEST, "INVALID_FIELD", Some("reason"));
    }
    // Query values.
    for (path, q, field) in [
        ("/api/v1/volunteers", "name=%00", "name"),
        ("/api/v1/volunteers", "name=a%E2%80%AEb", "name"),
        ("/api/v1/volunteers", "cursor=%00", "cursor"),
        ("/api/v1/credentials", "volunteer=%00", "volunteer"),
        ("/api/v1/credentials", "volunteer=a%1Bb", "volunteer"),
        ("/api/v1/credentials", "cursor=MToA", "cursor"),
    ] {
        let a = send(&h.app, get(&format!("{path}?{q}"), Some(&h.token))).await;
        assert_problem(&a, StatusCode::BAD_REQUEST, "INVALID_FIELD", Some(field));
    }
    // Path ids: NUL, ESC, bidi are refused as 400 problems; invalid UTF-8 too.
    for (uri, field) in [
        ("/api/v1/credentials/%00".to_owned(), "id"),
        ("/api/v1/credentials/a%1Bb".to_owned(), "id"),
        ("/api/v1/volunteers/%E2%80%AE".to_owned(), "id"),
        ("/offices/%00/did.json".to_owned(), "office"),
        ("/status/%00/1".to_owned(), "office"),
    ] {
        let a = send(&h.app, get(&uri, Some(&h.token))).await;
        assert_problem(&a, StatusCode::BAD_REQUEST, "INVALID_FIELD", Some(field));
    }
    for uri in [
        "/api/v1/credentials/%FF",
        "/api/v1/volunteers/%C0%AF",
        "/offices/%FF/did.json",
    ] {
        let a = send(&h.app, get(uri, Some(&h.token))).await;
        assert_problem(&a, StatusCode::BAD_REQUEST, "PATH_INVALID", None);
    }
    let a = send(
        &h.app,
        request(
            "POST",
            &format!("/api/v1/volunteers/{vol}/passport%00"),
            Some(&auth),
            Some("p"),
            None,
            "",
        ),
    )
    .await;
    assert_eq!(a.headers[header::CONTENT_TYPE], "application/problem+json");
    // A method the route does not have: 405 problem, with the allowed methods.
    let a = send(
        &h.app,
        request("DELETE", "/trust-list", None, None, None, ""),
    )
    .await;
    assert_problem(
        &a,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        None,
    );
    assert!(a.headers.contains_key(header::ALLOW));
    // The credential is still not revoked; a plain reason still works.
    let a = send(
        &h.app,
        post(
            &format!("/api/v1/credentials/{cred}/revoke"),
            Some(&h.token),
            Some("ok"),
            member("reason", "Ошибка в часах (исправлено)"),
        ),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
}

async fn r5_invisible_or_bidi_names_are_refused(h: Harness) {
    for (i, name) in [
        "\u{200b}\u{200b}",
        "\u{200d}\u{2060}\u{feff}",
        "\u{3164}",
        "Aigerim\u{202e}vonalruN",
        "\u{2066}Aigerim\u{2069}",
        " \u{200b} ",
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = hours_body();
        body["credentialSubject"]["name"] = name.into();
        let a = issue(&h, &format!("n{i}"), &body).await;
        assert_problem(
            &a,
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            Some("credentialSubject.name"),
        );
        let mut body = volunteer_body(&iin(3));
        body["name"]["kk"] = name.into();
        let a = send(
            &h.app,
            post(
                "/api/v1/volunteers",
                Some(&h.token),
                Some(&format!("v{i}")),
                body.to_string(),
            ),
        )
        .await;
        assert_problem(
            &a,
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            Some("name.kk"),
        );
    }
    assert_eq!(h.service.store().credential_count().await.unwrap(), 0);
    // Operator names (`vpass admin add-operator`) obey the same rule.
    for name in ["\u{200b}", "Admin\u{202e}nimda", "a\u{1b}[2J"] {
        let added =
            vpass_issuer::service::add_operator(h.service.store(), "test", name, "auditor", None)
                .await;
        assert!(added.is_err(), "{name:?}");
    }
    // Joiners inside a visible name are text (Persian ZWNJ, emoji sequences), not hostile.
    let mut body = hours_body();
    body["credentialSubject"]["name"] = "می\u{200c}خواهم 👩\u{200d}🚒".into();
    let a = issue(&h, "joiners", &body).await;
    assert!(
        a.status.is_success(),
        "{}",
        String::from_utf8_lossy(&a.body)
    );
}

async fn r5_bearer_scheme_is_case_insensitive(h: Harness) {
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let a = send(
            &h.app,
            request(
                "GET",
                "/api/v1/offices",
                Some(&format!("{scheme} {}", h.token)),
                None,
                None,
                "",
            ),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{scheme}: {}",
            String::from_utf8_lossy(&a.body)
        );
    }
    // Another scheme, or the scheme glued to the token, is not a bearer token.
    for value in [
        format!("Basic {}", h.token),
        format!("Bearer{}", h.token),
        "bearer".to_owned(),
    ] {
        let a = send(
            &h.app,
            request("GET", "/api/v1/offices", Some(&value), None, None, ""),
        )
        .await;
        assert_problem(&a, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", None);
    }
}
