//! Extractors that turn request parts into typed values or into our problem+json errors:
//! the bearer token ([`Auth`]), the `Idempotency-Key` header ([`IdempotencyKey`]), path
//! parameters under the text rule ([`Path`]) and the raw body under the size limit ([`Body`]; JSON is parsed strictly by the service with
//! `vpass_credential::json`, which refuses duplicate members that serde would merge).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use vpass_credential::limits::MAX_REQUEST_ID;
use vpass_credential::text;

use super::error::{ApiError, ProblemCode};
use super::AppState;
use crate::service::Operator;

/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Marks routes whose handlers count the operator's request inside their write transaction
/// (issue, batch, revoke, key rotation: one upsert in the same transaction, no extra commit);
/// [`Auth`] then only checks that the operator's window is not used up, and
/// [`count_refused_writes`] counts the request if it is refused (its transaction, if any,
/// rolled the count back). Added with `route_layer(Extension(CountedInTransaction))`.
#[derive(Debug, Clone, Copy)]
pub struct CountedInTransaction;

/// The operator of a write counted in its transaction, filled in by [`Auth`] for
/// [`count_refused_writes`].
#[derive(Debug, Clone, Default)]
pub struct WriteOperator(Arc<Mutex<Option<String>>>);

/// Middleware over every route: a write whose answer is a refusal (4xx other than 401 and
/// 429: malformed, invalid, implausible, conflicting) is counted against the operator's rate
/// limit after all, so refused writes are throttled like accepted ones (issue 8, finding 13).
pub async fn count_refused_writes(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let slot = WriteOperator::default();
    req.extensions_mut().insert(slot.clone());
    let resp = next.run(req).await;
    let status = resp.status();
    let refused = status.is_client_error()
        && status != StatusCode::UNAUTHORIZED
        && status != StatusCode::TOO_MANY_REQUESTS;
    let operator = slot
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let (true, Some(id)) = (refused, operator) {
        // The answer stands: over the limit, the next request is refused; a database error
        // is logged where it is made and only leaves this refusal uncounted.
        let _ = state
            .rate_check(&format!("op:{id}"), state.limits().rate_limit_per_minute)
            .await;
    }
    resp
}

/// The authenticated operator (`Authorization: Bearer <token>`), else 401.
///
/// Rate limits are counted here, in the database: each request with a valid token in the
/// operator's bucket (unless the route counts it in its transaction,
/// [`CountedInTransaction`]: then only checked here, and counted on refusal), each request
/// without one in the client address's bucket (so token guessing is slowed down); over the limit the answer is `429 RATE_LIMITED` with
/// `Retry-After`. The client address is the TCP peer (`ConnectInfo`); behind a reverse proxy
/// that is the proxy's.
#[derive(Debug, Clone)]
pub struct Auth(pub Operator);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        let limits = state.limits();
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token);
        let result = match token {
            Some(token) => state.authenticate(token).await,
            None => Err(ApiError::unauthorized(
                "an `Authorization: Bearer` token is required",
            )),
        };
        match result {
            Ok(op) => {
                let bucket = format!("op:{}", op.id);
                if parts.extensions.get::<CountedInTransaction>().is_none() {
                    state
                        .rate_check(&bucket, limits.rate_limit_per_minute)
                        .await?;
                } else {
                    // Refused before its body is read once the window is used up; counted in
                    // its transaction, or by `count_refused_writes` if refused.
                    state
                        .rate_precheck(&bucket, limits.rate_limit_per_minute)
                        .await?;
                    if let Some(slot) = parts.extensions.get::<WriteOperator>() {
                        *slot
                            .0
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) =
                            Some(op.id.clone());
                    }
                }
                Ok(Auth(op))
            }
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                let peer = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
                state
                    .rate_check(&format!("ip:{peer}"), limits.auth_failures_per_minute)
                    .await?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` value. The scheme is case-insensitive
/// (RFC 9110 §11.1), separated from the token by one or more spaces (§11.4, RFC 6750 §2.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(' ')?;
    let token = rest.trim_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The `Idempotency-Key` header every write needs: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<IdempotencyKey, ApiError> {
        let value = parts.headers.get("idempotency-key").ok_or_else(|| {
            ApiError::bad_request(
                ProblemCode::IdempotencyKeyMissing,
                "writes need an Idempotency-Key header (a fresh random value per operation)",
            )
            .at("Idempotency-Key")
        })?;
        let bytes = value.as_bytes();
        if bytes.is_empty()
            || bytes.len() > MAX_IDEMPOTENCY_KEY
            || !bytes.iter().all(|b| b.is_ascii_graphic())
        {
            return Err(ApiError::bad_request(
                ProblemCode::IdempotencyKeyInvalid,
                "the Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .at("Idempotency-Key"));
        }
        Ok(IdempotencyKey(String::from_utf8_lossy(bytes).into_owned()))
    }
}

/// Path parameters, like axum's `Path`, but every refusal is our problem+json: a parameter
/// that is not UTF-8 once percent-decoded is `400 PATH_INVALID` (axum answered plain text),
/// one that breaks the text rule ([`vpass_credential::text::check_chars`]: NUL, ESC, bidi
/// controls) or is longer than [`MAX_REQUEST_ID`] is `400 INVALID_FIELD` at the parameter's
/// name, before any handler or query sees it.
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Path<T>, ApiError> {
        let invalid = |e: PathRejection| match e {
            PathRejection::FailedToDeserializePathParams(_) => ApiError::bad_request(
                ProblemCode::PathInvalid,
                "a path parameter is not valid percent-encoded UTF-8 text",
            ),
            // A route without the parameters its handler asks for: our bug, not the client's.
            other => ApiError::internal(&other),
        };
        let axum::extract::Path(params) =
            axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(invalid)?;
        for (name, value) in &params {
            if value.chars().nth(MAX_REQUEST_ID).is_some() {
                return Err(ApiError::invalid_field(name, "is too long"));
            }
            text::check_chars(value, text::Lines::One)
                .map_err(|reason| ApiError::invalid_field(name, reason))?;
        }
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(invalid)?;
        Ok(Path(value))
    }
}

/// The request body, at most the router's body limit (413 problem beyond it), read within
/// the body read timeout ([`crate::Limits::body_read_timeout`]; `408 BODY_TIMEOUT` beyond it,
/// and the connection is closed).
#[derive(Debug, Clone)]
pub struct Body(pub Bytes);

impl FromRequest<AppState> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Body, ApiError> {
        let timeout = state.limits().body_read_timeout;
        let Ok(read) = tokio::time::timeout(timeout, Bytes::from_request(req, state)).await else {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                ProblemCode::BodyTimeout,
                format!(
                    "the body did not arrive within {} seconds",
                    timeout.as_secs()
                ),
            ));
        };
        match read {
            Ok(b) => Ok(Body(b)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ProblemCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {} bytes", super::MAX_BODY),
            )),
            Err(e) => Err(ApiError::bad_request(
                ProblemCode::BodyUnreadable,
                e.body_text(),
            )),
        }
    }
}
