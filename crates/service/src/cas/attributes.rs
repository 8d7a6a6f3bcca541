//! The attributes released to a service: only those its registry entry
//! lists, under the names it gives them (CAS-13). Children's names and
//! birth dates are never among them.

use crate::app::App;
use crate::config::ServiceDef;
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
    let id = identity(app.db.conn(), account.id, account.kind()).await?;
    let mut out = Vec::new();
    for (ours, theirs) in &service.attributes {
        let values: Vec<String> = match ours.as_str() {
            "identifiant" => vec![account.identifiant_display.clone()],
            "profile" => vec![profile.to_owned()],
            "first_name" => id.first_name.clone().into_iter().collect(),
            "last_name" => id.last_name.clone().into_iter().collect(),
            "email" => account.email.clone().into_iter().collect(),
            "uai" => id.uais.clone(),
            "classes" => id.classes.clone(),
            "children" => id.children.clone(),
            _ => Vec::new(),
        };
        if !values.is_empty() {
            out.push((theirs.clone(), values));
        }
    }
    Ok(out)
}
