//! What every issuer API test file shares: a service on a fresh SQLite or PostgreSQL
//! database ([`harness_on`]), the `on_both_backends!` macro, request helpers, and the one rule
//! for a test whose outside dependency is missing ([`missing`]): skip on a developer's
//! machine, fail under CI. Below them, the helpers that more than one test file uses (request
//! bodies, another instance on the same database, offline verification against the trust
//! list); a helper that one file uses stays in that file.

#![allow(dead_code, unused_imports, unused_macros)] // each test binary uses a part of it

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;
use vpass_credential::keys::PublicKey;
use vpass_credential::sdjwt;
use vpass_credential::time::{Clock, SystemClock};
use vpass_credential::trust::verify_trust_list;
use vpass_issuer::service::{self, Config};

pub struct Harness {
    pub app: Router,
    pub token: String,
    pub service: Arc<vpass_issuer::Service>,
    pub _dir: tempfile::TempDir,
    /// The PostgreSQL test database to drop afterwards: (admin URL, name).
    pub pg: Option<(String, String)>,
    /// The database URL the service uses.
    pub db_url: String,
}

impl Harness {
    /// Run one SQL statement directly on the service's database (tampering tests).
    pub async fn raw_sql(&self, sql: &str) {
        if self.db_url.starts_with("postgres") {
            let pool = sqlx::postgres::PgPool::connect(&self.db_url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
        } else {
            let pool = sqlx::sqlite::SqlitePool::connect(&self.db_url)
                .await
                .unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.pg.take() else {
            return;
        };
        // Drop runs inside the test's runtime: clean up from a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(pool) = sqlx::postgres::PgPool::connect(&admin_url).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(&drop).execute(&pool).await;
                }
            });
        })
        .join();
    }
}

pub async fn start_in(
    dir: &Path,
    database_url: Option<String>,
) -> (Arc<vpass_issuer::Service>, Option<std::path::PathBuf>) {
    let mut config = Config::default_with_data_dir(dir.to_path_buf());
    config.database_url = database_url;
    let opened = service::open(&config).await.unwrap();
    (Arc::new(opened.service), opened.initial_admin_token)
}

/// The storage backends every API test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether this run is a CI run: the `CI` environment variable is set (CI runners set
/// `CI=true`), to anything but the empty string, `0` or `false`.
pub fn under_ci() -> bool {
    ci_value_means_ci(std::env::var_os("CI").as_deref())
}

/// [`under_ci`] for a given value of `CI`.
pub fn ci_value_means_ci(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// A test found `what` missing, which `install` provides: the one decision of every issuer
/// test that needs an outside dependency (PostgreSQL). Under CI ([`under_ci`]) the test fails
/// with that message, so that CI never passes by skipping; elsewhere it prints `SKIPPED: …`
/// and the caller returns without testing.
pub fn missing(what: &str, install: &str) {
    missing_when(under_ci(), what, install);
}

/// [`missing`] with the CI decision given: panics when `ci`, else prints and returns the
/// message.
pub fn missing_when(ci: bool, what: &str, install: &str) -> String {
    let message = format!("{what} is missing; {install}");
    if ci {
        panic!("CI is set, so this test fails instead of skipping: {message}");
    }
    eprintln!("SKIPPED: {message}");
    message
}

/// What to do when the local PostgreSQL server is not there.
const PG_INSTALL: &str = "no project script installs it: run a PostgreSQL server on \
                          127.0.0.1:5432 with trust authentication for user postgres (the CI \
                          machines have one), or point VPASS_TEST_PG_URL at one";

/// A fresh PostgreSQL database on the local server (`VPASS_TEST_PG_URL`, default
/// `postgres://postgres@127.0.0.1:5432/test`), or `None` after [`missing`] said why (under CI
/// it fails the test instead).
pub async fn fresh_pg_database() -> Option<(String, String, String)> {
    let admin_url = std::env::var("VPASS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    fresh_pg_database_at(&admin_url, under_ci()).await
}

/// [`fresh_pg_database`] on the server of `admin_url`, with the CI decision given: (URL,
/// admin URL, database name).
pub async fn fresh_pg_database_at(admin_url: &str, ci: bool) -> Option<(String, String, String)> {
    // One connection attempt (a pool would retry a refused connection until its timeout).
    let mut conn =
        match <sqlx::postgres::PgConnection as sqlx::Connection>::connect(admin_url).await {
            Ok(c) => c,
            Err(e) => {
                missing_when(
                    ci,
                    &format!("PostgreSQL ({admin_url}: cannot connect: {e})"),
                    PG_INSTALL,
                );
                return None;
            }
        };
    let name = format!("vpass_test_{}", vpass_issuer::crypto::random_hex(8));
    if let Err(e) = sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
    {
        missing_when(
            ci,
            &format!("a PostgreSQL server where user postgres may create databases ({e})"),
            PG_INSTALL,
        );
        return None;
    }
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    Some((format!("{base}/{name}"), admin_url.to_owned(), name))
}

/// A temporary folder only its owner may use: the service refuses a data folder that others
/// may read.
pub fn private_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    dir
}

pub async fn harness_on(backend: Backend) -> Option<Harness> {
    let dir = private_tempdir();
    let (url, pg) = match backend {
        Backend::Sqlite => (None, None),
        Backend::Postgres => {
            let (url, admin, name) = fresh_pg_database().await?;
            (Some(url), Some((admin, name)))
        }
    };
    let db_url = url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("vpass.db").display()));
    let (service, token_file) = start_in(dir.path(), url).await;
    let token = std::fs::read_to_string(token_file.unwrap())
        .unwrap()
        .trim()
        .to_owned();
    Some(Harness {
        app: vpass_issuer::app(service.clone()),
        token,
        service,
        _dir: dir,
        pg,
        db_url,
    })
}

/// Each test function runs once per backend: `<name>::sqlite` and `<name>::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let h = super::harness_on(super::Backend::Sqlite).await.unwrap();
                super::$name(h).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(h) = super::harness_on(super::Backend::Postgres).await {
                    super::$name(h).await;
                }
            }
        }
    )*};
}

pub fn hours_body() -> Value {
    let mut v: Value = serde_json::from_str(include_str!("../../../examples/hours.json")).unwrap();
    let obj = v.as_object_mut().unwrap();
    obj.remove("issuer");
    obj.remove("credentialStatus");
    // Not linked to a volunteer (no IIN), so that tests may issue it many times; the linked
    // cases and the plausibility checks have their own tests.
    v["credentialSubject"]
        .as_object_mut()
        .unwrap()
        .remove("iin");
    v
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Answer {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

pub fn post(
    uri: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(k) = key {
        b = b.header("idempotency-key", k);
    }
    b.body(body.into()).unwrap()
}

pub fn get(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::empty()).unwrap()
}

pub async fn issue(h: &Harness, key: &str, body: &Value) -> Answer {
    send(
        &h.app,
        post(
            "/api/v1/credentials",
            Some(&h.token),
            Some(key),
            body.to_string(),
        ),
    )
    .await
}

pub fn assert_problem(a: &Answer, status: StatusCode, code: &str, field: Option<&str>) {
    assert_eq!(a.status, status, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.headers[header::CONTENT_TYPE], "application/problem+json");
    let p = a.json();
    assert_eq!(p["code"], code, "{p}");
    assert_eq!(p["status"], status.as_u16());
    assert!(p["type"]
        .as_str()
        .unwrap()
        .starts_with("urn:vpass:problem:"));
    assert_eq!(p["field"].as_str(), field, "{p}");
}

/// The national office in a trust list.
pub fn national(
    list: &vpass_credential::trust::VerifiedTrustList,
) -> &vpass_credential::trust::Office {
    list.offices().iter().find(|o| o.region.is_none()).unwrap()
}

/// The trust list and the national office's key, verified under the root.
pub async fn trusted(h: &Harness) -> (vpass_credential::trust::VerifiedTrustList, PublicKey) {
    let a = send(&h.app, get("/trust-list", None)).await;
    assert_eq!(a.status, StatusCode::OK);
    let root = PublicKey::from_did_key(&h.service.root_did()).unwrap();
    let now = SystemClock.now();
    let list = verify_trust_list(std::str::from_utf8(&a.body).unwrap(), &root, now, None).unwrap();
    let office = &national(&list);
    let key = PublicKey::from_jwk(&office.keys[0].jwk).unwrap();
    (list, key)
}

/// The `n`-th valid IIN of a woman born 1995-01-01 (serials whose check digit exists).
pub fn iin(n: usize) -> String {
    (0..10_000)
        .filter_map(|serial| {
            let first = format!("9501014{serial:04}");
            vpass_credential::model::iin_check_digit(&first).map(|d| format!("{first}{d}"))
        })
        .nth(n)
        .unwrap()
}

pub fn volunteer_body(iin: &str) -> Value {
    json!({
        "name": {"kk": "Айгерим Нұрланова", "ru": "Айгерим Нурланова", "en": "Aigerim Nurlanova"},
        "iin": iin,
        "birthDate": "1995-01-01",
        "region": "KZ-71",
        "email": "aigerim@example.kz",
    })
}

pub async fn register_with(h: &Harness, token: &str, key: &str, body: &Value) -> Answer {
    send(
        &h.app,
        post(
            "/api/v1/volunteers",
            Some(token),
            Some(key),
            body.to_string(),
        ),
    )
    .await
}

/// Register a volunteer as the admin; its id.
pub async fn registered(h: &Harness, iin: &str) -> String {
    // Idempotency keys are the client's: never an IIN (they are stored as given).
    let key = format!("reg-{}", vpass_issuer::crypto::random_hex(8));
    let a = register_with(h, &h.token, &key, &volunteer_body(iin)).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    a.json()["id"].as_str().unwrap().to_owned()
}

/// The whole database as bytes: the SQLite file and its WAL, or every row of every
/// PostgreSQL table as JSON (`bytea` columns come out as hex).
pub async fn raw_dump(h: &Harness) -> Vec<u8> {
    if h.db_url.starts_with("postgres") {
        let pool = sqlx::postgres::PgPool::connect(&h.db_url).await.unwrap();
        let tables: Vec<(String,)> =
            sqlx::query_as("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(tables.len() >= 10, "{tables:?}");
        let mut out = Vec::new();
        for (t,) in tables {
            let rows: Vec<(String,)> =
                sqlx::query_as(&format!("SELECT row_to_json(x)::text FROM {t} x"))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            for (r,) in rows {
                out.extend_from_slice(r.as_bytes());
            }
        }
        out
    } else {
        let path = h.db_url.strip_prefix("sqlite://").unwrap();
        let mut out = std::fs::read(path).unwrap();
        if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
            out.extend(wal);
        }
        out
    }
}

/// [`iin_forms`] and the IIN as hex.
pub fn iin_forms_with_hex(iin: &str) -> Vec<Vec<u8>> {
    let mut forms = iin_forms(iin);
    forms.push(
        iin.bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into_bytes(),
    );
    forms
}

/// `POST /api/v1/credentials/batch` as `token` under Idempotency-Key `key`: `body` of
/// `content_type` (JSON or CSV).
pub fn batch_request(token: &str, key: &str, content_type: &str, body: String) -> Request<Body> {
    Request::post("/api/v1/credentials/batch")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("idempotency-key", key)
        .body(Body::from(body))
        .unwrap()
}

/// Another service on the harness's data folder and database (another instance, or the CLI):
/// it finds the first start done and writes no admin token.
pub async fn reopened(h: &Harness) -> vpass_issuer::Service {
    let mut config = Config::default_with_data_dir(h._dir.path().to_path_buf());
    config.database_url = Some(h.db_url.clone());
    let opened = service::open(&config).await.unwrap();
    assert!(opened.initial_admin_token.is_none());
    opened.service
}

/// [`reopened`], with `clock` and `limits`.
pub async fn second_instance(
    h: &Harness,
    clock: vpass_credential::time::UnixTime,
    limits: vpass_issuer::Limits,
) -> Arc<vpass_issuer::Service> {
    Arc::new(
        reopened(h)
            .await
            .with_clock(Box::new(vpass_credential::time::FixedClock(clock)))
            .with_limits(limits),
    )
}

/// Check an issued SD-JWT offline against the published trust list, as a verifier does: the
/// key chosen by the trust list from `kid`, `iss` and `iat`, then the signature. `Ok(kid)`,
/// or the trust error's code.
pub async fn verify_offline(h: &Harness, token: &str) -> Result<String, String> {
    let a = send(&h.app, get("/trust-list", None)).await;
    let root = PublicKey::from_did_key(&h.service.root_did()).unwrap();
    let list = verify_trust_list(
        std::str::from_utf8(&a.body).unwrap(),
        &root,
        SystemClock.now(),
        None,
    )
    .unwrap();
    let jws = vpass_credential::jose::parse(token.split('~').next().unwrap()).unwrap();
    let kid = jws.header.kid.clone().unwrap();
    let key = list
        .offices()
        .iter()
        .flat_map(|o| o.keys.iter())
        .find(|k| k.kid == kid)
        .map(|k| PublicKey::from_jwk(&k.jwk).unwrap())
        .unwrap();
    let verified = sdjwt::verify(token, &key, &sdjwt::VerifyOptions::at(SystemClock.now()))
        .map_err(|e| e.code().as_str().to_owned())?;
    let iss = verified.claims["iss"].as_str().unwrap();
    let iat = vpass_credential::time::UnixTime(verified.claims["iat"].as_i64().unwrap());
    list.find_key(Some(&kid), iss, iat)
        .map_err(|e| e.code().as_str().to_owned())?;
    Ok(kid)
}

/// `POST /api/v1/offices/{office}/keys/rotate` as `token` under Idempotency-Key `key`.
pub fn rotate_request(token: &str, office: &str, key: &str, body: Value) -> Request<Body> {
    post(
        &format!("/api/v1/offices/{office}/keys/rotate"),
        Some(token),
        Some(key),
        body.to_string(),
    )
}

/// The sequence number of the published trust list, verified under the root.
pub async fn trust_sequence(h: &Harness) -> u64 {
    let a = send(&h.app, get("/trust-list", None)).await;
    let root = PublicKey::from_did_key(&h.service.root_did()).unwrap();
    verify_trust_list(
        std::str::from_utf8(&a.body).unwrap(),
        &root,
        SystemClock.now(),
        None,
    )
    .unwrap()
    .sequence()
}

/// An hours request for a registered volunteer (name, IIN and birth date from the register).
pub fn hours_for(volunteer: &str, activity: &str, hours: f64, start: &str, end: &str) -> Value {
    let mut v = hours_body();
    v["volunteer"] = volunteer.into();
    let s = v["credentialSubject"].as_object_mut().unwrap();
    s.remove("name");
    s.insert("activity".into(), activity.into());
    s.insert("hours".into(), json!(hours));
    s.insert("periodStart".into(), start.into());
    s.insert("periodEnd".into(), end.into());
    v
}

/// The `credentialSubject` of an issued SD-JWT, verified with the national office's key.
pub async fn verified_subject(h: &Harness, token: &str) -> Value {
    let (_, key) = trusted(h).await;
    let v = sdjwt::verify(token, &key, &sdjwt::VerifyOptions::at(SystemClock.now())).unwrap();
    v.claims["credentialSubject"].clone()
}

/// An hours row naming its volunteer by IIN.
pub fn hours_by_iin(iin: &str, activity: &str, day: &str) -> Value {
    let mut v = hours_body();
    let s = v["credentialSubject"].as_object_mut().unwrap();
    s.insert("iin".into(), iin.into());
    s.insert("activity".into(), activity.into());
    s.insert("hours".into(), json!(2.0));
    s.insert("periodStart".into(), day.into());
    s.insert("periodEnd".into(), day.into());
    v
}

/// `GET /api/v1/credentials{query}` as `token`.
pub async fn list(h: &Harness, token: &str, query: &str) -> Answer {
    send(
        &h.app,
        get(&format!("/api/v1/credentials{query}"), Some(token)),
    )
    .await
}

/// `POST /api/v1/volunteers/{id}/passport` as `token` under Idempotency-Key `key`.
pub async fn passport(h: &Harness, token: &str, key: &str, id: &str, body: &str) -> Answer {
    send(
        &h.app,
        post(
            &format!("/api/v1/volunteers/{id}/passport"),
            Some(token),
            Some(key),
            body.to_owned(),
        ),
    )
    .await
}

/// Every way the IIN could show in stored bytes: as text, and in base64/base64url at each of
/// the three byte alignments (an SD-JWT disclosure is base64url of JSON holding it).
pub fn iin_forms(iin: &str) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let mut forms = vec![iin.as_bytes().to_vec()];
    for shift in 0..3usize {
        let mut bytes = vec![b'"'; shift];
        bytes.extend_from_slice(iin.as_bytes());
        for engine in [&STANDARD, &URL_SAFE_NO_PAD] {
            let enc = engine.encode(&bytes);
            // Drop the characters that also depend on the bytes before and after.
            let skip = (shift * 4).div_ceil(3);
            let keep = (bytes.len() * 4) / 3;
            forms.push(enc.as_bytes()[skip..keep].to_vec());
        }
    }
    forms
}
