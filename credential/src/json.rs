//! Strict JSON for untrusted input (RFC 8259 as restricted by I-JSON, RFC 7493).
//!
//! `serde_json` alone keeps the last of two equal member names and recurses up to 128 levels;
//! here a duplicate name is an error (`DUPLICATE_MEMBER`, RFC 8725 §2.6), depth is checked by
//! a linear pre-scan before any recursion (`JSON_TOO_DEEP`), and size is capped
//! (`PAYLOAD_TOO_LARGE`). Invalid UTF-8, lone surrogates and a BOM give `JSON_INVALID`.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Code, Error, Result};
use crate::limits::{MAX_JSON, MAX_JSON_DEPTH};

const DUPLICATE_MARK: &str = "vpass: duplicate member";

/// Parse untrusted JSON strictly. `what` names the part (for the error context).
pub fn parse(bytes: &[u8], what: &'static str) -> Result<Value> {
    parse_with_limit(bytes, what, MAX_JSON)
}

/// [`parse`] with another size ceiling (trust lists and status lists are larger than
/// credentials; their ceilings are in [`crate::limits`] too).
pub fn parse_with_limit(bytes: &[u8], what: &'static str, limit: usize) -> Result<Value> {
    if bytes.len() > limit {
        return Err(Error::limit(
            Code::PayloadTooLarge,
            what,
            limit,
            bytes.len(),
        ));
    }
    check_depth(bytes, what)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue
        .deserialize(&mut de)
        .map_err(|e| classify(e, what))?;
    de.end()
        .map_err(|_| Error::field(Code::JsonInvalid, what))?;
    Ok(value)
}

/// Parse untrusted JSON that must be an object.
pub fn parse_object(bytes: &[u8], what: &'static str) -> Result<Map<String, Value>> {
    match parse(bytes, what)? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::field(Code::JsonInvalid, what)),
    }
}

fn classify(e: serde_json::Error, what: &'static str) -> Error {
    if e.to_string().starts_with(DUPLICATE_MARK) {
        Error::field(Code::DuplicateMember, what)
    } else {
        Error::field(Code::JsonInvalid, what)
    }
}

/// Linear scan for nesting depth outside strings; no recursion, so no stack risk.
fn check_depth(bytes: &[u8], what: &'static str) -> Result<()> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(Error::limit(Code::JsonTooDeep, what, MAX_JSON_DEPTH, depth));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Builds a `serde_json::Value`, refusing duplicate member names at every level.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let v = map.next_value_seed(StrictValue)?;
            if out.insert(key, v).is_some() {
                return Err(de::Error::custom(DUPLICATE_MARK));
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_duplicate_member_at_any_level() {
        let e = parse(br#"{"alg":"EdDSA","alg":"none"}"#, "header").unwrap_err();
        assert_eq!(e.code(), Code::DuplicateMember);
        let e = parse(br#"{"a":{"b":1,"b":2}}"#, "payload").unwrap_err();
        assert_eq!(e.code(), Code::DuplicateMember);
        assert!(parse(br#"{"a":{"b":1},"b":2}"#, "payload").is_ok());
    }

    #[test]
    fn reject_depth_bomb_without_recursing() {
        let bomb = "[".repeat(100_000);
        assert_eq!(
            parse(bomb.as_bytes(), "p").unwrap_err().code(),
            Code::PayloadTooLarge
        );
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(
            parse(deep.as_bytes(), "p").unwrap_err().code(),
            Code::JsonTooDeep
        );
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(parse(ok.as_bytes(), "p").is_ok());
        // brackets inside strings do not count
        let s = format!("[\"{}\"]", "[".repeat(100));
        assert!(parse(s.as_bytes(), "p").is_ok());
    }

    #[test]
    fn reject_invalid_utf8_lone_surrogate_bom_and_trailing_data() {
        for bad in [
            &b"{\"a\":\"\xff\"}"[..],
            br#"{"a":"\ud800"}"#,
            b"\xef\xbb\xbf{}",
            b"{\"a\":\"\xc0\xaf\"}",
            b"{} x",
            b"{\"a\":1e400}",
        ] {
            assert_eq!(
                parse(bad, "p").unwrap_err().code(),
                Code::JsonInvalid,
                "{bad:?}"
            );
        }
    }
}
