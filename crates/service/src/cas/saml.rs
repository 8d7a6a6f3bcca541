//! SAML 1.1 ticket validation (`/samlValidate`, CAS 3.0 §4.2): the request
//! is read and the answer written by [`sesame_cas::saml`]; this module
//! draws the answer's identifiers.

use super::validate::{Failure, Success};
use sesame_cas::saml::Ids;

pub use sesame_cas::saml::artifact;

/// The SAML 1.1 answer to a validation, with fresh random identifiers.
pub fn response(
    outcome: &Result<Success, Failure>,
    target: &str,
    issuer: &str,
    now: time::OffsetDateTime,
) -> String {
    let response = format!("_{}", crate::session::new_token());
    let assertion = format!("_{}", crate::session::new_token());
    let ids = Ids {
        response: &response,
        assertion: &assertion,
    };
    sesame_cas::saml::response(outcome, target, issuer, now, ids)
}
