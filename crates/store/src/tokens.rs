//! Single-use tokens mailed to account holders (confirmation and unlock
//! links). Only their keyed hash is stored, with the id of its key; a
//! token is spent atomically.

use crate::entity::account_token;
use crate::keyed::{KeyedHash, matching};
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
    /// A temporary password (its argon2id PHC string, not an HMAC; 24 h).
    pub const TEMP_PASSWORD: &str = "temp_password";
    /// Confirms a new email address (the payload); 24 h.
    pub const EMAIL_CHANGE: &str = "email_change";
    /// Cancels an email change, from the old address; 24 h.
    pub const EMAIL_CANCEL: &str = "email_cancel";
}

/// Stores a token's hash, spending the account's earlier tokens of the same
/// purpose (a new link supersedes the old one).
pub async fn issue(
    db: &impl ConnectionTrait,
    account_id: i32,
    purpose: &str,
    hash: &KeyedHash,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), DbErr> {
    issue_with(db, account_id, purpose, hash, None, now, expires_at).await
}

/// Like [`issue`], with a payload (the new address of an email change).
pub async fn issue_with(
    db: &impl ConnectionTrait,
    account_id: i32,
    purpose: &str,
    hash: &KeyedHash,
    payload: Option<&str>,
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
        token_hmac: Set(hash.hash.clone()),
        token_kid: Set(hash.kid.clone()),
        created_at: Set(ts(now)),
        expires_at: Set(ts(expires_at)),
        used_at: Set(None),
        payload: Set(payload.map(str::to_owned)),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Finds a token by purpose and hash (`hashes`: its form under each key of
/// the ring, each matching only a row of its key), spent or not.
pub async fn find(
    db: &impl ConnectionTrait,
    purpose: &str,
    hashes: &[KeyedHash],
) -> Result<Option<Token>, DbErr> {
    account_token::Entity::find()
        .filter(account_token::Column::Purpose.eq(purpose))
        .filter(matching(
            account_token::Column::TokenHmac,
            account_token::Column::TokenKid,
            hashes,
        ))
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

/// The newest unused, unexpired token of a purpose for an account.
pub async fn latest_unused(
    db: &impl ConnectionTrait,
    account_id: i32,
    purpose: &str,
    now: OffsetDateTime,
) -> Result<Option<Token>, DbErr> {
    use sea_orm::QueryOrder;
    account_token::Entity::find()
        .filter(account_token::Column::AccountId.eq(account_id))
        .filter(account_token::Column::Purpose.eq(purpose))
        .filter(account_token::Column::UsedAt.is_null())
        .filter(account_token::Column::ExpiresAt.gt(ts(now)))
        .order_by_desc(account_token::Column::Id)
        .one(db)
        .await
}

/// Spends every unused token of the given purposes of an account.
pub async fn spend_all(
    db: &impl ConnectionTrait,
    account_id: i32,
    purposes: &[&str],
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(ts(now)))
        .filter(account_token::Column::AccountId.eq(account_id))
        .filter(account_token::Column::Purpose.is_in(purposes.iter().copied()))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(db)
        .await
        .map(|_| ())
}
