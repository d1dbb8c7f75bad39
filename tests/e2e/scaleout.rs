//! Scale-out as DESIGN.md promises it: three `vpass serve` instances on one PostgreSQL
//! database behind HAProxy, driven through the balancer by several clients while one instance
//! is killed with `kill -9` and restarted. HAProxy runs the deployment recipe's configuration,
//! `examples/haproxy.cfg` (docs/operations.md, "Several instances behind HAProxy"), with free
//! loopback ports.
//!
//! Needs HAProxy (`scripts/scaleout-setup.sh` installs it) and the PostgreSQL server on
//! 127.0.0.1:5432 (`VPASS_TEST_PG_URL`); without them the test skips, and under CI it fails
//! ([`crate::util::missing`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use vpass_credential::keys::PublicKey;
use vpass_credential::time::{Clock, SystemClock};

use crate::issuer::{agent, free_port, hours_request, iin, launch, Launch, Server};
use crate::util::{missing, repo_root, stdout, vpass, TempDir};

/// Client threads sending requests through the balancer.
const CLIENTS: usize = 4;
/// Rounds per client: a single issuance each, the revocation of the previous round's
/// credential, a batch every third round, a passport every fourth.
const ROUNDS: usize = 12;
/// Rows per batch request.
const BATCH_ROWS: usize = 10;
/// Instance `b` is killed once this many writes are acknowledged (of about 120).
const KILL_AFTER: usize = 25;
/// Tries of one write (connection errors, 5xx and "key in use" are retried with the same key,
/// 50 ms apart).
const TRIES: usize = 400;

/// The local PostgreSQL server's admin URL.
fn pg_admin_url() -> String {
    std::env::var("VPASS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A fresh database on the local PostgreSQL server, dropped with this value.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    /// A new database, or `None` after [`missing`] said why.
    fn create() -> Option<PgDatabase> {
        use sqlx::Connection;
        let admin_url = pg_admin_url();
        let name = format!("vpass_scaleout_{}", vpass_issuer::crypto::random_hex(6));
        let created = runtime().block_on(async {
            let mut conn = sqlx::postgres::PgConnection::connect(&admin_url).await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
        });
        if let Err(e) = created {
            missing(
                &format!("PostgreSQL where user postgres may create databases ({admin_url}: {e})"),
                "no project script installs it: run a PostgreSQL server on 127.0.0.1:5432 with \
                 trust authentication for user postgres (the CI machines have one), or point \
                 VPASS_TEST_PG_URL at one",
            );
            return None;
        }
        let (base, _) = admin_url.rsplit_once('/').expect("database URL");
        Some(PgDatabase {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        })
    }

    /// The rows of `sql`.
    fn rows<T>(&self, sql: &str) -> Vec<T>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        use sqlx::Connection;
        runtime().block_on(async {
            let mut conn = sqlx::postgres::PgConnection::connect(&self.url)
                .await
                .expect("connecting to the test database");
            sqlx::query_as::<_, T>(sql)
                .fetch_all(&mut conn)
                .await
                .expect(sql)
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        use sqlx::Connection;
        runtime().block_on(async {
            if let Ok(mut conn) = sqlx::postgres::PgConnection::connect(&self.admin_url).await {
                let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
                let _ = sqlx::query(&drop).execute(&mut conn).await;
            }
        });
    }
}

/// The `haproxy` executable, or `None` after [`missing`] said why.
fn haproxy_bin() -> Option<PathBuf> {
    for candidate in ["haproxy", "/usr/sbin/haproxy"] {
        let works = Command::new(candidate)
            .arg("-v")
            .output()
            .is_ok_and(|o| o.status.success());
        if works {
            return Some(PathBuf::from(candidate));
        }
    }
    missing(
        "HAProxy (`haproxy`, for the scale-out test)",
        "scripts/scaleout-setup.sh installs it (Debian's haproxy package)",
    );
    None
}

/// The HAProxy configuration of the recipe (`examples/haproxy.cfg`, quoted in
/// docs/operations.md) with free loopback ports in place of its addresses: the frontend
/// (8080), the statistics page (8404) and the three instances (8081-8083).
fn haproxy_config(port: u16, stats_port: u16, backends: &[u16]) -> String {
    let template = std::fs::read_to_string(repo_root().join("examples/haproxy.cfg"))
        .expect("examples/haproxy.cfg");
    let mut places = vec![(8080, port), (8404, stats_port)];
    places.extend((8081..).zip(backends.iter().copied()));
    places.into_iter().fold(template, |cfg, (from, to)| {
        let from = format!("127.0.0.1:{from}");
        assert_eq!(
            cfg.matches(&from).count(),
            1,
            "{from} in examples/haproxy.cfg"
        );
        cfg.replace(&from, &format!("127.0.0.1:{to}"))
    })
}

/// Instance names: a, b, c.
fn name(i: usize) -> &'static str {
    ["a", "b", "c"][i]
}

/// A running haproxy, killed when dropped.
struct Balancer {
    child: Child,
    base: String,
    stats: String,
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Balancer {
    fn start(exe: &Path, dir: &Path, port: u16, backends: &[u16]) -> Balancer {
        let stats_port = free_port();
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(&cfg, haproxy_config(port, stats_port, backends)).expect("haproxy.cfg");
        let log = std::fs::File::create(dir.join("haproxy.log")).expect("log file");
        let child = Command::new(exe)
            .arg("-db")
            .arg("-f")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawning haproxy");
        let mut balancer = Balancer {
            child,
            base: format!("http://127.0.0.1:{port}"),
            stats: format!("http://127.0.0.1:{stats_port}/stats;csv"),
        };
        let ready = (0..200).any(|_| {
            if let Ok(Some(status)) = balancer.child.try_wait() {
                let log = std::fs::read_to_string(dir.join("haproxy.log")).unwrap_or_default();
                panic!("haproxy exited ({status}):\n{log}");
            }
            let up = agent()
                .get(&format!("{}/healthz", balancer.base))
                .call()
                .is_ok_and(|r| r.status() == 200);
            if !up {
                std::thread::sleep(Duration::from_millis(50));
            }
            up
        });
        assert!(ready, "haproxy did not answer /healthz through a backend");
        balancer
    }

    /// Column `column` of instance `server` in HAProxy's statistics (CSV).
    fn stat(&self, server: &str, column: &str) -> Option<String> {
        let mut resp = agent().get(&self.stats).call().ok()?;
        let text = resp.body_mut().read_to_string().ok()?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next()?.trim_start_matches("# ").split(',').collect();
        let col = |n: &str| header.iter().position(|h| *h == n);
        let (px, sv, wanted) = (col("pxname")?, col("svname")?, col(column)?);
        lines.find_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells.get(px) == Some(&"vpass") && cells.get(sv) == Some(&server))
                .then(|| cells.get(wanted).map(|c| (*c).to_owned()))
                .flatten()
        })
    }

    /// Whether HAProxy's health checks show instance `server` as UP.
    fn is_up(&self, server: &str) -> bool {
        self.stat(server, "status")
            .is_some_and(|s| s.starts_with("UP"))
    }

    /// How many 2xx answers instance `server` gave through the balancer.
    fn answers_2xx(&self, server: &str) -> u64 {
        self.stat(server, "hrsp_2xx")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

/// One acknowledged write: what was sent and the answer's exact bytes.
#[derive(Clone)]
struct Acked {
    path: String,
    key: String,
    content_type: &'static str,
    body: String,
    answer: Vec<u8>,
}

/// Send a write through the balancer with its Idempotency-Key, again with the same key on a
/// connection error, a 5xx or 409 IDEMPOTENCY_KEY_IN_USE (bounded); panics on any other
/// answer than `expect`. Returns the answer's bytes and how many tries failed.
fn write_with_retries(
    base: &str,
    token: &str,
    path: &str,
    key: &str,
    content_type: &str,
    body: &str,
    expect: u16,
) -> (Vec<u8>, usize) {
    let agent = agent();
    let mut last = String::new();
    for attempt in 0..TRIES {
        let sent = agent
            .post(&format!("{base}{path}"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Idempotency-Key", key)
            .header("Content-Type", content_type)
            .send(body);
        match sent {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                match resp.body_mut().read_to_vec() {
                    Ok(bytes) if status == expect => return (bytes, attempt),
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        let retry = status >= 500
                            || (status == 409 && text.contains("IDEMPOTENCY_KEY_IN_USE"));
                        assert!(retry, "{path} ({key}): {status} {text}");
                        last = format!("{status} {text}");
                    }
                    Err(e) => last = format!("reading the answer: {e}"),
                }
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{path} ({key}): no answer after {TRIES} tries; last: {last}");
}

/// What one client did.
#[derive(Default)]
struct Outcome {
    acked: Vec<Acked>,
    /// Acknowledged credentials: id → (status list URL, index).
    credentials: BTreeMap<String, (String, u64)>,
    revoked: BTreeSet<String>,
    /// Tries that failed before an answer (connection errors, 5xx, key in use).
    failed_tries: usize,
}

/// Client `c`'s work: `ROUNDS` rounds through the balancer at `base`; from round
/// `ROUNDS / 2` on only once `restarted` is set, so that half of the work meets the restarted
/// instance.
fn client(
    c: usize,
    base: &str,
    token: &str,
    acked_count: &AtomicUsize,
    restarted: &AtomicBool,
) -> Outcome {
    let mut out = Outcome::default();
    let hours: Value = serde_json::from_str(&hours_request()).expect("hours request");
    let send = |out: &mut Outcome,
                path: String,
                key: String,
                ct: &'static str,
                body: String,
                expect: u16| {
        let (answer, failed) = write_with_retries(base, token, &path, &key, ct, &body, expect);
        out.failed_tries += failed;
        out.acked.push(Acked {
            path,
            key,
            content_type: ct,
            body,
            answer: answer.clone(),
        });
        acked_count.fetch_add(1, Ordering::SeqCst);
        serde_json::from_slice::<Value>(&answer).expect("JSON answer")
    };
    let credential = |v: &Value| -> (String, (String, u64)) {
        (
            v["id"].as_str().expect("id").to_owned(),
            (
                v["status_list"].as_str().expect("status list").to_owned(),
                v["status_index"].as_u64().expect("status index"),
            ),
        )
    };
    let json = "application/json";

    let volunteer = send(
        &mut out,
        "/api/v1/volunteers".into(),
        format!("c{c}-register"),
        json,
        json!({
            "name": {"kk": format!("Ерікті {c}"), "ru": format!("Волонтёр {c}"),
                "en": format!("Volunteer {c}")},
            "iin": iin(9_000 + c),
            "region": "KZ-71",
        })
        .to_string(),
        201,
    );
    let volunteer = volunteer["id"].as_str().expect("volunteer id").to_owned();

    let mut previous: Option<String> = None;
    for round in 0..ROUNDS {
        if round == ROUNDS / 2 {
            // Bounded wait for the restart (the main thread sets it; 120 s at most).
            for _ in 0..2_400 {
                if restarted.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let mut request = hours.clone();
        request["credentialSubject"]["hours"] = Value::from(1 + round);
        let issued = send(
            &mut out,
            "/api/v1/credentials".into(),
            format!("c{c}-single-{round}"),
            json,
            request.to_string(),
            201,
        );
        let (id, place) = credential(&issued);
        out.credentials.insert(id.clone(), place);
        if let Some(old) = previous.replace(id) {
            send(
                &mut out,
                format!("/api/v1/credentials/{old}/revoke"),
                format!("c{c}-revoke-{round}"),
                json,
                r#"{"reason":"issued in error"}"#.into(),
                200,
            );
            out.revoked.insert(old);
        }
        if round % 3 == 0 {
            let rows: Vec<Value> = (0..BATCH_ROWS)
                .map(|r| {
                    let mut row = hours.clone();
                    row["credentialSubject"]["hours"] = Value::from(1 + r);
                    row
                })
                .collect();
            let report = send(
                &mut out,
                "/api/v1/credentials/batch".into(),
                format!("c{c}-batch-{round}"),
                json,
                Value::Array(rows).to_string(),
                200,
            );
            let issued = report["issued"].as_array().expect("issued");
            assert_eq!(issued.len(), BATCH_ROWS, "{report}");
            let list = report["status_list"].as_str().expect("status list");
            for row in issued {
                let id = row["id"].as_str().expect("id").to_owned();
                let index = row["status_index"].as_u64().expect("index");
                out.credentials.insert(id, (list.to_owned(), index));
            }
        }
        if round % 4 == 1 {
            let passport = send(
                &mut out,
                format!("/api/v1/volunteers/{volunteer}/passport"),
                format!("c{c}-passport-{round}"),
                json,
                "{}".into(),
                201,
            );
            let (id, place) = credential(&passport);
            out.credentials.insert(id, place);
        }
    }
    out
}

/// The test of the recipe: three instances, one database, HAProxy in front; clients issue
/// (single and batch), revoke and request passports through the balancer while instance `b`
/// is killed with `kill -9` and restarted. Afterwards every acknowledged credential is in the
/// database exactly once and nothing else is, status indices are unique per list, the audit
/// chain verifies, every write sent again with its key is answered byte for byte as the first
/// time, and the published status list holds exactly the acknowledged revocations.
#[test]
fn three_instances_behind_haproxy_survive_kill9_of_one_and_lose_or_duplicate_nothing() {
    let Some(haproxy) = haproxy_bin() else {
        return;
    };
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let dir = TempDir::new("scaleout");
    let lb_port = free_port();
    let public_url = format!("http://127.0.0.1:{lb_port}");
    // One KEK for all instances: each data folder would otherwise hold its own.
    let kek = vpass_issuer::crypto::random_hex(32);
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let dirs: Vec<PathBuf> = (0..3).map(|i| dir.0.join(name(i))).collect();
    for d in &dirs {
        std::fs::create_dir_all(d).expect("instance dir");
    }
    let launch_instance = |i: usize, first: bool| -> Server {
        launch(&Launch {
            first,
            database_url: Some(&db.url),
            kek: Some(&kek),
            public_url: Some(&public_url),
            ..Launch::new(&dirs[i], ports[i])
        })
    };
    // The first instance bootstraps the database; the others find it bootstrapped and load it
    // (`launch` checks that only the first one writes an initial admin token).
    let mut servers: Vec<Server> = vec![launch_instance(0, true)];
    servers.push(launch_instance(1, false));
    servers.push(launch_instance(2, false));
    let token = servers[0].token.clone();
    assert!(!token.is_empty());
    let balancer = Balancer::start(&haproxy, &dir.0, lb_port, &ports);

    let acked_count = Arc::new(AtomicUsize::new(0));
    let restarted = Arc::new(AtomicBool::new(false));
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (acked_count, restarted, outcomes) =
                (acked_count.clone(), restarted.clone(), outcomes.clone());
            let (base, token) = (balancer.base.clone(), token.clone());
            std::thread::spawn(move || {
                let out = client(c, &base, &token, &acked_count, &restarted);
                outcomes.lock().expect("lock").push(out);
            })
        })
        .collect();

    // kill -9 instance b mid-way (bounded wait), then restart it on the same port, database
    // and KEK; the second half of every client's work waits for that.
    for _ in 0..2_400 {
        if acked_count.load(Ordering::SeqCst) >= KILL_AFTER {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let killed_at = acked_count.load(Ordering::SeqCst);
    servers[1].child.kill().expect("kill -9");
    let _ = servers[1].child.wait();
    // Requests keep flowing through a and c while b is down (the checks mark it DOWN).
    let down_seen = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(25));
        !balancer.is_up("b")
    });
    servers[1] = launch_instance(1, false);
    let up_again = (0..400).any(|_| {
        std::thread::sleep(Duration::from_millis(25));
        balancer.is_up("b")
    });
    let b_answers_at_restart = balancer.answers_2xx("b");
    restarted.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().expect("client thread");
    }
    assert!(down_seen, "HAProxy never marked the killed instance DOWN");
    assert!(up_again, "HAProxy did not take the restarted instance back");
    assert!(
        balancer.answers_2xx("b") > b_answers_at_restart,
        "the restarted instance answered nothing through the balancer"
    );
    let outcomes = std::mem::take(&mut *outcomes.lock().expect("lock"));
    let acked: Vec<&Acked> = outcomes.iter().flat_map(|o| &o.acked).collect();
    // Each client's first half: its registration, 6 issuances, 5 revocations, 2 batches and
    // 2 passports; the kill must land while those were being sent.
    let first_half = CLIENTS * (1 + ROUNDS / 2 + (ROUNDS / 2 - 1) + 2 + 2);
    assert!(
        killed_at < first_half,
        "the kill must land in the first half: after {killed_at} of {first_half} writes"
    );
    let credentials: BTreeMap<&String, &(String, u64)> =
        outcomes.iter().flat_map(|o| &o.credentials).collect();
    let revoked: BTreeSet<&String> = outcomes.iter().flat_map(|o| &o.revoked).collect();
    let failed_tries: usize = outcomes.iter().map(|o| o.failed_tries).sum();
    eprintln!(
        "scale-out: {} writes acknowledged ({} credentials, {} revocations), kill -9 after \
         {killed_at}, {failed_tries} tries retried by the clients",
        acked.len(),
        credentials.len(),
        revoked.len()
    );
    assert_eq!(
        credentials.len(),
        CLIENTS * (ROUNDS + ROUNDS.div_ceil(3) * BATCH_ROWS + ROUNDS.div_ceil(4)),
        "every write was acknowledged once, with distinct ids"
    );

    // The database: exactly the acknowledged credentials, each once where its answer said,
    // revoked exactly when a revocation was acknowledged.
    let rows: Vec<(String, String, i64, i64, bool)> = db.rows(
        "SELECT id, office_id, list_no, status_index, revoked_at IS NOT NULL FROM credentials",
    );
    assert_eq!(rows.len(), credentials.len(), "nothing issued twice");
    for (id, office, list_no, index, is_revoked) in &rows {
        let (list, acked_index) = credentials
            .get(id)
            .unwrap_or_else(|| panic!("{id} is in the database but was never acknowledged"));
        assert!(
            list.ends_with(&format!("/status/{office}/{list_no}")),
            "{id}: {list}"
        );
        assert_eq!(*index, *acked_index as i64, "{id}");
        assert_eq!(*is_revoked, revoked.contains(id), "{id}");
    }
    let places: BTreeSet<(&String, i64, i64)> = rows
        .iter()
        .map(|(_, office, list_no, index, _)| (office, *list_no, *index))
        .collect();
    assert_eq!(
        places.len(),
        rows.len(),
        "status indices are unique per list"
    );

    // The audit chain, checked by the admin command on the shared database.
    let audit = vpass(
        &dir.0,
        &[
            "admin",
            "audit-verify",
            "--database-url",
            &db.url,
            "--data-dir",
            servers[0].data.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(
        audit.status.success(),
        "{}{}",
        stdout(&audit),
        String::from_utf8_lossy(&audit.stderr)
    );
    assert!(
        stdout(&audit).starts_with("audit log intact"),
        "{}",
        stdout(&audit)
    );

    // Every write again with its key, through the balancer (so through any instance): the
    // first answer, byte for byte, and nothing new stored.
    for a in &acked {
        let (again, _) = write_with_retries(
            &balancer.base,
            &token,
            &a.path,
            &a.key,
            a.content_type,
            &a.body,
            if a.path.ends_with("/revoke") || a.path.ends_with("/batch") {
                200
            } else {
                201
            },
        );
        assert_eq!(
            again, a.answer,
            "{} ({}): a retry answers as the first",
            a.path, a.key
        );
    }
    let count: Vec<(i64,)> = db.rows("SELECT count(*) FROM credentials");
    assert_eq!(count[0].0, rows.len() as i64, "retries stored nothing");

    // The published status lists, fetched through the balancer and verified under the trust
    // list: exactly the acknowledged revocations are set.
    let root = vpass(
        &dir.0,
        &[
            "admin",
            "root-key",
            "--database-url",
            &db.url,
            "--data-dir",
            servers[0].data.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(root.status.success(), "{root:?}");
    let root = PublicKey::from_did_key(&stdout(&root)).expect("root did:key");
    let fetch = |url: &str| -> String {
        let mut resp = agent().get(url).call().expect("GET");
        assert_eq!(resp.status().as_u16(), 200, "{url}");
        resp.body_mut().read_to_string().expect("body")
    };
    let now = SystemClock.now();
    let trust = vpass_credential::trust::verify_trust_list(
        &fetch(&format!("{}/trust-list", balancer.base)),
        &root,
        now,
        None,
    )
    .expect("the trust list verifies");
    let lists: BTreeSet<&String> = credentials.values().map(|(list, _)| list).collect();
    for list_url in lists {
        assert!(list_url.starts_with(&public_url), "{list_url}");
        let list = vpass_credential::status::verify_status_list_with_trust(
            &fetch(list_url),
            &trust,
            list_url,
            "revocation",
        )
        .expect("the status list verifies")
        .list;
        let set: BTreeSet<u64> = (0..list.len() as u64)
            .filter(|&i| list.get(i).expect("index"))
            .collect();
        let expected: BTreeSet<u64> = credentials
            .iter()
            .filter(|(id, (list, _))| list == list_url && revoked.contains(*id))
            .map(|(_, (_, index))| *index)
            .collect();
        assert_eq!(
            set, expected,
            "{list_url}: exactly the acknowledged revocations"
        );
    }
    drop(balancer);
    drop(servers);
}
