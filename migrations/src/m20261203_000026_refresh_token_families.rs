//! One row per refresh-token family (issue 21 §7): `oidc_refresh_tokens`
//! gains `rotation`, the number of the family's current token. A row with
//! a `rotation` stands for a whole family: its `token_hash` is the keyed
//! hash of the current token only, replaced at each rotation by one
//! conditional `UPDATE`, and the token itself carries the family id and
//! its rotation number, so that an older token presented again is known
//! as a reuse (RFC 9700 §4.14.2) without keeping a row per spent token.
//! Rows without `rotation` are the one-row-per-token kind of the release
//! before (migration 000018), still honoured until they expire.
//!
//! Additive ("expand"): the release before ignores the column, and its
//! rows get none. A node of that release given a token of a family row
//! finds it by its hash and rotates it its own way (the row is then
//! spent, the new token a row of the old kind), so both releases may run
//! side by side during an upgrade.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OidcRefreshTokens {
    Table,
    Rotation,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(OidcRefreshTokens::Table)
                .add_column(big_integer_null(OidcRefreshTokens::Rotation))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(OidcRefreshTokens::Table)
                .drop_column(OidcRefreshTokens::Rotation)
                .take(),
        )
        .await
    }
}
