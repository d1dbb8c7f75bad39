//! `vpass serve`: the front-office issuer service (library: `vpass-issuer`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

/// Flags of `vpass serve`; each also reads an environment variable.
#[derive(Debug, Args)]
#[command(
    after_help = "The key-encryption key that seals the private keys in the database \
comes from VPASS_KEK (64 hex digits or base64url of 32 bytes) or, if unset, from \
<data-dir>/kek, created with mode 0600 on the first start. The first start also writes an \
admin API token to <data-dir>/initial-admin-token (mode 0600). See docs/operations.md."
)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "VPASS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Database: sqlite://FILE or postgres://USER@HOST/DB (default: SQLite file vpass.db in
    /// the data folder).
    #[arg(long, env = "VPASS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Folder for the database, the key-encryption key file (kek) and the initial admin token.
    #[arg(long, env = "VPASS_DATA_DIR", default_value = "vpass-data")]
    data_dir: PathBuf,
    /// Public base URL of this service, used in status-list URLs (first start only; default
    /// http://localhost:PORT, PORT from --listen).
    #[arg(long, env = "VPASS_PUBLIC_URL")]
    public_url: Option<String>,
    /// The national office's did:web (first start only; default: did:web of the public
    /// URL's host and port, e.g. did:web:localhost%3A8080).
    #[arg(long, env = "VPASS_OFFICE_DID")]
    office_did: Option<String>,
    /// Most hours one credential may certify (plausibility check HOURS_OVER_CAP).
    #[arg(long, env = "VPASS_MAX_HOURS_PER_CREDENTIAL", default_value_t = vpass_issuer::volunteers::DEFAULT_MAX_HOURS_PER_CREDENTIAL, value_parser = positive_hours)]
    max_hours_per_credential: f64,
    /// Most hours one volunteer may have on one day, all credentials together, each
    /// credential's hours spread evenly over its period (check DAILY_HOURS_OVER_CAP).
    #[arg(long, env = "VPASS_MAX_HOURS_PER_DAY", default_value_t = vpass_issuer::volunteers::DEFAULT_MAX_HOURS_PER_DAY, value_parser = positive_hours)]
    max_hours_per_day: f64,
}

/// A number of hours greater than 0.
fn positive_hours(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(h) if h.is_finite() && h > 0.0 => Ok(h),
        _ => Err(format!("{s:?} is not a number of hours greater than 0")),
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = vpass_issuer::Config {
        listen: args.listen,
        database_url: args.database_url,
        data_dir: args.data_dir,
        public_url: args.public_url,
        office_did: args.office_did,
        max_hours_per_credential: args.max_hours_per_credential,
        max_hours_per_day: args.max_hours_per_day,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime
        .block_on(vpass_issuer::serve(config, |addr| {
            eprintln!("vpass serve: listening on http://{addr}");
        }))
        .context("vpass serve")?;
    Ok(ExitCode::SUCCESS)
}
