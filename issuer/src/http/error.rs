//! The service's one error type, [`ApiError`], and its RFC 9457 problem+json rendering.
//!
//! Every answer that is not a success is `application/problem+json`:
//! `{"type", "title", "status", "detail", "code", "field"?}`. `code` is stable (clients and
//! tests key on it; validation failures reuse the credential core's codes such as
//! `INVALID_FIELD`), `field` is the JSON path or header at fault. `type` is
//! `urn:vpass:problem:<code in lower case>`. 5xx bodies say nothing internal: the cause goes to
//! the log ([`ApiError::internal`]) with the reference the client sees, the request's id.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::store::StoreError;

/// An error answer: status, stable code, human title and detail, field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code (`INVALID_FIELD`, `UNAUTHORIZED`, ...).
    pub code: String,
    /// Human-readable explanation for this occurrence.
    pub detail: String,
    /// The JSON path or header at fault.
    pub field: Option<String>,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
    /// A record the problem is about, as an extra member: (`volunteer`, its id) for
    /// `VOLUNTEER_EXISTS`, (`credential`, its id) for `DUPLICATE_EVENT`. Boxed: errors travel
    /// in `Result`s, which stay small.
    pub related: Option<Box<(&'static str, String)>>,
}

impl ApiError {
    /// An error with a status, code and detail.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            detail: detail.into(),
            field: None,
            retry_after: None,
            related: None,
        }
    }

    /// A refused plausibility check: 422 with its code, field and explanation.
    pub fn refused(r: crate::volunteers::Refusal) -> ApiError {
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code, r.detail).at(r.field);
        e.related = r.credential.map(|c| Box::new(("credential", c)));
        e
    }

    /// The error of batch row `row`: `{"row", "code", "field", "detail"}` (and the related
    /// record, if any).
    pub fn row_json(&self, row: usize) -> Value {
        let mut m = Map::new();
        m.insert("row".into(), row.into());
        m.insert("code".into(), self.code.clone().into());
        m.insert("field".into(), self.field.clone().into());
        m.insert("detail".into(), self.detail.clone().into());
        if let Some((name, id)) = self.related.as_deref() {
            m.insert((*name).into(), id.clone().into());
        }
        Value::Object(m)
    }

    /// 429 `RATE_LIMITED`, to be retried after `seconds`.
    pub fn rate_limited(seconds: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
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

    /// 400 with a code.
    pub fn bad_request(code: &str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 400 `INVALID_FIELD` at `field`.
    pub fn invalid_field(field: &str, reason: &str) -> ApiError {
        ApiError::bad_request("INVALID_FIELD", format!("{field}: {reason}")).at(field)
    }

    /// 401.
    pub fn unauthorized(detail: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", detail)
    }

    /// 403.
    pub fn forbidden(detail: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", detail)
    }

    /// 404.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
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
            "INTERNAL",
            format!("internal error; reference {reference}"),
        )
    }

    /// A validation failure of the credential core, as a 400 with its code and field.
    pub fn from_credential(e: &vpass_credential::Error, prefix: &str) -> ApiError {
        use vpass_credential::Context;
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
        let err = ApiError::bad_request(e.code().as_str(), e.to_string());
        match field {
            Some(f) => err.at(f),
            None => err,
        }
    }

    /// The problem document.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "type".into(),
            format!("urn:vpass:problem:{}", self.code.to_ascii_lowercase()).into(),
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
        m.insert("code".into(), self.code.clone().into());
        if let Some(f) = &self.field {
            m.insert("field".into(), f.clone().into());
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
                "ALREADY_REVOKED",
                "the credential is already revoked",
            ),
            StoreError::IdempotencyMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "IDEMPOTENCY_KEY_REUSED",
                "this Idempotency-Key was used with a different request; use a new key",
            )
            .at("Idempotency-Key"),
            StoreError::IdempotencyInUse => ApiError::new(
                StatusCode::CONFLICT,
                "IDEMPOTENCY_KEY_IN_USE",
                "a request with this Idempotency-Key is being processed; retry it shortly",
            ),
            StoreError::VolunteerExists(id) => {
                let mut e = ApiError::new(
                    StatusCode::CONFLICT,
                    "VOLUNTEER_EXISTS",
                    format!("a volunteer with this IIN is registered already: {id}"),
                )
                .at("iin");
                e.related = Some(Box::new(("volunteer", id)));
                e
            }
            StoreError::Refused(r) => ApiError::refused(r),
            StoreError::StatusListFull => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "STATUS_LIST_FULL",
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
