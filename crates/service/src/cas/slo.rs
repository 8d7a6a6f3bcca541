//! CAS single logout (CAS 3.0 §2.3.3): the SAML `LogoutRequest` each
//! service that received a ticket in an ended session is sent (form
//! parameter `logoutRequest`), by [`crate::slo`]; written by
//! [`sesame_cas::logout`].

use crate::app::App;
use crate::slo::notice::Notice;

/// Seconds one logout request may take.
pub const TIMEOUT_SECS: u64 = 5;

/// The SAML 2.0 `LogoutRequest` for a ticket, with a fresh identifier.
pub fn logout_request(ticket: &str, now: time::OffsetDateTime) -> String {
    let id = format!("LR-{}", crate::session::new_token());
    sesame_cas::logout::logout_request(ticket, &id, now)
}

/// The single-logout hook of CAS (called by [`crate::slo`]): the
/// `LogoutRequest` for a ticket given to `service_id`, if that service
/// registered a `logout_url`.
pub fn notice(app: &App, service_id: &str, ticket: &str) -> Option<Notice> {
    let url = app
        .config
        .services
        .iter()
        .find(|s| s.id == service_id)
        .and_then(|s| s.cas.as_ref())
        .and_then(|c| c.logout_url.clone())?;
    Some(Notice {
        service: service_id.to_owned(),
        url,
        field: "logoutRequest",
        value: logout_request(ticket, app.clock.now()),
    })
}
