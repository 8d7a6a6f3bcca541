//! `schema_compatibility`: for every migration applied, whether the release
//! before it still runs on the migrated schema (an additive, "expand"
//! step) or not (a "contract" step, listed in [`crate::BREAKING`]). A binary
//! that finds migrations it does not know reads this table to decide
//! whether it may start (a rollback, or an old node restarting during a
//! rolling upgrade) or must refuse, naming the migration (issue 18 §2).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SchemaCompatibility {
    Table,
    Version,
    Compatible,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SchemaCompatibility::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(SchemaCompatibility::Version)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(SchemaCompatibility::Compatible)
                        .boolean()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SchemaCompatibility::Table).to_owned())
            .await
    }
}
