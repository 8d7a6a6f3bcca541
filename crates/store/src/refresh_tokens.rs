//! OpenID Connect refresh tokens (RFC 6749 §6, RFC 9700 §4.14), kept in
//! the database because they outlive what the ephemeral store may be
//! trusted with (14 days idle, 90 days a family). Only a keyed hash of a
//! token is stored.
//!
//! One row per family (migration 000026): it holds the keyed hash of the
//! family's current token and its rotation number; a rotation replaces
//! both in one conditional `UPDATE` on the presented token's hash, so that
//! of two uses of one token exactly one wins, across nodes. Rows of the
//! release before (one per token, `rotation` empty) are spent by a
//! conditional `UPDATE` on `spent = false` instead, until they expire.

use crate::entity::{oidc_refresh_token, oidc_spent_code};
use crate::school_data::ts;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;

/// A stored refresh token.
pub type RefreshToken = oidc_refresh_token::Model;

/// What a new refresh token stands for.
#[derive(Debug, Clone)]
pub struct NewRefreshToken<'a> {
    /// The keyed hash of the token.
    pub token_hash: &'a str,
    /// Its family: one login of one account at one client.
    pub family_id: &'a str,
    /// The client it was issued to.
    pub client_id: &'a str,
    /// The account.
    pub account_id: i32,
    /// The scopes granted, space-separated.
    pub scopes: &'a str,
    /// The SSO session it came from (its logout revokes the token).
    pub sid: &'a str,
    /// The account's session generation at login (a password change
    /// moves it on, which revokes the token).
    pub generation: i64,
    /// The profile chosen at login.
    pub profile: &'a str,
    /// When the person authenticated (OIDC Core `auth_time`).
    pub auth_time: i64,
    /// When the family started (the code was redeemed).
    pub family_started_at: OffsetDateTime,
    /// Now.
    pub issued_at: OffsetDateTime,
    /// When the token can no longer be used.
    pub expires_at: OffsetDateTime,
    /// The rotation number of the token (a row for the whole family).
    pub rotation: i64,
}

/// Stores a new refresh token.
pub async fn insert(db: &impl ConnectionTrait, t: &NewRefreshToken<'_>) -> Result<(), DbErr> {
    // Nothing back: `ActiveModel::insert` asks for every column
    // (`RETURNING`) and decodes a model nobody uses (issue 21).
    oidc_refresh_token::Entity::insert(oidc_refresh_token::ActiveModel {
        token_hash: Set(t.token_hash.to_owned()),
        family_id: Set(t.family_id.to_owned()),
        client_id: Set(t.client_id.to_owned()),
        account_id: Set(t.account_id),
        scopes: Set(t.scopes.to_owned()),
        sid: Set(t.sid.to_owned()),
        generation: Set(t.generation),
        profile: Set(t.profile.to_owned()),
        auth_time: Set(t.auth_time),
        family_started_at: Set(ts(t.family_started_at)),
        issued_at: Set(ts(t.issued_at)),
        expires_at: Set(ts(t.expires_at)),
        spent: Set(false),
        revoked: Set(false),
        rotation: Set(Some(t.rotation)),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// The refresh token with this keyed hash, spent, revoked or expired.
pub async fn find(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<RefreshToken>, DbErr> {
    oidc_refresh_token::Entity::find()
        .filter(oidc_refresh_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// The row of family `family_id` (the latest, should a node of the release
/// before have rotated an earlier one its own way).
pub async fn find_family(
    db: &impl ConnectionTrait,
    family_id: &str,
) -> Result<Option<RefreshToken>, DbErr> {
    use sea_orm::QueryOrder;
    oidc_refresh_token::Entity::find()
        .filter(oidc_refresh_token::Column::FamilyId.eq(family_id))
        .filter(oidc_refresh_token::Column::Rotation.is_not_null())
        .order_by_desc(oidc_refresh_token::Column::Id)
        .one(db)
        .await
}

/// The next token of a family row.
#[derive(Debug, Clone)]
pub struct Rotation<'a> {
    /// The keyed hash of the token presented, the family's current one.
    pub presented_hash: &'a str,
    /// The keyed hash of the next token.
    pub next_hash: &'a str,
    /// Its rotation number.
    pub rotation: i64,
    /// Now.
    pub issued_at: OffsetDateTime,
    /// When the next token can no longer be used.
    pub expires_at: OffsetDateTime,
}

/// The UPDATE both rotations run: the next token, on the row whose
/// current token is the one presented, unspent, unrevoked and unexpired.
fn rotation_update(r: &Rotation<'_>) -> sea_orm::UpdateMany<oidc_refresh_token::Entity> {
    oidc_refresh_token::Entity::update_many()
        .col_expr(
            oidc_refresh_token::Column::TokenHash,
            Expr::value(r.next_hash),
        )
        .col_expr(
            oidc_refresh_token::Column::Rotation,
            Expr::value(r.rotation),
        )
        .col_expr(
            oidc_refresh_token::Column::IssuedAt,
            Expr::value(ts(r.issued_at)),
        )
        .col_expr(
            oidc_refresh_token::Column::ExpiresAt,
            Expr::value(ts(r.expires_at)),
        )
        .filter(oidc_refresh_token::Column::TokenHash.eq(r.presented_hash))
        .filter(oidc_refresh_token::Column::Spent.eq(false))
        .filter(oidc_refresh_token::Column::Revoked.eq(false))
        .filter(oidc_refresh_token::Column::ExpiresAt.gt(ts(r.issued_at)))
}

/// [`rotate`] in one statement, for the common case (issue 21): the
/// family row whose current token is `r.presented_hash` and is
/// `client_id`'s gets the next token, if it is unspent, unrevoked and
/// unexpired and its family started after `started_after` (so that
/// `r.expires_at` stays within the family's absolute lifetime); answers
/// the row as rotated. `None` when nothing matched: the caller then reads
/// the row to tell a reuse, another client's token, an expired one or a
/// family near its end (which [`rotate`] clamps) apart.
pub async fn rotate_presented(
    db: &impl ConnectionTrait,
    client_id: &str,
    started_after: OffsetDateTime,
    r: &Rotation<'_>,
) -> Result<Option<RefreshToken>, DbErr> {
    let rows = rotation_update(r)
        .filter(oidc_refresh_token::Column::ClientId.eq(client_id))
        .filter(oidc_refresh_token::Column::Rotation.eq(r.rotation - 1))
        .filter(oidc_refresh_token::Column::FamilyStartedAt.gt(ts(started_after)))
        .exec_with_returning(db)
        .await?;
    Ok(rows.into_iter().next())
}

/// Replaces the current token of family row `id` by the next one, if the
/// token presented is still its current one and the family is unspent,
/// unrevoked and unexpired; answers whether this call rotated it (of
/// concurrent uses of one token, exactly one wins).
pub async fn rotate(db: &impl ConnectionTrait, id: i32, r: &Rotation<'_>) -> Result<bool, DbErr> {
    let res = rotation_update(r)
        .filter(oidc_refresh_token::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Spends token `id` (a row of one token, from the release before
/// migration 000026) if it is unspent, unrevoked and unexpired; answers
/// whether this call spent it (of concurrent uses, exactly one wins).
pub async fn spend(db: &impl ConnectionTrait, id: i32, now: OffsetDateTime) -> Result<bool, DbErr> {
    let r = oidc_refresh_token::Entity::update_many()
        .col_expr(oidc_refresh_token::Column::Spent, Expr::value(true))
        .filter(oidc_refresh_token::Column::Id.eq(id))
        .filter(oidc_refresh_token::Column::Spent.eq(false))
        .filter(oidc_refresh_token::Column::Revoked.eq(false))
        .filter(oidc_refresh_token::Column::ExpiresAt.gt(ts(now)))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Revokes every token of a family; answers how many rows changed.
pub async fn revoke_family(db: &impl ConnectionTrait, family_id: &str) -> Result<u64, DbErr> {
    revoke_where(db, oidc_refresh_token::Column::FamilyId.eq(family_id)).await
}

/// Revokes every token that the SSO session `sid` gave (its logout).
pub async fn revoke_session(db: &impl ConnectionTrait, sid: &str) -> Result<u64, DbErr> {
    if sid.is_empty() {
        return Ok(0);
    }
    revoke_where(db, oidc_refresh_token::Column::Sid.eq(sid)).await
}

async fn revoke_where(
    db: &impl ConnectionTrait,
    filter: sea_orm::sea_query::SimpleExpr,
) -> Result<u64, DbErr> {
    let r = oidc_refresh_token::Entity::update_many()
        .col_expr(oidc_refresh_token::Column::Revoked, Expr::value(true))
        .filter(filter)
        .filter(oidc_refresh_token::Column::Revoked.eq(false))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Deletes the tokens expired at `now` (spent, revoked or not: none can be
/// used any more); answers how many.
pub async fn purge_expired(db: &impl ConnectionTrait, now: OffsetDateTime) -> Result<u64, DbErr> {
    let r = oidc_refresh_token::Entity::delete_many()
        .filter(oidc_refresh_token::Column::ExpiresAt.lte(ts(now)))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Deletes every token of an account (its deletion).
pub async fn delete_account(db: &impl ConnectionTrait, account_id: i32) -> Result<u64, DbErr> {
    let r = oidc_refresh_token::Entity::delete_many()
        .filter(oidc_refresh_token::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Marks the authorization code with keyed hash `code_hash` redeemed, for
/// family `family_id`, until `expires_at`; answers whether this call
/// marked it (false: it was redeemed before, whatever Redis says).
pub async fn spend_code(
    db: &impl ConnectionTrait,
    code_hash: &str,
    family_id: &str,
    expires_at: OffsetDateTime,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::OnConflict;
    let n = oidc_spent_code::Entity::insert(oidc_spent_code::ActiveModel {
        code_hash: Set(code_hash.to_owned()),
        family_id: Set(family_id.to_owned()),
        expires_at: Set(ts(expires_at)),
    })
    .on_conflict(
        OnConflict::column(oidc_spent_code::Column::CodeHash)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(n == 1)
}

/// The family that the redeemed code with keyed hash `code_hash` started,
/// if it was redeemed.
pub async fn spent_code_family(
    db: &impl ConnectionTrait,
    code_hash: &str,
) -> Result<Option<String>, DbErr> {
    Ok(oidc_spent_code::Entity::find_by_id(code_hash.to_owned())
        .one(db)
        .await?
        .map(|r| r.family_id))
}

/// Deletes the spent-code markers whose family can no longer be used at
/// `now`; answers how many.
pub async fn purge_spent_codes(
    db: &impl ConnectionTrait,
    now: OffsetDateTime,
) -> Result<u64, DbErr> {
    let r = oidc_spent_code::Entity::delete_many()
        .filter(oidc_spent_code::Column::ExpiresAt.lte(ts(now)))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}
