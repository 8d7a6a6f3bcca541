//! The language of an account's mails (issue 17 §8): the language of the
//! page where it was created, changed when its owner switches language
//! while signed in. `NULL` (every account before this migration) is
//! French. Additive: compatible (the release before ignores the column
//! and writes its mails in French, as it always did).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Language,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(string_null(Accounts::Language))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .drop_column(Accounts::Language)
                .take(),
        )
        .await
    }
}
