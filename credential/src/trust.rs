//! The signed trust list: which offices may issue which credentials, with which keys.
//!
//! Our own format, because no standard fits an offline national list: ETSI TS 119 612
//! (trusted lists) is X.509- and XML-bound, and the TUF metadata specification
//! (<https://theupdateframework.github.io/specification/latest/>) describes software
//! repositories. Both inform the rules below.
//!
//! # Format
//! A compact JWS (RFC 7515) with `typ` [`TRUST_LIST_TYP`], signed with EdDSA by the national
//! root key, whose payload is a [`TrustList`] in JSON (members in camelCase; unknown members
//! are refused, so a format change needs a new `typ`). Times are RFC 3339 strings in UTC
//! (`"2026-06-01T00:00:00Z"`), as in VCDM 2.0 `validFrom`, because people read and diff this
//! document; they are parsed into [`UnixTime`].
//!
//! ```json
//! {"sequence": 42, "issuedAt": "2026-06-01T00:00:00Z", "nextUpdate": "2026-06-08T00:00:00Z",
//!  "root": "did:key:z6Mk…",
//!  "offices": [{"id": "did:web:almaty.vpass.kz", "names": {"kk": "…", "ru": "…", "en": "…"},
//!    "region": "KZ-75", "credentialTypes": ["VolunteerHoursCredential"],
//!    "keys": [{"kid": "did:web:almaty.vpass.kz#2026", "jwk": {"crv": "Ed25519", …},
//!              "validFrom": "2026-01-01T00:00:00Z", "state": {"kind": "active"}}],
//!    "statusLists": ["https://almaty.vpass.kz/status/1"]}]}
//! ```
//!
//! # Rules enforced by [`verify_trust_list`]
//! (TUF = The Update Framework specification 1.0, "Detailed client workflow" §5.3–5.4.)
//! - **Signature** by the pinned root only (TUF §5.3.4), and the list's `root` must name that
//!   key: `TRUSTLIST_INVALID` otherwise; `typ` other than [`TRUST_LIST_TYP`]: `WRONG_TYP`.
//!   Roots and office keys are Ed25519 (`KEY_INVALID`).
//! - **Rollback** (TUF §5.3.5; ETSI TS 119 612 "TSL sequence number"): `sequence` must be
//!   strictly greater than the last accepted one, `TRUSTLIST_ROLLBACK` otherwise. An equal
//!   sequence is refused too, so two different lists signed under one number (a publishing
//!   mistake) can never alternate. "No change" (TUF §5.4.3: equal version, not an error) is
//!   detected by the caller before verifying: identical token bytes are the identical list.
//! - **Freeze** (TUF §5.3.10; ETSI "Next update"): past `nextUpdate` +
//!   [`TRUST_LIST_GRACE_SECS`] gives `TRUSTLIST_EXPIRED`. The grace covers a late publication
//!   while verifiers are offline; the verifier shows the list's age meanwhile. An `issuedAt`
//!   later than now (beyond [`CLOCK_SKEW_SECS`]) means the device clock is behind signed
//!   data: `CLOCK_INCONSISTENT` (attack I2).
//! - **Root rotation** (TUF "Key management and migration", §5.3.4): a list may name
//!   `nextRoot`, the did:key of the root that will sign the following lists. That list is
//!   signed by the current, pinned root, so the old root vouches for the new one. A verifier
//!   that accepts it verifies the following lists under [`VerifiedTrustList::root_to_pin`],
//!   keeping the rotation lists (the root chain) and checking them from the root it pinned
//!   first ([`verify_root_rotation`], one link at a time). A verifier that missed the rotation
//!   list catches up through the chain the publisher serves (every rotation list, oldest
//!   first); a new root is never taken from a list it signed itself. Unlike TUF, the new root does not co-sign (a compact JWS has one
//!   signature): the publisher must check that it can sign with `nextRoot` before publishing.
//! - **Structure**: office ids are unique `did:web` DIDs; `kid`s are unique across the list and
//!   of the form `"<office did>#<key name>"`; `region` is an ISO 3166-2:KZ code or absent
//!   (national); a key's validity ends after it starts; a status list URL belongs to one office
//!   only. Otherwise `TRUSTLIST_INVALID`.
//!
//! # Key states (attack H4; ETSI TS 119 612 "service current status" and history)
//! `active`; `retired` at T (orderly end: credentials with `iat` < T stay valid); and
//! `compromised` (everything under the key is refused, whatever its `iat`). See
//! [`VerifiedTrustList::find_key`].
//!
//! # Example
//! ```
//! use vpass_credential::keys::{Signer, SigningKey};
//! use vpass_credential::time::UnixTime;
//! use vpass_credential::trust::*;
//! let root = SigningKey::from_seed(&[1; 32]);
//! let office_key = SigningKey::from_seed(&[2; 32]).with_kid("did:web:vpass.kz#2026");
//! let list = TrustList {
//!     sequence: 1,
//!     issued_at: UnixTime(1_780_000_000),
//!     next_update: UnixTime(1_780_604_800),
//!     root: root.public().did_key(),
//!     next_root: None,
//!     offices: vec![Office {
//!         id: "did:web:vpass.kz".into(),
//!         names: Names { kk: "Ұлттық".into(), ru: "Национальный".into(), en: "National".into() },
//!         region: None,
//!         credential_types: vec!["VolunteerHoursCredential".into()],
//!         keys: vec![OfficeKey {
//!             kid: "did:web:vpass.kz#2026".into(),
//!             jwk: office_key.public().to_jwk(),
//!             valid_from: UnixTime(1_767_225_600),
//!             valid_until: None,
//!             state: KeyState::Active,
//!         }],
//!         status_lists: vec!["https://vpass.kz/status/1".into()],
//!     }],
//! };
//! let token = sign_trust_list(&root, &list);
//! let now = UnixTime(1_780_000_100);
//! let trusted = verify_trust_list(&token, &root.public(), now, None).unwrap();
//! let kid = Some("did:web:vpass.kz#2026");
//! let (office, key) = trusted.find_key(kid, "did:web:vpass.kz", now).unwrap();
//! assert!(office.may_issue("VolunteerHoursCredential"));
//! assert_eq!(key, office_key.public());
//! ```
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Code, Error, Result};
use crate::jose;
use crate::keys::{PublicKey, Signer};
use crate::limits::{CLOCK_SKEW_SECS, MAX_TRUST_LIST};
use crate::time::UnixTime;

/// `typ` of a signed trust list.
pub const TRUST_LIST_TYP: &str = "vpass-trustlist+jwt";
/// How long after `nextUpdate` a trust list is still used (7 days): time for a late
/// publication to reach verifiers that sync rarely. Past it: `TRUSTLIST_EXPIRED`.
pub const TRUST_LIST_GRACE_SECS: i64 = 7 * 24 * 3600;

/// RFC 3339 (de)serialization of [`UnixTime`] for the trust list document.
mod rfc3339 {
    use serde::{de, Deserialize, Deserializer, Serializer};

    use crate::time::UnixTime;

    pub fn serialize<S: Serializer>(t: &UnixTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<UnixTime, D::Error> {
        let text = String::deserialize(d)?;
        UnixTime::parse_rfc3339(&text).ok_or_else(|| de::Error::custom("not an RFC 3339 time"))
    }

    pub mod option {
        use serde::{Deserializer, Serializer};

        use crate::time::UnixTime;

        pub fn serialize<S: Serializer>(t: &Option<UnixTime>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<UnixTime>, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

/// The trust list document (the payload of the signed token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrustList {
    /// Version number; each published list has a larger one than the last.
    pub sequence: u64,
    /// When the list was signed.
    #[serde(with = "rfc3339")]
    pub issued_at: UnixTime,
    /// When the next list is due; past it plus [`TRUST_LIST_GRACE_SECS`] the list expires.
    #[serde(with = "rfc3339")]
    pub next_update: UnixTime,
    /// The did:key of the root that signs this list (must be the verifier's pinned root).
    pub root: String,
    /// The did:key of the root that will sign the following lists (root rotation), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_root: Option<String>,
    /// The trusted offices.
    pub offices: Vec<Office>,
}

/// An office's display name in the three interface languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
    /// English.
    pub en: String,
}

/// A front-office (or accredited organisation) that may issue credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Office {
    /// The office's `did:web` DID; credentials it issues carry it as `iss`.
    pub id: String,
    /// Display names.
    pub names: Names,
    /// ISO 3166-2:KZ code of its region (e.g. `KZ-75`), `None` for a national office.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Credential types it may issue (e.g. `VolunteerHoursCredential`).
    pub credential_types: Vec<String>,
    /// Its signing keys, current and past.
    pub keys: Vec<OfficeKey>,
    /// URLs of its status list credentials.
    #[serde(default)]
    pub status_lists: Vec<String>,
}

impl Office {
    /// Whether the office may issue credentials of type `type_name` (else the verifier reports
    /// `ISSUER_NOT_AUTHORIZED`).
    pub fn may_issue(&self, type_name: &str) -> bool {
        self.credential_types.iter().any(|t| t == type_name)
    }

    /// Whether `url` is one of the office's status lists.
    pub fn publishes_status_list(&self, url: &str) -> bool {
        self.status_lists.iter().any(|u| u == url)
    }
}

/// One signing key of an office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OfficeKey {
    /// `"<office did>#<key name>"`, unique in the list; tokens name it in their `kid` header.
    pub kid: String,
    /// The public key as a JWK (OKP, Ed25519).
    pub jwk: Value,
    /// Start of the key's validity: credentials with an earlier `iat` are refused.
    #[serde(with = "rfc3339")]
    pub valid_from: UnixTime,
    /// End of the key's validity (credentials with `iat` at or after it are refused), if any.
    #[serde(
        default,
        with = "rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub valid_until: Option<UnixTime>,
    /// Active, retired or compromised.
    pub state: KeyState,
}

/// The state of an office key (attack H4: retired and compromised are distinct).
///
/// In JSON: `{"kind": "active"}`, `{"kind": "retired", "at": "<RFC 3339>"}` or
/// `{"kind": "compromised", "at": "<RFC 3339>"}`; `at` is required exactly when the kind has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "KeyStateRepr", into = "KeyStateRepr")]
pub enum KeyState {
    /// In use.
    Active,
    /// Taken out of use at `at`: credentials issued before `at` stay valid.
    Retired {
        /// When it was retired.
        at: UnixTime,
    },
    /// Known or suspected to be in other hands since `at` (informational): every credential
    /// under it is refused.
    Compromised {
        /// When the compromise happened or was detected.
        at: UnixTime,
    },
}

/// The wire form of [`KeyState`]: serde's internally tagged unit variants would silently
/// ignore extra members (`{"kind": "active", "at": …}`); this form refuses them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyStateRepr {
    kind: KeyKind,
    #[serde(
        default,
        with = "rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    at: Option<UnixTime>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum KeyKind {
    Active,
    Retired,
    Compromised,
}

impl TryFrom<KeyStateRepr> for KeyState {
    type Error = &'static str;

    fn try_from(repr: KeyStateRepr) -> std::result::Result<KeyState, &'static str> {
        match (repr.kind, repr.at) {
            (KeyKind::Active, None) => Ok(KeyState::Active),
            (KeyKind::Retired, Some(at)) => Ok(KeyState::Retired { at }),
            (KeyKind::Compromised, Some(at)) => Ok(KeyState::Compromised { at }),
            (KeyKind::Active, Some(_)) => Err("an active key has no `at`"),
            (_, None) => Err("missing field `at`"),
        }
    }
}

impl From<KeyState> for KeyStateRepr {
    fn from(state: KeyState) -> KeyStateRepr {
        let (kind, at) = match state {
            KeyState::Active => (KeyKind::Active, None),
            KeyState::Retired { at } => (KeyKind::Retired, Some(at)),
            KeyState::Compromised { at } => (KeyKind::Compromised, Some(at)),
        };
        KeyStateRepr { kind, at }
    }
}

impl OfficeKey {
    /// Whether a token issued at `iat` may be checked with this key; `Err` says why not.
    fn check_at(&self, iat: UnixTime) -> Result<()> {
        if let KeyState::Compromised { .. } = self.state {
            return Err(Error::value(Code::KeyCompromised, "kid", &self.kid));
        }
        if iat < self.valid_from {
            return Err(Error::time(Code::UntrustedKey, iat.0, self.valid_from.0));
        }
        if let Some(until) = self.valid_until.filter(|&until| iat >= until) {
            return Err(Error::time(Code::UntrustedKey, iat.0, until.0));
        }
        if let KeyState::Retired { at } = self.state {
            if iat >= at {
                return Err(Error::time(Code::UntrustedKey, iat.0, at.0));
            }
        }
        Ok(())
    }
}

/// Sign a trust list with the root key: a compact JWS with `typ` [`TRUST_LIST_TYP`].
///
/// Nothing is checked here; publishers should run [`verify_trust_list`] on the result (with
/// the root's public key) before publishing, which catches duplicate ids, bad keys and the
/// like.
pub fn sign_trust_list(root: &dyn Signer, list: &TrustList) -> String {
    // Serializing this plain struct (strings, integers, JSON values) cannot fail; a `null`
    // payload would be refused by every verifier anyway.
    let payload = serde_json::to_value(list).unwrap_or_default();
    jose::sign_json(root, Some(TRUST_LIST_TYP), &payload)
}

/// A trust list whose signature, freshness, sequence and structure were checked, with its
/// office keys parsed once (lookups do not decode points again).
#[derive(Debug, Clone)]
pub struct VerifiedTrustList {
    list: TrustList,
    root: PublicKey,
    next_root: Option<PublicKey>,
    /// Parsed keys, parallel to `list.offices[i].keys`.
    keys: Vec<Vec<PublicKey>>,
    /// Office id → index in `list.offices`.
    offices_by_id: HashMap<String, usize>,
    /// kid → (office index, key index).
    kids: HashMap<String, (usize, usize)>,
    /// Status list URL → office index.
    status_lists: HashMap<String, usize>,
}

fn invalid(field: impl Into<String>, reason: &'static str) -> Error {
    Error::field_reason(Code::TrustlistInvalid, field, reason)
}

fn ed25519_did_key(did: &str, field: &'static str) -> Result<PublicKey> {
    match PublicKey::from_did_key(did) {
        Ok(key @ PublicKey::Ed25519(_)) => Ok(key),
        Ok(PublicKey::P256(_)) => Err(Error::field_reason(Code::KeyInvalid, field, "not Ed25519")),
        Err(_) => Err(Error::field_reason(
            Code::KeyInvalid,
            field,
            "not an Ed25519 did:key",
        )),
    }
}

/// ISO 3166-2:KZ subdivision code: `KZ-` and two or three ASCII capitals or digits.
fn is_kz_region(code: &str) -> bool {
    code.strip_prefix("KZ-").is_some_and(|rest| {
        (2..=3).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

/// The signed list's document, after its size, signature by `root`, `typ`, schema and `root`
/// member were checked.
fn parse_signed(token: &str, root: &PublicKey) -> Result<TrustList> {
    if !matches!(root, PublicKey::Ed25519(_)) {
        return Err(Error::field_reason(Code::KeyInvalid, "root", "not Ed25519"));
    }
    if token.len() > MAX_TRUST_LIST {
        return Err(Error::limit(
            Code::PayloadTooLarge,
            "trust list",
            MAX_TRUST_LIST,
            token.len(),
        ));
    }
    let jws = jose::parse_with_limit(token, MAX_TRUST_LIST).map_err(|e| match e.code() {
        Code::PayloadTooLarge => e,
        code => invalid("token", code.as_str()),
    })?;
    let jws = jws
        .verify(root)
        .map_err(|e| invalid("signature", e.code().as_str()))?;
    jws.header.expect_typ(&[TRUST_LIST_TYP])?;
    let payload = jws
        .payload_object_with_limit(MAX_TRUST_LIST)
        .map_err(|e| match e.code() {
            Code::PayloadTooLarge => e,
            code => invalid("payload", code.as_str()),
        })?;
    let list: TrustList = serde_json::from_value(Value::Object(payload))
        .map_err(|_| invalid("payload", "does not match the trust list schema"))?;
    if list.root != root.did_key() {
        return Err(invalid("root", "not the pinned root"));
    }
    Ok(list)
}

/// One link of the root chain: a trust list signed by `root` that names the next root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootRotation {
    /// The list's sequence number.
    pub sequence: u64,
    /// The root it hands over to (`nextRoot`).
    pub next_root: PublicKey,
}

/// Check a rotation list as a link of the root chain (TUF §5.3.4, each new root vouched for
/// by the previous one): signed by `root`, naming it as `root`, and naming an Ed25519
/// `nextRoot` other than `root`. Its freshness is not checked: a rotation list stays a valid
/// link long after it expired as a list, so that a verifier that missed it can catch up.
/// A list without `nextRoot` is `TRUSTLIST_INVALID` here.
pub fn verify_root_rotation(token: &str, root: &PublicKey) -> Result<RootRotation> {
    let list = parse_signed(token, root)?;
    let did = list
        .next_root
        .as_deref()
        .ok_or(invalid("nextRoot", "missing: not a rotation list"))?;
    let next_root = ed25519_did_key(did, "nextRoot")?;
    if next_root == *root {
        return Err(invalid("nextRoot", "same as root"));
    }
    Ok(RootRotation {
        sequence: list.sequence,
        next_root,
    })
}

/// Verify a signed trust list against the pinned root key, at time `now`, given the sequence
/// of the last list accepted (`None` at first sync). See the module documentation for the
/// rules and their error codes.
pub fn verify_trust_list(
    token: &str,
    pinned_root: &PublicKey,
    now: UnixTime,
    last_sequence: Option<u64>,
) -> Result<VerifiedTrustList> {
    let list = parse_signed(token, pinned_root)?;
    if let Some(last) = last_sequence {
        if list.sequence <= last {
            return Err(Error::value(
                Code::TrustlistRollback,
                "sequence",
                &format!("{} <= {last}", list.sequence),
            ));
        }
    }
    if list.next_update <= list.issued_at {
        return Err(invalid("nextUpdate", "not after issuedAt"));
    }
    if now.0.saturating_add(CLOCK_SKEW_SECS) < list.issued_at.0 {
        return Err(Error::time(
            Code::ClockInconsistent,
            now.0,
            list.issued_at.0,
        ));
    }
    let expires = list.next_update.0.saturating_add(TRUST_LIST_GRACE_SECS);
    if now.0 > expires {
        return Err(Error::time(Code::TrustlistExpired, now.0, expires));
    }
    let next_root = match &list.next_root {
        None => None,
        Some(did) => {
            let key = ed25519_did_key(did, "nextRoot")?;
            if key == *pinned_root {
                return Err(invalid("nextRoot", "same as root"));
            }
            Some(key)
        }
    };

    let mut offices_by_id = HashMap::with_capacity(list.offices.len());
    let mut kids = HashMap::new();
    let mut status_lists = HashMap::new();
    let mut keys = Vec::with_capacity(list.offices.len());
    for (oi, office) in list.offices.iter().enumerate() {
        check_office(office)?;
        if offices_by_id.insert(office.id.clone(), oi).is_some() {
            return Err(invalid(office.id.clone(), "duplicate office id"));
        }
        for url in &office.status_lists {
            if url.is_empty() {
                return Err(invalid(office.id.clone(), "empty status list URL"));
            }
            if status_lists.insert(url.clone(), oi).is_some() {
                return Err(invalid(url.clone(), "status list of two offices"));
            }
        }
        let mut parsed = Vec::with_capacity(office.keys.len());
        for (ki, key) in office.keys.iter().enumerate() {
            parsed.push(check_office_key(office, key)?);
            if kids.insert(key.kid.clone(), (oi, ki)).is_some() {
                return Err(invalid(key.kid.clone(), "duplicate kid"));
            }
        }
        keys.push(parsed);
    }

    Ok(VerifiedTrustList {
        list,
        root: pinned_root.clone(),
        next_root,
        keys,
        offices_by_id,
        kids,
        status_lists,
    })
}

fn check_office(office: &Office) -> Result<()> {
    let id = &office.id;
    if id.strip_prefix("did:web:").is_none_or(str::is_empty) || id.contains('#') {
        return Err(invalid(id.clone(), "office id is not a did:web DID"));
    }
    let Names { kk, ru, en } = &office.names;
    if kk.is_empty() || ru.is_empty() || en.is_empty() {
        return Err(invalid(id.clone(), "empty name"));
    }
    if office.region.as_deref().is_some_and(|r| !is_kz_region(r)) {
        return Err(invalid(id.clone(), "region is not an ISO 3166-2:KZ code"));
    }
    if office.credential_types.iter().any(String::is_empty) {
        return Err(invalid(id.clone(), "empty credential type"));
    }
    Ok(())
}

fn check_office_key(office: &Office, key: &OfficeKey) -> Result<PublicKey> {
    let name = key
        .kid
        .strip_prefix(office.id.as_str())
        .and_then(|rest| rest.strip_prefix('#'));
    if name.is_none_or(str::is_empty) {
        return Err(invalid(
            key.kid.clone(),
            "kid is not \"<office did>#<name>\"",
        ));
    }
    if key.valid_until.is_some_and(|until| until <= key.valid_from) {
        return Err(invalid(key.kid.clone(), "validUntil not after validFrom"));
    }
    match PublicKey::from_jwk(&key.jwk) {
        Ok(pk @ PublicKey::Ed25519(_)) => Ok(pk),
        Ok(PublicKey::P256(_)) => Err(Error::field_reason(
            Code::KeyInvalid,
            key.kid.clone(),
            "office keys must be Ed25519",
        )),
        Err(_) => Err(Error::field_reason(
            Code::KeyInvalid,
            key.kid.clone(),
            "malformed, weak or unsupported public key",
        )),
    }
}

impl VerifiedTrustList {
    /// The verified document.
    pub fn list(&self) -> &TrustList {
        &self.list
    }

    /// The list's sequence number (persist it: it is the next call's `last_sequence`).
    pub fn sequence(&self) -> u64 {
        self.list.sequence
    }

    /// When the list was signed.
    pub fn issued_at(&self) -> UnixTime {
        self.list.issued_at
    }

    /// When the next list is due.
    pub fn next_update(&self) -> UnixTime {
        self.list.next_update
    }

    /// When the list expires: `next_update` + [`TRUST_LIST_GRACE_SECS`].
    pub fn expires_at(&self) -> UnixTime {
        UnixTime(
            self.list
                .next_update
                .0
                .saturating_add(TRUST_LIST_GRACE_SECS),
        )
    }

    /// The root that signed this list.
    pub fn root(&self) -> &PublicKey {
        &self.root
    }

    /// The announced next root, if this list rotates the root.
    pub fn next_root(&self) -> Option<&PublicKey> {
        self.next_root.as_ref()
    }

    /// The root to pin for the following lists: the announced next root, else the current one.
    pub fn root_to_pin(&self) -> &PublicKey {
        self.next_root.as_ref().unwrap_or(&self.root)
    }

    /// All offices.
    pub fn offices(&self) -> &[Office] {
        &self.list.offices
    }

    /// The office with this DID.
    pub fn office(&self, id: &str) -> Option<&Office> {
        self.offices_by_id
            .get(id)
            .and_then(|&i| self.list.offices.get(i))
    }

    /// The office that publishes the status list at `url`.
    pub fn office_for_status_list(&self, url: &str) -> Option<&Office> {
        self.status_lists
            .get(url)
            .and_then(|&i| self.list.offices.get(i))
    }

    /// The key that must verify a token from `iss` with header `kid`, issued at `iat`.
    ///
    /// - `kid` unknown: `UNKNOWN_KID`; `kid` absent and `iss` unknown: `UNTRUSTED_KEY`;
    /// - `kid` names a key of another office than `iss`: `ISSUER_KEY_MISMATCH` (attack F3);
    /// - key compromised: `KEY_COMPROMISED`, whatever `iat`;
    /// - `iat` before the key's `validFrom`, at or after its `validUntil`, or at or after its
    ///   retirement: `UNTRUSTED_KEY` (a retired key still verifies what it signed before);
    /// - `kid` absent: allowed only if exactly one key of the office is usable at `iat`
    ///   (several: `UNKNOWN_KID`; none: the one key's own error, or `UNTRUSTED_KEY`).
    ///
    /// The caller still checks the signature, `iat` against its clock, and
    /// [`Office::may_issue`].
    pub fn find_key(
        &self,
        kid: Option<&str>,
        iss: &str,
        iat: UnixTime,
    ) -> Result<(&Office, PublicKey)> {
        let (oi, ki) = match kid {
            Some(kid) => {
                let &(oi, ki) = self
                    .kids
                    .get(kid)
                    .ok_or_else(|| Error::value(Code::UnknownKid, "kid", kid))?;
                if self.list.offices.get(oi).map(|o| o.id.as_str()) != Some(iss) {
                    return Err(Error::value(Code::IssuerKeyMismatch, "iss", iss));
                }
                (oi, ki)
            }
            None => {
                let &oi = self
                    .offices_by_id
                    .get(iss)
                    .ok_or_else(|| Error::value(Code::UntrustedKey, "iss", iss))?;
                let office_keys = self
                    .list
                    .offices
                    .get(oi)
                    .map(|o| o.keys.as_slice())
                    .unwrap_or_default();
                let mut usable = office_keys
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| k.check_at(iat).is_ok())
                    .map(|(i, _)| i);
                match (usable.next(), usable.next(), office_keys.len()) {
                    (Some(ki), None, _) => (oi, ki),
                    (Some(_), Some(_), _) => {
                        return Err(Error::field_reason(
                            Code::UnknownKid,
                            "kid",
                            "absent, and the office has several usable keys",
                        ))
                    }
                    (None, _, 1) => (oi, 0),
                    (None, _, _) => return Err(Error::value(Code::UntrustedKey, "iss", iss)),
                }
            }
        };
        let office = self
            .list
            .offices
            .get(oi)
            .ok_or(Error::new(Code::UntrustedKey))?;
        let key = office.keys.get(ki).ok_or(Error::new(Code::UntrustedKey))?;
        key.check_at(iat)?;
        let public = self
            .keys
            .get(oi)
            .and_then(|k| k.get(ki))
            .ok_or(Error::new(Code::UntrustedKey))?;
        Ok((office, public.clone()))
    }
}
