//! vpass issuer: the front-office service behind `vpass serve`.
//!
//! **Where it sits.** Operators of an office call the HTTP API ([`http`]) to issue and revoke
//! credentials; the service signs them with the office's key through `vpass_credential`,
//! stores them ([`store`]: SQLite by default, PostgreSQL for scale) and publishes what
//! verifiers need offline: each office's signed status list, the signed trust list and DID
//! documents. [`service`] holds the domain logic between the two, [`crypto`] the secrets.
//!
//! **First start** ([`service::open`]): creates the data folder, the key-encryption key, the
//! database (migrated), the national office and the 20 regional ones ([`offices`]), each with
//! its Ed25519 key, the trust-list root key and a first admin whose token is written to
//! `<data-dir>/initial-admin-token` (mode 0600). The data folder is private ([`datadir`]).
//!
//! **Operations.** Requests are traced with `tracing` ([`http::trace`]: a request id, a span
//! and one log line per request) and counted in Prometheus metrics ([`metrics`]); the
//! library logs through `tracing` only and installs no subscriber (`vpass serve` does).
//! Its startup lines are events of the target [`STARTUP`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = vpass_issuer::Config::default_with_data_dir("vpass-data".into());
//! vpass_issuer::serve(config, |addr| eprintln!("listening on {addr}")).await?;
//! # Ok(()) }
//! ```

pub mod audit;
pub mod crypto;
pub mod datadir;
pub mod http;
pub mod metrics;
pub mod offices;
pub mod service;
pub mod store;
pub mod types;
pub mod volunteers;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use http::app;
pub use service::{Config, Limits, Opened, Service, StartError};

/// The `tracing` target of the startup lines (first start, root key, KEK source, metrics
/// address): what an operator must see, whatever the log filter (`vpass serve` always shows
/// it).
pub const STARTUP: &str = "vpass::startup";

/// Open (bootstrapping on first start) and serve until Ctrl-C or SIGTERM. `ready` is called
/// with the bound address once the service accepts connections.
pub async fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), StartError> {
    serve_until(config, ready, shutdown()).await
}

/// [`serve`] until `stop` completes, then stop gracefully: no new connections, requests in
/// progress answered, idle connections closed, and after [`Config::shutdown_timeout`] every
/// remaining connection closed.
///
/// Connections are served by hyper's HTTP/1 server with a header read timeout
/// ([`Config::header_read_timeout`]: a client that has not sent a whole request header by
/// then is disconnected) and at most [`Config::max_connections`] at once (beyond it,
/// connections wait in the listen queue); the body read timeout is applied where bodies are
/// read ([`http::extract::Body`]). `axum::serve` offers none of these limits, hence this loop.
///
/// With [`Config::metrics_listen`], a second listener serves `GET /metrics` without a token
/// ([`http::metrics::open_router`]) under the same connection limits, until the same stop.
pub async fn serve_until(
    config: Config,
    ready: impl FnOnce(SocketAddr),
    stop: impl Future<Output = ()>,
) -> Result<(), StartError> {
    let opened = service::open(&config).await?;
    if let Some(path) = &opened.initial_admin_token {
        tracing::info!(
            target: STARTUP,
            "vpass serve: first start: national office, its signing key and the trust-list root \
             key created; the admin API token is in {} (mode 0600, shown once: store it and \
             delete the file)",
            path.display()
        );
    }
    tracing::info!(
        target: STARTUP,
        "vpass serve: root key (pin it in verifiers): {}",
        opened.service.root_did()
    );
    tracing::info!(
        target: STARTUP,
        "vpass serve: key-encryption key from {}",
        opened.kek_source
    );
    let (listener, addr) = bind(config.listen).await?;
    let metrics_listener = match config.metrics_listen {
        Some(at) => {
            let (listener, addr) = bind(at).await?;
            tracing::info!(
                target: STARTUP,
                "vpass serve: metrics (no token) on http://{addr}/metrics"
            );
            Some(listener)
        }
        None => None,
    };
    ready(addr);
    let service = Arc::new(opened.service);
    let purger = tokio::spawn(purge_periodically(service.clone()));
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    let api = async {
        accept_until(listener, app(service.clone()), &config, stop).await;
        let _ = stop_metrics.send(());
    };
    let metrics = async {
        if let Some(listener) = metrics_listener {
            let router = http::metrics::open_router(service.clone());
            let stopped = async {
                let _ = metrics_stopped.await;
            };
            accept_until(listener, router, &config, stopped).await;
        }
    };
    tokio::join!(api, metrics);
    purger.abort();
    Ok(())
}

/// A listener on `at`, and the address it got.
async fn bind(at: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), StartError> {
    let io = |source| StartError::Io {
        what: "listening on",
        path: at.to_string().into(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(at).await.map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    Ok((listener, addr))
}

/// Accept and serve connections until `stop`, then shut down within the configured deadline.
async fn accept_until(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    config: &Config,
    stop: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        // A free slot first: at the cap, new connections wait in the kernel's queue.
        let permit = tokio::select! {
            () = &mut stop => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let svc = tower::ServiceExt::map_request(
            router.clone(),
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            },
        );
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
        let conn = graceful.watch(conn);
        connections.spawn(async move {
            // A client that goes away or is too slow ends its connection; nothing to report.
            let _ = conn.await;
            drop(permit);
        });
        // Reap finished connections so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let deadline = config.shutdown_timeout;
    if tokio::time::timeout(deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = connections.len(),
            "connections still open after {} s; closing them",
            deadline.as_secs()
        );
    }
    connections.shutdown().await;
}

/// How often expired idempotency records and rate-limit windows are deleted.
pub const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Delete expired idempotency records and rate-limit windows now and every
/// [`PURGE_INTERVAL`]. Several instances may do this at once; deleting is idempotent.
async fn purge_periodically(service: Arc<Service>) {
    let mut tick = tokio::time::interval(PURGE_INTERVAL);
    loop {
        tick.tick().await;
        match service.purge_expired().await {
            Ok((0, _)) => {}
            Ok((records, _)) => {
                tracing::info!(records, "purged expired idempotency records");
            }
            Err(e) => tracing::warn!(error = %e, "purging expired records failed"),
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
