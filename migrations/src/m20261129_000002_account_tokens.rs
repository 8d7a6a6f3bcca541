//! Single-use links mailed to account holders (confirmation, unlock...):
//! only a keyed hash of each token is stored. Queued mails name their account.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    Id,
    AccountId,
    Purpose,
    TokenHmac,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    AccountId,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AccountTokens::Table)
                .col(pk_auto(AccountTokens::Id))
                .col(integer(AccountTokens::AccountId))
                .col(string(AccountTokens::Purpose))
                .col(string_uniq(AccountTokens::TokenHmac))
                .col(timestamp_with_time_zone(AccountTokens::CreatedAt))
                .col(timestamp_with_time_zone(AccountTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(AccountTokens::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_account_tokens_account")
                        .from(AccountTokens::Table, AccountTokens::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_account_tokens_account")
                .table(AccountTokens::Table)
                .col(AccountTokens::AccountId)
                .col(AccountTokens::Purpose)
                .take(),
        )
        .await?;
        // The account a queued mail is about, so that purging an account
        // also drops its unsent mail.
        m.alter_table(
            Table::alter()
                .table(MailOutbox::Table)
                .add_column(integer_null(MailOutbox::AccountId))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(MailOutbox::Table)
                .drop_column(MailOutbox::AccountId)
                .take(),
        )
        .await?;
        m.drop_table(Table::drop().table(AccountTokens::Table).take())
            .await
    }
}
