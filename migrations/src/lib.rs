//! Sésame's database schema: one migration history that runs unchanged on
//! SQLite and PostgreSQL. Add a new file for every change; never edit one
//! that has shipped.
//!
//! Rolling upgrades and rollbacks: a migration is *compatible* when the
//! release before it keeps working on the migrated schema (it only adds
//! tables, nullable columns or indexes: "expand"); one that removes or
//! changes what the previous release reads ("contract") is listed in
//! [`BREAKING`] and shipped a release after the code stopped using it.
//! Each binary records the compatibility of what it applies in the
//! `schema_compatibility` table, which older binaries read at start.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_initial;
mod m20261129_000002_account_tokens;
mod m20261129_000003_token_payload;
mod m20261129_000004_signing_keys;
mod m20261129_000005_oidc_consents;
mod m20261129_000006_federated_identities;
mod m20261201_000007_session_generation;
mod m20261201_000008_mail_erasure;
mod m20261201_000009_email_confirmation;
mod m20261201_000010_leavers;
mod m20261201_000011_confirmation_reminders;
mod m20261201_000012_federated_identifiants;
mod m20261201_000013_schema_compatibility;
mod m20261202_000015_identifiant_choice;
mod m20261202_000017_reports;
mod m20261202_000018_oidc_refresh_tokens;
mod m20261202_000021_renewal_campaigns;
mod m20261203_000022_account_language;
mod m20261203_000023_oidc_spent_codes;
mod m20261203_000024_sms;
mod m20261203_000025_keyed_hash_ids;
mod m20261203_000026_refresh_token_families;

/// The migrations the previous release cannot run against ("contract"
/// steps). Every migration not listed is compatible.
pub const BREAKING: &[&str] = &[
    // Upstream accounts get their released name as identifiant: a node of
    // the release before would still create them the old way.
    "m20261201_000012_federated_identifiants",
];

/// Whether the release before migration `name` still runs once it is
/// applied.
pub fn is_compatible(name: &str) -> bool {
    !BREAKING.contains(&name)
}

/// Runs Sésame's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_initial::Migration),
            Box::new(m20261129_000002_account_tokens::Migration),
            Box::new(m20261129_000003_token_payload::Migration),
            Box::new(m20261129_000004_signing_keys::Migration),
            Box::new(m20261129_000005_oidc_consents::Migration),
            Box::new(m20261129_000006_federated_identities::Migration),
            Box::new(m20261201_000007_session_generation::Migration),
            Box::new(m20261201_000008_mail_erasure::Migration),
            Box::new(m20261201_000009_email_confirmation::Migration),
            Box::new(m20261201_000010_leavers::Migration),
            Box::new(m20261201_000011_confirmation_reminders::Migration),
            Box::new(m20261201_000012_federated_identifiants::Migration),
            Box::new(m20261201_000013_schema_compatibility::Migration),
            Box::new(m20261202_000015_identifiant_choice::Migration),
            Box::new(m20261202_000017_reports::Migration),
            Box::new(m20261202_000018_oidc_refresh_tokens::Migration),
            Box::new(m20261202_000021_renewal_campaigns::Migration),
            Box::new(m20261203_000022_account_language::Migration),
            Box::new(m20261203_000023_oidc_spent_codes::Migration),
            Box::new(m20261203_000024_sms::Migration),
            Box::new(m20261203_000025_keyed_hash_ids::Migration),
            Box::new(m20261203_000026_refresh_token_families::Migration),
        ]
    }
}
