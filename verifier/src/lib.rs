//! vpass verifier: offline verification of volunteer credentials.
//!
//! Takes what an HR or admissions officer has — QR text, a raw SD-JWT or JWT — and gives a
//! [`Verdict`]: valid or not, every reason with a stable code and a message in kk/ru/en,
//! the issuer, the disclosed claims, holder binding and revocation status. Nothing here
//! touches the network: keys come from a [`TrustStore`] (keys given directly, or a synced,
//! signed trust list with cached status lists in a folder).
//!
//! ```
//! use vpass_verifier::sample::Sample;
//! // The standard hours credential, presented from QR text with key binding.
//! let s = Sample::standard().unwrap();
//! let verdict = vpass_verifier::verify(&s.qr_text, &s.store, &s.policy);
//! assert!(verdict.valid, "{:?}", verdict.errors);
//! assert!(verdict.holder_bound);
//! assert_eq!(verdict.claims["credentialSubject"]["hours"], 48);
//! ```

pub mod i18n;
mod report;
pub mod sample;
pub mod scan;
mod store;
pub mod sync;
mod verdict;
mod verify;

pub use store::{StoreError, TrustStore};
pub use verdict::{Finding, Format, StatusReport, Verdict};
pub use verify::{verify, Policy};
