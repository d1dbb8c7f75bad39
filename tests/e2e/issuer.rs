//! The issuer service as a real process: `vpass serve` on a free port with a fresh data folder,
//! driven over real HTTP; what it publishes is enough for an offline verifier.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use vpass_credential::time::{Clock, SystemClock};
use vpass_credential::Code;
use vpass_verifier::{verify, Policy, TrustStore};

use crate::util::{repo_root, stdout, vpass, vpass_bin, TempDir};

/// A running `vpass serve`, killed (`kill -9`) when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) data: PathBuf,
    pub(crate) token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binding port 0");
    l.local_addr().expect("local addr").port()
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// GET `url`: status and body.
pub(crate) fn get(url: &str) -> (u16, String) {
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

/// Start `vpass serve` on `dir/data` with its SQLite database; `first` when the data directory
/// is new.
fn start_with(dir: &Path, first: bool) -> Server {
    launch(&Launch {
        first,
        ..Launch::new(dir, free_port())
    })
}

/// How to start one `vpass serve`: in `dir` (data folder `dir/data`, log `dir/serve.log`), on
/// 127.0.0.1:`port`.
pub(crate) struct Launch<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) port: u16,
    /// The database is new: this start bootstraps it and writes the initial admin token.
    pub(crate) first: bool,
    /// `--database-url` (default: SQLite in the data folder).
    pub(crate) database_url: Option<&'a str>,
    /// `VPASS_KEK` (default: the `kek` file in the data folder).
    pub(crate) kek: Option<&'a str>,
    /// `--public-url` (default: http://localhost:PORT).
    pub(crate) public_url: Option<&'a str>,
}

impl<'a> Launch<'a> {
    pub(crate) fn new(dir: &'a Path, port: u16) -> Launch<'a> {
        Launch {
            dir,
            port,
            first: true,
            database_url: None,
            kek: None,
            public_url: None,
        }
    }
}

/// Start `vpass serve` as `l` says and wait until `/healthz` answers. The server's token is
/// the initial admin token from its data folder (empty when there is none: an instance that
/// joined a database another one bootstrapped).
pub(crate) fn launch(l: &Launch) -> Server {
    let port = l.port;
    let data = l.dir.join("data");
    let log_path = l.dir.join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut cmd = Command::new(vpass_bin());
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
    ])
    .arg(&data);
    if let Some(url) = l.database_url {
        cmd.args(["--database-url", url]);
    }
    if let Some(url) = l.public_url {
        cmd.args(["--public-url", url]);
    }
    match l.kek {
        Some(kek) => cmd.env("VPASS_KEK", kek),
        None => cmd.env_remove("VPASS_KEK"),
    };
    let child = cmd
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
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("vpass serve exited early ({status}):\n{log}");
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
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(ready, "vpass serve did not become ready:\n{log}");
    assert_eq!(
        log.contains("initial-admin-token"),
        l.first,
        "only the first start of a database bootstraps it:\n{log}"
    );
    let token_file = server.data.join("initial-admin-token");
    if l.first || token_file.exists() {
        server.token = std::fs::read_to_string(token_file)
            .expect("initial admin token")
            .trim()
            .to_owned();
    }
    server
}

/// Create an officer of `office` with `vpass admin add-operator` on the data folder `data`
/// (works while the service runs): its API token.
fn add_officer(dir: &Path, data: &str, name: &str, office: &str) -> String {
    let out = vpass(
        dir,
        &[
            "admin",
            "add-operator",
            "--name",
            name,
            "--role",
            "officer",
            "--office",
            office,
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
    stdout(&out)
}

/// The claims file `claims` as another event (`activity`), written to `dir`: issuing the same
/// volunteer and event twice would be DUPLICATE_EVENT.
fn other_event(dir: &Path, claims: &Path, activity: &str) -> PathBuf {
    let other = dir.join("other-event.json");
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(claims).expect("claims")).expect("json");
    v["credentialSubject"]["activity"] = activity.into();
    std::fs::write(&other, v.to_string()).expect("other claims");
    other
}

pub(crate) fn hours_request() -> String {
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

/// `vpass trust sync` against the running service, as a verifier would run it: the root key
/// from `vpass admin root-key` is given at the first sync and pinned; later syncs use the pin.
/// The published URLs name `localhost:<port>`, which reaches the listening server.
fn vpass_trust_sync(s: &Server, store: &Path, first: bool) {
    let mut args = vec![
        "trust".to_owned(),
        "sync".to_owned(),
        "--from".to_owned(),
        s.base.clone(),
        "--trust-store".to_owned(),
        store.to_str().expect("utf-8").to_owned(),
    ];
    if first {
        let root = vpass(
            &s.data,
            &[
                "admin",
                "root-key",
                "--data-dir",
                s.data.to_str().expect("utf-8"),
            ],
            None,
        );
        assert!(root.status.success(), "{root:?}");
        args.push("--root-key".into());
        args.push(stdout(&root));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = vpass(&s.data, &args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("status lists in"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    vpass_trust_sync(&server, &store_dir, true);

    let now = SystemClock.now();
    let store = TrustStore::open(&store_dir, now).expect("trust store");
    let verdict = verify(credential, &store, &Policy::at(now));
    assert!(verdict.valid, "{:?}", verdict.errors);
    assert!(verdict.status.checked && !verdict.status.revoked);
    assert_eq!(verdict.status.list.as_deref(), Some(status_url));
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
    vpass_trust_sync(&server, &store_dir, false);
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
    let officer = add_officer(&dir.0, data, "Almaty officer", "kz-75");
    // Another event: the same volunteer and event again would be DUPLICATE_EVENT.
    let other = other_event(&dir.0, &claims, "Almaty spring clean-up");
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

/// A valid IIN for volunteer number `n` (the birth date and serial vary; serials without a
/// check digit are skipped, as they are never assigned).
pub(crate) fn iin(n: usize) -> String {
    let mut serial = n;
    loop {
        let first = format!(
            "{:02}{:02}{:02}{}{:04}",
            90 + (serial / 336) % 10,
            1 + (serial / 28) % 12,
            1 + serial % 28,
            3 + serial % 2,
            serial % 10_000
        );
        if let Some(check) = vpass_credential::model::iin_check_digit(&first) {
            return format!("{first}{check}");
        }
        serial += 1_000_003;
    }
}

/// CSV of `rows` hours credentials with distinct names and IINs; `broken(i)` may replace row
/// `i` (0-based).
fn event_csv(rows: usize, broken: impl Fn(usize) -> Option<String>) -> String {
    let mut text = String::from(
        "name,iin,hours,activity,organization,periodStart,periodEnd,validFrom,validUntil\n",
    );
    for i in 0..rows {
        let line = broken(i).unwrap_or_else(|| {
            format!(
                "Volunteer {i},{},4,Clean-up,AVC,2026-05-30,2026-05-31,\
                 2026-06-01T00:00:00Z,2031-06-01T00:00:00Z",
                iin(i)
            )
        });
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// `vpass issue-batch` with `args`, the service and token from `VPASS_SERVER` and
/// `VPASS_TOKEN`.
fn issue_batch_cmd(dir: &Path, server: &Server, args: &[&str]) -> Command {
    let mut cmd = Command::new(vpass_bin());
    cmd.arg("issue-batch")
        .args(args)
        .current_dir(dir)
        .env("VPASS_SERVER", &server.base)
        .env("VPASS_TOKEN", &server.token)
        .stdin(Stdio::null());
    cmd
}

/// The report file as (row, status, id, code, field) tuples, after checking its header.
fn read_report(path: &Path) -> Vec<[String; 5]> {
    let text = std::fs::read_to_string(path).expect("report file");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("row,status,id,code,field,reason"));
    lines
        .map(|l| {
            let cells: Vec<&str> = l.splitn(6, ',').collect();
            assert_eq!(cells.len(), 6, "{l}");
            [0, 1, 2, 3, 4].map(|i| cells[i].to_owned())
        })
        .collect()
}

#[test]
fn issue_batch_in_parts_reports_every_row_and_a_rerun_issues_nothing_twice() {
    let dir = TempDir::new("issuer-batch");
    let server = start(&dir.0);
    let csv = dir.0.join("event.csv");
    // 50 rows in parts of 20: every tenth claims 0 hours, row 13 has a cell too few, row 26 an
    // IIN with a wrong check digit; the rest are good.
    let text = event_csv(50, |i| match i {
        _ if i % 10 == 9 => Some(format!(
            "Volunteer {i},{},0,Clean-up,AVC,2026-05-30,2026-05-31,\
             2026-06-01T00:00:00Z,2031-06-01T00:00:00Z",
            iin(i)
        )),
        12 => Some("Volunteer 12,4,Clean-up,AVC,2026-05-30,2026-05-31,2026-06-01T00:00:00Z".into()),
        25 => Some(
            "Volunteer 25,950101400122,4,Clean-up,AVC,2026-05-30,2026-05-31,\
             2026-06-01T00:00:00Z,2031-06-01T00:00:00Z"
                .into(),
        ),
        _ => None,
    });
    std::fs::write(&csv, text).expect("csv");
    let csv_arg = csv.to_str().expect("utf-8");
    let out = issue_batch_cmd(&dir.0, &server, &["--csv", csv_arg, "--part-rows", "20"])
        .output()
        .expect("running vpass issue-batch");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let ids: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(ids.len(), 43, "{stderr}");
    assert!(stderr.contains("part 3/3 (rows 41–50)"), "{stderr}");
    assert!(
        stderr.contains("row 10: INVALID_FIELD credentialSubject.hours"),
        "{stderr}"
    );
    assert!(
        stderr.contains("issued 43, refused 7; report at "),
        "{stderr}"
    );

    // The report, next to the CSV file: one line per row, in file order.
    let report_path = dir.0.join("event.csv.report.csv");
    let report = read_report(&report_path);
    assert_eq!(report.len(), 50);
    let mut issued_ids = Vec::new();
    for (i, [row, status, id, code, field]) in report.iter().enumerate() {
        assert_eq!(row, &(i + 1).to_string());
        let expected = match i {
            _ if i % 10 == 9 => Some(("INVALID_FIELD", "credentialSubject.hours")),
            12 => Some(("CSV_INVALID", "")),
            25 => Some(("INVALID_FIELD", "credentialSubject.iin")),
            _ => None,
        };
        match expected {
            Some((c, f)) => {
                assert_eq!((status.as_str(), id.as_str()), ("refused", ""), "row {row}");
                assert_eq!((code.as_str(), field.as_str()), (c, f), "row {row}");
            }
            None => {
                assert_eq!(status, "issued", "row {row}: {code} {field}");
                issued_ids.push(id.clone());
            }
        }
    }
    assert_eq!(issued_ids, ids, "stdout lists the issued ids in row order");
    assert_eq!(count_credentials(&server.data), 43);

    // The same command again: every part is answered from its idempotency record, so the same
    // ids and the same report come back and nothing is issued twice.
    let first_report = std::fs::read(&report_path).expect("report");
    let out = issue_batch_cmd(&dir.0, &server, &["--csv", csv_arg, "--part-rows", "20"])
        .output()
        .expect("running vpass issue-batch");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().collect::<Vec<_>>(), ids);
    assert_eq!(std::fs::read(&report_path).expect("report"), first_report);
    assert_eq!(count_credentials(&server.data), 43);

    // A file without rows is an error (exit 2), not an empty success.
    std::fs::write(dir.0.join("empty.csv"), "name,hours\n").expect("csv");
    let out = issue_batch_cmd(&dir.0, &server, &["--csv", "empty.csv"])
        .output()
        .expect("running vpass issue-batch");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rows"));
}

#[test]
fn issue_batch_report_reason_is_the_api_reason_member() {
    let dir = TempDir::new("issuer-batch-reason");
    let server = start(&dir.0);
    let csv = dir.0.join("reason.csv");
    // Row 2 claims 0 hours: the API's row error says so in `detail` (with code and field) and
    // in `reason` (alone); the report's reason column is the latter, as sent.
    let text = event_csv(3, |i| {
        (i == 1).then(|| {
            format!(
                "Volunteer {i},{},0,Clean-up,AVC,2026-05-30,2026-05-31,\
                 2026-06-01T00:00:00Z,2031-06-01T00:00:00Z",
                iin(i)
            )
        })
    });
    std::fs::write(&csv, text).expect("csv");
    let out = issue_batch_cmd(&dir.0, &server, &["--csv", csv.to_str().expect("utf-8")])
        .output()
        .expect("running vpass issue-batch");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(dir.0.join("reason.csv.report.csv")).expect("report");
    let refused: Vec<&str> = report.lines().filter(|l| l.contains(",refused,")).collect();
    assert_eq!(
        refused,
        ["2,refused,,INVALID_FIELD,credentialSubject.hours,must be a positive number"]
    );
}

/// `kill -9` of the service while `vpass issue-batch` sends its parts: the command fails
/// naming the part, and the same command against the restarted service resumes, issuing each
/// row exactly once.
#[test]
fn issue_batch_rerun_after_a_crash_resumes_without_issuing_twice() {
    use std::io::BufRead;

    const ROWS: usize = 2_000;
    let dir = TempDir::new("issuer-batch-resume");
    let mut server = start(&dir.0);
    std::fs::write(dir.0.join("event.csv"), event_csv(ROWS, |_| None)).expect("csv");
    let args = ["--csv", "event.csv", "--part-rows", "100"];
    let mut child = issue_batch_cmd(&dir.0, &server, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning vpass issue-batch");
    let stdout_pipe = child.stdout.take().expect("stdout");
    let first_ids = std::thread::spawn(move || {
        std::io::BufReader::new(stdout_pipe)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    // Kill the service once three parts are through (stderr says so, one line per part).
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut log = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).expect("stderr") > 0 {
        log.push_str(&line);
        if line.starts_with("part 3/20") {
            server.child.kill().expect("kill -9");
            let _ = server.child.wait();
        }
        line.clear();
    }
    let status = child.wait().expect("vpass issue-batch");
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(
        log.contains("run the same command again to resume"),
        "{log}"
    );
    let first_ids = first_ids.join().expect("stdout reader");
    assert!(
        (300..ROWS).contains(&first_ids.len()),
        "the crash must land mid-way: {} ids\n{log}",
        first_ids.len()
    );

    drop(server);
    let server = start_with(&dir.0, false);
    let out = issue_batch_cmd(&dir.0, &server, &args)
        .output()
        .expect("running vpass issue-batch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(ids.len(), ROWS);
    assert_eq!(
        &ids[..first_ids.len()],
        &first_ids[..],
        "acknowledged parts replayed"
    );
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ROWS);
    assert_eq!(
        count_credentials(&server.data),
        ROWS as i64,
        "nothing issued twice"
    );
    let report = read_report(&dir.0.join("event.csv.report.csv"));
    assert_eq!(report.len(), ROWS);
    assert!(report.iter().all(|r| r[1] == "issued"));
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

/// The kid in a token's JWS header.
fn header_kid(token: &str) -> String {
    let jws = token.split('~').next().expect("jws");
    vpass_credential::jose::parse(jws)
        .expect("jws")
        .header
        .kid
        .expect("kid")
}

#[test]
fn admin_rotate_key_while_the_server_runs() {
    let dir = TempDir::new("issuer-rotate");
    let server = start(&dir.0);
    let data = server.data.to_str().expect("utf-8").to_owned();
    let request = hours_request();
    let issue = |key: &str| -> Value {
        let (status, body) = post(&server, "/api/v1/credentials", key, &request);
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).expect("json")
    };
    let first = issue("r-1");
    let first_token = first["credential"].as_str().expect("credential").to_owned();
    let status_url = first["status_list"].as_str().expect("url").to_owned();
    assert!(header_kid(&first_token).ends_with("#key-1"));

    // --since goes only with --compromised.
    let out = vpass(
        &dir.0,
        &[
            "admin",
            "rotate-key",
            "--office",
            "national",
            "--since",
            "2026-01-01T00:00:00Z",
            "--data-dir",
            &data,
        ],
        None,
    );
    assert!(!out.status.success());
    // A scheduled rotation from the command line while the service runs.
    let out = vpass(
        &dir.0,
        &[
            "admin",
            "rotate-key",
            "--office",
            "national",
            "--data-dir",
            &data,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_kid = stdout(&out);
    assert!(new_kid.ends_with("#key-2"), "{new_kid}");
    // The running service signs with it at once; the old credential still verifies.
    let second = issue("r-2");
    let second_token = second["credential"]
        .as_str()
        .expect("credential")
        .to_owned();
    assert_eq!(header_kid(&second_token), new_kid);
    let store_dir = dir.0.join("trust");
    sync_trust_store(&server, &store_dir, &status_url);
    let now = SystemClock.now();
    let store = TrustStore::open(&store_dir, now).expect("trust store");
    for token in [&first_token, &second_token] {
        let verdict = verify(token, &store, &Policy::at(now));
        assert!(verdict.valid, "{:?}", verdict.errors);
    }

    // key-2 leaks: marked compromised, key-3 signs; what key-2 signed is refused, what the
    // retired key-1 signed still verifies.
    let out = vpass(
        &dir.0,
        &[
            "admin",
            "rotate-key",
            "--office",
            "national",
            "--compromised",
            "--reason",
            "laptop stolen",
            "--data-dir",
            &data,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).ends_with("#key-3"));
    sync_trust_store(&server, &store_dir, &status_url);
    let store = TrustStore::open(&store_dir, now).expect("trust store");
    let verdict = verify(&second_token, &store, &Policy::at(now));
    assert!(!verdict.valid);
    assert_eq!(
        verdict.first_code(),
        Some(Code::KeyCompromised),
        "{:?}",
        verdict.errors
    );
    let verdict = verify(&first_token, &store, &Policy::at(now));
    assert!(verdict.valid, "{:?}", verdict.errors);
    let third = issue("r-3");
    let third_token = third["credential"].as_str().expect("credential");
    assert!(header_kid(third_token).ends_with("#key-3"));
    assert!(verify(third_token, &store, &Policy::at(now)).valid);
}

/// The crash test of issue 4 for revocations: 300 credentials, 240 of them revoked by eight
/// concurrent clients with idempotency keys, `kill -9` mid-way, restart, every revocation
/// retried with its key. Every acknowledged revocation answers again byte for byte, the others
/// complete now, none fails; the database and the published status list hold exactly the
/// revoked ones, and `vpass verify` says so.
#[test]
fn crash_kill9_mid_revocations_then_retry_loses_nothing() {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    const ISSUED: usize = 300;
    const CLIENTS: usize = 8;
    let dir = TempDir::new("issuer-crash-revoke");
    let mut server = start(&dir.0);
    let csv = event_csv(ISSUED, |_| None);
    let mut resp = agent()
        .post(&format!("{}/api/v1/credentials/batch", server.base))
        .header("Authorization", &format!("Bearer {}", server.token))
        .header("Idempotency-Key", "revoke-crash-batch")
        .header("Content-Type", "text/csv")
        .send(csv.as_str())
        .expect("POST batch");
    assert_eq!(resp.status().as_u16(), 200);
    let report: Value =
        serde_json::from_str(&resp.body_mut().read_to_string().expect("body")).expect("json");
    let issued: Vec<(String, u64, String)> = report["issued"]
        .as_array()
        .expect("issued")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_owned(),
                r["status_index"].as_u64().expect("index"),
                r["credential"].as_str().expect("credential").to_owned(),
            )
        })
        .collect();
    assert_eq!(issued.len(), ISSUED);
    let status_url = report["status_list"].as_str().expect("list").to_owned();
    // Every fifth credential stays valid.
    let to_revoke: Vec<String> = issued
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 5 != 0)
        .map(|(_, (id, _, _))| id.clone())
        .collect();
    let revoke_body = r#"{"reason":"issued in error"}"#;

    // Eight clients take revocations from a shared queue until the server dies.
    let queue = Arc::new(Mutex::new(to_revoke.clone()));
    let acked: Arc<Mutex<BTreeMap<String, Vec<u8>>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (queue, acked, count) = (queue.clone(), acked.clone(), count.clone());
            let (base, token) = (server.base.clone(), server.token.clone());
            std::thread::spawn(move || {
                let agent = agent();
                loop {
                    let Some(id) = queue.lock().expect("lock").pop() else {
                        return;
                    };
                    let sent = agent
                        .post(&format!("{base}/api/v1/credentials/{id}/revoke"))
                        .header("Authorization", &format!("Bearer {token}"))
                        .header("Idempotency-Key", &format!("revoke-{id}"))
                        .header("Content-Type", "application/json")
                        .send(revoke_body);
                    match sent {
                        Ok(mut resp) => {
                            assert_eq!(resp.status().as_u16(), 200, "before the crash");
                            let Ok(bytes) = resp.body_mut().read_to_vec() else {
                                return;
                            };
                            acked.lock().expect("lock").insert(id, bytes);
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    // Kill -9 once 60 are acknowledged (bounded wait, not a timing assertion).
    for _ in 0..6000 {
        if count.load(Ordering::SeqCst) >= 60 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    server.child.kill().expect("kill -9");
    let _ = server.child.wait();
    for c in clients {
        c.join().expect("client thread");
    }
    let acked_before = acked.lock().expect("lock").clone();
    assert!(
        (60..to_revoke.len()).contains(&acked_before.len()),
        "the crash must land mid-way: {} acknowledged",
        acked_before.len()
    );

    // Restart and retry every revocation with its key.
    drop(server);
    let server = start_with(&dir.0, false);
    for id in &to_revoke {
        let (status, answer) = post(
            &server,
            &format!("/api/v1/credentials/{id}/revoke"),
            &format!("revoke-{id}"),
            revoke_body,
        );
        assert_eq!(status, 200, "{id}: {}", String::from_utf8_lossy(&answer));
        if let Some(first) = acked_before.get(id) {
            assert_eq!(&answer, first, "{id}: a retry must return the first answer");
        }
        let v: Value = serde_json::from_slice(&answer).expect("json");
        assert_eq!(v["revoked"]["reason"], "issued in error");
    }

    // The database: exactly the revoked ones are revoked.
    let revoked: BTreeSet<&String> = to_revoke.iter().collect();
    for (id, _, _) in &issued {
        let mut resp = agent()
            .get(&format!("{}/api/v1/credentials/{id}", server.base))
            .header("Authorization", &format!("Bearer {}", server.token))
            .call()
            .expect("GET");
        let stored: Value =
            serde_json::from_str(&resp.body_mut().read_to_string().expect("body")).expect("json");
        assert_eq!(stored["revoked"].is_object(), revoked.contains(id), "{id}");
    }

    // The published status list: exactly the revoked indices are set.
    let store_dir = dir.0.join("trust");
    sync_trust_store(&server, &store_dir, &status_url);
    let now = SystemClock.now();
    let store = TrustStore::open(&store_dir, now).expect("trust store");
    let Some(Ok(trust)) = store.trust_list() else {
        panic!("the trust list does not verify");
    };
    let token = std::fs::read_to_string(store_dir.join("status/list.jwt")).expect("list");
    let list = vpass_credential::status::verify_status_list_with_trust(
        &token,
        trust,
        &status_url,
        "revocation",
    )
    .expect("status list verifies")
    .list;
    let set: BTreeSet<u64> = (0..list.len() as u64)
        .filter(|&i| list.get(i).expect("index"))
        .collect();
    let expected: BTreeSet<u64> = issued
        .iter()
        .filter(|(id, _, _)| revoked.contains(id))
        .map(|(_, index, _)| *index)
        .collect();
    assert_eq!(set, expected);

    // `vpass verify`: REVOKED for a sample of the revoked, VALID for one that was not.
    let store_arg = store_dir.to_str().expect("utf-8");
    for (i, (id, _, credential)) in issued.iter().enumerate().take(8) {
        let out = vpass(
            &dir.0,
            &[
                "verify",
                "--trust-store",
                store_arg,
                "--json",
                "--text",
                credential,
            ],
            None,
        );
        let verdict: Value = serde_json::from_slice(&out.stdout).expect("verdict");
        if revoked.contains(id) {
            assert!(!out.status.success(), "{verdict}");
            assert_eq!(verdict["errors"][0]["code"], "REVOKED", "{verdict}");
        } else {
            assert_eq!(i % 5, 0);
            assert!(out.status.success(), "{verdict}");
            assert_eq!(verdict["valid"], true);
        }
    }
}

/// The `schemathesis` executable of the `python3` on PATH (installed by
/// scripts/interop-setup.sh), or `None` after [`crate::util::missing`] said why (under CI it
/// fails the test instead).
fn schemathesis() -> Option<PathBuf> {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import sysconfig, schemathesis; print(sysconfig.get_path('scripts'))",
        ])
        .output();
    match probe {
        Ok(o) if o.status.success() => {
            let dir = String::from_utf8_lossy(&o.stdout).trim().to_owned();
            let exe = Path::new(&dir).join("schemathesis");
            if exe.exists() {
                return Some(exe);
            }
            crate::util::missing(
                &format!(
                    "the schemathesis executable {} (the package is importable)",
                    exe.display()
                ),
                "scripts/interop-setup.sh installs it",
            );
            None
        }
        Ok(_) => {
            crate::util::missing(
                "the Python package schemathesis",
                "scripts/interop-setup.sh installs it",
            );
            None
        }
        Err(_) => {
            crate::util::missing(
                "`python3` (for schemathesis)",
                "install Python 3 with pip (Debian: apt-get install python3-pip), then run \
                 scripts/interop-setup.sh",
            );
            None
        }
    }
}

/// The served OpenAPI document against the running service, fuzzed by an independent tool:
/// schemathesis generates ~1,100 requests from the document (valid and invalid bodies,
/// parameters, headers) with the admin token, and checks that no answer is a 5xx and that every
/// status, content type, header and body is one the document declares. A fixed seed keeps the
/// run repeatable; the stateful phase (chains of calls) is left out for the same reason.
#[test]
fn schemathesis_finds_no_server_error_and_no_undocumented_answer() {
    let Some(exe) = schemathesis() else {
        return;
    };
    let dir = TempDir::new("issuer-schemathesis");
    let server = start(&dir.0);
    let out = Command::new(exe)
        .args([
            "run",
            &format!("{}/api/v1/openapi.json", server.base),
            "--url",
            &server.base,
            "-H",
            &format!("Authorization: Bearer {}", server.token),
            "--max-examples",
            "25",
            "--seed",
            "7",
            "--phases",
            "examples,coverage,fuzzing",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_headers_conformance,response_schema_conformance",
            "--no-color",
        ])
        .current_dir(&dir.0)
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .output()
        .expect("running schemathesis");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It really ran: every operation of the document was tested.
    let field = |name: &str| {
        report
            .lines()
            .find_map(|l| l.trim().strip_prefix(name).map(str::to_owned))
            .unwrap_or_default()
    };
    let selected = field("Selected: ");
    let all = selected.split('/').nth(1).unwrap_or("?");
    assert_eq!(field("Tested: "), all, "{report}");
    assert!(all.parse::<u32>().unwrap_or(0) >= 15, "{report}");
    let log = std::fs::read_to_string(dir.0.join("serve.log")).unwrap_or_default();
    assert!(!log.contains("internal error"), "{log}");
}

/// Review finding (also noticed): API tokens no longer need to be on a command line, where
/// every user of the machine sees them (`ps`): `--token-file FILE`, `--token-file -` (standard
/// input) and `vpass admin revoke-token -` read them instead.
#[test]
fn r5_api_tokens_come_from_a_file_or_standard_input() {
    let dir = TempDir::new("issuer-token-sources");
    let server = start(&dir.0);
    let data = server.data.to_str().expect("utf-8").to_owned();
    let claims = repo_root().join("examples/hours.json");
    let claims = claims.to_str().expect("utf-8");
    let token_file = dir.0.join("token");
    std::fs::write(&token_file, format!("{}\n", server.token)).expect("token file");
    let from_file = vpass(
        &dir.0,
        &[
            "issue",
            "--server",
            &server.base,
            "--token-file",
            token_file.to_str().expect("utf-8"),
            "--claims",
            claims,
            "--json",
        ],
        None,
    );
    assert!(
        from_file.status.success(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );

    // An officer's token piped in, used, then revoked by piping it to `revoke-token -`.
    let officer = add_officer(&dir.0, &data, "Shymkent officer", "kz-79");
    // Another event (the same one again would be DUPLICATE_EVENT).
    let other = other_event(&dir.0, Path::new(claims), "Shymkent park planting");
    let other = other.to_str().expect("utf-8");
    let issue_as_officer = || {
        vpass(
            &dir.0,
            &[
                "issue",
                "--server",
                &server.base,
                "--token-file",
                "-",
                "--claims",
                other,
            ],
            Some(&format!("{officer}\n")),
        )
    };
    let out = issue_as_officer();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vpass(
        &dir.0,
        &["admin", "revoke-token", "-", "--data-dir", &data],
        Some(&format!("{officer}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = issue_as_officer();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401 UNAUTHORIZED"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No token at all: a clear message, nothing sent.
    let out = vpass(
        &dir.0,
        &["issue", "--server", &server.base, "--claims", claims],
        None,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token-file"));
}

/// `vpass serve` logs to standard error through `VPASS_LOG`: the startup lines (where the first
/// admin token is, the root key) show even when the filter asks for errors only, requests are
/// then not logged, and the answers still carry `x-request-id`; a filter that does not parse
/// is refused before anything starts.
#[test]
fn serve_logs_startup_lines_whatever_the_filter_and_refuses_a_bad_one() {
    let dir = TempDir::new("issuer-log-filter");
    let data = dir.0.join("data");
    let out = Command::new(vpass_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("VPASS_LOG", "info,[")
        .output()
        .expect("running vpass serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("VPASS_LOG: bad log filter"), "{stderr}");
    assert!(!data.exists(), "nothing created");

    let port = free_port();
    let log = std::fs::File::create(dir.0.join("serve.log")).expect("log file");
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
        .env("VPASS_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawning vpass serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        data,
        token: String::new(),
    };
    // Readiness: a bounded number of tries, not a timing assertion.
    let mut answer = None;
    for _ in 0..600 {
        if let Ok(resp) = agent()
            .get(&format!("{}/healthz", server.base))
            .header("x-request-id", "e2e-log-filter")
            .call()
        {
            answer = Some(resp);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let answer = answer.expect("vpass serve did not become ready");
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(&b"e2e-log-filter"[..])
    );
    drop(server);
    let log = std::fs::read_to_string(dir.0.join("serve.log")).expect("serve.log");
    assert!(log.contains("initial-admin-token"), "{log}");
    assert!(
        log.contains("root key (pin it in verifiers): did:key:"),
        "{log}"
    );
    assert!(!log.contains("answered status="), "{log}");
}
