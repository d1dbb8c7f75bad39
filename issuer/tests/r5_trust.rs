#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Root rotation end to end (issue 8 #8): `Service::rotate_root` (`vpass admin rotate-root`)
//! and `GET /trust-list/chain`, with verifiers that sync before, during and after a rotation,
//! or only after it, each then verifying a credential VALID.

#[macro_use]
mod common;
use common::*;

use std::path::Path;

use axum::http::StatusCode;
use vpass_credential::keys::PublicKey;
use vpass_credential::time::{Clock, SystemClock};
use vpass_verifier::{sync, Policy, TrustStore};

/// `vpass trust sync` over the router: the trust list, the root chain when needed, then the
/// status lists the verified list names.
async fn sync_from(h: &Harness, dir: &Path, root: Option<&str>) -> sync::SyncReport {
    let list = send(&h.app, get("/trust-list", None)).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = String::from_utf8(list.body).unwrap();
    let root = root.map(|d| PublicKey::from_did_key(d).unwrap());
    let chain: Vec<String> = if sync::needs_chain(dir, root.as_ref(), &list).unwrap() {
        let a = send(&h.app, get("/trust-list/chain", None)).await;
        assert_eq!(a.status, StatusCode::OK);
        serde_json::from_slice(&a.body).unwrap()
    } else {
        Vec::new()
    };
    let mut pending = sync::begin(dir, root.as_ref(), &list, &chain, SystemClock.now()).unwrap();
    for url in pending.status_list_urls() {
        let path = url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap();
        let a = send(&h.app, get(&path, None)).await;
        if a.status == StatusCode::OK {
            pending
                .add_status_list(&url, std::str::from_utf8(&a.body).unwrap())
                .unwrap();
        }
    }
    let report = pending.commit().unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    report
}

fn assert_valid(dir: &Path, credential: &str) {
    let now = SystemClock.now();
    let store = TrustStore::open(dir, now).unwrap();
    let v = vpass_verifier::verify(credential, &store, &Policy::at(now));
    assert!(v.valid, "{:?}", v.errors);
    assert!(v.status.checked);
}

async fn r5_root_rotation_keeps_every_verifier_in_step(h: Harness) {
    let root0 = h.service.root_did();
    let a = issue(&h, "r5-rotation-1", &hours_body()).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    let credential = a.json()["credential"].as_str().unwrap().to_owned();
    let chain = send(&h.app, get("/trust-list/chain", None)).await;
    assert_eq!(chain.json(), serde_json::json!([]));

    let tmp = tempfile::tempdir().unwrap();
    let steady = tmp.path().join("steady");
    // Before.
    sync_from(&h, &steady, Some(&root0)).await;
    assert_valid(&steady, &credential);

    let rotated = h.service.rotate_root("test", "r5 rotation").await.unwrap();
    assert_eq!(rotated.previous, root0);
    let root1 = rotated.next.clone();
    assert_ne!(root1, root0);

    // During: the latest list is the rotation list itself.
    let report = sync_from(&h, &steady, None).await;
    assert!(report.root_rotated);
    assert_valid(&steady, &credential);
    let during = tmp.path().join("during");
    sync_from(&h, &during, Some(&root0)).await;
    assert_valid(&during, &credential);

    // After: a list signed by the new root; the chain holds the rotation list.
    h.service.trust_list(true).await.unwrap();
    let chain = send(&h.app, get("/trust-list/chain", None)).await;
    assert_eq!(chain.json().as_array().unwrap().len(), 1);
    for dir in [&steady, &during] {
        sync_from(&h, dir, None).await;
        assert_valid(dir, &credential);
    }
    // Only after, pinning the old root (catching up through the chain) or the new one.
    for (name, pin) in [("after-old", &root0), ("after-new", &root1)] {
        let dir = tmp.path().join(name);
        sync_from(&h, &dir, Some(pin)).await;
        assert_valid(&dir, &credential);
    }
    // A credential issued after the rotation verifies everywhere too.
    let a = issue(&h, "r5-rotation-2", &hours_body()).await;
    let later = a.json()["credential"].as_str().unwrap().to_owned();
    sync_from(&h, &steady, None).await;
    assert_valid(&steady, &later);

    // The rotation is audited.
    let audit = send(
        &h.app,
        get("/api/v1/audit?after=0&limit=1000", Some(&h.token)),
    )
    .await;
    let entries = audit.json();
    let text = entries.to_string();
    assert!(text.contains("root.rotate"), "{text}");
}

on_both_backends!(r5_root_rotation_keeps_every_verifier_in_step);
