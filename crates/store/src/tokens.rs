//! Single-use tokens mailed to account holders (confirmation and unlock
//! links). Only their keyed hash is stored; a token is spent atomically.

use crate::entity::account_token;
use crate::school_data::ts;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use time::OffsetDateTime;

/// A stored token.
pub type Token = account_token::Model;

/// What a token is for.
pub mod purpose {
    /// Confirms a parent account's email (7 days).
    pub const CONFIRM: &str = "confirm";
    /// Unblocks password login after repeated failures (1 h).
    pub const UNLOCK: &str = "unlock";
}

/// Stores a token's hash, spending the account's earlier tokens of the same
/// purpose (a new link supersedes the old one).
pub async fn issue(
    db: &impl ConnectionTrait,
    account_id: i32,
    purpose: &str,
    hmac: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), DbErr> {
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(ts(now)))
        .filter(account_token::Column::AccountId.eq(account_id))
        .filter(account_token::Column::Purpose.eq(purpose))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    account_token::ActiveModel {
        account_id: Set(account_id),
        purpose: Set(purpose.to_owned()),
        token_hmac: Set(hmac.to_owned()),
        created_at: Set(ts(now)),
        expires_at: Set(ts(expires_at)),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Finds a token by purpose and hash, spent or not.
pub async fn find(
    db: &impl ConnectionTrait,
    purpose: &str,
    hmac: &str,
) -> Result<Option<Token>, DbErr> {
    account_token::Entity::find()
        .filter(account_token::Column::Purpose.eq(purpose))
        .filter(account_token::Column::TokenHmac.eq(hmac))
        .one(db)
        .await
}

/// Spends a token if it is still unused and unexpired; answers whether this
/// call spent it (two concurrent uses: one wins).
pub async fn spend(db: &impl ConnectionTrait, id: i32, now: OffsetDateTime) -> Result<bool, DbErr> {
    let r = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(ts(now)))
        .filter(account_token::Column::Id.eq(id))
        .filter(account_token::Column::UsedAt.is_null())
        .filter(account_token::Column::ExpiresAt.gt(ts(now)))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}
