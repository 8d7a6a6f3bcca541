//! The OpenID Connect signing keys: private keys encrypted at rest, their
//! public JWK, when each starts signing and when it stops being published.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Id,
    Kid,
    Alg,
    PrivateKey,
    PublicJwk,
    CreatedAt,
    UsableFrom,
    RetiredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SigningKeys::Table)
                .col(pk_auto(SigningKeys::Id))
                .col(string_uniq(SigningKeys::Kid))
                .col(string(SigningKeys::Alg))
                .col(text(SigningKeys::PrivateKey))
                .col(text(SigningKeys::PublicJwk))
                .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                .col(timestamp_with_time_zone(SigningKeys::UsableFrom))
                .col(timestamp_with_time_zone_null(SigningKeys::RetiredAt))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SigningKeys::Table).take())
            .await
    }
}
