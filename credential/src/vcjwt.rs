//! VC-JWT: a credential as the payload of a compact JWS with `typ` `vc+jwt`
//! (W3C VC-JOSE-COSE §3.1.1), and reading VC 1.1 JWTs (a `vc` claim, `typ` `JWT` or absent)
//! as other tools make them.

use serde_json::{Map, Value};

use crate::error::{Code, Error, Result};
use crate::jose::{self, Header, TimeClaims};
use crate::keys::{PublicKey, Signer};
use crate::time::UnixTime;
use crate::Sealed;

/// The `typ` of a VC-JWT.
pub const TYP: &str = "vc+jwt";

/// Sign `claims` (a JSON object: the credential plus JWT claims) as a VC-JWT.
pub fn issue(signer: &dyn Signer, claims: &Value) -> Result<String> {
    if !claims.is_object() {
        return Err(Error::field(Code::InvalidClaim, "claims"));
    }
    if claims.get("vc").is_some() || claims.get("vp").is_some() {
        return Err(Error::field(Code::MalformedCredential, "vc"));
    }
    Ok(jose::sign_json(signer, Some(TYP), claims))
}

/// A verified VC-JWT.
///
/// Only [`verify`] makes one (it is sealed, see `Sealed` in the crate root):
///
/// ```compile_fail
/// use serde_json::Map;
/// use vpass_credential::jose::{Header, TimeClaims};
/// use vpass_credential::vcjwt::Verified;
/// fn forge(header: Header, times: TimeClaims) -> Verified {
///     Verified { header, claims: Map::new(), times, legacy_vc11: false }
/// }
/// ```
///
/// ```compile_fail,E0451
/// use vpass_credential::vcjwt::Verified;
/// fn forge(real: Verified) -> Verified {
///     Verified { claims: serde_json::Map::new(), ..real }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Verified {
    /// The JWS header.
    pub header: Header,
    /// The payload (for a VC 1.1 JWT, as sent: the credential is under `vc`).
    pub claims: Map<String, Value>,
    /// `iat`, and the validity window as checked (the stricter of the JWT claims and the
    /// credential's members, [`crate::model::check_validity`]).
    pub times: TimeClaims,
    /// True for a VC 1.1 JWT (`vc` claim).
    pub legacy_vc11: bool,
    _sealed: Sealed,
}

/// Verify a VC-JWT (or VC 1.1 JWT) under `key` at `now` with `skew` seconds of leeway.
///
/// `vc+jwt` with a `vc` or `vp` claim is refused (`MALFORMED_CREDENTIAL`, VC-JOSE-COSE
/// §3.1.1: the payload *is* the credential). A token with `typ` `JWT` or no `typ` is read as
/// VC 1.1 only if it carries a `vc` object; any other `typ` (`kb+jwt`, trust lists…) gives
/// `WRONG_TYP`.
pub fn verify(token: &str, key: &PublicKey, now: UnixTime, skew: i64) -> Result<Verified> {
    let jws = jose::parse(token)?.verify(key)?;
    let claims = jws.payload_object()?;
    let legacy_vc11 = match jws.header.typ.as_deref() {
        Some(t) if t.eq_ignore_ascii_case(TYP) || t.eq_ignore_ascii_case("application/vc+jwt") => {
            if claims.contains_key("vc") || claims.contains_key("vp") {
                return Err(Error::field(Code::MalformedCredential, "vc"));
            }
            false
        }
        None | Some("JWT") | Some("jwt") => {
            if !claims.get("vc").is_some_and(Value::is_object) {
                return Err(Error::value(Code::WrongTyp, "typ", "JWT"));
            }
            true
        }
        Some(other) => return Err(Error::value(Code::WrongTyp, "typ", other)),
    };
    let times = crate::model::check_validity(&claims, now, skew)?;
    Ok(Verified {
        header: jws.header,
        claims,
        times,
        legacy_vc11,
        _sealed: Sealed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningKey;
    use serde_json::json;

    #[test]
    fn issue_and_verify_both_shapes() {
        let k = SigningKey::from_seed(&[9; 32]);
        let t = issue(
            &k,
            &json!({"iss": "did:web:o", "exp": 2000, "type": ["VerifiableCredential"]}),
        )
        .unwrap();
        let v = verify(&t, &k.public(), UnixTime(1000), 300).unwrap();
        assert!(!v.legacy_vc11);
        let legacy = jose::sign_json(&k, Some("JWT"), &json!({"iss": "x", "vc": {"type": []}}));
        assert!(
            verify(&legacy, &k.public(), UnixTime(1000), 300)
                .unwrap()
                .legacy_vc11
        );
    }

    #[test]
    fn reject_vc_claim_under_vc_jwt_and_wrong_typ() {
        let k = SigningKey::from_seed(&[9; 32]);
        let bad = jose::sign_json(&k, Some(TYP), &json!({"vc": {}}));
        assert_eq!(
            verify(&bad, &k.public(), UnixTime(0), 0)
                .unwrap_err()
                .code(),
            Code::MalformedCredential
        );
        let kb = jose::sign_json(&k, Some("kb+jwt"), &json!({"vc": {}}));
        assert_eq!(
            verify(&kb, &k.public(), UnixTime(0), 0).unwrap_err().code(),
            Code::WrongTyp
        );
        let plain = jose::sign_json(&k, None, &json!({"iss": "x"}));
        assert_eq!(
            verify(&plain, &k.public(), UnixTime(0), 0)
                .unwrap_err()
                .code(),
            Code::WrongTyp
        );
        let expired = issue(&k, &json!({"exp": 100})).unwrap();
        assert_eq!(
            verify(&expired, &k.public(), UnixTime(401), 300)
                .unwrap_err()
                .code(),
            Code::Expired
        );
        assert!(verify(&expired, &k.public(), UnixTime(400), 300).is_ok());
    }
}
