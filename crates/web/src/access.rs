//! One access-log line per request, and the request id that ties every log
//! line of a request together.
//!
//! - `x-request-id`: a proxy's id is kept when it is a plain token (at most
//!   64 letters, digits, `-`, `_`, `.`); anything else is replaced by a new
//!   random id, so that a client cannot write into the logs. The id is sent
//!   back on the response and is a field of the request's span, so every
//!   line logged while the request runs carries it.
//! - The access line (target `sesame::access`, level INFO): method, route
//!   template, status, duration in milliseconds, request id. Never the
//!   path as sent nor its query string: a ticket, a code or a mailed link's
//!   secret would land in the logs (REST-03).

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// The header, as proxies and log collectors spell it.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The route label of a request that matched no route (a 404): the label
/// set must stay bounded whatever paths clients send.
pub const UNMATCHED: &str = "unmatched";

/// Where the router writes the route template a request matched, for the
/// access log around it (request extensions cross every layer; a response
/// may be rebuilt by the error pages on its way out).
#[derive(Clone, Debug, Default)]
struct Route(Arc<OnceLock<String>>);

/// Whether a request id sent by a client or a proxy may be kept.
fn acceptable(id: &HeaderValue) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A new request id: 128 random bits, hex.
fn new_id() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes: [u8; 16] = rand::random();
    let mut hex = [0u8; 32];
    for (pair, b) in hex.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 0xf)];
    }
    HeaderValue::from_bytes(&hex).unwrap_or(HeaderValue::from_static("-"))
}

/// Route layer: notes the matched route template for the access log.
pub async fn remember_route(req: Request, next: Next) -> Response {
    if let (Some(path), Some(slot)) = (
        req.extensions().get::<MatchedPath>(),
        req.extensions().get::<Route>(),
    ) {
        let _ = slot.0.set(path.as_str().to_owned());
    }
    next.run(req).await
}

/// The outermost layer of every request: its id (a proxy's plain one
/// kept, anything else replaced by a new one; set on the request for the
/// layers and handlers inside, and on the response), the security
/// headers, the access line and the request's metrics. One layer rather
/// than five (issue 21: each layer boxes and moves the request's future).
pub async fn log(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = match req.headers().get(&X_REQUEST_ID) {
        Some(v) if acceptable(v) => v.clone(),
        _ => {
            let v = new_id();
            req.headers_mut().insert(X_REQUEST_ID.clone(), v.clone());
            v
        }
    };
    let slot = Route::default();
    req.extensions_mut().insert(slot.clone());
    let method = req.method().clone();
    let mut r = next.run(req).await;
    crate::headers::add_security_headers(r.headers_mut());
    let elapsed = started.elapsed();
    let route = slot.0.get().map_or(UNMATCHED, String::as_str);
    let status = r.status().as_u16();
    let duration_ms = elapsed.as_secs_f64() * 1000.0;
    let shown = id.to_str().unwrap_or("-");
    // Probes come every few seconds from each load balancer and
    // orchestrator: their lines are DEBUG, not to drown the others.
    if matches!(route, "/healthz" | "/readyz") {
        tracing::debug!(target: "sesame::access", method = %method, route = %route, status, duration_ms, request_id = %shown, "request");
    } else {
        tracing::info!(target: "sesame::access", method = %method, route = %route, status, duration_ms, request_id = %shown, "request");
    }
    crate::metrics::record_request(route, method.as_str(), status, elapsed.as_secs_f64());
    r.headers_mut().entry(&X_REQUEST_ID).or_insert(id);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_request_ids_are_kept() {
        for (id, kept) in [
            ("3f2a9c", true),
            ("req-42_a.b", true),
            (&"a".repeat(64), true),
            (&"a".repeat(65), false),
            ("", false),
            ("a b", false),
            ("a\"b", false),
            ("é", false),
            ("id=1;drop", false),
        ] {
            let v = HeaderValue::from_bytes(id.as_bytes()).expect("header");
            assert_eq!(acceptable(&v), kept, "{id:?}");
        }
    }
}
