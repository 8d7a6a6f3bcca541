//! The `oidc_spent_codes` table.

use sea_orm::entity::prelude::*;

/// One row of `oidc_spent_codes`: a redeemed authorization code, by keyed
/// hash, and the family it started.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_spent_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_hash: String,
    pub family_id: String,
    pub expires_at: TimeDateTimeWithTimeZone,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
