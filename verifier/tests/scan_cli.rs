//! `vpass verify --image` and `vpass qr decode` on generated pictures with two codes and
//! with none: `verify` refuses to choose (`MULTIPLE_CODES`, attack catalogue A7) or says
//! nothing was found (`NO_CODE_FOUND`), as a verdict-like JSON with `--json` and a plain
//! message otherwise, exit 1; `qr decode` prints every code, one per line.
//!
//! The images come from the test-set generator (`scripts/qr-testset/testset.rs`), which needs
//! this package's image crates, so these binary-level tests live here rather than in
//! `tests/e2e`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../scripts/qr-testset/testset.rs"]
mod testset;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use testset::{Placement, Scene, Symbol};

/// The `vpass` binary of this build (built once if `cargo test` did not build it).
fn vpass_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/scan_cli-<hash> → target/<profile>/vpass
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().and_then(Path::parent).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "--quiet", "-p", "vpass-cli", "--bin", "vpass"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        assert!(build.current_dir(root).status().unwrap().success());
        profile_dir.join(format!("vpass{}", std::env::consts::EXE_SUFFIX))
    })
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(vpass_bin())
        .args(args)
        .current_dir(dir)
        .env("VPASS_LANG", "en")
        .output()
        .unwrap()
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("vpass-scan-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const OFFICE: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

fn verify_json(dir: &Path, image: &str) -> (Option<i32>, serde_json::Value) {
    let out = run(
        dir,
        &["verify", "--issuer-key", OFFICE, "--json", "--image", image],
    );
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

#[test]
fn verify_image_refuses_two_codes_and_qr_decode_prints_both() {
    let dir = Dir::new("two");
    let (a, b) = ("VP1:FIRST-CODE", "VP1:SECOND-CODE");
    let scene = Scene::new(
        520,
        260,
        vec![
            Placement::new(&Symbol::new(a, qrcode::EcLevel::M), 130.0, 130.0, 5.0),
            Placement::new(&Symbol::new(b, qrcode::EcLevel::M), 390.0, 130.0, 5.0),
        ],
    );
    std::fs::write(dir.0.join("two.png"), scene.encode().0).unwrap();

    let (code, json) = verify_json(&dir.0, "two.png");
    assert_eq!(code, Some(1));
    assert_eq!(json["valid"], false);
    assert_eq!(json["errors"][0]["code"], "MULTIPLE_CODES");
    assert_eq!(json["errors"][0]["category"], "image");

    let plain = run(
        &dir.0,
        &["verify", "--issuer-key", OFFICE, "--image", "two.png"],
    );
    assert_eq!(plain.status.code(), Some(1));
    let text = String::from_utf8_lossy(&plain.stdout);
    assert!(text.contains("more than one QR code"), "{text}");
    assert!(text.contains("[MULTIPLE_CODES]"), "{text}");

    let dec = run(&dir.0, &["qr", "decode", "two.png"]);
    assert!(dec.status.success());
    let mut lines: Vec<&str> = std::str::from_utf8(&dec.stdout).unwrap().lines().collect();
    lines.sort();
    assert_eq!(lines, vec![a, b]);
}

#[test]
fn verify_image_reports_no_code_found() {
    let dir = Dir::new("none");
    let mut scene = Scene::new(400, 300, vec![]);
    scene.clutter = true;
    std::fs::write(dir.0.join("desk.png"), scene.encode().0).unwrap();
    let (code, json) = verify_json(&dir.0, "desk.png");
    assert_eq!(code, Some(1));
    assert_eq!(json["valid"], false);
    assert_eq!(json["errors"][0]["code"], "NO_CODE_FOUND");
    let dec = run(&dir.0, &["qr", "decode", "desk.png"]);
    assert_eq!(dec.status.code(), Some(1));
    assert!(dec.stdout.is_empty());
    assert!(String::from_utf8_lossy(&dec.stderr).contains("NO_CODE_FOUND"));
}
