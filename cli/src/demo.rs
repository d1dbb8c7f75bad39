//! `vpass demo`: the whole offline story in one run, each step printed.
//!
//! An office key and a volunteer key are made, the standard hours credential is issued and
//! bound to the volunteer, the volunteer presents it to an HR office with the national ID and
//! region hidden, the QR code is drawn, and the HR office verifies it offline — then the same
//! QR with one changed hour, and the same presentation shown to another organisation, are
//! refused with their reasons.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{ensure, Context};
use clap::Args;
use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};
use vpass_credential::issue::Issuance;
use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::model::Credential;
use vpass_credential::sdjwt::{self, KbParams, OsSalts};
use vpass_credential::time::{Clock, SystemClock, UnixTime};
use vpass_credential::{b64, envelope};
use vpass_verifier::i18n::Lang;
use vpass_verifier::sample::STANDARD_HOURS;
use vpass_verifier::{Policy, TrustStore};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the demo's keys, credential and QR image.
    #[arg(long, default_value = "vpass-data/demo")]
    data_dir: PathBuf,
    /// Language of the verdicts: kk, ru or en.
    #[arg(long)]
    lang: Option<String>,
    /// Do not draw the QR code in the terminal.
    #[arg(long)]
    no_terminal_qr: bool,
}

fn step(n: u32, text: &str) {
    println!("\n── {n}. {text}");
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let lang = match &args.lang {
        Some(l) => Lang::parse(l).with_context(|| format!("--lang {l}: use kk, ru or en"))?,
        None => Lang::from_env(),
    };
    // Private (0700), parents included: the default is under `vpass-data`, the folder
    // `vpass serve` refuses to use when other users may read it.
    let mut folder = std::fs::DirBuilder::new();
    folder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
    folder
        .create(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let dir = &args.data_dir;

    step(1, "The Astana front-office and a volunteer each make a key");
    let office = SigningKey::generate_ed25519();
    let office_did = office.public().did_key();
    let office = office.with_kid(office_did.clone());
    let holder = SigningKey::generate_ed25519();
    crate::write_file(
        &dir.join("office.jwk"),
        office.to_private_jwk().to_string().as_bytes(),
        true,
    )?;
    crate::write_file(
        &dir.join("holder.jwk"),
        holder.to_private_jwk().to_string().as_bytes(),
        true,
    )?;
    println!("   office key:    {office_did}");
    println!("   volunteer key: {}", holder.public().did_key());

    step(
        2,
        "The office issues 48 volunteer hours to Айгерим, bound to her key",
    );
    let claims = vpass_credential::json::parse(STANDARD_HOURS.as_bytes(), "credential")?;
    let credential = Credential::from_json(&claims)?;
    let now = SystemClock.now();
    let issued_at = credential
        .valid_from()
        .max(UnixTime(now.0.min(credential.valid_until().0 - 1)));
    let issued = Issuance::new(&credential)
        .issued_at(issued_at)
        .holder(&holder.public())
        .sign(&office)?;
    crate::write_file(&dir.join("hours.sdjwt"), issued.as_bytes(), false)?;
    println!(
        "   SD-JWT VC, {} characters; national ID and region are selectively disclosable",
        issued.len()
    );

    step(
        3,
        "An HR office shows its identifier and a one-time nonce; she presents, hiding her ID",
    );
    let aud = "https://hr.example.kz";
    let mut nonce_bytes = [0u8; 12];
    rand_nonce(&mut nonce_bytes);
    let nonce = b64::encode(nonce_bytes);
    let at = UnixTime(issued_at.0.max(now.0));
    let kb = KbParams {
        key: &holder,
        aud,
        nonce: &nonce,
        iat: at,
    };
    let presentation = sdjwt::present_names(&issued, &[], Some(&kb))?;
    let qr_text = envelope::encode(&presentation)?;
    crate::write_file(&dir.join("presentation.txt"), qr_text.as_bytes(), false)?;
    let png = dir.join("presentation.png");
    let version = crate::qr::write_png(&qr_text, &png)?;
    println!(
        "   QR envelope: {} characters (raw SD-JWT+KB {}), QR version {version} at level M",
        qr_text.len(),
        presentation.len()
    );
    println!("   QR image written to {}", png.display());
    if !args.no_terminal_qr {
        let code = QrCode::with_error_correction_level(qr_text.as_bytes(), EcLevel::M)?;
        let art = code
            .render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build();
        println!("{art}");
    }

    step(
        4,
        "The HR office verifies offline, trusting only the office key",
    );
    let store = TrustStore::with_keys(vec![office.public()]);
    let mut policy = Policy::at(at);
    policy.aud = Some(aud.into());
    policy.nonce = Some(nonce.clone());
    policy.require_key_binding = true;
    let verdict = vpass_verifier::verify(&qr_text, &store, &policy).localized(lang);
    print!("{}", indent(&verdict.render_text(lang)));
    ensure!(verdict.valid, "the demo presentation should verify");

    step(5, "Someone edits the hours to 480 and re-encodes the QR");
    let forged = forge_hours(&presentation)?;
    let forged_qr = envelope::encode(&forged)?;
    let verdict = vpass_verifier::verify(&forged_qr, &store, &policy).localized(lang);
    print!("{}", indent(&verdict.render_text(lang)));
    ensure!(!verdict.valid, "a forged presentation must be refused");

    step(
        6,
        "The same QR is shown to a university instead of the HR office",
    );
    let mut other = policy.clone();
    other.aud = Some("https://university.example.kz".into());
    let verdict = vpass_verifier::verify(&qr_text, &store, &other).localized(lang);
    print!("{}", indent(&verdict.render_text(lang)));
    ensure!(
        !verdict.valid,
        "a presentation made for someone else must be refused"
    );

    println!(
        "\nDone. Files are in {}. Verify the QR text yourself:",
        dir.display()
    );
    println!(
        "  vpass verify --issuer-key {office_did} --aud {aud} --nonce {nonce} --at {} - < {}",
        at.to_rfc3339(),
        dir.join("presentation.txt").display()
    );
    Ok(ExitCode::SUCCESS)
}

fn rand_nonce(out: &mut [u8; 12]) {
    let salt = sdjwt::SaltSource::salt(&mut OsSalts);
    let bytes = b64::decode(&salt, "salt").unwrap_or_default();
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = b;
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}

/// Change `"hours":48` in the issuer-signed payload, keeping the signature: what a forger can do.
fn forge_hours(presentation: &str) -> anyhow::Result<String> {
    let (jws, rest) = presentation.split_once('~').context("not an SD-JWT")?;
    let mut parts = jws.split('.');
    let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
        anyhow::bail!("not a JWS");
    };
    let payload = String::from_utf8(b64::decode(p, "payload")?)?;
    let forged = payload.replace("\"hours\":48", "\"hours\":480");
    Ok(format!("{h}.{}.{s}~{rest}", b64::encode(forged)))
}
