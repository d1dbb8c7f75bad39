//! Request ids, the request span, the one log line per request and the request metrics:
//! [`observe`], the outermost layer of [`super::app`].
//!
//! Each request gets an id: the caller's `x-request-id` when it is a valid one
//! ([`RequestId::from_caller`]: 1 to [`MAX_REQUEST_ID`] visible ASCII characters), else a
//! fresh random UUID. The id is sent back in `x-request-id` on every response, names the
//! request's `tracing` span (`request{id method route}`), and is the reference of an internal
//! error ([`current`], read by [`super::error::ApiError::internal`]). When the answer is
//! ready, one event at `info` says its status and latency; with the span's fields that is one
//! line holding method, route template, status and latency.
//!
//! **What is logged.** The method, the matched route *template* (`/api/v1/volunteers/{id}`,
//! never the path, whose segments and query may hold ids or an IIN), the status, the latency
//! and the request id. Never headers (tokens), bodies (credentials, IINs) or the query.
//!
//! **Why not tower-http's `TraceLayer` and request-id layers.** The log line and the latency
//! histogram both need the request's id, method and matched route when the answer is ready;
//! `TraceLayer`'s response hook sees only the response and the span, and `SetRequestIdLayer`
//! keeps whatever id the caller sent. One small middleware does all of it with no
//! dependency.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::AppState;
use crate::metrics::{method_label, UNMATCHED_ROUTE};

/// The request-id header, in requests and responses.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a caller.
pub const MAX_REQUEST_ID: usize = 128;

/// A request's id: 1 to [`MAX_REQUEST_ID`] visible ASCII characters (no space, no control).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The caller's id, if it is one: 1 to [`MAX_REQUEST_ID`] bytes, each visible ASCII.
    pub fn from_caller(value: &HeaderValue) -> Option<RequestId> {
        let bytes = value.as_bytes();
        let valid = (1..=MAX_REQUEST_ID).contains(&bytes.len())
            && bytes.iter().all(|b| (0x21..=0x7e).contains(b));
        if !valid {
            return None;
        }
        value.to_str().ok().map(|s| RequestId(s.to_owned()))
    }

    /// A fresh random id (a UUID).
    pub fn fresh() -> RequestId {
        RequestId(crate::crypto::random_uuid())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

tokio::task_local! {
    /// The id of the request the current task serves.
    static CURRENT: RequestId;
}

/// The id of the request being served by this task, if any.
pub fn current() -> Option<RequestId> {
    CURRENT.try_with(Clone::clone).ok()
}

/// The middleware: id, span, log line, metrics, `x-request-id` on the response.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(RequestId::from_caller)
        .unwrap_or_else(RequestId::fresh);
    let method = method_label(request.method().as_str());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let mut response = CURRENT
        .scope(id.clone(), next.run(request))
        .instrument(span.clone())
        .await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    // Milliseconds with three decimals: readable, and precise enough.
    let latency_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3;
    span.in_scope(|| tracing::info!(status, latency_ms, "answered"));
    state
        .metrics()
        .request(method, &route, status, elapsed.as_secs_f64());
    // A request id is visible ASCII (checked or generated): always a valid header value.
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn caller_ids_are_taken_only_when_short_and_visible_ascii() {
        let ok = |s: &str| RequestId::from_caller(&HeaderValue::from_str(s).unwrap());
        assert_eq!(ok("abc-123_X.~").unwrap().as_str(), "abc-123_X.~");
        assert!(ok(&"a".repeat(MAX_REQUEST_ID)).is_some());
        assert!(ok(&"a".repeat(MAX_REQUEST_ID + 1)).is_none());
        assert!(ok("").is_none());
        assert!(ok("has space").is_none());
        assert!(ok("tab\there").is_none());
        let latin1 = HeaderValue::from_bytes(b"caf\xe9").unwrap();
        assert!(RequestId::from_caller(&latin1).is_none());
    }

    #[test]
    fn fresh_ids_differ() {
        assert_ne!(RequestId::fresh(), RequestId::fresh());
        assert_eq!(RequestId::fresh().as_str().len(), 36);
    }
}
