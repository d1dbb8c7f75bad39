//! The one issuance path: a checked [`Credential`] signed by an office as an SD-JWT VC or a
//! VC-JWT.
//!
//! **Why one path.** "Map the credential to JWT claims, bind it to the holder, conceal the
//! kind's selectively disclosable claims, sign" is a rule, not a recipe: the issuer service,
//! `vpass issue`, the demo, the benchmark and the verifier's samples must all sign the same
//! bytes for the same credential, or a verifier could accept from one what another never
//! makes. [`Issuance`] is that rule; nothing else in the workspace chooses what is disclosable.
//!
//! **What is signed.** The claims of [`crate::model::to_jwt_claims`] (`iss`, `iat`, `nbf`,
//! `exp`, `vct`, `cnf` when a holder key is given, then the VCDM members). As
//! [`Format::SdJwt`] (`typ` `dc+sd-jwt`, RFC 9901) the members named by
//! [`CredentialKind::selectively_disclosable`] are disclosures (those present; they are all
//! optional); everything else is in the clear. As [`Format::VcJwt`] (`typ` `vc+jwt`,
//! VC-JOSE-COSE §3.1.1) there is no selective disclosure: every member is in the clear.
//!
//! **What the issuer sets.** The credential is checked once, by [`Credential::from_json`],
//! before the issuer knows where it will be placed. The `id` and the status entry chosen in the
//! issuer's transaction are set here ([`Issuance::id`], [`Issuance::status`]) on the checked
//! credential without checking it again: the entry is typed ([`StatusEntry::new`] checks its
//! URL), and the `id` is checked alone as a URI when signing.
//!
//! ```
//! use vpass_credential::issue::{Format, Issuance};
//! use vpass_credential::keys::{Signer, SigningKey};
//! use vpass_credential::model::{Credential, StatusEntry, StatusPurpose};
//! use vpass_credential::{sdjwt, time::UnixTime};
//! let json = serde_json::json!({
//!     "@context": ["https://www.w3.org/ns/credentials/v2"],
//!     "type": ["VerifiableCredential", "VolunteerHoursCredential"],
//!     "issuer": "did:web:front-office.example:astana",
//!     "validFrom": "2026-06-01T00:00:00Z", "validUntil": "2031-06-01T00:00:00Z",
//!     "credentialSubject": {"name": "Aigerim", "iin": "950101400121", "hours": 48,
//!         "activity": "Spring clean-up", "organization": "Astana Volunteer Center",
//!         "periodStart": "2026-03-01", "periodEnd": "2026-05-31"}
//! });
//! let credential = Credential::from_json(&json).unwrap();
//! let office = SigningKey::from_seed(&[7; 32]);
//! let holder = SigningKey::from_seed(&[8; 32]);
//! let status = StatusEntry::new(StatusPurpose::Revocation, 4_711,
//!     "https://front-office.example/astana/status/1").unwrap();
//! let token = Issuance::new(&credential)
//!     .format(Format::SdJwt)
//!     .issued_at(UnixTime(1_780_300_000))
//!     .holder(&holder.public())
//!     .status(status)
//!     .sign(&office)
//!     .unwrap();
//! let at = sdjwt::VerifyOptions::at(UnixTime(1_780_400_000));
//! let verified = sdjwt::verify(&token, &office.public(), &at).unwrap();
//! assert_eq!(verified.claims["credentialSubject"]["iin"], "950101400121");
//! assert_eq!(verified.disclosed_paths.len(), 1);
//! assert_eq!(verified.claims["credentialStatus"]["statusListIndex"], "4711");
//! assert_eq!(verified.holder_key, Some(holder.public()));
//! ```

use std::fmt;

use crate::error::Result;
use crate::keys::{PublicKey, Signer};
use crate::model::{self, Credential, CredentialKind, StatusEntry};
use crate::sdjwt::{self, OsSalts, PathSeg, SaltSource};
use crate::time::UnixTime;
use crate::vcjwt;

/// How a credential is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// SD-JWT VC (RFC 9901, `typ` `dc+sd-jwt`), the kind's selectively disclosable claims
    /// concealed: vpass's main format.
    #[default]
    SdJwt,
    /// VC-JWT (`typ` `vc+jwt`): every claim in the clear.
    VcJwt,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 2] = [Format::SdJwt, Format::VcJwt];

    /// The name the API, the CLI and stored rows use: `sd-jwt` or `jwt`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::SdJwt => "sd-jwt",
            Format::VcJwt => "jwt",
        }
    }

    /// The format with this name ([`Format::as_str`]); nothing else is one.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The JWS `typ` a token of this format carries.
    pub const fn typ(self) -> &'static str {
        match self {
            Format::SdJwt => sdjwt::TYP,
            Format::VcJwt => vcjwt::TYP,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One credential to sign: the checked credential and what the issuer adds to it. Built with
/// [`Issuance::new`], finished by [`Issuance::sign`]. Defaults: [`Format::SdJwt`], issued at
/// the credential's `validFrom`, no holder binding, the credential's own `id` and status
/// entry, salts from the operating system.
pub struct Issuance<'a> {
    credential: &'a Credential,
    format: Format,
    issued_at: UnixTime,
    holder: Option<&'a PublicKey>,
    id: Option<&'a str>,
    status: Option<StatusEntry>,
    salts: Option<&'a mut dyn SaltSource>,
}

impl fmt::Debug for Issuance<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuance")
            .field("kind", &self.credential.kind())
            .field("format", &self.format)
            .field("issued_at", &self.issued_at)
            .field("holder_bound", &self.holder.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> Issuance<'a> {
    /// Start an issuance of `credential` (checked by [`Credential::from_json`]).
    pub fn new(credential: &'a Credential) -> Issuance<'a> {
        Issuance {
            credential,
            format: Format::SdJwt,
            issued_at: credential.valid_from(),
            holder: None,
            id: None,
            status: None,
            salts: None,
        }
    }

    /// Secure it as `format`.
    pub fn format(mut self, format: Format) -> Issuance<'a> {
        self.format = format;
        self
    }

    /// Issued at `at` (`iat`).
    pub fn issued_at(mut self, at: UnixTime) -> Issuance<'a> {
        self.issued_at = at;
        self
    }

    /// Bind it to the holder's key (`cnf`, and `credentialSubject.id` when the credential
    /// names none), or to no key with `None`.
    pub fn holder(mut self, key: impl Into<Option<&'a PublicKey>>) -> Issuance<'a> {
        self.holder = key.into();
        self
    }

    /// Set the credential's `id` (the issuer's `urn:uuid:`), in place of any it has. Checked
    /// as a URI by [`Issuance::sign`] (`INVALID_FIELD` at `id`).
    pub fn id(mut self, id: &'a str) -> Issuance<'a> {
        self.id = Some(id);
        self
    }

    /// Set the status entry (the list and index the issuer chose), in place of any the
    /// credential has.
    pub fn status(mut self, entry: StatusEntry) -> Issuance<'a> {
        self.status = Some(entry);
        self
    }

    /// Draw disclosure salts from `salts` (tests and reproducible samples); the operating
    /// system's CSPRNG otherwise.
    pub fn salts(mut self, salts: &'a mut dyn SaltSource) -> Issuance<'a> {
        self.salts = Some(salts);
        self
    }

    /// Sign with the office key `signer`: the token (`<jws>~<disclosures>~` for SD-JWT VC, a
    /// compact JWS for VC-JWT). Fails only on an `id` that is not a URI (`INVALID_FIELD`).
    pub fn sign(self, signer: &dyn Signer) -> Result<String> {
        let credential = self.credential;
        let id = match self.id {
            Some(id) => {
                model::check_id(id)?;
                Some(id)
            }
            None => credential.id(),
        };
        let status = self.status.as_ref().or(credential.status());
        let claims = model::jwt_claims(credential, self.issued_at, self.holder, id, status);
        match self.format {
            Format::VcJwt => vcjwt::issue(signer, &claims),
            Format::SdJwt => {
                let paths = disclosable_paths(credential.kind());
                match self.salts {
                    Some(salts) => sdjwt::issue(signer, claims, &paths, salts),
                    None => sdjwt::issue(signer, claims, &paths, &mut OsSalts),
                }
            }
        }
    }
}

/// The claim paths an SD-JWT VC of `kind` conceals: `credentialSubject.<member>` for each of
/// [`CredentialKind::selectively_disclosable`].
fn disclosable_paths(kind: CredentialKind) -> Vec<Vec<PathSeg>> {
    kind.selectively_disclosable()
        .iter()
        .map(|member| {
            vec![
                PathSeg::Key("credentialSubject".into()),
                PathSeg::Key((*member).into()),
            ]
        })
        .collect()
}
