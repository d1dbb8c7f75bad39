//! `vpass qr encode` and `vpass qr decode`, the QR rendering shared with `present`, and the
//! image reading shared with `verify --image`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use qrcode::{EcLevel, QrCode};

#[derive(Debug, Subcommand)]
pub enum QrCmd {
    /// Write TEXT as a QR code image (PNG, error correction M).
    Encode {
        /// The text to encode (QR envelope text or any other text).
        text: String,
        /// The PNG file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Read the QR codes in a photo, scan or screenshot (PNG, JPEG or WebP): prints each
    /// code's text, one per line.
    Decode {
        /// The image file, or `-` for standard input.
        image: PathBuf,
    },
}

pub fn run(cmd: QrCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        QrCmd::Encode { text, out } => {
            let version = write_png(&text, &out)?;
            eprintln!(
                "wrote {} (QR version {version}, level M, {} chars)",
                out.display(),
                text.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        QrCmd::Decode { image } => {
            let bytes = read_image(&image)?;
            match vpass_verifier::scan::decode_image(&bytes) {
                Ok(texts) => {
                    for t in &texts {
                        println!("{t}");
                    }
                    if texts.len() > 1 {
                        eprintln!("{} QR codes found", texts.len());
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    let lang = vpass_verifier::i18n::Lang::from_env();
                    eprintln!("vpass: {} [{}]", e.message(lang), e.code());
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

/// Read an image file (or standard input for `-`), at most one byte over the scanner's
/// size limit so that an oversized file is refused by the scanner with its code.
pub fn read_image(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let cap = vpass_verifier::scan::MAX_IMAGE_BYTES as u64 + 1;
    let mut buf = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(cap)
            .read_to_end(&mut buf)
            .context("reading standard input")?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("opening {}", path.display()))?
            .take(cap)
            .read_to_end(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(buf)
}

/// The QR version (1–40) a text needs at level M.
pub fn version_for(text: &str) -> anyhow::Result<i16> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .context("the text is too long for one QR code")?;
    Ok(match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    })
}

/// Render `text` as a PNG QR code (level M, 8 px per module, quiet zone); returns the version.
pub fn write_png(text: &str, out: &Path) -> anyhow::Result<i16> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .context("the text is too long for one QR code")?;
    let image = code
        .render::<image::Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(8, 8)
        .build();
    let mut png = Vec::new();
    image::DynamicImage::ImageLuma8(image)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .context("encoding PNG")?;
    crate::write_file(&out.to_path_buf(), &png, false)?;
    Ok(match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    })
}
