//! The `guardians` table.

use sea_orm::entity::prelude::*;

/// One row of `guardians`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "guardians")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub school_id: i32,
    pub external_id: String,
    pub civility: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    /// Mobile number of the last export (E.164).
    pub mobile: Option<String>,
    /// The export date the mobile number comes from.
    pub mobile_as_of: Option<String>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
