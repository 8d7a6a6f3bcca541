//! The `sms_outbox` table.

use sea_orm::entity::prelude::*;

/// One row of `sms_outbox`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// E.164 number; erased once sent or given up.
    pub recipient: String,
    /// Keyed hash of the number, written when it is erased.
    pub recipient_pseudonym: Option<String>,
    /// The message; erased once sent or given up (it holds a code).
    pub text: String,
    /// What the message is (`code`), for operations.
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: TimeDateTimeWithTimeZone,
    pub lease_until: Option<TimeDateTimeWithTimeZone>,
    pub last_error: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub sent_at: Option<TimeDateTimeWithTimeZone>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
