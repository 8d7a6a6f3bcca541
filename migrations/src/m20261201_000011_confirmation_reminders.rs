//! How many confirmation reminders a pending parent account was sent
//! (issue 16 §4). The periodic job claims the next reminder with a
//! conditional `UPDATE` of this count, so that one reminder goes out per
//! configured day, whatever the number of nodes or parallel runs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    ConfirmationReminders,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(integer(Accounts::ConfirmationReminders).default(0))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .drop_column(Accounts::ConfirmationReminders)
                .take(),
        )
        .await
    }
}
