//! The service's one error type, [`ApiError`], and its RFC 9457 problem+json rendering.
//!
//! Every answer that is not a success is `application/problem+json`:
//! `{"type", "title", "status", "detail", "code", "field"?, "reason"?}`. `code` is stable
//! (clients and tests key on it; validation failures reuse the credential core's codes such as
//! `INVALID_FIELD`) and is a [`ProblemCode`] here, never free text; `field` is the JSON path or
//! header at fault; `reason`, when there is one, says what is wrong with it in words, without
//! the code and field (`detail` is the whole sentence), so that a client shows it without
//! parsing `detail`. `type` is `urn:vpass:problem:<code in lower case>`. 5xx bodies say nothing internal: the cause goes to
//! the log ([`ApiError::internal`]) with the reference the client sees, the request's id.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use vpass_credential::{Code, Context};

use crate::store::StoreError;
use crate::volunteers::RefusalCode;

/// The stable code of a problem: the issuer's own, a refused plausibility check's, or the
/// credential core's (validation failures). [`ProblemCode::as_str`] is the wire text, which
/// never changes once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemCode {
    /// `UNAUTHORIZED`: no, an unknown or a revoked API token.
    Unauthorized,
    /// `FORBIDDEN`: the operator's role may not do this.
    Forbidden,
    /// `NOT_FOUND`.
    NotFound,
    /// `METHOD_NOT_ALLOWED`.
    MethodNotAllowed,
    /// `INTERNAL`: the cause is in the log, never in the answer.
    Internal,
    /// `RATE_LIMITED`.
    RateLimited,
    /// `PATH_INVALID`: a path parameter is not acceptable.
    PathInvalid,
    /// `BODY_TIMEOUT`: the body was not sent in time.
    BodyTimeout,
    /// `BODY_UNREADABLE`.
    BodyUnreadable,
    /// `IDEMPOTENCY_KEY_MISSING`.
    IdempotencyKeyMissing,
    /// `IDEMPOTENCY_KEY_INVALID`.
    IdempotencyKeyInvalid,
    /// `IDEMPOTENCY_KEY_REUSED`: the key was used with another request.
    IdempotencyKeyReused,
    /// `IDEMPOTENCY_KEY_IN_USE`: a request with the key is in progress.
    IdempotencyKeyInUse,
    /// `ALREADY_REVOKED`.
    AlreadyRevoked,
    /// `STATUS_LIST_FULL`.
    StatusListFull,
    /// `MALFORMED_BATCH`: a batch body is neither a JSON array nor CSV.
    MalformedBatch,
    /// `BATCH_TOO_LARGE`.
    BatchTooLarge,
    /// `CSV_INVALID`.
    CsvInvalid,
    /// `PASSPORT_FROM_REGISTER`: a passport is built from the register only.
    PassportFromRegister,
    /// `PASSPORT_TOO_LARGE`.
    PassportTooLarge,
    /// `MALFORMED_VOLUNTEER`.
    MalformedVolunteer,
    /// `VOLUNTEER_EXISTS`.
    VolunteerExists,
    /// `VOLUNTEER_UNKNOWN`.
    VolunteerUnknown,
    /// `VOLUNTEER_MISMATCH`.
    VolunteerMismatch,
    /// A refused plausibility check (`DUPLICATE_EVENT`, ...).
    Refused(RefusalCode),
    /// A code of the credential core (`INVALID_FIELD`, `MALFORMED_CREDENTIAL`, ...).
    Credential(Code),
}

impl ProblemCode {
    /// `INVALID_FIELD`, the credential core's code the issuer uses for any field it refuses.
    pub const INVALID_FIELD: ProblemCode = ProblemCode::Credential(Code::InvalidField);
    /// `MALFORMED_CREDENTIAL`.
    pub const MALFORMED_CREDENTIAL: ProblemCode =
        ProblemCode::Credential(Code::MalformedCredential);
    /// `ISSUER_NOT_AUTHORIZED`: the office may not issue this type.
    pub const ISSUER_NOT_AUTHORIZED: ProblemCode =
        ProblemCode::Credential(Code::IssuerNotAuthorized);
    /// `PAYLOAD_TOO_LARGE`.
    pub const PAYLOAD_TOO_LARGE: ProblemCode = ProblemCode::Credential(Code::PayloadTooLarge);

    /// The stable wire text.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProblemCode::Unauthorized => "UNAUTHORIZED",
            ProblemCode::Forbidden => "FORBIDDEN",
            ProblemCode::NotFound => "NOT_FOUND",
            ProblemCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ProblemCode::Internal => "INTERNAL",
            ProblemCode::RateLimited => "RATE_LIMITED",
            ProblemCode::PathInvalid => "PATH_INVALID",
            ProblemCode::BodyTimeout => "BODY_TIMEOUT",
            ProblemCode::BodyUnreadable => "BODY_UNREADABLE",
            ProblemCode::IdempotencyKeyMissing => "IDEMPOTENCY_KEY_MISSING",
            ProblemCode::IdempotencyKeyInvalid => "IDEMPOTENCY_KEY_INVALID",
            ProblemCode::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ProblemCode::IdempotencyKeyInUse => "IDEMPOTENCY_KEY_IN_USE",
            ProblemCode::AlreadyRevoked => "ALREADY_REVOKED",
            ProblemCode::StatusListFull => "STATUS_LIST_FULL",
            ProblemCode::MalformedBatch => "MALFORMED_BATCH",
            ProblemCode::BatchTooLarge => "BATCH_TOO_LARGE",
            ProblemCode::CsvInvalid => "CSV_INVALID",
            ProblemCode::PassportFromRegister => "PASSPORT_FROM_REGISTER",
            ProblemCode::PassportTooLarge => "PASSPORT_TOO_LARGE",
            ProblemCode::MalformedVolunteer => "MALFORMED_VOLUNTEER",
            ProblemCode::VolunteerExists => "VOLUNTEER_EXISTS",
            ProblemCode::VolunteerUnknown => "VOLUNTEER_UNKNOWN",
            ProblemCode::VolunteerMismatch => "VOLUNTEER_MISMATCH",
            ProblemCode::Refused(r) => r.as_str(),
            ProblemCode::Credential(c) => c.as_str(),
        }
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer: status, stable code, human title and detail, field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code (`INVALID_FIELD`, `UNAUTHORIZED`, ...).
    pub code: ProblemCode,
    /// Human-readable explanation for this occurrence.
    pub detail: String,
    /// The JSON path or header at fault.
    pub field: Option<String>,
    /// What is wrong, in words, without the code and the field (the `reason` member).
    pub reason: Option<String>,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
    /// A record the problem is about, as an extra member: (`volunteer`, its id) for
    /// `VOLUNTEER_EXISTS`, (`credential`, its id) for `DUPLICATE_EVENT`. Boxed: errors travel
    /// in `Result`s, which stay small.
    pub related: Option<Box<(&'static str, String)>>,
}

impl ApiError {
    /// An error with a status, code and detail.
    pub fn new(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            field: None,
            reason: None,
            retry_after: None,
            related: None,
        }
    }

    /// A refused plausibility check: 422 with its code, field and explanation.
    pub fn refused(r: crate::volunteers::Refusal) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::Refused(r.code),
            r.detail.clone(),
        )
        .at(r.field)
        .because(r.detail);
        e.related = r.credential.map(|c| Box::new(("credential", c)));
        e
    }

    /// The error of batch row `row`: `{"row", "code", "field", "detail", "reason"?}` (and the
    /// related record, if any).
    pub fn row_json(&self, row: usize) -> Value {
        let mut m = Map::new();
        m.insert("row".into(), row.into());
        m.insert("code".into(), self.code.as_str().into());
        m.insert("field".into(), self.field.clone().into());
        m.insert("detail".into(), self.detail.clone().into());
        if let Some(reason) = &self.reason {
            m.insert("reason".into(), reason.clone().into());
        }
        if let Some((name, id)) = self.related.as_deref() {
            m.insert((*name).into(), id.clone().into());
        }
        Value::Object(m)
    }

    /// 429 `RATE_LIMITED`, to be retried after `seconds`.
    pub fn rate_limited(seconds: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ProblemCode::RateLimited,
            format!("too many requests; retry in {seconds} s"),
        );
        e.retry_after = Some(seconds);
        e
    }

    /// Name the field at fault.
    pub fn at(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// Say what is wrong, without the code and field (the `reason` member).
    pub fn because(mut self, reason: impl Into<String>) -> ApiError {
        self.reason = Some(reason.into());
        self
    }

    /// 400 with a code.
    pub fn bad_request(code: ProblemCode, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 400 `INVALID_FIELD` at `field`, `reason` being what is wrong with it.
    pub fn invalid_field(field: &str, reason: &str) -> ApiError {
        ApiError::bad_request(ProblemCode::INVALID_FIELD, format!("{field}: {reason}"))
            .at(field)
            .because(reason)
    }

    /// 401.
    pub fn unauthorized(detail: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ProblemCode::Unauthorized, detail)
    }

    /// 403.
    pub fn forbidden(detail: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ProblemCode::Forbidden, detail)
    }

    /// 404.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ProblemCode::NotFound,
            format!("no such {what}"),
        )
    }

    /// 500, logging `cause` (never sent to the client) at `error` with a reference the
    /// client sees: the request's id while a request is served ([`super::trace::current`]),
    /// else a random one.
    ///
    /// Logged here, where it is made, rather than by a middleware from the response: an
    /// internal error may end in a batch's report of rows or in a CLI command and never
    /// become a response. The event is inside the request's span: its line names the request.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        let reference = super::trace::current()
            .map(|id| id.to_string())
            .unwrap_or_else(|| crate::crypto::random_hex(8));
        tracing::error!(reference = %reference, cause = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemCode::Internal,
            format!("internal error; reference {reference}"),
        )
    }

    /// A validation failure of the credential core, as a 400 with its code and field.
    pub fn from_credential(e: &vpass_credential::Error, prefix: &str) -> ApiError {
        let join = |f: &str| {
            if prefix.is_empty() {
                f.to_owned()
            } else if f.is_empty() {
                prefix.to_owned()
            } else {
                format!("{prefix}.{f}")
            }
        };
        let field = match e.context() {
            Context::Field(f) => Some(join(f)),
            Context::FieldReason { field, .. } => Some(join(field)),
            _ => None,
        };
        // What the detail says in its parentheses, less the field.
        let reason = match e.context() {
            Context::FieldReason { reason, .. } => Some((*reason).to_owned()),
            Context::Limit {
                what,
                limit,
                actual,
            } => Some(format!("{what}: {actual} exceeds the limit of {limit}")),
            Context::Time { now, bound } => Some(format!("now {now}, bound {bound}")),
            Context::Value { what, value } => Some(format!("{what} {value:?}")),
            _ => None,
        };
        let mut err = ApiError::bad_request(ProblemCode::Credential(e.code()), e.to_string());
        err.field = field;
        err.reason = reason;
        err
    }

    /// The problem document.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "type".into(),
            format!(
                "urn:vpass:problem:{}",
                self.code.as_str().to_ascii_lowercase()
            )
            .into(),
        );
        m.insert(
            "title".into(),
            self.status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned()
                .into(),
        );
        m.insert("status".into(), self.status.as_u16().into());
        m.insert("detail".into(), self.detail.clone().into());
        m.insert("code".into(), self.code.as_str().into());
        if let Some(f) = &self.field {
            m.insert("field".into(), f.clone().into());
        }
        if let Some(reason) = &self.reason {
            m.insert("reason".into(), reason.clone().into());
        }
        if let Some((name, id)) = self.related.as_deref() {
            m.insert((*name).into(), id.clone().into());
        }
        Value::Object(m)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.to_json().to_string();
        let mut resp = (self.status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found("credential"),
            StoreError::AlreadyRevoked => ApiError::new(
                StatusCode::CONFLICT,
                ProblemCode::AlreadyRevoked,
                "the credential is already revoked",
            ),
            StoreError::IdempotencyMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different request; use a new key",
            )
            .at("Idempotency-Key"),
            StoreError::IdempotencyInUse => ApiError::new(
                StatusCode::CONFLICT,
                ProblemCode::IdempotencyKeyInUse,
                "a request with this Idempotency-Key is being processed; retry it shortly",
            ),
            StoreError::VolunteerExists(id) => {
                let mut e = ApiError::new(
                    StatusCode::CONFLICT,
                    ProblemCode::VolunteerExists,
                    format!("a volunteer with this IIN is registered already: {id}"),
                )
                .at("iin");
                e.related = Some(Box::new(("volunteer", id)));
                e
            }
            StoreError::Refused(r) => ApiError::refused(r),
            StoreError::StatusListFull => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ProblemCode::StatusListFull,
                "no free status-list index; the office needs a new status list",
            ),
            StoreError::Invalid { field, reason } => ApiError::invalid_field(field, reason),
            StoreError::RateLimited { retry_after } => {
                ApiError::rate_limited(u64::try_from(retry_after).unwrap_or(1).max(1))
            }
            other => ApiError::internal(&other),
        }
    }
}
