//! Regression tests of issue 8 (security review) for the issuer's storage, concurrency, files
//! and HTTP server: concurrent revocations on PostgreSQL (finding 2), keyed request hashes
//! (3), strictly increasing status-list times (6), private data folder (9), public reads
//! beside writers (12), refused writes rate-limited (13), HTTP timeouts and shutdown (16).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use vpass_credential::status;
use vpass_credential::time::{Clock, FixedClock, SystemClock, UnixTime};
use vpass_issuer::service::{self, add_operator, Config};

#[macro_use]
mod common;
use common::*;

on_both_backends!(
    r5_concurrent_revocations_all_reach_the_published_list,
    r5_stored_request_hashes_are_keyed,
    r5_status_list_signed_time_strictly_increases,
    r5_public_reads_do_not_wait_for_writers,
    r5_refused_writes_count_against_the_rate_limit,
);

/// [`reopened`] with `limits`, and with a fixed clock at `clock` when given (this file's
/// variant of `common::second_instance`).
async fn second_instance(
    h: &Harness,
    clock: Option<UnixTime>,
    limits: vpass_issuer::Limits,
) -> Arc<vpass_issuer::Service> {
    let service = reopened(h).await.with_limits(limits);
    Arc::new(match clock {
        Some(at) => service.with_clock(Box::new(FixedClock(at))),
        None => service,
    })
}

fn batch_request(token: &str, key: &str, body: String) -> Request<Body> {
    Request::post("/api/v1/credentials/batch")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("idempotency-key", key)
        .body(Body::from(body))
        .unwrap()
}

/// Issue `n` credentials in the caller's office in one batch: (id, status index) each.
async fn issue_many(app: &axum::Router, token: &str, key: &str, n: usize) -> Vec<(String, u64)> {
    let rows: Vec<Value> = (0..n).map(|_| hours_body()).collect();
    let a = send(
        app,
        batch_request(token, key, Value::from(rows).to_string()),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    a.json()["issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_owned(),
                i["status_index"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn revoke_request(token: &str, id: &str, key: &str) -> Request<Body> {
    post(
        &format!("/api/v1/credentials/{id}/revoke"),
        Some(token),
        Some(key),
        r#"{"reason":"issued in error"}"#,
    )
}

/// The national office's status list 1 as published by `app`, verified.
async fn national_list(h: &Harness, app: &axum::Router) -> status::VerifiedStatusList {
    let (list, key) = trusted(h).await;
    let did = national(&list).id.clone();
    let url = national(&list).status_lists[0].clone();
    let a = send(app, get("/status/national/1", None)).await;
    assert_eq!(a.status, StatusCode::OK);
    status::verify_status_list(
        std::str::from_utf8(&a.body).unwrap(),
        &key,
        &did,
        &url,
        "revocation",
    )
    .unwrap()
}

/// Finding 2: revocations by several officers through two instances at once all show in the
/// list published afterwards (PostgreSQL interleaves them; SQLite serialises them).
async fn r5_concurrent_revocations_all_reach_the_published_list(h: Harness) {
    let store = h.service.store();
    let mut officers = Vec::new();
    for n in 0..3 {
        officers.push(
            add_operator(
                store,
                "test",
                &format!("officer {n}"),
                "officer",
                Some("national"),
            )
            .await
            .unwrap(),
        );
    }
    let other = vpass_issuer::app(second_instance(&h, None, vpass_issuer::Limits::default()).await);
    let apps = [h.app.clone(), other];
    let mut revoked = Vec::new();
    for round in 0..4 {
        let issued = issue_many(&h.app, &h.token, &format!("batch-{round}"), 60).await;
        let mut tasks = Vec::new();
        for (n, (id, index)) in issued.into_iter().enumerate() {
            let app = apps[n % 2].clone();
            let token = officers[n % officers.len()].clone();
            tasks.push(tokio::spawn(async move {
                let a = send(&app, revoke_request(&token, &id, &format!("r-{id}"))).await;
                assert_eq!(
                    a.status,
                    StatusCode::OK,
                    "{}",
                    String::from_utf8_lossy(&a.body)
                );
                index
            }));
        }
        for t in tasks {
            revoked.push(t.await.unwrap());
        }
        for app in &apps {
            let list = national_list(&h, app).await;
            let missing: Vec<u64> = revoked
                .iter()
                .copied()
                .filter(|&i| !list.list.get(i).unwrap())
                .collect();
            assert!(
                missing.is_empty(),
                "round {round}: {} of {} revoked indices missing from the published list: \
                 {missing:?}",
                missing.len(),
                revoked.len()
            );
        }
    }
}

/// Every form a stored hash could take in the dump: raw bytes (SQLite), hex (PostgreSQL's
/// `row_to_json` of bytea).
fn hash_forms(hash: &[u8]) -> Vec<Vec<u8>> {
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    vec![hash.to_vec(), hex.into_bytes()]
}

/// Finding 3: nothing in the database is an unkeyed hash of what a request sent (a
/// registration body holds the IIN; its SHA-256 would give the IIN back by trying the
/// ~20,000 IINs of the stored birth date), nor of the IIN itself.
async fn r5_stored_request_hashes_are_keyed(h: Harness) {
    let iin = (0..10_000)
        .find_map(|serial| {
            let first = format!("9501014{serial:04}");
            vpass_credential::model::iin_check_digit(&first).map(|d| format!("{first}{d}"))
        })
        .unwrap();
    let mut sent: Vec<(String, Vec<u8>)> = Vec::new();
    let register = json!({
        "name": {"kk": "Айгерим Нұрланова", "ru": "Айгерим Нурланова", "en": "Aigerim Nurlanova"},
        "iin": iin,
        "birthDate": "1995-01-01",
        "region": "KZ-71",
    })
    .to_string();
    let a = send(
        &h.app,
        post(
            "/api/v1/volunteers",
            Some(&h.token),
            Some("reg"),
            register.clone(),
        ),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    sent.push(("POST /api/v1/volunteers".into(), register.into_bytes()));
    let mut body = hours_body();
    body["credentialSubject"]["iin"] = iin.clone().into();
    let body = body.to_string();
    let a = send(
        &h.app,
        post(
            "/api/v1/credentials",
            Some(&h.token),
            Some("iss"),
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
    sent.push(("POST /api/v1/credentials".into(), body.into_bytes()));
    let id = a.json()["id"].as_str().unwrap().to_owned();
    let rows = json!([hours_body()]).to_string();
    let a = send(&h.app, batch_request(&h.token, "batch", rows.clone())).await;
    assert_eq!(a.status, StatusCode::OK);
    sent.push(("POST /api/v1/credentials/batch".into(), rows.into_bytes()));
    let reason = r#"{"reason":"issued in error"}"#;
    let a = send(&h.app, revoke_request(&h.token, &id, "rev")).await;
    assert_eq!(a.status, StatusCode::OK);
    sent.push((
        format!("POST /api/v1/credentials/{id}/revoke"),
        reason.as_bytes().to_vec(),
    ));

    let dump = raw_dump(&h).await;
    assert!(dump.len() > 10_000);
    let mut hashes = Vec::new();
    for (target, body) in &sent {
        let mut bytes = target.as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend_from_slice(body);
        hashes.push((
            format!("request {target}"),
            vpass_issuer::crypto::sha256(&bytes),
        ));
        hashes.push((
            format!("body of {target}"),
            vpass_issuer::crypto::sha256(body),
        ));
    }
    hashes.push((
        "the IIN".into(),
        vpass_issuer::crypto::sha256(iin.as_bytes()),
    ));
    for (what, hash) in hashes {
        for form in hash_forms(&hash) {
            assert!(
                !dump.windows(form.len()).any(|w| w == form.as_slice()),
                "an unkeyed SHA-256 of {what} is in the database"
            );
        }
    }
    // Idempotency still works with keyed hashes: a retry replays, another body conflicts.
    let a = send(&h.app, revoke_request(&h.token, &id, "rev")).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = send(
        &h.app,
        post(
            &format!("/api/v1/credentials/{id}/revoke"),
            Some(&h.token),
            Some("rev"),
            r#"{"reason":"another"}"#,
        ),
    )
    .await;
    assert_problem(
        &a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "IDEMPOTENCY_KEY_REUSED",
        Some("Idempotency-Key"),
    );
}

/// Finding 6: two revocations within one second publish two lists whose signed times
/// strictly increase (a verifier can then tell the newer from the older).
async fn r5_status_list_signed_time_strictly_increases(h: Harness) {
    let issued = issue_many(&h.app, &h.token, "b", 3).await;
    // One instance whose clock stands still: every revocation in the same second.
    let now = SystemClock.now();
    let app =
        vpass_issuer::app(second_instance(&h, Some(now), vpass_issuer::Limits::default()).await);
    let first = national_list(&h, &app).await;
    let mut times = vec![first.valid_from];
    for (n, (id, index)) in issued.iter().enumerate() {
        let a = send(&app, revoke_request(&h.token, id, &format!("r{n}"))).await;
        assert_eq!(a.status, StatusCode::OK);
        let list = national_list(&h, &app).await;
        assert!(list.list.get(*index).unwrap());
        times.push(list.valid_from);
    }
    for pair in times.windows(2) {
        assert!(
            pair[0] < pair[1],
            "status list validFrom did not increase: {:?}",
            times
        );
    }
}

/// Finding 12: while another transaction holds the database's write lock, the public
/// documents and the health check still answer (read from the read pool; nothing is due).
async fn r5_public_reads_do_not_wait_for_writers(h: Harness) {
    let paths = [
        "/trust-list",
        "/status/national/1",
        "/.well-known/did.json",
        "/offices/kz-75/did.json",
        "/healthz",
    ];
    // Signed once (the first fetch of a status list signs it).
    for p in paths {
        assert_eq!(
            send(&h.app, get(p, None)).await.status,
            StatusCode::OK,
            "{p}"
        );
    }
    // Hold the writer: SQLite's single write lock, or exclusive table locks on PostgreSQL
    // (they block writes, not reads).
    let holder: Box<dyn std::any::Any> = if h.db_url.starts_with("postgres") {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&h.db_url).await.unwrap();
        sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        sqlx::query(
            "LOCK TABLE trust_lists, trust_list_changes, status_lists, office_keys, settings, \
             credentials IN EXCLUSIVE MODE",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        Box::new(conn)
    } else {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&h.db_url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .unwrap();
        Box::new(conn)
    };
    for p in paths {
        // A hang detector, not a speed target: the service's busy wait is 10 s.
        let a = tokio::time::timeout(Duration::from_secs(5), send(&h.app, get(p, None)))
            .await
            .unwrap_or_else(|_| panic!("GET {p} waited for the writer"));
        assert_eq!(a.status, StatusCode::OK, "{p}");
    }
    drop(holder);
}

/// Finding 13: with a limit of N writes a minute, N refused writes (400, 422) use it up and
/// the next write gets 429 before it is read.
async fn r5_refused_writes_count_against_the_rate_limit(h: Harness) {
    // A fixed clock 15 s into a minute, so that the test never straddles two windows.
    let now = SystemClock.now().0;
    let at = UnixTime(now - now.rem_euclid(60) + 15);
    let limits = vpass_issuer::Limits {
        rate_limit_per_minute: 4,
        ..vpass_issuer::Limits::default()
    };
    let app = vpass_issuer::app(second_instance(&h, Some(at), limits).await);
    let token = h.token.as_str();
    let mut invalid = hours_body();
    invalid["credentialSubject"]["hours"] = "many".into();
    let refused = [
        // Not JSON: 400.
        post("/api/v1/credentials", Some(token), Some("a"), "{"),
        // No idempotency key: 400.
        post(
            "/api/v1/credentials",
            Some(token),
            None,
            hours_body().to_string(),
        ),
        // An invalid credential: 422.
        post(
            "/api/v1/credentials",
            Some(token),
            Some("b"),
            invalid.to_string(),
        ),
        // A bad revocation: 404 / 400.
        revoke_request(token, "no-such-credential", "c"),
    ];
    for req in refused {
        let a = send(&app, req).await;
        assert!(a.status.is_client_error(), "{}", a.status);
        assert_ne!(a.status, StatusCode::TOO_MANY_REQUESTS);
    }
    for req in [
        post("/api/v1/credentials", Some(token), Some("d"), "{"),
        post(
            "/api/v1/credentials",
            Some(token),
            Some("e"),
            hours_body().to_string(),
        ),
        batch_request(token, "f", "[".into()),
    ] {
        let a = send(&app, req).await;
        assert_problem(&a, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", None);
        assert_eq!(a.headers[header::RETRY_AFTER], "45");
    }
    assert_eq!(h.service.store().credential_count().await.unwrap(), 0);
}

/// The permission bits of a file or folder.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Finding 9: with a umask of 022 the data folder is 0700 and every file in it 0600 (the
/// database, its WAL and shared-memory files, the KEK, the admin token); a database left
/// world-readable by an earlier version is narrowed at the next start.
#[cfg(unix)]
#[tokio::test]
async fn r5_data_folder_and_files_are_private_whatever_the_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("vpass-data");
    let (service, _) = start_in(&data, None).await;
    // A write, so that the WAL and shared-memory files exist.
    let a = send(
        &vpass_issuer::app(service.clone()),
        get("/status/national/1", None),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(mode(&data), 0o700, "the data folder");
    for name in [
        "vpass.db",
        "vpass.db-wal",
        "vpass.db-shm",
        "kek",
        "initial-admin-token",
    ] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    let mut names: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    drop(service);
    // An earlier version's world-readable database is narrowed at the next start.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        data.join("vpass.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (again, token) = start_in(&data, None).await;
    assert!(token.is_none());
    assert_eq!(mode(&data.join("vpass.db")), 0o600);
    drop(again);
}

/// Finding 9: a data folder that others may read is refused at start, saying how to fix it.
#[cfg(unix)]
#[tokio::test]
async fn r5_data_folder_open_to_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("vpass-data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = Config::default_with_data_dir(data.clone());
    let err = service::open(&config)
        .await
        .expect_err("an open data folder is refused");
    let text = err.to_string();
    assert!(
        text.contains(&format!("chmod 700 {}", data.display())),
        "{text}"
    );
    assert!(matches!(
        err,
        service::StartError::DataDirNotPrivate { mode: 0o755, .. }
    ));
    // Nothing was created in it.
    assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0);
    // Fixed as the message says, it starts.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let (_, token) = start_in(&data, None).await;
    assert!(token.is_some());
}

/// Send `request` on a new connection and read until the server closes it.
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    // A hang detector, not a speed target.
    tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut answer))
        .await
        .expect("the server kept the connection open")
        .unwrap();
    answer
}

/// Finding 16, on a real socket: a client that sends half a request header is disconnected
/// after the header read timeout; a graceful stop completes within its deadline while a
/// client is in the middle of sending a body (and that connection is closed).
#[tokio::test]
async fn r5_slow_clients_are_disconnected_and_a_graceful_stop_has_a_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = private_tempdir();
    let data = dir.path().join("data");
    let mut config = Config::default_with_data_dir(data.clone());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.header_read_timeout = Duration::from_secs(1);
    config.body_read_timeout = Duration::from_secs(600);
    config.shutdown_timeout = Duration::from_secs(1);
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(vpass_issuer::serve_until(
        config,
        move |addr| {
            let _ = addr_tx.send(addr);
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let addr = addr_rx.await.unwrap();
    let token = std::fs::read_to_string(data.join("initial-admin-token")).unwrap();

    // Half a header: disconnected (the 20 s hang detector is far above the 1 s timeout).
    exchange(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
    )
    .await;
    // The service still answers whole requests.
    let ok = exchange(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        ok.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&ok)
    );

    // A client stuck in its body (the body timeout is 10 minutes here).
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/credentials HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Idempotency-Key: slow\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{",
        token.trim()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    // Let the request reach its handler, then stop.
    let ok = exchange(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with(b"HTTP/1.1 200"));
    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("the graceful stop waited past its deadline")
        .unwrap()
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(20), slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the slow client's connection was left open");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// Finding 16: a body that does not arrive within the body read timeout is answered 408.
#[tokio::test]
async fn r5_slow_body_is_refused_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = private_tempdir();
    let data = dir.path().join("data");
    let mut config = Config::default_with_data_dir(data.clone());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.body_read_timeout = Duration::from_secs(1);
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(vpass_issuer::serve_until(
        config,
        move |addr| {
            let _ = addr_tx.send(addr);
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let addr = addr_rx.await.unwrap();
    let token = std::fs::read_to_string(data.join("initial-admin-token")).unwrap();
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/credentials HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Idempotency-Key: slow\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{",
        token.trim()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), slow.read_to_end(&mut answer))
        .await
        .expect("the slow body kept its connection")
        .unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("BODY_TIMEOUT"), "{text}");
    stop_tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}
