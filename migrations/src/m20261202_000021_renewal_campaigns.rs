//! Password-renewal campaigns (issue 20 §4). After an identity theft, an
//! administrator makes a whole population choose a new password:
//! `sesame accounts campaign start` writes one `renewal_campaigns` row,
//! one `renewal_campaign_accounts` row per account it marks (`renewed_at`
//! set when the account's owner chooses a new password, so that `campaign
//! status` counts them) and sets `accounts.renewal_campaign_id`, which the
//! login reads: while it is set, a login with the password leads only to
//! the new-password page. `scope` is `all` or a UAI; `kind` is `null`
//! (every kind), `responsable` or `eleve`. Additive ("expand"): the release
//! before ignores the tables and the column (a node of that release would
//! not force the renewal, so start a campaign once every node runs this
//! one).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RenewalCampaigns {
    Table,
    Id,
    Reason,
    Scope,
    Kind,
    StartedAt,
    StoppedAt,
    Operator,
    StoppedBy,
}

#[derive(DeriveIden)]
enum RenewalCampaignAccounts {
    Table,
    CampaignId,
    AccountId,
    RenewedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    RenewalCampaignId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RenewalCampaigns::Table)
                .if_not_exists()
                .col(pk_auto(RenewalCampaigns::Id))
                .col(string(RenewalCampaigns::Reason))
                .col(string(RenewalCampaigns::Scope))
                .col(string_null(RenewalCampaigns::Kind))
                .col(timestamp_with_time_zone(RenewalCampaigns::StartedAt))
                .col(timestamp_with_time_zone_null(RenewalCampaigns::StoppedAt))
                .col(string(RenewalCampaigns::Operator))
                .col(string_null(RenewalCampaigns::StoppedBy))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RenewalCampaignAccounts::Table)
                .if_not_exists()
                .col(integer(RenewalCampaignAccounts::CampaignId))
                .col(integer(RenewalCampaignAccounts::AccountId))
                .col(timestamp_with_time_zone_null(
                    RenewalCampaignAccounts::RenewedAt,
                ))
                .primary_key(
                    Index::create()
                        .col(RenewalCampaignAccounts::CampaignId)
                        .col(RenewalCampaignAccounts::AccountId),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("renewal_campaign_accounts_account")
                .table(RenewalCampaignAccounts::Table)
                .col(RenewalCampaignAccounts::AccountId)
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(integer_null(Accounts::RenewalCampaignId))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("accounts_renewal_campaign")
                .table(Accounts::Table)
                .col(Accounts::RenewalCampaignId)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("accounts_renewal_campaign")
                .table(Accounts::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .drop_column(Accounts::RenewalCampaignId)
                .take(),
        )
        .await?;
        m.drop_table(Table::drop().table(RenewalCampaignAccounts::Table).take())
            .await?;
        m.drop_table(Table::drop().table(RenewalCampaigns::Table).take())
            .await
    }
}
