//! The binary body of a VP1 envelope (docs/formats.md, "The QR envelope (VP1)"): a token split
//! into its parts, each base64url-decoded, and serialized as a *head* (form byte, lengths,
//! the text parts with long base64url strings cut out, extraction codes) and a *tail* (the
//! signature bytes and the cut-out strings' bytes, in token order).
//!
//! Reading goes through [`Reader`], which only uses checked slicing and refuses non-minimal or
//! overflowing varints and lengths past the end; leftover codes, tail bytes or head bytes are
//! refused too.

use crate::b64;
use crate::error::{Code, Error, Result};
use crate::limits::{MAX_DISCLOSURES, MAX_TOKEN};

/// The three shapes a token may have; the value is the form byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `h.p.s`
    Jws = 0,
    /// `h.p.s~d1~…~dn~` (n ≥ 0)
    SdJwt = 1,
    /// `h.p.s~d1~…~dn~kh.kp.ks`
    SdJwtKb = 2,
}

/// A compact JWS, each segment base64url-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Jws {
    pub header: Vec<u8>,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

/// A token split into decoded parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parts {
    pub form: Form,
    pub jws: Jws,
    pub disclosures: Vec<Vec<u8>>,
    pub kb: Option<Jws>,
}

fn malformed(what: &'static str) -> Error {
    Error::field(Code::MalformedEnvelope, what)
}

/// Decode one segment and make sure that re-encoding gives the very same text, so that the
/// envelope can promise a byte-exact round trip.
fn segment(text: &str, what: &'static str) -> Result<Vec<u8>> {
    let bytes = b64::decode(text, what)?;
    if b64::encode(&bytes) != text {
        return Err(Error::field(Code::Base64Invalid, what));
    }
    Ok(bytes)
}

fn split_jws(text: &str, what: &'static str) -> Result<Jws> {
    let mut it = text.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(Error::field(Code::MalformedJws, what));
    };
    Ok(Jws {
        header: segment(h, "header")?,
        payload: segment(p, "payload")?,
        signature: segment(s, "signature")?,
    })
}

impl Parts {
    /// Split a compact JWS, SD-JWT or SD-JWT+KB into decoded parts.
    pub(crate) fn from_token(token: &str) -> Result<Parts> {
        if token.len() > MAX_TOKEN {
            return Err(Error::limit(
                Code::PayloadTooLarge,
                "token",
                MAX_TOKEN,
                token.len(),
            ));
        }
        let Some((issuer, rest)) = token.split_once('~') else {
            return Ok(Parts {
                form: Form::Jws,
                jws: split_jws(token, "jws")?,
                disclosures: Vec::new(),
                kb: None,
            });
        };
        let jws = split_jws(issuer, "jws")?;
        let mut items: Vec<&str> = rest.split('~').collect();
        // `split` yields at least one item; the last is the KB-JWT, or empty when there is none.
        let last = items.pop().unwrap_or_default();
        if items.len() > MAX_DISCLOSURES {
            return Err(Error::limit(
                Code::SdTooMany,
                "disclosures",
                MAX_DISCLOSURES,
                items.len(),
            ));
        }
        let disclosures = items
            .iter()
            .map(|d| segment(d, "disclosure"))
            .collect::<Result<Vec<_>>>()?;
        let (form, kb) = if last.is_empty() {
            (Form::SdJwt, None)
        } else {
            (Form::SdJwtKb, Some(split_jws(last, "kb_jwt")?))
        };
        Ok(Parts {
            form,
            jws,
            disclosures,
            kb,
        })
    }

    /// The token text again: canonical base64url of each part, joined with `.` and `~`.
    pub(crate) fn to_token(&self) -> String {
        let mut out = jws_text(&self.jws);
        if self.form == Form::Jws {
            return out;
        }
        out.push('~');
        for d in &self.disclosures {
            out.push_str(&b64::encode(d));
            out.push('~');
        }
        if let Some(kb) = &self.kb {
            out.push_str(&jws_text(kb));
        }
        out
    }

    /// Serialize as head and tail (docs/formats.md): the head holds the structure and the
    /// text parts with random-looking strings cut out; the tail holds the bytes of those
    /// strings and of the signatures, in token order.
    pub(crate) fn to_head_tail(&self) -> (Vec<u8>, Vec<u8>) {
        let mut w = Writer::default();
        w.head.push(self.form as u8);
        w.jws(&self.jws);
        if self.form != Form::Jws {
            put_varint(&mut w.head, self.disclosures.len());
            for d in &self.disclosures {
                w.text(d);
            }
        }
        if let Some(kb) = &self.kb {
            w.jws(kb);
        }
        let Writer {
            mut head,
            tail,
            codes,
        } = w;
        put_varint(&mut head, codes.len());
        for c in codes {
            put_varint(&mut head, c);
        }
        (head, tail)
    }

    /// Parse the head from `head`, then rebuild every part from it and `tail`. With
    /// `head_exact`, the head must end exactly at the end of `head` (the DEFLATE case);
    /// otherwise whatever follows the head is the tail (the stored case, `tail` empty).
    pub(crate) fn from_head_tail(head: &[u8], tail: &[u8], head_exact: bool) -> Result<Parts> {
        let mut r = Reader(head);
        let form = match r.byte()? {
            0 => Form::Jws,
            1 => Form::SdJwt,
            2 => Form::SdJwtKb,
            _ => return Err(malformed("form")),
        };
        let mut items = vec![Item::Text(r.bytes()?), Item::Text(r.bytes()?)];
        items.push(Item::Signature(r.varint()?));
        let mut count = 0;
        if form != Form::Jws {
            count = r.varint()?;
            if count > MAX_DISCLOSURES {
                return Err(Error::limit(
                    Code::MalformedEnvelope,
                    "disclosures",
                    MAX_DISCLOSURES,
                    count,
                ));
            }
            for _ in 0..count {
                items.push(Item::Text(r.bytes()?));
            }
        }
        if form == Form::SdJwtKb {
            items.push(Item::Text(r.bytes()?));
            items.push(Item::Text(r.bytes()?));
            items.push(Item::Signature(r.varint()?));
        }
        let n = r.varint()?;
        let mut codes = Vec::new();
        for _ in 0..n {
            codes.push(r.varint()?);
        }
        let tail = if head_exact {
            if !r.0.is_empty() {
                return Err(malformed("trailing_bytes"));
            }
            tail
        } else {
            r.0
        };
        let mut codes = codes.into_iter();
        let mut tail = Reader(tail);
        let mut parts = Vec::with_capacity(items.len());
        for item in items {
            parts.push(match item {
                Item::Text(text) => insert(text, &mut codes, &mut tail)?,
                Item::Signature(len) => tail.take(len)?.to_vec(),
            });
        }
        if codes.next().is_some() {
            return Err(malformed("codes"));
        }
        if !tail.0.is_empty() {
            return Err(malformed("trailing_bytes"));
        }
        let mut parts = parts.into_iter();
        let mut next = || parts.next().ok_or_else(|| malformed("parts"));
        let issuer = Jws {
            header: next()?,
            payload: next()?,
            signature: next()?,
        };
        let disclosures = (0..count).map(|_| next()).collect::<Result<Vec<_>>>()?;
        let kb = match form {
            Form::SdJwtKb => Some(Jws {
                header: next()?,
                payload: next()?,
                signature: next()?,
            }),
            _ => None,
        };
        Ok(Parts {
            form,
            jws: issuer,
            disclosures,
            kb,
        })
    }
}

/// Builds head, tail and the extraction codes together.
#[derive(Default)]
struct Writer {
    head: Vec<u8>,
    tail: Vec<u8>,
    codes: Vec<usize>,
}

impl Writer {
    fn text(&mut self, bytes: &[u8]) {
        let text = extract(bytes, &mut self.codes, &mut self.tail);
        put_bytes(&mut self.head, &text);
    }

    fn signature(&mut self, bytes: &[u8]) {
        put_varint(&mut self.head, bytes.len());
        self.tail.extend_from_slice(bytes);
    }

    fn jws(&mut self, jws: &Jws) {
        self.text(&jws.header);
        self.text(&jws.payload);
        self.signature(&jws.signature);
    }
}

/// A part as the head describes it.
enum Item<'a> {
    /// A text part with extracted strings cut out.
    Text(&'a [u8]),
    /// A signature: its length; the bytes are in the tail.
    Signature(usize),
}

/// Lengths (in characters) of the strings the encoder cuts out: base64url of 16, 32 and 64
/// bytes (salts, nonces, digests, `sd_hash`, key coordinates). An encoder choice only: the
/// decoder accepts any length.
const EXTRACT_LENGTHS: [usize; 3] = [22, 43, 86];

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Cut out of `text` every string `"<s>"` where `s` is canonical base64url of a length in
/// [`EXTRACT_LENGTHS`], leaving `""`; push one code per `""` of the result (0: an empty
/// string that was there already; n: n bytes appended to `tail`).
fn extract(text: &[u8], codes: &mut Vec<usize>, tail: &mut Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some((&b, after)) = rest.split_first() {
        if b == b'"' {
            if let Some((bytes, after_quote)) = extractable(after) {
                out.extend_from_slice(b"\"\"");
                codes.push(bytes.len());
                tail.extend_from_slice(&bytes);
                rest = after_quote;
                continue;
            }
            if let Some(after_pair) = after.strip_prefix(b"\"") {
                out.extend_from_slice(b"\"\"");
                codes.push(0);
                rest = after_pair;
                continue;
            }
        }
        out.push(b);
        rest = after;
    }
    out
}

/// When `s` (what follows an opening quote) starts with the content of a string to cut out
/// and its closing quote: the decoded bytes and what follows the closing quote.
fn extractable(s: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let run = s.iter().take_while(|c| is_b64url(**c)).count();
    if !EXTRACT_LENGTHS.contains(&run) {
        return None;
    }
    let (content, after) = s.split_at_checked(run)?;
    let after_quote = after.strip_prefix(b"\"")?;
    Some((canonical_b64(content)?, after_quote))
}

fn canonical_b64(s: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(s).ok()?;
    let bytes = b64::decode(text, "string").ok()?;
    (b64::encode(&bytes) == text).then_some(bytes)
}

/// The inverse of [`extract`]: each `""` (leftmost, non-overlapping) takes the next code;
/// a code n > 0 puts base64url of the next n tail bytes between the quotes.
fn insert(
    text: &[u8],
    codes: &mut impl Iterator<Item = usize>,
    tail: &mut Reader<'_>,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(b"\"\"".as_slice()) {
            let n = codes.next().ok_or_else(|| malformed("codes"))?;
            out.push(b'"');
            if n > 0 {
                out.extend_from_slice(b64::encode(tail.take(n)?).as_bytes());
            }
            out.push(b'"');
            rest = after;
        } else if let Some((&b, after)) = rest.split_first() {
            out.push(b);
            rest = after;
        }
    }
    Ok(out)
}

fn jws_text(jws: &Jws) -> String {
    format!(
        "{}.{}.{}",
        b64::encode(&jws.header),
        b64::encode(&jws.payload),
        b64::encode(&jws.signature)
    )
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Unsigned LEB128: seven bits a byte, least significant group first, high bit = more.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Longest varint accepted: four bytes hold 28 bits, far above any envelope size.
const MAX_VARINT_BYTES: usize = 4;

/// A cursor over untrusted bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8> {
        let (&b, rest) = self.0.split_first().ok_or_else(|| malformed("truncated"))?;
        self.0 = rest;
        Ok(b)
    }

    /// A minimal unsigned LEB128 of at most [`MAX_VARINT_BYTES`] bytes.
    fn varint(&mut self) -> Result<usize> {
        let mut n = 0usize;
        for i in 0..MAX_VARINT_BYTES {
            let b = self.byte()?;
            n |= usize::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                // A last group of zero (other than the value 0 itself) is a non-minimal form.
                if b == 0 && i > 0 {
                    return Err(malformed("varint"));
                }
                return Ok(n);
            }
        }
        Err(malformed("varint"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8]> {
        let (head, rest) = self
            .0
            .split_at_checked(len)
            .ok_or_else(|| malformed("length"))?;
        self.0 = rest;
        Ok(head)
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let len = self.varint()?;
        self.take(len)
    }
}
