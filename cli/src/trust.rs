//! `vpass trust sync`: download an issuer service's trust list and status lists into a
//! trust-store folder, checking them before anything is written (`vpass_verifier::sync`).
//!
//! This is the only step of verification that uses the network; `vpass verify
//! --trust-store DIR` then works offline. Plain `http://` is enough for integrity: the trust
//! list is signed by the pinned root key and each status list by its office's key.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use vpass_credential::limits::{MAX_STATUS_LIST_TOKEN, MAX_TRUST_LIST};
use vpass_credential::time::{Clock, SystemClock};
use vpass_verifier::TrustStore;

/// `vpass trust …`.
#[derive(Debug, Subcommand)]
pub enum TrustCmd {
    /// Download and check the signed trust list and every status list it names into a
    /// trust-store folder (the root key is pinned at the first sync).
    Sync(SyncArgs),
}

/// Flags of `vpass trust sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The issuer service (http://HOST:PORT) or the trust list's URL (…/trust-list).
    #[arg(long, env = "VPASS_TRUST_FROM")]
    from: String,
    /// The national root key to pin: the did:key printed by `vpass admin root-key`, obtained
    /// out of band. Needed at the first sync; later it must match the pinned one.
    #[arg(long)]
    root_key: Option<String>,
    /// The trust-store folder to create or update.
    #[arg(long, default_value = "vpass-trust")]
    trust_store: PathBuf,
}

/// Run `vpass trust …`.
pub fn run(cmd: TrustCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        TrustCmd::Sync(args) => sync(&args),
    }
}

fn sync(args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let root = args
        .root_key
        .as_deref()
        .map(TrustStore::parse_key_arg)
        .transpose()
        .context("--root-key")?;
    let from = args.from.trim_end_matches('/');
    let list_url = if from.ends_with("/trust-list") {
        from.to_owned()
    } else {
        format!("{from}/trust-list")
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into();
    let trust_list = fetch(&agent, &list_url, MAX_TRUST_LIST)?;
    // The status lists the trust list names; which of them are genuine is checked by the
    // library against the list itself (unverified here, used only to know what to fetch).
    let urls = status_urls(&trust_list);
    let mut status_lists = Vec::new();
    let mut failed = 0;
    for url in urls {
        match fetch(&agent, &url, MAX_STATUS_LIST_TOKEN) {
            Ok(token) => status_lists.push((url, token)),
            Err(e) => {
                failed += 1;
                eprintln!("vpass trust sync: {e:#} (its old copy, if any, is kept)");
            }
        }
    }
    let report = vpass_verifier::sync::sync(
        &args.trust_store,
        root.as_ref(),
        &trust_list,
        &status_lists,
        SystemClock.now(),
    )?;
    if report.pinned {
        eprintln!("vpass trust sync: root key pinned in this trust store");
    }
    if report.root_rotated {
        eprintln!("vpass trust sync: the root key moved to the next root the trust list announced");
    }
    for (url, e) in &report.refused {
        eprintln!(
            "vpass trust sync: status list {url} refused: {} (its old copy, if any, is kept)",
            e.code().as_str()
        );
    }
    eprintln!(
        "vpass trust sync: trust list #{} ({} offices) and {} status lists in {}",
        report.sequence,
        report.offices,
        report.status_lists.len(),
        args.trust_store.display()
    );
    if report.refused.is_empty() && failed == 0 {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

/// GET `url`, at most `limit` bytes of body, 200 only.
fn fetch(agent: &ureq::Agent, url: &str, limit: usize) -> anyhow::Result<String> {
    if !url.starts_with("http://") {
        bail!("{url}: only http:// URLs are supported by this build");
    }
    let mut resp = agent
        .get(url)
        .call()
        .with_context(|| format!("fetching {url}"))?;
    if resp.status() != 200 {
        bail!("fetching {url}: HTTP {}", resp.status());
    }
    resp.body_mut()
        .with_config()
        .limit(limit as u64)
        .read_to_string()
        .with_context(|| format!("reading {url} (at most {limit} bytes)"))
}

/// The `statusLists` URLs of every office in a trust list's payload, read without checking
/// the signature (the library checks everything before it is used).
fn status_urls(token: &str) -> Vec<String> {
    let Ok(jws) = vpass_credential::jose::parse_with_limit(token.trim(), MAX_TRUST_LIST) else {
        return Vec::new();
    };
    let Ok(payload) = vpass_credential::json::parse_with_limit(
        &jws.unverified_payload,
        "payload",
        MAX_TRUST_LIST,
    ) else {
        return Vec::new();
    };
    let mut urls: Vec<String> = payload["offices"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|o| o["statusLists"].as_array().into_iter().flatten())
        .filter_map(|u| u.as_str().map(str::to_owned))
        .collect();
    urls.sort();
    urls.dedup();
    urls
}
