//! The `pupils` table.

use sea_orm::entity::prelude::*;

/// One row of `pupils`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pupils")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub school_id: i32,
    pub external_id: String,
    pub ine: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub other_first_names: Option<String>,
    pub first_name_key: String,
    pub birth_date: TimeDate,
    pub class_code: Option<String>,
    pub left_on: Option<TimeDate>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub level: Option<String>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
