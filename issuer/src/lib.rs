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
pub mod offices;
pub mod service;
pub mod store;
pub mod volunteers;

use std::net::SocketAddr;
use std::sync::Arc;

pub use http::app;
pub use service::{Config, Limits, Opened, Service, StartError};

/// Open (bootstrapping on first start) and serve until Ctrl-C or SIGTERM. `ready` is called
/// with the bound address once the service accepts connections.
pub async fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), StartError> {
    let opened = service::open(&config).await?;
    if let Some(path) = &opened.initial_admin_token {
        eprintln!(
            "vpass serve: first start: national office, its signing key and the trust-list root \
             key created; the admin API token is in {} (mode 0600, shown once: store it and \
             delete the file)",
            path.display()
        );
    }
    eprintln!(
        "vpass serve: root key (pin it in verifiers): {}",
        opened.service.root_did()
    );
    eprintln!("vpass serve: key-encryption key from {}", opened.kek_source);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Io {
            what: "listening on",
            path: config.listen.to_string().into(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Io {
        what: "listening on",
        path: config.listen.to_string().into(),
        source,
    })?;
    ready(addr);
    let service = Arc::new(opened.service);
    let purger = tokio::spawn(purge_periodically(service.clone()));
    let served = axum::serve(
        listener,
        app(service).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .map_err(|source| StartError::Io {
        what: "serving on",
        path: addr.to_string().into(),
        source,
    });
    purger.abort();
    served
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
                eprintln!("vpass serve: purged {records} expired idempotency records");
            }
            Err(e) => eprintln!("vpass serve: purging expired records failed: {e}"),
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
