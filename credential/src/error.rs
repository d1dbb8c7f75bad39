//! The one error type of the credential core.
//!
//! Every failure carries a stable [`Code`] (what tools, tests and translations key on) and a
//! structured [`Context`] (which field, which limit, which times) — never a formatted string
//! that callers would have to parse.

use std::fmt;

/// Stable, specific error codes. Their text form (`Code::as_str`) never changes once released;
/// the verifier translates each into kk/ru/en and maps it to a broad [`Category`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    // A. transport
    /// Input longer than the profile allows, refused before decoding.
    PayloadTooLarge,
    /// Decompression would exceed the cap.
    DecompressedTooLarge,
    /// The QR envelope's binary structure or compression framing is broken.
    MalformedEnvelope,
    /// Not valid base45 (RFC 9285).
    Base45Invalid,
    /// Unknown or missing envelope prefix/version.
    UnsupportedVersion,
    // B. JOSE
    /// `alg` not in the allow-list {EdDSA, ES256}, `none`, or an empty signature.
    AlgNotAllowed,
    /// `alg` does not match the type of the key that must verify it.
    AlgKeyMismatch,
    /// A header the profile forbids (`jwk`, `jku`, `x5u`, `x5c`, `b64`).
    HeaderNotAllowed,
    /// `kid` names no known key (or is too long).
    UnknownKid,
    /// `crit` names an extension we do not understand.
    CritUnsupported,
    /// `typ` is wrong for the context (credential vs KB-JWT vs lists).
    WrongTyp,
    /// A JSON object repeats a member name.
    DuplicateMember,
    /// Not canonical unpadded base64url.
    Base64Invalid,
    /// JSON nested deeper than the limit.
    JsonTooDeep,
    /// Not valid JSON (or not valid UTF-8).
    JsonInvalid,
    /// A claim has the wrong type or an impossible value.
    InvalidClaim,
    /// Not a compact JWS of three segments.
    MalformedJws,
    /// The signature does not verify.
    SignatureInvalid,
    /// A public key is malformed, of small order, or of an unsupported type.
    KeyInvalid,
    /// The signing key is not one the verifier trusts.
    UntrustedKey,
    // D. SD-JWT
    /// The same digest appears twice (disclosure sent twice, or digest repeated).
    SdDuplicateDigest,
    /// A disclosure that no digest refers to.
    SdUnreferencedDisclosure,
    /// A disclosure names `_sd` or `...`.
    SdReservedName,
    /// A disclosed claim already exists in the clear at that level.
    SdClaimExists,
    /// A disclosure is malformed or of the wrong kind for where it is referenced.
    SdMalformedDisclosure,
    /// A claim that must never be selectively disclosable came from a disclosure.
    SdForbiddenSdClaim,
    /// `_sd_alg` is not `sha-256`.
    SdAlgNotAllowed,
    /// `_sd` is not an array of strings, or `_sd_alg` is misplaced.
    SdMalformed,
    /// Too many disclosures, or nesting too deep.
    SdTooMany,
    /// The `~` framing of an SD-JWT is wrong.
    SdFormat,
    // E. key binding
    /// Policy requires key binding and none is present.
    KbRequired,
    /// The KB-JWT signature does not verify under `cnf`.
    KbSignatureInvalid,
    /// `sd_hash` does not match the presentation.
    KbSdHashMismatch,
    /// The KB-JWT audience is not this verifier.
    KbAudMismatch,
    /// The KB-JWT nonce is not the one expected.
    KbNonceMismatch,
    /// The KB-JWT is older than the allowed window.
    KbStale,
    /// The KB-JWT `iat` is in the future.
    KbNotYetValid,
    /// A KB-JWT is present but the credential has no `cnf`.
    KbNoCnf,
    /// The `cnf` key is malformed or weak.
    KbKeyInvalid,
    // F. validity and authority
    /// Past `exp`.
    Expired,
    /// Before `nbf` (or `iat` in the future).
    NotYetValid,
    /// `iss` is not the office that owns the key.
    IssuerKeyMismatch,
    /// The office may not issue this credential type.
    IssuerNotAuthorized,
    /// The credential's structure is wrong (e.g. VCDM 1.1 claims under `vc+jwt`).
    MalformedCredential,
    /// Not the credential type asked for.
    WrongCredentialType,
    /// A credential field fails validation (the field is named in the context).
    InvalidField,
    // G. status list
    /// The status list could not be trusted (signature, issuer, purpose).
    StatusVerificationError,
    /// Status could not be determined (no list, or list too old).
    StatusUnknown,
    /// An older status list than one already seen.
    StatusRollback,
    /// Status index beyond the list.
    RangeError,
    /// The list is shorter than the minimum.
    StatusListLengthError,
    /// `encodedList` or `statusListIndex` is malformed.
    MalformedValueError,
    /// The credential is revoked.
    Revoked,
    // H. trust list
    /// An older trust list than one already pinned.
    TrustlistRollback,
    /// The trust list is past its `nextUpdate` (plus grace).
    TrustlistExpired,
    /// The trust list is not signed by the pinned root, or is malformed.
    TrustlistInvalid,
    /// The issuer key was marked compromised.
    KeyCompromised,
    // I. time
    /// The device clock is before the newest signed time seen.
    ClockInconsistent,
}

impl Code {
    /// The stable text form, e.g. `SIGNATURE_INVALID`.
    pub const fn as_str(self) -> &'static str {
        use Code::*;
        match self {
            PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            DecompressedTooLarge => "DECOMPRESSED_TOO_LARGE",
            MalformedEnvelope => "MALFORMED_ENVELOPE",
            Base45Invalid => "BASE45_INVALID",
            UnsupportedVersion => "UNSUPPORTED_VERSION",
            AlgNotAllowed => "ALG_NOT_ALLOWED",
            AlgKeyMismatch => "ALG_KEY_MISMATCH",
            HeaderNotAllowed => "HEADER_NOT_ALLOWED",
            UnknownKid => "UNKNOWN_KID",
            CritUnsupported => "CRIT_UNSUPPORTED",
            WrongTyp => "WRONG_TYP",
            DuplicateMember => "DUPLICATE_MEMBER",
            Base64Invalid => "BASE64_INVALID",
            JsonTooDeep => "JSON_TOO_DEEP",
            JsonInvalid => "JSON_INVALID",
            InvalidClaim => "INVALID_CLAIM",
            MalformedJws => "MALFORMED_JWS",
            SignatureInvalid => "SIGNATURE_INVALID",
            KeyInvalid => "KEY_INVALID",
            UntrustedKey => "UNTRUSTED_KEY",
            SdDuplicateDigest => "SD_DUPLICATE_DIGEST",
            SdUnreferencedDisclosure => "SD_UNREFERENCED_DISCLOSURE",
            SdReservedName => "SD_RESERVED_NAME",
            SdClaimExists => "SD_CLAIM_EXISTS",
            SdMalformedDisclosure => "SD_MALFORMED_DISCLOSURE",
            SdForbiddenSdClaim => "SD_FORBIDDEN_SD_CLAIM",
            SdAlgNotAllowed => "SD_ALG_NOT_ALLOWED",
            SdMalformed => "SD_MALFORMED",
            SdTooMany => "SD_TOO_MANY",
            SdFormat => "SD_FORMAT",
            KbRequired => "KB_REQUIRED",
            KbSignatureInvalid => "KB_SIGNATURE_INVALID",
            KbSdHashMismatch => "KB_SD_HASH_MISMATCH",
            KbAudMismatch => "KB_AUD_MISMATCH",
            KbNonceMismatch => "KB_NONCE_MISMATCH",
            KbStale => "KB_STALE",
            KbNotYetValid => "KB_NOT_YET_VALID",
            KbNoCnf => "KB_NO_CNF",
            KbKeyInvalid => "KB_KEY_INVALID",
            Expired => "EXPIRED",
            NotYetValid => "NOT_YET_VALID",
            IssuerKeyMismatch => "ISSUER_KEY_MISMATCH",
            IssuerNotAuthorized => "ISSUER_NOT_AUTHORIZED",
            MalformedCredential => "MALFORMED_CREDENTIAL",
            WrongCredentialType => "WRONG_CREDENTIAL_TYPE",
            InvalidField => "INVALID_FIELD",
            StatusVerificationError => "STATUS_VERIFICATION_ERROR",
            StatusUnknown => "STATUS_UNKNOWN",
            StatusRollback => "STATUS_ROLLBACK",
            RangeError => "RANGE_ERROR",
            StatusListLengthError => "STATUS_LIST_LENGTH_ERROR",
            MalformedValueError => "MALFORMED_VALUE_ERROR",
            Revoked => "REVOKED",
            TrustlistRollback => "TRUSTLIST_ROLLBACK",
            TrustlistExpired => "TRUSTLIST_EXPIRED",
            TrustlistInvalid => "TRUSTLIST_INVALID",
            KeyCompromised => "KEY_COMPROMISED",
            ClockInconsistent => "CLOCK_INCONSISTENT",
        }
    }

    /// The broad category a user-facing verdict groups this code under.
    pub const fn category(self) -> Category {
        use Code::*;
        match self {
            PayloadTooLarge | DecompressedTooLarge | MalformedEnvelope | Base45Invalid
            | UnsupportedVersion | DuplicateMember | Base64Invalid | JsonTooDeep | JsonInvalid
            | InvalidClaim | MalformedJws | WrongTyp | HeaderNotAllowed | CritUnsupported
            | MalformedCredential | InvalidField => Category::Malformed,
            AlgNotAllowed | AlgKeyMismatch => Category::UnsupportedAlg,
            SignatureInvalid | KeyInvalid => Category::SignatureInvalid,
            UnknownKid | UntrustedKey | IssuerKeyMismatch | KeyCompromised | TrustlistInvalid
            | TrustlistRollback | TrustlistExpired => Category::UntrustedIssuer,
            IssuerNotAuthorized => Category::NotAuthorizedForType,
            WrongCredentialType => Category::WrongCredentialType,
            Expired => Category::Expired,
            NotYetValid | ClockInconsistent => Category::NotYetValid,
            SdDuplicateDigest
            | SdUnreferencedDisclosure
            | SdReservedName
            | SdClaimExists
            | SdMalformedDisclosure
            | SdForbiddenSdClaim
            | SdAlgNotAllowed
            | SdMalformed
            | SdTooMany
            | SdFormat => Category::DisclosureInvalid,
            KbRequired | KbSignatureInvalid | KbSdHashMismatch | KbAudMismatch
            | KbNonceMismatch | KbStale | KbNotYetValid | KbNoCnf | KbKeyInvalid => {
                Category::KeyBindingInvalid
            }
            Revoked => Category::Revoked,
            StatusVerificationError
            | StatusUnknown
            | StatusRollback
            | RangeError
            | StatusListLengthError
            | MalformedValueError => Category::StatusUnknown,
        }
    }

    /// Every code, for exhaustive tests (translations, documentation).
    pub const ALL: &'static [Code] = &{
        use Code::*;
        [
            PayloadTooLarge,
            DecompressedTooLarge,
            MalformedEnvelope,
            Base45Invalid,
            UnsupportedVersion,
            AlgNotAllowed,
            AlgKeyMismatch,
            HeaderNotAllowed,
            UnknownKid,
            CritUnsupported,
            WrongTyp,
            DuplicateMember,
            Base64Invalid,
            JsonTooDeep,
            JsonInvalid,
            InvalidClaim,
            MalformedJws,
            SignatureInvalid,
            KeyInvalid,
            UntrustedKey,
            SdDuplicateDigest,
            SdUnreferencedDisclosure,
            SdReservedName,
            SdClaimExists,
            SdMalformedDisclosure,
            SdForbiddenSdClaim,
            SdAlgNotAllowed,
            SdMalformed,
            SdTooMany,
            SdFormat,
            KbRequired,
            KbSignatureInvalid,
            KbSdHashMismatch,
            KbAudMismatch,
            KbNonceMismatch,
            KbStale,
            KbNotYetValid,
            KbNoCnf,
            KbKeyInvalid,
            Expired,
            NotYetValid,
            IssuerKeyMismatch,
            IssuerNotAuthorized,
            MalformedCredential,
            WrongCredentialType,
            InvalidField,
            StatusVerificationError,
            StatusUnknown,
            StatusRollback,
            RangeError,
            StatusListLengthError,
            MalformedValueError,
            Revoked,
            TrustlistRollback,
            TrustlistExpired,
            TrustlistInvalid,
            KeyCompromised,
            ClockInconsistent,
        ]
    };
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Broad verdict categories (the short codes users and integrators see first).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// The input is not a well-formed credential, token or envelope.
    Malformed,
    /// The algorithm is not allowed or does not fit the key.
    UnsupportedAlg,
    /// A signature does not verify.
    SignatureInvalid,
    /// The signer is not a trusted office.
    UntrustedIssuer,
    /// The office may not issue this type.
    NotAuthorizedForType,
    /// Not the type the verifier asked for.
    WrongCredentialType,
    /// Past its validity.
    Expired,
    /// Not valid yet.
    NotYetValid,
    /// The credential was revoked.
    Revoked,
    /// Revocation status could not be established.
    StatusUnknown,
    /// A disclosure is broken or abusive.
    DisclosureInvalid,
    /// Key binding is missing or wrong.
    KeyBindingInvalid,
}

impl Category {
    /// The stable text form, e.g. `signature_invalid`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Malformed => "malformed",
            Category::UnsupportedAlg => "unsupported_alg",
            Category::SignatureInvalid => "signature_invalid",
            Category::UntrustedIssuer => "untrusted_issuer",
            Category::NotAuthorizedForType => "not_authorized_for_type",
            Category::WrongCredentialType => "wrong_credential_type",
            Category::Expired => "expired",
            Category::NotYetValid => "not_yet_valid",
            Category::Revoked => "revoked",
            Category::StatusUnknown => "status_unknown",
            Category::DisclosureInvalid => "disclosure_invalid",
            Category::KeyBindingInvalid => "key_binding_invalid",
        }
    }
}

/// Structured detail attached to an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Context {
    /// Nothing more to say than the code.
    None,
    /// The field, claim, header or part at fault.
    Field(&'static str),
    /// A named field with a reason from a fixed vocabulary.
    FieldReason {
        /// Field name (a JSON path such as `credentialSubject.hours`).
        field: String,
        /// Why it is wrong.
        reason: &'static str,
    },
    /// A size or count limit was exceeded.
    Limit {
        /// What was measured.
        what: &'static str,
        /// The ceiling.
        limit: usize,
        /// What was seen (may be `limit + 1` when reading stopped at the cap).
        actual: usize,
    },
    /// A time bound was crossed (Unix seconds).
    Time {
        /// The verification time.
        now: i64,
        /// The bound that was crossed (`exp`, `nbf`, `iat`…).
        bound: i64,
    },
    /// A value that was not accepted (an `alg`, a `typ`, a `kid`), truncated to 64 chars.
    Value {
        /// What the value is.
        what: &'static str,
        /// The value seen.
        value: String,
    },
}

/// An error from the credential core: a stable code plus structured context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: Code,
    context: Context,
}

impl Error {
    /// An error with no further detail.
    pub const fn new(code: Code) -> Self {
        Error {
            code,
            context: Context::None,
        }
    }

    /// An error naming the field at fault.
    pub const fn field(code: Code, field: &'static str) -> Self {
        Error {
            code,
            context: Context::Field(field),
        }
    }

    /// An error with a named field and a fixed reason.
    pub fn field_reason(code: Code, field: impl Into<String>, reason: &'static str) -> Self {
        Error {
            code,
            context: Context::FieldReason {
                field: field.into(),
                reason,
            },
        }
    }

    /// A limit error.
    pub const fn limit(code: Code, what: &'static str, limit: usize, actual: usize) -> Self {
        Error {
            code,
            context: Context::Limit {
                what,
                limit,
                actual,
            },
        }
    }

    /// A time error.
    pub const fn time(code: Code, now: i64, bound: i64) -> Self {
        Error {
            code,
            context: Context::Time { now, bound },
        }
    }

    /// An error about an unaccepted value (kept short, it may be attacker-controlled).
    pub fn value(code: Code, what: &'static str, value: &str) -> Self {
        let value: String = value.chars().take(64).collect();
        Error {
            code,
            context: Context::Value { what, value },
        }
    }

    /// The stable code.
    pub const fn code(&self) -> Code {
        self.code
    }

    /// The structured context.
    pub const fn context(&self) -> &Context {
        &self.context
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        match &self.context {
            Context::None => Ok(()),
            Context::Field(name) => write!(f, " ({name})"),
            Context::FieldReason { field, reason } => write!(f, " ({field}: {reason})"),
            Context::Limit {
                what,
                limit,
                actual,
            } => {
                write!(f, " ({what}: {actual} exceeds the limit of {limit})")
            }
            Context::Time { now, bound } => write!(f, " (now {now}, bound {bound})"),
            Context::Value { what, value } => write!(f, " ({what} {value:?})"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Code> for Error {
    fn from(code: Code) -> Self {
        Error::new(code)
    }
}

/// Result alias for the credential core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
