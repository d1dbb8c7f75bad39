//! The QR envelope (in progress on another branch).
use crate::error::{Code, Error, Result};
/// Decode envelope text.
pub fn decode(_text: &str) -> Result<String> {
    Err(Error::new(Code::UnsupportedVersion))
}
/// Encode a token.
pub fn encode(_token: &str) -> Result<String> {
    Err(Error::new(Code::UnsupportedVersion))
}
