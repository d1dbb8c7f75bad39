//! Untrusted compact JWS → `jose::parse`. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpass_credential::jose;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = jose::parse(text);
    }
});
