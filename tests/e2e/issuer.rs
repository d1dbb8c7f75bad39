//! The issuer service as a real process: `vpass serve` on a free port with a fresh data folder,
//! driven over real HTTP; what it publishes is enough for an offline verifier.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use vpass_credential::time::{Clock, SystemClock};
use vpass_credential::Code;
use vpass_verifier::{verify, Policy, TrustStore};

use crate::util::{repo_root, stdout, vpass, vpass_bin, TempDir};

/// A running `vpass serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
    data: PathBuf,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binding port 0");
    l.local_addr().expect("local addr").port()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// GET `url`: status and body.
fn get(url: &str) -> (u16, String) {
    let mut resp = agent().get(url).call().expect("GET");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().expect("body"))
}

/// POST JSON with the token and an idempotency key: status and the exact body bytes.
fn post(s: &Server, path: &str, key: &str, body: &str) -> (u16, Vec<u8>) {
    let mut resp = agent()
        .post(&format!("{}{path}", s.base))
        .header("Authorization", &format!("Bearer {}", s.token))
        .header("Idempotency-Key", key)
        .header("Content-Type", "application/json")
        .send(body)
        .expect("POST");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_vec().expect("body"))
}

fn start(dir: &Path) -> Server {
    start_with(dir, true)
}

/// Start `vpass serve` on `dir/data`; `first` when the data directory is new.
fn start_with(dir: &Path, first: bool) -> Server {
    let port = free_port();
    let data = dir.join("data");
    let log = std::fs::File::create(dir.join("serve.log")).expect("log file");
    let child = Command::new(vpass_bin())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&data)
        .env_remove("VPASS_KEK")
        .env_remove("VPASS_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawning vpass serve");
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        data,
        token: String::new(),
    };
    // Readiness: poll /healthz (a bounded number of tries, not a timing assertion).
    let mut ready = false;
    for _ in 0..600 {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("vpass serve exited early ({status})");
        }
        if agent()
            .get(&format!("{}/healthz", server.base))
            .call()
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default();
    assert!(ready, "vpass serve did not become ready:\n{log}");
    if first {
        assert!(log.contains("initial-admin-token"), "{log}");
    }
    server.token = std::fs::read_to_string(server.data.join("initial-admin-token"))
        .expect("initial admin token")
        .trim()
        .to_owned();
    server
}

fn hours_request() -> String {
    let text = std::fs::read_to_string(repo_root().join("examples/hours.json")).expect("hours");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    let obj = v.as_object_mut().expect("object");
    obj.remove("issuer");
    obj.remove("credentialStatus");
    // Without the IIN the request is not linked to a volunteer, so the same event may be
    // issued many times (a linked volunteer's second credential for it is DUPLICATE_EVENT).
    v["credentialSubject"]
        .as_object_mut()
        .expect("subject")
        .remove("iin");
    v.to_string()
}

/// A verifier trust-store folder from what the service publishes plus the pinned root key.
fn sync_trust_store(s: &Server, store: &Path, status_url: &str) {
    std::fs::create_dir_all(store.join("status")).expect("store dir");
    let root = vpass(
        store,
        &[
            "admin",
            "root-key",
            "--data-dir",
            s.data.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(root.status.success(), "{root:?}");
    std::fs::write(store.join("root-key"), stdout(&root)).expect("root-key");
    let (status, list) = get(&format!("{}/trust-list", s.base));
    assert_eq!(status, 200);
    std::fs::write(store.join("trust-list.jwt"), list).expect("trust list");
    // The list URL names the public host (localhost); fetch it from where we listen.
    let path = status_url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .expect("status list path");
    let (status, token) = get(&format!("{}{path}", s.base));
    assert_eq!(status, 200);
    std::fs::write(store.join("status/list.jwt"), token).expect("status list");
}

fn count_credentials(data: &Path) -> i64 {
    let url = format!("sqlite://{}", data.join("vpass.db").display());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let store = vpass_issuer::service::connect(&url).await.expect("db");
            store.credential_count().await.expect("count")
        })
}

#[test]
fn serve_issue_verify_revoke_verify_again() {
    let dir = TempDir::new("issuer-story");
    let server = start(&dir.0);
    let (status, health) = get(&format!("{}/healthz", server.base));
    assert_eq!((status, health.as_str()), (200, r#"{"status":"ok"}"#));

    let request = hours_request();
    let (status, first) = post(&server, "/api/v1/credentials", "story-1", &request);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&first));
    // A retry with the same key: byte-identical answer, nothing new stored.
    let (status, again) = post(&server, "/api/v1/credentials", "story-1", &request);
    assert_eq!(status, 201);
    assert_eq!(again, first);
    assert_eq!(count_credentials(&server.data), 1);

    let answer: Value = serde_json::from_slice(&first).expect("json answer");
    let id = answer["id"].as_str().expect("id");
    let credential = answer["credential"].as_str().expect("credential");
    let status_url = answer["status_list"].as_str().expect("status list url");
    let store_dir = dir.0.join("trust");
    sync_trust_store(&server, &store_dir, status_url);

    let now = SystemClock.now();
    let store = TrustStore::open(&store_dir, now).expect("trust store");
    let verdict = verify(credential, &store, &Policy::at(now));
    assert!(verdict.valid, "{:?}", verdict.errors);
    assert!(verdict.status.checked && !verdict.status.revoked);
    assert_eq!(verdict.status.index, answer["status_index"].as_u64());
    // The same through the binary a verifier runs.
    let out = vpass(
        &dir.0,
        &[
            "verify",
            "--trust-store",
            store_dir.to_str().expect("utf-8 path"),
            "--text",
            credential,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Revoke with the CLI; then the re-fetched status list says REVOKED.
    let out = vpass(
        &dir.0,
        &[
            "revoke",
            id,
            "--reason",
            "issued in error",
            "--server",
            &server.base,
            "--token",
            &server.token,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout(&out), id);
    sync_trust_store(&server, &store_dir, status_url);
    let store = TrustStore::open(&store_dir, now).expect("trust store");
    let verdict = verify(credential, &store, &Policy::at(now));
    assert!(!verdict.valid);
    assert_eq!(
        verdict.first_code(),
        Some(Code::Revoked),
        "{:?}",
        verdict.errors
    );
    assert!(verdict.status.revoked);

    // A second revocation is refused with a problem, through the CLI as well.
    let out = vpass(
        &dir.0,
        &[
            "revoke",
            id,
            "--reason",
            "again",
            "--server",
            &server.base,
            "--token",
            &server.token,
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ALREADY_REVOKED"));
}

#[test]
fn cli_issue_through_the_server_and_refusals_name_the_field() {
    let dir = TempDir::new("issuer-cli");
    let server = start(&dir.0);
    let claims = repo_root().join("examples/hours.json");
    let holder = dir.0.join("holder.jwk");
    let out = vpass(
        &dir.0,
        &["keys", "generate", "--out", holder.to_str().expect("utf-8")],
        None,
    );
    assert!(out.status.success());
    let args = [
        "issue",
        "--server",
        &server.base,
        "--token",
        &server.token,
        "--claims",
        claims.to_str().expect("utf-8"),
        "--holder",
        holder.to_str().expect("utf-8"),
        "--json",
    ];
    let out = vpass(&dir.0, &args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(answer["id"].is_string());
    assert!(answer["credential"].as_str().expect("token").contains('~'));

    // The office checks the content: the error names the field.
    let bad = dir.0.join("bad.json");
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(&claims).expect("claims")).expect("json");
    v["credentialSubject"]["hours"] = (-3).into();
    std::fs::write(&bad, v.to_string()).expect("bad claims");
    let out = vpass(
        &dir.0,
        &[
            "issue",
            "--server",
            &server.base,
            "--token",
            &server.token,
            "--claims",
            bad.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("INVALID_FIELD at credentialSubject.hours"),
        "{err}"
    );
    // A wrong token is refused.
    let out = vpass(
        &dir.0,
        &[
            "issue",
            "--server",
            &server.base,
            "--token",
            "nope",
            "--claims",
            claims.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("401 UNAUTHORIZED"));
    assert_eq!(count_credentials(&server.data), 1);

    // An officer created with `vpass admin` while the service runs issues for its office.
    let data = server.data.to_str().expect("utf-8");
    let out = vpass(
        &dir.0,
        &[
            "admin",
            "add-operator",
            "--name",
            "Almaty officer",
            "--role",
            "officer",
            "--office",
            "kz-75",
            "--data-dir",
            data,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let officer = stdout(&out);
    // Another event: the same volunteer and event again would be DUPLICATE_EVENT.
    let other = dir.0.join("other-event.json");
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(&claims).expect("claims")).expect("json");
    v["credentialSubject"]["activity"] = "Almaty spring clean-up".into();
    std::fs::write(&other, v.to_string()).expect("other claims");
    let out = vpass(
        &dir.0,
        &[
            "issue",
            "--server",
            &server.base,
            "--token",
            &officer,
            "--claims",
            other.to_str().expect("utf-8"),
            "--json",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let id = answer["id"].as_str().expect("id");
    let mut resp = agent()
        .get(&format!("{}/api/v1/credentials/{id}", server.base))
        .header("Authorization", &format!("Bearer {officer}"))
        .call()
        .expect("GET");
    let stored: Value =
        serde_json::from_str(&resp.body_mut().read_to_string().expect("body")).expect("json");
    assert_eq!(stored["office"], "kz-75");
    assert!(stored["status_list"]
        .as_str()
        .expect("url")
        .ends_with("/status/kz-75/1"));
}

#[test]
fn issue_batch_from_csv_reports_each_refused_row() {
    let dir = TempDir::new("issuer-batch");
    let server = start(&dir.0);
    let csv = dir.0.join("event.csv");
    let mut text = String::from(
        "name,hours,activity,organization,periodStart,periodEnd,validFrom,validUntil\n",
    );
    for i in 0..50 {
        // Every tenth row claims 0 hours.
        let hours = if i % 10 == 9 { 0 } else { 4 };
        text.push_str(&format!(
            "Volunteer {i},{hours},Clean-up,AVC,2026-05-30,2026-05-31,\
             2026-06-01T00:00:00Z,2031-06-01T00:00:00Z\n"
        ));
    }
    std::fs::write(&csv, text).expect("csv");
    let report = dir.0.join("report.json");
    let out = vpass(
        &dir.0,
        &[
            "issue-batch",
            "--csv",
            csv.to_str().expect("utf-8"),
            "--report",
            report.to_str().expect("utf-8"),
            "--server",
            &server.base,
            "--token",
            &server.token,
            "--idempotency-key",
            "event-42",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout(&out).lines().count(), 45);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("row 10: INVALID_FIELD credentialSubject.hours"),
        "{stderr}"
    );
    let first = std::fs::read(&report).expect("report");
    let parsed: Value = serde_json::from_slice(&first).expect("json");
    assert_eq!(parsed["errors"].as_array().expect("errors").len(), 5);
    assert_eq!(count_credentials(&server.data), 45);
    // The same key again: the same report, nothing issued twice.
    let out = vpass(
        &dir.0,
        &[
            "issue-batch",
            "--csv",
            csv.to_str().expect("utf-8"),
            "--report",
            report.to_str().expect("utf-8"),
            "--server",
            &server.base,
            "--token",
            &server.token,
            "--idempotency-key",
            "event-42",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&report).expect("report"), first);
    assert_eq!(count_credentials(&server.data), 45);
}

/// The crash test of issue 4: a 5,000-credential batch sent in ten parts with idempotency keys,
/// `kill -9` mid-way, restart, retry everything. Every part acknowledged before the crash
/// comes back byte for byte, nothing is issued twice, no two credentials share a status
/// index, and the credentials verify offline.
#[test]
fn crash_kill9_mid_batch_then_retry_loses_and_duplicates_nothing() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    const PARTS: usize = 10;
    const ROWS: usize = 500;
    let dir = TempDir::new("issuer-crash");
    let mut server = start(&dir.0);
    let row: Value = serde_json::from_str(&hours_request()).expect("row");
    let bodies: Vec<String> = (0..PARTS)
        .map(|p| {
            let rows: Vec<Value> = (0..ROWS)
                .map(|r| {
                    let mut row = row.clone();
                    row["credentialSubject"]["hours"] = Value::from(1 + (p * ROWS + r) % 40);
                    row
                })
                .collect();
            Value::Array(rows).to_string()
        })
        .collect();
    let bodies = Arc::new(bodies);
    let acked: Arc<Mutex<Vec<Option<Vec<u8>>>>> = Arc::new(Mutex::new(vec![None; PARTS]));
    let count = Arc::new(AtomicUsize::new(0));

    // Send the parts one after another until the server dies.
    let sender = {
        let (bodies, acked, count) = (bodies.clone(), acked.clone(), count.clone());
        let (base, token) = (server.base.clone(), server.token.clone());
        std::thread::spawn(move || {
            for (p, body) in bodies.iter().enumerate() {
                let sent = agent()
                    .post(&format!("{base}/api/v1/credentials/batch"))
                    .header("Authorization", &format!("Bearer {token}"))
                    .header("Idempotency-Key", &format!("crash-part-{p}"))
                    .header("Content-Type", "application/json")
                    .send(body.as_str());
                match sent {
                    Ok(mut resp) if resp.status().as_u16() == 200 => {
                        let bytes = resp.body_mut().read_to_vec().unwrap_or_default();
                        acked.lock().expect("lock")[p] = Some(bytes);
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => return,
                }
            }
        })
    };
    // Kill -9 once three parts are acknowledged (bounded wait, not a timing assertion).
    for _ in 0..6000 {
        if count.load(Ordering::SeqCst) >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    server.child.kill().expect("kill -9");
    let _ = server.child.wait();
    sender.join().expect("sender thread");
    let acked_before = acked.lock().expect("lock").clone();
    let n_acked = acked_before.iter().flatten().count();
    assert!(
        (3..PARTS).contains(&n_acked),
        "the crash must land mid-way: {n_acked} acked"
    );

    // Restart on the same data and retry every part with its key.
    drop(server);
    let server = start_with(&dir.0, false);
    let mut ids = std::collections::HashSet::new();
    let mut indices = std::collections::HashSet::new();
    let mut credentials = Vec::new();
    for (p, body) in bodies.iter().enumerate() {
        let (status, answer) = post(
            &server,
            "/api/v1/credentials/batch",
            &format!("crash-part-{p}"),
            body,
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        if let Some(first) = &acked_before[p] {
            assert_eq!(
                &answer, first,
                "part {p}: a retry must return the first answer"
            );
        }
        let report: Value = serde_json::from_slice(&answer).expect("report");
        let issued = report["issued"].as_array().expect("issued");
        assert_eq!(issued.len(), ROWS, "part {p}");
        assert!(report["errors"].as_array().is_some_and(Vec::is_empty));
        for row in issued {
            assert!(ids.insert(row["id"].as_str().expect("id").to_owned()));
            assert!(indices.insert(row["status_index"].as_u64().expect("index")));
            credentials.push(row["credential"].as_str().expect("credential").to_owned());
        }
    }
    assert_eq!(ids.len(), PARTS * ROWS);
    assert_eq!(
        indices.len(),
        PARTS * ROWS,
        "no two credentials share a status index"
    );
    assert_eq!(
        count_credentials(&server.data),
        (PARTS * ROWS) as i64,
        "nothing issued twice"
    );

    // They verify offline against what the service publishes.
    let store_dir = dir.0.join("trust");
    let (_, body) = post(
        &server,
        "/api/v1/credentials/batch",
        "crash-part-0",
        &bodies[0],
    );
    let report: Value = serde_json::from_slice(&body).expect("report");
    sync_trust_store(
        &server,
        &store_dir,
        report["status_list"].as_str().expect("list"),
    );
    let now = SystemClock.now();
    let store = TrustStore::open(&store_dir, now).expect("trust store");
    for credential in credentials.iter().step_by(97) {
        let verdict = verify(credential, &store, &Policy::at(now));
        assert!(verdict.valid, "{:?}", verdict.errors);
    }
}
