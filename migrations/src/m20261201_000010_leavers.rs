//! Accounts that follow the school's exports (issue 16): `left_at` is when
//! an account lost its last tie with a school (its pupil left, or a
//! guardian account has no child any more); the periodic job disables it
//! after `accounts.leaver_grace_days` and deletes it after
//! `accounts.retention_days`. `deletion_notice_at` records the notice mail
//! a guardian gets before the deletion. `pupils.level` keeps the pupil's
//! level of study (SIECLE `CODE_MEF`), which a September export updates.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    LeftAt,
    DeletionNoticeAt,
}

#[derive(DeriveIden)]
enum Pupils {
    Table,
    Level,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(timestamp_with_time_zone_null(Accounts::LeftAt))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(timestamp_with_time_zone_null(Accounts::DeletionNoticeAt))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Pupils::Table)
                .add_column(string_null(Pupils::Level))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Pupils::Table)
                .drop_column(Pupils::Level)
                .take(),
        )
        .await?;
        for c in [Accounts::DeletionNoticeAt, Accounts::LeftAt] {
            m.alter_table(Table::alter().table(Accounts::Table).drop_column(c).take())
                .await?;
        }
        Ok(())
    }
}
