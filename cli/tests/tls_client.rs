#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `vpass` as the client of an office's service over https:// (issue 9 #7): a throwaway CA and
//! server certificate made here, a TLS-terminating proxy in this process in front of a real
//! `vpass serve`; and the refusal to send an API token over plain http:// to another machine,
//! checked without sending anything anywhere.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Run `vpass` in `dir` with none of the client's settings from the environment but `env`.
fn vpass(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vpass"));
    for var in [
        "VPASS_SERVER",
        "VPASS_TOKEN",
        "VPASS_TOKEN_FILE",
        "VPASS_CA_CERT",
        "VPASS_TRUST_FROM",
    ] {
        cmd.env_remove(var);
    }
    cmd.args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A running `vpass serve` on plain http://127.0.0.1, killed when dropped.
struct Serve {
    child: Child,
    port: u16,
    data: PathBuf,
    token: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_serve(dir: &Path) -> Serve {
    let port = free_port();
    let data = dir.join("data");
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_vpass"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&data)
        .env_remove("VPASS_KEK")
        .env_remove("VPASS_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut serve = Serve {
        child,
        port,
        data,
        token: String::new(),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .build()
        .into();
    // Readiness: a bounded number of polls of /healthz.
    let mut ready = false;
    for _ in 0..600 {
        if let Ok(Some(status)) = serve.child.try_wait() {
            panic!("vpass serve exited early ({status})");
        }
        if agent
            .get(&format!("http://127.0.0.1:{port}/healthz"))
            .call()
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default();
    assert!(ready, "vpass serve did not become ready:\n{log}");
    serve.token = std::fs::read_to_string(serve.data.join("initial-admin-token"))
        .unwrap()
        .trim()
        .to_owned();
    serve
}

/// A throwaway CA (its certificate as PEM) and a certificate it signed for 127.0.0.1 and
/// localhost (DER, with its PKCS#8 key).
struct Pki {
    ca_pem: String,
    server_cert: CertificateDer<'static>,
    server_key: Vec<u8>,
}

fn throwaway_pki() -> Pki {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "vpass test CA");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let server_params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();
    Pki {
        ca_pem: ca.pem(),
        server_cert: server_cert.der().clone(),
        server_key: server_key.serialize_der(),
    }
}

/// A TLS-terminating proxy on 127.0.0.1 in front of `backend`: it counts the handshakes that
/// completed (only after one can a request be read) and those the client broke off.
struct TlsProxy {
    port: u16,
    handshakes: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

fn tls_proxy(pki: &Pki, backend: u16) -> TlsProxy {
    #[allow(deprecated)] // the client's provider (src/client.rs)
    let provider = rustls::crypto::ring::default_provider();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.server_cert.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (ok, broken) = (handshakes.clone(), refused.clone());
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, ok, broken) = (acceptor.clone(), ok.clone(), broken.clone());
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(mut tls) => {
                        ok.fetch_add(1, Ordering::SeqCst);
                        if let Ok(mut plain) =
                            tokio::net::TcpStream::connect(("127.0.0.1", backend)).await
                        {
                            let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                        }
                    }
                    Err(_) => {
                        broken.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    TlsProxy {
        port,
        handshakes,
        refused,
        _runtime: runtime,
    }
}

/// The example hours credential without the IIN (not linked to a volunteer, so the same event
/// may be issued more than once).
fn claims_file(dir: &Path) -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hours.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example).unwrap()).unwrap();
    v["credentialSubject"]
        .as_object_mut()
        .unwrap()
        .remove("iin");
    let path = dir.join("hours.json");
    std::fs::write(&path, v.to_string()).unwrap();
    path
}

#[test]
fn https_with_ca_cert_issues_revokes_and_syncs_and_an_unknown_issuer_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let serve = start_serve(dir);
    let pki = throwaway_pki();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let ca = ca.to_str().unwrap();
    let proxy = tls_proxy(&pki, serve.port);
    let https = format!("https://127.0.0.1:{}", proxy.port);
    let claims = claims_file(dir);
    let claims = claims.to_str().unwrap();
    let token = [("VPASS_TOKEN", serve.token.as_str())];

    // Without --ca-cert the throwaway CA is unknown: the handshake is broken off, so the token
    // and the claims were never sent.
    let out = vpass(
        dir,
        &["issue", "--server", &https, "--claims", claims, "--json"],
        &token,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("unknown issuer"), "{err}");
    assert!(err.contains("--ca-cert FILE"), "{err}");
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(proxy.handshakes.load(Ordering::SeqCst), 0);
    // The proxy did see the attempt (bounded wait for its task to count it).
    for _ in 0..500 {
        if proxy.refused.load(Ordering::SeqCst) > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(proxy.refused.load(Ordering::SeqCst), 1);

    // With --ca-cert: issued through the TLS proxy.
    let out = vpass(
        dir,
        &[
            "issue",
            "--server",
            &https,
            "--ca-cert",
            ca,
            "--claims",
            claims,
            "--json",
        ],
        &token,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = answer["id"].as_str().unwrap();
    assert!(answer["credential"].as_str().unwrap().contains('~'));
    assert_eq!(proxy.handshakes.load(Ordering::SeqCst), 1);

    // VPASS_CA_CERT does the same, and the certificate's DNS name works as well.
    let localhost = format!("https://localhost:{}", proxy.port);
    let out = vpass(
        dir,
        &[
            "revoke",
            id,
            "--reason",
            "issued in error",
            "--server",
            &localhost,
        ],
        &[("VPASS_TOKEN", &serve.token), ("VPASS_CA_CERT", ca)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), id);

    // issue-batch too.
    let csv = dir.join("event.csv");
    std::fs::write(
        &csv,
        "name,hours,activity,organization,periodStart,periodEnd,validFrom,validUntil\n\
         Volunteer 1,4,Clean-up,AVC,2026-05-30,2026-05-31,2026-06-01T00:00:00Z,\
         2031-06-01T00:00:00Z\n",
    )
    .unwrap();
    let out = vpass(
        dir,
        &[
            "issue-batch",
            "--csv",
            csv.to_str().unwrap(),
            "--server",
            &https,
            "--ca-cert",
            ca,
        ],
        &token,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);

    // `vpass trust sync` reads over https:// with the same flag.
    let root = vpass(
        dir,
        &[
            "admin",
            "root-key",
            "--data-dir",
            serve.data.to_str().unwrap(),
        ],
        &[],
    );
    assert!(root.status.success(), "{}", stderr(&root));
    let root = String::from_utf8_lossy(&root.stdout).trim().to_owned();
    let store = dir.join("trust");
    let sync = |extra: &[&str]| {
        let mut args = vec![
            "trust",
            "sync",
            "--from",
            &https,
            "--root-key",
            &root,
            "--trust-store",
            store.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        vpass(dir, &args, &[])
    };
    let out = sync(&[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unknown issuer"), "{}", stderr(&out));
    let out = sync(&["--ca-cert", ca]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("status lists in"), "{}", stderr(&out));

    // Plain http:// to 127.0.0.1 keeps working with a token.
    let plain = format!("http://127.0.0.1:{}", serve.port);
    let out = vpass(
        dir,
        &["issue", "--server", &plain, "--claims", claims],
        &token,
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // A --ca-cert file without a certificate is refused before anything is sent.
    let before = proxy.handshakes.load(Ordering::SeqCst);
    let out = vpass(
        dir,
        &[
            "issue",
            "--server",
            &https,
            "--ca-cert",
            claims,
            "--claims",
            claims,
        ],
        &token,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no PEM certificate"),
        "{}",
        stderr(&out)
    );
    assert_eq!(proxy.handshakes.load(Ordering::SeqCst), before);
}

#[test]
fn reject_token_over_plain_http_to_another_host_before_connecting() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let claims = claims_file(dir);
    let claims = claims.to_str().unwrap();
    let csv = dir.join("event.csv");
    std::fs::write(&csv, "given_name\nA\n").unwrap();
    // These hosts are not loopback by the rule (only 127.0.0.0/8 and ::1 as literal addresses,
    // and `localhost`, count), yet the system resolver takes them for 127.0.0.1: a build that
    // connected anyway would reach this listener on this machine and nothing elsewhere.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for host in ["127.1", "2130706433"] {
        let server = format!("http://{host}:{port}");
        let https = format!("use https://{host}:{port}");
        let revoke_id = "00000000-0000-4000-8000-000000000000";
        let csv = csv.to_str().unwrap();
        let commands: [&[&str]; 3] = [
            &[
                "issue", "--server", &server, "--token", "T", "--claims", claims,
            ],
            &[
                "issue-batch",
                "--server",
                &server,
                "--token",
                "T",
                "--csv",
                csv,
            ],
            &[
                "revoke", revoke_id, "--reason", "r", "--server", &server, "--token", "T",
            ],
        ];
        for args in commands {
            let out = vpass(dir, args, &[]);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            assert!(stderr(&out).contains(&https), "{args:?}: {}", stderr(&out));
        }
    }
    // Nothing ever connected: the kernel would have queued any connection for accept.
    listener.set_nonblocking(true).unwrap();
    let pending = listener.accept();
    assert!(
        matches!(&pending, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "{pending:?}"
    );
}
