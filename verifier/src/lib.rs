//! vpass verifier: offline verification of volunteer credentials.
//!
//! Takes what an HR or admissions officer has — QR text, a raw SD-JWT or JWT — and gives a
//! [`Verdict`]: valid or not, every reason with a stable code and a message in kk/ru/en,
//! the issuer, the disclosed claims, holder binding and revocation status. Nothing here
//! touches the network: keys come from a [`TrustStore`] (keys given directly, or a synced,
//! signed trust list with cached status lists in a folder).
//!
//! ```
//! use vpass_credential::keys::{Signer, SigningKey};
//! use vpass_credential::{sdjwt, time::UnixTime};
//! use vpass_verifier::{Policy, TrustStore};
//! let office = SigningKey::from_seed(&[7; 32]);
//! let claims = serde_json::json!({"iss": "did:web:office.example", "iat": 1_780_000_000,
//!     "type": ["VerifiableCredential", "VolunteerHoursCredential"]});
//! let token = sdjwt::issue(&office, claims, &[], &mut sdjwt::OsSalts).unwrap();
//! let store = TrustStore::with_keys(vec![office.public()]);
//! let verdict = vpass_verifier::verify(&token, &store, &Policy::at(UnixTime(1_800_000_000)));
//! assert!(verdict.valid, "{:?}", verdict.errors);
//! ```

pub mod i18n;
mod report;
pub mod sample;
pub mod scan;
mod store;
mod verdict;
mod verify;

pub use store::{StoreError, TrustStore};
pub use verdict::{Finding, Format, StatusReport, Verdict};
pub use verify::{verify, Policy};
