//! The verification pipeline: input → exact token → signature → disclosures → validity →
//! key binding → issuer authority → revocation → verdict.

use std::borrow::Cow;

use serde_json::{Map, Value};
use vpass_credential::keys::PublicKey;
use vpass_credential::limits::{CLOCK_SKEW_SECS, MAX_QR_TEXT, MAX_TOKEN};
use vpass_credential::model::{self, Credential, CredentialKind};
use vpass_credential::sdjwt::{KbPolicy, PathSeg, SdJwt, VerifyOptions};
use vpass_credential::time::UnixTime;
use vpass_credential::trust::{Office, VerifiedTrustList};
use vpass_credential::{envelope, jose, json, status, vcjwt, Code, Error};

use crate::store::TrustStore;
use crate::verdict::{Finding, Format, Verdict};

/// What the verifier requires, beyond the always-on checks.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The verification time (injected: `vpass verify --at`, or the system clock).
    pub now: UnixTime,
    /// Refuse presentations without key binding.
    pub require_key_binding: bool,
    /// The audience this verifier expects in the KB-JWT.
    pub aud: Option<String>,
    /// The nonce this verifier issued for the KB-JWT.
    pub nonce: Option<String>,
    /// Accept only this credential type (e.g. `VolunteerHoursCredential`).
    pub expected_type: Option<String>,
    /// Also accept credentials of types vpass does not define (third-party tokens of the
    /// standard shapes from trusted keys). Off by default: anything else is
    /// `WRONG_CREDENTIAL_TYPE`.
    pub allow_other_types: bool,
    /// Clock-skew allowance, seconds.
    pub skew: i64,
}

impl Policy {
    /// The default policy at time `now`: key binding checked when present, any vpass type.
    pub fn at(now: UnixTime) -> Policy {
        Policy {
            now,
            require_key_binding: false,
            aud: None,
            nonce: None,
            expected_type: None,
            allow_other_types: false,
            skew: CLOCK_SKEW_SECS,
        }
    }
}

/// English message for a code (the `i18n` module has kk/ru/en).
pub(crate) fn message_en(code: Code) -> &'static str {
    crate::i18n::code_message(code, crate::i18n::Lang::En)
}

fn warning(code: &'static str, message: &str) -> Finding {
    Finding {
        code,
        category: "warning",
        message: message.to_owned(),
        detail: None,
        code_value: None,
    }
}

/// Verify QR text, a raw SD-JWT or a JWT against `store` under `policy`. Never panics; every
/// problem becomes a finding in the verdict.
pub fn verify(input: &str, store: &TrustStore, policy: &Policy) -> Verdict {
    let verdict = Verdict::empty();
    let input = input.trim();
    if input.len() > MAX_TOKEN.max(MAX_QR_TEXT) {
        return verdict.reject(&Error::limit(
            Code::PayloadTooLarge,
            "input",
            MAX_TOKEN,
            input.len(),
        ));
    }
    // QR envelope text is prefixed (`VP1:`) and uses only the QR alphanumeric set, which has
    // no lower-case letters; a JWS (compact or JSON serialization) always has some. Text that
    // is neither goes to the envelope decoder, which names a missing or unknown prefix.
    let looks_like_token = input.bytes().any(|b| b.is_ascii_lowercase() || b == b'{');
    let token: Cow<'_, str> = if looks_like_token && !envelope::is_envelope(input) {
        Cow::Borrowed(input)
    } else {
        match envelope::decode(input) {
            Ok(t) => Cow::Owned(t),
            Err(e) => return verdict.reject(&e),
        }
    };
    if token.contains('~') {
        verify_sd_jwt(&token, store, policy, verdict)
    } else {
        verify_jwt(&token, store, policy, verdict)
    }
}

/// Pick the trusted key for the issuer signature: from the trust list by `kid`, `iss` and
/// `iat` (never from the token itself), or among keys given directly.
fn find_key<'s>(
    jws: &jose::UnverifiedJws<'_>,
    store: &'s TrustStore,
) -> Result<(PublicKey, Option<&'s Office>), Error> {
    if store.keys().is_empty() {
        if let Some(trust) = store.trust_list() {
            let trust = trust.as_ref().map_err(Clone::clone)?;
            let claims = json::parse_object(&jws.unverified_payload, "payload")?;
            let iss = claims
                .get("iss")
                .and_then(Value::as_str)
                .ok_or(Error::field(Code::UntrustedKey, "iss"))?;
            let iat = jose::numeric_date(&claims, "iat")?
                .or(jose::numeric_date(&claims, "nbf")?)
                .ok_or(Error::field(Code::InvalidClaim, "iat"))?;
            let (office, key) = trust.find_key(jws.header.kid.as_deref(), iss, UnixTime(iat))?;
            return Ok((key, Some(office)));
        }
    }
    let candidates: Vec<&PublicKey> = store
        .keys()
        .iter()
        .filter(|k| k.alg() == jws.header.alg)
        .collect();
    if candidates.is_empty() && !store.keys().is_empty() {
        // Trusted keys exist, but none of the header's algorithm (RFC 8725 §3.1).
        return Err(Error::value(
            Code::AlgKeyMismatch,
            "alg",
            jws.header.alg.as_str(),
        ));
    }
    // A did:key `kid` names its key directly.
    if let Some(kid) = jws
        .header
        .kid
        .as_deref()
        .filter(|k| k.starts_with("did:key:"))
    {
        if let Ok(named) = PublicKey::from_did_key(kid) {
            if candidates.contains(&&named) {
                return Ok((named, None));
            }
        }
    }
    // One candidate: the full verification that follows checks its signature once.
    if let [only] = candidates.as_slice() {
        return Ok(((*only).clone(), None));
    }
    let mut last = Error::new(Code::UntrustedKey);
    for key in candidates {
        match jws.clone().verify(key) {
            Ok(_) => return Ok((key.clone(), None)),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn verify_sd_jwt(token: &str, store: &TrustStore, policy: &Policy, mut v: Verdict) -> Verdict {
    v.format = Format::SdJwt;
    let sd = match SdJwt::parse(token) {
        Ok(sd) => sd,
        Err(e) => return v.reject(&e),
    };
    let (key, office) = match find_key(&sd.jws, store) {
        Ok(k) => k,
        Err(e) => return v.reject(&e),
    };
    let mut opts = VerifyOptions::at(policy.now);
    opts.skew = policy.skew;
    opts.kb = KbPolicy {
        required: policy.require_key_binding,
        aud: policy.aud.clone(),
        nonce: policy.nonce.clone(),
    };
    let checked = match sd.verify(&key, &opts) {
        Ok(c) => c,
        Err(e) => return v.reject(&e),
    };
    v.disclosed = checked.disclosed_paths.iter().map(|p| dotted(p)).collect();
    v.holder_bound = checked.key_binding.is_some();
    if v.holder_bound {
        if policy.aud.is_none() {
            v.warnings.push(warning(
                "AUD_NOT_CHECKED",
                "The presentation's audience was not checked.",
            ));
        }
        if policy.nonce.is_none() {
            v.warnings.push(warning(
                "NONCE_NOT_CHECKED",
                "The presentation's nonce was not checked.",
            ));
        }
    } else if checked.holder_key.is_some() {
        v.warnings.push(warning(
            "NOT_HOLDER_BOUND",
            "Shown without proof of possession: anyone with a copy of this code could show it.",
        ));
    }
    finish(v, &checked.claims, checked.times, office, store, policy)
}

fn verify_jwt(token: &str, store: &TrustStore, policy: &Policy, mut v: Verdict) -> Verdict {
    v.format = Format::VcJwt;
    let jws = match jose::parse(token) {
        Ok(j) => j,
        Err(e) => return v.reject(&e),
    };
    let (key, office) = match find_key(&jws, store) {
        Ok(k) => k,
        Err(e) => return v.reject(&e),
    };
    if policy.require_key_binding {
        return v.reject(&Error::new(Code::KbRequired));
    }
    let checked = match vcjwt::verify(token, &key, policy.now, policy.skew) {
        Ok(c) => c,
        Err(e) => return v.reject(&e),
    };
    if checked.legacy_vc11 {
        v.format = Format::Vc11Jwt;
    }
    finish(v, &checked.claims, checked.times, office, store, policy)
}

/// Checks common to both formats, after the signature and validity window passed: the
/// type the policy wants, the issuer's authority, revocation, then the credential's own rules.
fn finish(
    mut v: Verdict,
    claims: &Map<String, Value>,
    times: jose::TimeClaims,
    office: Option<&Office>,
    store: &TrustStore,
    policy: &Policy,
) -> Verdict {
    // The VCDM view the model rebuilds from the JWT claims, also what the verdict shows.
    let (view, model_error) = match model::from_jwt_claims(claims) {
        Ok(vc) => (vc, None),
        Err(e) => (vcdm_view(claims), Some(e)),
    };
    v.issuer = claims.get("iss").and_then(Value::as_str).map(str::to_owned);
    v.types = view
        .get("type")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(vct) = claims.get("vct").and_then(Value::as_str) {
        if !v.types.iter().any(|t| t == vct) {
            v.types.push(vct.to_owned());
        }
    }
    v.valid_from = times.nbf.map(|t| UnixTime(t).to_rfc3339());
    v.valid_until = times.exp.map(|t| UnixTime(t).to_rfc3339());
    v.claims = view;
    if let Some(want) = &policy.expected_type {
        if !v.types.iter().any(|t| t == want) {
            return v.reject(&Error::value(Code::WrongCredentialType, "type", want));
        }
    }
    let kind = v
        .types
        .iter()
        .find_map(|t| CredentialKind::from_type_name(t));
    if kind.is_none() && !policy.allow_other_types {
        let shown = v
            .types
            .iter()
            .find(|t| *t != "VerifiableCredential")
            .cloned();
        let shown = shown.as_deref().unwrap_or("(none)");
        return v.reject(&Error::value(Code::WrongCredentialType, "type", shown));
    }
    match office {
        Some(office) => {
            v.issuer_name = serde_json::to_value(&office.names).ok();
            let specific: Vec<&String> = v
                .types
                .iter()
                .filter(|t| *t != "VerifiableCredential")
                .collect();
            if specific.is_empty() || !specific.iter().all(|t| office.may_issue(t)) {
                let shown = specific.first().map_or("", |t| t.as_str()).to_owned();
                return v.reject(&Error::value(Code::IssuerNotAuthorized, "type", &shown));
            }
        }
        None => v.warnings.push(warning(
            "ISSUER_AUTHORITY_NOT_CHECKED",
            "The issuer key was given directly, so the issuer's authority for this type was \
             not checked.",
        )),
    }
    let entry = claims
        .get("credentialStatus")
        .or_else(|| v.claims.get("credentialStatus"))
        .cloned();
    match (entry.as_ref(), office, store.trust_list()) {
        (None, _, _) => {}
        (Some(entry), Some(office), Some(Ok(trust))) => {
            if let Err(e) = check_status(&mut v, entry, office, trust, store, policy) {
                return v.reject(&e);
            }
        }
        (Some(_), _, _) => v.warnings.push(warning(
            "STATUS_NOT_CHECKED",
            "No status list is cached, so revocation was not checked.",
        )),
    }
    if let Some(kind) = kind {
        let checked = match model_error {
            Some(e) => Err(e),
            None => check_vpass_rules(&v.claims, kind),
        };
        if let Err(e) = checked {
            return v.reject(&e);
        }
    }
    v.valid = v.errors.is_empty();
    v
}

/// A vpass credential must satisfy the vpass model (required members such as `validUntil`,
/// the field rules) — the same checks an office ran before signing. Members the model does not
/// know are ignored here rather than refused, so that a newer office's additions do not make
/// older verifiers reject its credentials; they still appear in the verdict's claims.
fn check_vpass_rules(vc: &Value, kind: CredentialKind) -> Result<(), Error> {
    const TOP: &[&str] = &[
        "@context",
        "type",
        "id",
        "name",
        "description",
        "issuer",
        "validFrom",
        "validUntil",
        "credentialSubject",
        "credentialStatus",
    ];
    let members = kind.subject_members();
    let known_subject = |k: &str| members.is_empty() || k == "id" || members.contains(&k);
    let subject_unknown = vc
        .get("credentialSubject")
        .and_then(Value::as_object)
        .is_some_and(|s| s.keys().any(|k| !known_subject(k)));
    let top_unknown = vc
        .as_object()
        .is_some_and(|t| t.keys().any(|k| !TOP.contains(&k.as_str())));
    if !subject_unknown && !top_unknown {
        return Credential::from_json(vc).map(|_| ());
    }
    let mut vc = vc.clone();
    if let Value::Object(top) = &mut vc {
        top.retain(|k, _| TOP.contains(&k.as_str()));
        if let Some(Value::Object(subject)) = top.get_mut("credentialSubject") {
            subject.retain(|k, _| known_subject(k));
        }
    }
    Credential::from_json(&vc).map(|_| ())
}

/// Revocation (W3C Bitstring Status List §3.2): the list must belong to the credential's
/// office, be signed by it, be current, and the bit at the index must be 0.
fn check_status(
    v: &mut Verdict,
    entry: &Value,
    office: &Office,
    trust: &VerifiedTrustList,
    store: &TrustStore,
    policy: &Policy,
) -> Result<(), Error> {
    let field = |name: &'static str| {
        entry
            .get(name)
            .and_then(Value::as_str)
            .ok_or(Error::field(Code::MalformedValueError, name))
    };
    let url = field("statusListCredential")?;
    let purpose = field("statusPurpose")?;
    let index = status::parse_status_index(field("statusListIndex")?)?;
    v.status.list = Some(url.to_owned());
    v.status.index = Some(index);
    if !office.publishes_status_list(url) {
        return Err(Error::value(
            Code::StatusVerificationError,
            "statusListCredential",
            url,
        ));
    }
    let list = match store.status_list(trust, url, purpose, policy.now) {
        None => {
            return Err(Error::value(
                Code::StatusUnknown,
                "statusListCredential",
                url,
            ))
        }
        Some(list) => list?,
    };
    v.status.checked = true;
    v.status.as_of = Some(list.valid_from.to_rfc3339());
    if list.list.get(index)? {
        v.status.revoked = true;
        return Err(Error::new(Code::Revoked));
    }
    Ok(())
}

/// The credential as a VCDM 2.0 view: JWT claims folded back into VCDM members.
fn vcdm_view(claims: &Map<String, Value>) -> Value {
    if let Some(Value::Object(vc)) = claims.get("vc") {
        return Value::Object(vc.clone());
    }
    let mut out = Map::new();
    for (k, v) in claims {
        if !matches!(
            k.as_str(),
            "iss" | "iat" | "nbf" | "exp" | "vct" | "cnf" | "status"
        ) {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

fn dotted(path: &[PathSeg]) -> String {
    path.iter()
        .map(|s| match s {
            PathSeg::Key(k) => k.clone(),
            PathSeg::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}
