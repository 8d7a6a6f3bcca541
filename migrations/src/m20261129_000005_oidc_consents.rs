//! OpenID Connect consents: which scopes an account granted to a client
//! that asks for consent, remembered until the scope set grows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OidcConsents {
    Table,
    Id,
    AccountId,
    ClientId,
    Scopes,
    GrantedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OidcConsents::Table)
                .col(pk_auto(OidcConsents::Id))
                .col(integer(OidcConsents::AccountId))
                .col(string(OidcConsents::ClientId))
                .col(text(OidcConsents::Scopes))
                .col(timestamp_with_time_zone(OidcConsents::GrantedAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("oidc_consents_account_client")
                .table(OidcConsents::Table)
                .col(OidcConsents::AccountId)
                .col(OidcConsents::ClientId)
                .unique()
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OidcConsents::Table).take())
            .await
    }
}
