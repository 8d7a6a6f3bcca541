//! What an account holder sees of their account: the children attached.
//! ("Gérer son compte" grows here.)

use crate::app::App;
use sesame_store::{StoreError, accounts};

/// A child attached to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    /// First name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// School name.
    pub school: String,
}

/// The children attached to an account (both guardians' for a joint one).
pub async fn children(app: &App, account_id: i32) -> Result<Vec<Child>, StoreError> {
    Ok(accounts::children(app.db.conn(), account_id)
        .await?
        .into_iter()
        .map(|(first_name, last_name, school)| Child {
            first_name,
            last_name,
            school,
        })
        .collect())
}
