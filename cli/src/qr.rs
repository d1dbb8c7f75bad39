//! `vpass qr encode`, and the QR rendering shared with `present`.

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
    }
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
