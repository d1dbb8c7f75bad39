//! Untrusted QR text → `envelope::decode`. Must never panic, hang or allocate without bound;
//! whatever decodes must encode again to text that decodes to the same token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpass_credential::envelope;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for candidate in [text.to_owned(), format!("{}{text}", envelope::PREFIX)] {
        if let Ok(token) = envelope::decode(&candidate) {
            // A decoded token may still be refused by `encode` (e.g. too large for one QR
            // code once rebuilt); when it is accepted, the round trip must hold.
            if let Ok(again) = envelope::encode(&token) {
                assert_eq!(envelope::decode(&again).as_ref(), Ok(&token));
            }
        }
    }
});
