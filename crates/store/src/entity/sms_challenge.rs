//! The `sms_challenges` table.

use sea_orm::entity::prelude::*;

/// One row of `sms_challenges`: a first visit by text message in flight.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_challenges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Keyed hash of the browser's flow token.
    pub flow_hash: String,
    /// Keyed hash of the number.
    pub mobile_hash: String,
    /// Keyed hash of the one-time code.
    pub code_hash: String,
    /// The guardians the number opens, comma-separated ids; `None` when
    /// the number is unknown or shared.
    pub guardians: Option<String>,
    pub attempts: i32,
    pub expires_at: TimeDateTimeWithTimeZone,
    pub verified_at: Option<TimeDateTimeWithTimeZone>,
    pub child_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
