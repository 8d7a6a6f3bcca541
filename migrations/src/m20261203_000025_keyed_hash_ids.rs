//! Keyed hashes at rest name their key (issue 18 §3): `activation_codes`
//! and `account_tokens` get a nullable `*_kid` column holding the id of
//! the key their hash was made with, so that a lookup matches a row under
//! that key only. Additive ("expand"): the release before ignores the
//! columns and writes rows without them, which are still found by trying
//! every key of the ring.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ActivationCodes {
    Table,
    CodeKid,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    TokenKid,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        m.alter_table(
            Table::alter()
                .table(ActivationCodes::Table)
                .add_column(string_null(ActivationCodes::CodeKid))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AccountTokens::Table)
                .add_column(string_null(AccountTokens::TokenKid))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ActivationCodes::Table)
                .drop_column(ActivationCodes::CodeKid)
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AccountTokens::Table)
                .drop_column(AccountTokens::TokenKid)
                .take(),
        )
        .await
    }
}
