//! `vpass trust sync`: download an issuer service's trust list and status lists into a
//! trust-store folder, checking them before anything is written (`vpass_verifier::sync`).
//!
//! This is the only step of verification that uses the network; `vpass verify
//! --trust-store DIR` then works offline. The trust list is verified (against the pinned root,
//! through the root chain when the root rotated) before any URL it names is fetched; then only
//! the status lists the verified list names are fetched, at most [`MAX_SYNC_STATUS_LISTS`] of
//! them and [`MAX_SYNC_BYTES`] in all, one at a time, each checked and staged on disk before the
//! next. `https://` is verified as for every call (`crate::client`: system roots plus
//! `--ca-cert`); plain `http://` is enough for integrity, as no token is sent and the trust
//! list is signed by the pinned root key and each status list by its office's key.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use vpass_credential::limits::{
    MAX_ROOT_CHAIN, MAX_STATUS_LIST_TOKEN, MAX_SYNC_BYTES, MAX_SYNC_STATUS_LISTS, MAX_TRUST_LIST,
};
use vpass_credential::time::{Clock, SystemClock};
use vpass_verifier::TrustStore;

use crate::client::{PublicClient, ServiceUrl, TlsArgs};

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
    /// The issuer service (https://HOST:PORT or http://…) or the trust list's URL
    /// (…/trust-list).
    #[arg(long, env = "VPASS_TRUST_FROM")]
    from: String,
    /// The national root key to pin: the did:key printed by `vpass admin root-key`, obtained
    /// out of band. Needed at the first sync; later it must match the pinned one.
    #[arg(long)]
    root_key: Option<String>,
    /// The trust-store folder to create or update.
    #[arg(long, default_value = "vpass-trust")]
    trust_store: PathBuf,
    #[command(flatten)]
    tls: TlsArgs,
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
    let from = ServiceUrl::parse(&args.from).context("--from")?;
    let from = from.as_str();
    let list_url = if from.ends_with("/trust-list") {
        from.to_owned()
    } else {
        format!("{from}/trust-list")
    };
    let agent = PublicClient::new(&args.tls, std::time::Duration::from_secs(30))?;
    let trust_list = fetch(&agent, &list_url, MAX_TRUST_LIST)?;
    let dir = &args.trust_store;
    // The root chain, only when the list is signed by a root this store has not reached.
    let chain = if vpass_verifier::sync::needs_chain(dir, root.as_ref(), &trust_list)? {
        fetch_chain(&agent, &format!("{list_url}/chain"))?
    } else {
        Vec::new()
    };
    // The list is verified before anything it names is fetched.
    let mut pending =
        vpass_verifier::sync::begin(dir, root.as_ref(), &trust_list, &chain, SystemClock.now())?;
    drop(trust_list);
    let mut failed = 0;
    let mut budget = MAX_SYNC_BYTES;
    let urls = pending.status_list_urls();
    if urls.len() > MAX_SYNC_STATUS_LISTS {
        eprintln!(
            "vpass trust sync: the trust list names {} status lists; only the first {MAX_SYNC_STATUS_LISTS} are fetched",
            urls.len()
        );
    }
    for url in urls.into_iter().take(MAX_SYNC_STATUS_LISTS) {
        if budget == 0 {
            failed += 1;
            eprintln!(
                "vpass trust sync: {url}: not fetched, {MAX_SYNC_BYTES} bytes already downloaded (its old copy, if any, is kept)"
            );
            continue;
        }
        // One body at a time, bounded by the per-list and the remaining total limit; it is
        // checked and staged on disk before the next is fetched.
        match fetch(&agent, &url, MAX_STATUS_LIST_TOKEN.min(budget)) {
            Ok(token) => {
                budget = budget.saturating_sub(token.len());
                pending.add_status_list(&url, &token)?;
            }
            Err(e) => {
                failed += 1;
                eprintln!("vpass trust sync: {e:#} (its old copy, if any, is kept)");
            }
        }
    }
    let report = pending.commit()?;
    if report.pinned {
        eprintln!("vpass trust sync: root key pinned in this trust store");
    }
    if report.root_rotated {
        eprintln!("vpass trust sync: the following lists come from the next root the trust list announced (root chain kept)");
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
fn fetch(agent: &PublicClient, url: &str, limit: usize) -> anyhow::Result<String> {
    fetch_unless_missing(agent, url, limit)?.with_context(|| format!("fetching {url}: HTTP 404"))
}

/// GET `url`, at most `limit` bytes of body: `None` on 404, an error on any status but 200.
fn fetch_unless_missing(
    agent: &PublicClient,
    url: &str,
    limit: usize,
) -> anyhow::Result<Option<String>> {
    let mut resp = agent.get(url)?;
    match resp.status().as_u16() {
        200 => {}
        404 => return Ok(None),
        status => bail!("fetching {url}: HTTP {status}"),
    }
    let text = resp
        .body_mut()
        .with_config()
        .limit(limit as u64)
        .read_to_string()
        .with_context(|| format!("reading {url} (at most {limit} bytes)"))?;
    Ok(Some(text))
}

/// The publisher's root chain (`GET /trust-list/chain`: a JSON array of rotation lists,
/// oldest first); none when the service has no such route (404).
fn fetch_chain(agent: &PublicClient, url: &str) -> anyhow::Result<Vec<String>> {
    let limit = MAX_TRUST_LIST * (MAX_ROOT_CHAIN + 1);
    let Some(text) = fetch_unless_missing(agent, url, limit)? else {
        return Ok(Vec::new());
    };
    let value = vpass_credential::json::parse_with_limit(text.as_bytes(), "chain", limit)
        .with_context(|| format!("{url}: not JSON"))?;
    let links = value
        .as_array()
        .with_context(|| format!("{url}: not a JSON array of rotation lists"))?;
    Ok(links
        .iter()
        .take(MAX_ROOT_CHAIN)
        .filter_map(|l| l.as_str().map(str::to_owned))
        .collect())
}
