//! Sésame's HTTP edge: the router, security headers, health endpoints and
//! error pages. The only crate that knows HTTP.
//!
//! Architecture invariant: handlers are thin (extract, call one service
//! function, render); no SQL, no business rule here.

mod access;
mod account;
mod cas;
mod client_ip;
mod cookies;
mod csrf;
mod demo;
mod error;
mod flash;
mod headers;
mod health;
mod i18n;
mod links;
mod login;
mod metrics;
mod notices;
mod oidc;
mod onward;
mod pages;
mod report;
mod resume;
mod signup;
mod sms;
mod trace;
mod upstream;

pub use error::WebError;

use axum::Router;
use sesame_service::App;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The state every handler receives: the application, shared.
#[derive(Clone, Debug)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// Largest request body accepted (forms are small; SES-10).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Builds the public router (everything a browser or a télé-service
/// reaches). `/metrics` is not in it: see [`admin_router`].
pub fn router(app: Arc<App>) -> Router {
    let state = AppState(app);
    metrics::install();
    Router::new()
        .merge(health::routes())
        .merge(pages::routes())
        .merge(login::routes())
        .merge(signup::routes())
        .merge(sms::routes())
        .merge(links::routes())
        .merge(account::routes())
        .merge(report::routes())
        .merge(cas::routes())
        .merge(demo::routes())
        .merge(oidc::routes(state.clone()))
        .merge(upstream::routes())
        .merge(notices::routes())
        .merge(i18n::routes())
        .route_layer(axum::middleware::from_fn(access::remember_route))
        .fallback(error::not_found)
        .with_state(state.clone())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(state, i18n::negotiate))
        .layer(TraceLayer::new_for_http().make_span_with(trace::RedactedSpan))
        // The request id, the security headers, the access line.
        .layer(axum::middleware::from_fn(access::log))
}

/// Builds the administration router, for `server.admin_listen` (the
/// monitoring network): `/metrics`, `/healthz` and `/readyz`.
// Security: the metrics (counts of logins, blocks, mails) stay off the
// public listener (REST-07); anything else here answers 404.
pub fn admin_router(app: Arc<App>) -> Router {
    let state = AppState(app);
    metrics::install();
    Router::new()
        .route("/metrics", axum::routing::get(metrics::render))
        .merge(health::routes())
        .fallback(error::not_found)
        .with_state(state.clone())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state,
            error::render_errors,
        ))
        .layer(axum::middleware::from_fn(headers::security_headers))
}
