//! Raw DEFLATE (RFC 1951) with the VP1 preset dictionary, and a bounded, exact inflate.
//!
//! The dictionary primes the 32 KiB sliding window the way zlib's `deflateSetDictionary` /
//! `inflateSetDictionary` do on a raw stream (window bits −15): the compressed data may refer
//! back into it, and it is not part of the output. flate2 offers `set_dictionary` only with a
//! zlib-family backend, hence its pure-Rust `zlib-rs` feature (miniz_oxide, flate2's default,
//! has no preset dictionary for compression).

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::error::{Code, Error, Result};
use crate::limits::MAX_ENVELOPE_INFLATED;

/// The VP1 preset dictionary (docs/formats.md gives its SHA-256). One line, no newline.
pub(crate) const DICTIONARY_V1: &[u8] = include_bytes!("dict-v1.txt");

fn malformed(what: &'static str) -> Error {
    Error::field(Code::MalformedEnvelope, what)
}

/// Compress `data` as one raw DEFLATE stream primed with `dictionary`.
pub(crate) fn compress(data: &[u8], dictionary: &[u8]) -> Result<Vec<u8>> {
    let mut c = Compress::new(Compression::best(), false);
    c.set_dictionary(dictionary)
        .map_err(|_| malformed("deflate"))?;
    // Stored blocks cost at most 5 bytes per 64 KiB, plus the Huffman worst case: ample room.
    let mut out = Vec::with_capacity(data.len() + data.len() / 8 + 64);
    match c.compress_vec(data, &mut out, FlushCompress::Finish) {
        Ok(Status::StreamEnd) => Ok(out),
        _ => Err(malformed("deflate")),
    }
}

/// Inflate one raw DEFLATE stream primed with `dictionary` from the start of `data`. Returns
/// the inflated bytes and the bytes after the end of the stream (the envelope tail). Output
/// is capped at `MAX_ENVELOPE_INFLATED`: inflating stops one byte past the cap, so hostile
/// input costs bounded memory and time. A stream that is cut short, malformed, or refers
/// before the dictionary gives `MALFORMED_ENVELOPE`.
pub(crate) fn inflate<'a>(data: &'a [u8], dictionary: &[u8]) -> Result<(Vec<u8>, &'a [u8])> {
    let mut d = Decompress::new(false);
    d.set_dictionary(dictionary)
        .map_err(|_| malformed("deflate"))?;
    let mut out = Vec::with_capacity(MAX_ENVELOPE_INFLATED + 1);
    let status = d.decompress_vec(data, &mut out, FlushDecompress::Finish);
    if out.len() > MAX_ENVELOPE_INFLATED {
        return Err(Error::limit(
            Code::DecompressedTooLarge,
            "envelope",
            MAX_ENVELOPE_INFLATED,
            out.len(),
        ));
    }
    match status {
        Ok(Status::StreamEnd) => {
            let used = usize::try_from(d.total_in()).map_err(|_| malformed("deflate"))?;
            let rest = data.get(used..).ok_or_else(|| malformed("deflate"))?;
            Ok((out, rest))
        }
        // Input ran out before the final block ended.
        Ok(_) => Err(malformed("truncated_stream")),
        Err(_) => Err(malformed("deflate")),
    }
}
