//! `vpass issue`: sign a credential locally (development) or through an office's service.

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
    match (&args.key, &args.server) {
        (Some(key), _) => issue_locally(key, &args),
        (None, Some(_)) => bail!(
            "issuing through --server needs the office service (`vpass serve`), which this \
             build does not include yet; sign locally with --key FILE"
        ),
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
