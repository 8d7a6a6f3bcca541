//! The CAS protocol as rules without IO (Apereo "CAS Protocol 3.0
//! Specification", with its CAS 1.0 and 2.0 forms and the SAML 1.1
//! validation of §4.2): the syntax of tickets, which registered service a
//! `service` URL belongs to, the decision of a ticket validation, and the
//! responses written as text, XML, JSON and SAML.
//!
//! Strictness follows Apereo CAS: a service is accepted only when it equals
//! a registered URL or matches a registered anchored pattern; a ticket's
//! syntax is checked before any store lookup; a ticket is spent by any
//! validation attempt (the caller takes it out of the store before asking
//! [`validate::decide`]).
//!
//! Architecture Invariant: this crate does no IO and nothing async; it
//! reads neither the clock of the machine nor a random source, knows no
//! store, database or configuration file, and no HTTP type. Time ("now",
//! unix seconds or an `OffsetDateTime`) and random identifiers are passed
//! in; what the store and the database said about a ticket arrives as plain
//! data ([`validate::Record`]). `sesame-service` does the IO and calls it.

pub mod attributes;
pub mod logout;
pub mod response;
pub mod saml;
pub mod service;
pub mod ticket;
pub mod validate;

pub use service::Registration;
pub use ticket::{ProxyGrantingTicket, ServiceTicket, well_formed};
pub use validate::{Failure, FailureCode, Request, Success};

/// `service` with `ticket` added to its query (`?ticket=` or `&ticket=`),
/// before its fragment, where the browser is sent after a login (CAS 3.0
/// §2.2.4): `https://s/app?x=1#/route` → `https://s/app?x=1&ticket=…#/route`.
pub fn with_ticket(service: &str, ticket: &str) -> String {
    let (base, fragment) = match service.find('#') {
        Some(i) => service.split_at(i),
        None => (service, ""),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}ticket={ticket}{fragment}")
}

/// A CAS boolean parameter (`renew`, `gateway`, CAS 3.0 §2.1.1): set when
/// present, not empty and not `false` (any case).
pub fn flag(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty() && !v.eq_ignore_ascii_case("false"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_flag(input: Option<&str>, expected: bool) {
        assert_eq!(flag(input), expected, "flag({input:?})");
    }

    #[test]
    fn boolean_parameters() {
        for (input, expected) in [
            (None, false),
            (Some(""), false),
            (Some("false"), false),
            (Some("FALSE"), false),
            (Some("False"), false),
            (Some("true"), true),
            (Some("TRUE"), true),
            (Some("1"), true),
            (Some("0"), true),
            (Some("yes"), true),
        ] {
            check_flag(input, expected);
        }
    }

    fn check_with_ticket(service: &str, expected: &str) {
        assert_eq!(with_ticket(service, "ST-1"), expected, "{service}");
    }

    #[test]
    fn the_ticket_is_added_to_the_service_url() {
        for (service, expected) in [
            (
                "https://app.example/cas",
                "https://app.example/cas?ticket=ST-1",
            ),
            (
                "https://app.example/cas?x=1",
                "https://app.example/cas?x=1&ticket=ST-1",
            ),
            ("https://app.example/?", "https://app.example/?&ticket=ST-1"),
            // CAS 3.0 §2.2.4: the fragment stays last.
            (
                "https://s.example/app?x=1#/route",
                "https://s.example/app?x=1&ticket=ST-1#/route",
            ),
            (
                "https://s.example/app#/route?y=2",
                "https://s.example/app?ticket=ST-1#/route?y=2",
            ),
            ("https://s.example/#", "https://s.example/?ticket=ST-1#"),
        ] {
            check_with_ticket(service, expected);
        }
    }
}
