//! The QR reading test set and decoder comparison (docs/qr-reading.md).
//!
//! ```sh
//! # the comparison table (release build; about a minute on one core)
//! CARGO_TARGET_DIR=... cargo run --release -p vpass-verifier --example qr-testset -- compare
//! # the images, to look at
//! cargo run --release -p vpass-verifier --example qr-testset -- write /tmp/qr-testset
//! ```
//!
//! Payloads: the standard vpass presentation's QR text (alphanumeric, base45), a version-10
//! alphanumeric text and a byte-mode text; every damage family at several strengths
//! (`testset.rs`), plus clean codes of every version 1–40 at every error-correction level.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]

#[path = "testset.rs"]
mod testset;

use std::collections::BTreeMap;
use std::time::Instant;

use testset::Case;
use vpass_verifier::scan::{self, Cascade, Engine, Pass, Prep};

fn payloads() -> Vec<(String, String)> {
    vec![
        ("vpass".into(), testset::vpass_qr_text()),
        ("v10".into(), testset::alnum_text(150, 10)),
        ("byte".into(), testset::byte_text(180, 11)),
    ]
}

fn cases(full: bool) -> Vec<Case> {
    let p = payloads();
    let refs: Vec<(&str, &str)> = p.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    testset::degraded_cases(&refs, full)
}

/// The candidates compared: single decoders, the standard cascade, and the cascade without
/// each of its passes (so each pass shows what it adds), plus passes that were tried and
/// left out.
fn candidates() -> Vec<(String, Cascade)> {
    use Engine::*;
    let std = Cascade::standard();
    let mut c = vec![
        (
            "rxing alone".to_owned(),
            Cascade::of(vec![Pass::new(&[], RxingHybrid)]),
        ),
        (
            "rqrr alone".to_owned(),
            Cascade::of(vec![Pass::new(&[], Rqrr)]),
        ),
        ("cascade".to_owned(), std.clone()),
    ];
    for (i, pass) in std.passes.iter().enumerate() {
        let mut without = std.clone();
        without.passes.remove(i);
        c.push((format!("cascade − {}", pass.name()), without));
    }
    let mut rescan = std.clone();
    rescan.extra_rounds = 3;
    c.push(("cascade + re-scan".to_owned(), rescan));
    for extra in [
        Pass::new(&[], Rqrr),
        Pass::new(&[Prep::Equalize], Rqrr),
        Pass::new(&[Prep::AdaptiveThreshold], RxingHybrid),
        Pass::new(&[Prep::Downscale2], RxingHybrid),
        Pass::new(&[Prep::Downscale4], RxingHybrid),
        Pass::new(&[Prep::Equalize], RxingGlobal),
        Pass::new(&[Prep::Downscale2], RxingGlobal),
        Pass::new(&[Prep::Invert], RxingGlobal),
    ] {
        let mut with = std.clone();
        let name = format!("cascade + {}", extra.name());
        with.passes.push(extra);
        c.push((name, with));
    }
    c
}

fn ok(case: &Case, got: &Result<Vec<String>, scan::ScanError>) -> bool {
    match got {
        Ok(texts) => {
            let mut want = case.expected.clone();
            want.sort();
            let mut texts = texts.clone();
            texts.sort();
            texts == want
        }
        Err(e) => case.expected.is_empty() && e.code() == "NO_CODE_FOUND",
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn compare(full: bool) {
    let cases = cases(full);
    let cands = candidates();
    let clean = testset::clean_cases(&(1..=40).collect::<Vec<i16>>());
    eprintln!(
        "{} degraded cases, {} clean cases, {} candidates",
        cases.len(),
        clean.len(),
        cands.len()
    );
    // family → candidate → (ok, n, times)
    let mut table: BTreeMap<(usize, &str), Vec<(usize, usize, Vec<f64>)>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let all = clean.iter().chain(cases.iter());
    for case in all {
        if !order.contains(&case.family) {
            order.push(case.family);
        }
        let key = (
            order.iter().position(|f| *f == case.family).unwrap(),
            case.family,
        );
        let row = table
            .entry(key)
            .or_insert_with(|| vec![(0, 0, Vec::new()); cands.len()]);
        let gray = scan::load_gray(&case.bytes).expect("generated images load");
        for (ci, (name, cascade)) in cands.iter().enumerate() {
            let t = Instant::now();
            let got = scan::decode_gray_with(&gray, cascade);
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let good = ok(case, &got);
            row[ci].0 += usize::from(good);
            row[ci].1 += 1;
            row[ci].2.push(ms);
            if !good && (ci <= 2) {
                failures.entry(name.clone()).or_default().push(case.name());
            }
        }
    }
    print!("| case (images) |");
    for (name, _) in &cands {
        print!(" {name} |");
    }
    println!();
    print!("|---|");
    for _ in &cands {
        print!("---|");
    }
    println!();
    let mut totals = vec![(0usize, 0usize, Vec::new()); cands.len()];
    for ((_, family), row) in &table {
        print!("| {family} ({}) |", row[0].1);
        for (ci, (k, n, times)) in row.iter().enumerate() {
            print!(" {k}/{n} {:.1} ms |", median(times.clone()));
            if *family != "clean" {
                totals[ci].0 += k;
                totals[ci].1 += n;
                totals[ci].2.extend(times.iter().copied());
            }
        }
        println!();
    }
    print!("| **all damaged** |");
    for (k, n, times) in &totals {
        print!(" **{k}/{n}** {:.1} ms |", median(times.clone()));
    }
    println!();
    println!();
    for (name, f) in &failures {
        println!("{name} fails: {}", f.join(", "));
    }
}

fn write(dir: &str, full: bool) {
    std::fs::create_dir_all(dir).unwrap();
    for case in cases(full) {
        let path = format!("{dir}/{}.{}", case.name(), case.ext);
        std::fs::write(&path, &case.bytes).unwrap();
    }
    for case in testset::clean_cases(&[1, 10, 20, 40]) {
        let path = format!("{dir}/{}-{}.{}", case.name(), case.payload, case.ext);
        std::fs::write(&path, &case.bytes).unwrap();
    }
    std::fs::write(
        format!("{dir}/bench-clean.png"),
        testset::bench_photo(&payloads()[0].1, false),
    )
    .unwrap();
    std::fs::write(
        format!("{dir}/bench-degraded.jpg"),
        testset::bench_photo(&payloads()[0].1, true),
    )
    .unwrap();
    eprintln!("wrote {dir}");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = !args.iter().any(|a| a == "--quick");
    match args.first().map(String::as_str) {
        Some("compare") => compare(full),
        Some("decode") => {
            // Each candidate on each file: which pass read what, and how long it took.
            for path in &args[1..] {
                let bytes = std::fs::read(path).unwrap();
                let gray = scan::load_gray(&bytes).unwrap();
                for (name, c) in candidates() {
                    let t = Instant::now();
                    let out = c.run(&gray);
                    let texts: Vec<&str> =
                        out.texts.iter().map(|t| &t[..t.len().min(16)]).collect();
                    println!(
                        "{path}: {name}: pass {:?} in {:.1} ms, {texts:?}",
                        out.pass,
                        t.elapsed().as_secs_f64() * 1000.0
                    );
                }
            }
        }
        Some("write") => write(args.get(1).map_or("qr-testset", String::as_str), full),
        _ => eprintln!("usage: qr-testset (compare | write DIR | decode FILE...) [--quick]"),
    }
}
