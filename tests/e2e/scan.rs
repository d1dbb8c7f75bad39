//! QR images through the binary: `vpass present --out` then `vpass verify --image`,
//! `vpass qr decode`, and an independent reader (zxing-cpp's Python package) reading the
//! PNGs that `vpass qr encode` and `vpass present --out` write.
//!
//! The zxing-cpp check needs `python3` with the `zxing-cpp` and `pillow` packages, which
//! `scripts/interop-setup.sh` installs; without them it says why on stderr and returns.

// A failed unwrap is a failed test; the workspace lints are for library code.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use crate::util::{issue_bound_hours, stdout, vpass, TempDir};

/// Keys, an issued hours credential bound to a holder, and its QR as PNG and as text.
struct Presented {
    dir: TempDir,
    office_did: String,
    qr_text: String,
}

fn present(name: &str) -> Presented {
    let dir = TempDir::new(name);
    let office_did = issue_bound_hours(&dir.0);
    let args = [
        "present",
        "--token",
        "hours.sdjwt",
        "--at",
        "2026-11-22T10:00:00Z",
        "--nonce",
        "n-1",
    ];
    let text = vpass(&dir.0, &[&args[..], &["--text"]].concat(), None);
    assert!(text.status.success());
    let png = vpass(&dir.0, &[&args[..], &["--out", "qr.png"]].concat(), None);
    assert!(
        png.status.success(),
        "{}",
        String::from_utf8_lossy(&png.stderr)
    );
    Presented {
        dir,
        office_did,
        qr_text: stdout(&text),
    }
}

#[test]
fn present_out_png_then_verify_image_is_valid() {
    let p = present("scan-verify");
    let out = vpass(
        &p.dir.0,
        &[
            "verify",
            "--issuer-key",
            &p.office_did,
            "--at",
            "2026-11-22T10:01:00Z",
            "--json",
            "--image",
            "qr.png",
        ],
        None,
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(json["valid"], true, "{json:#}");
    assert!(out.status.success());
}

#[test]
fn qr_decode_prints_the_text() {
    let p = present("scan-decode");
    let out = vpass(&p.dir.0, &["qr", "decode", "qr.png"], None);
    assert!(out.status.success());
    assert!(p.qr_text.starts_with("VP1:"));
    assert_eq!(stdout(&out), p.qr_text);
    // qr encode → qr decode gives back the text, byte-mode text included.
    for text in ["HELLO", "vpass: lower case, UTF-8 — Қазақстан"] {
        let enc = vpass(&p.dir.0, &["qr", "encode", text, "--out", "t.png"], None);
        assert!(enc.status.success());
        let dec = vpass(&p.dir.0, &["qr", "decode", "t.png"], None);
        assert!(dec.status.success());
        assert_eq!(stdout(&dec), text);
    }
}

#[test]
fn reject_non_image_in_verify_and_qr_decode() {
    let p = present("scan-not-image");
    std::fs::write(p.dir.0.join("note.png"), "not a picture").unwrap();
    let out = vpass(
        &p.dir.0,
        &[
            "verify",
            "--issuer-key",
            &p.office_did,
            "--json",
            "--image",
            "note.png",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["valid"], false);
    assert_eq!(json["errors"][0]["code"], "NOT_AN_IMAGE");
    let dec = vpass(&p.dir.0, &["qr", "decode", "note.png"], None);
    assert_eq!(dec.status.code(), Some(1));
    assert!(dec.stdout.is_empty());
    assert!(String::from_utf8_lossy(&dec.stderr).contains("NOT_AN_IMAGE"));
}

/// zxing-cpp (C++, through its Python package) reads each file; one text per line.
const ZXING_READ: &str = r#"
import sys
import zxingcpp
from PIL import Image
for path in sys.argv[1:]:
    codes = zxingcpp.read_barcodes(Image.open(path), formats=zxingcpp.BarcodeFormat.QRCode)
    if len(codes) != 1:
        sys.exit(f"{path}: {len(codes)} codes")
    print(codes[0].text)
"#;

/// Whether zxing-cpp can run; if not, [`crate::util::missing`] says why (and fails under CI).
fn zxing_available() -> bool {
    let probe = Command::new("python3")
        .args(["-c", "import zxingcpp, PIL"])
        .output();
    match probe {
        Ok(o) if o.status.success() => true,
        Ok(_) => {
            crate::util::missing(
                "the Python packages zxing-cpp and pillow",
                "scripts/interop-setup.sh installs them",
            );
            false
        }
        Err(_) => {
            crate::util::missing(
                "`python3` (for zxing-cpp)",
                "install Python 3 with pip (Debian: apt-get install python3-pip), then run \
                 scripts/interop-setup.sh",
            );
            false
        }
    }
}

#[test]
fn zxing_cpp_reads_the_pngs_vpass_writes() {
    if !zxing_available() {
        return;
    }
    let p = present("scan-zxing");
    let enc = vpass(
        &p.dir.0,
        &["qr", "encode", &p.qr_text, "--out", "encoded.png"],
        None,
    );
    assert!(enc.status.success());
    let out = Command::new("python3")
        .args(["-c", ZXING_READ, "qr.png", "encoded.png"])
        .current_dir(&p.dir.0)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zxing-cpp: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let texts: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(texts, vec![p.qr_text.clone(), p.qr_text.clone()]);
}
