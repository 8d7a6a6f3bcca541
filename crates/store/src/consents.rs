//! OpenID Connect consents: the scopes an account granted to a client.

use crate::WriteTxn;
use crate::entity::oidc_consent;
use crate::school_data::ts;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use time::OffsetDateTime;

/// The scopes `account_id` granted to `client_id`, if any.
pub async fn granted(
    db: &impl ConnectionTrait,
    account_id: i32,
    client_id: &str,
) -> Result<Option<Vec<String>>, DbErr> {
    Ok(oidc_consent::Entity::find()
        .filter(oidc_consent::Column::AccountId.eq(account_id))
        .filter(oidc_consent::Column::ClientId.eq(client_id))
        .one(db)
        .await?
        .map(|c| c.scopes.split_whitespace().map(str::to_owned).collect()))
}

/// Records that `account_id` granted `scopes` to `client_id` (replacing
/// an earlier grant), in one transaction.
pub async fn grant(
    db: &sea_orm::DatabaseConnection,
    account_id: i32,
    client_id: &str,
    scopes: &[String],
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    let txn = db.begin_write().await?;
    oidc_consent::Entity::delete_many()
        .filter(oidc_consent::Column::AccountId.eq(account_id))
        .filter(oidc_consent::Column::ClientId.eq(client_id))
        .exec(&txn)
        .await?;
    oidc_consent::ActiveModel {
        account_id: Set(account_id),
        client_id: Set(client_id.to_owned()),
        scopes: Set(scopes.join(" ")),
        granted_at: Set(ts(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await
}
