//! `/api/v1/offices`: the offices with their keys and status lists (any operator), key
//! rotation and the credential types an office may issue (admins).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};

use super::error::ApiError;
use super::extract::{Auth, Body, CountedInTransaction, IdempotencyKey, Path};
use super::AppState;

/// The routes of this feature.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/offices", get(list))
        .route(
            "/api/v1/offices/{office}/keys/rotate",
            post(rotate).route_layer(Extension(CountedInTransaction)),
        )
        .route(
            "/api/v1/offices/{office}/credential-types",
            put(credential_types),
        )
}

/// `PUT /api/v1/offices/{office}/credential-types` (admins).
async fn credential_types(
    State(state): State<AppState>,
    Auth(op): Auth,
    Path(office): Path<String>,
    Body(body): Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(state.set_credential_types(&op, &office, &body).await?))
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
