//! Sésame's database schema: one migration history that runs unchanged on
//! SQLite and PostgreSQL. Add a new file for every change; never edit one
//! that has shipped.

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
mod m20261201_000012_federated_identifiants;

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
            Box::new(m20261201_000012_federated_identifiants::Migration),
        ]
    }
}
