//! How `vpass` talks to an issuer service: the one home of the client's transport rules.
//!
//! - `https://` is verified by rustls (with the *ring* provider) against the system's root
//!   certificates (`rustls-native-certs`: on Linux the OpenSSL CA bundle, or `SSL_CERT_FILE` /
//!   `SSL_CERT_DIR`) plus the CA certificates in `--ca-cert FILE` / `VPASS_CA_CERT`, for an
//!   office whose service has a certificate from a private CA.
//! - An API token is a bearer secret: whoever reads it acts as that operator until it is
//!   revoked. So a token is sent only over `https://`, or over plain `http://` to this machine
//!   (127.0.0.0/8, `::1`, `localhost`: a service or a TLS-terminating proxy on the same host,
//!   and the tests). Any other `http://` server is refused, naming the `https://` URL to use,
//!   before a connection is opened ([`ServiceUrl::check_token_transport`], called by
//!   [`TokenClient::new`]).
//! - A token sent over plain `http://` bypasses the HTTP proxies of the environment
//!   (`HTTP_PROXY`, `ALL_PROXY`), which would carry it off the machine in clear; a token client
//!   follows no redirect (the service answers none, and a redirect would resend the body).
//! - Public reads (`vpass trust sync`) carry no token and may use either scheme: what they
//!   fetch is signed, so plain `http://` keeps its integrity.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use ureq::http::Uri;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use crate::issue::ApiToken;

/// `--ca-cert`: CA certificates trusted for `https://` besides the system's roots.
#[derive(Debug, Clone, Args)]
pub struct TlsArgs {
    /// Also trust the CA certificates in this PEM file for https:// servers (besides the
    /// system's root certificates), e.g. an office's private CA.
    #[arg(long, env = "VPASS_CA_CERT", value_name = "FILE")]
    ca_cert: Option<PathBuf>,
}

/// Largest `--ca-cert` file read.
const MAX_CA_FILE: usize = 1024 * 1024;

/// How long one call to the service may take in all (connect, send, answer).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The scheme of a service URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

/// A URL refused before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not an absolute `http://` or `https://` URL with a host.
    #[error("{url}: not an http:// or https:// URL with a host")]
    NotHttp {
        /// The URL as given.
        url: String,
    },
    /// A token would travel in clear to another machine.
    #[error(
        "{url}: an API token is sent only over https:// (plain http:// only to this machine: \
         127.0.0.1, ::1 or localhost); use {https}"
    )]
    TokenOverPlainHttp {
        /// The URL as given.
        url: String,
        /// The same URL with `https://`.
        https: String,
    },
}

/// An absolute `http://` or `https://` URL, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrl {
    scheme: Scheme,
    /// The host as ureq connects to it (IPv6 without brackets).
    host: String,
    /// The URL without a trailing `/`.
    text: String,
}

impl ServiceUrl {
    /// Parse `url`: the scheme must be `http` or `https` (any case) and there must be a host.
    pub fn parse(url: &str) -> Result<ServiceUrl, UrlError> {
        let not_http = || UrlError::NotHttp { url: url.into() };
        let uri: Uri = url.parse().map_err(|_| not_http())?;
        let scheme = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            _ => return Err(not_http()),
        };
        let host = uri.host().ok_or_else(not_http)?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() {
            return Err(not_http());
        }
        Ok(ServiceUrl {
            scheme,
            host: host.to_owned(),
            text: url.trim_end_matches('/').to_owned(),
        })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The URL without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the host is this machine: 127.0.0.0/8, `::1` (also as `::ffff:127.x.y.z`) or
    /// `localhost`. Only literal addresses and that one name count: any other name may resolve
    /// anywhere.
    pub fn is_loopback(&self) -> bool {
        let host = self.host.strip_suffix('.').unwrap_or(&self.host);
        if host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        match host.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) => ip.is_loopback(),
            Ok(IpAddr::V6(ip)) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
            Err(_) => false,
        }
    }

    /// The rule for an API token: `https://`, or `http://` to this machine only.
    pub fn check_token_transport(&self) -> Result<(), UrlError> {
        if self.scheme == Scheme::Https || self.is_loopback() {
            return Ok(());
        }
        // `parse` accepted the scheme case-insensitively: "http" is the first 4 bytes.
        let rest = self.text.get(4..).unwrap_or_default();
        Err(UrlError::TokenOverPlainHttp {
            url: self.text.clone(),
            https: format!("https{rest}"),
        })
    }
}

impl TlsArgs {
    /// The certificates of `--ca-cert`, none without it; a file without any is an error.
    fn extra_roots(&self) -> anyhow::Result<Vec<Certificate<'static>>> {
        let Some(path) = &self.ca_cert else {
            return Ok(Vec::new());
        };
        let pem = crate::read_input(path, MAX_CA_FILE).context("--ca-cert")?;
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(pem.as_bytes()) {
            let item = item.with_context(|| format!("--ca-cert {}: bad PEM", path.display()))?;
            if let PemItem::Certificate(cert) = item {
                certs.push(cert);
            }
        }
        if certs.is_empty() {
            bail!(
                "--ca-cert {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
                path.display()
            );
        }
        Ok(certs)
    }

    /// The rustls configuration: system roots plus `--ca-cert`.
    fn tls_config(&self) -> anyhow::Result<TlsConfig> {
        let extra = self.extra_roots()?;
        let system = rustls_native_certs::load_native_certs();
        if system.certs.is_empty() && extra.is_empty() {
            eprintln!(
                "vpass: warning: no system root certificates found ({} errors); https:// \
                 servers can only be trusted through --ca-cert",
                system.errors.len()
            );
        }
        let roots: Vec<Certificate<'static>> = system
            .certs
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .chain(extra)
            .collect();
        Ok(TlsConfig::builder()
            .root_certs(RootCerts::new_with_certs(&roots))
            .unversioned_rustls_crypto_provider(Arc::new(crypto_provider()))
            .build())
    }

    /// Explain a failed call: a refused server certificate gets a sentence saying what to do.
    fn explain(&self, error: ureq::Error) -> anyhow::Error {
        let Some(cert) = certificate_error(&error) else {
            return error.into();
        };
        let trusted = match &self.ca_cert {
            Some(path) => format!("the system's root certificates and {}", path.display()),
            None => "the system's root certificates".into(),
        };
        use rustls::CertificateError as E;
        let hint = match cert {
            E::UnknownIssuer => {
                "the server's certificate is signed by an unknown issuer; give the CA \
                 certificate that signed it with --ca-cert FILE (or VPASS_CA_CERT)"
            }
            E::NotValidForName | E::NotValidForNameContext { .. } => {
                "the server's certificate does not name this host"
            }
            E::Expired | E::ExpiredContext { .. } => "the server's certificate has expired",
            _ => "the server's certificate was refused",
        };
        anyhow::Error::new(error).context(format!(
            "TLS: {hint} (checked against {trusted}); nothing was sent"
        ))
    }
}

/// rustls with *ring*: a small C and assembly build, where aws-lc-rs adds a large C library.
/// rustls 0.23.48 deprecates it for lacking post-quantum key exchange (X25519MLKEM768); the
/// handshake then uses X25519, as most TLS proxies still offer.
#[allow(deprecated)]
fn crypto_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The certificate error inside a ureq error, if the TLS handshake refused the server.
fn certificate_error(error: &ureq::Error) -> Option<&rustls::CertificateError> {
    let rustls_error = match error {
        ureq::Error::Rustls(e) => Some(e),
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        _ => None,
    }?;
    match rustls_error {
        rustls::Error::InvalidCertificate(cert) => Some(cert),
        _ => None,
    }
}

/// A client for public reads (no token): `http://` or `https://`, redirects followed, any
/// status returned as an answer.
pub struct PublicClient {
    agent: ureq::Agent,
    tls: TlsArgs,
}

impl PublicClient {
    /// An agent whose calls time out after `timeout` each.
    pub fn new(tls: &TlsArgs, timeout: Duration) -> anyhow::Result<PublicClient> {
        Ok(PublicClient {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(timeout))
                .tls_config(tls.tls_config()?)
                .build()
                .into(),
            tls: tls.clone(),
        })
    }

    /// GET `url` (an `http://` or `https://` URL).
    pub fn get(&self, url: &str) -> anyhow::Result<ureq::http::Response<ureq::Body>> {
        ServiceUrl::parse(url)?;
        self.agent
            .get(url)
            .call()
            .map_err(|e| self.tls.explain(e))
            .with_context(|| format!("fetching {url}"))
    }
}

/// The answer of the service: status and body text.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body (at most [`MAX_ANSWER`] bytes).
    pub body: String,
}

/// Largest answer read from the service.
const MAX_ANSWER: u64 = 16 * 1024 * 1024;

/// A client of one issuer service that sends an API token: built only when the transport rule
/// holds.
pub struct TokenClient {
    agent: ureq::Agent,
    base: ServiceUrl,
    tls: TlsArgs,
    authorization: String,
}

impl TokenClient {
    /// Check `server` against the token rule, then read the token and build the agent.
    pub fn new(server: &str, tls: &TlsArgs, token: &ApiToken) -> anyhow::Result<TokenClient> {
        let base = ServiceUrl::parse(server).context("--server")?;
        base.check_token_transport().context("--server")?;
        let token = token.resolve()?;
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(CALL_TIMEOUT))
            .max_redirects(0);
        config = match base.scheme() {
            Scheme::Https => config.tls_config(tls.tls_config()?),
            // Loopback only (checked above): never through a proxy, which would be elsewhere.
            Scheme::Http => config.proxy(None),
        };
        Ok(TokenClient {
            agent: config.build().into(),
            base,
            tls: tls.clone(),
            authorization: format!("Bearer {token}"),
        })
    }

    /// The service's URL as given.
    pub fn server(&self) -> &str {
        self.base.as_str()
    }

    /// POST `body` with a content type and an idempotency key to the service's `path`.
    pub fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        content_type: &str,
        body: &str,
    ) -> anyhow::Result<Reply> {
        let url = format!("{}{path}", self.base.as_str());
        let mut resp = self
            .agent
            .post(&url)
            .header("Authorization", &self.authorization)
            .header("Idempotency-Key", idempotency_key)
            .header("Content-Type", content_type)
            .send(body)
            .map_err(|e| self.tls.explain(e))
            .with_context(|| format!("calling {url}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .with_context(|| format!("reading the answer of {url}"))?;
        Ok(Reply { status, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_rule(url: &str) -> Result<(), UrlError> {
        ServiceUrl::parse(url)?.check_token_transport()
    }

    #[test]
    fn a_token_goes_over_https_to_any_host() {
        for url in [
            "https://vpass.example.kz",
            "https://10.1.2.3:8443/",
            "HTTPS://[2001:db8::1]:8443",
        ] {
            assert_eq!(token_rule(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn a_token_goes_over_plain_http_to_loopback_only() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.9.8.7",
            "http://[::1]:8080/",
            "http://[::ffff:127.0.0.1]:8080",
            "http://localhost:8080",
            "HTTP://LocalHost.:8080",
        ] {
            assert_eq!(token_rule(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn reject_token_over_plain_http_to_another_host() {
        assert_eq!(
            token_rule("http://10.1.2.3:8080/"),
            Err(UrlError::TokenOverPlainHttp {
                url: "http://10.1.2.3:8080".into(),
                https: "https://10.1.2.3:8080".into(),
            })
        );
        for url in [
            "http://vpass.example.kz",
            "http://192.168.1.10:8080",
            "http://[2001:db8::1]:8080",
            "http://[::]:8080",
            "http://0.0.0.0:8080",
            // Other spellings of 127.0.0.1 that resolvers accept are not trusted as loopback.
            "http://2130706433:8080",
            "http://127.1:8080",
            "http://localhost.example.kz",
            "http://127.0.0.1.example.kz",
            "http://user@10.1.2.3",
        ] {
            let err = token_rule(url).unwrap_err();
            assert!(
                matches!(err, UrlError::TokenOverPlainHttp { .. }),
                "{url}: {err}"
            );
            assert!(err.to_string().contains("use https://"), "{url}: {err}");
        }
    }

    #[test]
    fn reject_urls_that_are_not_http() {
        for url in [
            "ftp://127.0.0.1",
            "127.0.0.1:8080",
            "/api/v1",
            "",
            "http://",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(ServiceUrl::parse(url), Err(UrlError::NotHttp { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn a_token_client_for_a_remote_http_server_is_never_built() {
        // The rule is checked before the token is read or an agent exists: no token at all
        // is needed to be refused.
        let tls = TlsArgs { ca_cert: None };
        let err = TokenClient::new("http://10.1.2.3:8080", &tls, &ApiToken::for_tests(None))
            .err()
            .expect("refused");
        assert!(
            format!("{err:#}").contains("use https://10.1.2.3:8080"),
            "{err:#}"
        );
        let token = ApiToken::for_tests(Some("secret"));
        assert!(TokenClient::new("http://10.1.2.3:8080", &tls, &token).is_err());
        assert!(TokenClient::new("http://127.0.0.1:1", &tls, &token).is_ok());
    }
}
