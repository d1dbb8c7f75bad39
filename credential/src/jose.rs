//! Strict compact JWS (RFC 7515 §7.1) for the two algorithms vpass allows.
//!
//! Hand-written on purpose (see docs/architecture.md): the verifier is the security boundary
//! and the profile is small. There is no algorithm registry to confuse: the header's `alg` is
//! looked up in the allow-list {EdDSA, ES256} and must equal the algorithm of the key the
//! *caller* chose from trust — keys are never taken from the token (`jwk`, `jku`, `x5u`,
//! `x5c` are refused, RFC 8725 §3.10), and any `crit` is refused (RFC 7515 §4.1.11), which
//! also refuses `b64: false` (RFC 7797).
//!
//! Parsing gives an [`UnverifiedJws`]; only [`UnverifiedJws::verify`] turns it into a
//! [`VerifiedJws`].

use serde_json::{Map, Value};

use crate::b64;
use crate::error::{Code, Error, Result};
use crate::json;
use crate::keys::{Alg, PublicKey, Signer};
use crate::limits::{MAX_KID, MAX_TOKEN};
use crate::Sealed;

/// Header members that would let a token choose its own key or change its encoding.
const FORBIDDEN_HEADERS: &[&str] = &["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "b64"];

/// A parsed protected header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The algorithm (already checked against the allow-list).
    pub alg: Alg,
    /// `typ`, if present.
    pub typ: Option<String>,
    /// `kid`, if present (at most `MAX_KID` chars).
    pub kid: Option<String>,
    /// All members, as sent.
    pub members: Map<String, Value>,
}

impl Header {
    fn parse(bytes: &[u8]) -> Result<Header> {
        let members = json::parse_object(bytes, "header")?;
        let alg = match members.get("alg") {
            Some(Value::String(a)) => Alg::from_header(a)?,
            _ => return Err(Error::field(Code::AlgNotAllowed, "alg")),
        };
        if members.contains_key("crit") {
            return Err(Error::field(Code::CritUnsupported, "crit"));
        }
        if let Some(name) = FORBIDDEN_HEADERS.iter().find(|h| members.contains_key(**h)) {
            return Err(Error::value(Code::HeaderNotAllowed, "header", name));
        }
        let typ = match members.get("typ") {
            None => None,
            Some(Value::String(t)) => Some(t.clone()),
            Some(_) => return Err(Error::field(Code::WrongTyp, "typ")),
        };
        let kid = match members.get("kid") {
            None => None,
            Some(Value::String(k)) if k.len() <= MAX_KID => Some(k.clone()),
            Some(_) => return Err(Error::field(Code::UnknownKid, "kid")),
        };
        Ok(Header {
            alg,
            typ,
            kid,
            members,
        })
    }

    /// Check that `typ` is one of `allowed` (case-insensitive, as RFC 7515 §4.1.9 allows, and
    /// with an optional `application/` prefix).
    pub fn expect_typ(&self, allowed: &[&str]) -> Result<()> {
        let typ = self.typ.as_deref().unwrap_or("");
        let bare = match typ.split_at_checked(12) {
            Some((prefix, rest)) if prefix.eq_ignore_ascii_case("application/") => rest,
            _ => typ,
        };
        if allowed.iter().any(|a| a.eq_ignore_ascii_case(bare)) {
            Ok(())
        } else {
            Err(Error::value(Code::WrongTyp, "typ", typ))
        }
    }
}

/// A compact JWS whose signature has not been checked.
#[derive(Debug, Clone)]
pub struct UnverifiedJws<'a> {
    /// The protected header.
    pub header: Header,
    /// The decoded payload bytes (not yet trusted).
    pub unverified_payload: Vec<u8>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// A compact JWS whose signature verified under a key the caller trusts.
///
/// Only [`UnverifiedJws::verify`] makes one (it is sealed, see `Sealed` in the crate root):
///
/// ```compile_fail
/// use vpass_credential::jose::{Header, VerifiedJws};
/// fn forge(header: Header) -> VerifiedJws {
///     VerifiedJws { header, payload: br#"{"iss":"did:web:forged"}"#.to_vec() }
/// }
/// ```
///
/// ```compile_fail,E0451
/// use vpass_credential::jose::VerifiedJws;
/// fn forge(real: VerifiedJws) -> VerifiedJws {
///     VerifiedJws { payload: br#"{"iss":"did:web:forged"}"#.to_vec(), ..real }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    /// The protected header.
    pub header: Header,
    /// The payload bytes.
    pub payload: Vec<u8>,
    _sealed: Sealed,
}

impl VerifiedJws {
    /// The payload as a strict JSON object.
    pub fn payload_object(&self) -> Result<Map<String, Value>> {
        json::parse_object(&self.payload, "payload")
    }

    /// The payload as a strict JSON object of at most `limit` bytes.
    pub fn payload_object_with_limit(&self, limit: usize) -> Result<Map<String, Value>> {
        match json::parse_with_limit(&self.payload, "payload", limit)? {
            Value::Object(map) => Ok(map),
            _ => Err(Error::field(Code::JsonInvalid, "payload")),
        }
    }
}

/// Parse a compact JWS: exactly three segments, strict base64url, strict header.
pub fn parse(token: &str) -> Result<UnverifiedJws<'_>> {
    parse_with_limit(token, MAX_TOKEN)
}

/// [`parse`] with another size ceiling (for trust lists and status lists).
pub fn parse_with_limit(token: &str, limit: usize) -> Result<UnverifiedJws<'_>> {
    if token.len() > limit {
        return Err(Error::limit(
            Code::PayloadTooLarge,
            "token",
            limit,
            token.len(),
        ));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::new(Code::MalformedJws));
    };
    let header = Header::parse(&b64::decode(h, "header")?)?;
    let unverified_payload = b64::decode(p, "payload")?;
    if s.is_empty() {
        return Err(Error::field(Code::AlgNotAllowed, "signature"));
    }
    let signature = b64::decode(s, "signature")?;
    // `h.p` is a prefix of `token` by construction of the split above.
    let signing_input = token
        .get(..h.len() + 1 + p.len())
        .ok_or(Error::new(Code::MalformedJws))?;
    Ok(UnverifiedJws {
        header,
        unverified_payload,
        signing_input,
        signature,
    })
}

impl UnverifiedJws<'_> {
    /// Verify under `key`. `alg` must match the key type; the signature must be 64 bytes.
    pub fn verify(self, key: &PublicKey) -> Result<VerifiedJws> {
        if self.header.alg != key.alg() {
            return Err(Error::value(
                Code::AlgKeyMismatch,
                "alg",
                self.header.alg.as_str(),
            ));
        }
        key.verify(
            self.header.alg,
            self.signing_input.as_bytes(),
            &self.signature,
        )?;
        Ok(VerifiedJws {
            header: self.header,
            payload: self.unverified_payload,
            _sealed: Sealed,
        })
    }
}

/// Sign `payload` as a compact JWS. The header is `{"alg", "typ", "kid"}` in that order
/// (members absent when `None`), serialized without spaces.
pub fn sign(signer: &dyn Signer, typ: Option<&str>, payload: &[u8]) -> String {
    let mut header = Map::new();
    header.insert("alg".into(), Value::String(signer.alg().as_str().into()));
    if let Some(typ) = typ {
        header.insert("typ".into(), Value::String(typ.into()));
    }
    if let Some(kid) = signer.kid() {
        header.insert("kid".into(), Value::String(kid.into()));
    }
    let header = Value::Object(header).to_string();
    let mut out = format!("{}.{}", b64::encode(header), b64::encode(payload));
    let sig = signer.sign(out.as_bytes());
    out.push('.');
    out.push_str(&b64::encode(sig));
    out
}

/// Sign a JSON payload (serialized compactly, members in insertion order).
pub fn sign_json(signer: &dyn Signer, typ: Option<&str>, payload: &Value) -> String {
    sign(signer, typ, payload.to_string().as_bytes())
}

/// The registered time claims of a JWT payload, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeClaims {
    /// `iat`.
    pub iat: Option<i64>,
    /// `nbf`.
    pub nbf: Option<i64>,
    /// `exp`.
    pub exp: Option<i64>,
}

/// Largest NumericDate accepted: 9999-12-31T23:59:59Z.
const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// Read a NumericDate claim (RFC 7519 §2): a non-negative integer no later than year 9999.
/// Strings, fractions, negatives and huge numbers give `INVALID_CLAIM`.
pub fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if (0..=MAX_NUMERIC_DATE).contains(&v) => Ok(Some(v)),
            _ => Err(Error::field(Code::InvalidClaim, name)),
        },
        Some(_) => Err(Error::field(Code::InvalidClaim, name)),
    }
}

/// Check `exp`, `nbf` and `iat` against `now` with `skew` seconds of leeway
/// (RFC 7519 §4.1.4–4.1.6): `EXPIRED` when `now > exp + skew`, `NOT_YET_VALID` when
/// `now < nbf - skew` or `now < iat - skew`.
pub fn check_time_claims(claims: &Map<String, Value>, now: i64, skew: i64) -> Result<TimeClaims> {
    let t = TimeClaims {
        iat: numeric_date(claims, "iat")?,
        nbf: numeric_date(claims, "nbf")?,
        exp: numeric_date(claims, "exp")?,
    };
    if let Some(exp) = t.exp {
        if now > exp.saturating_add(skew) {
            return Err(Error::time(Code::Expired, now, exp));
        }
    }
    for bound in [t.nbf, t.iat].into_iter().flatten() {
        if now < bound.saturating_sub(skew) {
            return Err(Error::time(Code::NotYetValid, now, bound));
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningKey;

    fn token_with_header(header: &str) -> String {
        let key = SigningKey::from_seed(&[1; 32]);
        let input = format!("{}.{}", b64::encode(header), b64::encode("{}"));
        let sig = key.sign(input.as_bytes());
        format!("{input}.{}", b64::encode(sig))
    }

    #[test]
    fn sign_then_verify() {
        let key = SigningKey::from_seed(&[1; 32]);
        let t = sign(&key, Some("vc+jwt"), b"{\"a\":1}");
        let v = parse(&t).unwrap().verify(&key.public()).unwrap();
        assert_eq!(v.payload, b"{\"a\":1}");
        v.header.expect_typ(&["vc+jwt"]).unwrap();
        v.header.expect_typ(&["VC+JWT"]).unwrap();
        assert_eq!(
            v.header.expect_typ(&["kb+jwt"]).unwrap_err().code(),
            Code::WrongTyp
        );
    }

    #[test]
    fn reject_forbidden_headers_and_crit() {
        let cases = [
            (r#"{"alg":"none"}"#, Code::AlgNotAllowed),
            (r#"{"alg":"HS256"}"#, Code::AlgNotAllowed),
            (r#"{"alg":"RS256"}"#, Code::AlgNotAllowed),
            (r#"{"alg":"ES384"}"#, Code::AlgNotAllowed),
            (r#"{"alg":"Ed25519"}"#, Code::AlgNotAllowed),
            (r#"{"typ":"JWT"}"#, Code::AlgNotAllowed),
            (r#"{"alg":"EdDSA","jwk":{}}"#, Code::HeaderNotAllowed),
            (
                r#"{"alg":"EdDSA","jku":"https://x"}"#,
                Code::HeaderNotAllowed,
            ),
            (
                r#"{"alg":"EdDSA","x5u":"https://x"}"#,
                Code::HeaderNotAllowed,
            ),
            (r#"{"alg":"EdDSA","x5c":["AA"]}"#, Code::HeaderNotAllowed),
            (
                r#"{"alg":"EdDSA","crit":["exp"],"exp":1}"#,
                Code::CritUnsupported,
            ),
            (
                r#"{"alg":"EdDSA","b64":false,"crit":["b64"]}"#,
                Code::CritUnsupported,
            ),
            (r#"{"alg":"EdDSA","b64":false}"#, Code::HeaderNotAllowed),
            (r#"{"alg":"EdDSA","alg":"none"}"#, Code::DuplicateMember),
        ];
        for (header, code) in cases {
            let t = token_with_header(header);
            assert_eq!(parse(&t).unwrap_err().code(), code, "{header}");
        }
        let long_kid = format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, "k".repeat(10_000));
        assert_eq!(
            parse(&token_with_header(&long_kid)).unwrap_err().code(),
            Code::UnknownKid
        );
    }

    #[test]
    fn reject_wrong_segment_counts_and_bad_signatures() {
        let key = SigningKey::from_seed(&[1; 32]);
        let t = sign(&key, None, b"x");
        assert_eq!(parse("a.b").unwrap_err().code(), Code::MalformedJws);
        assert_eq!(
            parse(&format!("{t}.x")).unwrap_err().code(),
            Code::MalformedJws
        );
        let (input, _) = t.rsplit_once('.').unwrap();
        assert_eq!(
            parse(&format!("{input}.")).unwrap_err().code(),
            Code::AlgNotAllowed
        );
        let sig63 = b64::encode([0u8; 63]);
        let e = parse(&format!("{input}.{sig63}"))
            .unwrap()
            .verify(&key.public())
            .unwrap_err();
        assert_eq!(e.code(), Code::SignatureInvalid);
        let p256 = SigningKey::generate_p256();
        let e = parse(&t).unwrap().verify(&p256.public()).unwrap_err();
        assert_eq!(e.code(), Code::AlgKeyMismatch);
    }
}
