//! CAS 3.0 server side (Apereo "CAS Protocol 3.0 Specification"): the IO
//! around the protocol rules of `sesame-cas` — the service registry lookup,
//! service tickets in the shared store, ticket validation with the
//! attributes released to each service.
//!
//! The rules (ticket syntax, service matching, the validation decision,
//! the responses) live in `sesame-cas`, without IO; this module reads the
//! store, the sessions and the database, then asks it. A ticket is
//! consumed by any validation attempt (GETDEL), so one ticket validated in
//! parallel succeeds once.

pub mod attributes;
pub mod registry;
pub mod saml;
pub mod slo;
pub mod tickets;
pub mod validate;

pub use registry::find_service;
pub use sesame_cas::{response, with_ticket};
pub use tickets::{ServiceTicket, issue_service_ticket, well_formed};
pub use validate::{Failure, FailureCode, Success, proxy, validate};
