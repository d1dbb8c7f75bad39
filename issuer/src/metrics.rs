//! Prometheus metrics of one `vpass serve` instance ([`Metrics`]), rendered in the Prometheus
//! text exposition format (version 0.0.4) by the `prometheus-client` crate.
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `vpass_credentials_issued_total` | `office`, `type` | credentials issued (single, batch rows, passports); replays not counted |
//! | `vpass_credentials_revoked_total` | `office`, `type` | credentials revoked; replays not counted |
//! | `vpass_http_requests_total` | `method`, `route`, `status` | answered requests |
//! | `vpass_http_request_duration_seconds` | `method`, `route` | latency histogram |
//! | `vpass_db_pool_connections` | `pool`, `state` (`in_use`, `idle`) | database connections now |
//! | `vpass_db_pool_max_connections` | `pool` | the pool's ceiling |
//!
//! Counters are per instance (Prometheus sums over instances behind a load balancer). Every
//! label value comes from a bounded set: office ids and credential types from the register,
//! `route` is the matched route template (never a path with ids in it) or `unmatched`, and
//! `method` is one of the standard methods or `other`, so a client cannot grow the registry.
//! The pool gauges are read from the store at each scrape.

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::store::PoolUse;

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The `route` label of requests that matched no route (404 of the fallback).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Upper bounds of the latency histogram's buckets, in seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A label set: (name, value) pairs.
type Labels<const N: usize> = [(&'static str, String); N];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The metrics of one service instance (cheap to update from any task).
pub struct Metrics {
    registry: Registry,
    issued: Family<Labels<2>, Counter>,
    revoked: Family<Labels<2>, Counter>,
    requests: Family<Labels<3>, Counter>,
    latency: Family<Labels<2>, Histogram, fn() -> Histogram>,
    pool_connections: Family<Labels<2>, Gauge>,
    pool_max: Family<Labels<1>, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Empty metrics, registered under the `vpass_` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("vpass");
        let issued = Family::default();
        let revoked = Family::default();
        let requests = Family::default();
        let latency: Family<Labels<2>, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let pool_connections = Family::default();
        let pool_max = Family::default();
        registry.register(
            "credentials_issued",
            "Credentials issued, by office and credential type",
            issued.clone(),
        );
        registry.register(
            "credentials_revoked",
            "Credentials revoked, by office and credential type",
            revoked.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency, by method and route template",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections, in use or idle",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Database pool ceiling",
            pool_max.clone(),
        );
        Metrics {
            registry,
            issued,
            revoked,
            requests,
            latency,
            pool_connections,
            pool_max,
        }
    }

    /// `n` credentials of `kind` (its type name) issued by `office`.
    pub fn issued(&self, office: &str, kind: &str, n: u64) {
        if n > 0 {
            self.issued
                .get_or_create(&[("office", office.to_owned()), ("type", kind.to_owned())])
                .inc_by(n);
        }
    }

    /// A credential of `kind` of `office` revoked.
    pub fn revoked(&self, office: &str, kind: &str) {
        self.revoked
            .get_or_create(&[("office", office.to_owned()), ("type", kind.to_owned())])
            .inc();
    }

    /// A request answered: `method` and `route` as [`method_label`] and the matched route
    /// template give them, its status and latency in seconds.
    pub fn request(&self, method: &'static str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&[
                ("method", method.to_owned()),
                ("route", route.to_owned()),
                ("status", status.to_string()),
            ])
            .inc();
        self.latency
            .get_or_create(&[("method", method.to_owned()), ("route", route.to_owned())])
            .observe(seconds);
    }

    /// The text exposition of every metric, the pool gauges set from `pools` first.
    pub fn render(&self, pools: &[PoolUse]) -> Result<String, std::fmt::Error> {
        for p in pools {
            let gauge = |state: &str| {
                self.pool_connections
                    .get_or_create(&[("pool", p.pool.to_owned()), ("state", state.to_owned())])
                    .clone()
            };
            gauge("in_use").set(i64::from(p.in_use));
            gauge("idle").set(i64::from(p.idle));
            self.pool_max
                .get_or_create(&[("pool", p.pool.to_owned())])
                .set(i64::from(p.max));
        }
        let mut out = String::new();
        prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The `method` label: a standard method's name, or `other` (clients may send any token as a
/// method; the label set stays bounded).
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn render_names_labels_and_pool_gauges() {
        let m = Metrics::new();
        m.issued("kz-75", "VolunteerHoursCredential", 3);
        m.revoked("kz-75", "VolunteerHoursCredential");
        m.request("GET", "/api/v1/credentials/{id}", 200, 0.003);
        let text = m
            .render(&[PoolUse {
                pool: "read",
                in_use: 2,
                idle: 5,
                max: 8,
            }])
            .unwrap();
        for line in [
            "vpass_credentials_issued_total{office=\"kz-75\",type=\"VolunteerHoursCredential\"} 3",
            "vpass_credentials_revoked_total{office=\"kz-75\",type=\"VolunteerHoursCredential\"} 1",
            "vpass_http_requests_total{method=\"GET\",route=\"/api/v1/credentials/{id}\",status=\"200\"} 1",
            "vpass_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/credentials/{id}\",le=\"0.005\"} 1",
            "vpass_db_pool_connections{pool=\"read\",state=\"in_use\"} 2",
            "vpass_db_pool_connections{pool=\"read\",state=\"idle\"} 5",
            "vpass_db_pool_max_connections{pool=\"read\"} 8",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label("POST"), "POST");
        assert_eq!(method_label("BREW"), "other");
    }
}
