//! The `federated_identities` table.

use sea_orm::entity::prelude::*;

/// One row of `federated_identities`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "federated_identities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub provider: String,
    pub subject: String,
    pub account_id: i32,
    pub claims: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub last_login_at: TimeDateTimeWithTimeZone,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
