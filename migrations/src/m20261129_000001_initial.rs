//! The first schema: school data, activation codes, accounts, mail outbox and
//! audit events.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Schools {
    Table,
    Id,
    Uai,
    Name,
    Academie,
    LastPupilsExport,
    LastGuardiansExport,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Pupils {
    Table,
    Id,
    SchoolId,
    ExternalId,
    Ine,
    LastName,
    FirstName,
    OtherFirstNames,
    FirstNameKey,
    BirthDate,
    ClassCode,
    LeftOn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Guardians {
    Table,
    Id,
    SchoolId,
    ExternalId,
    Civility,
    LastName,
    FirstName,
    Email,
    Address,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GuardianPupils {
    Table,
    Id,
    GuardianId,
    PupilId,
    Level,
    Relationship,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ActivationCodes {
    Table,
    Id,
    Kind,
    PupilId,
    GuardianId,
    CodeHmac,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    UsedByAccountId,
    FailedAttempts,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Identifiant,
    IdentifiantDisplay,
    PasswordHash,
    Email,
    State,
    Kind,
    Joint,
    MustChangePassword,
    CreatedAt,
    UpdatedAt,
    ConfirmedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum AccountGuardians {
    Table,
    GuardianId,
}

#[derive(DeriveIden)]
enum AccountPupils {
    Table,
    PupilId,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    Recipient,
    Subject,
    TextBody,
    HtmlBody,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    Kind,
    AccountId,
    Actor,
    Ip,
    Detail,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Schools::Table)
                .col(pk_auto(Schools::Id))
                .col(string_uniq(Schools::Uai))
                .col(string(Schools::Name))
                .col(string_null(Schools::Academie))
                .col(string_null(Schools::LastPupilsExport))
                .col(string_null(Schools::LastGuardiansExport))
                .col(timestamp_with_time_zone(Schools::CreatedAt))
                .col(timestamp_with_time_zone(Schools::UpdatedAt))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Pupils::Table)
                .col(pk_auto(Pupils::Id))
                .col(integer(Pupils::SchoolId))
                .col(string(Pupils::ExternalId))
                .col(string_null(Pupils::Ine))
                .col(string(Pupils::LastName))
                .col(string(Pupils::FirstName))
                .col(string_null(Pupils::OtherFirstNames))
                .col(string(Pupils::FirstNameKey))
                .col(date(Pupils::BirthDate))
                .col(string_null(Pupils::ClassCode))
                .col(date_null(Pupils::LeftOn))
                .col(timestamp_with_time_zone(Pupils::CreatedAt))
                .col(timestamp_with_time_zone(Pupils::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_pupils_school",
                    (Pupils::Table, Pupils::SchoolId),
                    (Schools::Table, Schools::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_pupils_school_external")
                .table(Pupils::Table)
                .col(Pupils::SchoolId)
                .col(Pupils::ExternalId)
                .unique()
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_pupils_birth_date")
                .table(Pupils::Table)
                .col(Pupils::BirthDate)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Guardians::Table)
                .col(pk_auto(Guardians::Id))
                .col(integer(Guardians::SchoolId))
                .col(string(Guardians::ExternalId))
                .col(string_null(Guardians::Civility))
                .col(string(Guardians::LastName))
                .col(string(Guardians::FirstName))
                .col(string_null(Guardians::Email))
                .col(text_null(Guardians::Address))
                .col(timestamp_with_time_zone(Guardians::CreatedAt))
                .col(timestamp_with_time_zone(Guardians::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_guardians_school",
                    (Guardians::Table, Guardians::SchoolId),
                    (Schools::Table, Schools::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_guardians_school_external")
                .table(Guardians::Table)
                .col(Guardians::SchoolId)
                .col(Guardians::ExternalId)
                .unique()
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(GuardianPupils::Table)
                .col(pk_auto(GuardianPupils::Id))
                .col(integer(GuardianPupils::GuardianId))
                .col(integer(GuardianPupils::PupilId))
                .col(small_integer(GuardianPupils::Level))
                .col(small_integer_null(GuardianPupils::Relationship))
                .col(timestamp_with_time_zone(GuardianPupils::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_gp_guardian",
                    (GuardianPupils::Table, GuardianPupils::GuardianId),
                    (Guardians::Table, Guardians::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_gp_pupil",
                    (GuardianPupils::Table, GuardianPupils::PupilId),
                    (Pupils::Table, Pupils::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_gp_guardian_pupil")
                .table(GuardianPupils::Table)
                .col(GuardianPupils::GuardianId)
                .col(GuardianPupils::PupilId)
                .unique()
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_gp_pupil")
                .table(GuardianPupils::Table)
                .col(GuardianPupils::PupilId)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Accounts::Table)
                .col(pk_auto(Accounts::Id))
                .col(string_uniq(Accounts::Identifiant))
                .col(string(Accounts::IdentifiantDisplay))
                .col(string(Accounts::PasswordHash))
                .col(string_null(Accounts::Email))
                .col(string(Accounts::State))
                .col(string(Accounts::Kind))
                .col(boolean(Accounts::Joint).default(false))
                .col(boolean(Accounts::MustChangePassword).default(false))
                .col(timestamp_with_time_zone(Accounts::CreatedAt))
                .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                .col(timestamp_with_time_zone_null(Accounts::ConfirmedAt))
                .col(timestamp_with_time_zone_null(Accounts::LastLoginAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_accounts_email")
                .table(Accounts::Table)
                .col(Accounts::Email)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ActivationCodes::Table)
                .col(pk_auto(ActivationCodes::Id))
                .col(string(ActivationCodes::Kind))
                .col(integer(ActivationCodes::PupilId))
                .col(integer_null(ActivationCodes::GuardianId))
                .col(string_uniq(ActivationCodes::CodeHmac))
                .col(timestamp_with_time_zone(ActivationCodes::CreatedAt))
                .col(timestamp_with_time_zone(ActivationCodes::ExpiresAt))
                .col(timestamp_with_time_zone_null(ActivationCodes::RevokedAt))
                .col(integer_null(ActivationCodes::UsedByAccountId))
                .col(integer(ActivationCodes::FailedAttempts).default(0))
                .foreign_key(&mut fk(
                    "fk_codes_pupil",
                    (ActivationCodes::Table, ActivationCodes::PupilId),
                    (Pupils::Table, Pupils::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_codes_guardian",
                    (ActivationCodes::Table, ActivationCodes::GuardianId),
                    (Guardians::Table, Guardians::Id),
                ))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_codes_account")
                        .from(ActivationCodes::Table, ActivationCodes::UsedByAccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_codes_pupil_guardian")
                .table(ActivationCodes::Table)
                .col(ActivationCodes::PupilId)
                .col(ActivationCodes::GuardianId)
                .take(),
        )
        .await?;

        for (table, col, other_table, other_id, name) in [
            (
                AccountGuardians::Table.into_iden(),
                AccountGuardians::GuardianId.into_iden(),
                Guardians::Table.into_iden(),
                Guardians::Id.into_iden(),
                "guardian",
            ),
            (
                AccountPupils::Table.into_iden(),
                AccountPupils::PupilId.into_iden(),
                Pupils::Table.into_iden(),
                Pupils::Id.into_iden(),
                "pupil",
            ),
        ] {
            let account_col = Alias::new("account_id");
            m.create_table(
                Table::create()
                    .table(table.clone())
                    .col(integer(account_col.clone()))
                    .col(integer(col.clone()))
                    .primary_key(Index::create().col(account_col.clone()).col(col.clone()))
                    .foreign_key(&mut fk(
                        &format!("fk_account_{name}s_account"),
                        (table.clone(), account_col.clone()),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .foreign_key(&mut fk(
                        &format!("fk_account_{name}s_{name}"),
                        (table.clone(), col.clone()),
                        (other_table, other_id),
                    ))
                    .take(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name(format!("ix_account_{name}s_{name}"))
                    .table(table)
                    .col(col)
                    .take(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(MailOutbox::Table)
                .col(pk_auto(MailOutbox::Id))
                .col(string(MailOutbox::Recipient))
                .col(string(MailOutbox::Subject))
                .col(text(MailOutbox::TextBody))
                .col(text(MailOutbox::HtmlBody))
                .col(string(MailOutbox::State))
                .col(integer(MailOutbox::Attempts).default(0))
                .col(timestamp_with_time_zone(MailOutbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(MailOutbox::LeaseUntil))
                .col(text_null(MailOutbox::LastError))
                .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
                .col(timestamp_with_time_zone_null(MailOutbox::SentAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_due")
                .table(MailOutbox::Table)
                .col(MailOutbox::State)
                .col(MailOutbox::NextAttemptAt)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(pk_auto(AuditEvents::Id))
                .col(timestamp_with_time_zone(AuditEvents::At))
                .col(string(AuditEvents::Kind))
                .col(integer_null(AuditEvents::AccountId))
                .col(string_null(AuditEvents::Actor))
                .col(string_null(AuditEvents::Ip))
                .col(text_null(AuditEvents::Detail))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_at")
                .table(AuditEvents::Table)
                .col(AuditEvents::At)
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AuditEvents::Table.into_iden(),
            MailOutbox::Table.into_iden(),
            AccountPupils::Table.into_iden(),
            AccountGuardians::Table.into_iden(),
            ActivationCodes::Table.into_iden(),
            Accounts::Table.into_iden(),
            GuardianPupils::Table.into_iden(),
            Guardians::Table.into_iden(),
            Pupils::Table.into_iden(),
            Schools::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
