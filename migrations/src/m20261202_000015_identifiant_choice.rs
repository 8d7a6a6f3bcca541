//! When the person behind an account chose its identifiant (issue 22 §1).
//! An account created through an upstream provider was given a name (the
//! provider's, or a numbered one when it was taken); its owner may choose
//! their own once, in « gérer son compte ». The conditional `UPDATE` that
//! changes the name sets this column, so that a second change (or a
//! parallel one) finds it set and changes nothing. Additive: compatible.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    IdentifiantChosenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(timestamp_with_time_zone_null(Accounts::IdentifiantChosenAt))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .drop_column(Accounts::IdentifiantChosenAt)
                .take(),
        )
        .await
    }
}
