//! `vpass present`: choose what to show, bind it to the holder key, and make the QR.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use vpass_credential::envelope;
use vpass_credential::limits::MAX_TOKEN;
use vpass_credential::sdjwt::{self, KbParams};

#[derive(Debug, Args)]
pub struct PresentArgs {
    /// The issued credential (SD-JWT or JWT) file, or `-` for standard input.
    #[arg(long)]
    token: PathBuf,
    /// Selectively disclosable claims to show, by name (`region`) or path
    /// (`credentialSubject.region`). Claims in the clear are always shown.
    #[arg(long, value_delimiter = ',')]
    disclose: Vec<String>,
    /// The holder's private key: adds a key-binding JWT proving possession.
    #[arg(long, requires = "aud")]
    holder_key: Option<PathBuf>,
    /// The verifier the presentation is for (KB-JWT `aud`), e.g. https://hr.example.kz.
    #[arg(long)]
    aud: Option<String>,
    /// The verifier's nonce (KB-JWT `nonce`); a random one is made if omitted.
    #[arg(long)]
    nonce: Option<String>,
    /// Presentation time (RFC 3339) instead of now.
    #[arg(long)]
    at: Option<String>,
    /// Print the QR envelope text.
    #[arg(long, conflicts_with = "out")]
    text: bool,
    /// Print the plain SD-JWT presentation instead of the QR envelope.
    #[arg(long, conflicts_with_all = ["out", "text"])]
    raw: bool,
    /// Write the QR code as a PNG image.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: PresentArgs) -> anyhow::Result<ExitCode> {
    if !args.text && !args.raw && args.out.is_none() {
        bail!("say how to output the presentation: --text, --raw or --out FILE.png");
    }
    let issued = crate::read_input(&args.token, MAX_TOKEN)?;
    let issued = issued.trim();
    let presentation = if issued.contains('~') {
        let names: Vec<&str> = args.disclose.iter().map(String::as_str).collect();
        let holder = args
            .holder_key
            .as_deref()
            .map(crate::read_signing_key)
            .transpose()?;
        let nonce = args.nonce.clone().unwrap_or_else(random_nonce);
        let iat = crate::now_or(args.at.as_deref())?;
        let kb = match (&holder, &args.aud) {
            (Some(key), Some(aud)) => Some(KbParams {
                key,
                aud,
                nonce: &nonce,
                iat,
            }),
            _ => None,
        };
        if kb.is_some() && args.nonce.is_none() {
            eprintln!("nonce: {nonce}");
        }
        sdjwt::present_names(issued, &names, kb.as_ref())
            .context("cannot build the presentation")?
    } else {
        if !args.disclose.is_empty() || args.holder_key.is_some() {
            bail!("a plain JWT credential has no selective disclosure or key binding");
        }
        issued.to_owned()
    };
    if args.raw {
        println!("{presentation}");
        return Ok(ExitCode::SUCCESS);
    }
    let qr_text = envelope::encode(&presentation).context("cannot encode the QR envelope")?;
    if let Some(out) = &args.out {
        let version = crate::qr::write_png(&qr_text, out)?;
        eprintln!(
            "wrote {} (QR version {version} at level M, {} characters)",
            out.display(),
            qr_text.len()
        );
    } else {
        eprintln!(
            "QR version {} at level M, {} characters",
            crate::qr::version_for(&qr_text)?,
            qr_text.len()
        );
        println!("{qr_text}");
    }
    Ok(ExitCode::SUCCESS)
}

fn random_nonce() -> String {
    let mut salts = sdjwt::OsSalts;
    sdjwt::SaltSource::salt(&mut salts)
}
