//! The `guardian_pupils` table.

use sea_orm::entity::prelude::*;

/// One row of `guardian_pupils`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "guardian_pupils")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub guardian_id: i32,
    pub pupil_id: i32,
    pub level: i16,
    pub relationship: Option<i16>,
    pub created_at: TimeDateTimeWithTimeZone,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
