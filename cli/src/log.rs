//! The `tracing` subscriber of the commands that run the issuer library (`vpass serve`,
//! `vpass admin`): text lines on standard error, filtered by `VPASS_LOG`, else `RUST_LOG`
//! (`EnvFilter` syntax, e.g. `info,sqlx=warn`), else a default level. What the library logs
//! and never logs is in docs/operations.md.

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// Install the subscriber; `default` is the filter without `VPASS_LOG` or `RUST_LOG`. With
/// `startup`, the service's startup lines ([`vpass_issuer::STARTUP`]) show whatever the
/// filter: they tell the operator where the first admin token is and which root key to pin.
pub fn init(default: &str, startup: bool) -> anyhow::Result<()> {
    let (name, spec) = ["VPASS_LOG", "RUST_LOG"]
        .into_iter()
        .find_map(|name| {
            let value = std::env::var(name).ok()?;
            (!value.trim().is_empty()).then_some((name, value))
        })
        .unwrap_or(("the default", default.to_owned()));
    let mut filter =
        EnvFilter::try_new(&spec).with_context(|| format!("{name}: bad log filter {spec:?}"))?;
    if startup {
        let directive = format!("{}=info", vpass_issuer::STARTUP)
            .parse()
            .context("the startup log directive")?;
        filter = filter.add_directive(directive);
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))
}
