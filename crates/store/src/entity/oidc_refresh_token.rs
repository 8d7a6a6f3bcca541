//! The `oidc_refresh_tokens` table.

use sea_orm::entity::prelude::*;

/// One row of `oidc_refresh_tokens`: a refresh token, by keyed hash.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub token_hash: String,
    pub family_id: String,
    pub client_id: String,
    pub account_id: i32,
    pub scopes: String,
    pub sid: String,
    pub generation: i64,
    pub profile: String,
    pub auth_time: i64,
    pub family_started_at: TimeDateTimeWithTimeZone,
    pub issued_at: TimeDateTimeWithTimeZone,
    pub expires_at: TimeDateTimeWithTimeZone,
    pub spent: bool,
    pub revoked: bool,
    /// The number of the family's current token: a row standing for a
    /// whole family (migration 000026); `None` for a row of one token.
    pub rotation: Option<i64>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
