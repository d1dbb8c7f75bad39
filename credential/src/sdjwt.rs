//! SD-JWT VC (RFC 9901, `typ` `dc+sd-jwt`; `vc+sd-jwt` accepted): issue, present, verify.
//!
//! Written here rather than taken from a crate (docs/architecture.md): the published crates
//! either do not verify signatures or lag RFC 9901's verification rules, and the QR
//! envelope needs the exact serialization under our control.
//!
//! - [`issue`]: the office makes chosen claims selectively disclosable (RFC 9901 §4.2), with
//!   128-bit CSPRNG salts and SHA-256, digests sorted in `_sd` (§4.2.4.1). No decoys by
//!   default: every digest costs 32 bytes in the QR code (§4.2.5 makes them optional).
//! - [`present`]: the holder keeps a subset of disclosures and may append a key-binding JWT
//!   (§4.3) over `sd_hash`.
//! - [`SdJwt::verify`]: every check of §7.1 and §7.3, in the order the RFC gives, with a
//!   specific [`Code`] per failure.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::b64;
use crate::error::{Code, Error, Result};
use crate::jose::{self, Header, TimeClaims, UnverifiedJws};
use crate::json;
use crate::keys::{PublicKey, Signer};
use crate::limits::{CLOCK_SKEW_SECS, KB_MAX_AGE_SECS, MAX_DISCLOSURES, MAX_SD_DEPTH, MAX_TOKEN};
use crate::time::UnixTime;
use crate::Sealed;

/// The `typ` of SD-JWT VCs vpass issues.
pub const TYP: &str = "dc+sd-jwt";
/// The earlier `typ`, still accepted.
pub const TYP_LEGACY: &str = "vc+sd-jwt";
/// The `typ` of a key-binding JWT.
pub const KB_TYP: &str = "kb+jwt";

/// Claims that must never come out of a disclosure: a holder could otherwise hide expiry,
/// status or the binding key (RFC 9901 §9.7; SD-JWT VC §3.2.2.2 lists `iss`, `nbf`, `exp`,
/// `cnf`, `vct`, `vct#integrity`, `status`). `credentialStatus` is the VCDM form of `status`.
/// `iat` and `sub` may be selectively disclosed, as SD-JWT VC allows.
const NEVER_SELECTIVE: &[&str] = &[
    "iss",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
    "credentialStatus",
];

/// A step in a claim path: an object member or an array position.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSeg {
    /// An object member name.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A source of disclosure salts. Injected so that tests can be byte-exact.
pub trait SaltSource {
    /// A fresh salt (RFC 9901 §4.2.1 recommends 128 bits, base64url-encoded).
    fn salt(&mut self) -> String;
}

/// Salts from the operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsSalts;

impl SaltSource for OsSalts {
    fn salt(&mut self) -> String {
        let mut bytes = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
        b64::encode(bytes)
    }
}

fn digest(disclosure: &str) -> String {
    b64::encode(Sha256::digest(disclosure.as_bytes()))
}

/// Parse a dotted path (`credentialSubject.iin`, `nationalities.0`) against `claims`: a
/// segment is an index where the value at that point is an array, a key otherwise.
pub fn parse_path(claims: &Value, dotted: &str) -> Vec<PathSeg> {
    let mut at = Some(claims);
    dotted
        .split('.')
        .map(|seg| {
            let step = match (at, seg.parse::<usize>()) {
                (Some(Value::Array(_)), Ok(i)) => PathSeg::Index(i),
                _ => PathSeg::Key(seg.to_owned()),
            };
            at = at.and_then(|v| match &step {
                PathSeg::Key(k) => v.get(k.as_str()),
                PathSeg::Index(i) => v.get(*i),
            });
            step
        })
        .collect()
}

/// Issue an SD-JWT: `claims` signed by `signer`, with the values at `sd_paths` made
/// selectively disclosable (paths that are absent are skipped: optional claims). Paths may
/// nest (recursive disclosures, §4.2.6). Returns `<jws>~<d1>~…~`.
pub fn issue(
    signer: &dyn Signer,
    claims: Value,
    sd_paths: &[Vec<PathSeg>],
    salts: &mut dyn SaltSource,
) -> Result<String> {
    let mut claims = claims;
    if !claims.is_object() {
        return Err(Error::field(Code::InvalidClaim, "claims"));
    }
    // Names the SD-JWT machinery gives meaning to must not arrive in the input: the office
    // would otherwise sign digests or an `_sd_alg` it never made (claim injection).
    refuse_reserved_names(&claims)?;
    let mut paths: Vec<&Vec<PathSeg>> = sd_paths.iter().filter(|p| !p.is_empty()).collect();
    paths.sort();
    paths.dedup();
    // Deepest first, so a nested value is concealed before its parent is; array positions
    // stay stable because elements are replaced in place.
    paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let mut disclosures = Vec::new();
    for path in paths {
        if let [PathSeg::Key(top)] = path.as_slice() {
            if NEVER_SELECTIVE.contains(&top.as_str()) {
                return Err(Error::value(Code::SdForbiddenSdClaim, "claim", top));
            }
        }
        let Some((last, parent_path)) = path.split_last() else {
            continue;
        };
        let Some(parent) = walk_mut(&mut claims, parent_path) else {
            continue;
        };
        let disclosure = match (parent, last) {
            (Value::Object(obj), PathSeg::Key(name)) => {
                let Some(value) = obj.shift_remove(name) else {
                    continue;
                };
                let d = b64::encode(
                    Value::Array(vec![salts.salt().into(), name.as_str().into(), value])
                        .to_string(),
                );
                let sd = obj.entry("_sd").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = sd {
                    list.push(Value::String(digest(&d)));
                    list.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                }
                d
            }
            (Value::Array(items), PathSeg::Index(i)) => {
                let Some(slot) = items.get_mut(*i) else {
                    continue;
                };
                let value = slot.take();
                let d = b64::encode(Value::Array(vec![salts.salt().into(), value]).to_string());
                *slot = serde_json::json!({"...": digest(&d)});
                d
            }
            _ => continue,
        };
        disclosures.push(disclosure);
    }
    if let Value::Object(obj) = &mut claims {
        if !disclosures.is_empty() {
            obj.insert("_sd_alg".into(), Value::String("sha-256".into()));
        }
    }
    // Disclosures in document order (outermost last was issued last; reverse for reading).
    disclosures.reverse();
    let mut out = jose::sign_json(signer, Some(TYP), &claims);
    out.push('~');
    for d in &disclosures {
        out.push_str(d);
        out.push('~');
    }
    Ok(out)
}

fn payload_digests_unique(payload: &Map<String, Value>) -> Result<()> {
    fn walk<'v>(v: &'v Value, seen: &mut HashSet<&'v str>) -> Result<()> {
        match v {
            Value::Object(obj) => {
                let sd = obj
                    .get("_sd")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten();
                let dots = obj.get("...").into_iter();
                for d in sd.chain(dots).filter_map(Value::as_str) {
                    if !seen.insert(d) {
                        return Err(Error::field(Code::SdDuplicateDigest, "_sd"));
                    }
                }
                obj.values().try_for_each(|c| walk(c, seen))
            }
            Value::Array(items) => items.iter().try_for_each(|c| walk(c, seen)),
            _ => Ok(()),
        }
    }
    let mut seen = HashSet::new();
    payload.values().try_for_each(|v| walk(v, &mut seen))?;
    let top = payload
        .get("_sd")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for d in top.filter_map(Value::as_str) {
        if !seen.insert(d) {
            return Err(Error::field(Code::SdDuplicateDigest, "_sd"));
        }
    }
    Ok(())
}

fn refuse_reserved_names(v: &Value) -> Result<()> {
    match v {
        Value::Object(obj) => {
            for (k, child) in obj {
                if k == "_sd" || k == "_sd_alg" || k == "..." {
                    return Err(Error::value(Code::SdReservedName, "claim", k));
                }
                refuse_reserved_names(child)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(refuse_reserved_names),
        _ => Ok(()),
    }
}

fn walk_mut<'v>(mut v: &'v mut Value, path: &[PathSeg]) -> Option<&'v mut Value> {
    for seg in path {
        v = match seg {
            PathSeg::Key(k) => v.as_object_mut()?.get_mut(k)?,
            PathSeg::Index(i) => v.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(v)
}

/// What the holder signs into a key-binding JWT (RFC 9901 §4.3).
pub struct KbParams<'a> {
    /// The holder's key (must match the credential's `cnf`).
    pub key: &'a dyn Signer,
    /// The verifier the presentation is meant for.
    pub aud: &'a str,
    /// The verifier's nonce.
    pub nonce: &'a str,
    /// When the presentation is made.
    pub iat: UnixTime,
}

/// The parts of an SD-JWT or SD-JWT+KB, split on `~` (RFC 9901 §4, ABNF), not yet verified.
#[derive(Debug, Clone)]
pub struct SdJwt<'a> {
    /// The issuer-signed JWT, parsed but not verified.
    pub jws: UnverifiedJws<'a>,
    /// The disclosures as sent (base64url text; digests are taken over this exact text).
    pub disclosures: Vec<&'a str>,
    /// The KB-JWT, if present.
    pub kb_jwt: Option<&'a str>,
    /// `<jws>~<d1>~…~`: the text `sd_hash` covers.
    pub without_kb: &'a str,
}

impl<'a> SdJwt<'a> {
    /// Split and parse. The text must contain at least one `~`; empty disclosures (`~~`) and
    /// a KB-JWT position holding something that is not a JWS give `SD_FORMAT`.
    pub fn parse(text: &'a str) -> Result<SdJwt<'a>> {
        if text.len() > MAX_TOKEN {
            return Err(Error::limit(
                Code::PayloadTooLarge,
                "sd-jwt",
                MAX_TOKEN,
                text.len(),
            ));
        }
        let Some(last_tilde) = text.rfind('~') else {
            return Err(Error::field(Code::SdFormat, "~"));
        };
        // `last_tilde` is the index of a one-byte `~`, so both sides are on char boundaries.
        let (without_kb, kb_text) = text
            .split_at_checked(last_tilde + 1)
            .ok_or(Error::field(Code::SdFormat, "~"))?;
        let mut parts = without_kb[..last_tilde].split('~');
        let jws_text = parts.next().unwrap_or_default();
        let disclosures: Vec<&str> = parts.collect();
        if disclosures.len() > MAX_DISCLOSURES {
            return Err(Error::limit(
                Code::SdTooMany,
                "disclosures",
                MAX_DISCLOSURES,
                disclosures.len(),
            ));
        }
        if disclosures.iter().any(|d| d.is_empty()) {
            return Err(Error::field(Code::SdFormat, "disclosure"));
        }
        let kb_jwt = if kb_text.is_empty() {
            None
        } else if kb_text.split('.').count() == 3 {
            Some(kb_text)
        } else {
            return Err(Error::field(Code::SdFormat, "kb-jwt"));
        };
        let jws = jose::parse(jws_text)?;
        Ok(SdJwt {
            jws,
            disclosures,
            kb_jwt,
            without_kb,
        })
    }

    /// The issuer JWS header (for choosing the key by `kid`).
    pub fn header(&self) -> &Header {
        &self.jws.header
    }

    /// The issuer-signed payload before the signature is checked, for finding the key
    /// (`iss`) in the trust list. Never trust what it says.
    pub fn unverified_claims(&self) -> Result<Map<String, Value>> {
        json::parse_object(&self.jws.unverified_payload, "payload")
    }

    /// Verify under `issuer_key` with every check of RFC 9901 §7.1 and §7.3.
    pub fn verify(self, issuer_key: &PublicKey, opts: &VerifyOptions) -> Result<Verified> {
        // §7.1 step 1: the issuer signature, with an allow-listed alg matching the key.
        let header = self.jws.header.clone();
        let verified = self.jws.clone().verify(issuer_key)?;
        header.expect_typ(opts.typ)?;
        let mut payload = verified.payload_object()?;
        match payload.shift_remove("_sd_alg") {
            None => {}
            Some(Value::String(alg)) if alg == "sha-256" => {}
            Some(other) => {
                let shown = other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_owned);
                return Err(Error::value(Code::SdAlgNotAllowed, "_sd_alg", &shown));
            }
        }
        // §7.1 steps 2–5: disclosures. Digests repeated in the signed payload itself are
        // caught first, whatever kind of disclosure they name (§7.1 step 4).
        payload_digests_unique(&payload)?;
        let mut table = DisclosureTable::new(&self.disclosures)?;
        let mut claims = Value::Object(payload);
        let mut disclosed_paths = Vec::new();
        resolve(
            &mut claims,
            &mut table,
            Depth { json: 0, sd: 0 },
            &mut Vec::new(),
            &mut disclosed_paths,
        )?;
        if let Some(unused) = table.unreferenced() {
            return Err(Error::value(
                Code::SdUnreferencedDisclosure,
                "disclosure",
                unused,
            ));
        }
        let Value::Object(claims) = claims else {
            return Err(Error::field(Code::JsonInvalid, "payload"));
        };
        // §7.1 step 6 / §9.7: security claims must be in the clear.
        for path in &disclosed_paths {
            if let [PathSeg::Key(top)] = path.as_slice() {
                if NEVER_SELECTIVE.contains(&top.as_str()) {
                    return Err(Error::value(Code::SdForbiddenSdClaim, "claim", top));
                }
            }
        }
        // The validity window: JWT claims and the credential's own members (one home).
        let times = crate::model::check_validity(&claims, opts.now, opts.skew)?;
        let holder_key = match claims.get("cnf") {
            None => None,
            Some(cnf) => Some(
                cnf.get("jwk")
                    .ok_or(Error::field(Code::KbKeyInvalid, "cnf"))
                    .and_then(|jwk| {
                        PublicKey::from_jwk(jwk)
                            .map_err(|_| Error::field(Code::KbKeyInvalid, "cnf"))
                    })?,
            ),
        };
        let key_binding = match (self.kb_jwt, &holder_key) {
            (None, _) if opts.kb.required => return Err(Error::new(Code::KbRequired)),
            (None, _) => None,
            (Some(_), None) => return Err(Error::new(Code::KbNoCnf)),
            (Some(kb), Some(holder)) => Some(verify_kb(kb, holder, self.without_kb, opts)?),
        };
        Ok(Verified {
            header,
            claims,
            times,
            disclosed_paths,
            key_binding,
            holder_key,
            _sealed: Sealed,
        })
    }
}

/// Parse and verify in one step (see [`SdJwt::verify`]).
pub fn verify(text: &str, issuer_key: &PublicKey, opts: &VerifyOptions) -> Result<Verified> {
    SdJwt::parse(text)?.verify(issuer_key, opts)
}

/// What the verifier expects of key binding.
#[derive(Debug, Clone, Default)]
pub struct KbPolicy {
    /// Refuse presentations without a KB-JWT (`KB_REQUIRED`).
    pub required: bool,
    /// The expected `aud`; `None` means not checked (the verdict should say so).
    pub aud: Option<String>,
    /// The expected `nonce`; `None` means not checked.
    pub nonce: Option<String>,
}

/// Options for verification. Time is injected; nothing here reads a clock.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The verification time.
    pub now: UnixTime,
    /// Leeway for `exp`, `nbf`, `iat` and the KB-JWT `iat`, seconds.
    pub skew: i64,
    /// How old a KB-JWT may be, seconds.
    pub kb_max_age: i64,
    /// Accepted issuer-JWT `typ` values.
    pub typ: &'static [&'static str],
    /// Key-binding expectations.
    pub kb: KbPolicy,
}

impl VerifyOptions {
    /// Defaults at time `now`: skew [`CLOCK_SKEW_SECS`], KB window [`KB_MAX_AGE_SECS`],
    /// `typ` `dc+sd-jwt` or `vc+sd-jwt`, key binding optional.
    pub fn at(now: UnixTime) -> VerifyOptions {
        VerifyOptions {
            now,
            skew: CLOCK_SKEW_SECS,
            kb_max_age: KB_MAX_AGE_SECS,
            typ: &[TYP, TYP_LEGACY],
            kb: KbPolicy::default(),
        }
    }
}

/// A checked key binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBinding {
    /// The audience the holder named.
    pub aud: String,
    /// The nonce the holder signed.
    pub nonce: String,
    /// When the holder signed.
    pub iat: i64,
}

/// A verified SD-JWT: the processed claims (disclosed values in place, `_sd`, `_sd_alg` and
/// undisclosed digests gone).
///
/// Only [`SdJwt::verify`] (and [`verify`]) makes one (it is sealed, see `Sealed` in the crate
/// root):
///
/// ```compile_fail
/// use serde_json::Map;
/// use vpass_credential::jose::{Header, TimeClaims};
/// use vpass_credential::sdjwt::Verified;
/// fn forge(header: Header, times: TimeClaims) -> Verified {
///     Verified {
///         header,
///         claims: Map::new(),
///         times,
///         disclosed_paths: Vec::new(),
///         key_binding: None,
///         holder_key: None,
///     }
/// }
/// ```
///
/// ```compile_fail,E0451
/// use vpass_credential::sdjwt::Verified;
/// fn forge(real: Verified) -> Verified {
///     Verified { key_binding: None, ..real }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Verified {
    /// The issuer JWS header.
    pub header: Header,
    /// The processed payload.
    pub claims: Map<String, Value>,
    /// `iat`, and the validity window as checked (the stricter of the JWT claims and the
    /// credential's members, [`crate::model::check_validity`]).
    pub times: TimeClaims,
    /// Paths of the claims that came from disclosures.
    pub disclosed_paths: Vec<Vec<PathSeg>>,
    /// The key binding, when a KB-JWT was present and valid.
    pub key_binding: Option<KeyBinding>,
    /// The holder key from `cnf`, if any.
    pub holder_key: Option<PublicKey>,
    _sealed: Sealed,
}

struct Disclosure<'a> {
    text: &'a str,
    salt_only: bool,
    name: Option<String>,
    value: Value,
    used: bool,
}

struct DisclosureTable<'a> {
    by_digest: HashMap<String, Disclosure<'a>>,
    seen_digests: HashSet<String>,
}

impl<'a> DisclosureTable<'a> {
    fn new(texts: &[&'a str]) -> Result<DisclosureTable<'a>> {
        let mut by_digest = HashMap::with_capacity(texts.len());
        for &text in texts {
            let d = parse_disclosure(text)?;
            if by_digest.insert(digest(text), d).is_some() {
                return Err(Error::field(Code::SdDuplicateDigest, "disclosure"));
            }
        }
        Ok(DisclosureTable {
            by_digest,
            seen_digests: HashSet::new(),
        })
    }

    /// Record a digest found in the payload; `Some` if it names a disclosure.
    fn take(&mut self, digest: &str) -> Result<Option<&mut Disclosure<'a>>> {
        if !self.seen_digests.insert(digest.to_owned()) {
            return Err(Error::field(Code::SdDuplicateDigest, "_sd"));
        }
        match self.by_digest.get_mut(digest) {
            Some(d) => {
                d.used = true;
                Ok(Some(d))
            }
            None => Ok(None),
        }
    }

    fn unreferenced(&self) -> Option<&'a str> {
        self.by_digest.values().find(|d| !d.used).map(|d| d.text)
    }
}

fn parse_disclosure(text: &str) -> Result<Disclosure<'_>> {
    let malformed = || Error::field(Code::SdMalformedDisclosure, "disclosure");
    let bytes = b64::decode(text, "disclosure").map_err(|_| malformed())?;
    let Value::Array(mut items) = json::parse(&bytes, "disclosure")? else {
        return Err(malformed());
    };
    let (salt, name, value) = match items.len() {
        2 => {
            let value = items.pop().unwrap_or(Value::Null);
            (items.pop(), None, value)
        }
        3 => {
            let value = items.pop().unwrap_or(Value::Null);
            let name = match items.pop() {
                Some(Value::String(n)) => n,
                _ => return Err(malformed()),
            };
            (items.pop(), Some(name), value)
        }
        _ => return Err(malformed()),
    };
    if !matches!(salt, Some(Value::String(_))) {
        return Err(malformed());
    }
    if let Some(name) = &name {
        if name == "_sd" || name == "..." {
            return Err(Error::value(Code::SdReservedName, "claim", name));
        }
    }
    Ok(Disclosure {
        text,
        salt_only: name.is_none(),
        name,
        value,
        used: false,
    })
}

/// Where [`resolve`] is: JSON nesting (for `_sd_alg` placement) and disclosure nesting (the
/// [`MAX_SD_DEPTH`] ceiling; JSON depth itself is bounded when each part is parsed).
#[derive(Clone, Copy)]
struct Depth {
    json: usize,
    sd: usize,
}

impl Depth {
    fn member(self) -> Depth {
        Depth {
            json: self.json + 1,
            sd: self.sd,
        }
    }
    fn disclosed(self) -> Result<Depth> {
        if self.sd >= MAX_SD_DEPTH {
            return Err(Error::limit(
                Code::SdTooMany,
                "depth",
                MAX_SD_DEPTH,
                self.sd + 1,
            ));
        }
        Ok(Depth {
            json: self.json + 1,
            sd: self.sd + 1,
        })
    }
}

/// RFC 9901 §7.1 step 3: replace digests by disclosed values, recursively. Every value is
/// processed exactly once: the clear members of an object first, then each disclosed value
/// as it is inserted.
fn resolve(
    value: &mut Value,
    table: &mut DisclosureTable<'_>,
    depth: Depth,
    path: &mut Vec<PathSeg>,
    disclosed: &mut Vec<Vec<PathSeg>>,
) -> Result<()> {
    match value {
        Value::Object(obj) => {
            if depth.json > 0 && obj.contains_key("_sd_alg") {
                return Err(Error::field(Code::SdMalformed, "_sd_alg"));
            }
            let sd = obj.shift_remove("_sd");
            for (k, v) in obj.iter_mut() {
                path.push(PathSeg::Key(k.clone()));
                resolve(v, table, depth.member(), path, disclosed)?;
                path.pop();
            }
            let Some(sd) = sd else { return Ok(()) };
            let Value::Array(digests) = sd else {
                return Err(Error::field(Code::SdMalformed, "_sd"));
            };
            for d in digests {
                let Value::String(d) = d else {
                    return Err(Error::field(Code::SdMalformed, "_sd"));
                };
                let Some(disc) = table.take(&d)? else {
                    continue; // a decoy
                };
                let Some(name) = disc.name.clone().filter(|_| !disc.salt_only) else {
                    return Err(Error::field(Code::SdMalformedDisclosure, "_sd"));
                };
                if obj.contains_key(&name) {
                    return Err(Error::value(Code::SdClaimExists, "claim", &name));
                }
                let mut v = disc.value.clone();
                path.push(PathSeg::Key(name.clone()));
                disclosed.push(path.clone());
                resolve(&mut v, table, depth.disclosed()?, path, disclosed)?;
                path.pop();
                obj.insert(name, v);
            }
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in std::mem::take(items) {
                let digest = match &item {
                    Value::Object(o) if o.contains_key("...") => match (o.len(), o.get("...")) {
                        (1, Some(Value::String(d))) => Some(d.clone()),
                        _ => return Err(Error::field(Code::SdMalformed, "...")),
                    },
                    _ => None,
                };
                let (mut v, next) = match digest {
                    None => (item, depth.member()),
                    Some(d) => match table.take(&d)? {
                        None => continue, // a decoy
                        Some(disc) if disc.salt_only => {
                            let v = disc.value.clone();
                            path.push(PathSeg::Index(out.len()));
                            disclosed.push(path.clone());
                            path.pop();
                            (v, depth.disclosed()?)
                        }
                        Some(_) => return Err(Error::field(Code::SdMalformedDisclosure, "...")),
                    },
                };
                path.push(PathSeg::Index(out.len()));
                resolve(&mut v, table, next, path, disclosed)?;
                path.pop();
                out.push(v);
            }
            *items = out;
        }
        _ => {}
    }
    Ok(())
}

fn sd_hash(without_kb: &str) -> String {
    b64::encode(Sha256::digest(without_kb.as_bytes()))
}

/// RFC 9901 §7.3 step 4.
fn verify_kb(
    kb: &str,
    holder: &PublicKey,
    without_kb: &str,
    opts: &VerifyOptions,
) -> Result<KeyBinding> {
    let jws = jose::parse(kb).map_err(|e| match e.code() {
        Code::AlgNotAllowed | Code::HeaderNotAllowed | Code::CritUnsupported => e,
        _ => Error::field(Code::KbSignatureInvalid, "kb-jwt"),
    })?;
    jws.header.expect_typ(&[KB_TYP])?;
    let verified = jws.verify(holder).map_err(|e| match e.code() {
        Code::AlgKeyMismatch => e,
        _ => Error::new(Code::KbSignatureInvalid),
    })?;
    let claims = verified.payload_object()?;
    let text = |name: &'static str| match claims.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(Error::field(Code::InvalidClaim, name)),
    };
    let iat = jose::numeric_date(&claims, "iat")?.ok_or(Error::field(Code::InvalidClaim, "iat"))?;
    let (aud, nonce) = (text("aud")?, text("nonce")?);
    if text("sd_hash")? != sd_hash(without_kb) {
        return Err(Error::new(Code::KbSdHashMismatch));
    }
    if opts.kb.aud.as_ref().is_some_and(|want| *want != aud) {
        return Err(Error::value(Code::KbAudMismatch, "aud", &aud));
    }
    if opts.kb.nonce.as_ref().is_some_and(|want| *want != nonce) {
        return Err(Error::value(Code::KbNonceMismatch, "nonce", &nonce));
    }
    let now = opts.now.0;
    if iat > now.saturating_add(opts.skew) {
        return Err(Error::time(Code::KbNotYetValid, now, iat));
    }
    if iat < now.saturating_sub(opts.kb_max_age.saturating_add(opts.skew)) {
        return Err(Error::time(Code::KbStale, now, iat));
    }
    Ok(KeyBinding { aud, nonce, iat })
}

/// The claim path of every disclosure in an issued SD-JWT, in the order they are sent,
/// with the index of the disclosure that contains it (for recursive disclosures).
fn disclosure_paths(sd: &SdJwt<'_>) -> Result<Vec<(Vec<PathSeg>, Option<usize>)>> {
    let payload = Value::Object(sd.unverified_claims()?);
    let digests: HashMap<String, usize> = sd
        .disclosures
        .iter()
        .enumerate()
        .map(|(i, d)| (digest(d), i))
        .collect();
    let parsed: Vec<Disclosure<'_>> = sd
        .disclosures
        .iter()
        .map(|d| parse_disclosure(d))
        .collect::<Result<_>>()?;
    let mut out = vec![(Vec::new(), None); sd.disclosures.len()];
    let mut stack: Vec<(&Value, Vec<PathSeg>, Option<usize>, usize)> =
        vec![(&payload, Vec::new(), None, 0)];
    while let Some((v, path, owner, depth)) = stack.pop() {
        if depth > MAX_SD_DEPTH * 4 {
            return Err(Error::limit(Code::SdTooMany, "depth", MAX_SD_DEPTH, depth));
        }
        match v {
            Value::Object(obj) => {
                for d in obj
                    .get("_sd")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(&i) = d.as_str().and_then(|d| digests.get(d)) else {
                        continue;
                    };
                    let (Some(name), Some(disc)) =
                        (parsed.get(i).and_then(|p| p.name.clone()), parsed.get(i))
                    else {
                        continue;
                    };
                    let mut p = path.clone();
                    p.push(PathSeg::Key(name));
                    if let Some(slot) = out.get_mut(i) {
                        *slot = (p.clone(), owner);
                    }
                    stack.push((&disc.value, p, Some(i), depth + 1));
                }
                for (k, child) in obj {
                    let mut p = path.clone();
                    p.push(PathSeg::Key(k.clone()));
                    stack.push((child, p, owner, depth + 1));
                }
            }
            Value::Array(items) => {
                for (idx, item) in items.iter().enumerate() {
                    let mut p = path.clone();
                    p.push(PathSeg::Index(idx));
                    let found = item
                        .get("...")
                        .and_then(Value::as_str)
                        .and_then(|d| digests.get(d));
                    match found.and_then(|&i| parsed.get(i).map(|disc| (i, disc))) {
                        Some((i, disc)) => {
                            if let Some(slot) = out.get_mut(i) {
                                *slot = (p.clone(), owner);
                            }
                            stack.push((&disc.value, p, Some(i), depth + 1));
                        }
                        None => stack.push((item, p, owner, depth + 1)),
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Build a presentation from an issued SD-JWT: keep the disclosures whose claim path
/// `select` accepts (and, for recursive disclosures, the ones that contain them), then
/// append a KB-JWT when `kb` is given. The issued SD-JWT must not already carry a KB-JWT
/// (`SD_FORMAT`), and the KB key must be the credential's `cnf` key (`KB_KEY_INVALID`).
pub fn present(
    issued: &str,
    select: &dyn Fn(&[PathSeg]) -> bool,
    kb: Option<&KbParams<'_>>,
) -> Result<String> {
    let sd = SdJwt::parse(issued)?;
    if sd.kb_jwt.is_some() {
        return Err(Error::field(Code::SdFormat, "kb-jwt"));
    }
    let paths = disclosure_paths(&sd)?;
    let mut keep = vec![false; sd.disclosures.len()];
    for (i, (path, _)) in paths.iter().enumerate() {
        if !path.is_empty() && select(path) {
            let mut at = Some(i);
            while let Some(j) = at {
                if let Some(k) = keep.get_mut(j) {
                    *k = true;
                }
                at = paths.get(j).and_then(|(_, owner)| *owner);
            }
        }
    }
    let jws_end = sd.without_kb.find('~').unwrap_or(sd.without_kb.len());
    let mut out = String::with_capacity(issued.len() + 200);
    out.push_str(&sd.without_kb[..jws_end]);
    out.push('~');
    for (d, _) in sd.disclosures.iter().zip(&keep).filter(|(_, k)| **k) {
        out.push_str(d);
        out.push('~');
    }
    if let Some(kb) = kb {
        let claims = sd.unverified_claims()?;
        if let Some(jwk) = claims.get("cnf").and_then(|c| c.get("jwk")) {
            if PublicKey::from_jwk(jwk).ok() != Some(kb.key.public()) {
                return Err(Error::field(Code::KbKeyInvalid, "cnf"));
            }
        } else {
            return Err(Error::new(Code::KbNoCnf));
        }
        let payload = serde_json::json!({
            "iat": kb.iat.0,
            "aud": kb.aud,
            "nonce": kb.nonce,
            "sd_hash": sd_hash(&out),
        });
        out.push_str(&jose::sign_json(kb.key, Some(KB_TYP), &payload));
    }
    Ok(out)
}

/// [`present`] selecting by name: a disclosure is kept when its dotted path
/// (`credentialSubject.region`) or its last member name (`region`) is in `names`.
pub fn present_names(issued: &str, names: &[&str], kb: Option<&KbParams<'_>>) -> Result<String> {
    let select = |path: &[PathSeg]| {
        let dotted: Vec<String> = path
            .iter()
            .map(|s| match s {
                PathSeg::Key(k) => k.clone(),
                PathSeg::Index(i) => i.to_string(),
            })
            .collect();
        let full = dotted.join(".");
        names
            .iter()
            .any(|n| *n == full || dotted.last().is_some_and(|l| l == n))
    };
    present(issued, &select, kb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningKey;
    use serde_json::json;

    struct CountingSalts(u32);
    impl SaltSource for CountingSalts {
        fn salt(&mut self) -> String {
            self.0 += 1;
            format!("salt{}", self.0)
        }
    }

    fn paths(claims: &Value, dotted: &[&str]) -> Vec<Vec<PathSeg>> {
        dotted.iter().map(|d| parse_path(claims, d)).collect()
    }

    #[test]
    fn issue_present_verify_nested_and_array() {
        let office = SigningKey::from_seed(&[3; 32]);
        let holder = SigningKey::from_seed(&[4; 32]);
        let claims = json!({"iss": "did:web:o", "iat": 100, "exp": 10_000,
            "cnf": {"jwk": holder.public().to_jwk()},
            "subject": {"name": "A", "iin": "950101400123", "region": "KZ-AST"},
            "langs": ["kk", "ru", "en"]});
        let sd = paths(
            &claims,
            &["subject.iin", "subject.region", "langs.1", "subject"],
        );
        let issued = issue(&office, claims, &sd, &mut CountingSalts(0)).unwrap();
        assert_eq!(issued.matches('~').count(), 5);
        let kb = KbParams {
            key: &holder,
            aud: "hr",
            nonce: "n1",
            iat: UnixTime(500),
        };
        let shown = present_names(&issued, &["region"], Some(&kb)).unwrap();
        // region and its parent `subject` are sent; iin and langs.1 are not.
        assert_eq!(shown.matches('~').count(), 3);
        let mut opts = VerifyOptions::at(UnixTime(600));
        opts.kb.aud = Some("hr".into());
        let v = verify(&shown, &office.public(), &opts).unwrap();
        assert_eq!(
            v.claims["subject"],
            json!({"name": "A", "region": "KZ-AST"})
        );
        assert_eq!(v.claims["langs"], json!(["kk", "en"]));
        assert_eq!(v.key_binding.unwrap().nonce, "n1");
    }

    #[test]
    fn reject_forbidden_selectively_disclosable_claim_at_issuance() {
        let office = SigningKey::from_seed(&[3; 32]);
        let claims = json!({"iss": "x", "exp": 5});
        let e = issue(
            &office,
            claims.clone(),
            &paths(&claims, &["exp"]),
            &mut OsSalts,
        )
        .unwrap_err();
        assert_eq!(e.code(), Code::SdForbiddenSdClaim);
    }
}

#[cfg(test)]
mod issue_tests {
    use super::*;
    use crate::keys::SigningKey;
    use serde_json::json;

    #[test]
    fn reject_reserved_names_in_issuer_input() {
        let office = SigningKey::from_seed(&[3; 32]);
        for claims in [
            json!({"iss": "x", "subject": {"_sd": ["abc"]}}),
            json!({"iss": "x", "_sd_alg": "sha-1"}),
            json!({"iss": "x", "list": [{"...": "abc"}]}),
        ] {
            let e = issue(&office, claims, &[], &mut OsSalts).unwrap_err();
            assert_eq!(e.code(), Code::SdReservedName);
        }
    }

    #[test]
    fn duplicate_paths_conceal_once() {
        let office = SigningKey::from_seed(&[3; 32]);
        let claims = json!({"iss": "x", "a": [1, 2], "b": 3});
        let p = vec![
            parse_path(&claims, "a.0"),
            parse_path(&claims, "a.0"),
            parse_path(&claims, "b"),
        ];
        let issued = issue(&office, claims, &p, &mut OsSalts).unwrap();
        assert_eq!(issued.matches('~').count(), 3);
        let shown = present(&issued, &|_| true, None).unwrap();
        let v = verify(&shown, &office.public(), &VerifyOptions::at(UnixTime(0))).unwrap();
        assert_eq!(v.claims["a"], json!([1, 2]));
        assert_eq!(v.claims["b"], 3);
    }

    #[test]
    fn plain_nesting_is_not_disclosure_depth() {
        let office = SigningKey::from_seed(&[3; 32]);
        let mut deep = json!("leaf");
        for _ in 0..30 {
            deep = json!({ "a": deep });
        }
        let issued = issue(
            &office,
            json!({"iss": "x", "deep": deep}),
            &[],
            &mut OsSalts,
        )
        .unwrap();
        assert!(verify(&issued, &office.public(), &VerifyOptions::at(UnixTime(0))).is_ok());
    }

    /// A `{"...": d}` object that is the *value* of an array-element disclosure is not an
    /// array element: its digest must stay unreferenced, whatever position the array has.
    #[test]
    fn r2_disclosed_values_are_processed_once() {
        let office = SigningKey::from_seed(&[3; 32]);
        let d = |v: Value| b64::encode(v.to_string());
        let d2 = d(json!(["s2", "secret"]));
        let d1 = d(json!(["s1", {"...": digest(&d2)}]));
        let d0 = d(json!(["s0", "arr", [{"...": digest(&d1)}]]));
        let jws = jose::sign_json(
            &office,
            Some(TYP),
            &json!({"iss": "x", "_sd": [digest(&d0)]}),
        );
        let text = format!("{jws}~{d0}~{d1}~{d2}~");
        let e = verify(&text, &office.public(), &VerifyOptions::at(UnixTime(0))).unwrap_err();
        assert_eq!(e.code(), Code::SdUnreferencedDisclosure);
    }
}
