//! Strict base64url (RFC 4648 §5) without padding, as JOSE requires (RFC 7515 §2).
//!
//! Decoding refuses padding, `+` `/`, whitespace and non-zero trailing bits, so that each
//! byte string has exactly one accepted text form. SD-JWT digests are taken over the encoded
//! text (RFC 9901 §4.2.3), and the QR envelope rebuilds tokens from decoded bytes, so both rely
//! on this uniqueness.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{Code, Error, Result};

/// Encode bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decode canonical unpadded base64url, or fail with `BASE64_INVALID` naming `what`.
pub fn decode(text: &str, what: &'static str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| Error::field(Code::Base64Invalid, what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_padding_plus_slash_whitespace_and_trailing_bits() {
        assert_eq!(decode("QUI", "t").unwrap(), b"AB");
        for bad in ["QUI=", "QU+I", "QU/I", "QU I", "QUJ", " QUI", "Q"] {
            assert_eq!(
                decode(bad, "t").unwrap_err().code(),
                Code::Base64Invalid,
                "{bad}"
            );
        }
    }
}
