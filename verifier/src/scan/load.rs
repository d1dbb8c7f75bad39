//! Image bytes → grey pixels, with every limit checked before the pixels are decoded.

use std::io::Cursor;

use image::{ImageDecoder, ImageFormat, ImageReader, Limits};

use super::{Gray, ScanError};

/// The largest image file accepted (32 MiB: a 12-megapixel phone JPEG is 3–8 MiB).
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;
/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// The most pixels accepted (40 megapixels: an A4 page scanned at 600 dpi is 35).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The most memory the image decoder may allocate for the decoded picture and its buffers
/// (40 Mpx of 8-bit RGBA is 160 MiB; 16-bit RGBA is 320 MiB).
pub const MAX_ALLOC: u64 = 384 * 1024 * 1024;

/// Check a width and height against [`MAX_SIDE`] and [`MAX_PIXELS`].
pub(super) fn check_dimensions(width: u32, height: u32) -> Result<(), ScanError> {
    if width == 0 || height == 0 {
        return Err(ScanError::NotAnImage {
            reason: "the image has no pixel",
        });
    }
    for (what, value) in [("width", width), ("height", height)] {
        if value > MAX_SIDE {
            return Err(ScanError::ImageTooLarge {
                what,
                value: u64::from(value),
                limit: u64::from(MAX_SIDE),
            });
        }
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(ScanError::ImageTooLarge {
            what: "pixels",
            value: pixels,
            limit: MAX_PIXELS,
        });
    }
    Ok(())
}

/// Decode a PNG, JPEG or WebP file to grey pixels.
///
/// Order of checks: byte length; format from the content (not a name); width, height and
/// pixel count from the header; the decoder's own allocation limit; then the pixels.
pub fn load_gray(bytes: &[u8]) -> Result<Gray, ScanError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ScanError::ImageTooLarge {
            what: "bytes",
            value: bytes.len() as u64,
            limit: MAX_IMAGE_BYTES as u64,
        });
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => f,
        Ok(_) => {
            return Err(ScanError::NotAnImage {
                reason: "unsupported image format (use PNG, JPEG or WebP)",
            })
        }
        Err(_) => {
            return Err(ScanError::NotAnImage {
                reason: "not a PNG, JPEG or WebP file",
            })
        }
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    // Reads the header only; the width/height limits apply here.
    let decoder = reader.into_decoder().map_err(image_error)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height)?;
    let total = decoder.total_bytes();
    if total > MAX_ALLOC {
        return Err(ScanError::ImageTooLarge {
            what: "decoded bytes",
            value: total,
            limit: MAX_ALLOC,
        });
    }
    let picture = image::DynamicImage::from_decoder(decoder).map_err(image_error)?;
    let luma = picture.into_luma8();
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    Ok(Gray {
        w,
        h,
        px: luma.into_raw(),
    })
}

fn image_error(e: image::ImageError) -> ScanError {
    match e {
        image::ImageError::Limits(l) => match l.kind() {
            image::error::LimitErrorKind::DimensionError => ScanError::ImageTooLarge {
                what: "width or height",
                value: 0,
                limit: u64::from(MAX_SIDE),
            },
            _ => ScanError::ImageTooLarge {
                what: "decoded bytes",
                value: 0,
                limit: MAX_ALLOC,
            },
        },
        image::ImageError::Unsupported(_) => ScanError::NotAnImage {
            reason: "an image feature this reader does not support",
        },
        _ => ScanError::NotAnImage {
            reason: "the image data is damaged or truncated",
        },
    }
}
