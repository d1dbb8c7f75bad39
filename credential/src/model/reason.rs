//! The fixed vocabulary of reasons carried by model errors
//! ([`Context::FieldReason`](crate::error::Context::FieldReason)).
//!
//! The texts never change once released: the verifier and the issuer's pages translate them
//! (kk/ru/en) by equality, and tests compare against these constants.

// --- structure (any member) ---
/// A required member is absent.
pub const MISSING: &str = "is required";
/// The value must be a JSON object.
pub const NOT_OBJECT: &str = "must be a JSON object";
/// The value must be a JSON string.
pub const NOT_STRING: &str = "must be a string";
/// A member that the vpass profile does not define (often a typo such as `hour`).
pub const UNKNOWN_MEMBER: &str = "is not a known member";
/// A text is empty or only white space.
pub const EMPTY: &str = "must not be empty";
/// A text is longer than the model allows.
pub const TOO_LONG: &str = "is too long";
/// The value must be a JSON array.
pub const NOT_ARRAY: &str = "must be a JSON array";
/// An array is longer than [`MAX_PASSPORT_ENTRIES`](crate::limits::MAX_PASSPORT_ENTRIES).
pub const TOO_MANY_ENTRIES: &str = "must not have more than 64 entries";
/// A text holds control characters (line breaks are allowed only in descriptions).
pub const CONTROL_CHARACTER: &str = "must not contain control characters";
/// A text holds a bidirectional override or isolate (see [`crate::text`]).
pub const BIDI_CONTROL: &str = "must not contain bidirectional override or isolate characters";
/// A text has no visible character, only zero-width or other invisible ones.
pub const INVISIBLE: &str = "must contain a visible character";

// --- envelope ---
/// `@context` is not an array of URLs.
pub const CONTEXT_NOT_URLS: &str = "must be an array of URLs";
/// `@context` does not start with the VCDM 2.0 context.
pub const CONTEXT_FIRST: &str = "must start with https://www.w3.org/ns/credentials/v2";
/// `@context` names the same URL twice.
pub const CONTEXT_REPEATED: &str = "must not repeat an entry";
/// `type` is not an array of strings.
pub const TYPE_NOT_STRINGS: &str = "must be an array of strings";
/// `type` names a type that vpass does not know.
pub const TYPE_UNKNOWN: &str = "names a type vpass does not know";
/// `type` names the same type twice.
pub const TYPE_REPEATED: &str = "must not repeat a type";
/// `type` lacks `VerifiableCredential`.
pub const TYPE_NO_VERIFIABLE_CREDENTIAL: &str = "must include VerifiableCredential";
/// `type` names no vpass credential type, or more than one.
pub const TYPE_NOT_ONE_KIND: &str = "must name exactly one vpass credential type";
/// Not a URI (credential `id`, `credentialStatus.id`, `achievement.id`).
pub const NOT_URI: &str = "must be a URI";
/// Not an `http:` or `https:` URL.
pub const NOT_HTTP_URL: &str = "must be an http or https URL";
/// Not a DID (`did:method:identifier`).
pub const NOT_DID: &str = "must be a DID";
/// `issuer` is neither a DID nor an object with one.
pub const ISSUER_SHAPE: &str = "must be a DID or an object with an id";
/// Not an RFC 3339 date-time with a time zone and whole seconds.
pub const NOT_DATE_TIME: &str = "must be an RFC 3339 date-time with whole seconds";
/// `validUntil` is not after `validFrom`.
pub const NOT_AFTER_VALID_FROM: &str = "must be after validFrom";
/// `credentialStatus.type` is not `BitstringStatusListEntry`.
pub const STATUS_TYPE: &str = "must be BitstringStatusListEntry";
/// `credentialStatus.statusPurpose` is not one vpass uses.
pub const STATUS_PURPOSE: &str = "must be revocation or suspension";
/// `credentialStatus.statusListIndex` is not a canonical decimal string.
pub const STATUS_INDEX: &str = "must be a decimal integer without sign or leading zeros";

// --- people ---
/// The IIN is not 12 ASCII digits.
pub const IIN_FORMAT: &str = "must be 12 digits";
/// The IIN's first 7 digits are not a birth date with a century digit 1–6.
pub const IIN_BIRTH_DATE: &str = "must begin with a valid birth date and century digit 1-6";
/// The IIN's 12th digit is not its check digit (or no check digit exists for it).
pub const IIN_CHECK_DIGIT: &str = "has a wrong check digit";
/// `birthDate` differs from the birth date encoded in `iin`.
pub const BIRTH_DATE_NOT_IIN: &str = "does not match the birth date in iin";
/// Not an email address.
pub const NOT_EMAIL: &str = "must be an email address";
/// Not an E.164 phone number.
pub const NOT_PHONE: &str = "must be an E.164 phone number such as +77011234567";
/// Not an ISO 3166-2:KZ code.
pub const NOT_REGION: &str = "must be an ISO 3166-2:KZ region code";

// --- dates ---
/// Not a calendar date `YYYY-MM-DD`.
pub const NOT_DATE: &str = "must be a date YYYY-MM-DD";
/// A date later than the day after `validFrom` (something certified before it happened).
pub const DATE_AFTER_VALID_FROM: &str = "must not be after validFrom";
/// A date before the day of `validFrom` (an expired skill, a birth after issuance).
pub const DATE_BEFORE_VALID_FROM: &str = "must not be before validFrom";

// --- hours ---
/// `unlinked` is present but not `true`.
pub const NOT_TRUE: &str = "must be true (leave it out otherwise)";
/// `hours` is not a number greater than zero.
pub const HOURS_NOT_POSITIVE: &str = "must be a positive number";
/// `hours` is above the absolute ceiling [`MAX_HOURS`](super::MAX_HOURS).
pub const HOURS_OVER_CEILING: &str = "must not exceed 10000";
/// `hours` is more than 24 per day of the period.
pub const HOURS_OVER_PERIOD: &str = "must not exceed 24 hours per day of the period";
/// `periodEnd` is before `periodStart`.
pub const END_BEFORE_START: &str = "must not be before periodStart";
/// `category` is not in [`Category::ALL`](super::Category::ALL).
pub const NOT_CATEGORY: &str = "must be one of the vpass activity categories";

// --- skill and award ---
/// `level` is not in [`SkillLevel::ALL`](super::SkillLevel::ALL).
pub const NOT_SKILL_LEVEL: &str = "must be basic, intermediate, advanced or instructor";
/// `achievement.type` is not `["Achievement"]`.
pub const ACHIEVEMENT_TYPE: &str = "must be [\"Achievement\"]";

// --- passport ---
/// `totalHours` is not a number of at least zero.
pub const HOURS_NEGATIVE: &str = "must be a number not below zero";
/// `events` is not a whole number of at least zero.
pub const NOT_COUNT: &str = "must be a whole number not below zero";
/// `hoursByCategory[].year` is not a whole number from 1990 to 9999.
pub const NOT_YEAR: &str = "must be a year from 1990 to 9999";
/// Two `hoursByCategory` entries have the same category and year.
pub const ENTRY_REPEATED: &str = "must not repeat a category and year";
/// `hoursByCategory` is not ordered newest year first, then by category.
pub const ENTRY_ORDER: &str = "is out of order: newest year first, then by category";
/// `totalHours` differs from the sum of `hoursByCategory`.
pub const TOTAL_NOT_SUM: &str = "must equal the sum of hoursByCategory";
/// `events` is 0 while hours are counted.
pub const EVENTS_NONE: &str = "must be at least 1 when hours are counted";

// --- JWT claims ---
/// A NumericDate claim (`iat`, `nbf`, `exp`) is not an integer.
pub const NOT_NUMERIC_DATE: &str = "must be an integer number of seconds";
/// A JWT claim contradicts the VCDM member it stands for (`iss` vs `issuer`...).
pub const CLAIM_CONTRADICTS_MEMBER: &str = "contradicts the credential member it stands for";
