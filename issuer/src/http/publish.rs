//! Public, cacheable documents for verifiers: status lists, the trust list, DID documents.
//! Each answer has a strong `ETag` (a hash of the bytes), honours `If-None-Match` with 304,
//! and a short `Cache-Control` max-age, so verifiers may poll cheaply.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use super::extract::Path;
use super::AppState;

/// `Cache-Control` of published documents.
pub const CACHE_CONTROL: &str = "public, max-age=300";

/// The routes of this feature.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/status/{office}/{n}", get(status_list))
        .route("/trust-list", get(trust_list))
        .route("/trust-list/chain", get(trust_list_chain))
        .route("/.well-known/did.json", get(well_known_did))
        .route("/offices/{office}/did.json", get(office_did))
        .route("/api/v1/openapi.json", get(openapi))
}

/// The OpenAPI 3.1 document of this API, written by hand next to the code it describes
/// (`issuer/openapi.json`); a test checks that every operation in it is routed.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// `GET /api/v1/openapi.json`: the OpenAPI document, cacheable like the other public
/// documents.
async fn openapi(headers: HeaderMap) -> Response {
    cacheable(&headers, "application/json", OPENAPI.as_bytes().to_vec())
}

/// Answer `bytes` with an ETag, or 304 when the client has them.
fn cacheable(headers: &HeaderMap, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let hash = crate::crypto::sha256(&bytes);
    let hex: String = hash.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{hex}\"");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let status = if matches {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let body = if matches { Vec::new() } else { bytes };
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if !matches {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    resp
}

async fn status_list(
    State(state): State<AppState>,
    Path((office, n)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Canonical decimal only (no sign, no leading zero), so one list has one URL.
    let n: i64 = Some(&n)
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0'))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| ApiError::not_found("status list"))?;
    let token = state.status_list(&office, n).await?;
    Ok(cacheable(
        &headers,
        "application/vc+jwt",
        token.into_bytes(),
    ))
}

async fn trust_list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = state.trust_list(false).await?;
    Ok(cacheable(
        &headers,
        "application/vpass-trustlist+jwt",
        token.into_bytes(),
    ))
}

/// `GET /trust-list/chain`: the root chain, a JSON array of the rotation lists (each signed by
/// the root it replaced, naming the next), oldest first; `[]` before any root rotation.
async fn trust_list_chain(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let chain = state.root_chain().await?;
    let body = serde_json::to_vec(&chain).map_err(|e| ApiError::internal(&e))?;
    Ok(cacheable(&headers, "application/json", body))
}

async fn did_document(
    state: &AppState,
    office: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let doc = state
        .did_document(office)
        .await?
        .ok_or_else(|| ApiError::not_found("office"))?;
    Ok(cacheable(
        headers,
        "application/did+json",
        doc.to_string().into_bytes(),
    ))
}

async fn well_known_did(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let office = state
        .well_known_office()
        .ok_or_else(|| ApiError::not_found("office"))?
        .to_owned();
    did_document(&state, &office, &headers).await
}

async fn office_did(
    State(state): State<AppState>,
    Path(office): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    did_document(&state, &office, &headers).await
}
