#![allow(clippy::expect_used, clippy::unwrap_used)]
//! `cargo bench -p vpass-verifier`: what one verification of the standard presentation costs,
//! next to the Ed25519 signature checks it cannot avoid.
//!
//! The standard presentation is the standard hours credential, presented from QR text with
//! `iin` and `region` hidden and a key-binding JWT (see `vpass_verifier::sample`). Its floor is
//! two `verify_strict` calls (issuer signature, KB-JWT signature); the goal is that everything
//! else costs at most 25% on top. The summary printed after divan's table states the ratio.

use std::time::{Duration, Instant};

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use vpass_credential::keys::{Alg, PublicKey, Signer};
use vpass_credential::{envelope, sdjwt};
use vpass_verifier::sample::Sample;

fn main() {
    divan::main();
    summary();
}

fn sample() -> Sample {
    Sample::standard().expect("the standard sample builds")
}

fn issuer_signature(s: &Sample) -> (String, Vec<u8>) {
    let jws = s.issued.split('~').next().unwrap_or_default();
    let (input, sig) = jws.rsplit_once('.').unwrap_or_default();
    (
        input.to_owned(),
        vpass_credential::b64::decode(sig, "sig").unwrap_or_default(),
    )
}

#[divan::bench]
fn verify_qr_with_key_binding(b: Bencher) {
    let s = sample();
    b.counter(ItemsCount::new(1usize)).bench(|| {
        assert!(vpass_verifier::verify(black_box(&s.qr_text), &s.store, &s.policy).valid)
    });
}

#[divan::bench]
fn verify_qr_without_key_binding(b: Bencher) {
    let s = sample();
    b.counter(ItemsCount::new(1usize)).bench(|| {
        assert!(vpass_verifier::verify(black_box(&s.qr_text_no_kb), &s.store, &s.policy).valid)
    });
}

#[divan::bench]
fn verify_raw_sd_jwt_with_key_binding(b: Bencher) {
    let s = sample();
    b.counter(ItemsCount::new(1usize)).bench(|| {
        assert!(vpass_verifier::verify(black_box(&s.presentation), &s.store, &s.policy).valid)
    });
}

#[divan::bench]
fn envelope_decode(b: Bencher) {
    let s = sample();
    b.counter(ItemsCount::new(1usize))
        .bench(|| envelope::decode(black_box(&s.qr_text)));
}

#[divan::bench]
fn sd_jwt_core_verify(b: Bencher) {
    let s = sample();
    let mut opts = sdjwt::VerifyOptions::at(s.policy.now);
    opts.kb.aud = s.policy.aud.clone();
    opts.kb.nonce = s.policy.nonce.clone();
    let key = s.office.public();
    b.counter(ItemsCount::new(1usize))
        .bench(|| sdjwt::verify(black_box(&s.presentation), &key, &opts).is_ok());
}

#[divan::bench]
fn ed25519_verify_strict(b: Bencher) {
    let s = sample();
    let (input, sig) = issuer_signature(&s);
    let key = s.office.public();
    b.counter(ItemsCount::new(1usize)).bench(|| {
        key.verify(Alg::EdDSA, black_box(input.as_bytes()), &sig)
            .is_ok()
    });
}

#[divan::bench]
fn holder_key_from_jwk(b: Bencher) {
    let s = sample();
    let jwk = s.holder.public().to_jwk();
    b.counter(ItemsCount::new(1usize))
        .bench(|| PublicKey::from_jwk(black_box(&jwk)).is_ok());
}

/// Median ops/s of `f` over 7 runs of 0.3 s.
fn rate(f: &dyn Fn()) -> f64 {
    let mut rates: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            let mut n = 0u32;
            while start.elapsed() < Duration::from_millis(300) {
                f();
                n += 1;
            }
            f64::from(n) / start.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[3]
}

fn summary() {
    let s = sample();
    let (input, sig) = issuer_signature(&s);
    let key = s.office.public();
    let raw = rate(&|| {
        black_box(
            key.verify(Alg::EdDSA, black_box(input.as_bytes()), &sig)
                .is_ok(),
        );
    });
    let qr = rate(&|| {
        black_box(vpass_verifier::verify(black_box(&s.qr_text), &s.store, &s.policy).valid);
    });
    println!();
    println!(
        "standard presentation (QR text {} chars, SD-JWT+KB, iin and region hidden)",
        s.qr_text.len()
    );
    println!("  verifications per second, one core:      {qr:>9.0}");
    println!("  raw ed25519-dalek verify_strict per sec: {raw:>9.0}");
    println!(
        "  verification / two signature checks:     {:>8.0}% (goal: at most 125%)",
        100.0 * (2.0 / raw).recip() / qr
    );
}
