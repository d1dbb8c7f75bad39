//! `vpass issue`: sign a credential locally (development) or through an office's service.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, ValueEnum};

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
    /// Issuance time (RFC 3339) instead of now.
    #[arg(long)]
    at: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IssueFormat {
    SdJwt,
    Jwt,
}

pub fn run(args: IssueArgs) -> anyhow::Result<ExitCode> {
    let _ = (
        &args.claims,
        &args.holder,
        args.format,
        &args.at,
        &args.token,
    );
    match (&args.key, &args.server) {
        (Some(_), _) => bail!("local issuing is being wired to the credential model"),
        (None, Some(_)) => bail!("issuing through a server needs the issuer service"),
        (None, None) => bail!("give --key FILE (local signing) or --server URL --token T"),
    }
}
