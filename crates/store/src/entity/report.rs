//! The `reports` table.

use sea_orm::entity::prelude::*;

/// One row of `reports`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub account_id: i32,
    pub pupil_id: i32,
    pub uai: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub state: String,
    pub resolved_at: Option<TimeDateTimeWithTimeZone>,
    pub resolved_by: Option<String>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
