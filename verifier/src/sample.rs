//! The standard presentation that benchmarks and size figures refer to: the standard hours
//! credential (`examples/hours.json`, the shared fixture with a valid IIN check digit), issued
//! with `iin` and `region` selectively disclosable, presented with both hidden and a
//! key-binding JWT (aud, nonce, iat, sd_hash), packed as QR envelope text.

use serde_json::Value;
use vpass_credential::issue::Issuance;
use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::model::Credential;
use vpass_credential::sdjwt::{self, KbParams, OsSalts, SaltSource};
use vpass_credential::time::UnixTime;
use vpass_credential::{envelope, Result};

use crate::{Policy, TrustStore};

/// The standard hours credential (VCDM 2.0 JSON).
pub const STANDARD_HOURS: &str = include_str!("../../examples/hours.json");

/// Everything needed to measure one verification.
#[derive(Debug)]
pub struct Sample {
    /// The office key.
    pub office: SigningKey,
    /// The holder key.
    pub holder: SigningKey,
    /// The issued SD-JWT (all disclosures).
    pub issued: String,
    /// The presentation with key binding (raw SD-JWT+KB text).
    pub presentation: String,
    /// The same without key binding.
    pub presentation_no_kb: String,
    /// The presentation as QR envelope text.
    pub qr_text: String,
    /// The presentation without KB as QR envelope text.
    pub qr_text_no_kb: String,
    /// A store trusting the office key.
    pub store: TrustStore,
    /// The policy that checks `aud` and `nonce`.
    pub policy: Policy,
}

/// The verifier audience used in the sample.
pub const AUD: &str = "https://hr.example.kz";
/// The nonce used in the sample.
pub const NONCE: &str = "n-0S6_WzA2Mj";

impl Sample {
    /// Build the sample from a VCDM credential JSON (e.g. [`STANDARD_HOURS`]).
    pub fn new(claims: &Value) -> Result<Sample> {
        Sample::with_salts(claims, &mut OsSalts)
    }

    /// [`Sample::new`] with disclosure salts from `salts`: fixed salts give the same QR text on
    /// every run (the QR reading test set draws its codes from it).
    pub fn with_salts(claims: &Value, salts: &mut dyn SaltSource) -> Result<Sample> {
        let office =
            SigningKey::from_seed(&[0x0f; 32]).with_kid("did:web:front-office.example:astana#2026");
        let holder = SigningKey::from_seed(&[0x42; 32]);
        let cred = Credential::from_json(claims)?;
        let iat = cred.valid_from();
        let issued = Issuance::new(&cred)
            .issued_at(iat)
            .holder(&holder.public())
            .salts(salts)
            .sign(&office)?;
        let now = UnixTime(iat.0 + 3_600);
        let kb = KbParams {
            key: &holder,
            aud: AUD,
            nonce: NONCE,
            iat: now,
        };
        let presentation = sdjwt::present_names(&issued, &[], Some(&kb))?;
        let presentation_no_kb = sdjwt::present_names(&issued, &[], None)?;
        let qr_text = envelope::encode(&presentation)?;
        let qr_text_no_kb = envelope::encode(&presentation_no_kb)?;
        let store = TrustStore::with_keys(vec![office.public()]);
        let mut policy = Policy::at(now);
        policy.aud = Some(AUD.into());
        policy.nonce = Some(NONCE.into());
        Ok(Sample {
            office,
            holder,
            issued,
            presentation,
            presentation_no_kb,
            qr_text,
            qr_text_no_kb,
            store,
            policy,
        })
    }

    /// The standard sample.
    pub fn standard() -> Result<Sample> {
        let claims = vpass_credential::json::parse(STANDARD_HOURS.as_bytes(), "sample")?;
        Sample::new(&claims)
    }
}
