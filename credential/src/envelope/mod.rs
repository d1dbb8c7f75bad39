//! The QR envelope: a compact, reversible text form of a compact JWS, SD-JWT or SD-JWT+KB
//! that fits in a QR code in alphanumeric mode. docs/formats.md, "The QR envelope (VP1)", is
//! the normative specification, with test vectors.
//!
//! ```text
//! VP1:<base45(body)>
//! body = flag rest        flag 0x00: rest = head ‖ tail
//!                         flag 0x01: rest = raw DEFLATE(head, VP1 dictionary) ‖ tail
//! head = form, each part's length and text, signature lengths, extraction codes
//! tail = signature bytes and the bytes of long base64url strings cut out of the text
//! ```
//!
//! Design, in short (measurements in docs/formats.md):
//! - Every segment of the token is base64url-decoded first: base64url spends 8 bits on 6,
//!   which DEFLATE cannot win back on random bytes. Our JOSE code accepts only canonical
//!   unpadded base64url, so re-encoding restores the exact text; [`encode`] refuses anything
//!   it could not restore byte for byte, and checks its own output by decoding it.
//! - Random bytes skip compression: signatures, and the 16/32/64-byte base64url strings
//!   inside the JSON (salts, nonces, digests, `sd_hash`, key coordinates), which the encoder
//!   cuts out leaving `""` and moves to the tail. In the fixed-Huffman blocks DEFLATE picks
//!   for bodies this small, a base64url character costs 8 bits as a literal but carries 6,
//!   so the tail saves a quarter of each such string.
//! - Raw DEFLATE with a fixed preset dictionary (`dict-v1.txt`): the strings every credential
//!   repeats, plus common Kazakh, Russian and English words. DEFLATE because every platform
//!   has it (zlib `inflateSetDictionary` on a raw stream); zstd with the same dictionary was
//!   slightly larger. The stored flag is used when compression does not help.
//! - base45 (RFC 9285): its alphabet is the QR alphanumeric set, 5.5 bits per character in
//!   the symbol against 8 in byte mode.
//!
//! [`decode`] is a security boundary (untrusted QR text). It checks the length before
//! anything else, inflates with a hard output cap, reads with checked slicing only, and
//! refuses trailing data at every level. A signature of the wrong length is carried as is:
//! the envelope is a transport and does not judge the token; the JWS verifier rejects it.
//!
//! ```
//! use vpass_credential::{envelope, jose, keys::SigningKey};
//! let key = SigningKey::from_seed(&[7; 32]);
//! let token = jose::sign_json(&key, Some("vc+jwt"), &serde_json::json!({"hours": 48}));
//! let text = envelope::encode(&token).unwrap();
//! assert!(text.starts_with("VP1:") && envelope::is_envelope(&text));
//! assert_eq!(envelope::decode(&text).unwrap(), token);
//! ```

mod base45;
mod body;
mod deflate;
#[cfg(test)]
mod tests;

use crate::error::{Code, Error, Result};
use crate::limits::{MAX_ENVELOPE_INFLATED, MAX_QR_TEXT, MAX_TOKEN};

use body::Parts;

/// The prefix of a version-1 envelope (all characters are QR alphanumeric).
pub const PREFIX: &str = "VP1:";

/// Body flag: head and tail follow as they are.
const FLAG_STORED: u8 = 0x00;
/// Body flag: the head is one raw DEFLATE stream primed with the VP1 dictionary; the tail
/// follows the end of the stream.
const FLAG_DEFLATE_DICT_V1: u8 = 0x01;

/// Longest prefix-like head that [`is_envelope`] recognises (`VP1`, `HC1`, …).
const MAX_PREFIX_NAME: usize = 8;

/// Encode a compact JWS (`h.p.s`), SD-JWT (`h.p.s~d1~…~`) or SD-JWT+KB
/// (`h.p.s~d1~…~kh.kp.ks`) as `VP1:` + base45.
///
/// Fails, rather than change the token, when a segment is not canonical unpadded base64url
/// (`BASE64_INVALID`), a JWS has not exactly three segments (`MALFORMED_JWS`), there are more
/// than `limits::MAX_DISCLOSURES` disclosures (`SD_TOO_MANY`), or the token or the envelope
/// is larger than [`decode`] accepts (`PAYLOAD_TOO_LARGE`).
pub fn encode(token: &str) -> Result<String> {
    let (head, tail) = Parts::from_token(token)?.to_head_tail();
    if head.len() > MAX_ENVELOPE_INFLATED {
        return Err(Error::limit(
            Code::PayloadTooLarge,
            "envelope",
            MAX_ENVELOPE_INFLATED,
            head.len(),
        ));
    }
    let compressed = deflate::compress(&head, deflate::DICTIONARY_V1)?;
    let (flag, head) = if compressed.len() < head.len() {
        (FLAG_DEFLATE_DICT_V1, compressed)
    } else {
        (FLAG_STORED, head)
    };
    let mut body = Vec::with_capacity(1 + head.len() + tail.len());
    body.push(flag);
    body.extend_from_slice(&head);
    body.extend_from_slice(&tail);
    let text = format!("{PREFIX}{}", base45::encode(&body));
    if text.len() > MAX_QR_TEXT {
        return Err(Error::limit(
            Code::PayloadTooLarge,
            "envelope",
            MAX_QR_TEXT,
            text.len(),
        ));
    }
    // The promise is a byte-exact round trip; check it rather than trust it.
    if decode(&text)? != token {
        return Err(Error::field(Code::MalformedEnvelope, "round_trip"));
    }
    Ok(text)
}

/// Decode envelope text back to the exact token. The token is *not* verified: pass it to the
/// JWS / SD-JWT verifier next.
///
/// Refuses: text longer than `limits::MAX_QR_TEXT` (`PAYLOAD_TOO_LARGE`, checked first); a
/// missing or other prefix (`UNSUPPORTED_VERSION`); bad base45 (`BASE45_INVALID`); content
/// that inflates past `limits::MAX_ENVELOPE_INFLATED` (`DECOMPRESSED_TOO_LARGE`); any broken
/// structure, unknown flag or form, trailing data or too many disclosures
/// (`MALFORMED_ENVELOPE`).
pub fn decode(text: &str) -> Result<String> {
    if text.len() > MAX_QR_TEXT {
        return Err(Error::limit(
            Code::PayloadTooLarge,
            "envelope",
            MAX_QR_TEXT,
            text.len(),
        ));
    }
    let Some(encoded) = text.strip_prefix(PREFIX) else {
        let head = text.split_once(':').map_or("", |(head, _)| head);
        return Err(Error::value(Code::UnsupportedVersion, "prefix", head));
    };
    let body = base45::decode(encoded)?;
    let (&flag, rest) = body
        .split_first()
        .ok_or(Error::field(Code::MalformedEnvelope, "flag"))?;
    let parts = match flag {
        FLAG_STORED => Parts::from_head_tail(rest, &[], false)?,
        FLAG_DEFLATE_DICT_V1 => {
            let (head, tail) = deflate::inflate(rest, deflate::DICTIONARY_V1)?;
            Parts::from_head_tail(&head, tail, true)?
        }
        _ => return Err(Error::field(Code::MalformedEnvelope, "flag")),
    };
    let token = parts.to_token();
    if token.len() > MAX_TOKEN {
        return Err(Error::limit(
            Code::PayloadTooLarge,
            "token",
            MAX_TOKEN,
            token.len(),
        ));
    }
    Ok(token)
}

/// Whether `text` should go to [`decode`] rather than to a token parser: it starts with a
/// prefix-like head (1 to 8 ASCII letters or digits, then `:`). Compact JWS and SD-JWT never
/// contain `:`, so this also routes foreign or future prefixes (`VP9:`, `HC1:`, `vp1:`) to
/// [`decode`], which refuses them with `UNSUPPORTED_VERSION`. It does not mean that decoding
/// will succeed.
pub fn is_envelope(text: &str) -> bool {
    text.split_once(':').is_some_and(|(head, _)| {
        (1..=MAX_PREFIX_NAME).contains(&head.len())
            && head.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}
