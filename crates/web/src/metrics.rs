//! Prometheus metrics at `/metrics` (the `metrics` facade and its
//! Prometheus exporter): requests by route and status, their latency as a
//! histogram, logins by outcome, CAS tickets and validations, OpenID
//! Connect token requests, throttle blocks, the process's CPU, memory,
//! threads and file descriptors, and, read at each scrape, the mail queue
//! depth and the in-process store's size. Every metric has a HELP text.
//! The endpoint is served only by the administration listener
//! (`server.admin_listen`), for the monitoring network.

use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// The latency histogram's name.
pub(crate) const REQUEST_DURATION: &str = "sesame_http_request_duration_seconds";

/// Latency buckets, in seconds: a page or a validation is milliseconds, a
/// password login is one argon2 hash (~20 ms to 100 ms), a slow store
/// shows in the seconds.
const BUCKETS: [f64; 14] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0,
];

/// Every metric the process records, with its type and HELP text. A new
/// metric gets its line here (the listeners test checks that each one
/// served has a HELP line, and `promtool check metrics` runs in CI).
const DESCRIPTIONS: [(&str, Kind, &str); 11] = [
    (
        "sesame_http_requests_total",
        Kind::Counter,
        "HTTP responses, by route template, method and status.",
    ),
    (
        REQUEST_DURATION,
        Kind::Histogram,
        "Time from a request's arrival to its response's head, by route template and method.",
    ),
    (
        "sesame_http_connections_refused_total",
        Kind::Counter,
        "Connections closed at once because server.max_connections were open.",
    ),
    (
        "sesame_logins_total",
        Kind::Counter,
        "Password logins, by outcome.",
    ),
    (
        "sesame_password_verifications_total",
        Kind::Counter,
        "Argon2id password verifications run (logins, client secrets, password checks).",
    ),
    (
        "sesame_throttle_blocks_total",
        Kind::Counter,
        "Requests refused by a throttle, by limit.",
    ),
    (
        "sesame_cas_tickets_issued_total",
        Kind::Counter,
        "CAS service and proxy tickets issued.",
    ),
    (
        "sesame_cas_validations_total",
        Kind::Counter,
        "CAS ticket validations, by outcome.",
    ),
    (
        "sesame_oidc_token_requests_total",
        Kind::Counter,
        "OpenID Connect token endpoint requests, by grant and outcome.",
    ),
    (
        "sesame_mail_queue",
        Kind::Gauge,
        "Mails in the outbox, by state, read at each scrape.",
    ),
    (
        "sesame_store_entries",
        Kind::Gauge,
        "Entries in the in-process ephemeral store (against redis.in_process_max_entries).",
    ),
];

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// The process's recorder (one per process, whatever the number of apps).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // A constant, non-empty bucket list: the error cannot happen; fall
        // back to the exporter's summaries rather than fail the server.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.to_owned()), &BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first.
        let _ = metrics::set_global_recorder(recorder);
        for (name, kind, help) in DESCRIPTIONS {
            match kind {
                Kind::Counter => metrics::describe_counter!(name, help),
                Kind::Gauge => metrics::describe_gauge!(name, help),
                Kind::Histogram => {
                    metrics::describe_histogram!(name, metrics::Unit::Seconds, help)
                }
            }
        }
        process().describe();
        handle
    })
}

/// The process metrics' collector (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, …, as the Prometheus clients name them).
fn process() -> &'static metrics_process::Collector {
    static COLLECTOR: OnceLock<metrics_process::Collector> = OnceLock::new();
    COLLECTOR.get_or_init(metrics_process::Collector::default)
}

/// Installs the recorder (at router construction, before any metric).
pub(crate) fn install() {
    let _ = handle();
}

/// Records one answered request: its count by route, method and status,
/// and its latency by route and method. `route` is the route template
/// (`/cas/p3/serviceValidate`, `/oidc/authorize`), never the path as sent:
/// the label set stays bounded whatever clients send.
pub(crate) fn record_request(route: &str, method: &str, status: u16, seconds: f64) {
    metrics::counter!(
        "sesame_http_requests_total",
        "route" => route.to_owned(),
        "method" => method.to_owned(),
        "status" => status.to_string(),
    )
    .increment(1);
    metrics::histogram!(
        REQUEST_DURATION,
        "route" => route.to_owned(),
        "method" => method.to_owned(),
    )
    .record(seconds);
}

/// `GET /metrics`: the Prometheus text format.
pub(crate) async fn render(State(app): State<AppState>) -> Response {
    match sesame_service::mailer::queue_depth(&app).await {
        Ok(depth) => {
            for (state, n) in depth {
                metrics::gauge!("sesame_mail_queue", "state" => state).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the mail queue could not be read"),
    }
    // The in-process store's size (against `redis.in_process_max_entries`);
    // Redis has its own monitoring, and counting its keys is a full SCAN.
    if app.store.is_in_process()
        && let Ok(n) = app.store.entry_count().await
    {
        metrics::gauge!("sesame_store_entries").set(n as f64);
    }
    process().collect();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
        .into_response()
}
