//! Strict base45 (RFC 9285), written by hand.
//!
//! Why not the `base45` crate: version 3.2.0 accepts a final pair whose value exceeds 255
//! (`"ZZ"` = 1610 decodes to `0x4A`), which RFC 9285 §4.2 and §6 require a decoder to refuse.
//! Wrapping it would mean re-implementing that check around it; the whole codec is shorter
//! than the wrapper would be. The crate stays as a dev-dependency oracle for the encoder.
//!
//! Decoding refuses, with `BASE45_INVALID`: a length ≡ 1 (mod 3), any character outside the
//! 45-character alphabet (lowercase, `=`, newline, …), a triplet above 65535 and a final pair
//! above 255. Space is part of the alphabet and is never trimmed. Every byte string therefore
//! has exactly one accepted text form.

use crate::error::{Code, Error, Result};

/// The RFC 9285 §4 alphabet, which is also the QR code alphanumeric character set.
const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Encode bytes as base45: each pair of bytes as three characters, a last odd byte as two.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let mut push = |n: u32| {
        // `n % 45 < 45`, so the lookup cannot miss.
        let c = ALPHABET.get((n % 45) as usize).copied().unwrap_or(b'0');
        out.push(char::from(c));
    };
    for chunk in bytes.chunks(2) {
        match *chunk {
            [a, b] => {
                let n = u32::from(a) << 8 | u32::from(b);
                push(n);
                push(n / 45);
                push(n / (45 * 45));
            }
            [a] => {
                let n = u32::from(a);
                push(n);
                push(n / 45);
            }
            _ => {}
        }
    }
    out
}

/// Decode strict base45, or fail with `BASE45_INVALID`.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    let bad = || Error::field(Code::Base45Invalid, "envelope");
    let input = text.as_bytes();
    if input.len() % 3 == 1 {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(input.len() / 3 * 2 + 1);
    for chunk in input.chunks(3) {
        match *chunk {
            [c, d, e] => {
                let n = value(c).ok_or_else(bad)?
                    + value(d).ok_or_else(bad)? * 45
                    + value(e).ok_or_else(bad)? * 45 * 45;
                let n = u16::try_from(n).map_err(|_| bad())?;
                out.extend_from_slice(&n.to_be_bytes());
            }
            [c, d] => {
                let n = value(c).ok_or_else(bad)? + value(d).ok_or_else(bad)? * 45;
                out.push(u8::try_from(n).map_err(|_| bad())?);
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// The value of one base45 character, `None` outside the alphabet.
fn value(c: u8) -> Option<u32> {
    let v = match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'Z' => c - b'A' + 10,
        b' ' => 36,
        b'$' => 37,
        b'%' => 38,
        b'*' => 39,
        b'+' => 40,
        b'-' => 41,
        b'.' => 42,
        b'/' => 43,
        b':' => 44,
        _ => return None,
    };
    Some(u32::from(v))
}
