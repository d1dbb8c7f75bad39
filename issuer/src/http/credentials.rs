//! `/api/v1/credentials`: issue, read and revoke (operators, bearer tokens).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::error::ApiError;
use super::extract::{Auth, Body, IdempotencyKey};
use super::AppState;

/// The routes of this feature.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/credentials", post(issue))
        .route("/api/v1/credentials/{id}", get(read))
        .route("/api/v1/credentials/{id}/revoke", post(revoke))
}

/// A stored JSON answer, sent byte for byte.
fn json_bytes(status: u16, body: Vec<u8>) -> Response {
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
