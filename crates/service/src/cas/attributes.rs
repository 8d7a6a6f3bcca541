//! The attributes released to a service: what is known of the account,
//! read from the database, then chosen and named by
//! [`sesame_cas::attributes::release`] (CAS-13).

use crate::app::App;
use crate::config::ServiceDef;
use sesame_cas::attributes::Person;
use sesame_store::StoreError;
use sesame_store::accounts::Account;
use sesame_store::identity::identity;

/// (name, values) pairs, in the registry's order.
pub async fn release(
    app: &App,
    service: &ServiceDef,
    account: &Account,
    profile: &str,
) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    if service.attributes.is_empty() {
        return Ok(Vec::new());
    }
    let id = identity(
        app.db.conn(),
        account.id,
        account.kind(),
        app.clock.now().date(),
    )
    .await?;
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
    Ok(sesame_cas::attributes::release(
        &service.attributes,
        &person,
    ))
}
