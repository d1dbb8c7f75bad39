//! `/api/v1/credentials`: issue, read and revoke; `/api/v1/audit`: the audit log (operators,
//! bearer tokens).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use vpass_credential::model::CredentialKind;

use super::error::ApiError;
use super::extract::{Auth, Body, CountedInTransaction, IdempotencyKey, Path};
use super::AppState;

/// The routes of this feature.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/credentials",
            post(issue)
                .route_layer(Extension(CountedInTransaction))
                .get(super::volunteers::list),
        )
        .route(
            "/api/v1/credentials/batch",
            post(batch)
                .layer(DefaultBodyLimit::max(super::MAX_BATCH_BODY))
                .route_layer(Extension(CountedInTransaction)),
        )
        .route("/api/v1/credentials/{id}", get(read))
        .route(
            "/api/v1/credentials/{id}/revoke",
            post(revoke).route_layer(Extension(CountedInTransaction)),
        )
        .route("/api/v1/audit", get(audit))
}

/// `GET /api/v1/audit?after=N&limit=M` (defaults 0 and 100).
async fn audit(
    State(state): State<AppState>,
    Auth(op): Auth,
    uri: axum::http::Uri,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut after = 0;
    let mut limit = 100;
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let target = match name {
            "after" => &mut after,
            "limit" => &mut limit,
            _ => return Err(ApiError::invalid_field(name, "is not a known parameter")),
        };
        *target = value
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .ok_or_else(|| ApiError::invalid_field(name, "must be a non-negative integer"))?;
    }
    Ok(Json(state.audit(&op, after, limit).await?))
}

/// A stored JSON answer, sent byte for byte.
pub(super) fn json_bytes(status: u16, body: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn issue(
    State(state): State<AppState>,
    Auth(op): Auth,
    IdempotencyKey(key): IdempotencyKey,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (status, body) = state.issue(&op, &key, &body).await?;
    Ok(json_bytes(status, body))
}

/// `POST /api/v1/credentials/batch[?type=VolunteerHoursCredential]`: a JSON array, or CSV
/// with `Content-Type: text/csv` (`type` names the credential type of the rows; default
/// hours).
async fn batch(
    State(state): State<AppState>,
    Auth(op): Auth,
    IdempotencyKey(key): IdempotencyKey,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/csv"));
    let mut csv_type = None;
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some(("type", t)) => {
                // Checked for JSON bodies too, so a typo is not silently ignored.
                csv_type = Some(CredentialKind::from_type_name(t).ok_or_else(|| {
                    ApiError::invalid_field("type", "is not a vpass credential type")
                })?)
            }
            _ => return Err(ApiError::invalid_field(pair, "is not a known parameter")),
        }
    }
    let csv_type = is_csv.then_some(csv_type.unwrap_or(CredentialKind::Hours));
    let (status, body) = state.issue_batch(&op, &key, &body, csv_type).await?;
    Ok(json_bytes(status, body))
}

async fn read(
    State(state): State<AppState>,
    Auth(op): Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(state.credential(&op, &id).await?))
}

async fn revoke(
    State(state): State<AppState>,
    Auth(op): Auth,
    IdempotencyKey(key): IdempotencyKey,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (status, body) = state.revoke(&op, &key, &id, &body).await?;
    Ok(json_bytes(status, body))
}
