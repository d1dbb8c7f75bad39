#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `vpass trust sync` against a local HTTP server: nothing a trust list names is fetched
//! before the list's signature was checked (issue 8 #7).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::time::{Clock, SystemClock, UnixTime};
use vpass_credential::trust::{sign_trust_list, KeyState, Names, Office, OfficeKey, TrustList};

/// A server answering `/trust-list` with `list`, `/big/*` with `big` bytes, anything else 404;
/// it counts the requests per path.
fn serve(list: Arc<Mutex<String>>, big: usize) -> (u16, Arc<Mutex<HashMap<String, usize>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(Mutex::new(HashMap::new()));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let path = head.split(' ').nth(1).unwrap_or("").to_owned();
            *counted.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
            let (status, body) = if path == "/trust-list" {
                ("200 OK", list.lock().unwrap().clone().into_bytes())
            } else if path.starts_with("/big/") {
                ("200 OK", vec![b'a'; big])
            } else {
                ("404 Not Found", Vec::new())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (port, hits)
}

fn list_naming(signer: &SigningKey, port: u16, urls: usize) -> String {
    let now = SystemClock.now().0;
    let office = "did:web:front-office.example:astana";
    sign_trust_list(
        signer,
        &TrustList {
            sequence: 1,
            issued_at: UnixTime(now - 60),
            next_update: UnixTime(now + 86_400),
            root: signer.public().did_key(),
            next_root: None,
            offices: vec![Office {
                id: office.into(),
                names: Names {
                    kk: "А".into(),
                    ru: "А".into(),
                    en: "A".into(),
                },
                region: None,
                credential_types: vec!["VolunteerHoursCredential".into()],
                keys: vec![OfficeKey {
                    kid: format!("{office}#k1"),
                    jwk: SigningKey::from_seed(&[2; 32]).public().to_jwk(),
                    valid_from: UnixTime(now - 86_400),
                    valid_until: None,
                    state: KeyState::Active,
                }],
                status_lists: (0..urls)
                    .map(|i| format!("http://127.0.0.1:{port}/big/{i}"))
                    .collect(),
            }],
        },
    )
}

fn big_hits(hits: &Mutex<HashMap<String, usize>>) -> usize {
    hits.lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with("/big/"))
        .map(|(_, n)| n)
        .sum()
}

#[test]
fn r5_trust_sync_fetches_nothing_an_unverified_trust_list_names() {
    let root = SigningKey::from_seed(&[1; 32]);
    let stranger = SigningKey::from_seed(&[66; 32]);
    let list = Arc::new(Mutex::new(String::new()));
    let (port, hits) = serve(list.clone(), 1024 * 1024);
    *list.lock().unwrap() = list_naming(&stranger, port, 20);
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("trust");
    let out = Command::new(env!("CARGO_BIN_EXE_vpass"))
        .args(["trust", "sync", "--from"])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--root-key")
        .arg(root.public().did_key())
        .arg("--trust-store")
        .arg(&store)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TRUSTLIST_INVALID"), "{stderr}");
    assert_eq!(big_hits(&hits), 0, "{:?}", hits.lock().unwrap());
    assert!(!store.join("root-key").exists());

    // The same list signed by the pinned root: its status lists are fetched (and refused,
    // being no status lists), each once.
    *list.lock().unwrap() = list_naming(&root, port, 3);
    let out = Command::new(env!("CARGO_BIN_EXE_vpass"))
        .args(["trust", "sync", "--from"])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--root-key")
        .arg(root.public().did_key())
        .arg("--trust-store")
        .arg(&store)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(big_hits(&hits), 3, "{:?}", hits.lock().unwrap());
    assert!(store.join("root-key").exists());
}
