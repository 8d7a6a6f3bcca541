//! CAS single logout (CAS 3.0 §2.3.3): the SAML `LogoutRequest` each
//! service that received a ticket in an ended session is sent (form
//! parameter `logoutRequest`), by [`crate::slo`].

use crate::app::App;
use crate::slo::notice::Notice;
use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

/// Seconds one logout request may take.
pub const TIMEOUT_SECS: u64 = 5;

/// The SAML 2.0 `LogoutRequest` for a ticket.
pub fn logout_request(ticket: &str, now: time::OffsetDateTime) -> String {
    let id = format!("LR-{}", crate::session::new_token());
    let instant = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut w = Writer::new(Vec::new());
    let mut root = BytesStart::new("samlp:LogoutRequest");
    root.push_attribute(("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol"));
    root.push_attribute(("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion"));
    root.push_attribute(("ID", id.as_str()));
    root.push_attribute(("Version", "2.0"));
    root.push_attribute(("IssueInstant", instant.as_str()));
    let _ = w.write_event(Event::Start(root));
    for (name, text) in [
        ("saml:NameID", "@NOT_USED@"),
        ("samlp:SessionIndex", ticket),
    ] {
        let _ = w.write_event(Event::Start(BytesStart::new(name)));
        let _ = w.write_event(Event::Text(BytesText::new(text)));
        let _ = w.write_event(Event::End(BytesEnd::new(name)));
    }
    let _ = w.write_event(Event::End(BytesEnd::new("samlp:LogoutRequest")));
    String::from_utf8(w.into_inner()).unwrap_or_default()
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
