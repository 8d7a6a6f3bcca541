//! The `signing_keys` table.

use sea_orm::entity::prelude::*;

/// One row of `signing_keys`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kid: String,
    pub alg: String,
    pub private_key: String,
    pub public_jwk: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub usable_from: TimeDateTimeWithTimeZone,
    pub retired_at: Option<TimeDateTimeWithTimeZone>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
