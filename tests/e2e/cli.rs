//! The `vpass` binary as a user meets it.

use crate::util::{stdout, vpass, TempDir};

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
