//! The mapping between a [`Credential`] and JWT claims (SD-JWT VC and VC-JWT payloads), and
//! back to a VCDM 2.0 view for display. See the module doc of [`crate::model`].

use serde_json::{Map, Value};

use super::reason;
use super::{Credential, StatusEntry, VCDM2_CONTEXT};
use crate::error::{Code, Error, Result};
use crate::jose::{self, TimeClaims};
use crate::keys::PublicKey;
use crate::time::UnixTime;

/// The VC 1.1 base context, replaced by the 2.0 one in the view.
const VCDM1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";

/// Claims that belong to the JWT, not to the credential; never copied into the view.
const JWT_ONLY: [&str; 13] = [
    "iss",
    "iat",
    "nbf",
    "exp",
    "vct",
    "cnf",
    "_sd_alg",
    "_sd",
    "status",
    "jti",
    "sub",
    "aud",
    "issuerName",
];

/// The order of the view's first members; others follow in their own order.
const VIEW_ORDER: [&str; 10] = [
    "@context",
    "id",
    "type",
    "name",
    "description",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialSubject",
    "credentialStatus",
];

/// The JWT claims of a credential, for SD-JWT VC and VC-JWT issuance: `iss`, `iat`, `nbf`,
/// `exp`, `vct`, `cnf` (with a holder key), then `@context`, `id`, `type`,
/// `credentialSubject` (its `id` set to the holder's did:key when a holder is given and the
/// credential has none; an existing `id` is kept), `credentialStatus`, `name`,
/// `description`, `issuerName`.
pub fn to_jwt_claims(cred: &Credential, issued_at: UnixTime, holder: Option<&PublicKey>) -> Value {
    jwt_claims(cred, issued_at, holder, cred.id(), cred.status())
}

/// [`to_jwt_claims`] with the credential's `id` and `credentialStatus` given apart: what
/// [`crate::issue::Issuance`] signs when the issuer sets them on an already-checked
/// credential (the `id` checked by its caller, the entry typed).
pub(crate) fn jwt_claims(
    cred: &Credential,
    issued_at: UnixTime,
    holder: Option<&PublicKey>,
    id: Option<&str>,
    status: Option<&StatusEntry>,
) -> Value {
    let mut out = Map::new();
    out.insert("iss".into(), cred.issuer().id().into());
    out.insert("iat".into(), issued_at.0.into());
    out.insert("nbf".into(), cred.valid_from().0.into());
    out.insert("exp".into(), cred.valid_until().0.into());
    out.insert("vct".into(), cred.kind().type_name().into());
    if let Some(key) = holder {
        let mut cnf = Map::new();
        cnf.insert("jwk".into(), key.to_jwk());
        out.insert("cnf".into(), Value::Object(cnf));
    }
    out.insert("@context".into(), cred.context_json());
    if let Some(id) = id {
        out.insert("id".into(), id.into());
    }
    out.insert("type".into(), cred.types_json());
    let subject = cred.subject().to_json();
    let subject = match holder {
        Some(key) if !subject.contains_key("id") => with_id_first(key.did_key(), subject),
        _ => subject,
    };
    out.insert("credentialSubject".into(), Value::Object(subject));
    if let Some(status) = status {
        out.insert("credentialStatus".into(), status.to_json());
    }
    if let Some(name) = cred.name() {
        out.insert("name".into(), name.into());
    }
    if let Some(description) = cred.description() {
        out.insert("description".into(), description.into());
    }
    if let Some(name) = cred.issuer().name() {
        out.insert("issuerName".into(), name.into());
    }
    Value::Object(out)
}

/// The VCDM 2.0 view of JWT claims (vpass SD-JWT VC / VC-JWT payloads, or VC 1.1 JWTs with a
/// `vc` claim), for display. Errors: `INVALID_CLAIM` for a JWT claim of the wrong type or one
/// that contradicts the member it stands for, `MALFORMED_CREDENTIAL` for a `vc` that is not an
/// object. The view is not checked against the vpass profile; [`Credential::from_json`] does
/// that.
pub fn from_jwt_claims(claims: &Map<String, Value>) -> Result<Value> {
    let (mut body, vc11) = match claims.get("vc") {
        Some(vc) => {
            let vc = vc.as_object().ok_or_else(|| {
                Error::field_reason(Code::MalformedCredential, "vc", reason::NOT_OBJECT)
            })?;
            (vc11_to_vcdm2(vc), true)
        }
        None => {
            let body = claims
                .iter()
                .filter(|(k, _)| !JWT_ONLY.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (body, false)
        }
    };

    if let Some(iss) = claim_str(claims, "iss")? {
        match body.get("issuer") {
            None => {
                let name = if vc11 {
                    None
                } else {
                    claim_str(claims, "issuerName")?
                };
                let issuer = match name {
                    None => Value::from(iss),
                    Some(name) => {
                        let mut obj = Map::new();
                        obj.insert("id".into(), iss.into());
                        obj.insert("name".into(), name.into());
                        Value::Object(obj)
                    }
                };
                body.insert("issuer".into(), issuer);
            }
            Some(existing) => {
                let existing_id = existing
                    .as_str()
                    .or_else(|| existing.get("id").and_then(Value::as_str));
                if existing_id != Some(iss) {
                    return Err(contradiction("iss"));
                }
            }
        }
    }
    numeric_date_to_member(claims, "nbf", &mut body, "validFrom")?;
    numeric_date_to_member(claims, "exp", &mut body, "validUntil")?;

    if let Some(jti) = claim_str(claims, "jti")? {
        match body.get("id").map(Value::as_str) {
            None => {
                body.insert("id".into(), jti.into());
            }
            Some(id) if id == Some(jti) => {}
            Some(_) => return Err(contradiction("jti")),
        }
    }
    if let Some(sub) = claim_str(claims, "sub")? {
        if let Some(Value::Object(subject)) = body.get_mut("credentialSubject") {
            match subject.get("id").map(Value::as_str) {
                None => *subject = with_id_first(sub.to_owned(), std::mem::take(subject)),
                Some(id) if id == Some(sub) => {}
                Some(_) => return Err(contradiction("sub")),
            }
        }
    }

    let mut view = Map::new();
    for name in VIEW_ORDER {
        if let Some(v) = body.get(name) {
            view.insert(name.into(), v.clone());
        }
    }
    for (name, v) in body {
        if !VIEW_ORDER.contains(&name.as_str()) {
            view.insert(name, v);
        }
    }
    let mut view = Value::Object(view);
    strip_digests(&mut view);
    Ok(view)
}

/// The credential's validity window checked at `now` with `skew` seconds of leeway: the JWT
/// claims `iat`, `nbf`, `exp` ([`jose::check_time_claims`]) **and** the credential's own
/// members, which a verifier must honour too (VCDM 2.0 §4.9 `validFrom`/`validUntil`, at the top
/// level or in a VC 1.1 `vc` object; VC 1.1 §4.7–4.8 `issuanceDate`/`expirationDate`). The
/// stricter bound wins, so a token whose claims and members disagree is judged by the narrower
/// window: `EXPIRED` when `now` is past the earliest end plus `skew`, `NOT_YET_VALID` when it is
/// before the latest start minus `skew`. A member that is not an RFC 3339 date-time gives
/// `INVALID_CLAIM`. The result holds `iat` and the effective `nbf`/`exp`.
///
/// The one home of the validity rule: SD-JWT VC ([`crate::sdjwt`]) and VC-JWT
/// ([`crate::vcjwt`]) verification both call it on the verified (disclosed) claims.
pub fn check_validity(claims: &Map<String, Value>, now: UnixTime, skew: i64) -> Result<TimeClaims> {
    let jwt = jose::check_time_claims(claims, now.0, skew)?;
    // `iat` and `nbf` were checked as starts by `check_time_claims`; the members join `nbf`.
    let mut starts = vec![jwt.nbf];
    let mut ends = vec![jwt.exp];
    let mut read = |obj: &Map<String, Value>, from: &[&'static str], until: &[&'static str]| {
        for name in from {
            starts.push(date_member(obj, name)?);
        }
        for name in until {
            ends.push(date_member(obj, name)?);
        }
        Ok::<(), Error>(())
    };
    read(claims, &["validFrom"], &["validUntil"])?;
    if let Some(Value::Object(vc)) = claims.get("vc") {
        read(
            vc,
            &["validFrom", "issuanceDate"],
            &["validUntil", "expirationDate"],
        )?;
    }
    let until = ends.into_iter().flatten().min();
    let from = starts.into_iter().flatten().max();
    if let Some(until) = until {
        if now.0 > until.saturating_add(skew) {
            return Err(Error::time(Code::Expired, now.0, until));
        }
    }
    if let Some(from) = from {
        if now.0 < from.saturating_sub(skew) {
            return Err(Error::time(Code::NotYetValid, now.0, from));
        }
    }
    Ok(TimeClaims {
        iat: jwt.iat,
        nbf: from,
        exp: until,
    })
}

/// An optional RFC 3339 date-time member, as seconds.
fn date_member(obj: &Map<String, Value>, name: &'static str) -> Result<Option<i64>> {
    match obj.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(UnixTime::parse_rfc3339)
            .map(|t| Some(t.0))
            .ok_or_else(|| Error::field_reason(Code::InvalidClaim, name, reason::NOT_DATE_TIME)),
    }
}

/// A VC 1.1 `vc` object with 2.0 member names and context.
fn vc11_to_vcdm2(vc: &Map<String, Value>) -> Map<String, Value> {
    let mut body = Map::new();
    for (name, v) in vc {
        match name.as_str() {
            "@context" => {
                let listed = match v {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                let mut context = vec![Value::from(VCDM2_CONTEXT)];
                context.extend(
                    listed
                        .into_iter()
                        .filter(|u| u != VCDM1_CONTEXT && u != VCDM2_CONTEXT),
                );
                body.insert(name.clone(), Value::Array(context));
            }
            "issuanceDate" => {
                body.insert("validFrom".into(), v.clone());
            }
            "expirationDate" => {
                body.insert("validUntil".into(), v.clone());
            }
            _ => {
                body.insert(name.clone(), v.clone());
            }
        }
    }
    if !body.contains_key("@context") {
        body.insert("@context".into(), Value::Array(vec![VCDM2_CONTEXT.into()]));
    }
    body
}

/// Put a NumericDate claim into the view as RFC 3339, or check that it agrees with the
/// member already there (to the second).
fn numeric_date_to_member(
    claims: &Map<String, Value>,
    claim: &'static str,
    body: &mut Map<String, Value>,
    member: &str,
) -> Result<()> {
    let Some(v) = claims.get(claim) else {
        return Ok(());
    };
    let t = v
        .as_i64()
        .map(UnixTime)
        .ok_or_else(|| Error::field_reason(Code::InvalidClaim, claim, reason::NOT_NUMERIC_DATE))?;
    match body.get(member) {
        None => {
            body.insert(member.into(), t.to_rfc3339().into());
            Ok(())
        }
        Some(existing) => {
            if existing.as_str().and_then(UnixTime::parse_rfc3339) == Some(t) {
                Ok(())
            } else {
                Err(contradiction(claim))
            }
        }
    }
}

fn claim_str<'a>(claims: &'a Map<String, Value>, name: &'static str) -> Result<Option<&'a str>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::field_reason(
            Code::InvalidClaim,
            name,
            reason::NOT_STRING,
        )),
    }
}

fn contradiction(claim: &'static str) -> Error {
    Error::field_reason(Code::InvalidClaim, claim, reason::CLAIM_CONTRADICTS_MEMBER)
}

fn with_id_first(id: String, rest: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("id".into(), id.into());
    out.extend(rest);
    out
}

/// Remove SD-JWT digests that a verifier left in place of undisclosed claims: `_sd` and
/// `_sd_alg` members and `{"...": digest}` array elements (RFC 9901 §4.2.4). They are not
/// content. Recursion depth is that of the claims, bounded by their parser.
fn strip_digests(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| k != "_sd" && k != "_sd_alg");
            map.values_mut().for_each(strip_digests);
        }
        Value::Array(items) => {
            items.retain(|item| {
                !item
                    .as_object()
                    .is_some_and(|o| o.len() == 1 && o.contains_key("..."))
            });
            items.iter_mut().for_each(strip_digests);
        }
        _ => {}
    }
}
