//! Which registered CAS service a `service` URL belongs to (SECURITY.md
//! CAS-01, CAS-02). The URL as received is compared, never a normalised
//! form: `HTTPS://APP.ENT.FR/cas/` is not `https://app.ent.fr/cas/`.

use crate::app::App;
use crate::config::{Protocol, ServiceDef};

/// Longest service URL accepted.
pub const MAX_SERVICE_LEN: usize = 2048;

/// Refuses what no honest CAS client sends: control or non-ASCII
/// characters, backslashes, user info, dot segments (plain or encoded),
/// anything but `https://` (or `http://` on loopback in development).
fn plausible(app: &App, service: &str) -> bool {
    if service.len() > MAX_SERVICE_LEN
        || !service.bytes().all(|b| b.is_ascii_graphic())
        || service.contains('\\')
    {
        return false;
    }
    let insecure_ok = app.config.server.allow_insecure_http;
    let scheme_ok =
        service.starts_with("https://") || (insecure_ok && service.starts_with("http://"));
    if !scheme_ok {
        return false;
    }
    let Ok(url) = url::Url::parse(service) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() || url.host_str().is_none() {
        return false;
    }
    if url.scheme() == "http"
        && !matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
    {
        return false;
    }
    let lower = service.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or_default();
    !(path.contains("/../")
        || path.ends_with("/..")
        || path.contains("/./")
        || path.contains("%2e")
        || path.contains("%2f")
        || path.contains("%5c"))
}

/// The registered CAS service that `service` belongs to, if any.
pub fn find_service<'a>(app: &'a App, service: &str) -> Option<&'a ServiceDef> {
    if !plausible(app, service) {
        return None;
    }
    app.config.services.iter().find(|def| {
        def.protocol == Protocol::Cas
            && def.cas.as_ref().is_some_and(|cas| {
                cas.service_urls.iter().any(|u| u.as_str() == service)
                    || cas.compiled_patterns().iter().any(|p| p.is_match(service))
            })
    })
}
