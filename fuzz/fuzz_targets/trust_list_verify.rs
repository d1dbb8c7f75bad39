//! Untrusted trust-list text → `trust::verify_trust_list` against a fixed pinned root at a
//! fixed time. Must never panic, hang or allocate without bound. Whatever verifies is
//! refused again as a rollback once its own sequence has been accepted, and every key it
//! lists can be looked up by `kid` without panicking.
//!
//! Signatures are Ed25519, so mutated lists rarely pass the signature check: the seeds (lists
//! signed by the fixed root) and the structure checks after it are what this target explores
//! through the valid inputs it keeps, and the parsing before it through everything else.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vpass_credential::keys::{PublicKey, Signer, SigningKey};
use vpass_credential::time::UnixTime;
use vpass_credential::trust::verify_trust_list;
use vpass_credential::Code;

/// The seeds are signed at 1_780_000_000 (2026-05-28T20:26:40Z) with a week to `nextUpdate`.
const NOW: UnixTime = UnixTime(1_780_000_100);

fn root() -> &'static PublicKey {
    static ROOT: OnceLock<PublicKey> = OnceLock::new();
    ROOT.get_or_init(|| SigningKey::from_seed(&[1; 32]).public())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(list) = verify_trust_list(text, root(), NOW, None) else {
        return;
    };
    let again = verify_trust_list(text, root(), NOW, Some(list.sequence()));
    assert_eq!(
        again.map(|_| ()).map_err(|e| e.code()),
        Err(Code::TrustlistRollback)
    );
    for office in list.offices() {
        assert!(list.office(&office.id).is_some());
        for key in &office.keys {
            let _ = list.find_key(Some(&key.kid), &office.id, NOW);
        }
        let _ = list.find_key(None, &office.id, NOW);
    }
});
