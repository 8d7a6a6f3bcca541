//! CAS 3.0 server side (Apereo "CAS Protocol 3.0 Specification"): the
//! service registry lookup, service tickets in the shared store, and
//! ticket validation with the attributes released to each service.
//!
//! Strictness follows Apereo CAS: a service is accepted only when it equals
//! a registered URL or matches a registered anchored pattern; a ticket's
//! syntax is checked before any store lookup; a ticket is consumed by any
//! validation attempt (GETDEL), so one ticket validated in parallel
//! succeeds once.

pub mod attributes;
pub mod registry;
pub mod response;
pub mod saml;
pub mod slo;
pub mod tickets;
pub mod validate;

pub use registry::find_service;
pub use tickets::{ServiceTicket, issue_service_ticket, well_formed};
pub use validate::{Failure, FailureCode, Success, proxy, validate};

/// Adds `ticket` to a service URL (`?ticket=` or `&ticket=`).
pub fn with_ticket(service: &str, ticket: &str) -> String {
    let sep = if service.contains('?') { '&' } else { '?' };
    format!("{service}{sep}ticket={ticket}")
}
