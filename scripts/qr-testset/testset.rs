//! The QR reading test set: synthetic photos, scans and screenshots of QR codes, generated
//! from a seed (nothing is checked in; the same seed gives the same bytes).
//!
//! Shared by `verifier/tests/scan.rs` (assertions), `verifier/benches/scan.rs` (speed) and
//! `scripts/qr-testset/main.rs` (the decoder comparison in docs/qr-reading.md, and PNG/JPEG
//! files to look at). Included with `#[path]`, so it only uses crates `vpass-verifier`
//! already has: `qrcode` (dev) to make the modules and `image` to write PNG/JPEG.
//!
//! A scene is drawn by inverse mapping: every canvas pixel is mapped through a homography
//! (position, size, rotation, perspective) onto the code's module grid and sampled 2×2, so
//! small modules, rotation and tilt come out anti-aliased like a camera sees them. Then
//! photometric damage is applied in order: screen pixel grid (moiré), contrast, uneven light
//! and glare, blur, sensor noise, inversion, and JPEG compression.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::type_complexity
)]

use qrcode::{Color, EcLevel, QrCode, Version};

/// One generated image and what a reader should find in it.
pub struct Case {
    /// The kind of damage, e.g. `rotation`.
    pub family: &'static str,
    /// Its strength, e.g. `30deg`.
    pub strength: String,
    /// Which payload (`vpass`, `v10`, `byte`…).
    pub payload: String,
    /// The texts of the codes in the image (empty: no code).
    pub expected: Vec<String>,
    /// The encoded image file.
    pub bytes: Vec<u8>,
    /// `png` or `jpg`.
    pub ext: &'static str,
}

impl Case {
    /// `family/strength/payload`, for reports and file names.
    pub fn name(&self) -> String {
        format!("{}-{}-{}", self.family, self.strength, self.payload)
    }
}

/// The standard vpass presentation's QR text (`VP1:`…), byte-exact on every run: the sample
/// of `vpass_verifier::sample`, issued with fixed salts (`Sample::new` draws random ones,
/// which would change the QR's modules from run to run).
pub fn vpass_qr_text() -> String {
    use vpass_credential::sdjwt::SaltSource;
    use vpass_verifier::sample::Sample;
    struct FixedSalts(u8);
    impl SaltSource for FixedSalts {
        fn salt(&mut self) -> String {
            self.0 = self.0.wrapping_add(1);
            vpass_credential::b64::encode([self.0; 16])
        }
    }
    let claims =
        vpass_credential::json::parse(vpass_verifier::sample::STANDARD_HOURS.as_bytes(), "sample")
            .unwrap();
    Sample::with_salts(&claims, &mut FixedSalts(0))
        .unwrap()
        .qr_text
}

/// A small deterministic random source (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.f()
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = self.f().max(1e-7);
        let u2 = self.f();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
    }
}

/// A QR symbol's modules (true = dark), `n` × `n`, no quiet zone.
#[derive(Clone)]
pub struct Symbol {
    pub n: usize,
    pub dark: Vec<bool>,
    pub version: i16,
}

impl Symbol {
    /// `text` at `ec`, smallest version.
    pub fn new(text: &str, ec: EcLevel) -> Symbol {
        Symbol::from_code(&QrCode::with_error_correction_level(text.as_bytes(), ec).unwrap())
    }

    /// `text` at a given version and level.
    pub fn with_version(text: &str, version: i16, ec: EcLevel) -> Symbol {
        Symbol::from_code(
            &QrCode::with_version(text.as_bytes(), Version::Normal(version), ec).unwrap(),
        )
    }

    /// Encoded bits with a given mask pattern (0–7) instead of the best one: every mask gets
    /// tested, and it skips qrcode's mask scoring (slow in debug builds).
    pub fn with_mask(bits: qrcode::bits::Bits, ec: EcLevel, mask: usize) -> Option<Symbol> {
        use qrcode::canvas::{Canvas, MaskPattern::*};
        let version = bits.version();
        let data = bits.into_bytes();
        let (data, ecc) = qrcode::ec::construct_codewords(&data, version, ec).ok()?;
        let mut canvas = Canvas::new(version, ec);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ecc);
        let masks = [
            Checkerboard,
            HorizontalLines,
            VerticalLines,
            DiagonalLines,
            LargeCheckerboard,
            Fields,
            Diamonds,
            Meadow,
        ];
        canvas.apply_mask(masks[mask % 8]);
        let n = version.width() as usize;
        let v = match version {
            Version::Normal(v) | Version::Micro(v) => v,
        };
        Some(Symbol {
            n,
            dark: canvas
                .into_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
            version: v,
        })
    }

    fn from_code(code: &QrCode) -> Symbol {
        let version = match code.version() {
            Version::Normal(v) | Version::Micro(v) => v,
        };
        Symbol {
            n: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
            version,
        }
    }

    fn at(&self, x: isize, y: isize) -> bool {
        let n = self.n as isize;
        x >= 0 && y >= 0 && x < n && y < n && self.dark[(y * n + x) as usize]
    }
}

/// The longest text made by `make(len)` that fits `version` at `ec` in one segment of
/// alphanumeric (`alnum`) or byte mode, and its symbol: it needs exactly that version.
/// Encoded with an explicit segment, which is also much faster than qrcode's optimiser.
pub fn filling_symbol(
    version: i16,
    ec: EcLevel,
    alnum: bool,
    mask: usize,
    make: &dyn Fn(usize) -> String,
) -> (String, Symbol) {
    let v = Version::Normal(version);
    // Data bits of the version at this level, less the mode indicator and the count field.
    let bits = qrcode::bits::Bits::new(v).max_len(ec).unwrap();
    let count = match (alnum, version) {
        (true, 1..=9) => 9,
        (true, 10..=26) => 11,
        (true, _) => 13,
        (false, 1..=9) => 8,
        (false, _) => 16,
    };
    let room = bits - 4 - count;
    let mut len = if alnum {
        room / 11 * 2 + usize::from(room % 11 >= 6)
    } else {
        room / 8
    };
    loop {
        let text = make(len);
        let mut b = qrcode::bits::Bits::new(v);
        let pushed = if alnum {
            b.push_alphanumeric_data(text.as_bytes())
        } else {
            b.push_byte_data(text.as_bytes())
        };
        if pushed.is_ok() && b.push_terminator(ec).is_ok() {
            if let Some(sym) = Symbol::with_mask(b, ec, mask) {
                return (text, sym);
            }
        }
        assert!(len > 1, "nothing fits version {version}");
        len -= 1;
    }
}

/// Alphanumeric-mode text (the base45 alphabet, like a vpass QR), deterministic.
pub fn alnum_text(len: usize, seed: u64) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut r = Rng::new(seed);
    (0..len)
        .map(|_| A[(r.next_u64() % 45) as usize] as char)
        .collect()
}

/// Byte-mode text (lower-case letters and punctuation, as in a raw SD-JWT), deterministic.
pub fn byte_text(len: usize, seed: u64) -> String {
    const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz~_.";
    let mut r = Rng::new(seed);
    (0..len)
        .map(|_| A[(r.next_u64() % 29) as usize] as char)
        .collect()
}

/// Where and how one code is drawn.
#[derive(Clone)]
pub struct Placement {
    pub symbol: Symbol,
    /// Centre on the canvas, in pixels.
    pub cx: f32,
    pub cy: f32,
    /// Pixels per module.
    pub module: f32,
    /// Rotation in degrees.
    pub angle: f32,
    /// Keystone: the far edge is (1 - tilt) times the near one.
    pub tilt: f32,
    /// Module colours (dark, light).
    pub ink: (f32, f32),
    /// Screen pixels per module for a photographed screen (moiré); 0 = printed/clean.
    pub screen_px: f32,
}

impl Placement {
    pub fn new(symbol: &Symbol, cx: f32, cy: f32, module: f32) -> Placement {
        Placement {
            symbol: symbol.clone(),
            cx,
            cy,
            module,
            angle: 0.0,
            tilt: 0.0,
            ink: (20.0, 235.0),
            screen_px: 0.0,
        }
    }
    /// Side in pixels with the 4-module quiet zone.
    pub fn side(&self) -> f32 {
        (self.symbol.n + 8) as f32 * self.module
    }
}

/// What to draw and what damage to apply.
#[derive(Clone)]
pub struct Scene {
    pub w: usize,
    pub h: usize,
    /// Random shapes behind the code(s) instead of a flat page.
    pub clutter: bool,
    pub codes: Vec<Placement>,
    /// Contrast: output = 128 + (v - 128) * contrast.
    pub contrast: f32,
    /// Light falling from full to (1 - gradient) across the picture.
    pub gradient: f32,
    /// A glare spot adding up to `glare` × 255 near one corner of the code.
    pub glare: f32,
    /// Gaussian blur sigma in pixels.
    pub blur: f32,
    /// Gaussian noise sigma in grey levels.
    pub noise: f32,
    pub invert: bool,
    /// JPEG quality (0 = PNG).
    pub jpeg: u8,
    pub seed: u64,
    /// A free label for makers that need the case assembly to know more (two-codes).
    pub variant: &'static str,
}

impl Scene {
    pub fn new(w: usize, h: usize, codes: Vec<Placement>) -> Scene {
        Scene {
            w,
            h,
            clutter: false,
            codes,
            contrast: 1.0,
            gradient: 0.0,
            glare: 0.0,
            blur: 0.0,
            noise: 0.0,
            invert: false,
            jpeg: 0,
            seed: 1,
            variant: "",
        }
    }

    /// A canvas that fits one code at `module` px/module with a margin, centred.
    pub fn around(symbol: &Symbol, module: f32) -> Scene {
        let side = ((symbol.n + 8) as f32 * module).ceil() as usize + 40;
        let c = side as f32 / 2.0;
        Scene::new(side, side, vec![Placement::new(symbol, c, c, module)])
    }

    /// Draw the scene to grey pixels.
    pub fn render(&self) -> Vec<u8> {
        let mut rng = Rng::new(self.seed);
        let mut px = vec![245.0f32; self.w * self.h];
        if self.clutter {
            clutter(&mut px, self.w, self.h, &mut rng);
        }
        for p in &self.codes {
            draw(&mut px, self.w, self.h, p);
        }
        let (w, h) = (self.w as f32, self.h as f32);
        let (gx, gy) = self
            .codes
            .first()
            .map(|p| (p.cx - p.side() * 0.25, p.cy - p.side() * 0.25))
            .unwrap_or((w / 3.0, h / 3.0));
        let glare_r = self
            .codes
            .first()
            .map(|p| p.side() * 0.3)
            .unwrap_or(w / 4.0);
        for y in 0..self.h {
            for x in 0..self.w {
                let v = &mut px[y * self.w + x];
                *v = 128.0 + (*v - 128.0) * self.contrast;
                if self.gradient > 0.0 {
                    *v *= 1.0 - self.gradient * (x as f32 / w * 0.6 + y as f32 / h * 0.4);
                }
                if self.glare > 0.0 {
                    let d2 = ((x as f32 - gx).powi(2) + (y as f32 - gy).powi(2)) / glare_r.powi(2);
                    *v += self.glare * 255.0 * (-d2).exp();
                }
            }
        }
        if self.blur > 0.0 {
            gaussian_blur(&mut px, self.w, self.h, self.blur);
        }
        let mut out: Vec<u8> = px
            .iter()
            .map(|&v| {
                let n = if self.noise > 0.0 {
                    rng.normal() * self.noise
                } else {
                    0.0
                };
                (v + n).round().clamp(0.0, 255.0) as u8
            })
            .collect();
        if self.invert {
            out.iter_mut().for_each(|v| *v = 255 - *v);
        }
        out
    }

    /// Render and encode (PNG, or JPEG when `jpeg > 0`).
    pub fn encode(&self) -> (Vec<u8>, &'static str) {
        let px = self.render();
        let img = image::GrayImage::from_raw(self.w as u32, self.h as u32, px).unwrap();
        let mut bytes = Vec::new();
        if self.jpeg > 0 {
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, self.jpeg);
            img.write_with_encoder(enc).unwrap();
            (bytes, "jpg")
        } else {
            let enc = image::codecs::png::PngEncoder::new_with_quality(
                &mut bytes,
                image::codecs::png::CompressionType::Fast,
                image::codecs::png::FilterType::Sub,
            );
            img.write_with_encoder(enc).unwrap();
            (bytes, "png")
        }
    }
}

/// Random rectangles, discs, lines and text-like rows over a soft gradient.
fn clutter(px: &mut [f32], w: usize, h: usize, rng: &mut Rng) {
    let base = rng.range(120.0, 220.0);
    for y in 0..h {
        for x in 0..w {
            px[y * w + x] = base + 30.0 * ((x as f32 / w as f32) - (y as f32 / h as f32));
        }
    }
    let shapes = 40 + (w * h / 40_000);
    for _ in 0..shapes {
        let kind = rng.next_u64() % 4;
        let (x0, y0) = (rng.range(0.0, w as f32), rng.range(0.0, h as f32));
        let size = rng.range(10.0, (w.min(h) as f32) / 4.0);
        let shade = rng.range(0.0, 255.0);
        match kind {
            0 => fill(
                px,
                w,
                h,
                x0,
                y0,
                size,
                size * rng.range(0.3, 1.5),
                |_, _| true,
                shade,
            ),
            1 => fill(
                px,
                w,
                h,
                x0,
                y0,
                size,
                size,
                |dx, dy| dx * dx + dy * dy <= 0.25,
                shade,
            ),
            2 => {
                // A thin line.
                let (dx, dy) = (rng.range(-1.0, 1.0), rng.range(-1.0, 1.0));
                for t in 0..(size * 3.0) as usize {
                    let (x, y) = (x0 + dx * t as f32, y0 + dy * t as f32);
                    if x >= 0.0 && y >= 0.0 && (x as usize) < w && (y as usize) < h {
                        px[y as usize * w + x as usize] = shade;
                    }
                }
            }
            _ => {
                // Text-like: a row of small dark blocks of random widths.
                let mut x = x0;
                let hgt = rng.range(4.0, 12.0);
                while x < x0 + size * 2.0 {
                    let cw = rng.range(2.0, hgt);
                    fill(
                        px,
                        w,
                        h,
                        x + cw / 2.0,
                        y0,
                        cw,
                        hgt,
                        |_, _| true,
                        rng.range(0.0, 80.0),
                    );
                    x += cw + rng.range(1.0, 4.0);
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn fill(
    px: &mut [f32],
    w: usize,
    h: usize,
    cx: f32,
    cy: f32,
    sw: f32,
    sh: f32,
    inside: impl Fn(f32, f32) -> bool,
    shade: f32,
) {
    let (x0, x1) = (
        (cx - sw / 2.0).max(0.0) as usize,
        ((cx + sw / 2.0) as usize).min(w),
    );
    let (y0, y1) = (
        (cy - sh / 2.0).max(0.0) as usize,
        ((cy + sh / 2.0) as usize).min(h),
    );
    for y in y0..y1 {
        for x in x0..x1 {
            if inside((x as f32 - cx) / sw, (y as f32 - cy) / sh) {
                px[y * w + x] = shade;
            }
        }
    }
}

/// Draw one code (with its quiet zone) through its homography, 2×2 supersampled.
fn draw(px: &mut [f32], w: usize, h: usize, p: &Placement) {
    if p.angle == 0.0 && p.tilt == 0.0 && p.screen_px == 0.0 && p.module.fract() == 0.0 {
        return draw_upright(px, w, h, p);
    }
    let n = (p.symbol.n + 8) as f32; // modules including the quiet zone
    let half = p.side() / 2.0;
    // The quad's corners: a square, keystoned (top edge shorter), then rotated.
    let top = 1.0 - p.tilt;
    let corners = [
        (-half * top, -half),
        (half * top, -half),
        (half, half),
        (-half, half),
    ];
    let (s, c) = p.angle.to_radians().sin_cos();
    let quad: Vec<(f32, f32)> = corners
        .iter()
        .map(|&(x, y)| (p.cx + x * c - y * s, p.cy + x * s + y * c))
        .collect();
    let hmat = square_to_quad(&quad);
    let inv = invert3(&hmat);
    let (mut minx, mut miny, mut maxx, mut maxy) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &(x, y) in &quad {
        minx = minx.min(x);
        miny = miny.min(y);
        maxx = maxx.max(x);
        maxy = maxy.max(y);
    }
    let (x0, y0) = (
        minx.floor().max(0.0) as usize,
        miny.floor().max(0.0) as usize,
    );
    let (x1, y1) = (
        (maxx.ceil() as usize + 1).min(w),
        (maxy.ceil() as usize + 1).min(h),
    );
    let (dark, light) = p.ink;
    for y in y0..y1 {
        for x in x0..x1 {
            let mut acc = 0.0;
            let mut hits = 0;
            for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (u, v) = apply(&inv, x as f32 + ox, y as f32 + oy);
                if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
                    continue;
                }
                let (mu, mv) = (u * n, v * n);
                let is_dark = p
                    .symbol
                    .at(mu.floor() as isize - 4, mv.floor() as isize - 4);
                let mut val = if is_dark { dark } else { light };
                if p.screen_px > 0.0 {
                    // Gaps between the screen's pixels: dark lines every 1/screen_px module.
                    let (fx, fy) = ((mu * p.screen_px).fract(), (mv * p.screen_px).fract());
                    if fx > 0.7 || fy > 0.7 {
                        val *= 0.45;
                    }
                }
                acc += val;
                hits += 1;
            }
            if hits > 0 {
                let i = y * w + x;
                px[i] = (px[i] * (4 - hits) as f32 + acc) / 4.0;
            }
        }
    }
}

/// The exact, fast case: upright, whole pixels per module.
fn draw_upright(px: &mut [f32], w: usize, h: usize, p: &Placement) {
    let m = p.module as isize;
    let side = (p.symbol.n as isize + 8) * m;
    let (x0, y0) = (p.cx as isize - side / 2, p.cy as isize - side / 2);
    for y in y0.max(0)..(y0 + side).min(h as isize) {
        let my = (y - y0) / m - 4;
        for x in x0.max(0)..(x0 + side).min(w as isize) {
            let mx = (x - x0) / m - 4;
            px[y as usize * w + x as usize] = if p.symbol.at(mx, my) {
                p.ink.0
            } else {
                p.ink.1
            };
        }
    }
}

type M3 = [[f32; 3]; 3];

/// Homography taking the unit square (0,0),(1,0),(1,1),(0,1) to `q` (Heckbert's formula).
fn square_to_quad(q: &[(f32, f32)]) -> M3 {
    let (x0, y0) = q[0];
    let (x1, y1) = q[1];
    let (x2, y2) = q[2];
    let (x3, y3) = q[3];
    let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
    if sx.abs() < 1e-6 && sy.abs() < 1e-6 {
        return [
            [x1 - x0, x3 - x0, x0],
            [y1 - y0, y3 - y0, y0],
            [0.0, 0.0, 1.0],
        ];
    }
    let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
    let den = dx1 * dy2 - dx2 * dy1;
    let g = (sx * dy2 - dx2 * sy) / den;
    let hh = (dx1 * sy - sx * dy1) / den;
    [
        [x1 - x0 + g * x1, x3 - x0 + hh * x3, x0],
        [y1 - y0 + g * y1, y3 - y0 + hh * y3, y0],
        [g, hh, 1.0],
    ]
}

fn invert3(m: &M3) -> M3 {
    let [[a, b, c], [d, e, f], [g, h, i]] = *m;
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    let k = 1.0 / det;
    [
        [
            (e * i - f * h) * k,
            (c * h - b * i) * k,
            (b * f - c * e) * k,
        ],
        [
            (f * g - d * i) * k,
            (a * i - c * g) * k,
            (c * d - a * f) * k,
        ],
        [
            (d * h - e * g) * k,
            (b * g - a * h) * k,
            (a * e - b * d) * k,
        ],
    ]
}

fn apply(m: &M3, x: f32, y: f32) -> (f32, f32) {
    let wz = m[2][0] * x + m[2][1] * y + m[2][2];
    (
        (m[0][0] * x + m[0][1] * y + m[0][2]) / wz,
        (m[1][0] * x + m[1][1] * y + m[1][2]) / wz,
    )
}

fn gaussian_blur(px: &mut [f32], w: usize, h: usize, sigma: f32) {
    let r = (sigma * 3.0).ceil() as isize;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut tmp = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut a = 0.0;
            for (j, kv) in k.iter().enumerate() {
                let xx = (x as isize + j as isize - r).clamp(0, w as isize - 1) as usize;
                a += kv * px[y * w + xx];
            }
            tmp[y * w + x] = a;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut a = 0.0;
            for (j, kv) in k.iter().enumerate() {
                let yy = (y as isize + j as isize - r).clamp(0, h as isize - 1) as usize;
                a += kv * tmp[yy * w + x];
            }
            px[y * w + x] = a;
        }
    }
}

fn case(family: &'static str, strength: String, payload: &str, texts: &[&str], s: &Scene) -> Case {
    let (bytes, ext) = s.encode();
    Case {
        family,
        strength,
        payload: payload.to_owned(),
        expected: texts.iter().map(|t| (*t).to_owned()).collect(),
        bytes,
        ext,
    }
}

/// Clean codes at 4 px/module: every version in `versions` at every level, alphanumeric
/// and byte mode.
pub fn clean_cases(versions: &[i16]) -> Vec<Case> {
    clean_cases_where(versions, &|_, _| true)
}

/// [`clean_cases`] for the (version, level) pairs `keep` accepts.
pub fn clean_cases_where(versions: &[i16], keep: &dyn Fn(i16, EcLevel) -> bool) -> Vec<Case> {
    let mut out = Vec::new();
    for &v in versions {
        for (ec, ecn) in [
            (EcLevel::L, "L"),
            (EcLevel::M, "M"),
            (EcLevel::Q, "Q"),
            (EcLevel::H, "H"),
        ] {
            if !keep(v, ec) {
                continue;
            }
            let seed = v as u64 * 10 + ecn.as_bytes()[0] as u64;
            for (mode, (text, sym)) in [
                (
                    "alnum",
                    filling_symbol(v, ec, true, seed as usize, &|n| alnum_text(n, seed)),
                ),
                (
                    "byte",
                    filling_symbol(v, ec, false, seed as usize + 3, &|n| byte_text(n, seed)),
                ),
            ] {
                let s = Scene::around(&sym, 4.0);
                out.push(case("clean", format!("v{v}-{ecn}"), mode, &[&text], &s));
            }
        }
    }
    out
}

/// One strength of one kind of damage: a label and the scene.
type Maker<'a> = Box<dyn Fn(&Symbol, u64) -> Scene + 'a>;

/// The degradation families, each at several strengths, over `payloads` (name, text).
/// `full` adds the stronger and slower (large-canvas) strengths used in the comparison.
pub fn degraded_cases(payloads: &[(&str, &str)], full: bool) -> Vec<Case> {
    let mut out = Vec::new();
    for (pi, (pname, text)) in payloads.iter().enumerate() {
        let sym = Symbol::new(text, EcLevel::M);
        let other = Symbol::new(&alnum_text(300, 99 + pi as u64), EcLevel::M);
        let other_text = alnum_text(300, 99 + pi as u64);
        for (family, strength, make) in families(full) {
            let seed = 1000 * pi as u64 + out.len() as u64;
            let mut scene = make(&sym, seed);
            scene.seed = seed;
            let texts: Vec<&str> = match family {
                "no-code" => vec![],
                "two-codes" => {
                    let mut second = scene.codes[0].clone();
                    second.symbol = other.clone();
                    if strength_is(&scene, "mixed") {
                        second.module = 2.5;
                        second.angle = 30.0;
                    }
                    let (a, b) = (scene.codes[0].side(), second.side());
                    if strength_is(&scene, "overlap") {
                        // A card laid over another's corner: the second hides a corner of
                        // the first (inside its quiet zone, over a few modules).
                        let w = a * 0.85 + b * 1.1 + 40.0;
                        scene.w = w as usize;
                        scene.h = w as usize;
                        scene.codes[0].cx = a / 2.0 + 20.0;
                        scene.codes[0].cy = a / 2.0 + 20.0;
                        second.cx = a * 0.85 + b / 2.0 + 20.0;
                        second.cy = a * 0.85 + b / 2.0 + 20.0;
                    } else {
                        // Side by side, each in its own square big enough for its rotation.
                        let side = a.max(b) * 1.25;
                        scene.w = (side * 2.0) as usize + 40;
                        scene.h = side as usize + 20;
                        scene.codes[0].cx = side / 2.0 + 10.0;
                        second.cx = scene.w as f32 - side / 2.0 - 10.0;
                        scene.codes[0].cy = scene.h as f32 / 2.0;
                        second.cy = scene.h as f32 / 2.0;
                    }
                    scene.codes.push(second);
                    vec![*text, other_text.as_str()]
                }
                _ => vec![*text],
            };
            if family == "no-code" {
                scene.codes.clear();
            }
            out.push(case(family, strength, pname, &texts, &scene));
        }
    }
    out
}

/// Whether a two-codes maker asked for `what`.
fn strength_is(scene: &Scene, what: &str) -> bool {
    scene.variant == what
}

fn families<'a>(full: bool) -> Vec<(&'static str, String, Maker<'a>)> {
    let mut f: Vec<(&'static str, String, Maker<'a>)> = Vec::new();
    f.push((
        "clean",
        "4px".into(),
        Box::new(|s, _| Scene::around(s, 4.0)),
    ));
    for m in [3.0f32, 2.5, 2.0, 1.6] {
        f.push((
            "small-modules",
            format!("{m}px"),
            Box::new(move |s, _| Scene::around(s, m)),
        ));
    }
    for a in [7.0f32, 22.0, 45.0, 90.0, 137.0, 200.0, 313.0] {
        f.push((
            "rotation",
            format!("{a}deg"),
            Box::new(move |s, _| {
                let mut sc = Scene::around(s, 4.0);
                let side = (sc.w as f32 * 1.42) as usize;
                sc.w = side;
                sc.h = side;
                sc.codes[0].cx = side as f32 / 2.0;
                sc.codes[0].cy = side as f32 / 2.0;
                sc.codes[0].angle = a;
                sc
            }),
        ));
    }
    for t in [0.1f32, 0.2, 0.3, 0.4] {
        f.push((
            "perspective",
            format!("tilt{t}"),
            Box::new(move |s, _| {
                let mut sc = Scene::around(s, 4.0);
                sc.codes[0].tilt = t;
                sc.codes[0].angle = 8.0;
                sc
            }),
        ));
    }
    // Blur relative to a 4 px module.
    for b in [0.8f32, 1.2, 1.6, 2.0, 2.5] {
        f.push((
            "blur",
            format!("sigma{b}"),
            Box::new(move |s, _| {
                let mut sc = Scene::around(s, 4.0);
                sc.blur = b;
                sc
            }),
        ));
    }
    for n in [15.0f32, 30.0, 50.0, 70.0] {
        f.push((
            "noise",
            format!("sigma{n}"),
            Box::new(move |s, _| {
                let mut sc = Scene::around(s, 4.0);
                sc.noise = n;
                sc
            }),
        ));
    }
    for q in [60u8, 30, 15, 8] {
        f.push((
            "jpeg",
            format!("q{q}"),
            Box::new(move |s, _| {
                let mut sc = Scene::around(s, 3.0);
                sc.jpeg = q;
                sc
            }),
        ));
    }
    for c in [0.4f32, 0.25, 0.15, 0.08] {
        f.push((
            "low-contrast",
            format!("x{c}"),
            Box::new(move |s, _| {
                let mut sc = Scene::around(s, 4.0);
                sc.contrast = c;
                sc.noise = 2.0;
                sc
            }),
        ));
    }
    for (g, l) in [(0.5f32, 0.0f32), (0.3, 0.5), (0.6, 0.7), (0.5, 0.95)] {
        f.push((
            "uneven-light",
            format!("grad{g}-glare{l}"),
            Box::new(move |s, _| {
                let mut sc = Scene::around(s, 4.0);
                sc.gradient = g;
                sc.glare = l;
                sc.noise = 3.0;
                sc
            }),
        ));
    }
    for (label, rot, noise) in [("plain", 0.0f32, 0.0f32), ("rot20-noise20", 20.0, 20.0)] {
        f.push((
            "inverted",
            label.into(),
            Box::new(move |s, _| {
                let mut sc = Scene::around(s, 4.0);
                let side = (sc.w as f32 * 1.3) as usize;
                sc.w = side;
                sc.h = side;
                sc.codes[0].cx = side as f32 / 2.0;
                sc.codes[0].cy = side as f32 / 2.0;
                sc.codes[0].angle = rot;
                sc.noise = noise;
                sc.invert = true;
                sc
            }),
        ));
    }
    let mut cluttered: Vec<(usize, usize, f32)> = vec![(1280, 960, 4.0), (1280, 960, 3.0)];
    if full {
        cluttered.extend([(1920, 1080, 3.0), (1920, 1080, 2.2)]);
    }
    for (w, h, m) in cluttered {
        f.push((
            "off-centre-clutter",
            format!("{w}x{h}-{m}px"),
            Box::new(move |s, seed| {
                let mut r = Rng::new(seed);
                let side = (s.n + 8) as f32 * m;
                let cx = r.range(side * 0.6, side * 1.2);
                let cy = h as f32 - r.range(side * 0.6, side * 1.0);
                let mut p = Placement::new(s, cx.min(w as f32 - side), cy.max(side * 0.6), m);
                p.angle = r.range(-10.0, 10.0);
                let mut sc = Scene::new(w, h, vec![p]);
                sc.clutter = true;
                sc.noise = 4.0;
                sc
            }),
        ));
    }
    for (label, spx, tilt, blur) in [
        ("pitch3.3", 3.3f32, 0.1f32, 0.6f32),
        ("pitch2.6-tilt", 2.6, 0.2, 0.8),
        ("pitch1.8-blur", 1.8, 0.15, 1.2),
    ] {
        f.push((
            "screen-photo",
            label.into(),
            Box::new(move |s, _| {
                let mut sc = Scene::around(s, 5.0);
                let side = (sc.w as f32 * 1.2) as usize;
                sc.w = side;
                sc.h = side;
                let p = &mut sc.codes[0];
                p.cx = side as f32 / 2.0;
                p.cy = side as f32 / 2.0;
                p.screen_px = spx;
                p.tilt = tilt;
                p.angle = -6.0;
                p.ink = (45.0, 215.0);
                sc.blur = blur;
                sc.noise = 6.0;
                sc.gradient = 0.2;
                sc.jpeg = 70;
                sc
            }),
        ));
    }
    let photos: Vec<(&str, f32, f32, f32, f32, f32, f32, u8)> = vec![
        // label, module px, angle, tilt, blur, noise, contrast, jpeg
        (
            "rot15-blur1-noise15-q50",
            4.0,
            15.0,
            0.0,
            1.0,
            15.0,
            1.0,
            50,
        ),
        (
            "rot25-tilt-blur-lowc-q40",
            3.5,
            25.0,
            0.2,
            1.0,
            8.0,
            0.5,
            40,
        ),
    ];
    for (label, m, a, t, b, n, c, q) in photos {
        f.push((
            "photo",
            label.into(),
            Box::new(move |s, seed| {
                let (w, h) = (1280usize, 960usize);
                let mut p = Placement::new(s, w as f32 * 0.45, h as f32 * 0.55, m);
                p.angle = a;
                p.tilt = t;
                let mut sc = Scene::new(w, h, vec![p]);
                sc.clutter = true;
                sc.blur = b;
                sc.noise = n;
                sc.contrast = c;
                sc.gradient = 0.25;
                sc.jpeg = q;
                sc.seed = seed;
                sc
            }),
        ));
    }
    if full {
        // A 12-megapixel phone photo: the code large, slightly rotated and blurred.
        f.push((
            "large-photo",
            "4032x3024".into(),
            Box::new(move |s, seed| {
                let (w, h) = (4032usize, 3024usize);
                let m = 1800.0 / (s.n + 8) as f32;
                let mut p = Placement::new(s, w as f32 * 0.55, h as f32 * 0.45, m);
                p.angle = 12.0;
                p.tilt = 0.1;
                let mut sc = Scene::new(w, h, vec![p]);
                sc.clutter = true;
                sc.blur = 1.5;
                sc.noise = 6.0;
                sc.gradient = 0.2;
                sc.jpeg = 80;
                sc.seed = seed;
                sc
            }),
        ));
    }
    for (label, rot, noise, variant) in [
        ("clean", 0.0f32, 0.0f32, ""),
        ("rot10-noise15", 10.0, 15.0, ""),
        ("mixed-sizes", 0.0, 5.0, "mixed"),
        ("one-over-another", 5.0, 5.0, "overlap"),
    ] {
        f.push((
            "two-codes",
            label.into(),
            Box::new(move |s, _| {
                let mut p = Placement::new(s, 0.0, 0.0, 4.0);
                p.angle = rot;
                let mut sc = Scene::new(1, 1, vec![p]);
                sc.noise = noise;
                sc.variant = variant;
                sc
            }),
        ));
    }
    for (label, w, h) in [
        ("clutter-640", 640usize, 480usize),
        ("clutter-1280", 1280, 960),
    ] {
        f.push((
            "no-code",
            label.into(),
            Box::new(move |s, _| {
                let mut sc = Scene::new(w, h, vec![Placement::new(s, 0.0, 0.0, 1.0)]);
                sc.clutter = true;
                sc.noise = 5.0;
                sc
            }),
        ));
    }
    f
}

/// The benchmark's photos: a 1280×960 picture with the code upright at 6 px/module on a
/// cluttered desk (clean), or rotated, tilted, blurred, noisy and JPEG-compressed (degraded).
pub fn bench_photo(text: &str, degraded: bool) -> Vec<u8> {
    let sym = Symbol::new(text, EcLevel::M);
    let (w, h) = (1280usize, 960usize);
    let mut p = Placement::new(&sym, w as f32 * 0.5, h as f32 * 0.5, 6.0);
    let mut sc = Scene::new(w, h, vec![]);
    sc.clutter = true;
    sc.noise = 3.0;
    sc.seed = 7;
    if degraded {
        p.module = 5.0;
        p.angle = 17.0;
        p.tilt = 0.15;
        sc.blur = 1.0;
        sc.noise = 12.0;
        sc.contrast = 0.6;
        sc.gradient = 0.3;
        sc.jpeg = 45;
    }
    sc.codes.push(p);
    sc.encode().0
}
