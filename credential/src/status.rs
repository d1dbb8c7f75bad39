//! W3C Bitstring Status List v1.0 (W3C Recommendation, 15 May 2025,
//! <https://www.w3.org/TR/vc-bitstring-status-list/>): revocation for vpass credentials.
//!
//! Hand-written: no standalone crate implements it (`ssi-status` lives inside the much larger
//! `ssi`), and the format is small. What this module covers:
//!
//! - [`StatusList`]: the bitstring. Entry *i* of size *s* occupies bits `i·s … i·s+s−1`
//!   (§3.3 step 2, §3.2 step 10); bit 0 is the left-most, i.e. the most significant bit of
//!   byte 0 (§2.2 `encodedList`), and a multi-bit status is read with its first bit as the
//!   most significant. At least 131,072 entries (§3.2 step 2, herd privacy).
//! - [`StatusList::encode`] / [`StatusList::decode`]: GZIP (RFC 1952) then multibase base64url
//!   without padding, prefix `u` (§2.2, §3.3, §3.4). Decoding caps the input length and the
//!   inflated size ([`MAX_STATUS_LIST_INFLATED`]): a gzip bomb stops at the cap. Anything but
//!   exactly one canonical gzip member in canonical unpadded base64url is refused.
//! - [`parse_status_index`]: `statusListIndex`, "an arbitrary size integer greater than or
//!   equal to 0, expressed as a string in base 10" (§2.1), read strictly.
//! - [`sign_status_list`] / [`verify_status_list`]: the `BitstringStatusListCredential` (§2.2)
//!   secured as a VC-JWT (`typ` `vc+jwt`, VC-JOSE-COSE), checked as §3.2 steps 4–5 ask: the
//!   proof, the issuer, the list URL and the purpose. [`verify_status_list_with_trust`] takes
//!   the key, the issuer and the list ownership from the signed trust list.
//!
//! Error codes follow §3.5 and VCDM 2.0: `MALFORMED_VALUE_ERROR`, `STATUS_LIST_LENGTH_ERROR`,
//! `RANGE_ERROR`, `STATUS_VERIFICATION_ERROR`; plus `DECOMPRESSED_TOO_LARGE` for the size cap
//! and `STATUS_ROLLBACK` / `STATUS_UNKNOWN` for the cache checks of
//! [`VerifiedStatusList::check_rollback`] and [`VerifiedStatusList::check_current`].
//!
//! ```
//! use vpass_credential::status::StatusList;
//! let mut list = StatusList::new(131_072).unwrap();
//! list.set(94_567, true).unwrap();
//! let encoded = list.encode();
//! assert!(encoded.starts_with("uH4sI"));
//! assert!(StatusList::decode(&encoded).unwrap().get(94_567).unwrap());
//! ```

use std::fmt;
use std::io::{Read, Write};

use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Map, Value};

use crate::error::{Code, Error, Result};
use crate::jose;
use crate::json;
use crate::keys::{PublicKey, Signer};
use crate::limits::{CLOCK_SKEW_SECS, MAX_STATUS_LIST_INFLATED, MAX_STATUS_LIST_TOKEN};
use crate::time::UnixTime;
use crate::trust::VerifiedTrustList;
use crate::Sealed;

/// Fewest entries a status list may have (§3.2 step 2): 131,072, i.e. 16 KiB of 1-bit entries.
pub const MIN_ENTRIES: usize = 131_072;
/// Largest `statusSize` supported. The spec allows any positive integer, but a size-*s* list
/// needs 2^*s* status messages (§2.1 `statusMessage`); 8 bits (256 messages) is plenty.
pub const MAX_STATUS_SIZE: u8 = 8;
/// `typ` of a status list credential (VC-JOSE-COSE).
pub const STATUS_LIST_TYP: &str = "vc+jwt";
/// The VCDM 2.0 base context, first in every `@context`.
const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// Longest accepted `encodedList`: `u` plus the base64url of the largest gzip member that can
/// inflate to at most the cap (stored blocks add 5 bytes per ≤ 64 KiB block; 1/64 + 64 bytes of
/// margin covers them and the header). Longer text cannot be a list we would accept.
const MAX_ENCODED_LIST: usize =
    1 + (MAX_STATUS_LIST_INFLATED + MAX_STATUS_LIST_INFLATED / 64 + 64).div_ceil(3) * 4;
/// Longest decimal `statusListIndex` (`u64::MAX` has 20 digits).
const MAX_INDEX_DIGITS: usize = 20;

/// A bitstring status list: entries of `status_size` bits, index 0 at the most significant bit
/// of byte 0.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
    status_size: u8,
}

impl fmt::Debug for StatusList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set_bits: u32 = self.bytes.iter().map(|b| b.count_ones()).sum();
        f.debug_struct("StatusList")
            .field("entries", &self.len())
            .field("status_size", &self.status_size)
            .field("set_bits", &set_bits)
            .finish()
    }
}

fn check_status_size(status_size: u8) -> Result<()> {
    if (1..=MAX_STATUS_SIZE).contains(&status_size) {
        Ok(())
    } else {
        Err(Error::value(
            Code::MalformedValueError,
            "statusSize",
            &status_size.to_string(),
        ))
    }
}

fn too_short(entries: usize) -> Error {
    Error::limit(
        Code::StatusListLengthError,
        "status list entries (minimum)",
        MIN_ENTRIES,
        entries,
    )
}

impl StatusList {
    /// An all-zero list of 1-bit entries. `len` is rounded up to a whole byte;
    /// fewer than [`MIN_ENTRIES`] gives `STATUS_LIST_LENGTH_ERROR`.
    pub fn new(len: usize) -> Result<StatusList> {
        StatusList::with_status_size(len, 1)
    }

    /// An all-zero list of `len` entries of `status_size` bits (1 to [`MAX_STATUS_SIZE`],
    /// else `MALFORMED_VALUE_ERROR`), rounded up to a whole byte. Fewer than [`MIN_ENTRIES`]
    /// gives `STATUS_LIST_LENGTH_ERROR`; more than [`MAX_STATUS_LIST_INFLATED`] bytes gives
    /// `DECOMPRESSED_TOO_LARGE` (no verifier could decode it).
    pub fn with_status_size(len: usize, status_size: u8) -> Result<StatusList> {
        check_status_size(status_size)?;
        if len < MIN_ENTRIES {
            return Err(too_short(len));
        }
        let bytes = len
            .checked_mul(usize::from(status_size))
            .map(|bits| bits.div_ceil(8))
            .filter(|&bytes| bytes <= MAX_STATUS_LIST_INFLATED)
            .ok_or(Error::limit(
                Code::DecompressedTooLarge,
                "status list bytes",
                MAX_STATUS_LIST_INFLATED,
                len.saturating_mul(usize::from(status_size)) / 8,
            ))?;
        Ok(StatusList {
            bytes: vec![0; bytes],
            status_size,
        })
    }

    /// Number of entries (whole entries that fit in the bitstring).
    pub fn len(&self) -> usize {
        self.bytes.len() * 8 / usize::from(self.status_size)
    }

    /// Whether the list has no entries (never true for a constructed list).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bits per entry (`statusSize`, §2.1; 1 unless stated otherwise).
    pub fn status_size(&self) -> u8 {
        self.status_size
    }

    /// The uncompressed bitstring.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The same bitstring read with another `statusSize` (the size comes from the credential's
    /// `BitstringStatusListEntry`, §2.1). Fewer than [`MIN_ENTRIES`] entries at that size gives
    /// `STATUS_LIST_LENGTH_ERROR` (§3.2 step 9).
    pub fn into_status_size(self, status_size: u8) -> Result<StatusList> {
        check_status_size(status_size)?;
        let list = StatusList {
            bytes: self.bytes,
            status_size,
        };
        if list.len() < MIN_ENTRIES {
            return Err(too_short(list.len()));
        }
        Ok(list)
    }

    /// First bit position of entry `index`, or `RANGE_ERROR` past the end (§3.2 step 10).
    fn position(&self, index: u64) -> Result<usize> {
        let len = self.len();
        match usize::try_from(index) {
            Ok(i) if i < len => Ok(i * usize::from(self.status_size)),
            _ => Err(Error::limit(
                Code::RangeError,
                "statusListIndex",
                len,
                usize::try_from(index).unwrap_or(usize::MAX),
            )),
        }
    }

    /// Whether entry `index` is set (any non-zero status). `RANGE_ERROR` past the end.
    pub fn get(&self, index: u64) -> Result<bool> {
        Ok(self.status(index)? != 0)
    }

    /// Set entry `index` to 1 (`true`) or 0. `RANGE_ERROR` past the end.
    pub fn set(&mut self, index: u64, value: bool) -> Result<()> {
        self.set_status(index, u8::from(value))
    }

    /// The status value of entry `index` (its first bit most significant).
    /// `RANGE_ERROR` past the end.
    pub fn status(&self, index: u64) -> Result<u8> {
        let start = self.position(index)?;
        let mut value = 0u8;
        for bit in start..start + usize::from(self.status_size) {
            let byte = self
                .bytes
                .get(bit / 8)
                .ok_or(Error::field(Code::RangeError, "statusListIndex"))?;
            value = (value << 1) | ((byte >> (7 - bit % 8)) & 1);
        }
        Ok(value)
    }

    /// Set the status value of entry `index`. `RANGE_ERROR` past the end, or when `value` does
    /// not fit in `status_size` bits.
    pub fn set_status(&mut self, index: u64, value: u8) -> Result<()> {
        let size = usize::from(self.status_size);
        if size < 8 && value >> size != 0 {
            return Err(Error::value(Code::RangeError, "status", &value.to_string()));
        }
        let start = self.position(index)?;
        for k in 0..size {
            let bit = start + k;
            let byte = self
                .bytes
                .get_mut(bit / 8)
                .ok_or(Error::field(Code::RangeError, "statusListIndex"))?;
            let mask = 0x80u8 >> (bit % 8);
            if (value >> (size - 1 - k)) & 1 == 1 {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
        }
        Ok(())
    }

    /// `encodedList` (§3.3 step 3): GZIP, then `u` + base64url without padding. Deterministic
    /// (gzip mtime 0, OS 255, best compression), so equal lists give equal text.
    pub fn encode(&self) -> String {
        let mut gz = GzEncoder::new(
            Vec::with_capacity(self.bytes.len() / 8 + 64),
            Compression::best(),
        );
        // Writing into a Vec cannot fail, so neither can `finish`: the fallback is unreachable.
        let compressed = gz
            .write_all(&self.bytes)
            .and_then(|()| gz.finish())
            .unwrap_or_default();
        let mut out = String::with_capacity(1 + compressed.len().div_ceil(3) * 4);
        out.push('u');
        out.push_str(&crate::b64::encode(compressed));
        out
    }

    /// Decode an `encodedList` of 1-bit entries (§3.4); errors as in
    /// [`StatusList::decode_with_status_size`].
    pub fn decode(encoded: &str) -> Result<StatusList> {
        StatusList::decode_with_status_size(encoded, 1)
    }

    /// Decode an `encodedList` (§3.4) whose entries have `status_size` bits.
    ///
    /// - longer than a list of [`MAX_STATUS_LIST_INFLATED`] bytes could be: `PAYLOAD_TOO_LARGE`;
    /// - no `u` prefix, not canonical unpadded base64url, not one GZIP member (e.g. zlib or raw
    ///   DEFLATE), a bad CRC, or bytes after the member: `MALFORMED_VALUE_ERROR`;
    /// - inflating past [`MAX_STATUS_LIST_INFLATED`]: `DECOMPRESSED_TOO_LARGE`, after inflating
    ///   at most the cap plus one byte (memory stays within about twice the cap);
    /// - fewer than [`MIN_ENTRIES`] entries: `STATUS_LIST_LENGTH_ERROR` (§3.2 step 9).
    pub fn decode_with_status_size(encoded: &str, status_size: u8) -> Result<StatusList> {
        check_status_size(status_size)?;
        if encoded.len() > MAX_ENCODED_LIST {
            return Err(Error::limit(
                Code::PayloadTooLarge,
                "encodedList",
                MAX_ENCODED_LIST,
                encoded.len(),
            ));
        }
        let malformed =
            |reason| Error::field_reason(Code::MalformedValueError, "encodedList", reason);
        let text = encoded
            .strip_prefix('u')
            .ok_or(malformed("no multibase 'u' prefix"))?;
        let gz = crate::b64::decode(text, "encodedList")
            .map_err(|_| malformed("not canonical unpadded base64url"))?;
        let mut decoder = GzDecoder::new(gz.as_slice());
        let mut bytes = Vec::new();
        let cap = u64::try_from(MAX_STATUS_LIST_INFLATED).unwrap_or(u64::MAX);
        (&mut decoder)
            .take(cap.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|_| malformed("not a valid GZIP member"))?;
        if bytes.len() > MAX_STATUS_LIST_INFLATED {
            return Err(Error::limit(
                Code::DecompressedTooLarge,
                "encodedList",
                MAX_STATUS_LIST_INFLATED,
                bytes.len(),
            ));
        }
        if !decoder.into_inner().is_empty() {
            return Err(malformed("data after the GZIP member"));
        }
        let list = StatusList { bytes, status_size };
        if list.len() < MIN_ENTRIES {
            return Err(too_short(list.len()));
        }
        Ok(list)
    }
}

/// Parse a `statusListIndex` (§2.1): ASCII decimal digits only, no sign, no leading zero
/// (except `"0"` itself), at most 20 digits and within `u64`; otherwise
/// `MALFORMED_VALUE_ERROR`. Whether it is inside a list is [`StatusList::get`]'s question
/// (`RANGE_ERROR`).
pub fn parse_status_index(text: &str) -> Result<u64> {
    let malformed = || Error::value(Code::MalformedValueError, "statusListIndex", text);
    let bytes = text.as_bytes();
    if bytes.is_empty()
        || bytes.len() > MAX_INDEX_DIGITS
        || !bytes.iter().all(u8::is_ascii_digit)
        || (bytes.len() > 1 && bytes.first() == Some(&b'0'))
    {
        return Err(malformed());
    }
    text.parse::<u64>().map_err(|_| malformed())
}

/// Sign a status list credential (§2.2) as a VC-JWT (`typ` `vc+jwt`).
///
/// The payload is the VCDM 2.0 `BitstringStatusListCredential` (`id` = `list_url`, subject
/// `list_url#list` of type `BitstringStatusList`) plus the JWT claims `iss` (= `issuer_did`),
/// `iat` and `nbf` (= `valid_from`, the publication time) and `exp` (= `valid_until`). A list
/// with `statusSize` > 1 also states `credentialSubject.statusSize`. The header carries the
/// signer's `kid`, which verifiers look up in the trust list.
pub fn sign_status_list(
    signer: &dyn Signer,
    issuer_did: &str,
    list_url: &str,
    purpose: &str,
    list: &StatusList,
    valid_from: UnixTime,
    valid_until: UnixTime,
) -> String {
    let mut subject = Map::new();
    subject.insert("id".into(), Value::String(format!("{list_url}#list")));
    subject.insert("type".into(), "BitstringStatusList".into());
    subject.insert("statusPurpose".into(), purpose.into());
    if list.status_size() > 1 {
        subject.insert("statusSize".into(), list.status_size().into());
    }
    subject.insert("encodedList".into(), list.encode().into());
    let payload = json!({
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": valid_from.to_rfc3339(),
        "validUntil": valid_until.to_rfc3339(),
        "credentialSubject": subject,
        "iss": issuer_did,
        "iat": valid_from.0,
        "nbf": valid_from.0,
        "exp": valid_until.0,
    });
    jose::sign_json(signer, Some(STATUS_LIST_TYP), &payload)
}

/// A status list credential whose signature, issuer, URL and purpose were checked.
///
/// Only [`verify_status_list`] (and [`verify_status_list_with_trust`]) makes one (it is
/// sealed, see `Sealed` in the crate root):
///
/// ```compile_fail
/// use vpass_credential::status::{StatusList, VerifiedStatusList};
/// use vpass_credential::time::UnixTime;
/// fn forge(list: StatusList) -> VerifiedStatusList {
///     VerifiedStatusList {
///         url: "https://front-office.example/status/1".into(),
///         issuer: "did:web:front-office.example".into(),
///         purpose: "revocation".into(),
///         valid_from: UnixTime(1_780_000_000),
///         valid_until: None,
///         list,
///         digest: String::new(),
///     }
/// }
/// ```
///
/// ```compile_fail,E0451
/// use vpass_credential::status::{StatusList, VerifiedStatusList};
/// fn forge(real: VerifiedStatusList, list: StatusList) -> VerifiedStatusList {
///     VerifiedStatusList { list, ..real }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedStatusList {
    /// The list credential's `id`: the URL credentials name in `statusListCredential`.
    pub url: String,
    /// The issuer's DID.
    pub issuer: String,
    /// The purpose that was asked for and found in `statusPurpose`.
    pub purpose: String,
    /// Start of validity: the latest of `validFrom`, `nbf` and `iat` that are present. Keep
    /// the highest seen per URL to refuse rollbacks ([`VerifiedStatusList::check_rollback`]).
    pub valid_from: UnixTime,
    /// End of validity: the earliest of `validUntil` and `exp` that are present.
    pub valid_until: Option<UnixTime>,
    /// The decoded list.
    pub list: StatusList,
    /// SHA-256 of the token as verified, base64url: which publication this is. Keep it with
    /// `valid_from` so that another list of the same time is refused
    /// ([`VerifiedStatusList::check_rollback`]).
    pub digest: String,
    _sealed: Sealed,
}

impl VerifiedStatusList {
    /// Rollback check (attack G4): `STATUS_ROLLBACK` if this list is older than the newest one
    /// already accepted for the same URL (`newest_seen` = its `valid_from`), or of the same
    /// time but another publication (`seen_digest`, its [`VerifiedStatusList::digest`], when
    /// known): two lists signed within one second must not alternate, or the older one would
    /// un-revoke. The very same publication fetched again (equal time and digest) is accepted.
    pub fn check_rollback(
        &self,
        newest_seen: Option<UnixTime>,
        seen_digest: Option<&str>,
    ) -> Result<()> {
        match newest_seen {
            Some(seen) if self.valid_from < seen => {
                Err(Error::time(Code::StatusRollback, self.valid_from.0, seen.0))
            }
            Some(seen)
                if self.valid_from == seen && seen_digest.is_some_and(|d| d != self.digest) =>
            {
                Err(Error::field_reason(
                    Code::StatusRollback,
                    "validFrom",
                    "same time as the list held, other content",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Currency check at `now` (attacks G3, I2), with the shared clock skew
    /// ([`CLOCK_SKEW_SECS`]): past `valid_until` gives `STATUS_UNKNOWN` (a stale list never
    /// says "not revoked"); `valid_from` after `now` means the device clock is behind signed
    /// data, `CLOCK_INCONSISTENT`. A verifier's own maximum age is its policy, not checked here.
    pub fn check_current(&self, now: UnixTime) -> Result<()> {
        if let Some(until) = self.valid_until {
            if now.0 > until.0.saturating_add(CLOCK_SKEW_SECS) {
                return Err(Error::time(Code::StatusUnknown, now.0, until.0));
            }
        }
        if now.0.saturating_add(CLOCK_SKEW_SECS) < self.valid_from.0 {
            return Err(Error::time(
                Code::ClockInconsistent,
                now.0,
                self.valid_from.0,
            ));
        }
        Ok(())
    }
}

/// `STATUS_VERIFICATION_ERROR` naming the field and why (often the code of the inner error).
fn not_verified(field: &str, reason: &'static str) -> Error {
    Error::field_reason(Code::StatusVerificationError, field, reason)
}

fn string_member<'a>(map: &'a Map<String, Value>, name: &'static str) -> Result<&'a str> {
    map.get(name)
        .and_then(Value::as_str)
        .ok_or(not_verified(name, "missing or not a string"))
}

/// `true` if `value` is `expected` or an array containing it.
fn names(value: Option<&Value>, expected: &str) -> bool {
    match value {
        Some(Value::String(s)) => s == expected,
        Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(expected)),
        _ => false,
    }
}

/// An optional RFC 3339 member (`validFrom`, `validUntil`).
fn time_member(map: &Map<String, Value>, name: &'static str) -> Result<Option<UnixTime>> {
    match map.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(UnixTime::parse_rfc3339)
            .map(Some)
            .ok_or(not_verified(name, "not an RFC 3339 date-time")),
    }
}

/// An optional JWT NumericDate member (`iat`, `nbf`, `exp`), integers only.
fn numeric_date(map: &Map<String, Value>, name: &'static str) -> Result<Option<UnixTime>> {
    match map.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .map(|t| Some(UnixTime(t)))
            .ok_or(not_verified(name, "not an integer NumericDate")),
    }
}

/// The start of validity: the latest of `validFrom`, `nbf`, `iat` that are present.
fn start_of_validity(payload: &Map<String, Value>) -> Result<UnixTime> {
    [
        time_member(payload, "validFrom")?,
        numeric_date(payload, "nbf")?,
        numeric_date(payload, "iat")?,
    ]
    .into_iter()
    .flatten()
    .max()
    .ok_or(not_verified("validFrom", "missing"))
}

/// Verify a status list credential (§3.2 steps 4–5 and 8–9) under `key`, which the caller
/// took from trust for `expected_issuer` (see [`verify_status_list_with_trust`]).
///
/// `STATUS_VERIFICATION_ERROR` (the context names the field and the reason) when: the token
/// does not parse or its signature does not verify under `key` (wrong key, wrong algorithm);
/// `typ` is not `vc+jwt`; it is not a VCDM 2.0 `BitstringStatusListCredential` with a
/// `BitstringStatusList` subject; `issuer` (or `iss`) is not `expected_issuer`; `id` is not
/// `expected_url` (substitution, attack G2); `statusPurpose` does not include
/// `expected_purpose` (e.g. a suspension list offered for revocation); or the dates are
/// missing or malformed. The `encodedList` errors of [`StatusList::decode_with_status_size`]
/// keep their own codes. Time is not checked here: see [`VerifiedStatusList::check_current`].
pub fn verify_status_list(
    token: &str,
    key: &PublicKey,
    expected_issuer: &str,
    expected_url: &str,
    expected_purpose: &str,
) -> Result<VerifiedStatusList> {
    let jws = jose::parse_with_limit(token, MAX_STATUS_LIST_TOKEN)
        .map_err(|e| not_verified("token", e.code().as_str()))?
        .verify(key)
        .map_err(|e| not_verified("signature", e.code().as_str()))?;
    jws.header
        .expect_typ(&[STATUS_LIST_TYP])
        .map_err(|e| not_verified("typ", e.code().as_str()))?;
    let payload = jws
        .payload_object_with_limit(MAX_STATUS_LIST_TOKEN)
        .map_err(|e| not_verified("payload", e.code().as_str()))?;

    let context_ok = matches!(payload.get("@context"), Some(Value::Array(c))
        if c.first().and_then(Value::as_str) == Some(VC_V2_CONTEXT));
    if !context_ok {
        return Err(not_verified("@context", "not a VCDM 2.0 credential"));
    }
    if !names(payload.get("type"), "VerifiableCredential")
        || !names(payload.get("type"), "BitstringStatusListCredential")
    {
        return Err(not_verified("type", "not a BitstringStatusListCredential"));
    }
    let issuer = match payload.get("issuer") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(o)) => string_member(o, "id")?,
        _ => return Err(not_verified("issuer", "missing or not a string")),
    };
    if issuer != expected_issuer {
        return Err(not_verified("issuer", "not the expected issuer"));
    }
    if let Some(iss) = payload.get("iss") {
        if iss.as_str() != Some(expected_issuer) {
            return Err(not_verified("iss", "not the expected issuer"));
        }
    }
    if string_member(&payload, "id")? != expected_url {
        return Err(not_verified("id", "not the expected status list URL"));
    }

    let subject = match payload.get("credentialSubject") {
        Some(Value::Object(s)) => s,
        _ => return Err(not_verified("credentialSubject", "not a single object")),
    };
    if !names(subject.get("type"), "BitstringStatusList") {
        return Err(not_verified(
            "credentialSubject.type",
            "not a BitstringStatusList",
        ));
    }
    if !names(subject.get("statusPurpose"), expected_purpose) {
        return Err(not_verified(
            "credentialSubject.statusPurpose",
            "does not include the expected purpose",
        ));
    }
    let status_size = match subject.get("statusSize") {
        None => 1,
        Some(v) => v
            .as_u64()
            .and_then(|s| u8::try_from(s).ok())
            .filter(|s| (1..=MAX_STATUS_SIZE).contains(s))
            .ok_or(Error::field(
                Code::MalformedValueError,
                "credentialSubject.statusSize",
            ))?,
    };

    let valid_from = start_of_validity(&payload)?;
    let valid_until = [
        time_member(&payload, "validUntil")?,
        numeric_date(&payload, "exp")?,
    ]
    .into_iter()
    .flatten()
    .min();
    if valid_until.is_some_and(|until| until < valid_from) {
        return Err(not_verified("validUntil", "before validFrom"));
    }

    let encoded = subject
        .get("encodedList")
        .and_then(Value::as_str)
        .ok_or(Error::field(
            Code::MalformedValueError,
            "credentialSubject.encodedList",
        ))?;
    let list = StatusList::decode_with_status_size(encoded, status_size)?;
    Ok(VerifiedStatusList {
        url: expected_url.to_owned(),
        issuer: expected_issuer.to_owned(),
        purpose: expected_purpose.to_owned(),
        valid_from,
        valid_until,
        list,
        digest: token_digest(token),
        _sealed: Sealed,
    })
}

/// SHA-256 of a token's text, base64url without padding.
pub fn token_digest(token: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::b64::encode(Sha256::digest(token.as_bytes()))
}

/// Verify a status list credential against the signed trust list (attacks G1, G2): the list
/// URL must be one the trust list assigns to an office (its `statusLists`), that office is
/// the expected issuer, and the signing key is found with
/// [`VerifiedTrustList::find_key`] from the header `kid`, usable at every time the list
/// claims (`iat`, `nbf`, `validFrom`; attack: a retired key back-dating `iat`). Every failure of those steps is `STATUS_VERIFICATION_ERROR`,
/// its reason the code of the trust failure (e.g. `KEY_COMPROMISED`); then as
/// [`verify_status_list`].
pub fn verify_status_list_with_trust(
    token: &str,
    trust: &VerifiedTrustList,
    list_url: &str,
    purpose: &str,
) -> Result<VerifiedStatusList> {
    let office = trust.office_for_status_list(list_url).ok_or(not_verified(
        "statusListCredential",
        "no trusted office publishes this list",
    ))?;
    let unverified = jose::parse_with_limit(token, MAX_STATUS_LIST_TOKEN)
        .map_err(|e| not_verified("token", e.code().as_str()))?;
    // Unverified values pick the key only; the signature check below covers both.
    let payload = match json::parse_with_limit(
        &unverified.unverified_payload,
        "payload",
        MAX_STATUS_LIST_TOKEN,
    ) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(not_verified("payload", "not a JSON object")),
        Err(e) => return Err(not_verified("payload", e.code().as_str())),
    };
    // The key must be usable at every time the list claims (`iat`, `nbf`, `validFrom`): a
    // retired key could otherwise date a list before its retirement (`iat`) yet make it
    // valid from now (`validFrom`), superseding every later list.
    let mut claimed = vec![
        numeric_date(&payload, "iat")?,
        numeric_date(&payload, "nbf")?,
        time_member(&payload, "validFrom")?,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    if claimed.is_empty() {
        claimed.push(start_of_validity(&payload)?);
    }
    let kid = unverified.header.kid.as_deref();
    let mut found: Option<(&crate::trust::Office, PublicKey)> = None;
    for at in claimed {
        let (o, k) = trust
            .find_key(kid, &office.id, at)
            .map_err(|e| not_verified("kid", e.code().as_str()))?;
        if found.as_ref().is_some_and(|(_, first)| *first != k) {
            return Err(not_verified("kid", "different keys at the list's times"));
        }
        found = Some((o, k));
    }
    let (office, key) = found.ok_or(not_verified("validFrom", "missing"))?;
    verify_status_list(token, &key, &office.id, list_url, purpose)
}
