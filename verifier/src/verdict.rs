//! The verdict: what the verifier concluded and why.

use serde::Serialize;
use serde_json::Value;
use vpass_credential::{Code, Error};

/// One reason (an error or a warning), with its stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable specific code, e.g. `KB_AUD_MISMATCH`.
    pub code: &'static str,
    /// The broad category, e.g. `key_binding_invalid`.
    pub category: &'static str,
    /// A message for people (English; see `i18n` for kk/ru).
    pub message: String,
    /// Structured detail (field, limit, times) as text, for engineers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip)]
    /// The code as a value.
    pub code_value: Option<Code>,
}

impl Finding {
    /// A finding from a core error.
    pub fn from_error(e: &Error) -> Finding {
        let detail = e.to_string();
        let detail = detail
            .strip_prefix(e.code().as_str())
            .map(str::trim)
            .unwrap_or(&detail);
        Finding {
            code: e.code().as_str(),
            category: e.code().category().as_str(),
            message: crate::verify::message_en(e.code()).to_owned(),
            detail: (!detail.is_empty()).then(|| detail.to_owned()),
            code_value: Some(e.code()),
        }
    }
}

/// Which format the credential came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// SD-JWT VC.
    SdJwt,
    /// VC-JWT (`vc+jwt`).
    VcJwt,
    /// A VC 1.1 JWT (`vc` claim).
    Vc11Jwt,
    /// Could not be determined.
    Unknown,
}

/// What is known about revocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    /// Whether a status list was consulted.
    pub checked: bool,
    /// Whether the credential is revoked (meaningful when `checked`).
    pub revoked: bool,
    /// The status list's time ("status as of"), RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// The list the credential points to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    /// The index in that list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
}

/// The outcome of verifying one credential.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// True only if every check passed.
    pub valid: bool,
    /// Why it is not valid (empty when valid).
    pub errors: Vec<Finding>,
    /// What could not be checked, or deserves attention.
    pub warnings: Vec<Finding>,
    /// The issuer (`iss`), once the signature has verified.
    pub issuer: Option<String>,
    /// The issuer's display name, when a trust list names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_name: Option<Value>,
    /// The credential types.
    pub types: Vec<String>,
    /// The credential as a W3C VCDM 2.0 view (disclosed claims only).
    pub claims: Value,
    /// Disclosed selectively-disclosable claims (dotted paths).
    pub disclosed: Vec<String>,
    /// True when a key-binding JWT proved the presenter holds the credential's key.
    pub holder_bound: bool,
    /// Revocation status.
    pub status: StatusReport,
    /// The input format.
    pub format: Format,
    /// `nbf`, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// `exp`, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

impl Verdict {
    pub(crate) fn empty() -> Verdict {
        Verdict {
            valid: false,
            errors: Vec::new(),
            warnings: Vec::new(),
            issuer: None,
            issuer_name: None,
            types: Vec::new(),
            claims: Value::Null,
            disclosed: Vec::new(),
            holder_bound: false,
            status: StatusReport {
                checked: false,
                revoked: false,
                as_of: None,
                list: None,
                index: None,
            },
            format: Format::Unknown,
            valid_from: None,
            valid_until: None,
        }
    }

    pub(crate) fn reject(mut self, e: &Error) -> Verdict {
        self.valid = false;
        self.errors.push(Finding::from_error(e));
        self
    }

    /// The first error's code, if any.
    pub fn first_code(&self) -> Option<Code> {
        self.errors.first().and_then(|f| f.code_value)
    }
}
