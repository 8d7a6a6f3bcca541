//! CAS single logout (CAS 3.0 §2.3.3): the SAML `LogoutRequest` each
//! service that received a ticket in an ended session is sent (form
//! parameter `logoutRequest`), by [`crate::slo`]; written by
//! [`sesame_cas::logout`].

/// Seconds one logout request may take.
pub const TIMEOUT_SECS: u64 = 5;

/// The SAML 2.0 `LogoutRequest` for a ticket, with a fresh identifier.
pub fn logout_request(ticket: &str, now: time::OffsetDateTime) -> String {
    let id = format!("LR-{}", crate::session::new_token());
    sesame_cas::logout::logout_request(ticket, &id, now)
}
