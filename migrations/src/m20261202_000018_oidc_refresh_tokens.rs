//! `oidc_refresh_tokens`: OpenID Connect refresh tokens (issue 19 §4).
//! They live 14 to 90 days, longer than the ephemeral store (Redis) can be
//! trusted to keep anything: after a Redis restart or flush, relying
//! parties' refresh tokens keep working and revoked ones stay revoked.
//!
//! One row per refresh token, under a keyed hash of the token (never the
//! token itself): its family (one login of one account at one client),
//! what the family stands for (client, account, scopes, SSO session `sid`,
//! the account's session generation, profile, `auth_time`), when it was
//! issued and expires, and two flags: `spent` (rotated: presented again,
//! it revokes its family) and `revoked`. An additive ("expand") step: the
//! release before ignores the table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OidcRefreshTokens {
    Table,
    Id,
    TokenHash,
    FamilyId,
    ClientId,
    AccountId,
    Scopes,
    Sid,
    Generation,
    Profile,
    AuthTime,
    FamilyStartedAt,
    IssuedAt,
    ExpiresAt,
    Spent,
    Revoked,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use OidcRefreshTokens as T;
        m.create_table(
            Table::create()
                .table(T::Table)
                .if_not_exists()
                .col(pk_auto(T::Id))
                .col(string(T::TokenHash))
                .col(string(T::FamilyId))
                .col(string(T::ClientId))
                .col(integer(T::AccountId))
                .col(text(T::Scopes))
                .col(string(T::Sid))
                .col(big_integer(T::Generation))
                .col(string(T::Profile))
                .col(big_integer(T::AuthTime))
                .col(timestamp_with_time_zone(T::FamilyStartedAt))
                .col(timestamp_with_time_zone(T::IssuedAt))
                .col(timestamp_with_time_zone(T::ExpiresAt))
                .col(boolean(T::Spent).default(false))
                .col(boolean(T::Revoked).default(false))
                .take(),
        )
        .await?;
        let index = |name: &str, col: T, unique: bool| {
            let mut i = Index::create();
            i.name(name).table(T::Table).col(col);
            if unique {
                i.unique();
            }
            i.take()
        };
        m.create_index(index("oidc_refresh_tokens_hash", T::TokenHash, true))
            .await?;
        m.create_index(index("oidc_refresh_tokens_family", T::FamilyId, false))
            .await?;
        m.create_index(index("oidc_refresh_tokens_sid", T::Sid, false))
            .await?;
        m.create_index(index("oidc_refresh_tokens_account", T::AccountId, false))
            .await?;
        m.create_index(index("oidc_refresh_tokens_expires", T::ExpiresAt, false))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OidcRefreshTokens::Table).take())
            .await
    }
}
