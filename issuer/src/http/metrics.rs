//! `GET /metrics`: the Prometheus metrics ([`crate::metrics`]) for admins and auditors, and
//! the same text without a token on the separate metrics listener ([`open_router`], for
//! `vpass serve --metrics-listen`, which is meant for an internal network).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use super::extract::Auth;
use super::AppState;
use crate::service::{Role, Service};

/// The route of this feature on the API listener.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// The router of the metrics listener: `GET /metrics`, no token; nothing else.
pub fn open_router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(state): State<AppState>| async move { exposition(&state) }),
        )
        .with_state(state)
}

/// `GET /metrics` (admins and auditors; officers get 403).
async fn metrics(State(state): State<AppState>, Auth(op): Auth) -> Result<Response, ApiError> {
    if let Role::Officer(_) = op.role {
        return Err(ApiError::forbidden(
            "only admins and auditors may read the metrics",
        ));
    }
    exposition(&state)
}

fn exposition(state: &Service) -> Result<Response, ApiError> {
    let text = state
        .metrics()
        .render(&state.store().pool_use())
        .map_err(|e| ApiError::internal(&e))?;
    Ok(([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response())
}
