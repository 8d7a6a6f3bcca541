//! `reports`: « Ce n'est pas mon enfant » (issue 16 §8). A parent who sees
//! a child that is not theirs reports it from the home page; the link is
//! suspended at once and the report waits here until an administrator
//! closes it (`sesame reports resolve ID --restore | --remove`).
//!
//! `state` is `open`, `restored` (the link was put back) or `removed` (the
//! link stays removed, and the account cannot take that child back with a
//! code). `resolved_by` names the operator who closed it. An additive
//! ("expand") step: the release before ignores the table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    AccountId,
    PupilId,
    Uai,
    CreatedAt,
    State,
    ResolvedAt,
    ResolvedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Reports::Table)
                .if_not_exists()
                .col(pk_auto(Reports::Id))
                .col(integer(Reports::AccountId))
                .col(integer(Reports::PupilId))
                .col(string(Reports::Uai))
                .col(timestamp_with_time_zone(Reports::CreatedAt))
                .col(string(Reports::State))
                .col(timestamp_with_time_zone_null(Reports::ResolvedAt))
                .col(string_null(Reports::ResolvedBy))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("reports_account_pupil")
                .table(Reports::Table)
                .col(Reports::AccountId)
                .col(Reports::PupilId)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("reports_state")
                .table(Reports::Table)
                .col(Reports::State)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Reports::Table).take())
            .await
    }
}
