//! `/api/v1/offices`: the offices with their keys and status lists (any operator), and key
//! rotation (admins).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use super::error::ApiError;
use super::extract::{Auth, Body, CountedInTransaction, IdempotencyKey, Path};
use super::AppState;

/// The routes of this feature.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/offices", get(list)).route(
        "/api/v1/offices/{office}/keys/rotate",
        post(rotate).route_layer(Extension(CountedInTransaction)),
    )
}

async fn list(
    State(state): State<AppState>,
    Auth(_op): Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(state.offices_json().await?))
}

async fn rotate(
    State(state): State<AppState>,
    Auth(op): Auth,
    IdempotencyKey(key): IdempotencyKey,
    Path(office): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (status, body) = state.rotate_key(&op, &key, &office, &body).await?;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    Ok((status, [(header::CONTENT_TYPE, "application/json")], body).into_response())
}
