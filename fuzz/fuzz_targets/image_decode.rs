//! Untrusted image bytes → `scan::decode_image`, and the same bytes as a grey camera frame
//! → `scan::decode_luma`. Must never panic, hang or allocate without bound: the size limits
//! apply before decoding, decoder panics are caught inside, and the cascade has a time
//! budget. libFuzzer's panic hook aborts on any panic, even one the scanner catches, so a
//! crash here also reports a panic inside rxing or the image decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpass_verifier::scan;

fuzz_target!(|data: &[u8]| {
    if let Ok(texts) = scan::decode_image(data) {
        assert!(!texts.is_empty());
    }
    // The first byte chooses a width; the rest is the frame (a partial last row is refused).
    if let Some((&w, frame)) = data.split_first() {
        let width = u32::from(w.max(1));
        let height = u32::try_from(frame.len()).unwrap_or(u32::MAX) / width;
        let _ = scan::decode_luma(width, height.max(1), frame);
    }
});
