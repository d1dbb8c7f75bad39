//! Unit tests of the envelope internals: one `reject_*` test per refusal, built from
//! hand-made bodies, and the RFC 9285 vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

use flate2::{Compress, Compression, FlushCompress};
use proptest::prelude::*;
use serde_json::Value;

use super::body::put_varint;
use super::*;
use crate::b64;
use crate::keys::SigningKey;

/// A small SD-JWT+KB with one disclosure, signed for real.
fn sample_token() -> String {
    let office = SigningKey::from_seed(&[1; 32]);
    let holder = SigningKey::from_seed(&[2; 32]);
    let salt = b64::encode([9u8; 16]);
    let disclosure = b64::encode(format!(r#"["{salt}","hours",48]"#));
    let payload = serde_json::json!({"iss": "did:web:office.example", "_sd": [b64::encode([3u8; 32])],
        "_sd_alg": "sha-256"});
    let jws = crate::jose::sign_json(&office, Some("dc+sd-jwt"), &payload);
    let kb = serde_json::json!({"iat": 1_781_481_600, "aud": "https://hr.example.kz",
        "nonce": b64::encode([4u8; 16]), "sd_hash": b64::encode([5u8; 32])});
    format!(
        "{jws}~{disclosure}~{}",
        crate::jose::sign_json(&holder, Some("kb+jwt"), &kb)
    )
}

fn text_of(body: &[u8]) -> String {
    format!("{PREFIX}{}", base45::encode(body))
}

fn body_of(text: &str) -> Vec<u8> {
    base45::decode(text.strip_prefix(PREFIX).unwrap()).unwrap()
}

fn code_of(text: &str) -> Code {
    decode(text).unwrap_err().code()
}

/// A flag-1 body from a head and a tail.
fn deflated_body(head: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut body = vec![FLAG_DEFLATE_DICT_V1];
    body.extend(deflate::compress(head, deflate::DICTIONARY_V1).unwrap());
    body.extend_from_slice(tail);
    body
}

/// A minimal plain-JWS head (`{}`.`{}` and a signature of `sig_len` bytes, no codes).
fn jws_head(sig_len: usize) -> Vec<u8> {
    let mut head = vec![0, 2, b'{', b'}', 2, b'{', b'}'];
    put_varint(&mut head, sig_len);
    head.push(0);
    head
}

#[test]
fn round_trip_all_three_forms() {
    let sd = sample_token();
    let (issued, _) = sd.rsplit_once('~').unwrap();
    let issued = format!("{issued}~");
    let (jws, _) = sd.split_once('~').unwrap();
    for token in [sd.as_str(), issued.as_str(), jws, &format!("{jws}~")] {
        let text = encode(token).unwrap();
        assert_eq!(decode(&text).unwrap(), token);
        assert_eq!(body_of(&text).first(), Some(&FLAG_DEFLATE_DICT_V1));
    }
}

#[test]
fn stored_body_when_compression_does_not_help() {
    // Random bytes everywhere: DEFLATE cannot win, so the body is stored.
    let seg = |n: u8| {
        b64::encode(
            (0..40u8)
                .map(|i| i.wrapping_mul(97) ^ n)
                .collect::<Vec<_>>(),
        )
    };
    let token = format!("{}.{}.{}", seg(1), seg(2), seg(3));
    let text = encode(&token).unwrap();
    assert_eq!(body_of(&text).first(), Some(&FLAG_STORED));
    assert_eq!(decode(&text).unwrap(), token);
}

#[test]
fn signature_of_wrong_length_is_carried_unchanged() {
    let token = sample_token();
    let (input, _) = token.split_once('~').unwrap().0.rsplit_once('.').unwrap();
    let short = format!("{input}.{}", b64::encode([7u8; 63]));
    assert_eq!(decode(&encode(&short).unwrap()).unwrap(), short);
    let empty = format!("{input}.");
    assert_eq!(decode(&encode(&empty).unwrap()).unwrap(), empty);
}

#[test]
fn rfc9285_base45_vectors() {
    let file: Value = serde_json::from_str(include_str!(
        "../../../testdata/vectors/rfc9285_base45.json"
    ))
    .unwrap();
    let alphabet = file["alphabet"].as_str().unwrap();
    assert_eq!(
        alphabet.as_bytes(),
        b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    );
    let mut valid = 0;
    for case in file["rfc_examples"]
        .as_array()
        .unwrap()
        .iter()
        .chain(file["derived_edge_cases"].as_array().unwrap())
    {
        let hex = case["bytes_hex"].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let text = case["base45"].as_str().unwrap();
        assert_eq!(base45::encode(&bytes), text);
        assert_eq!(base45::decode(text).unwrap(), bytes);
        valid += 1;
    }
    assert_eq!(valid, 11);
    let invalid = file["derived_invalid"].as_array().unwrap();
    assert_eq!(invalid.len(), 8);
    for case in invalid {
        let text = case["base45"].as_str().unwrap();
        let e = base45::decode(text).unwrap_err();
        assert_eq!(e.code(), Code::Base45Invalid, "{text:?}: {}", case["why"]);
    }
}

#[test]
fn reject_text_longer_than_max_qr_text_before_decoding() {
    let long = format!("{PREFIX}{}", "0".repeat(crate::limits::MAX_QR_TEXT));
    let e = decode(&long).unwrap_err();
    assert_eq!(e.code(), Code::PayloadTooLarge);
    assert_eq!(
        e.context(),
        &crate::Context::Limit {
            what: "envelope",
            limit: crate::limits::MAX_QR_TEXT,
            actual: crate::limits::MAX_QR_TEXT + 4
        }
    );
    // Not even the prefix is looked at.
    assert_eq!(code_of(&"x".repeat(10_000)), Code::PayloadTooLarge);
}

#[test]
fn reject_missing_or_unknown_prefix() {
    let text = encode(&sample_token()).unwrap();
    let rest = text.strip_prefix(PREFIX).unwrap();
    for bad in [
        format!("VP9:{rest}"),
        format!("HC1:{rest}"),
        format!("vp1:{rest}"),
        format!("VP1{rest}"),
        rest.to_owned(),
        String::new(),
        sample_token(),
    ] {
        assert_eq!(code_of(&bad), Code::UnsupportedVersion, "{bad:.20}");
    }
}

#[test]
fn reject_invalid_base45() {
    let text = encode(&sample_token()).unwrap();
    for bad in [
        format!("{PREFIX}GGW"),
        format!("{PREFIX}ZZ"),
        format!("{PREFIX}BB8A"),
        format!("{PREFIX}bb8"),
        format!("{PREFIX}BB8="),
        format!("{PREFIX}BB\n8"),
        format!("{text}\n"),
        format!("{}{}", text, "A"),
        text.to_lowercase().replace("vp1:", PREFIX),
    ] {
        assert_eq!(code_of(&bad), Code::Base45Invalid, "{bad:.40}");
    }
}

/// A raw DEFLATE stream of about `matches × 258` zero bytes: one literal 0, then matches of
/// length 258 at distance 1, in one fixed-Huffman block (RFC 1951 §3.2.6): 13 bits each.
fn deflate_bomb(matches: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, len: u32) {
            self.acc |= value << self.n;
            self.n += len;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let reversed = (0..len).fold(0, |r, i| r | ((code >> i) & 1) << (len - 1 - i));
            self.put(reversed, len);
        }
    }
    let mut b = Bits {
        out: Vec::with_capacity(matches * 13 / 8 + 8),
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // BFINAL
    b.put(1, 2); // BTYPE = fixed Huffman
    b.code(0b0011_0000, 8); // literal 0
    for _ in 0..matches {
        b.code(0b1100_0101, 8); // length symbol 285 = 258
        b.code(0, 5); // distance symbol 0 = 1
    }
    b.code(0, 7); // end of block
    b.put(0, 7);
    b.out
}

#[test]
fn reject_deflate_bomb_at_the_cap() {
    // 4.2 million matches of 258 bytes: over 1 GiB of zeros from 6.5 MiB. Inflating stops
    // one byte past the cap.
    let bomb = deflate_bomb(4_200_000);
    assert!(bomb.len() < 7 << 20);
    let e = deflate::inflate(&bomb, deflate::DICTIONARY_V1).unwrap_err();
    assert_eq!(e.code(), Code::DecompressedTooLarge);
    let cap = crate::limits::MAX_ENVELOPE_INFLATED;
    assert_eq!(
        e.context(),
        &crate::Context::Limit {
            what: "envelope",
            limit: cap,
            actual: cap + 1
        }
    );
    // The largest bomb that fits in a QR text, through the public entry point.
    let mut body = vec![FLAG_DEFLATE_DICT_V1];
    body.extend(deflate_bomb(1_700));
    let text = text_of(&body);
    assert!(text.len() <= crate::limits::MAX_QR_TEXT);
    assert_eq!(code_of(&text), Code::DecompressedTooLarge);
}

#[test]
fn reject_trailing_bytes_after_the_deflate_stream() {
    let text = encode(&sample_token()).unwrap();
    let mut body = body_of(&text);
    body.push(0);
    assert_eq!(code_of(&text_of(&body)), Code::MalformedEnvelope);
}

#[test]
fn reject_concatenated_deflate_streams() {
    let text = encode(&sample_token()).unwrap();
    let mut body = body_of(&text);
    body.extend(deflate::compress(b"\x00\x00", deflate::DICTIONARY_V1).unwrap());
    assert_eq!(code_of(&text_of(&body)), Code::MalformedEnvelope);
}

#[test]
fn reject_zlib_wrapper_where_raw_deflate_is_expected() {
    let (head, tail) = body::Parts::from_token(&sample_token())
        .unwrap()
        .to_head_tail();
    for dictionary in [true, false] {
        let mut c = Compress::new(Compression::best(), true);
        if dictionary {
            c.set_dictionary(deflate::DICTIONARY_V1).unwrap();
        }
        let mut z = Vec::with_capacity(head.len() + 64);
        c.compress_vec(&head, &mut z, FlushCompress::Finish)
            .unwrap();
        let mut body = vec![FLAG_DEFLATE_DICT_V1];
        body.extend(z);
        body.extend_from_slice(&tail);
        assert_eq!(code_of(&text_of(&body)), Code::MalformedEnvelope);
    }
}

#[test]
fn reject_truncated_deflate_stream() {
    let (head, _) = body::Parts::from_token(&sample_token())
        .unwrap()
        .to_head_tail();
    let body = deflated_body(&head, &[]);
    for cut in [1, 2, body.len() / 2, body.len() - 1] {
        let e = decode(&text_of(&body[..cut])).unwrap_err();
        assert_eq!(e.code(), Code::MalformedEnvelope, "cut at {cut}");
    }
}

#[test]
fn reject_unknown_flag_or_form() {
    assert_eq!(code_of(PREFIX), Code::MalformedEnvelope);
    for flag in [0x02, 0x10, 0x80, 0xFF] {
        let mut body = vec![flag];
        body.extend(jws_head(0));
        assert_eq!(code_of(&text_of(&body)), Code::MalformedEnvelope);
    }
    for form in [3, 0x7F, 0xFF] {
        let mut head = jws_head(0);
        head[0] = form;
        let mut stored = vec![FLAG_STORED];
        stored.extend(&head);
        assert_eq!(code_of(&text_of(&stored)), Code::MalformedEnvelope);
        assert_eq!(
            code_of(&text_of(&deflated_body(&head, &[]))),
            Code::MalformedEnvelope
        );
    }
    // The well-formed reference body decodes.
    let mut ok = vec![FLAG_STORED];
    ok.extend(jws_head(0));
    assert_eq!(decode(&text_of(&ok)).unwrap(), "e30.e30.");
}

#[test]
fn reject_varint_overflow_and_non_minimal_varints() {
    for varint in [
        &[0xFF, 0xFF, 0xFF, 0xFF, 0x7F][..],
        &[0x80, 0x80, 0x80, 0x80, 0x01],
        &[0xFF; 11],
        &[0x82, 0x00], // 2 in two bytes
        &[0x80, 0x00], // 0 in two bytes
    ] {
        let mut head = vec![0];
        head.extend_from_slice(varint);
        head.extend_from_slice(b"{}");
        let mut body = vec![FLAG_STORED];
        body.extend(&head);
        assert_eq!(code_of(&text_of(&body)), Code::MalformedEnvelope);
    }
}

#[test]
fn reject_lengths_past_the_end() {
    // Header length 100 with two bytes present; a signature longer than the tail.
    let head = [0, 100, b'{', b'}'];
    assert_eq!(
        code_of(&text_of(&deflated_body(&head, &[]))),
        Code::MalformedEnvelope
    );
    assert_eq!(
        code_of(&text_of(&deflated_body(&jws_head(64), &[0; 63]))),
        Code::MalformedEnvelope
    );
    // An extraction code asking for more tail than there is.
    let head = [0, 4, b'{', b'"', b'"', b'}', 2, b'{', b'}', 0, 1, 32];
    assert_eq!(
        code_of(&text_of(&deflated_body(&head, &[0; 31]))),
        Code::MalformedEnvelope
    );
    assert_eq!(
        decode(&text_of(&deflated_body(&head, &[0; 32]))).unwrap(),
        format!(
            "{}.e30.",
            b64::encode(format!(r#"{{"{}"}}"#, b64::encode([0; 32])))
        )
    );
}

#[test]
fn reject_trailing_bytes_after_the_last_part() {
    // In the tail.
    assert_eq!(
        code_of(&text_of(&deflated_body(&jws_head(2), &[1, 2, 3]))),
        Code::MalformedEnvelope
    );
    let mut stored = vec![FLAG_STORED];
    stored.extend(jws_head(0));
    stored.push(0);
    assert_eq!(code_of(&text_of(&stored)), Code::MalformedEnvelope);
    // Inside the inflated head, after the codes.
    let mut head = jws_head(0);
    head.push(0);
    assert_eq!(
        code_of(&text_of(&deflated_body(&head, &[]))),
        Code::MalformedEnvelope
    );
}

#[test]
fn reject_wrong_part_counts() {
    let (head, tail) = body::Parts::from_token(&sample_token())
        .unwrap()
        .to_head_tail();
    assert_eq!(head.first(), Some(&2));
    // The SD-JWT+KB head read as a plain JWS, or as an SD-JWT without KB: parts left over.
    for form in [0, 1] {
        let mut h = head.clone();
        h[0] = form;
        assert_eq!(
            code_of(&text_of(&deflated_body(&h, &tail))),
            Code::MalformedEnvelope
        );
    }
    // A plain JWS head read as SD-JWT+KB: parts missing.
    let mut h = jws_head(0);
    h[0] = 2;
    assert_eq!(
        code_of(&text_of(&deflated_body(&h, &[]))),
        Code::MalformedEnvelope
    );
    // More or fewer extraction codes than `""` pairs.
    let more = [0, 2, b'{', b'}', 2, b'{', b'}', 0, 1, 0];
    let fewer = [0, 4, b'{', b'"', b'"', b'}', 2, b'{', b'}', 0, 0];
    for head in [&more[..], &fewer[..]] {
        assert_eq!(
            code_of(&text_of(&deflated_body(head, &[]))),
            Code::MalformedEnvelope
        );
    }
}

#[test]
fn reject_more_disclosures_than_the_limit() {
    let max = crate::limits::MAX_DISCLOSURES;
    let mut head = vec![1, 2, b'{', b'}', 2, b'{', b'}', 0];
    put_varint(&mut head, max + 1);
    head.extend(std::iter::repeat_n(0, max + 1));
    head.push(0);
    let e = decode(&text_of(&deflated_body(&head, &[]))).unwrap_err();
    assert_eq!(e.code(), Code::MalformedEnvelope);
    assert_eq!(
        e.context(),
        &crate::Context::Limit {
            what: "disclosures",
            limit: max,
            actual: max + 1
        }
    );
    // At the limit it decodes (empty disclosures are carried; the SD-JWT verifier judges).
    let mut head = vec![1, 2, b'{', b'}', 2, b'{', b'}', 0];
    put_varint(&mut head, max);
    head.extend(std::iter::repeat_n(0, max));
    head.push(0);
    let token = decode(&text_of(&deflated_body(&head, &[]))).unwrap();
    assert_eq!(token.matches('~').count(), max + 1);
}

#[test]
fn reject_encoding_what_cannot_round_trip() {
    let token = sample_token();
    let (jws, rest) = token.split_once('~').unwrap();
    let (h, ps) = jws.split_once('.').unwrap();
    let cases = [
        (format!("{h}=.{ps}"), Code::Base64Invalid),
        (format!("{h}.+{}", &ps[1..]), Code::Base64Invalid),
        (format!("{h}./{}", &ps[1..]), Code::Base64Invalid),
        (
            format!("{jws}~{}", rest.replacen('.', "=.", 1)),
            Code::Base64Invalid,
        ),
        // "QUJ" has non-zero trailing bits: it would come back as "QUI".
        (format!("QUJ.{ps}"), Code::Base64Invalid),
        (format!("{h} .{ps}"), Code::Base64Invalid),
        (format!("{jws}.x"), Code::MalformedJws),
        (h.to_owned(), Code::MalformedJws),
        (format!("{jws}~abc~a.b"), Code::MalformedJws),
        (format!("{jws}~a.b~"), Code::Base64Invalid),
        (
            format!("{jws}~{}", "~".repeat(crate::limits::MAX_DISCLOSURES + 1)),
            Code::SdTooMany,
        ),
        (
            format!("{jws}~{}~", "A".repeat(crate::limits::MAX_TOKEN)),
            Code::PayloadTooLarge,
        ),
    ];
    for (bad, code) in cases {
        assert_eq!(encode(&bad).map_err(|e| e.code()), Err(code), "{bad}");
    }
    // Too large for one QR code after compression.
    use sha2::Digest;
    let random: Vec<u8> = (0..125u32)
        .flat_map(|i| sha2::Sha256::digest(i.to_be_bytes()))
        .collect();
    let big = format!("{h}.{}.{}", b64::encode(random), b64::encode([0; 64]));
    assert_eq!(encode(&big).unwrap_err().code(), Code::PayloadTooLarge);
}

#[test]
fn is_envelope_routes_prefixed_text() {
    assert!(is_envelope("VP1:ABC"));
    assert!(is_envelope("VP9:ABC"));
    assert!(is_envelope("HC1:ABC"));
    assert!(is_envelope("vp1:abc"));
    assert!(!is_envelope(&sample_token()));
    assert!(!is_envelope(""));
    assert!(!is_envelope(":ABC"));
    // A URL is not a token either: decode() answers UNSUPPORTED_VERSION for it.
    assert!(is_envelope("https://example.kz/x"));
    assert!(!is_envelope("TOOLONGPREFIX:ABC"));
    assert!(!is_envelope("NCFOXN%TS3DH"));
}

/// Strings rich in quotes and base64url runs, to exercise extraction edge cases.
fn quoted_soup() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\"".to_vec()),
        Just(b"\"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just(b"x".to_vec()),
        any::<[u8; 16]>().prop_map(|b| b64::encode(b).into_bytes()),
        any::<[u8; 32]>().prop_map(|b| b64::encode(b).into_bytes()),
        any::<[u8; 32]>().prop_map(|b| format!("\"{}\"", b64::encode(b)).into_bytes()),
        any::<[u8; 64]>().prop_map(|b| format!("\"{}\"", b64::encode(b)).into_bytes()),
        "[A-Za-z0-9_-]{20,44}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..4),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn base45_matches_the_crate_and_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = base45::encode(&bytes);
        prop_assert_eq!(&text, &::base45::encode(&bytes));
        prop_assert_eq!(base45::decode(&text).unwrap(), bytes);
    }

    #[test]
    fn base45_decode_never_panics(text in "\\PC*") {
        let _ = base45::decode(&text);
    }

    #[test]
    fn extraction_round_trips(parts in proptest::collection::vec(quoted_soup(), 1..4)) {
        let token = parts
            .iter()
            .map(b64::encode)
            .collect::<Vec<_>>();
        let token = match token.as_slice() {
            [h] => format!("{h}.{h}.{h}"),
            [h, p] => format!("{h}.{p}.~{h}~"),
            [h, p, d, ..] => format!("{h}.{p}.{d}~{d}~{h}.{p}.{d}"),
            [] => unreachable!(),
        };
        let text = encode(&token).unwrap();
        prop_assert_eq!(decode(&text).unwrap(), token);
    }

    #[test]
    fn body_parser_never_panics(flag in 0u8..3, head in proptest::collection::vec(any::<u8>(), 0..200),
                                tail in proptest::collection::vec(any::<u8>(), 0..80)) {
        let mut stored = vec![flag];
        stored.extend(&head);
        stored.extend(&tail);
        let _ = decode(&text_of(&stored));
        let _ = decode(&text_of(&deflated_body(&head, &tail)));
    }
}
