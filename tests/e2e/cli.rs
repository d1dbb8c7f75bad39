//! The `vpass` binary as a user meets it.

use crate::util::{issue_bound_hours, repo_root, stdout, vpass, TempDir};

#[test]
fn keys_generate_writes_private_jwk_0600_and_prints_did_key() {
    let dir = TempDir::new("keys");
    let out = vpass(&dir.0, &["keys", "generate", "--out", "office.jwk"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let did = stdout(&out);
    assert!(did.starts_with("did:key:z6Mk"), "{did}");
    let path = dir.0.join("office.jwk");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let jwk: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(jwk["kty"], "OKP");
    assert!(jwk["d"].is_string());
    // never overwrites
    let again = vpass(&dir.0, &["keys", "generate", "--out", "office.jwk"], None);
    assert!(!again.status.success());
    let p256 = vpass(
        &dir.0,
        &["keys", "generate", "--out", "h.jwk", "--alg", "ES256"],
        None,
    );
    assert!(stdout(&p256).starts_with("did:key:zDn"));
}

/// Keys, an hours credential bound to a holder, in a temp dir.
struct Story {
    dir: TempDir,
    office_did: String,
}

impl Story {
    fn new(name: &str) -> Story {
        let dir = TempDir::new(name);
        let office_did = issue_bound_hours(&dir.0);
        Story { dir, office_did }
    }

    fn present(&self, extra: &[&str]) -> String {
        let mut args = vec![
            "present",
            "--token",
            "hours.sdjwt",
            "--at",
            "2026-11-22T10:00:00Z",
        ];
        args.extend_from_slice(extra);
        let out = vpass(&self.dir.0, &args, None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout(&out)
    }

    fn verify(&self, input: &str, extra: &[&str]) -> (bool, serde_json::Value) {
        self.verify_at("2026-11-22T10:01:00Z", input, extra)
    }

    fn verify_at(&self, at: &str, input: &str, extra: &[&str]) -> (bool, serde_json::Value) {
        let mut args = vec![
            "verify",
            "--issuer-key",
            &self.office_did,
            "--at",
            at,
            "--json",
        ];
        args.extend_from_slice(extra);
        args.push("-");
        let out = vpass(&self.dir.0, &args, Some(input));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(out.status.success(), json["valid"] == true);
        (out.status.success(), json)
    }
}

fn first_code(v: &serde_json::Value) -> &str {
    v["errors"][0]["code"].as_str().unwrap_or("")
}

#[test]
fn issue_present_verify_with_holder_binding() {
    let s = Story::new("story");
    let p = s.present(&[
        "--holder-key",
        "holder.jwk",
        "--aud",
        "https://hr.example.kz",
        "--nonce",
        "n-1",
        "--text",
    ]);
    assert!(p.starts_with("VP1:"), "{p}");
    let (ok, v) = s.verify(&p, &["--aud", "https://hr.example.kz", "--nonce", "n-1"]);
    assert!(ok, "{v}");
    assert_eq!(v["holder_bound"], true);
    assert_eq!(v["claims"]["credentialSubject"]["hours"], 48);
    assert_eq!(
        v["claims"]["credentialSubject"]["name"],
        "Айгерим Нурланова"
    );
    assert!(
        v["claims"]["credentialSubject"].get("iin").is_none(),
        "iin must stay hidden"
    );
    assert!(v["types"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "VolunteerHoursCredential"));
}

#[test]
fn disclose_region_on_request() {
    let s = Story::new("disclose");
    let p = s.present(&["--disclose", "region", "--text"]);
    let (ok, v) = s.verify(&p, &[]);
    assert!(ok, "{v}");
    assert_eq!(v["claims"]["credentialSubject"]["region"], "KZ-AST");
    assert_eq!(v["disclosed"][0], "credentialSubject.region");
    let codes: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect();
    assert!(codes.contains(&"NOT_HOLDER_BOUND"), "{codes:?}");
}

#[test]
fn reject_presentation_for_another_verifier_and_replayed_nonce() {
    let s = Story::new("aud");
    let p = s.present(&[
        "--holder-key",
        "holder.jwk",
        "--aud",
        "https://hr.example.kz",
        "--nonce",
        "n-1",
        "--raw",
    ]);
    let (ok, v) = s.verify(&p, &["--aud", "https://uni.example.kz"]);
    assert!(!ok);
    assert_eq!(first_code(&v), "KB_AUD_MISMATCH");
    let (ok, v) = s.verify(&p, &["--aud", "https://hr.example.kz", "--nonce", "n-2"]);
    assert!(!ok);
    assert_eq!(first_code(&v), "KB_NONCE_MISMATCH");
}

#[test]
fn reject_unknown_issuer_expired_and_tampered() {
    let s = Story::new("reject");
    let p = s.present(&["--raw"]);
    // another office's key
    let other = vpass(&s.dir.0, &["keys", "generate", "--out", "other.jwk"], None);
    let out = vpass(
        &s.dir.0,
        &[
            "verify",
            "--issuer-key",
            &stdout(&other),
            "--at",
            "2026-11-22T10:00:00Z",
            "--json",
            "-",
        ],
        Some(&p),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(first_code(&v), "SIGNATURE_INVALID");
    // expired: validUntil is 2031-06-01
    let (ok, v) = s.verify_at("2031-06-02T00:00:00Z", &p, &[]);
    assert!(!ok);
    assert_eq!(first_code(&v), "EXPIRED");
    // hours changed in the payload
    let (jws, rest) = p.split_once('~').unwrap();
    let parts: Vec<&str> = jws.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = String::from_utf8(b64.decode(parts[1]).unwrap()).unwrap();
    let forged = payload.replace("\"hours\":48", "\"hours\":480");
    assert_ne!(forged, payload);
    let forged = format!("{}.{}.{}~{rest}", parts[0], b64.encode(forged), parts[2]);
    let (ok, v) = s.verify(&forged, &[]);
    assert!(!ok);
    assert_eq!(first_code(&v), "SIGNATURE_INVALID");
}

#[test]
fn verdict_speaks_kazakh_russian_english() {
    let s = Story::new("lang");
    let p = s.present(&["--text"]);
    for (lang, word) in [("kk", "ЖАРАМДЫ"), ("ru", "ДЕЙСТВИТЕЛЕН"), ("en", "VALID")]
    {
        let out = vpass(
            &s.dir.0,
            &[
                "verify",
                "--issuer-key",
                &s.office_did,
                "--at",
                "2026-11-22T10:00:00Z",
                "--lang",
                lang,
                "--text",
                &p,
            ],
            None,
        );
        assert!(out.status.success());
        assert!(stdout(&out).contains(word), "{lang}: {}", stdout(&out));
    }
    let out = vpass(
        &s.dir.0,
        &[
            "verify",
            "--issuer-key",
            &s.office_did,
            "--at",
            "2032-01-01T00:00:00Z",
            "--lang",
            "ru",
            "--text",
            &p,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("Срок действия документа истёк"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn reject_invalid_claims_file_with_field_and_reason() {
    let s = Story::new("badclaims");
    let mut json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("examples/hours.json")).unwrap(),
    )
    .unwrap();
    json["credentialSubject"]["hours"] = serde_json::json!(0);
    std::fs::write(s.dir.0.join("bad.json"), json.to_string()).unwrap();
    let out = vpass(
        &s.dir.0,
        &["issue", "--key", "office.jwk", "--claims", "bad.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("credentialSubject.hours"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn qr_encode_writes_png() {
    let s = Story::new("qr");
    let p = s.present(&["--out", "p.png"]);
    assert!(p.is_empty());
    let png = std::fs::read(s.dir.0.join("p.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let out = vpass(&s.dir.0, &["qr", "encode", "HELLO", "--out", "h.png"], None);
    assert!(out.status.success());
}

#[test]
fn p256_holder_key_binds_like_ed25519() {
    let dir = TempDir::new("p256");
    let office = stdout(&vpass(
        &dir.0,
        &["keys", "generate", "--out", "office.jwk"],
        None,
    ));
    let holder = vpass(
        &dir.0,
        &["keys", "generate", "--out", "h.jwk", "--alg", "ES256"],
        None,
    );
    assert!(stdout(&holder).starts_with("did:key:zDn"));
    let claims = repo_root().join("examples/skill.json");
    let issued = vpass(
        &dir.0,
        &[
            "issue",
            "--key",
            "office.jwk",
            "--claims",
            claims.to_str().unwrap(),
            "--holder",
            "h.jwk",
        ],
        None,
    );
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    std::fs::write(dir.0.join("skill.sdjwt"), stdout(&issued)).unwrap();
    let p = vpass(
        &dir.0,
        &[
            "present",
            "--token",
            "skill.sdjwt",
            "--holder-key",
            "h.jwk",
            "--aud",
            "u",
            "--nonce",
            "1",
            "--text",
        ],
        None,
    );
    assert!(p.status.success(), "{}", String::from_utf8_lossy(&p.stderr));
    let out = vpass(
        &dir.0,
        &[
            "verify",
            "--issuer-key",
            &office,
            "--aud",
            "u",
            "--nonce",
            "1",
            "--json",
            "-",
        ],
        Some(&stdout(&p)),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["holder_bound"], true);
    // The wrong holder key cannot present it.
    vpass(
        &dir.0,
        &["keys", "generate", "--out", "other.jwk", "--alg", "ES256"],
        None,
    );
    let p = vpass(
        &dir.0,
        &[
            "present",
            "--token",
            "skill.sdjwt",
            "--holder-key",
            "other.jwk",
            "--aud",
            "u",
            "--text",
        ],
        None,
    );
    assert!(!p.status.success());
    assert!(String::from_utf8_lossy(&p.stderr).contains("KB_KEY_INVALID"));
}
