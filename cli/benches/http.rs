//! The issuer service over real HTTP: `cargo bench -p vpass-cli --bench http`.
//!
//! Starts the release `vpass serve` itself — on SQLite (a fresh data folder in the temporary
//! directory), then on PostgreSQL (a fresh database on `VPASS_BENCH_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`; skipped with the reason printed when the server
//! cannot be reached) — reads the initial admin token, and measures over loopback HTTP with
//! keep-alive connections:
//!
//! - batch issuance: CSV batches of 5,000 standard hours credentials (distinct names and valid
//!   IINs: each row registers its own volunteer, so no plausibility check refuses a row),
//!   several runs, credentials per second;
//! - single issuance at 1 and at 32 concurrent clients: throughput and latency percentiles;
//! - `GET /status/national/1` at 32 concurrent clients: requests per second;
//!
//! and then the same through HAProxy in front of three instances on one fresh PostgreSQL
//! database (the recipe `examples/haproxy.cfg`; skipped with the reason printed when
//! `haproxy` or the server is missing: `scripts/scaleout-setup.sh` installs HAProxy).
//!
//! Clients are threads with one `ureq` agent (one kept-alive connection) each; on a small
//! machine they share the cores with the service, as a local load generator does. Figures
//! only: nothing here asserts a speed (see docs/operations.md for the figures measured).
//! `VPASS_BENCH_QUICK=1` runs a shortened version (a smoke run, figures not meaningful).

// A benchmark stops at the first wrong answer: a figure measured on errors means nothing.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Rows per batch (the acceptance figure of issue 4).
const BATCH_ROWS: usize = 5_000;
/// Concurrent clients for the latency figures.
const CLIENTS: usize = 32;

/// How much to run.
struct Plan {
    batch_runs: usize,
    single_warmup: usize,
    single_one: usize,
    per_client_warmup: usize,
    per_client: usize,
    status_per_client: usize,
}

impl Plan {
    fn from_env() -> Plan {
        if std::env::var_os("VPASS_BENCH_QUICK").is_some() {
            Plan {
                batch_runs: 1,
                single_warmup: 10,
                single_one: 50,
                per_client_warmup: 2,
                per_client: 5,
                status_per_client: 10,
            }
        } else {
            Plan {
                batch_runs: 5,
                single_warmup: 200,
                single_one: 1_000,
                per_client_warmup: 10,
                per_client: 125,
                status_per_client: 300,
            }
        }
    }
}

/// A running `vpass serve`, or HAProxy in front of several (`behind`); killed and its folder
/// removed when dropped.
struct Server {
    child: Child,
    base: String,
    token: String,
    dir: PathBuf,
    /// The instances behind this balancer (stopped after it).
    behind: Vec<Server>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        // The balancer first, then what it fronted.
        self.behind.clear();
    }
}

/// Settings of one `vpass serve` beyond a fresh data folder.
#[derive(Default)]
struct Launch<'a> {
    /// `--database-url` (default: SQLite in the data folder).
    database_url: Option<&'a str>,
    /// `VPASS_KEK` (default: the data folder's `kek` file).
    kek: Option<&'a str>,
    /// `--public-url`.
    public_url: Option<&'a str>,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding port 0");
    listener.local_addr().expect("local address").port()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// Start `vpass serve` on a fresh data folder as `launch` says, and wait for `/healthz`. Its
/// token is the initial admin token, if this start bootstrapped the database.
fn start(name: &str, launch: &Launch) -> Server {
    let dir = std::env::temp_dir().join(format!("vpass-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the data folder");
    let port = free_port();
    let log = std::fs::File::create(dir.join("serve.log")).expect("log file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vpass"));
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
    ])
    .arg(dir.join("data"))
    .env_remove("VPASS_DATABASE_URL")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(log);
    match launch.kek {
        Some(kek) => cmd.env("VPASS_KEK", kek),
        None => cmd.env_remove("VPASS_KEK"),
    };
    if let Some(url) = launch.database_url {
        cmd.args(["--database-url", url]);
    }
    if let Some(url) = launch.public_url {
        cmd.args(["--public-url", url]);
    }
    let child = cmd.spawn().expect("spawning vpass serve");
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        token: String::new(),
        dir,
        behind: Vec::new(),
    };
    let health = agent();
    for _ in 0..1200 {
        if let Ok(Some(status)) = server.child.try_wait() {
            let log = std::fs::read_to_string(server.dir.join("serve.log")).unwrap_or_default();
            panic!("vpass serve exited early ({status}):\n{log}");
        }
        if health
            .get(&format!("{}/healthz", server.base))
            .call()
            .is_ok_and(|r| r.status() == 200)
        {
            server.token = std::fs::read_to_string(server.dir.join("data/initial-admin-token"))
                .map(|t| t.trim().to_owned())
                .unwrap_or_default();
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("vpass serve did not become ready");
}

/// The `haproxy` executable, or why there is none.
fn haproxy_bin() -> Result<&'static str, String> {
    ["haproxy", "/usr/sbin/haproxy"]
        .into_iter()
        .find(|exe| {
            Command::new(exe)
                .arg("-v")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .ok_or_else(|| "haproxy not found (scripts/scaleout-setup.sh installs it)".into())
}

/// Three `vpass serve` on the PostgreSQL database `database_url` (one KEK; the first
/// bootstraps, the others load) behind HAProxy with the recipe's configuration,
/// `examples/haproxy.cfg`, on free loopback ports. The returned server is the balancer.
fn start_behind_haproxy(database_url: &str) -> Result<Server, String> {
    let haproxy = haproxy_bin()?;
    let port = free_port();
    let public_url = format!("http://127.0.0.1:{port}");
    let kek = vpass_issuer::crypto::random_hex(32);
    let launch = Launch {
        database_url: Some(database_url),
        kek: Some(&kek),
        public_url: Some(&public_url),
    };
    let behind: Vec<Server> = ["a", "b", "c"]
        .into_iter()
        .map(|name| start(&format!("haproxy-{name}"), &launch))
        .collect();
    let dir = std::env::temp_dir().join(format!("vpass-bench-haproxy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the balancer's folder");
    let template = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/haproxy.cfg"),
    )
    .expect("examples/haproxy.cfg");
    let mut places = vec![(8080, format!("127.0.0.1:{port}"))];
    places.push((8404, format!("127.0.0.1:{}", free_port())));
    for (n, s) in (8081..).zip(&behind) {
        places.push((n, s.base.trim_start_matches("http://").to_owned()));
    }
    let cfg = places.into_iter().fold(template, |cfg, (from, to)| {
        cfg.replace(&format!("127.0.0.1:{from}"), &to)
    });
    std::fs::write(dir.join("haproxy.cfg"), cfg).expect("haproxy.cfg");
    let log = std::fs::File::create(dir.join("haproxy.log")).expect("log file");
    let child = Command::new(haproxy)
        .arg("-db")
        .arg("-f")
        .arg(dir.join("haproxy.cfg"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting haproxy: {e}"))?;
    let balancer = Server {
        child,
        base: public_url,
        token: behind[0].token.clone(),
        dir,
        behind,
    };
    let health = agent();
    for _ in 0..200 {
        if health
            .get(&format!("{}/healthz", balancer.base))
            .call()
            .is_ok_and(|r| r.status() == 200)
        {
            return Ok(balancer);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("haproxy did not answer /healthz".into())
}

/// A valid IIN for volunteer number `n` (birth dates in the 1990s, a serial, and the check
/// digit; serials without a check digit are skipped, as they are never assigned).
fn iin(n: usize) -> String {
    let mut serial = n;
    loop {
        let day = 1 + serial % 28;
        let month = 1 + (serial / 28) % 12;
        let year = 90 + (serial / 336) % 10;
        let sex = 3 + serial % 2;
        let first = format!("{year:02}{month:02}{day:02}{sex}{:04}", serial % 10_000);
        if let Some(check) = vpass_credential::model::iin_check_digit(&first) {
            return format!("{first}{check}");
        }
        serial += 1_000_003;
    }
}

/// The standard hours credential (examples/hours.json) for volunteer `n`, as the body of a
/// single issuance request.
fn single_body(template: &Value, n: usize) -> String {
    let mut v = template.clone();
    v["credentialSubject"]["name"] = format!("Volunteer {n}").into();
    v["credentialSubject"]["iin"] = iin(n).into();
    v["credentialSubject"]["hours"] = (1 + n % 40).into();
    v.to_string()
}

/// A CSV batch of `rows` standard hours credentials for volunteers `first..`.
fn batch_csv(template: &Value, first: usize, rows: usize) -> String {
    let s = &template["credentialSubject"];
    let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
    let (activity, org, region) = (text("activity"), text("organization"), text("region"));
    let (start, end) = (text("periodStart"), text("periodEnd"));
    let valid_from = template["validFrom"].as_str().unwrap_or_default();
    let valid_until = template["validUntil"].as_str().unwrap_or_default();
    let mut csv = String::from(
        "name,iin,hours,activity,organization,region,periodStart,periodEnd,validFrom,validUntil\n",
    );
    for n in first..first + rows {
        csv.push_str(&format!(
            "Volunteer {n},{},{},{activity},{org},{region},{start},{end},{valid_from},{valid_until}\n",
            iin(n),
            1 + n % 40
        ));
    }
    csv
}

fn template() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hours.json");
    let text = std::fs::read_to_string(&path).expect("examples/hours.json");
    let mut v: Value = serde_json::from_str(&text).expect("hours.json is JSON");
    let obj = v.as_object_mut().expect("an object");
    // The service sets both.
    obj.remove("issuer");
    obj.remove("credentialStatus");
    v
}

/// POST and read the whole answer: status and body.
fn post(
    agent: &ureq::Agent,
    s: &Server,
    path: &str,
    key: &str,
    ct: &str,
    body: &str,
) -> (u16, String) {
    let mut resp = agent
        .post(&format!("{}{path}", s.base))
        .header("Authorization", &format!("Bearer {}", s.token))
        .header("Idempotency-Key", key)
        .header("Content-Type", ct)
        .send(body)
        .expect("POST");
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .expect("reading the answer");
    (status, text)
}

/// Latency percentiles of a sorted sample.
struct Latencies {
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
}

fn percentiles(mut sample: Vec<Duration>) -> Latencies {
    sample.sort_unstable();
    let at = |q: f64| {
        let rank = ((q * sample.len() as f64).ceil() as usize).clamp(1, sample.len());
        sample[rank - 1]
    };
    Latencies {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        max: at(1.0),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// One request of client `c`, number `i` (`usize::MAX` for the connection-opening one).
type Request = dyn Fn(&ureq::Agent, usize, usize) + Send + Sync;

/// Run `per_client` requests on each of `clients` threads (all starting together); returns
/// the wall time and every request's latency. `request(agent, client, i)` does one request
/// and panics on a wrong answer.
fn concurrent(
    clients: usize,
    per_client: usize,
    request: Arc<Request>,
) -> (Duration, Vec<Duration>) {
    let barrier = Arc::new(Barrier::new(clients + 1));
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let (barrier, request) = (barrier.clone(), request.clone());
            std::thread::spawn(move || {
                let agent = agent();
                // One request first, so that every connection is open before the clock runs.
                request(&agent, c, usize::MAX);
                barrier.wait();
                let mut lat = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let t = Instant::now();
                    request(&agent, c, i);
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut all = Vec::with_capacity(clients * per_client);
    for h in handles {
        all.extend(h.join().expect("client thread"));
    }
    (start.elapsed(), all)
}

/// Single issuance by `clients` concurrent clients, `per_client` requests each, volunteers
/// numbered from `first`.
fn single_issue(
    server: &Arc<Server>,
    template: &Arc<Value>,
    run: &str,
    first: usize,
    clients: usize,
    per_client: usize,
) -> (Duration, Vec<Duration>) {
    let (server, template, run) = (server.clone(), template.clone(), run.to_owned());
    let request = move |agent: &ureq::Agent, c: usize, i: usize| {
        let i = if i == usize::MAX { per_client } else { i };
        let n = first + c * (per_client + 1) + i;
        let body = single_body(&template, n);
        let key = format!("{run}-{n}");
        let (status, answer) = post(
            agent,
            &server,
            "/api/v1/credentials",
            &key,
            "application/json",
            &body,
        );
        assert_eq!(status, 201, "single issuance refused: {answer}");
    };
    concurrent(clients, per_client, Arc::new(request))
}

fn bench_backend(slug: &str, name: &str, database_url: Option<&str>, plan: &Plan) {
    let server = start(
        slug,
        &Launch {
            database_url,
            ..Launch::default()
        },
    );
    bench_server(name, server, plan);
}

/// The measurements against `server` (a `vpass serve` or a balancer), printed under `name`.
fn bench_server(name: &str, server: Server, plan: &Plan) {
    let server = Arc::new(server);
    let template = Arc::new(template());
    let batch_agent = agent();
    let mut next = 0usize;

    // Batch issuance: one warm-up run of 500 rows, then the measured 5,000-row runs.
    let mut rates = Vec::new();
    for run in 0..=plan.batch_runs {
        let rows = if run == 0 { 500 } else { BATCH_ROWS };
        let csv = batch_csv(&template, next, rows);
        next += rows;
        let start = Instant::now();
        let (status, answer) = post(
            &batch_agent,
            &server,
            "/api/v1/credentials/batch?type=VolunteerHoursCredential",
            &format!("bench-batch-{run}"),
            "text/csv",
            &csv,
        );
        let elapsed = start.elapsed();
        assert_eq!(status, 200, "batch refused: {answer}");
        let report: Value = serde_json::from_str(&answer).expect("batch report");
        let issued = report["issued"].as_array().map_or(0, Vec::len);
        let refused = report["errors"].as_array().map_or(0, Vec::len);
        assert_eq!((issued, refused), (rows, 0), "every row must be issued");
        if run > 0 {
            rates.push(rows as f64 / elapsed.as_secs_f64());
        }
    }
    rates.sort_by(f64::total_cmp);
    let median_rate = rates[rates.len() / 2];
    let min_rate = rates[0];

    // Single issuance, one client.
    let (_, _) = single_issue(&server, &template, "warm", next, 1, plan.single_warmup);
    next += plan.single_warmup + 1;
    let (wall_one, lat_one) = single_issue(&server, &template, "one", next, 1, plan.single_one);
    next += plan.single_one + 1;
    let one = percentiles(lat_one);
    let one_rate = plan.single_one as f64 / wall_one.as_secs_f64();

    // Single issuance, 32 clients.
    let warm = plan.per_client_warmup;
    let _ = single_issue(&server, &template, "warm32", next, CLIENTS, warm);
    next += CLIENTS * (warm + 1);
    let (wall_many, lat_many) =
        single_issue(&server, &template, "many", next, CLIENTS, plan.per_client);
    let many = percentiles(lat_many);
    let many_rate = (CLIENTS * plan.per_client) as f64 / wall_many.as_secs_f64();

    // The status list, 32 clients.
    let status_url = format!("{}/status/national/1", server.base);
    let request = move |agent: &ureq::Agent, _: usize, _: usize| {
        let mut resp = agent.get(&status_url).call().expect("GET");
        assert_eq!(resp.status().as_u16(), 200);
        let body = resp.body_mut().read_to_vec().expect("status list");
        assert!(!body.is_empty());
    };
    let (wall_status, lat_status) = concurrent(CLIENTS, plan.status_per_client, Arc::new(request));
    let status = percentiles(lat_status);
    let status_rate = (CLIENTS * plan.status_per_client) as f64 / wall_status.as_secs_f64();

    println!();
    println!("== {name} ==");
    println!(
        "{:<44} {:>12} {:>10} {:>10} {:>10} {:>10}",
        "measurement", "per second", "p50", "p95", "p99", "max"
    );
    println!(
        "{:<44} {:>12.0} {:>10} {:>10} {:>10} {:>10}",
        format!(
            "batch issuance, {BATCH_ROWS} rows CSV (median of {})",
            rates.len()
        ),
        median_rate,
        "",
        "",
        "",
        ""
    );
    println!(
        "{:<44} {:>12.0}",
        format!("batch issuance, {BATCH_ROWS} rows CSV (slowest run)"),
        min_rate
    );
    for (label, rate, l) in [
        ("single issuance, 1 client", one_rate, &one),
        ("single issuance, 32 clients", many_rate, &many),
        ("GET status list, 32 clients", status_rate, &status),
    ] {
        println!(
            "{label:<44} {rate:>12.0} {:>10} {:>10} {:>10} {:>10}",
            ms(l.p50),
            ms(l.p95),
            ms(l.p99),
            ms(l.max)
        );
    }
}

/// A fresh PostgreSQL database: its URL, the admin URL, its name, and the server's durability
/// settings; or the reason why not.
fn fresh_pg_database(
    rt: &tokio::runtime::Runtime,
    suffix: &str,
) -> Result<(String, String, String, String), String> {
    let admin_url = std::env::var("VPASS_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("vpass_bench_{}{suffix}", std::process::id());
    let settings = rt.block_on(async {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&admin_url)
            .await
            .map_err(|e| format!("cannot connect to {admin_url}: {e}"))?;
        let mut settings = Vec::new();
        for setting in ["fsync", "synchronous_commit"] {
            let (value,): (String,) = sqlx::query_as(&format!("SHOW {setting}"))
                .fetch_one(&pool)
                .await
                .map_err(|e| format!("cannot read {setting}: {e}"))?;
            settings.push(format!("{setting}={value}"));
        }
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&pool)
            .await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .map_err(|e| format!("cannot create a database: {e}"))?;
        Ok::<String, String>(settings.join(", "))
    })?;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    Ok((format!("{base}/{name}"), admin_url.clone(), name, settings))
}

fn drop_pg_database(rt: &tokio::runtime::Runtime, admin_url: &str, name: &str) {
    rt.block_on(async {
        if let Ok(pool) = sqlx::postgres::PgPool::connect(admin_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await;
        }
    });
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs nothing here.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let plan = Plan::from_env();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "vpass serve over HTTP on 127.0.0.1, {cores} core(s), {}; {CLIENTS} clients are \
         threads with one kept-alive connection each",
        cpu_model()
    );
    // The service opens SQLite in WAL mode with synchronous=FULL (issuer/src/store/sql.rs).
    bench_backend("sqlite", "SQLite (WAL, synchronous=FULL)", None, &plan);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match fresh_pg_database(&rt, "") {
        Ok((url, admin_url, name, settings)) => {
            bench_backend(
                "postgres",
                &format!("PostgreSQL ({settings})"),
                Some(&url),
                &plan,
            );
            drop_pg_database(&rt, &admin_url, &name);
        }
        Err(reason) => {
            println!();
            println!("== PostgreSQL == SKIPPED: {reason}");
        }
    }

    // The scale-out deployment: three instances on one PostgreSQL database behind HAProxy.
    let title = "3 × vpass serve on one PostgreSQL behind HAProxy (examples/haproxy.cfg)";
    match fresh_pg_database(&rt, "_haproxy") {
        Ok((url, admin_url, name, settings)) => {
            match start_behind_haproxy(&url) {
                Ok(balancer) => bench_server(&format!("{title}, {settings}"), balancer, &plan),
                Err(reason) => {
                    println!();
                    println!("== {title} == SKIPPED: {reason}");
                }
            }
            drop_pg_database(&rt, &admin_url, &name);
        }
        Err(reason) => {
            println!();
            println!("== {title} == SKIPPED: {reason}");
        }
    }
}
