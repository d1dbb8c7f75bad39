//! Untrusted image bytes → the scanner's file decoding and standard cascade, and the same
//! bytes as a grey camera frame. Must never panic, hang or allocate without bound: the size
//! limits apply before decoding and decoder panics are caught inside. libFuzzer's panic hook
//! aborts on any panic, even one the scanner catches, so a crash here also reports a panic
//! inside rxing or the image decoders. The cascade runs on this thread (no worker, no hard
//! deadline), so a slow input shows up as a slow unit instead of hiding behind
//! `SCAN_TIMEOUT`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpass_verifier::scan;

fuzz_target!(|data: &[u8]| {
    let cascade = scan::Cascade::standard();
    if let Ok(texts) = scan::decode_image_with(data, &cascade) {
        assert!(!texts.is_empty());
    }
    // The first byte chooses a width; the rest is the frame (a partial last row is refused).
    if let Some((&w, frame)) = data.split_first() {
        let width = u32::from(w.max(1));
        let height = u32::try_from(frame.len()).unwrap_or(u32::MAX) / width;
        let height = height.max(1);
        if frame.len() == (width * height) as usize {
            let gray = scan::Gray {
                w: width as usize,
                h: height as usize,
                px: frame.to_vec(),
            };
            let _ = scan::decode_gray_with(&gray, &cascade);
        }
    }
});
