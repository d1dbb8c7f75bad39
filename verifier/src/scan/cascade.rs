//! The decoding cascade: a list of passes (pre-processing + decoder), tried in order until
//! one finds a code, each under `catch_unwind`, all under a time budget.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::qrcode::QRCodeReader;
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Exceptions, Luma8Source, Reader};

use super::prep::{Gray, Prep};

/// A QR decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Engine {
    /// rxing (a Rust port of ZXing and zxing-cpp) with its local "hybrid" binarizer: the
    /// zxing-cpp QR reader (all codes in the image), then the ZXing one if that found none.
    RxingHybrid,
    /// The same readers with a global-histogram binarizer (one threshold for the image).
    RxingGlobal,
    /// rqrr (a Rust port of quirc): its own binarizer and grid finder. Only with the `rqrr`
    /// feature: it added no read to the cascade on the test set (docs/qr-reading.md).
    #[cfg(feature = "rqrr")]
    Rqrr,
}

impl Engine {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Engine::RxingHybrid => "rxing",
            Engine::RxingGlobal => "rxing-global",
            #[cfg(feature = "rqrr")]
            Engine::Rqrr => "rqrr",
        }
    }
}

/// One try: pre-processing steps applied in order, then a decoder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pass {
    /// Steps applied to the grey image, in order.
    pub prep: Vec<Prep>,
    /// The decoder.
    pub engine: Engine,
}

impl Pass {
    /// A pass.
    pub fn new(prep: &[Prep], engine: Engine) -> Pass {
        Pass {
            prep: prep.to_vec(),
            engine,
        }
    }

    /// `engine` or `engine(step+step)`, for reports.
    pub fn name(&self) -> String {
        let steps: Vec<&str> = self
            .prep
            .iter()
            .filter(|p| **p != Prep::None)
            .map(|p| p.name())
            .collect();
        if steps.is_empty() {
            self.engine.name().to_owned()
        } else {
            format!("{}({})", self.engine.name(), steps.join("+"))
        }
    }
}

/// What a run of the cascade found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The distinct texts of the codes found by the first pass that found any.
    pub texts: Vec<String>,
    /// The index of that pass.
    pub pass: Option<usize>,
    /// A decoder located a code but its error correction could not repair it.
    pub damaged: bool,
    /// Passes whose decoder or pre-processing panicked (the panic was caught).
    pub panics: usize,
    /// Passes skipped because the time budget ran out.
    pub skipped: usize,
}

/// An ordered list of passes and a time budget.
#[derive(Debug, Clone)]
pub struct Cascade {
    /// The passes, tried in order.
    pub passes: Vec<Pass>,
    /// No pass starts once this much time has gone by (a running pass is not interrupted:
    /// the pixel cap bounds its cost).
    pub budget: Duration,
    /// After a pass finds codes, blank them and look again this many times at most, so that
    /// a decoder that stops at the best-looking code cannot hide a second one (attack A7).
    /// 0 in the standard cascade: rxing's multi-code reader found every pair of the test
    /// set by itself, and a re-scan doubles the time of every read (docs/qr-reading.md).
    pub extra_rounds: usize,
}

impl Cascade {
    /// The cascade chosen by measurement (docs/qr-reading.md): rxing on a large photo
    /// brought down to 2.5 megapixels (speed), then on the image as it is, then with
    /// equalised contrast (uneven light, glare), then with one global threshold (low
    /// contrast), then inverted (light on dark), then smoothed (noise with perspective),
    /// then sharpened (blur), then a small image doubled (modules under 2 pixels, which the
    /// decoder is told to ignore).
    pub fn standard() -> Cascade {
        use Engine::*;
        Cascade {
            passes: vec![
                Pass::new(&[Prep::Fit], RxingHybrid),
                Pass::new(&[], RxingHybrid),
                Pass::new(&[Prep::Equalize], RxingHybrid),
                Pass::new(&[], RxingGlobal),
                Pass::new(&[Prep::Invert], RxingHybrid),
                Pass::new(&[Prep::Smooth], RxingHybrid),
                Pass::new(&[Prep::Sharpen], RxingHybrid),
                Pass::new(&[Prep::Upscale2], RxingHybrid),
            ],
            budget: Duration::from_millis(1500),
            extra_rounds: 0,
        }
    }

    /// A cascade of the given passes with the standard budget and rounds.
    pub fn of(passes: Vec<Pass>) -> Cascade {
        Cascade {
            passes,
            ..Cascade::standard()
        }
    }

    /// Run the passes over `g` until one finds at least one code.
    pub fn run(&self, g: &Gray) -> Outcome {
        let start = Instant::now();
        let mut out = Outcome::default();
        // Engines already run on the unchanged image (a pass whose steps change nothing).
        let mut ran_on_input: Vec<Engine> = Vec::new();
        for (i, pass) in self.passes.iter().enumerate() {
            if start.elapsed() >= self.budget {
                out.skipped = self.passes.len() - i;
                break;
            }
            // One pre-processed copy at a time, dropped after its pass: memory stays at a
            // few times the image whatever the number of passes.
            let prepared = catch_unwind(AssertUnwindSafe(|| prepare(g, &pass.prep)))
                .unwrap_or_else(|_| {
                    out.panics += 1;
                    Prepared::Skip
                });
            let image = match &prepared {
                Prepared::Same if ran_on_input.contains(&pass.engine) => continue,
                Prepared::Same => {
                    ran_on_input.push(pass.engine);
                    g
                }
                Prepared::New(p) => p,
                Prepared::Skip => continue,
            };
            match catch_unwind(AssertUnwindSafe(|| {
                decode_all(image, pass.engine, self.extra_rounds)
            })) {
                Ok(found) => {
                    out.damaged |= found.damaged;
                    if !found.codes.is_empty() {
                        let texts: BTreeSet<String> =
                            found.codes.into_iter().map(|c| c.text).collect();
                        out.texts = texts.into_iter().collect();
                        out.pass = Some(i);
                        break;
                    }
                }
                Err(_) => out.panics += 1,
            }
        }
        out
    }
}

/// The image a pass works on.
enum Prepared {
    /// The input itself (no step changed it).
    Same,
    /// A pre-processed copy.
    New(Gray),
    /// A step could not apply (e.g. too small to downscale): the pass is pointless.
    Skip,
}

/// Apply `steps` in order.
fn prepare(g: &Gray, steps: &[Prep]) -> Prepared {
    let mut cur: Option<Gray> = None;
    for step in steps {
        if *step == Prep::None {
            continue;
        }
        match step.apply(cur.as_ref().unwrap_or(g)) {
            Some(next) => cur = Some(next),
            None => return Prepared::Skip,
        }
    }
    cur.map_or(Prepared::Same, Prepared::New)
}

/// A code read by a decoder, and where it is (corners, or finder-pattern centres).
struct Code {
    text: String,
    outline: Outline,
}

enum Outline {
    /// The symbol's four corners, in order around it.
    Corners(Vec<(f32, f32)>),
    /// The centres of the three finder patterns (bottom-left, top-left, top-right).
    Finders(Vec<(f32, f32)>),
}

#[derive(Default)]
struct Found {
    codes: Vec<Code>,
    damaged: bool,
}

/// Decode, then blank every code found and decode again, until nothing new appears: a
/// decoder that stops at the best-looking code must not hide a second one (attack A7).
fn decode_all(g: &Gray, engine: Engine, rounds: usize) -> Found {
    let mut found = decode(g, engine);
    if found.codes.is_empty() {
        return found;
    }
    let mut masked = g.clone();
    let mut blanked = 0;
    for _ in 0..rounds {
        for code in &found.codes[blanked..] {
            blank(&mut masked, &code.outline);
        }
        blanked = found.codes.len();
        let more = decode(&masked, engine);
        let new: Vec<Code> = more
            .codes
            .into_iter()
            .filter(|c| found.codes.iter().all(|f| f.text != c.text))
            .collect();
        if new.is_empty() {
            break;
        }
        found.codes.extend(new);
    }
    found
}

/// Paint a found code (slightly enlarged) white so that the next round cannot see it.
fn blank(g: &mut Gray, outline: &Outline) {
    let (quad, scale) = match outline {
        Outline::Corners(p) if p.len() == 4 => (p.clone(), 1.08),
        Outline::Finders(p) if p.len() >= 3 => {
            // The fourth corner of the parallelogram; finder centres sit 3.5 modules inside
            // the symbol, hence the larger enlargement.
            let (bl, tl, tr) = (p[0], p[1], p[2]);
            let br = (bl.0 + tr.0 - tl.0, bl.1 + tr.1 - tl.1);
            (vec![tl, tr, br, bl], 1.35)
        }
        _ => return,
    };
    let cx = quad.iter().map(|p| p.0).sum::<f32>() / 4.0;
    let cy = quad.iter().map(|p| p.1).sum::<f32>() / 4.0;
    let q: Vec<(f32, f32)> = quad
        .iter()
        .map(|&(x, y)| (cx + (x - cx) * scale, cy + (y - cy) * scale))
        .collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &(x, y) in &q {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    let clamp = |v: f32, hi: usize| -> usize { (v.max(0.0) as usize).min(hi) };
    let (x0, x1) = (clamp(x0.floor(), g.w), clamp(x1.ceil() + 1.0, g.w));
    let (y0, y1) = (clamp(y0.floor(), g.h), clamp(y1.ceil() + 1.0, g.h));
    // Inside a convex quadrilateral: on the same side of all four edges.
    let inside = |x: f32, y: f32| -> bool {
        let mut sign = 0.0f32;
        for k in 0..4 {
            let (ax, ay) = q[k];
            let (bx, by) = q[(k + 1) % 4];
            let cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
            if cross != 0.0 {
                if sign != 0.0 && cross.signum() != sign {
                    return false;
                }
                sign = cross.signum();
            }
        }
        true
    };
    for y in y0..y1 {
        for x in x0..x1 {
            if inside(x as f32 + 0.5, y as f32 + 0.5) {
                if let Some(p) = g.px.get_mut(y * g.w + x) {
                    *p = 255;
                }
            }
        }
    }
}

fn decode(g: &Gray, engine: Engine) -> Found {
    match engine {
        Engine::RxingHybrid => rxing_decode(g, HybridBinarizer::new),
        Engine::RxingGlobal => rxing_decode(g, GlobalHistogramBinarizer::new),
        #[cfg(feature = "rqrr")]
        Engine::Rqrr => rqrr_decode(g),
    }
}

fn hints() -> DecodeHints {
    DecodeHints {
        PossibleFormats: Some([BarcodeFormat::QR_CODE].into_iter().collect()),
        TryHarder: Some(true),
        // Finder patterns of 1-pixel modules are noise at any readable size (2 px/module is
        // the floor), and a texture of them made one 0.5-megapixel image cost the zxing-cpp
        // detector 2.5 s, growing faster than the image (fuzzing found it).
        MinimumModuleSize: Some(2),
        ..DecodeHints::default()
    }
}

fn rxing_decode<'a, B, F>(g: &'a Gray, binarizer: F) -> Found
where
    B: Binarizer,
    F: Fn(Luma8Source<'a>) -> B,
{
    let mut found = Found::default();
    let (Ok(w), Ok(h)) = (u32::try_from(g.w), u32::try_from(g.h)) else {
        return found;
    };
    let Ok(source) = Luma8Source::new_with_slice(&g.px, w, h) else {
        return found;
    };
    let hints = hints();
    let mut bitmap = BinaryBitmap::new(binarizer(source));
    // The zxing-cpp port finds every code in the image.
    if let Ok(results) = QrReader.decode_multiple_with_hints(&mut bitmap, &hints) {
        found.codes.extend(
            results
                .iter()
                .filter(|r| *r.getBarcodeFormat() == BarcodeFormat::QR_CODE)
                .map(|r| Code {
                    text: r.getText().to_owned(),
                    outline: Outline::Corners(r.getPoints().iter().map(|p| (p.x, p.y)).collect()),
                }),
        );
    }
    if found.codes.is_empty() {
        // The ZXing port finds some codes the other misses (and tells a damaged code apart:
        // a checksum error means the format was read but Reed-Solomon could not repair it).
        match QRCodeReader.decode_with_hints(&mut bitmap, &hints) {
            Ok(r) if *r.getBarcodeFormat() == BarcodeFormat::QR_CODE => found.codes.push(Code {
                text: r.getText().to_owned(),
                outline: Outline::Finders(r.getPoints().iter().map(|p| (p.x, p.y)).collect()),
            }),
            Ok(_) => {}
            Err(Exceptions::ChecksumException(_)) => found.damaged = true,
            Err(_) => {}
        }
    }
    found
}

#[cfg(feature = "rqrr")]
fn rqrr_decode(g: &Gray) -> Found {
    let mut found = Found::default();
    if g.w == 0 || g.h == 0 || g.px.len() != g.w * g.h {
        return found;
    }
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(g.w, g.h, |x, y| g.px[y * g.w + x]);
    for grid in img.detect_grids() {
        match grid.decode() {
            Ok((_, text)) => found.codes.push(Code {
                text,
                outline: Outline::Corners(
                    grid.bounds
                        .iter()
                        .map(|p| (p.x as f32, p.y as f32))
                        .collect(),
                ),
            }),
            Err(rqrr::DeQRError::DataEcc) => found.damaged = true,
            Err(_) => {}
        }
    }
    found
}
