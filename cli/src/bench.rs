//! `vpass bench`: like `openssl speed`, so an office can size its hardware.
//!
//! Measures, on the standard hours credential (or `--claims`): signing (issuing an SD-JWT
//! VC), presenting (disclosure choice + key binding + QR envelope), and verifying from QR
//! text with and without key binding, on one core and on all cores; raw Ed25519
//! `verify_strict` for comparison; and the QR size of the standard presentation.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use clap::Args;
use serde_json::json;
use vpass_credential::issue::Issuance;
use vpass_credential::keys::{Alg, Signer};
use vpass_credential::sdjwt::{self, KbParams};
use vpass_credential::{envelope, model};
use vpass_verifier::sample::{Sample, AUD, NONCE};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The credential to measure with (default: the standard hours credential).
    #[arg(long)]
    claims: Option<PathBuf>,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Print figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Operations per second of `f`, run for `secs` on `threads` threads.
fn rate(secs: f64, threads: usize, f: &(dyn Fn() + Sync)) -> f64 {
    let budget = Duration::from_secs_f64(secs);
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let start = Instant::now();
                    let mut n = 0u64;
                    while start.elapsed() < budget {
                        for _ in 0..16 {
                            f();
                        }
                        n += 16;
                    }
                    (n, start.elapsed())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_or(0, |(n, t)| (n as f64 * secs / t.as_secs_f64()) as u64)
            })
            .sum()
    });
    total as f64 / secs
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    ensure!(
        args.seconds > 0.0 && args.seconds <= 60.0,
        "--seconds must be in (0, 60]"
    );
    let sample = match &args.claims {
        Some(path) => Sample::new(&crate::read_json(path)?),
        None => Sample::standard(),
    }
    .context("cannot build the sample presentation")?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let qr_version = crate::qr::version_for(&sample.qr_text)?;

    // Sanity: the sample must verify, or the figures mean nothing.
    let verdict = vpass_verifier::verify(&sample.qr_text, &sample.store, &sample.policy);
    ensure!(
        verdict.valid,
        "the sample presentation does not verify: {:?}",
        verdict.errors
    );

    let claims_json = vpass_credential::json::parse(
        model::Credential::from_json(&vpass_credential::json::parse(
            vpass_verifier::sample::STANDARD_HOURS.as_bytes(),
            "sample",
        )?)?
        .to_json()
        .to_string()
        .as_bytes(),
        "sample",
    )?;
    let cred = model::Credential::from_json(&claims_json)?;
    let holder_public = sample.holder.public();
    let sign = || {
        let _ = Issuance::new(&cred)
            .holder(&holder_public)
            .sign(&sample.office);
    };
    let present = || {
        let kb = KbParams {
            key: &sample.holder,
            aud: AUD,
            nonce: NONCE,
            iat: sample.policy.now,
        };
        if let Ok(p) = sdjwt::present_names(&sample.issued, &[], Some(&kb)) {
            let _ = envelope::encode(&p);
        }
    };
    let verify_kb = || {
        let v = vpass_verifier::verify(&sample.qr_text, &sample.store, &sample.policy);
        debug_assert!(v.valid);
    };
    let verify_no_kb = || {
        let v = vpass_verifier::verify(&sample.qr_text_no_kb, &sample.store, &sample.policy);
        debug_assert!(v.valid);
    };
    let (jws, _) = sample.issued.split_once('~').unwrap_or_default();
    let (input, sig) = jws.rsplit_once('.').unwrap_or_default();
    let sig = vpass_credential::b64::decode(sig, "signature")?;
    let office_public = sample.office.public();
    let raw = || {
        let _ = office_public.verify(Alg::EdDSA, input.as_bytes(), &sig);
    };

    let s = args.seconds;
    eprintln!("measuring for {s} s each on {cores} core(s)…");
    let figures = [
        (
            "sign (issue SD-JWT VC)",
            rate(s, 1, &sign),
            rate(s, cores, &sign),
        ),
        (
            "present (disclose + KB + QR)",
            rate(s, 1, &present),
            rate(s, cores, &present),
        ),
        (
            "verify QR, with key binding",
            rate(s, 1, &verify_kb),
            rate(s, cores, &verify_kb),
        ),
        (
            "verify QR, no key binding",
            rate(s, 1, &verify_no_kb),
            rate(s, cores, &verify_no_kb),
        ),
        (
            "raw Ed25519 verify_strict",
            rate(s, 1, &raw),
            rate(s, cores, &raw),
        ),
    ];
    let per_verify_floor = 2.0 / figures[4].1;
    let overhead = (1.0 / figures[2].1) / per_verify_floor - 1.0;
    if args.json {
        let rows: Vec<_> = figures
            .iter()
            .map(|(name, one, all)| json!({"operation": name, "per_second_one_core": one.round(), "per_second_all_cores": all.round()}))
            .collect();
        let out = json!({
            "cores": cores,
            "seconds": s,
            "figures": rows,
            "qr": {"version": qr_version, "level": "M", "characters": sample.qr_text.len(),
                    "raw_presentation_characters": sample.presentation.len()},
            "verify_overhead_over_two_signature_checks": overhead,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{:<32} {:>14} {:>14}",
            "operation",
            "1 core /s",
            format!("{cores} cores /s")
        );
        for (name, one, all) in figures {
            println!("{name:<32} {one:>14.0} {all:>14.0}");
        }
        println!(
            "QR of the standard presentation: version {qr_version} at level M, {} characters \
             ({} as a raw SD-JWT+KB)",
            sample.qr_text.len(),
            sample.presentation.len()
        );
        println!(
            "verification costs {:.0}% more than its two Ed25519 signature checks",
            overhead * 100.0
        );
    }
    Ok(ExitCode::SUCCESS)
}
