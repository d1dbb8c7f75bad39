#![allow(clippy::expect_used, clippy::unwrap_used)]
//! `cargo bench -p vpass-verifier --bench scan`: reading the standard vpass QR from a photo.
//!
//! Two 1280×960 pictures from the test-set generator (`scripts/qr-testset/testset.rs`): the
//! code upright at 6 px/module on a cluttered desk (PNG), and the same rotated 17°, tilted,
//! blurred, noisy, at lower contrast under uneven light, JPEG quality 45. Each measurement is
//! the whole `scan::decode_image` (file decoding included) on one thread. After divan's table a
//! summary prints the median and 95th percentile of 60 runs each; the goal is a median under
//! 30 ms on one core.

#[path = "../../scripts/qr-testset/testset.rs"]
mod testset;

use std::time::{Duration, Instant};

use divan::{black_box, Bencher};
use vpass_verifier::scan;

fn main() {
    divan::main();
    summary();
}

fn photo(degraded: bool) -> (String, Vec<u8>) {
    let text = testset::vpass_qr_text();
    let bytes = testset::bench_photo(&text, degraded);
    (text, bytes)
}

#[divan::bench(args = ["clean", "degraded"])]
fn decode_photo_1280x960(b: Bencher, which: &str) {
    let (text, bytes) = photo(which == "degraded");
    b.bench(|| {
        let texts = scan::decode_image(black_box(&bytes)).unwrap();
        assert_eq!(texts[0], text);
    });
}

fn percentiles(bytes: &[u8]) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..60)
        .map(|_| {
            let t = Instant::now();
            black_box(scan::decode_image(black_box(bytes)).unwrap());
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[times.len() / 2], times[times.len() * 95 / 100])
}

fn summary() {
    println!();
    println!(
        "QR reading, standard vpass QR text, 1280×960 photo, one thread (goal: median < 30 ms)"
    );
    for (name, degraded) in [("clean", false), ("degraded", true)] {
        let (text, bytes) = photo(degraded);
        let gray = scan::load_gray(&bytes).unwrap();
        let outcome = scan::Cascade::standard().run(&gray);
        assert_eq!(outcome.texts, vec![text]);
        let (median, p95) = percentiles(&bytes);
        let pass = outcome
            .pass
            .map(|i| scan::Cascade::standard().passes[i].name())
            .unwrap_or_default();
        println!(
            "  {name:<9} {:>5} KB  median {:>6.1} ms  p95 {:>6.1} ms  (read by pass {pass})",
            bytes.len() / 1024,
            median.as_secs_f64() * 1000.0,
            p95.as_secs_f64() * 1000.0,
        );
    }
}
