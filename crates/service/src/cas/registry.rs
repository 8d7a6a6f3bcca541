//! Which registered CAS service a `service` URL belongs to (SECURITY.md
//! CAS-01, CAS-02): the registry of the configuration, matched by
//! [`sesame_cas::service::find`].

use crate::app::App;
use crate::config::{Protocol, ServiceDef};
use sesame_cas::service::{self, Registration};

/// The registered CAS service that `service` belongs to, if any.
pub fn find_service<'a>(app: &'a App, service: &str) -> Option<&'a ServiceDef> {
    let registered = app.config.services.iter().filter_map(|def| {
        let cas = def.cas.as_ref().filter(|_| def.protocol == Protocol::Cas)?;
        Some((
            def,
            Registration {
                urls: &cas.service_urls,
                patterns: cas.compiled_patterns(),
            },
        ))
    });
    service::find(service, app.config.server.allow_insecure_http, registered)
}
