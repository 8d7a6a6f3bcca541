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
pub mod bulk;
mod by_id;
pub mod campaigns;
pub mod codes;
pub mod consents;
pub mod db;
mod direct;
pub mod entity;
pub mod ephemeral;
pub mod federated;
pub mod held;
pub mod helpdesk;
pub mod identity;
pub mod keyed;
pub mod leavers;
pub mod outbox;
pub mod refresh_tokens;
pub mod reports;
pub mod school_data;
pub mod signing_keys;
pub mod sms;
pub mod tokens;

pub use db::{Database, DbKind, WriteTxn};
pub use ephemeral::{
    DEFAULT_MAX_ENTRIES, EphemeralError, EphemeralStore, Key, Ns, RedisTarget, Throttle, Verdict,
};
pub use keyed::KeyedHash;
pub use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, RuntimeErr, TransactionTrait};

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

impl StoreError {
    /// Whether the failure is a dependency that does not answer (Redis,
    /// a connection to the database, a database busy beyond its timeout),
    /// which a retry may cure: the web edge answers 503 with `Retry-After`.
    /// Anything else (a constraint, a bad row) is an internal error.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Ephemeral(_) => true,
            StoreError::Db(e) => db_unavailable(e),
        }
    }
}

/// Whether a database error means the database does not answer.
pub fn db_unavailable(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(_) | DbErr::Query(_) => {
            // SQLite's busy timeout and a pool that gave up surface as
            // statement errors: transient, like a lost connection.
            let text = e.to_string();
            text.contains("database is locked")
                || text.contains("pool timed out")
                || text.contains("connection")
        }
        _ => false,
    }
}
