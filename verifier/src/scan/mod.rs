#![cfg(feature = "scan")]
//! QR reading from photos, scans, screenshots and camera frames.
//!
//! HR and admissions offices meet a volunteer's QR code as a phone photo of a screen, a
//! laptop-camera frame, a scan of a printed card or a forwarded screenshot. This module turns
//! any of them into the QR's exact text, which then goes to [`crate::verify`]:
//!
//! 1. **Load** ([`decode_image`]): PNG, JPEG or WebP, recognised by content. The byte size is
//!    checked first ([`MAX_IMAGE_BYTES`]); the header's width and height are checked
//!    against [`MAX_SIDE`] and [`MAX_PIXELS`] *before* any pixel is decoded, and the
//!    decoder runs under `image::Limits`, so a decompression bomb (a tiny PNG declaring
//!    100000×100000) is refused at once with bounded memory. Colour is reduced to grey.
//! 2. **Decode** with a cascade of passes ([`Cascade::standard`]): rxing on a large photo
//!    brought down to 2.5 megapixels, on the image as it is, then on pre-processed copies
//!    (histogram-equalised, one global threshold, inverted for light-on-dark screens,
//!    smoothed, sharpened, doubled). The first pass that finds any code ends the search;
//!    with several codes in view, rxing's multi-code reader returns them all. Every pass
//!    runs under `std::panic::catch_unwind` (QR decoders have had panics on hostile input),
//!    only the QR format is enabled, no pass starts after the time budget
//!    ([`Cascade::budget`]), and the caller gets `SCAN_TIMEOUT` at the hard [`DEADLINE`].
//! 3. **Report** every distinct text found. Several codes are all returned; [`decode_one`]
//!    (used by `vpass verify --image`) refuses to choose among them (`MULTIPLE_CODES`,
//!    attack catalogue A7) and never returns a partial or guessed text (A8).
//!
//! Why these crates (measured on this machine; figures in docs/qr-reading.md):
//! - `rxing` (a Rust port of ZXing with the zxing-cpp QR detector) reads by far the most
//!   degraded images and in a few milliseconds; built with `default-features = false` and
//!   only the QR reader, which keeps it free of `imageproc` and most image formats.
//! - `rqrr` (a port of quirc) was measured as a fallback: 5–30× slower, and it added no read
//!   to the cascade, so it is only built with the `rqrr` feature, for the comparison.
//! - `image` (png, jpeg, webp only) decodes files with enforceable limits. The
//!   pre-processing steps are a few lines each ([`prep`]), so no image-processing crate.
//!
//! ```
//! let err = vpass_verifier::scan::decode_image(b"not an image").unwrap_err();
//! assert_eq!(err.code(), "NOT_AN_IMAGE");
//! ```

mod cascade;
mod load;
pub mod prep;

pub use cascade::{Cascade, Engine, Outcome, Pass};
pub use load::{load_gray, MAX_ALLOC, MAX_IMAGE_BYTES, MAX_PIXELS, MAX_SIDE};
pub use prep::{Gray, Prep};

use std::sync::{mpsc, Arc};
use std::time::Duration;

use crate::i18n::Lang;
use crate::Finding;

/// Why no text came out of an image. Each has a stable code ([`ScanError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// Not a PNG, JPEG or WebP file, or a corrupt one.
    #[error("NOT_AN_IMAGE: {reason}")]
    NotAnImage {
        /// What was wrong, for engineers.
        reason: &'static str,
    },
    /// Over a size limit (checked before decoding the pixels).
    #[error("IMAGE_TOO_LARGE: {what} over the limit of {limit}")]
    ImageTooLarge {
        /// Which quantity: `bytes`, `width`, `height`, `width or height`, `pixels` or
        /// `decoded bytes`.
        what: &'static str,
        /// Its value (0 when the image decoder refused it without saying).
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// No QR code was found.
    #[error("NO_CODE_FOUND")]
    NoCodeFound,
    /// A QR code was located but its error correction could not repair it.
    #[error("UNREADABLE_CODE")]
    UnreadableCode,
    /// The image holds several different codes and one was required.
    #[error("MULTIPLE_CODES: {count} different codes")]
    MultipleCodes {
        /// How many distinct texts were read.
        count: usize,
    },
    /// Reading gave up at the hard deadline ([`DEADLINE`]): a decoder took too long on this
    /// image (hostile or pathological content).
    #[error("SCAN_TIMEOUT: gave up after {after_ms} ms")]
    TimedOut {
        /// The deadline, in milliseconds.
        after_ms: u64,
    },
}

impl ScanError {
    /// The stable code: `NOT_AN_IMAGE`, `IMAGE_TOO_LARGE`, `NO_CODE_FOUND`,
    /// `UNREADABLE_CODE`, `MULTIPLE_CODES` or `SCAN_TIMEOUT`.
    pub fn code(&self) -> &'static str {
        match self {
            ScanError::NotAnImage { .. } => "NOT_AN_IMAGE",
            ScanError::ImageTooLarge { .. } => "IMAGE_TOO_LARGE",
            ScanError::NoCodeFound => "NO_CODE_FOUND",
            ScanError::UnreadableCode => "UNREADABLE_CODE",
            ScanError::MultipleCodes { .. } => "MULTIPLE_CODES",
            ScanError::TimedOut { .. } => "SCAN_TIMEOUT",
        }
    }

    /// A message for the person at the desk.
    pub fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ScanError::NotAnImage { .. }, Lang::En) => {
                "The file is not a PNG, JPEG or WebP image, or it is damaged."
            }
            (ScanError::NotAnImage { .. }, Lang::Ru) => {
                "Файл не является изображением PNG, JPEG или WebP либо повреждён."
            }
            (ScanError::NotAnImage { .. }, Lang::Kk) => {
                "Файл PNG, JPEG не WebP суреті емес немесе бүлінген."
            }
            (ScanError::ImageTooLarge { .. }, Lang::En) => {
                "The image is too large; send a smaller photo or scan."
            }
            (ScanError::ImageTooLarge { .. }, Lang::Ru) => {
                "Изображение слишком большое; пришлите фото или скан меньшего размера."
            }
            (ScanError::ImageTooLarge { .. }, Lang::Kk) => {
                "Сурет тым үлкен; кішірек фото немесе скан жіберіңіз."
            }
            (ScanError::NoCodeFound, Lang::En) => {
                "No QR code was found in the image. Take a sharper, closer photo."
            }
            (ScanError::NoCodeFound, Lang::Ru) => {
                "На изображении не найден QR-код. Сделайте более чёткое фото крупнее."
            }
            (ScanError::NoCodeFound, Lang::Kk) => {
                "Суретте QR-код табылмады. Анығырақ, жақынырақ түсіріңіз."
            }
            (ScanError::UnreadableCode, Lang::En) => {
                "A QR code was found but it is too damaged to read. Take a sharper photo."
            }
            (ScanError::UnreadableCode, Lang::Ru) => {
                "QR-код найден, но слишком повреждён для чтения. Сделайте более чёткое фото."
            }
            (ScanError::UnreadableCode, Lang::Kk) => {
                "QR-код табылды, бірақ оқуға тым бүлінген. Анығырақ түсіріңіз."
            }
            (ScanError::MultipleCodes { .. }, Lang::En) => {
                "The image holds more than one QR code; show one code at a time."
            }
            (ScanError::MultipleCodes { .. }, Lang::Ru) => {
                "На изображении больше одного QR-кода; покажите по одному коду."
            }
            (ScanError::MultipleCodes { .. }, Lang::Kk) => {
                "Суретте бірнеше QR-код бар; бір уақытта бір кодты көрсетіңіз."
            }
            (ScanError::TimedOut { .. }, Lang::En) => {
                "Reading this image took too long. Take a photo that shows only the QR code."
            }
            (ScanError::TimedOut { .. }, Lang::Ru) => {
                "Чтение изображения заняло слишком много времени. Сфотографируйте только QR-код."
            }
            (ScanError::TimedOut { .. }, Lang::Kk) => {
                "Суретті оқу тым ұзаққа созылды. Тек QR-кодты түсіріңіз."
            }
        }
    }

    /// The error as a verdict finding (category `image`), for `--json` output.
    pub fn finding(&self, lang: Lang) -> Finding {
        let detail = self.to_string();
        let detail = detail
            .strip_prefix(self.code())
            .map(|d| d.trim_start_matches(':').trim())
            .unwrap_or(&detail);
        Finding {
            code: self.code(),
            category: "image",
            message: self.message(lang).to_owned(),
            detail: (!detail.is_empty()).then(|| detail.to_owned()),
            code_value: None,
        }
    }
}

/// The hard deadline of [`decode_image`], [`decode_luma`] and [`decode_one`]: the standard
/// cascade's budget plus time for the pass running when it ran out. A decoder call cannot be
/// interrupted, so past the deadline the caller gets `SCAN_TIMEOUT` and the worker thread is
/// left to finish on its own (it starts no further pass).
pub const DEADLINE: Duration = Duration::from_millis(3000);

/// Every distinct QR text in a PNG, JPEG or WebP image, with the standard cascade.
///
/// Never panics; memory is bounded by the limits in [`load_gray`]; the answer comes within
/// [`DEADLINE`] (after the file is decoded, which the limits bound).
pub fn decode_image(bytes: &[u8]) -> Result<Vec<String>, ScanError> {
    decode_gray_within(load_gray(bytes)?, Cascade::standard(), DEADLINE)
}

/// [`decode_image`] with a chosen cascade, run on this thread with no hard deadline (only
/// the cascade's budget between passes): for measurements and tests.
pub fn decode_image_with(bytes: &[u8], cascade: &Cascade) -> Result<Vec<String>, ScanError> {
    decode_gray_with(&load_gray(bytes)?, cascade)
}

/// Every distinct QR text in a grey camera frame (`width * height` bytes, row-major,
/// 0 = black), e.g. the Y plane of a YUV frame. Same limits and deadline as
/// [`decode_image`].
pub fn decode_luma(width: u32, height: u32, pixels: &[u8]) -> Result<Vec<String>, ScanError> {
    let (w, h) = (u64::from(width), u64::from(height));
    load::check_dimensions(width, height)?;
    if pixels.len() as u64 != w * h {
        return Err(ScanError::NotAnImage {
            reason: "the frame's length is not width × height",
        });
    }
    let gray = Gray {
        w: width as usize,
        h: height as usize,
        px: pixels.to_vec(),
    };
    decode_gray_within(gray, Cascade::standard(), DEADLINE)
}

/// Run `cascade` over `gray` on a worker thread and wait for it at most `deadline`
/// (`SCAN_TIMEOUT` after that; the worker finishes its current pass on its own).
pub fn decode_gray_within(
    gray: Gray,
    cascade: Cascade,
    deadline: Duration,
) -> Result<Vec<String>, ScanError> {
    let gray = Arc::new(gray);
    let (tx, rx) = mpsc::sync_channel(1);
    let worker_gray = Arc::clone(&gray);
    let worker_cascade = cascade.clone();
    let spawned = std::thread::Builder::new()
        .name("vpass-scan".into())
        .spawn(move || {
            // The receiver may be gone (deadline passed): nothing to do then.
            let _ = tx.send(decode_gray_with(&worker_gray, &worker_cascade));
        });
    if spawned.is_err() {
        // No thread to be had: read on this thread, bounded by the budget between passes.
        return decode_gray_with(&gray, &cascade);
    }
    rx.recv_timeout(deadline)
        .unwrap_or(Err(ScanError::TimedOut {
            after_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
        }))
}

/// Every distinct QR text in a grey image, with a chosen cascade.
pub fn decode_gray_with(gray: &Gray, cascade: &Cascade) -> Result<Vec<String>, ScanError> {
    let outcome = cascade.run(gray);
    if !outcome.texts.is_empty() {
        Ok(outcome.texts)
    } else if outcome.damaged {
        Err(ScanError::UnreadableCode)
    } else {
        Err(ScanError::NoCodeFound)
    }
}

/// The one QR text in an image: `MULTIPLE_CODES` when it holds several different codes.
pub fn decode_one(bytes: &[u8]) -> Result<String, ScanError> {
    let mut texts = decode_image(bytes)?;
    match texts.len() {
        1 => texts.pop().ok_or(ScanError::NoCodeFound),
        0 => Err(ScanError::NoCodeFound),
        count => Err(ScanError::MultipleCodes { count }),
    }
}
