//! `/api/v1/volunteers`: the volunteer register (register, read, find, correct) and the
//! passport summary; also the handler of `GET /api/v1/credentials` (the credential listing).

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use super::credentials::json_bytes;
use super::error::ApiError;
use super::extract::{Auth, Body, CountedInTransaction, IdempotencyKey, Path};
use super::AppState;

/// The routes of this feature.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/volunteers",
            post(register)
                .route_layer(Extension(CountedInTransaction))
                .get(find),
        )
        .route("/api/v1/volunteers/{id}", get(read).patch(correct))
        .route(
            "/api/v1/volunteers/{id}/passport",
            post(passport).route_layer(Extension(CountedInTransaction)),
        )
}

async fn register(
    State(state): State<AppState>,
    Auth(op): Auth,
    IdempotencyKey(key): IdempotencyKey,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (status, body) = state.register_volunteer(&op, &key, &body).await?;
    Ok(json_bytes(status, body))
}

/// `GET /api/v1/volunteers?iin=…|name=…&limit=&cursor=`.
async fn find(
    State(state): State<AppState>,
    Auth(op): Auth,
    uri: axum::http::Uri,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(state.find_volunteers(&op, uri.query()).await?))
}

async fn read(
    State(state): State<AppState>,
    Auth(op): Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(state.volunteer(&op, &id).await?))
}

/// `PATCH /api/v1/volunteers/{id}` (admins): correct a registration.
async fn correct(
    State(state): State<AppState>,
    Auth(op): Auth,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(state.correct_volunteer(&op, &id, &body).await?))
}

async fn passport(
    State(state): State<AppState>,
    Auth(op): Auth,
    IdempotencyKey(key): IdempotencyKey,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (status, body) = state.issue_passport(&op, &key, &id, &body).await?;
    Ok(json_bytes(status, body))
}

/// `GET /api/v1/credentials?office=&type=&volunteer=&status=&issued_after=&issued_before=
/// &limit=&cursor=`: metadata, newest first.
pub(super) async fn list(
    State(state): State<AppState>,
    Auth(op): Auth,
    uri: axum::http::Uri,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(state.list_credentials(&op, uri.query()).await?))
}
