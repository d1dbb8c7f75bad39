//! vpass credential core: everything about a volunteer credential that needs no I/O.
//!
//! - [`model`]: typed W3C VCDM 2.0 credentials (hours, skill, award) with field validation;
//! - [`keys`]: Ed25519 office keys, Ed25519/P-256 holder keys, JWK (RFC 8037/7518), did:key;
//! - [`jose`]: strict compact JWS (EdDSA, ES256 only; `alg` must match the key);
//! - [`issue`]: the one issuance path — a checked credential signed as SD-JWT VC (its kind's
//!   selectively disclosable claims concealed) or VC-JWT;
//! - [`sdjwt`]: SD-JWT VC (RFC 9901): issue, present, key binding, verify;
//! - [`vcjwt`]: VC-JWT (`typ` `vc+jwt`), also reading VC 1.1 JWTs;
//! - [`envelope`]: the compact QR envelope (`VP1:`…), reversible to the exact token;
//! - [`status`]: W3C Bitstring Status List v1.0;
//! - [`trust`]: the signed, versioned trust list of offices;
//! - [`text`]: the one rule for every text signed, stored or looked up (no control, bidi or
//!   invisible-only text).
//!
//! Data flow: an office signs a credential ([`issue::Issuance`], over [`sdjwt::issue`] or
//! [`vcjwt::issue`]), the holder presents a subset with key binding ([`sdjwt::present`]), the
//! presentation travels as a QR envelope ([`envelope::encode`]), and a verifier rebuilds the
//! token and checks it ([`sdjwt::verify`]) against keys it trusts. Untrusted bytes are parsed
//! only here, through constructors that return typed values, and every ceiling lives in
//! [`limits`].
//! Verification results ([`jose::VerifiedJws`], [`sdjwt::Verified`], [`vcjwt::Verified`],
//! [`status::VerifiedStatusList`]) are sealed: only verification makes one.
//!
//! ```
//! use vpass_credential::keys::{Signer, SigningKey};
//! use vpass_credential::{sdjwt, time::UnixTime};
//! let office = SigningKey::from_seed(&[7; 32]);
//! let claims = serde_json::json!({"iss": "did:web:office.example", "iat": 1_780_000_000,
//!     "exp": 1_900_000_000, "hours": 48, "iin": "950101400123"});
//! let sd = [sdjwt::parse_path(&claims, "iin")];
//! let issued = sdjwt::issue(&office, claims, &sd, &mut sdjwt::OsSalts).unwrap();
//! let shown = sdjwt::present_names(&issued, &[], None).unwrap();
//! let at = sdjwt::VerifyOptions::at(UnixTime(1_800_000_000));
//! let verified = sdjwt::verify(&shown, &office.public(), &at).unwrap();
//! assert_eq!(verified.claims["hours"], 48);
//! assert!(verified.claims.get("iin").is_none());
//! ```

pub mod b64;
pub mod envelope;
pub mod error;
pub mod issue;
pub mod jose;
pub mod json;
pub mod keys;
pub mod limits;
pub mod model;
pub mod sdjwt;
pub mod status;
pub mod text;
pub mod time;
pub mod trust;
pub mod vcjwt;

pub use error::{Category, Code, Context, Error, Result};

/// The seal of a verification result ([`jose::VerifiedJws`], [`sdjwt::Verified`],
/// [`vcjwt::Verified`], [`status::VerifiedStatusList`]): a private field of this crate-private
/// type, so that outside this crate none can be written as a struct literal, nor copied from a
/// real one with other fields (`..real`). Only verification makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sealed;
