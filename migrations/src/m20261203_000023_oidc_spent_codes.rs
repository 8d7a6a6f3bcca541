//! `oidc_spent_codes`: the authorization codes already redeemed (issue 19,
//! RFC 9700 §4.5). A code presented again revokes the family it started;
//! the marker lived only in Redis, so that after a Redis flush (or a
//! failover that lost the last writes) a replayed code revoked nothing, or
//! was even redeemed a second time. Now the database decides: redeeming a
//! code inserts its keyed hash (primary key: of two redemptions one wins),
//! with the family it started and when the marker may go (the family's
//! last possible use), purged by the periodic job. An additive ("expand")
//! step: the release before ignores the table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OidcSpentCodes {
    Table,
    CodeHash,
    FamilyId,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use OidcSpentCodes as T;
        m.create_table(
            Table::create()
                .table(T::Table)
                .if_not_exists()
                .col(string(T::CodeHash).primary_key())
                .col(string(T::FamilyId))
                .col(timestamp_with_time_zone(T::ExpiresAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("oidc_spent_codes_expires")
                .table(T::Table)
                .col(T::ExpiresAt)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OidcSpentCodes::Table).take())
            .await
    }
}
