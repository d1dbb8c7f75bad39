//! `vpass issue`: sign a credential locally (development) or through an office's service;
//! `vpass revoke`: revoke one through the service.
//!
//! Through the service (`--server URL --token T`, also from `VPASS_SERVER` and `VPASS_TOKEN`),
//! every write carries an `Idempotency-Key`: a fresh random one, or `--idempotency-key K` to
//! retry an operation whose answer was lost (the service then replays the first answer and
//! never issues twice). Plain `http://` only in this build: put the service behind a
//! TLS-terminating proxy and call it from the same host, or use a TLS-capable client.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use vpass_credential::keys::Signer;
use vpass_credential::model::{self, Credential};
use vpass_credential::sdjwt::{self, PathSeg};
use vpass_credential::vcjwt;
use vpass_verifier::TrustStore;

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The office's private key (JWK) for local signing.
    #[arg(long, conflicts_with = "server")]
    key: Option<PathBuf>,
    /// An office's issuer service.
    #[arg(long, env = "VPASS_SERVER")]
    server: Option<String>,
    /// The operator's API token for --server.
    #[arg(long, env = "VPASS_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The credential as W3C VCDM 2.0 JSON; its `type` picks the credential type.
    #[arg(long)]
    claims: PathBuf,
    /// The holder: a did:key or a public JWK file (binds the credential to that key).
    #[arg(long)]
    holder: Option<String>,
    /// sd-jwt (SD-JWT VC, the default) or jwt (VC-JWT).
    #[arg(long, value_enum, default_value_t = IssueFormat::SdJwt)]
    format: IssueFormat,
    /// Issuance time (RFC 3339) instead of now (local signing only).
    #[arg(long, conflicts_with = "server")]
    at: Option<String>,
    /// Idempotency key for --server (default: a fresh random one, printed on stderr).
    #[arg(long, requires = "server")]
    idempotency_key: Option<String>,
    /// With --server: print {"id", "credential"} instead of the token.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct IssueBatchArgs {
    /// The rows: a CSV file with a header (see docs/api.md for the columns).
    #[arg(long)]
    csv: PathBuf,
    /// The credential type of every row.
    #[arg(long, default_value = "VolunteerHoursCredential")]
    r#type: String,
    /// Where to write the per-row report (JSON: issued rows with ids and credentials, and
    /// refused rows with row number, code, field and reason).
    #[arg(long, default_value = "batch-report.json")]
    report: PathBuf,
    /// The office's issuer service.
    #[arg(long, env = "VPASS_SERVER")]
    server: String,
    /// The operator's API token.
    #[arg(long, env = "VPASS_TOKEN", hide_env_values = true)]
    token: String,
    /// Idempotency key (default: a fresh random one, printed on stderr).
    #[arg(long)]
    idempotency_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The credential's id (as `vpass issue --server --json` printed it).
    id: String,
    /// Why (kept with the credential; not published).
    #[arg(long)]
    reason: String,
    /// The office's issuer service.
    #[arg(long, env = "VPASS_SERVER")]
    server: String,
    /// The operator's API token.
    #[arg(long, env = "VPASS_TOKEN", hide_env_values = true)]
    token: String,
    /// Idempotency key (default: a fresh random one, printed on stderr).
    #[arg(long)]
    idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IssueFormat {
    SdJwt,
    Jwt,
}

pub fn run(args: IssueArgs) -> anyhow::Result<ExitCode> {
    match (&args.key, &args.server) {
        (Some(key), _) => issue_locally(key, &args),
        (None, Some(server)) => issue_remotely(server, &args),
        (None, None) => bail!("give --key FILE (local signing) or --server URL --token T"),
    }
}

fn issue_locally(key_path: &Path, args: &IssueArgs) -> anyhow::Result<ExitCode> {
    let key = crate::read_signing_key(key_path)?;
    let json = crate::read_json(&args.claims)?;
    let credential = Credential::from_json(&json)
        .with_context(|| format!("{} is not a valid vpass credential", args.claims.display()))?;
    let holder = match &args.holder {
        None => None,
        Some(h) => Some(
            TrustStore::parse_key_arg(h)
                .with_context(|| format!("--holder {h}: not a holder key"))?,
        ),
    };
    let iat = crate::now_or(args.at.as_deref())?;
    let claims = model::to_jwt_claims(&credential, iat, holder.as_ref());
    let token = match args.format {
        IssueFormat::SdJwt => {
            let paths: Vec<_> = credential
                .kind()
                .selectively_disclosable()
                .iter()
                .map(|name| {
                    vec![
                        PathSeg::Key("credentialSubject".into()),
                        PathSeg::Key((*name).into()),
                    ]
                })
                .collect();
            sdjwt::issue(&key, claims, &paths, &mut sdjwt::OsSalts)?
        }
        IssueFormat::Jwt => vcjwt::issue(&key, &claims)?,
    };
    eprintln!(
        "issued a {} signed by {} ({} characters)",
        credential.kind().type_name(),
        key.public().did_key(),
        token.len()
    );
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

/// The answer of the service: status and body text.
struct Reply {
    status: u16,
    body: String,
}

/// POST `body` as JSON to `server` + `path` with the token and an idempotency key.
fn post(server: &str, path: &str, token: &str, key: &str, body: &str) -> anyhow::Result<Reply> {
    post_as(server, path, token, key, "application/json", body)
}

/// POST `body` with a content type.
fn post_as(
    server: &str,
    path: &str,
    token: &str,
    key: &str,
    content_type: &str,
    body: &str,
) -> anyhow::Result<Reply> {
    let base = server.trim_end_matches('/');
    if !base.starts_with("http://") {
        bail!("--server {server}: only http:// URLs are supported by this build");
    }
    let url = format!("{base}{path}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .build()
        .into();
    let mut resp = agent
        .post(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Idempotency-Key", key)
        .header("Content-Type", content_type)
        .send(body)
        .with_context(|| format!("calling {url}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(16 * 1024 * 1024)
        .read_to_string()
        .with_context(|| format!("reading the answer of {url}"))?;
    Ok(Reply { status, body })
}

/// Turn a problem+json answer into an error message.
fn refused(reply: &Reply) -> anyhow::Error {
    let problem: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
    let code = problem["code"].as_str().unwrap_or("?");
    let detail = problem["detail"].as_str().unwrap_or(reply.body.as_str());
    match problem["field"].as_str() {
        Some(field) => anyhow::anyhow!(
            "the service refused ({} {code} at {field}): {detail}",
            reply.status
        ),
        None => anyhow::anyhow!("the service refused ({} {code}): {detail}", reply.status),
    }
}

fn idempotency_key(given: Option<&String>) -> String {
    match given {
        Some(k) => k.clone(),
        None => {
            let key = vpass_issuer::crypto::random_uuid();
            eprintln!("idempotency key {key} (repeat it with --idempotency-key to retry safely)");
            key
        }
    }
}

fn issue_remotely(server: &str, args: &IssueArgs) -> anyhow::Result<ExitCode> {
    let Some(token) = &args.token else {
        bail!("--server needs --token T (or VPASS_TOKEN)");
    };
    let mut json = crate::read_json(&args.claims)?;
    let Some(map) = json.as_object_mut() else {
        bail!("{} is not a JSON object", args.claims.display());
    };
    // The service sets both from the operator's office and its status list.
    for member in ["issuer", "credentialStatus"] {
        if map.remove(member).is_some() {
            eprintln!("note: `{member}` in the claims file is ignored: the service sets it");
        }
    }
    if let Some(h) = &args.holder {
        let key = TrustStore::parse_key_arg(h)
            .with_context(|| format!("--holder {h}: not a holder key"))?;
        map.insert("holder".into(), key.did_key().into());
    }
    let format = match args.format {
        IssueFormat::SdJwt => "sd-jwt",
        IssueFormat::Jwt => "jwt",
    };
    map.insert("format".into(), format.into());
    let key = idempotency_key(args.idempotency_key.as_ref());
    let reply = post(
        server,
        "/api/v1/credentials",
        token,
        &key,
        &json.to_string(),
    )?;
    if !(200..300).contains(&reply.status) {
        return Err(refused(&reply));
    }
    let answer: serde_json::Value =
        serde_json::from_str(&reply.body).context("the service's answer is not JSON")?;
    let (Some(id), Some(credential)) = (answer["id"].as_str(), answer["credential"].as_str())
    else {
        bail!("the service's answer has no id or credential");
    };
    eprintln!("issued {id} (status-list index {})", answer["status_index"]);
    if args.json {
        println!(
            "{}",
            serde_json::json!({"id": id, "credential": credential})
        );
    } else {
        println!("{credential}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `vpass issue-batch`: prints the ids issued, one a line; exit 1 if any row was refused.
pub fn issue_batch(args: IssueBatchArgs) -> anyhow::Result<ExitCode> {
    let csv = crate::read_input(&args.csv, 16 * 1024 * 1024)?;
    let key = idempotency_key(args.idempotency_key.as_ref());
    let path = format!(
        "/api/v1/credentials/batch?type={}",
        percent_encode(&args.r#type)
    );
    eprintln!("sending {} to {} ...", args.csv.display(), args.server);
    let reply = post_as(&args.server, &path, &args.token, &key, "text/csv", &csv)?;
    if !(200..300).contains(&reply.status) {
        return Err(refused(&reply));
    }
    let report: serde_json::Value =
        serde_json::from_str(&reply.body).context("the service's answer is not JSON")?;
    crate::write_file(&args.report, reply.body.as_bytes(), true)?;
    let issued = report["issued"].as_array().map_or(&[][..], Vec::as_slice);
    let errors = report["errors"].as_array().map_or(&[][..], Vec::as_slice);
    for item in issued {
        if let Some(id) = item["id"].as_str() {
            println!("{id}");
        }
    }
    for e in errors.iter().take(20) {
        eprintln!(
            "row {}: {} {} {}",
            e["row"],
            e["code"].as_str().unwrap_or("?"),
            e["field"].as_str().unwrap_or(""),
            e["detail"].as_str().unwrap_or("")
        );
    }
    eprintln!(
        "{} issued, {} refused; report in {}",
        issued.len(),
        errors.len(),
        args.report.display()
    );
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn revoke(args: RevokeArgs) -> anyhow::Result<ExitCode> {
    let key = idempotency_key(args.idempotency_key.as_ref());
    let body = serde_json::json!({"reason": args.reason}).to_string();
    let path = format!("/api/v1/credentials/{}/revoke", percent_encode(&args.id));
    let reply = post(&args.server, &path, &args.token, &key, &body)?;
    if !(200..300).contains(&reply.status) {
        return Err(refused(&reply));
    }
    eprintln!("revoked; the office's status list is re-signed");
    println!("{}", args.id);
    Ok(ExitCode::SUCCESS)
}

/// Percent-encode a path segment (ids are UUIDs; anything else is escaped).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
