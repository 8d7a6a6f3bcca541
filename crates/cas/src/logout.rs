//! CAS single logout (CAS 3.0 §2.3.3): the SAML 2.0 `LogoutRequest` each
//! service that received a ticket in an ended session is sent (form
//! parameter `logoutRequest`).

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

/// The SAML 2.0 `LogoutRequest` for `ticket`, with identifier `id` (drawn
/// by the caller) and `IssueInstant` `now`.
pub fn logout_request(ticket: &str, id: &str, now: time::OffsetDateTime) -> String {
    let instant = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut w = Writer::new(Vec::new());
    let mut root = BytesStart::new("samlp:LogoutRequest");
    root.push_attribute(("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol"));
    root.push_attribute(("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion"));
    root.push_attribute(("ID", id));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logout_request_names_the_ticket_as_its_session_index() {
        let now = time::macros::datetime!(2025-11-29 10:00 UTC);
        assert_eq!(
            logout_request("ST-abc", "LR-1", now),
            "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
             xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"LR-1\" Version=\"2.0\" \
             IssueInstant=\"2025-11-29T10:00:00Z\"><saml:NameID>@NOT_USED@</saml:NameID>\
             <samlp:SessionIndex>ST-abc</samlp:SessionIndex></samlp:LogoutRequest>"
        );
    }
}
