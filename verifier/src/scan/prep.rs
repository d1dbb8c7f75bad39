//! Pre-processing of a grey image before a decoder sees it.
//!
//! Each step is a small, allocation-bounded pass over the pixels (output no larger than the
//! input). Which ones run, and in which order, is decided by the cascade in `cascade.rs`,
//! chosen by measurement (docs/qr-reading.md).

/// An 8-bit grey image, row-major, `px.len() == w * h`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gray {
    /// Width in pixels.
    pub w: usize,
    /// Height in pixels.
    pub h: usize,
    /// Luminance, 0 = black.
    pub px: Vec<u8>,
}

impl Gray {
    /// The number of pixels.
    pub fn len(&self) -> usize {
        self.px.len()
    }

    /// True when the image has no pixel.
    pub fn is_empty(&self) -> bool {
        self.px.is_empty()
    }
}

/// A pre-processing step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Prep {
    /// The image as it is.
    None,
    /// Global histogram equalisation: spreads a low-contrast image over 0–255.
    Equalize,
    /// Local mean threshold (integral image), window about 1/16 of the short side: a
    /// black-and-white image that ignores slow light gradients and glare.
    AdaptiveThreshold,
    /// Halve both sides by averaging 2×2 blocks: removes noise and moiré, speeds up large
    /// photos.
    Downscale2,
    /// Quarter both sides by averaging 4×4 blocks.
    Downscale4,
    /// Light on dark: invert every pixel.
    Invert,
    /// Small Gaussian-like smoothing (3×3 binomial): tames sensor noise and JPEG blocks.
    Smooth,
    /// Unsharp mask (2 × image − smoothed image): steeper module edges in a blurred photo.
    Sharpen,
    /// Double both sides (bilinear) of an image of at most [`UPSCALE_PIXELS`]: modules under
    /// 2 pixels, which the decoder is told to ignore, become readable. Skipped for larger
    /// images.
    Upscale2,
    /// Downscale a large photo by the smallest whole factor that brings it to at most
    /// [`FIT_PIXELS`]. Does not apply to smaller images: a pass with this step is skipped
    /// for them, and the next pass reads them as they are.
    Fit,
}

/// The size [`Prep::Fit`] brings large photos down to (2.5 megapixels): a code that fills a
/// fair part of a 12-megapixel photo still has several pixels per module there.
pub const FIT_PIXELS: usize = 2_500_000;

/// The largest image [`Prep::Upscale2`] doubles (1 megapixel, so at most 4 after).
pub const UPSCALE_PIXELS: usize = 1_000_000;

impl Prep {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Prep::None => "none",
            Prep::Equalize => "equalize",
            Prep::AdaptiveThreshold => "adaptive",
            Prep::Downscale2 => "down2",
            Prep::Downscale4 => "down4",
            Prep::Invert => "invert",
            Prep::Smooth => "smooth",
            Prep::Sharpen => "sharpen",
            Prep::Fit => "fit",
            Prep::Upscale2 => "up2",
        }
    }

    /// Apply the step; `None` when it changes nothing (`Prep::None`) or cannot apply (an image
    /// too small to downscale).
    pub fn apply(self, g: &Gray) -> Option<Gray> {
        match self {
            Prep::None => None,
            Prep::Equalize => Some(equalize(g)),
            Prep::AdaptiveThreshold => Some(adaptive_threshold(g)),
            Prep::Downscale2 => downscale(g, 2),
            Prep::Downscale4 => downscale(g, 4),
            Prep::Invert => Some(Gray {
                w: g.w,
                h: g.h,
                px: g.px.iter().map(|&v| 255 - v).collect(),
            }),
            Prep::Smooth => Some(smooth(g)),
            Prep::Sharpen => Some(sharpen(g)),
            Prep::Upscale2 => (g.len() <= UPSCALE_PIXELS && !g.is_empty()).then(|| upscale2(g)),
            Prep::Fit => {
                let f = (2..=16).find(|f| (g.w / f) * (g.h / f) <= FIT_PIXELS)?;
                if g.len() <= FIT_PIXELS {
                    None
                } else {
                    downscale(g, f)
                }
            }
        }
    }
}

/// Histogram equalisation over the whole image.
pub fn equalize(g: &Gray) -> Gray {
    let mut hist = [0u64; 256];
    for &v in &g.px {
        hist[usize::from(v)] += 1;
    }
    let total = g.px.len() as u64;
    let mut lut = [0u8; 256];
    let mut cum = 0u64;
    let first = hist.iter().copied().find(|&c| c > 0).unwrap_or(0);
    let span = total.saturating_sub(first).max(1);
    for (i, &c) in hist.iter().enumerate() {
        cum += c;
        let v = cum.saturating_sub(first) * 255 / span;
        lut[i] = u8::try_from(v.min(255)).unwrap_or(255);
    }
    Gray {
        w: g.w,
        h: g.h,
        px: g.px.iter().map(|&v| lut[usize::from(v)]).collect(),
    }
}

/// Mean threshold over a square window (integral image): a pixel is black when darker than
/// the local mean minus a small margin.
pub fn adaptive_threshold(g: &Gray) -> Gray {
    let (w, h) = (g.w, g.h);
    if w == 0 || h == 0 {
        return g.clone();
    }
    let r = (w.min(h) / 16).clamp(4, 64);
    // Integral image with a zero row and column in front: (w+1)*(h+1) u32 values. Bounded by
    // the pixel cap of the loader (sums fit: 255 * 2^32/255 pixels).
    let stride = w + 1;
    let mut integral = vec![0u32; stride * (h + 1)];
    for y in 0..h {
        let mut row = 0u32;
        for x in 0..w {
            row = row.saturating_add(u32::from(g.px[y * w + x]));
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1].saturating_add(row);
        }
    }
    let mut px = vec![0u8; w * h];
    for y in 0..h {
        let y0 = y.saturating_sub(r);
        let y1 = (y + r + 1).min(h);
        for x in 0..w {
            let x0 = x.saturating_sub(r);
            let x1 = (x + r + 1).min(w);
            let sum = u64::from(integral[y1 * stride + x1]) + u64::from(integral[y0 * stride + x0])
                - u64::from(integral[y0 * stride + x1])
                - u64::from(integral[y1 * stride + x0]);
            let n = ((y1 - y0) * (x1 - x0)) as u64;
            let v = u64::from(g.px[y * w + x]);
            // 7/8 of the mean: a flat area stays white instead of turning into noise.
            px[y * w + x] = if v * n * 8 < sum * 7 { 0 } else { 255 };
        }
    }
    Gray { w, h, px }
}

/// Average `f`×`f` blocks; `None` when the result would be too small to hold a code.
pub fn downscale(g: &Gray, f: usize) -> Option<Gray> {
    let (w, h) = (g.w / f, g.h / f);
    if w < 21 || h < 21 {
        return None;
    }
    let mut px = vec![0u8; w * h];
    let n = (f * f) as u32;
    for y in 0..h {
        for x in 0..w {
            let mut s = 0u32;
            for dy in 0..f {
                let row = (y * f + dy) * g.w + x * f;
                for &v in &g.px[row..row + f] {
                    s += u32::from(v);
                }
            }
            px[y * w + x] = u8::try_from(s / n).unwrap_or(255);
        }
    }
    Some(Gray { w, h, px })
}

/// 3×3 binomial smoothing (1 2 1 / 2 4 2 / 1 2 1), edges clamped.
pub fn smooth(g: &Gray) -> Gray {
    let (w, h) = (g.w, g.h);
    let at = |x: isize, y: isize| -> u32 {
        let x = x.clamp(0, w as isize - 1) as usize;
        let y = y.clamp(0, h as isize - 1) as usize;
        u32::from(g.px[y * w + x])
    };
    let mut px = vec![0u8; w * h];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let s = at(x - 1, y - 1)
                + 2 * at(x, y - 1)
                + at(x + 1, y - 1)
                + 2 * at(x - 1, y)
                + 4 * at(x, y)
                + 2 * at(x + 1, y)
                + at(x - 1, y + 1)
                + 2 * at(x, y + 1)
                + at(x + 1, y + 1);
            px[y as usize * w + x as usize] = u8::try_from(s / 16).unwrap_or(255);
        }
    }
    Gray { w, h, px }
}

/// Double both sides; new pixels are the mean of their neighbours (bilinear at ½ steps).
pub fn upscale2(g: &Gray) -> Gray {
    let (w, h) = (g.w * 2, g.h * 2);
    let at = |x: usize, y: usize| u32::from(g.px[y.min(g.h - 1) * g.w + x.min(g.w - 1)]);
    let mut px = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = (x / 2, y / 2);
            let v = match (x % 2, y % 2) {
                (0, 0) => at(sx, sy),
                (1, 0) => (at(sx, sy) + at(sx + 1, sy)) / 2,
                (0, 1) => (at(sx, sy) + at(sx, sy + 1)) / 2,
                _ => (at(sx, sy) + at(sx + 1, sy) + at(sx, sy + 1) + at(sx + 1, sy + 1)) / 4,
            };
            px[y * w + x] = u8::try_from(v).unwrap_or(255);
        }
    }
    Gray { w, h, px }
}

/// Unsharp mask: `2 v − smooth(v)`, clamped.
pub fn sharpen(g: &Gray) -> Gray {
    let s = smooth(g);
    Gray {
        w: g.w,
        h: g.h,
        px: g
            .px
            .iter()
            .zip(&s.px)
            .map(|(&v, &b)| (2 * i16::from(v) - i16::from(b)).clamp(0, 255) as u8)
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ramp(w: usize, h: usize) -> Gray {
        Gray {
            w,
            h,
            px: (0..w * h).map(|i| (100 + (i % 20)) as u8).collect(),
        }
    }

    #[test]
    fn equalize_spreads_a_narrow_histogram() {
        let e = equalize(&ramp(40, 30));
        assert_eq!(e.px.iter().copied().min(), Some(0));
        assert_eq!(e.px.iter().copied().max(), Some(255));
    }

    #[test]
    fn steps_keep_or_shrink_the_size() {
        let g = ramp(64, 48);
        for p in [
            Prep::Equalize,
            Prep::AdaptiveThreshold,
            Prep::Invert,
            Prep::Smooth,
            Prep::Sharpen,
        ] {
            let out = p.apply(&g).unwrap();
            assert_eq!((out.w, out.h, out.len()), (64, 48, 64 * 48), "{p:?}");
        }
        let d = Prep::Downscale2.apply(&g).unwrap();
        assert_eq!((d.w, d.h, d.len()), (32, 24, 32 * 24));
        assert!(
            Prep::Downscale4.apply(&g).is_none(),
            "16×12 cannot hold a code"
        );
    }
}
