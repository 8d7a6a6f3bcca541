//! Accounts linked to an upstream identity provider: (provider, subject)
//! → account, with the claims last received.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FederatedIdentities {
    Table,
    Id,
    Provider,
    Subject,
    AccountId,
    Claims,
    CreatedAt,
    LastLoginAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(FederatedIdentities::Table)
                .col(pk_auto(FederatedIdentities::Id))
                .col(string(FederatedIdentities::Provider))
                .col(string(FederatedIdentities::Subject))
                .col(integer(FederatedIdentities::AccountId))
                .col(text(FederatedIdentities::Claims))
                .col(timestamp_with_time_zone(FederatedIdentities::CreatedAt))
                .col(timestamp_with_time_zone(FederatedIdentities::LastLoginAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("federated_identities_provider_subject")
                .table(FederatedIdentities::Table)
                .col(FederatedIdentities::Provider)
                .col(FederatedIdentities::Subject)
                .unique()
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("federated_identities_account")
                .table(FederatedIdentities::Table)
                .col(FederatedIdentities::AccountId)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(FederatedIdentities::Table).take())
            .await
    }
}
