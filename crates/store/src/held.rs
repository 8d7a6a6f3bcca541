//! Everything held about one account (RGPD art. 15 and 20), and its
//! deletion (art. 17) with every row that names it.

use crate::entity::{
    account_guardian, account_pupil, audit_event, federated_identity, guardian, oidc_consent,
    pupil, school,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// The rows about one account.
#[derive(Debug, Clone)]
pub struct Held {
    /// The account.
    pub account: crate::accounts::Account,
    /// Its children, each with its school.
    pub pupils: Vec<(pupil::Model, Option<school::Model>)>,
    /// The guardian records it holds (a joint account holds two).
    pub guardians: Vec<guardian::Model>,
    /// The providers it logs in through.
    pub federated: Vec<federated_identity::Model>,
    /// The services it consented to.
    pub consents: Vec<oidc_consent::Model>,
    /// Its audit events, oldest first.
    pub events: Vec<audit_event::Model>,
}

/// Everything held about account `id`; none if there is no such account.
pub async fn held(db: &impl ConnectionTrait, id: i32) -> Result<Option<Held>, DbErr> {
    let Some(account) = crate::accounts::find(db, id).await? else {
        return Ok(None);
    };
    let mut pupils = Vec::new();
    for l in account_pupil::Entity::find()
        .filter(account_pupil::Column::AccountId.eq(id))
        .all(db)
        .await?
    {
        if let Some(p) = pupil::Entity::find_by_id(l.pupil_id).one(db).await? {
            let s = school::Entity::find_by_id(p.school_id).one(db).await?;
            pupils.push((p, s));
        }
    }
    let mut guardians = Vec::new();
    for l in account_guardian::Entity::find()
        .filter(account_guardian::Column::AccountId.eq(id))
        .all(db)
        .await?
    {
        if let Some(g) = guardian::Entity::find_by_id(l.guardian_id).one(db).await? {
            guardians.push(g);
        }
    }
    let federated = federated_identity::Entity::find()
        .filter(federated_identity::Column::AccountId.eq(id))
        .all(db)
        .await?;
    let consents = oidc_consent::Entity::find()
        .filter(oidc_consent::Column::AccountId.eq(id))
        .all(db)
        .await?;
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::AccountId.eq(id))
        .order_by_asc(audit_event::Column::Id)
        .all(db)
        .await?;
    Ok(Some(Held {
        account,
        pupils,
        guardians,
        federated,
        consents,
        events,
    }))
}

/// Deletes account `id` and every row that names it (links, tokens,
/// unsent mail, provider links, consents, refresh tokens), freeing its activation codes
/// for a new sign-up; its audit events stay, for their retention period.
/// Answers whether the account was there to delete.
pub async fn delete(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    federated_identity::Entity::delete_many()
        .filter(federated_identity::Column::AccountId.eq(id))
        .exec(db)
        .await?;
    oidc_consent::Entity::delete_many()
        .filter(oidc_consent::Column::AccountId.eq(id))
        .exec(db)
        .await?;
    crate::refresh_tokens::delete_account(db, id).await?;
    crate::accounts::purge(db, id).await
}
