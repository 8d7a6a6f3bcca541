//! The attributes released to a service: what is known of the account
//! (read from the database with it), chosen and named by
//! [`sesame_cas::attributes::release`] (CAS-13).

use crate::config::ServiceDef;
use sesame_cas::attributes::Person;
use sesame_store::identity::{Holder, Identity};

/// (name, values) pairs, in the registry's order.
pub fn release(
    service: &ServiceDef,
    account: &Holder,
    id: Identity,
    profile: &str,
) -> Vec<(String, Vec<String>)> {
    if service.attributes.is_empty() {
        return Vec::new();
    }
    let person = Person {
        identifiant: account.identifiant_display.clone(),
        profile: profile.to_owned(),
        first_name: id.first_name,
        last_name: id.last_name,
        email: account.email.clone(),
        uais: id.uais,
        classes: id.classes,
        children: id.children,
        children_qualified: id.children_qualified,
    };
    sesame_cas::attributes::release(&service.attributes, &person)
}
