//! Prometheus metrics at `/metrics` (the `metrics` facade and its
//! Prometheus exporter): requests by status, logins by outcome, CAS
//! tickets and validations, OpenID Connect token requests, throttle blocks,
//! and, read at each scrape, the mail queue depth and the in-process
//! store's size. The endpoint is served only by the administration
//! listener (`server.admin_listen`), for the monitoring network.

use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// The process's recorder (one per process, whatever the number of apps).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Installs the recorder (at router construction, before any metric).
pub(crate) fn install() {
    let _ = handle();
}

/// Counts every response by method class and status.
pub(crate) async fn count_requests(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let r = next.run(req).await;
    let status = r.status().as_u16().to_string();
    metrics::counter!("sesame_http_requests_total", "status" => status).increment(1);
    r
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
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
        .into_response()
}
