//! Extractors that turn request parts into typed values or into our problem+json errors:
//! the bearer token ([`Auth`]), the `Idempotency-Key` header ([`IdempotencyKey`]) and the raw
//! body under the size limit ([`Body`]; JSON is parsed strictly by the service with
//! `vpass_credential::json`, which refuses duplicate members that serde would merge).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};

use super::error::ApiError;
use super::AppState;
use crate::service::Operator;

/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The authenticated operator (`Authorization: Bearer <token>`), else 401.
#[derive(Debug, Clone)]
pub struct Auth(pub Operator);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::unauthorized("an `Authorization: Bearer` token is required")
            })?;
        state.authenticate(token).await.map(Auth)
    }
}

/// The `Idempotency-Key` header every write needs: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<IdempotencyKey, ApiError> {
        let value = parts.headers.get("idempotency-key").ok_or_else(|| {
            ApiError::bad_request(
                "IDEMPOTENCY_KEY_MISSING",
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
                "IDEMPOTENCY_KEY_INVALID",
                "the Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .at("Idempotency-Key"));
        }
        Ok(IdempotencyKey(String::from_utf8_lossy(bytes).into_owned()))
    }
}

/// The request body, at most the router's body limit (413 problem beyond it).
#[derive(Debug, Clone)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Body, ApiError> {
        match Bytes::from_request(req, state).await {
            Ok(b) => Ok(Body(b)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                format!("the body is larger than {} bytes", super::MAX_BODY),
            )),
            Err(e) => Err(ApiError::bad_request("BODY_UNREADABLE", e.body_text())),
        }
    }
}
