//! `vpass verify`: the offline verdict.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use vpass_credential::limits::MAX_TOKEN;
use vpass_verifier::i18n::Lang;
use vpass_verifier::{Policy, TrustStore};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A folder with a synced trust list and cached status lists.
    #[arg(long)]
    trust_store: Option<PathBuf>,
    /// A trusted issuer key: a did:key or a public JWK file. May be repeated.
    #[arg(long)]
    issuer_key: Vec<String>,
    /// Verify as of this time (RFC 3339) instead of now.
    #[arg(long)]
    at: Option<String>,
    /// Print the verdict as JSON.
    #[arg(long)]
    json: bool,
    /// The QR text, SD-JWT or JWT to check.
    #[arg(long, conflicts_with_all = ["image", "stdin"])]
    text: Option<String>,
    /// A photo or scan holding the QR code.
    #[arg(long, conflicts_with = "stdin")]
    image: Option<PathBuf>,
    /// Read the QR text or token from standard input.
    #[arg(value_name = "-", value_parser = clap::builder::PossibleValuesParser::new(["-"]))]
    stdin: Option<String>,
    /// The audience expected in the key-binding JWT (this organisation's identifier).
    #[arg(long)]
    aud: Option<String>,
    /// The nonce this verifier gave the volunteer.
    #[arg(long)]
    nonce: Option<String>,
    /// Refuse presentations without key binding.
    #[arg(long)]
    require_holder_binding: bool,
    /// Accept only this credential type (e.g. VolunteerHoursCredential).
    #[arg(long = "type")]
    expected_type: Option<String>,
    /// Also accept credential types vpass does not define (third-party tokens from a
    /// trusted key).
    #[arg(long)]
    allow_other_types: bool,
    /// Language of the verdict: kk, ru or en (default from VPASS_LANG / LANG).
    #[arg(long)]
    lang: Option<String>,
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let input = match (&args.text, &args.image, &args.stdin) {
        (Some(t), None, None) => t.clone(),
        (None, None, Some(_)) => crate::read_untrusted_stdin(MAX_TOKEN)?,
        (None, Some(path), None) => {
            // One code or nothing: an image with several codes is refused, never guessed
            // from (attack catalogue A7), and so is an unreadable one (A8).
            match vpass_verifier::scan::decode_one(&crate::qr::read_image(path)?) {
                Ok(text) => text,
                Err(e) => {
                    let lang = match &args.lang {
                        Some(l) => Lang::parse(l)
                            .with_context(|| format!("--lang {l}: use kk, ru or en"))?,
                        None => Lang::from_env(),
                    };
                    let finding = e.finding(lang);
                    if args.json {
                        let verdict = serde_json::json!({
                            "valid": false,
                            "errors": [finding],
                            "warnings": [],
                        });
                        println!("{}", serde_json::to_string_pretty(&verdict)?);
                    } else {
                        use vpass_verifier::i18n::{text, Text};
                        println!("✘ {}", text(Text::NotValid, lang));
                        println!("{}:", text(Text::Reasons, lang));
                        println!("  - {} [{}]", finding.message, finding.code);
                    }
                    return Ok(ExitCode::from(1));
                }
            }
        }
        _ => bail!("give the credential with --text TEXT, --image FILE or - (standard input)"),
    };
    let now = crate::now_or(args.at.as_deref())?;
    let mut store = match &args.trust_store {
        Some(dir) => TrustStore::open(dir, now)
            .with_context(|| format!("--trust-store {}", dir.display()))?,
        None => TrustStore::default(),
    };
    for k in &args.issuer_key {
        store.add_key(TrustStore::parse_key_arg(k).with_context(|| format!("--issuer-key {k}"))?);
    }
    if store.is_empty() {
        bail!("nothing is trusted: give --issuer-key KEY or --trust-store DIR");
    }
    let mut policy = Policy::at(now);
    policy.aud = args.aud.clone();
    policy.nonce = args.nonce.clone();
    policy.require_key_binding = args.require_holder_binding;
    policy.expected_type = args.expected_type.clone();
    policy.allow_other_types = args.allow_other_types;
    let lang = match &args.lang {
        Some(l) => Lang::parse(l).with_context(|| format!("--lang {l}: use kk, ru or en"))?,
        None => Lang::from_env(),
    };
    let verdict = vpass_verifier::verify(&input, &store, &policy).localized(lang);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&verdict)?);
    } else {
        print!("{}", verdict.render_text(lang));
    }
    Ok(if verdict.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
