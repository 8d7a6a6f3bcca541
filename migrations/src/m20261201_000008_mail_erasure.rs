//! Mails keep no secret once delivered or given up (REST-01): a column for
//! the recipient's pseudonym (a keyed hash, computed by the mail worker),
//! and the bodies and addresses of the mails already delivered, failed or
//! abandoned erased (they held live links and temporary passwords; their
//! pseudonym cannot be computed here, so it stays empty).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    RecipientPseudonym,
    Recipient,
    TextBody,
    HtmlBody,
    State,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(MailOutbox::Table)
                .add_column(text_null(MailOutbox::RecipientPseudonym))
                .take(),
        )
        .await?;
        let erase = Query::update()
            .table(MailOutbox::Table)
            .value(MailOutbox::Recipient, "")
            .value(MailOutbox::TextBody, "")
            .value(MailOutbox::HtmlBody, "")
            .and_where(Expr::col(MailOutbox::State).ne("pending"))
            .to_owned();
        m.exec_stmt(erase).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(MailOutbox::Table)
                .drop_column(MailOutbox::RecipientPseudonym)
                .take(),
        )
        .await
    }
}
