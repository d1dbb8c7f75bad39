//! Operations: the log of the API's main flows at the most verbose level holds no IIN, API
//! token or credential, yet one line per request with method, route template, status and
//! latency; every response carries `x-request-id` (the caller's, when valid); an internal
//! error's reference is the request id; `/metrics` serves Prometheus text to admins and
//! auditors, and without a token on `--metrics-listen`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use tracing_subscriber::fmt::MakeWriter;
use vpass_issuer::service::add_operator;

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    log_of_the_main_flows_holds_no_iin_token_or_credential,
    internal_error_is_logged_under_the_request_id_it_answers,
    every_response_carries_a_request_id_and_echoes_a_valid_one,
    metrics_count_issuance_revocation_latency_and_pool_use,
);

/// Log lines written by a test's subscriber, in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Capture every event and span of this thread (the test's current-thread runtime runs the
/// service's tasks on it) at the most verbose level, as `vpass serve`'s text lines.
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    (log, tracing::subscriber::set_default(subscriber))
}

/// The requests sent, to be matched with the log's lines.
#[derive(Default)]
struct Sent {
    /// (method, route template, status) of each request.
    requests: Vec<(String, String, u16)>,
}

impl Sent {
    async fn send(&mut self, h: &Harness, route: &str, req: Request<Body>) -> Answer {
        let method = req.method().to_string();
        let a = send(&h.app, req).await;
        self.requests
            .push((method, route.to_owned(), a.status.as_u16()));
        a
    }
}

/// Every credential token in an answer (`credential` members at any depth).
fn credentials_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("credential", Value::String(t)) if t.starts_with("eyJ") => out.push(t.clone()),
                    _ => credentials_in(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| credentials_in(v, out)),
        _ => {}
    }
}

async fn log_of_the_main_flows_holds_no_iin_token_or_credential(h: Harness) {
    let officer = add_operator(
        h.service.store(),
        "test",
        "Officer",
        "officer",
        Some("kz-75"),
    )
    .await
    .unwrap();
    let (log, guard) = capture();
    let mut sent = Sent::default();
    let (registered_iin, linked_iin, batch_iin, csv_iin) = (iin(1), iin(2), iin(3), iin(4));
    let mut answers = Vec::new();
    let bearer = Some(h.token.as_str());

    // Register a volunteer.
    let a = sent
        .send(
            &h,
            "/api/v1/volunteers",
            post(
                "/api/v1/volunteers",
                bearer,
                Some("reg"),
                volunteer_body(&registered_iin).to_string(),
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let volunteer = a.json()["id"].as_str().unwrap().to_owned();
    // Issue linked by IIN, as SD-JWT VC and as VC-JWT.
    for (key, format) in [("linked", None), ("linked-jwt", Some("jwt"))] {
        let mut body = hours_by_iin(&linked_iin, key, "2026-03-01");
        if let Some(f) = format {
            body["format"] = f.into();
        }
        let a = sent
            .send(
                &h,
                "/api/v1/credentials",
                post("/api/v1/credentials", bearer, Some(key), body.to_string()),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
        answers.push(a.json());
    }
    // A JSON batch and a CSV batch, rows linked by IIN.
    let rows = json!([
        hours_by_iin(&batch_iin, "Batch one", "2026-03-02"),
        hours_by_iin(&registered_iin, "Batch two", "2026-03-03"),
    ]);
    let a = sent
        .send(
            &h,
            "/api/v1/credentials/batch",
            batch_request(&h.token, "batch", "application/json", rows.to_string()),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.json()["issued"].as_array().unwrap().len(),
        2,
        "{}",
        a.json()
    );
    answers.push(a.json());
    let csv = format!(
        "name,iin,hours,activity,organization,periodStart,periodEnd,validFrom,validUntil\n\
         Ерлан,{csv_iin},4,Clean-up,AVC,2026-03-04,2026-03-04,2026-06-01T00:00:00Z,2031-06-01T00:00:00Z\n"
    );
    let a = sent
        .send(
            &h,
            "/api/v1/credentials/batch",
            batch_request(&h.token, "csv", "text/csv", csv),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.json()["issued"].as_array().unwrap().len(),
        1,
        "{}",
        a.json()
    );
    answers.push(a.json());
    // Read one, revoke it.
    let cid = answers[0]["id"].as_str().unwrap().to_owned();
    let a = sent
        .send(
            &h,
            "/api/v1/credentials/{id}",
            get(&format!("/api/v1/credentials/{cid}"), bearer),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    answers.push(a.json());
    let a = sent
        .send(
            &h,
            "/api/v1/credentials/{id}/revoke",
            post(
                &format!("/api/v1/credentials/{cid}/revoke"),
                bearer,
                Some("revoke"),
                r#"{"reason":"issued in error"}"#,
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    answers.push(a.json());
    // The passport.
    let a = sent
        .send(
            &h,
            "/api/v1/volunteers/{id}/passport",
            post(
                &format!("/api/v1/volunteers/{volunteer}/passport"),
                bearer,
                Some("passport"),
                "",
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    answers.push(a.json());
    // Look-ups by IIN (admin and officer), and the volunteer read.
    for token in [h.token.as_str(), officer.as_str()] {
        let a = sent
            .send(
                &h,
                "/api/v1/volunteers",
                get(
                    &format!("/api/v1/volunteers?iin={registered_iin}"),
                    Some(token),
                ),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK);
    }
    let a = sent
        .send(
            &h,
            "/api/v1/volunteers/{id}",
            get(&format!("/api/v1/volunteers/{volunteer}"), bearer),
        )
        .await;
    assert_eq!(a.json()["iin"], registered_iin.as_str());
    // Refused: the IIN registered again (409), an officer revoking another office's
    // credential (404), a wrong token (401), an unknown path holding an IIN (404).
    let a = sent
        .send(
            &h,
            "/api/v1/volunteers",
            post(
                "/api/v1/volunteers",
                bearer,
                Some("reg-again"),
                volunteer_body(&registered_iin).to_string(),
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    let a = sent
        .send(
            &h,
            "/api/v1/credentials/{id}/revoke",
            post(
                &format!("/api/v1/credentials/{cid}/revoke"),
                Some(&officer),
                Some("revoke-officer"),
                r#"{"reason":"x"}"#,
            ),
        )
        .await;
    assert!(a.status.is_client_error());
    let wrong = format!("{}x", h.token);
    let a = sent
        .send(
            &h,
            "/api/v1/volunteers",
            get("/api/v1/volunteers", Some(&wrong)),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = sent
        .send(
            &h,
            "unmatched",
            get(&format!("/api/v1/iin/{registered_iin}"), bearer),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    drop(guard);

    let text = log.text();
    // Nothing secret or personal.
    for iin in [&registered_iin, &linked_iin, &batch_iin, &csv_iin] {
        for form in iin_forms_with_hex(iin) {
            let form = String::from_utf8(form).unwrap();
            assert!(
                !text.contains(&form),
                "{form} (of an IIN) in the log:\n{text}"
            );
        }
    }
    // Nor the sealed IINs and their blind index, in any encoding.
    let stored = stored_iins(&h).await;
    assert_eq!(stored.len(), 4 * 2, "four volunteers");
    for bytes in stored {
        for form in byte_forms(&bytes) {
            assert!(
                !text.contains(&form),
                "a sealed IIN or its index in the log:\n{text}"
            );
        }
    }
    for token in [&h.token, &officer, &wrong] {
        let secret = token.splitn(3, '_').nth(2).unwrap();
        assert!(secret.len() >= 16, "{token}");
        assert!(!text.contains(secret), "an API token in the log:\n{text}");
    }
    let mut tokens = Vec::new();
    answers.iter().for_each(|a| credentials_in(a, &mut tokens));
    assert!(tokens.len() >= 7, "{tokens:?}");
    for token in &tokens {
        for segment in token.split(['.', '~']).filter(|s| s.len() >= 16) {
            assert!(!text.contains(segment), "a credential in the log:\n{text}");
        }
    }
    assert!(!text.contains("eyJ"), "a JWS segment in the log:\n{text}");
    // Ids never show as paths: only route templates.
    assert!(!text.contains(&volunteer), "{text}");
    assert!(!text.contains(&format!("credentials/{cid}")), "{text}");

    // Yet one line per request, in order, with method, route template, status and latency.
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("answered status="))
        .collect();
    assert_eq!(lines.len(), sent.requests.len(), "{text}");
    let mut ids = HashSet::new();
    for (line, (method, route, status)) in lines.iter().zip(&sent.requests) {
        assert!(line.contains(" INFO "), "{line}");
        assert!(line.contains(&format!("method={method} ")), "{line}");
        assert!(line.contains(&format!("route={route}}}")), "{line}");
        assert!(line.contains(&format!("status={status} ")), "{line}");
        let latency = line.split("latency_ms=").nth(1).unwrap();
        assert!(latency.trim().parse::<f64>().unwrap() >= 0.0, "{line}");
        let id = line.split("request{id=").nth(1).unwrap();
        ids.insert(id.split(' ').next().unwrap().to_owned());
    }
    assert_eq!(ids.len(), sent.requests.len(), "request ids are distinct");
    // The debug events of the work were captured too: PostgreSQL's statements (SQLite's run
    // on its worker threads).
    if h.db_url.starts_with("postgres") {
        assert!(text.contains("sqlx::query"), "{text}");
    }
}

/// Every volunteer's sealed IIN and IIN blind index, as stored.
async fn stored_iins(h: &Harness) -> Vec<Vec<u8>> {
    let sql = "SELECT iin_sealed, iin_index FROM volunteers";
    let rows: Vec<(Vec<u8>, Vec<u8>)> = if h.db_url.starts_with("postgres") {
        let pool = sqlx::postgres::PgPool::connect(&h.db_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
    } else {
        let pool = sqlx::sqlite::SqlitePool::connect(&h.db_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
    };
    rows.into_iter().flat_map(|(a, b)| [a, b]).collect()
}

/// Bytes as hex and in the four base64 alphabets and paddings.
fn byte_forms(bytes: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    let mut forms = vec![bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()];
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        forms.push(engine.encode(bytes));
    }
    forms
}

async fn internal_error_is_logged_under_the_request_id_it_answers(h: Harness) {
    let a = issue(&h, "i", &hours_body()).await;
    let id = a.json()["id"].as_str().unwrap().to_owned();
    // A stored credential that no longer opens: reading it is an internal error.
    h.raw_sql(&format!(
        "UPDATE credentials SET token = 'sealed:v1:!' WHERE id = '{id}'"
    ))
    .await;
    let (log, guard) = capture();
    let mut req = get(&format!("/api/v1/credentials/{id}"), Some(&h.token));
    req.headers_mut()
        .insert("x-request-id", "support-ticket-4711".parse().unwrap());
    let a = send(&h.app, req).await;
    drop(guard);
    assert_problem(&a, StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", None);
    assert_eq!(a.headers["x-request-id"], "support-ticket-4711");
    assert_eq!(
        a.json()["detail"],
        "internal error; reference support-ticket-4711"
    );
    assert!(!a.json().to_string().contains("base64"), "no cause sent");
    let text = log.text();
    let line = text
        .lines()
        .find(|l| l.contains("internal error"))
        .unwrap_or_else(|| panic!("no internal error logged:\n{text}"));
    assert!(line.contains(" ERROR "), "{line}");
    assert!(line.contains("reference=support-ticket-4711"), "{line}");
    assert!(line.contains("request{id=support-ticket-4711"), "{line}");
    assert!(
        line.contains("cause=stored token is not base64url"),
        "{line}"
    );
}

/// A path template with sample values for its parameters.
fn sample_path(template: &str, credential: &str, volunteer: &str) -> String {
    template
        .replace("{office}", "national")
        .replace("{n}", "1")
        .replace("/credentials/{id}", &format!("/credentials/{credential}"))
        .replace("/volunteers/{id}", &format!("/volunteers/{volunteer}"))
}

async fn every_response_carries_a_request_id_and_echoes_a_valid_one(h: Harness) {
    let credential = issue(&h, "seed", &hours_body()).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let volunteer = registered(&h, &iin(0)).await;
    let doc: Value = serde_json::from_str(vpass_issuer::http::publish::OPENAPI).unwrap();
    // Every documented operation, an unknown path, a wrong method, no token, too large a body.
    let mut requests: Vec<(Method, String, bool, Vec<u8>)> = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let uri = sample_path(template, &credential, &volunteer);
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = if method == Method::GET { "" } else { "{}" };
            requests.push((method, uri, true, body.into()));
        }
    }
    assert!(requests.len() >= 19, "{}", requests.len());
    requests.extend([
        (Method::GET, "/no/such/path".to_owned(), true, Vec::new()),
        (Method::DELETE, "/healthz".to_owned(), false, Vec::new()),
        (Method::GET, "/api/v1/audit".to_owned(), false, Vec::new()),
        (
            Method::POST,
            "/api/v1/credentials".to_owned(),
            true,
            vec![b' '; 200 * 1024],
        ),
    ]);
    let build = |(method, uri, auth, body): &(Method, String, bool, Vec<u8>), id: Option<&[u8]>| {
        let mut b = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", format!("rid-{method}-{uri}"));
        if *auth {
            b = b.header(header::AUTHORIZATION, format!("Bearer {}", h.token));
        }
        if let Some(id) = id {
            b = b.header("x-request-id", id);
        }
        b.body(Body::from(body.clone())).unwrap()
    };
    let mut fresh = HashSet::new();
    let mut statuses = HashSet::new();
    for (n, r) in requests.iter().enumerate() {
        let what = format!("{} {}", r.0, r.1);
        // None sent: a fresh UUID.
        let a = send(&h.app, build(r, None)).await;
        statuses.insert(a.status.as_u16());
        let id = a.headers["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 36, "{what}: {id}");
        assert!(fresh.insert(id), "{what}: an id twice");
        // A valid one: echoed.
        let mine = format!("caller-{n}/{}", "x".repeat(100));
        let a = send(&h.app, build(r, Some(mine.as_bytes()))).await;
        assert_eq!(a.headers["x-request-id"], mine.as_str(), "{what}");
        // Invalid ones (too long, a space, not ASCII): replaced by a fresh one.
        for bad in [&[b'a'; 129][..], b"two words", b"caf\xc3\xa9"] {
            let a = send(&h.app, build(r, Some(bad))).await;
            let id = a.headers["x-request-id"].to_str().unwrap().to_owned();
            assert_eq!(id.len(), 36, "{what}: {id}");
            assert!(fresh.insert(id), "{what}: an id twice");
        }
    }
    for status in [200, 400, 401, 404, 405, 413] {
        assert!(statuses.contains(&status), "no {status} in {statuses:?}");
    }
}

/// The value of the one sample of `metric` whose labels include each of `labels`.
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    let found: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) || l.starts_with(&format!("{metric} ")))
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(found.len() <= 1, "{metric} {labels:?}: {found:?}");
    found.first().copied()
}

async fn scrape(h: &Harness, token: Option<&str>) -> Answer {
    send(&h.app, get("/metrics", token)).await
}

async fn metrics_count_issuance_revocation_latency_and_pool_use(h: Harness) {
    let store = h.service.store();
    let officer = add_operator(store, "test", "Officer", "officer", Some("kz-75"))
        .await
        .unwrap();
    let auditor = add_operator(store, "test", "Auditor", "auditor", None)
        .await
        .unwrap();
    let issued = |text: &str, office: &str| {
        sample(
            text,
            "vpass_credentials_issued_total",
            &[
                &format!("office=\"{office}\""),
                "type=\"VolunteerHoursCredential\"",
            ],
        )
    };
    let before = scrape(&h, Some(&h.token)).await;
    assert_eq!(before.status, StatusCode::OK);
    let text = String::from_utf8(before.body).unwrap();
    assert!(
        text.contains("# TYPE vpass_db_pool_connections gauge"),
        "{text}"
    );
    assert_eq!(issued(&text, "kz-75"), None, "{text}");

    // One issuance (and its replay), a batch of two by the officer, one revocation.
    let a = issue(&h, "one", &hours_body()).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let id = a.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        issue(&h, "one", &hours_body()).await.status,
        StatusCode::CREATED
    );
    let rows = json!([hours_body(), hours_body()]);
    let a = send(
        &h.app,
        batch_request(&officer, "b", "application/json", rows.to_string()),
    )
    .await;
    assert_eq!(a.json()["issued"].as_array().unwrap().len(), 2);
    let a = send(
        &h.app,
        post(
            &format!("/api/v1/credentials/{id}/revoke"),
            Some(&h.token),
            Some("r"),
            r#"{"reason":"x"}"#,
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let office = a.json()["office"].as_str().unwrap().to_owned();

    for token in [&h.token, &auditor] {
        let a = scrape(&h, Some(token)).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(
            a.headers[header::CONTENT_TYPE],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        let text = String::from_utf8(a.body).unwrap();
        assert_eq!(issued(&text, &office), Some(1.0), "{text}");
        assert_eq!(issued(&text, "kz-75"), Some(2.0), "{text}");
        let revoked = sample(
            &text,
            "vpass_credentials_revoked_total",
            &[
                &format!("office=\"{office}\""),
                "type=\"VolunteerHoursCredential\"",
            ],
        );
        assert_eq!(revoked, Some(1.0), "{text}");
        // Latency by route template: two issuances answered (one a replay).
        let route = ["method=\"POST\"", "route=\"/api/v1/credentials\""];
        assert_eq!(
            sample(&text, "vpass_http_request_duration_seconds_count", &route),
            Some(2.0),
            "{text}"
        );
        let revoke = ["route=\"/api/v1/credentials/{id}/revoke\""];
        assert_eq!(
            sample(&text, "vpass_http_request_duration_seconds_count", &revoke),
            Some(1.0),
            "{text}"
        );
        assert_eq!(
            sample(
                &text,
                "vpass_http_request_duration_seconds_bucket",
                &[route[0], route[1], "le=\"+Inf\""]
            ),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            sample(
                &text,
                "vpass_http_requests_total",
                &[route[0], route[1], "status=\"201\""]
            ),
            Some(2.0),
            "{text}"
        );
        assert!(!text.contains(&id), "no path with an id: {text}");
        // Pool use.
        let pools: &[&str] = if h.db_url.starts_with("postgres") {
            &["main"]
        } else {
            &["read", "write"]
        };
        for pool in pools {
            let p = format!("pool=\"{pool}\"");
            let max = sample(&text, "vpass_db_pool_max_connections", &[&p]).unwrap();
            let in_use = sample(
                &text,
                "vpass_db_pool_connections",
                &[&p, "state=\"in_use\""],
            )
            .unwrap();
            let idle = sample(&text, "vpass_db_pool_connections", &[&p, "state=\"idle\""]).unwrap();
            assert!(max >= 1.0 && in_use >= 0.0 && idle >= 0.0, "{text}");
            assert!(in_use + idle <= max, "{text}");
        }
    }
    // Officers and callers without a token may not.
    assert_problem(
        &scrape(&h, Some(&officer)).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        None,
    );
    assert_problem(
        &scrape(&h, None).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        None,
    );
}

/// A plain HTTP/1.1 GET over TCP: (status, body).
async fn http_get(addr: std::net::SocketAddr, path: &str, token: Option<&str>) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: vpass\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn metrics_listen_serves_metrics_without_a_token() {
    let dir = private_tempdir();
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut config = vpass_issuer::Config::default_with_data_dir(dir.path().to_path_buf());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.metrics_listen = Some(metrics_port);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = vpass_issuer::serve_until(
        config,
        move |addr| {
            let _ = ready_tx.send(addr);
        },
        async {
            let _ = stop_rx.await;
        },
    );
    let client = async {
        let api = ready_rx.await.unwrap();
        let token = std::fs::read_to_string(dir.path().join("initial-admin-token")).unwrap();
        let token = token.trim();
        // The API listener: a token needed.
        assert_eq!(http_get(api, "/metrics", None).await.0, 401);
        let (status, text) = http_get(api, "/metrics", Some(token)).await;
        assert_eq!(status, 200);
        assert!(text.contains("vpass_db_pool_connections{"), "{text}");
        // The metrics listener: none needed, and nothing else served.
        let (status, text) = http_get(metrics_port, "/metrics", None).await;
        assert_eq!(status, 200, "{text}");
        assert!(
            text.contains("vpass_db_pool_max_connections{pool=\"write\"} 1"),
            "{text}"
        );
        // The API's scrape above is counted.
        assert!(
            text.contains(
                "vpass_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"} 1"
            ),
            "{text}"
        );
        assert_eq!(http_get(metrics_port, "/healthz", None).await.0, 404);
        assert_eq!(http_get(metrics_port, "/api/v1/offices", None).await.0, 404);
        stop_tx.send(()).unwrap();
    };
    let (served, ()) = tokio::join!(server, client);
    served.unwrap();
}
