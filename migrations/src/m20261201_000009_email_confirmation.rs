//! `accounts.confirmed_at` means an address confirmed by a link (parent
//! activation, email change), which OIDC `email_verified` reports (issue 15
//! §4). Accounts created active were stamped at creation: pupils (an
//! address typed at sign-up) and accounts made from an upstream provider
//! (password `!federated`). Their stamp is cleared; nothing else changes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    ConfirmedAt,
    Kind,
    PasswordHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let clear = Query::update()
            .table(Accounts::Table)
            .value(Accounts::ConfirmedAt, SimpleExpr::Keyword(Keyword::Null))
            .cond_where(
                Cond::any()
                    .add(Expr::col(Accounts::Kind).eq("eleve"))
                    .add(Expr::col(Accounts::PasswordHash).eq("!federated")),
            )
            .to_owned();
        m.exec_stmt(clear).await
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The creation stamps cannot be told apart afterwards: nothing to undo.
        Ok(())
    }
}
