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

/// Adds the security headers to every response.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(
        h,
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=63072000; includeSubDomains",
    );
    set(h, header::CACHE_CONTROL, "no-store");
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    );
    res
}
