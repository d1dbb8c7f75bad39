//! The served OpenAPI document against the running router: every documented operation is
//! routed and answers a sample request with a status it documents, every `$ref` resolves, and
//! the route table in `issuer/src/http/mod.rs` names exactly the documented operations.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;
use vpass_issuer::service::{self, Config};

fn document() -> Value {
    serde_json::from_str(vpass_issuer::http::publish::OPENAPI).unwrap()
}

/// Every (METHOD, path template) the document describes.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// Every `"$ref"` in `value`, with its JSON path.
fn refs<'a>(value: &'a Value, at: &str, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push((at.to_owned(), r)),
                    _ => refs(v, &format!("{at}/{k}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    assert!(found.len() > 20, "only {} references", found.len());
    for (at, r) in found {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: external reference {r}"));
        assert!(doc.pointer(pointer).is_some(), "{at}: {r} does not resolve");
    }
}

#[test]
fn route_table_names_exactly_the_documented_operations() {
    let source = include_str!("../src/http/mod.rs");
    let mut table = BTreeSet::new();
    for line in source.lines() {
        // `//! | `GET /status/{office}/{n}`, `GET /other` | who | what |`
        let Some(cell) = line
            .strip_prefix("//! | ")
            .and_then(|l| l.split(" | ").next())
        else {
            continue;
        };
        for route in cell.split(", ") {
            let route = route.trim_matches('`');
            if let Some((method, path)) = route.split_once(' ') {
                if method.chars().all(|c| c.is_ascii_uppercase()) {
                    let path = path.split('?').next().unwrap_or(path);
                    table.insert((method.to_owned(), path.to_owned()));
                }
            }
        }
    }
    assert_eq!(table, operations(&document()));
}

/// A path template with sample values for its parameters.
fn sample_path(template: &str) -> String {
    template
        .replace("{office}", "national")
        .replace("{n}", "1")
        .replace("{id}", "00000000-0000-4000-8000-000000000000")
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_answers_a_documented_status() {
    let dir = tempfile::tempdir().unwrap();
    // A new data folder (created private; the temporary folder itself is not).
    let config = Config::default_with_data_dir(dir.path().join("data"));
    let opened = service::open(&config).await.unwrap();
    let token = std::fs::read_to_string(opened.initial_admin_token.unwrap()).unwrap();
    let app = vpass_issuer::app(Arc::new(opened.service));
    let doc = document();
    let ops = operations(&doc);
    assert!(ops.len() >= 11, "{ops:?}");
    for (method, template) in ops {
        let op = &doc["paths"][&template][method.to_lowercase()];
        let uri = sample_path(&template);
        let req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", token.trim()))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", format!("openapi-{method}-{template}"))
            .body(Body::from(if method == "GET" { "" } else { "{}" }))
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        if status == StatusCode::NOT_FOUND {
            let problem: Value = serde_json::from_slice(&body).unwrap();
            assert_ne!(
                problem["detail"], "no such resource",
                "{method} {uri} is documented but not routed"
            );
        }
        assert!(
            op["responses"].get(status.as_str()).is_some(),
            "{method} {uri} answered {status}, which the document does not list: {}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[tokio::test]
async fn the_document_is_served() {
    let dir = tempfile::tempdir().unwrap();
    // A new data folder (created private; the temporary folder itself is not).
    let config = Config::default_with_data_dir(dir.path().join("data"));
    let opened = service::open(&config).await.unwrap();
    let app = vpass_issuer::app(Arc::new(opened.service));
    let resp = app
        .oneshot(
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().contains_key(header::ETAG));
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let served: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(served, document());
}
