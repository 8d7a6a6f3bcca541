//! OpenID Connect signing keys at rest (the private part encrypted by the
//! caller).

use crate::entity::signing_key;
use crate::school_data::ts;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use time::OffsetDateTime;

/// A stored key.
pub type StoredKey = signing_key::Model;

/// Every key, oldest first.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<StoredKey>, DbErr> {
    signing_key::Entity::find()
        .order_by_asc(signing_key::Column::Id)
        .all(db)
        .await
}

/// A key to store.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Key id (JWK `kid`).
    pub kid: String,
    /// JWS algorithm, e.g. `RS256`.
    pub alg: String,
    /// The encrypted private key.
    pub private_key: String,
    /// The public JWK, JSON.
    pub public_jwk: String,
    /// When it starts signing.
    pub usable_from: OffsetDateTime,
}

/// Stores a key.
pub async fn insert(
    db: &impl ConnectionTrait,
    k: NewKey,
    now: OffsetDateTime,
) -> Result<StoredKey, DbErr> {
    signing_key::ActiveModel {
        kid: Set(k.kid),
        alg: Set(k.alg),
        private_key: Set(k.private_key),
        public_jwk: Set(k.public_jwk),
        created_at: Set(ts(now)),
        usable_from: Set(ts(k.usable_from)),
        retired_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Stops publishing the keys of `ids` at `at`.
pub async fn retire(
    db: &impl ConnectionTrait,
    ids: &[i32],
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    signing_key::Entity::update_many()
        .col_expr(signing_key::Column::RetiredAt, Expr::value(ts(at)))
        .filter(signing_key::Column::Id.is_in(ids.iter().copied()))
        .filter(signing_key::Column::RetiredAt.is_null())
        .exec(db)
        .await
        .map(|_| ())
}

/// Stops publishing key `kid` now (a compromised key): its end of
/// publication is set to its creation, a time every node has passed
/// whatever its clock says; answers it, or none when no published key has
/// that id.
pub async fn retire_now(
    db: &impl ConnectionTrait,
    kid: &str,
    now: OffsetDateTime,
) -> Result<Option<StoredKey>, DbErr> {
    use sea_orm::Condition;
    let r = signing_key::Entity::update_many()
        .col_expr(
            signing_key::Column::RetiredAt,
            Expr::col(signing_key::Column::CreatedAt),
        )
        .filter(signing_key::Column::Kid.eq(kid))
        .filter(
            Condition::any()
                .add(signing_key::Column::RetiredAt.is_null())
                .add(signing_key::Column::RetiredAt.gt(ts(now))),
        )
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Ok(None);
    }
    signing_key::Entity::find()
        .filter(signing_key::Column::Kid.eq(kid))
        .one(db)
        .await
}

/// Replaces the encrypted private part of key `id` (re-encrypted under a
/// new server key).
pub async fn set_private(db: &impl ConnectionTrait, id: i32, blob: &str) -> Result<(), DbErr> {
    signing_key::Entity::update_many()
        .col_expr(signing_key::Column::PrivateKey, Expr::value(blob))
        .filter(signing_key::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}
