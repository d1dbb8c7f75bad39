//! The typed credential model: vpass's profile of the W3C Verifiable Credentials Data Model
//! 2.0 (VCDM 2.0) for volunteer hours, skills, awards and the passport summary, and its
//! mapping to JWT claims.
//!
//! **Where it sits.** An office turns a form or a spreadsheet row into VCDM 2.0 JSON and calls
//! [`Credential::from_json`], the only way to obtain a [`Credential`]: every field is checked
//! there, once. [`to_jwt_claims`] then gives the payload that SD-JWT VC and VC-JWT issuance
//! ([`crate::issue::Issuance`]) sign, with [`CredentialKind::selectively_disclosable`] naming
//! the claims to hide behind digests. On the other side, a verifier turns verified claims back into a VCDM 2.0 view for
//! display with [`from_jwt_claims`] (which also reads VC 1.1 JWTs with a `vc` claim), and may
//! call [`Credential::from_json`] on that view for typed values.
//!
//! Written by hand: the VCDM crates (spruceid `ssi`) bring JSON-LD processing and hundreds of
//! dependencies, and none checks a Kazakh IIN or names the JSON path of a bad field.
//!
//! # What [`Credential::from_json`] checks
//! Every failure is an [`Error`] with [`Code::InvalidField`] and a
//! [`Context::FieldReason`](crate::error::Context::FieldReason) holding the JSON path
//! (`credentialSubject.hours`) and a fixed text from [`reason`]; a missing, unknown or
//! ambiguous `type` is [`Code::MalformedCredential`] at `type`.
//!
//! - `@context`: an array of URLs, `https://www.w3.org/ns/credentials/v2` first, no repeats;
//! - `id`: optional, a URI;
//! - `type`: `VerifiableCredential` and exactly one of the four vpass types, nothing else;
//! - `name`, `description`: optional plain strings (no language maps);
//! - `issuer`: a DID, or `{"id": DID, "name"?}`;
//! - `validFrom`, `validUntil`: both required; RFC 3339 with `T`, a zone and whole seconds;
//!   `validUntil` after `validFrom`;
//! - `credentialSubject`: an object, checked per kind ([`HoursSubject`], [`SkillSubject`],
//!   [`AwardSubject`], [`PassportSubject`]);
//! - `credentialStatus`: optional, a `BitstringStatusListEntry` (W3C Bitstring Status List
//!   v1.0 §2.1) with `statusPurpose` `revocation` or `suspension`, `statusListIndex` a decimal
//!   string without sign or leading zeros, `statusListCredential` an http(s) URL, and an
//!   optional `id`; one entry, not an array.
//!
//! Subject rules: `name` and kind-specific texts are at most [`MAX_TEXT`] characters under the
//! text rule ([`crate::text`]: something visible, no control character, no bidi override or
//! isolate); `id` is a DID; `iin` passes [`Iin::parse`];
//! `birthDate` is a date not after `validFrom` and, with an `iin`, equal to its birth date;
//! `email` is an address; `phone` is E.164 (`+77011234567`); `region` is an ISO 3166-2:KZ
//! code ([`Region`]). Hours: `hours` is a number > 0, ≤ [`MAX_HOURS`] and ≤ 24 per day of the
//! period (both days included); `periodEnd` ≥ `periodStart`; `category` is in
//! [`Category::ALL`]; `unlinked`, if present, is `true` (the issuer could not link the hours
//! to a volunteer in its register: see [`HoursSubject::unlinked`]). Dates of things already done (`periodEnd`, `awardDate`) may not be
//! later than the day after `validFrom` (one day of slack for UTC+5); a skill's own
//! `validUntil` may not be before the day of `validFrom`. Passport: `asOf` is a date not after
//! the day after `validFrom`; `totalHours` is a number ≥ 0 equal to the sum of
//! `hoursByCategory` within [`TOTAL_HOURS_TOLERANCE`]; `events` is an integer ≥ 0, at least 1
//! when any hours are counted; `hoursByCategory`, `skills` and `awards` are arrays of at most
//! [`MAX_PASSPORT_ENTRIES`] entries (paths such as `credentialSubject.hoursByCategory[2].year`);
//! `hoursByCategory` entries have a unique (`category`, `year`), newest year first, then in
//! [`Category::ALL`] order, `year` from 1990 to 9999 and `hours` as in an hours credential;
//! skill and award entries follow the skill and award subjects (a listed skill may have
//! lapsed; an `awardDate` has the same one-day slack).
//!
//! **Unknown members are rejected**, in `credentialSubject` (so that `hour` for `hours` is
//! caught at issuance instead of signing a credential nobody can read) and equally at the top
//! level, in `issuer`, `credentialStatus`, `achievement`, `criteria` and the entries of a
//! passport's arrays: the model writes back
//! only what it knows, so accepting a member would mean signing something else than what was
//! checked. This also excludes `proof` (vpass secures credentials as JWTs), `evidence`,
//! `termsOfUse` and the like. Unknown-member errors come first, so a typo is named as such.
//! `null` is never "absent": `"iin": null` is `must be a string`.
//!
//! [`Credential::to_json`] writes members in a fixed order (`@context`, `id`, `type`, `name`,
//! `description`, `issuer`, `validFrom`, `validUntil`, `credentialSubject`,
//! `credentialStatus`; subject members in each kind's `MEMBERS` order), so the standard
//! fixture reads back byte for byte. Normal forms: `type` is written
//! `["VerifiableCredential", <kind>]`; times are written in UTC with `Z`; an `issuer` object
//! without a name is written as its DID. `Credential` implements `Serialize` (as `to_json`)
//! but not `Deserialize`: untrusted bytes go through [`crate::json::parse`] first, which
//! refuses duplicate members that a plain `serde_json` deserializer would silently merge.
//!
//! # Selective disclosure
//! [`CredentialKind::selectively_disclosable`] is the same for every kind: `iin`,
//! `birthDate`, `email`, `phone`, `region` — the members that identify or locate the
//! volunteer. Everything else (`name`, `hours`, `activity`, `organization`, the period,
//! `category`, `skill`, `award`...) is signed in the clear. Reasons: HR needs those to decide
//! anything, and the QR must stay small — every selectively disclosable claim costs a 32-byte
//! digest in the QR even when hidden, and about 50 bytes or more (salt, name, value) when
//! shown. Every selectively disclosable member is optional in the model, so a presentation
//! that hides them still parses. (This is also why `region` is optional for hours.)
//!
//! # JWT claims
//! [`to_jwt_claims`] writes, in this order: `iss` (the issuer DID), `iat`, `nbf` (validFrom),
//! `exp` (validUntil), `vct` (the type name), `cnf` (`{"jwk": …}` of the holder key, if
//! given), then the VCDM members `@context`, `id`, `type`, `credentialSubject` (with `id` set
//! to the holder's did:key when a holder is given and none was set), `credentialStatus`,
//! `name`, `description`, and last `issuerName`. VCDM `issuer`, `validFrom` and `validUntil`
//! are not repeated (they would cost QR bytes for what `iss`, `nbf`, `exp` already say).
//! **`issuerName`** carries the name of an `issuer` object so that the round trip loses
//! nothing; it costs bytes only when the office names itself in the credential, which it
//! need not do since the trust list names every office. Verifiers should show the trust-list
//! name and treat `issuerName` as the office's own words.
//!
//! [`from_jwt_claims`] rebuilds the VCDM 2.0 view: `issuer` from `iss` (an object when
//! `issuerName` is present), `validFrom`/`validUntil` from `nbf`/`exp` in RFC 3339, `id` from
//! `jti` and `credentialSubject.id` from `sub` when the credential lacks them, and drops
//! JWT-only claims (`iat`, `nbf`, `exp`, `iss`, `vct`, `cnf`, `_sd_alg`, `status`, `jti`,
//! `sub`, `aud`) and any `_sd` digests left over. With a VC 1.1 `vc` claim, the credential is
//! taken from it (other top-level claims besides the JWT ones are ignored), `issuanceDate` and
//! `expirationDate` become `validFrom` and `validUntil`, and the 1.1 context becomes the 2.0
//! one. If a JWT claim and the member it stands for are both present they must agree, so the
//! view never shows other values than the ones the verifier checked.
//!
//! # Awards and Open Badges 3.0
//! A `VolunteerAwardCredential` converts to an OB 3.0 `AchievementCredential` as follows:
//! `credentialSubject.achievement` is the OB `Achievement` as is (`type`, `name`,
//! `description`, `criteria.narrative`, `id`); OB requires `id`, `description` and `criteria`,
//! so a converter fills missing ones (`id` with a fresh `urn:uuid:`, `description` and
//! `criteria.narrative` with the `award` text) and sets `achievementType` to `Award`;
//! `awardedBy` becomes `achievement.creator` (`{"type": ["Profile"], "name": awardedBy}`);
//! `awardDate` becomes the credential's `awardedDate`; `award` becomes the credential's
//! `name`; the subject gains `"type": ["AchievementSubject"]`; person members stay in the
//! subject.
//!
//! # Regions and IIN
//! [`Region`] accepts the current numeric ISO 3166-2:KZ codes (`KZ-10` … `KZ-79`, since
//! November 2022) and the former letter codes (`KZ-AST`, `KZ-ALA`, `KZ-SHY`, …) that existing
//! data and the standard fixture use; the code is kept as written and
//! [`Region::current_code`] gives the numeric one. [`Iin::parse`] checks the 12 digits, the
//! birth date and century digit, and the check digit ([`iin_check_digit`]).
//!
//! ```
//! use vpass_credential::model::{Credential, CredentialKind};
//! let json = serde_json::json!({
//!     "@context": ["https://www.w3.org/ns/credentials/v2"],
//!     "type": ["VerifiableCredential", "VolunteerHoursCredential"],
//!     "issuer": "did:web:front-office.example:astana",
//!     "validFrom": "2026-06-01T00:00:00Z",
//!     "validUntil": "2031-06-01T00:00:00Z",
//!     "credentialSubject": {"name": "Aigerim", "hours": 48, "activity": "Spring clean-up",
//!         "organization": "Astana Volunteer Center",
//!         "periodStart": "2026-03-01", "periodEnd": "2026-05-31"}
//! });
//! let credential = Credential::from_json(&json).unwrap();
//! assert_eq!(credential.kind(), CredentialKind::Hours);
//! assert_eq!(credential.to_json(), json);
//!
//! let mut typo = json.clone();
//! typo["credentialSubject"]["hour"] = 48.into();
//! let err = Credential::from_json(&typo).unwrap_err();
//! assert_eq!(err.to_string(), "INVALID_FIELD (credentialSubject.hour: is not a known member)");
//! ```

mod award;
mod common;
mod hours;
mod jwt;
mod passport;
pub mod reason;
mod skill;

use serde_json::{Map, Value};

pub use award::{Achievement, AwardSubject};
pub use common::{
    iin_check_digit, Iin, IsoDate, Person, Region, MAX_IDENTIFIER, MAX_LONG_TEXT, MAX_TEXT,
};
pub use hours::{Category, HoursSubject, MAX_HOURS};
pub(crate) use jwt::jwt_claims;
pub use jwt::{check_validity, from_jwt_claims, to_jwt_claims};
pub use passport::{
    AwardEntry, HoursTotal, PassportSubject, SkillEntry, MAX_PASSPORT_ENTRIES, MAX_PASSPORT_YEAR,
    MIN_PASSPORT_YEAR, TOTAL_HOURS_TOLERANCE,
};
pub use skill::{SkillLevel, SkillSubject};

use crate::error::{Code, Error, Result};
use crate::time::UnixTime;
use common::{did, invalid, long_text, put_opt, string, text, uri, Envelope, Obj};

/// The VCDM 2.0 base context, which must come first in `@context`.
pub const VCDM2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The base type every credential names.
pub const VERIFIABLE_CREDENTIAL: &str = "VerifiableCredential";

/// Which vpass credential a [`Credential`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// `VolunteerHoursCredential`.
    Hours,
    /// `VolunteerSkillCredential`.
    Skill,
    /// `VolunteerAwardCredential`.
    Award,
    /// `VolunteerPassportCredential`: the office's signed summary of a volunteer's record.
    Passport,
}

/// The members of a subject that are made selectively disclosable (see the module doc).
const SELECTIVELY_DISCLOSABLE: [&str; 5] = ["iin", "birthDate", "email", "phone", "region"];

impl CredentialKind {
    /// Every kind.
    pub const ALL: [CredentialKind; 4] = [
        CredentialKind::Hours,
        CredentialKind::Skill,
        CredentialKind::Award,
        CredentialKind::Passport,
    ];

    /// The VCDM type name, also the SD-JWT VC `vct`.
    pub const fn type_name(self) -> &'static str {
        match self {
            CredentialKind::Hours => "VolunteerHoursCredential",
            CredentialKind::Skill => "VolunteerSkillCredential",
            CredentialKind::Award => "VolunteerAwardCredential",
            CredentialKind::Passport => "VolunteerPassportCredential",
        }
    }

    /// The kind with this type name.
    pub fn from_type_name(name: &str) -> Option<CredentialKind> {
        CredentialKind::ALL
            .into_iter()
            .find(|k| k.type_name() == name)
    }

    /// The kind named by a VCDM `type` array: it must hold `VerifiableCredential` and exactly
    /// one vpass type, nothing else, without repeats. Errors are `MALFORMED_CREDENTIAL` at
    /// `type`.
    pub fn from_types(types: &[String]) -> Result<CredentialKind> {
        let bad = |reason| Error::field_reason(Code::MalformedCredential, "type", reason);
        for (i, t) in types.iter().enumerate() {
            if t != VERIFIABLE_CREDENTIAL && CredentialKind::from_type_name(t).is_none() {
                return Err(bad(reason::TYPE_UNKNOWN));
            }
            if types.get(..i).is_some_and(|before| before.contains(t)) {
                return Err(bad(reason::TYPE_REPEATED));
            }
        }
        if !types.iter().any(|t| t == VERIFIABLE_CREDENTIAL) {
            return Err(bad(reason::TYPE_NO_VERIFIABLE_CREDENTIAL));
        }
        let mut kinds = types
            .iter()
            .filter_map(|t| CredentialKind::from_type_name(t));
        match (kinds.next(), kinds.next()) {
            (Some(kind), None) => Ok(kind),
            _ => Err(bad(reason::TYPE_NOT_ONE_KIND)),
        }
    }

    /// The `credentialSubject` members the issuer makes selectively disclosable: `iin`,
    /// `birthDate`, `email`, `phone`, `region`, for every kind. All others are in the clear
    /// (see the module doc for why).
    pub const fn selectively_disclosable(&self) -> &'static [&'static str] {
        &SELECTIVELY_DISCLOSABLE
    }

    /// The scalar `credentialSubject` members of this kind as dotted paths
    /// (`achievement.name`): what a flat row, such as a CSV batch line, can fill. Arrays are
    /// not among them.
    pub const fn subject_paths(&self) -> &'static [&'static str] {
        match self {
            CredentialKind::Hours => &HoursSubject::MEMBERS,
            CredentialKind::Skill => &SkillSubject::MEMBERS,
            CredentialKind::Award => &AwardSubject::PATHS,
            CredentialKind::Passport => &PassportSubject::PATHS,
        }
    }

    /// The `credentialSubject` members this kind allows, in the order they are written.
    pub const fn subject_members(&self) -> &'static [&'static str] {
        match self {
            CredentialKind::Hours => &HoursSubject::MEMBERS,
            CredentialKind::Skill => &SkillSubject::MEMBERS,
            CredentialKind::Award => &AwardSubject::MEMBERS,
            CredentialKind::Passport => &PassportSubject::MEMBERS,
        }
    }
}

/// The `issuer` of a credential: a DID (the office's `did:web`), with an optional name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    id: String,
    name: Option<String>,
}

impl Issuer {
    fn parse(v: &Value, path: &str) -> Result<Issuer> {
        match v {
            Value::String(_) => Ok(Issuer {
                id: did(v, path)?,
                name: None,
            }),
            Value::Object(_) => {
                let obj = Obj::new(v, path, &["id", "name"])?;
                Ok(Issuer {
                    id: obj.req("id", did)?,
                    name: obj.opt("name", text)?,
                })
            }
            _ => Err(invalid(path, reason::ISSUER_SHAPE)),
        }
    }

    fn to_json(&self) -> Value {
        match &self.name {
            None => self.id.clone().into(),
            Some(name) => {
                let mut out = Map::new();
                out.insert("id".into(), self.id.clone().into());
                out.insert("name".into(), name.clone().into());
                Value::Object(out)
            }
        }
    }

    /// The issuer's DID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The name the issuer gives itself, if any (display only; the trust list is authority).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// `credentialStatus.statusPurpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusPurpose {
    /// `revocation`: a set bit revokes for good.
    Revocation,
    /// `suspension`: a set bit suspends until cleared.
    Suspension,
}

impl StatusPurpose {
    /// The JSON form.
    pub const fn as_str(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }
}

/// A W3C Bitstring Status List v1.0 `BitstringStatusListEntry` (§2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    id: Option<String>,
    purpose: StatusPurpose,
    index: u64,
    list_credential: String,
}

/// The type of every status entry vpass reads.
const STATUS_ENTRY_TYPE: &str = "BitstringStatusListEntry";

impl StatusEntry {
    /// An entry set by the issuer: bit `index` of the list credential at `list_credential`,
    /// for `purpose`, without an `id`. Only the URL needs checking (an http(s) URL, as in a
    /// parsed entry: `INVALID_FIELD` at `credentialStatus.statusListCredential`); the rest is
    /// typed. Put on an already-checked credential by [`crate::issue::Issuance::status`].
    pub fn new(purpose: StatusPurpose, index: u64, list_credential: &str) -> Result<StatusEntry> {
        let list_credential = common::http_url(
            &Value::from(list_credential),
            "credentialStatus.statusListCredential",
        )?;
        Ok(StatusEntry {
            id: None,
            purpose,
            index,
            list_credential,
        })
    }

    fn parse(v: &Value, path: &str) -> Result<StatusEntry> {
        let obj = Obj::new(
            v,
            path,
            &[
                "id",
                "type",
                "statusPurpose",
                "statusListIndex",
                "statusListCredential",
            ],
        )?;
        let id = obj.opt("id", uri)?;
        obj.req("type", |v, p| {
            if string(v, p)? == STATUS_ENTRY_TYPE {
                Ok(())
            } else {
                Err(invalid(p, reason::STATUS_TYPE))
            }
        })?;
        let purpose = obj.req("statusPurpose", |v, p| match string(v, p)? {
            "revocation" => Ok(StatusPurpose::Revocation),
            "suspension" => Ok(StatusPurpose::Suspension),
            _ => Err(invalid(p, reason::STATUS_PURPOSE)),
        })?;
        let index = obj.req("statusListIndex", |v, p| {
            let s = string(v, p)?;
            let canonical = s.bytes().all(|b| b.is_ascii_digit())
                && !s.is_empty()
                && (s == "0" || !s.starts_with('0'));
            s.parse::<u64>()
                .ok()
                .filter(|_| canonical)
                .ok_or_else(|| invalid(p, reason::STATUS_INDEX))
        })?;
        let list_credential = obj.req("statusListCredential", common::http_url)?;
        Ok(StatusEntry {
            id,
            purpose,
            index,
            list_credential,
        })
    }

    fn to_json(&self) -> Value {
        let mut out = Map::new();
        put_opt(&mut out, "id", self.id.as_deref());
        out.insert("type".into(), STATUS_ENTRY_TYPE.into());
        out.insert("statusPurpose".into(), self.purpose.as_str().into());
        out.insert("statusListIndex".into(), self.index.to_string().into());
        out.insert(
            "statusListCredential".into(),
            self.list_credential.clone().into(),
        );
        Value::Object(out)
    }

    /// The entry's own `id`, if given.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// What a set bit means.
    pub fn purpose(&self) -> StatusPurpose {
        self.purpose
    }

    /// The bit's position in the list.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The URL of the status list credential.
    pub fn list_credential(&self) -> &str {
        &self.list_credential
    }
}

/// The `credentialSubject` of a credential, typed by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// Hours of volunteering.
    Hours(HoursSubject),
    /// A skill.
    Skill(SkillSubject),
    /// An award.
    Award(AwardSubject),
    /// The passport summary.
    Passport(PassportSubject),
}

impl Subject {
    /// Which kind of credential this subject belongs to.
    pub fn kind(&self) -> CredentialKind {
        match self {
            Subject::Hours(_) => CredentialKind::Hours,
            Subject::Skill(_) => CredentialKind::Skill,
            Subject::Award(_) => CredentialKind::Award,
            Subject::Passport(_) => CredentialKind::Passport,
        }
    }

    /// The person members (who the credential is about).
    pub fn person(&self) -> &Person {
        match self {
            Subject::Hours(s) => s.person(),
            Subject::Skill(s) => s.person(),
            Subject::Award(s) => s.person(),
            Subject::Passport(s) => s.person(),
        }
    }

    /// The holder's DID (`credentialSubject.id`), if set.
    pub fn id(&self) -> Option<&str> {
        self.person().id()
    }

    /// The JSON form.
    pub fn to_json(&self) -> Map<String, Value> {
        match self {
            Subject::Hours(s) => s.to_json(),
            Subject::Skill(s) => s.to_json(),
            Subject::Award(s) => s.to_json(),
            Subject::Passport(s) => s.to_json(),
        }
    }

    fn parse(kind: CredentialKind, v: &Value, path: &str, env: Envelope) -> Result<Subject> {
        Ok(match kind {
            CredentialKind::Hours => Subject::Hours(HoursSubject::parse(v, path, env)?),
            CredentialKind::Skill => Subject::Skill(SkillSubject::parse(v, path, env)?),
            CredentialKind::Award => Subject::Award(AwardSubject::parse(v, path, env)?),
            CredentialKind::Passport => Subject::Passport(PassportSubject::parse(v, path, env)?),
        })
    }
}

/// A checked vpass credential (VCDM 2.0). Obtained only from [`Credential::from_json`].
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    context: Vec<String>,
    id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    issuer: Issuer,
    valid_from: UnixTime,
    valid_until: UnixTime,
    subject: Subject,
    status: Option<StatusEntry>,
}

/// The top-level members a credential may have.
const CREDENTIAL_MEMBERS: [&str; 10] = [
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

impl Credential {
    /// Parse and check a VCDM 2.0 credential against the vpass profile (see the module doc).
    pub fn from_json(value: &Value) -> Result<Credential> {
        let Some(map) = value.as_object() else {
            return Err(Error::field_reason(
                Code::MalformedCredential,
                "credential",
                reason::NOT_OBJECT,
            ));
        };
        let kind = match map.get("type") {
            None => {
                return Err(Error::field_reason(
                    Code::MalformedCredential,
                    "type",
                    reason::MISSING,
                ))
            }
            Some(types) => parse_types(types)?,
        };
        let obj = Obj::new(value, "", &CREDENTIAL_MEMBERS)?;
        let context = obj.req("@context", parse_context)?;
        let id = obj.opt("id", uri)?;
        let name = obj.opt("name", text)?;
        let description = obj.opt("description", long_text)?;
        let issuer = obj.req("issuer", Issuer::parse)?;
        let valid_from = obj.req("validFrom", date_time)?;
        let valid_until = obj.req("validUntil", date_time)?;
        if valid_until <= valid_from {
            return Err(invalid("validUntil", reason::NOT_AFTER_VALID_FROM));
        }
        let env = Envelope {
            valid_from_day: common::IsoDate::from_unix(valid_from.0)
                .ok_or_else(|| invalid("validFrom", reason::NOT_DATE_TIME))?,
        };
        let subject = obj.req("credentialSubject", |v, p| Subject::parse(kind, v, p, env))?;
        let status = obj.opt("credentialStatus", StatusEntry::parse)?;
        Ok(Credential {
            context,
            id,
            name,
            description,
            issuer,
            valid_from,
            valid_until,
            subject,
            status,
        })
    }

    /// The VCDM 2.0 JSON, members in a fixed order (see the module doc).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("@context".into(), self.context_json());
        put_opt(&mut out, "id", self.id.as_deref());
        out.insert("type".into(), self.types_json());
        put_opt(&mut out, "name", self.name.as_deref());
        put_opt(&mut out, "description", self.description.as_deref());
        out.insert("issuer".into(), self.issuer.to_json());
        out.insert("validFrom".into(), self.valid_from.to_rfc3339().into());
        out.insert("validUntil".into(), self.valid_until.to_rfc3339().into());
        out.insert(
            "credentialSubject".into(),
            Value::Object(self.subject.to_json()),
        );
        if let Some(status) = &self.status {
            out.insert("credentialStatus".into(), status.to_json());
        }
        Value::Object(out)
    }

    pub(crate) fn context_json(&self) -> Value {
        Value::Array(self.context.iter().cloned().map(Value::from).collect())
    }

    pub(crate) fn types_json(&self) -> Value {
        Value::Array(vec![
            VERIFIABLE_CREDENTIAL.into(),
            self.kind().type_name().into(),
        ])
    }

    /// Which kind of credential this is.
    pub fn kind(&self) -> CredentialKind {
        self.subject.kind()
    }

    /// The `@context` URLs (the VCDM 2.0 context first).
    pub fn context(&self) -> &[String] {
        &self.context
    }

    /// The credential's `id`, if given.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The credential's `name`, if given.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The credential's `description`, if given.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The issuer.
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// `validFrom`.
    pub fn valid_from(&self) -> UnixTime {
        self.valid_from
    }

    /// `validUntil` (after `validFrom`).
    pub fn valid_until(&self) -> UnixTime {
        self.valid_until
    }

    /// The typed `credentialSubject`.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The `credentialStatus` entry, if any.
    pub fn status(&self) -> Option<&StatusEntry> {
        self.status.as_ref()
    }

    /// Mark an hours credential as linked to no volunteer in the issuer's register
    /// (`"unlinked": true`, see [`HoursSubject::unlinked`]); true if it is one. Other kinds
    /// have no such member and are left as they are. Nothing else changes, so nothing needs
    /// checking again.
    pub fn mark_unlinked(&mut self) -> bool {
        match &mut self.subject {
            Subject::Hours(hours) => {
                hours.mark_unlinked();
                true
            }
            _ => false,
        }
    }
}

/// `id`, as [`Credential::from_json`] checks it (a URI): for an `id` the issuer sets at
/// signing ([`crate::issue::Issuance::id`]).
pub(crate) fn check_id(id: &str) -> Result<()> {
    uri(&Value::from(id), "id").map(|_| ())
}

impl serde::Serialize for Credential {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

fn parse_types(v: &Value) -> Result<CredentialKind> {
    let types: Option<Vec<String>> = v.as_array().and_then(|items| {
        items
            .iter()
            .map(|t| t.as_str().map(str::to_owned))
            .collect()
    });
    match types {
        Some(types) => CredentialKind::from_types(&types),
        None => Err(Error::field_reason(
            Code::MalformedCredential,
            "type",
            reason::TYPE_NOT_STRINGS,
        )),
    }
}

fn parse_context(v: &Value, path: &str) -> Result<Vec<String>> {
    let urls: Option<Vec<String>> = v.as_array().and_then(|items| {
        items
            .iter()
            .map(|u| u.as_str().filter(|s| common::is_uri(s)).map(str::to_owned))
            .collect()
    });
    let urls = urls.ok_or_else(|| invalid(path, reason::CONTEXT_NOT_URLS))?;
    if urls.first().map(String::as_str) != Some(VCDM2_CONTEXT) {
        return Err(invalid(path, reason::CONTEXT_FIRST));
    }
    for (i, url) in urls.iter().enumerate() {
        if urls.get(..i).is_some_and(|before| before.contains(url)) {
            return Err(invalid(path, reason::CONTEXT_REPEATED));
        }
    }
    Ok(urls)
}

/// An RFC 3339 date-time in the XML Schema `dateTimeStamp` form VCDM 2.0 uses (upper-case
/// `T` and `Z`, a zone), without fractional seconds: JWT NumericDates are integers, so a
/// fraction would not survive the JWT mapping.
fn date_time(v: &Value, path: &str) -> Result<UnixTime> {
    use time::format_description::well_known::Rfc3339;
    let s = string(v, path)?;
    // The `time` parser also takes RFC 3339's lower-case and space-separated variants.
    let strict = s.as_bytes().get(10) == Some(&b'T')
        && !s.bytes().any(|b| b == b'.' || b.is_ascii_lowercase());
    match time::OffsetDateTime::parse(s, &Rfc3339) {
        Ok(t) if strict => Ok(UnixTime(t.unix_timestamp())),
        _ => Err(invalid(path, reason::NOT_DATE_TIME)),
    }
}
