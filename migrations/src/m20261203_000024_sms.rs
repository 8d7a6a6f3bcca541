//! First visit by text message (issue 20 §1–3). `guardians` gains the
//! mobile number of the export (`mobile`, E.164) and the date of the export
//! it came from (`mobile_as_of`); `sms_outbox` queues text messages like
//! `mail_outbox` (a row written in the transaction that causes it, claimed
//! with a lease, erased once sent or given up); `sms_challenges` holds one
//! first visit by text message in flight: the keyed hash of its browser
//! token, the keyed hash of the number, the keyed hash of the one-time code
//! (never the code), the guardians it opens (none when the number is
//! unknown or shared), its attempts and deadline. Additive ("expand"): the
//! release before ignores the columns and tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Guardians {
    Table,
    Mobile,
    MobileAsOf,
}

#[derive(DeriveIden)]
enum SmsOutbox {
    Table,
    Id,
    Recipient,
    RecipientPseudonym,
    Text,
    Kind,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum SmsChallenges {
    Table,
    Id,
    FlowHash,
    MobileHash,
    CodeHash,
    Guardians,
    Attempts,
    ExpiresAt,
    VerifiedAt,
    ChildAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Guardians::Table)
                .add_column(string_null(Guardians::Mobile))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Guardians::Table)
                .add_column(string_null(Guardians::MobileAsOf))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("guardians_mobile")
                .table(Guardians::Table)
                .col(Guardians::Mobile)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SmsOutbox::Table)
                .if_not_exists()
                .col(pk_auto(SmsOutbox::Id))
                .col(string(SmsOutbox::Recipient))
                .col(string_null(SmsOutbox::RecipientPseudonym))
                .col(text(SmsOutbox::Text))
                .col(string(SmsOutbox::Kind))
                .col(string(SmsOutbox::State))
                .col(integer(SmsOutbox::Attempts))
                .col(timestamp_with_time_zone(SmsOutbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(SmsOutbox::LeaseUntil))
                .col(text_null(SmsOutbox::LastError))
                .col(timestamp_with_time_zone(SmsOutbox::CreatedAt))
                .col(timestamp_with_time_zone_null(SmsOutbox::SentAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sms_outbox_due")
                .table(SmsOutbox::Table)
                .col(SmsOutbox::State)
                .col(SmsOutbox::NextAttemptAt)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SmsChallenges::Table)
                .if_not_exists()
                .col(pk_auto(SmsChallenges::Id))
                .col(string_uniq(SmsChallenges::FlowHash))
                .col(string(SmsChallenges::MobileHash))
                .col(string(SmsChallenges::CodeHash))
                .col(string_null(SmsChallenges::Guardians))
                .col(integer(SmsChallenges::Attempts))
                .col(timestamp_with_time_zone(SmsChallenges::ExpiresAt))
                .col(timestamp_with_time_zone_null(SmsChallenges::VerifiedAt))
                .col(timestamp_with_time_zone_null(SmsChallenges::ChildAt))
                .col(timestamp_with_time_zone(SmsChallenges::CreatedAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sms_challenges_expiry")
                .table(SmsChallenges::Table)
                .col(SmsChallenges::ExpiresAt)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SmsChallenges::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(SmsOutbox::Table).to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name("guardians_mobile")
                .table(Guardians::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Guardians::Table)
                .drop_column(Guardians::MobileAsOf)
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Guardians::Table)
                .drop_column(Guardians::Mobile)
                .take(),
        )
        .await
    }
}
