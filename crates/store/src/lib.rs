//! Sésame's storage.
//!
//! - [`db`]: the relational database (SQLite by default, PostgreSQL in
//!   production) through sea-orm, with the migrations of `sesame-migrations`.
//! - [`school_data`] and [`codes`]: the repository functions the use cases call.
//! - [`ephemeral`]: the shared short-lived store (in-process or Redis) for
//!   sessions, tickets, codes and counters.
//!
//! Architecture invariant: this crate knows nothing of HTTP or of the
//! configuration file; it is given URLs and options.

pub mod accounts;
pub mod codes;
pub mod consents;
pub mod db;
pub mod entity;
pub mod ephemeral;
pub mod federated;
pub mod identity;
pub mod outbox;
pub mod school_data;
pub mod signing_keys;
pub mod tokens;

pub use db::{Database, DbKind};
pub use ephemeral::{DEFAULT_MAX_ENTRIES, EphemeralError, EphemeralStore};
pub use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionTrait};

/// A storage failure: the database or the ephemeral store did not answer as
/// expected. Its text is for logs, never for a browser.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] DbErr),
    /// The ephemeral store failed.
    #[error("ephemeral store: {0}")]
    Ephemeral(#[from] EphemeralError),
}
