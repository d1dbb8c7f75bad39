//! The HTTP API (axum): [`app`] builds the router from one shared [`AppState`].
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /healthz` | anyone | `{"status":"ok"}` once the database answers |
//! | `GET /metrics` | admin, auditor | Prometheus metrics ([`crate::metrics`]) |
//! | `GET /api/v1/openapi.json` | anyone | the OpenAPI 3.1 document ([`publish::OPENAPI`]) |
//! | `POST /api/v1/credentials` | admin, officer | issue (needs `Idempotency-Key`) |
//! | `GET /api/v1/credentials?office=&type=&…` | any operator (officers: own office) | metadata, newest first |
//! | `POST /api/v1/credentials/batch` | admin, officer | JSON array or CSV, ≤ 10,000 rows |
//! | `GET /api/v1/credentials/{id}` | any operator in scope | the stored credential |
//! | `POST /api/v1/credentials/{id}/revoke` | admin, officer | revoke with a reason |
//! | `GET /api/v1/audit?after=N&limit=M` | admin, auditor | audit entries with their hashes |
//! | `GET /api/v1/offices` | any operator | offices, their keys and status lists |
//! | `POST /api/v1/offices/{office}/keys/rotate` | admin | new signing key (old retired/compromised) |
//! | `PUT /api/v1/offices/{office}/credential-types` | admin | the types an office may issue |
//! | `POST /api/v1/volunteers` | admin, officer | register a volunteer |
//! | `GET /api/v1/volunteers?iin=…\|name=…`, `GET /api/v1/volunteers/{id}` | any operator (officers: own office's, or by IIN) | find, read (audited) |
//! | `PATCH /api/v1/volunteers/{id}` | admin | correct a registration |
//! | `POST /api/v1/volunteers/{id}/passport` | admin, officer | issue the passport summary |
//! | `GET /status/{office}/{n}` | anyone | the office's signed status list |
//! | `GET /trust-list` | anyone | the signed trust list |
//! | `GET /trust-list/chain` | anyone | the root chain: rotation lists, oldest first |
//! | `GET /.well-known/did.json`, `GET /offices/{office}/did.json` | anyone | DID documents |
//!
//! Bodies are limited to [`MAX_BODY`] bytes, batches to [`MAX_BATCH_BODY`] (413 problem
//! beyond). Operator routes are rate-limited per token (and per client address for requests
//! without a valid token; see [`extract::Auth`]); publication routes are not. Every error is
//! an RFC 9457 problem ([`error::ApiError`]), unmatched paths (404) and methods (405) and
//! unreadable path parameters ([`extract::Path`]) included; see docs/api.md. Every response
//! carries `x-request-id`, and every request is logged in one line ([`trace`]).

pub mod credentials;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod offices;
pub mod publish;
pub mod trace;
pub mod volunteers;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

use crate::service::Service;
use error::{ApiError, ProblemCode};

/// Largest accepted request body (a credential is a few KiB).
pub const MAX_BODY: usize = 64 * 1024;
/// Largest accepted batch body (10,000 rows).
pub const MAX_BATCH_BODY: usize = 16 * 1024 * 1024;

/// The state every handler shares.
pub type AppState = Arc<Service>;

/// The whole router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(credentials::router())
        .merge(metrics::router())
        .merge(offices::router())
        .merge(publish::router())
        .merge(volunteers::router())
        .fallback(|| async { ApiError::not_found("resource") })
        // After the merges: it is set on every route registered so far.
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ProblemCode::MethodNotAllowed,
                "this resource does not answer this method; the Allow header lists those it does",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::count_refused_writes,
        ))
        // Outermost, after the fallbacks (so that they have it too): request id, span, log
        // line and metrics of every request.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trace::observe,
        ))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state.store().setting("public_url").await?;
    Ok(Json(serde_json::json!({"status": "ok"})))
}
