//! Security headers on every response (SPEC §5, SECURITY.md SES-*).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

/// Security: a strict policy by default; pages need nothing from elsewhere.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of a page whose form may end, through redirects, at other
/// origins (a registered service, a client's redirect URI, an upstream
/// provider): browsers apply `form-action` to the redirects that follow a
/// submission, so those origins, and only those, are allowed.
pub(crate) fn csp_with_form_targets(origins: &[String]) -> String {
    let mut targets = vec!["'self'".to_owned()];
    for o in origins {
        // An origin is scheme://host[:port]: nothing that could end the
        // directive.
        if !o.is_empty() && !o.contains([';', ' ', ',', '\'', '"']) && !targets.contains(o) {
            targets.push(o.clone());
        }
    }
    CSP.replace(
        "form-action 'self'",
        &format!("form-action {}", targets.join(" ")),
    )
}

/// The headers every response carries unless it set its own, built once
/// (`HeaderValue::from_static` checks every byte when it runs: the policy
/// alone is 170 of them at each request).
static SECURITY_HEADERS: [(header::HeaderName, HeaderValue); 8] = [
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    ),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ),
    (
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
    ),
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    (
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    ),
];

/// Adds the security headers a response did not set itself.
pub(crate) fn add_security_headers(h: &mut axum::http::HeaderMap) {
    for (name, value) in &SECURITY_HEADERS {
        h.entry(name).or_insert_with(|| value.clone());
    }
}

/// The security headers as a layer (the administration router; the
/// public one adds them in [`crate::access::log`]).
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    add_security_headers(res.headers_mut());
    res
}
