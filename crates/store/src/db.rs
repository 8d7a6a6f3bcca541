//! The relational database: connection, migrations, health.

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbErr, Statement};
use sea_orm_migration::MigratorTrait;
use sesame_migrations::Migrator;
use std::time::Duration;

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl DbKind {
    /// The engine a URL names, if Sésame supports it.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Options for opening the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// How long to wait for a connection before failing.
    pub connect_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// The database: a connection pool and the engine it talks to.
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    /// Connections held for the hottest reads ([`Database::read`]); none
    /// for an in-memory SQLite database (a new connection would open
    /// another one).
    direct: Option<std::sync::Arc<crate::direct::Direct>>,
    kind: DbKind,
    /// Its URL (which may hold a password: never printed).
    url: String,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The PostgreSQL advisory lock key of migrations ("sesame" in ASCII).
const MIGRATION_LOCK: i64 = 0x7365_7361_6d65;

/// What opening found of the schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaState {
    /// Migrations applied now.
    pub applied: usize,
    /// Migrations a newer release applied, all recorded as compatible with
    /// this one (a rollback or an old node during an upgrade).
    pub newer: Vec<String>,
}

/// Why the schema does not suit this binary.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Migrations are pending and this command does not migrate.
    #[error(
        "le schéma de la base n'est pas à jour : {} migration(s) en attente (dont {}). Lancez `sesame migrate` (ou démarrez `sesame serve` avec database.migrate = \"auto\")",
        .0.len(),
        .0.first().map(String::as_str).unwrap_or_default()
    )]
    Pending(Vec<String>),
    /// A newer release applied a migration this binary cannot run with.
    #[error(
        "la base a été migrée par une version plus récente de Sésame : la migration {0} n'est pas compatible avec cette version ({1}). Démarrez la version qui l'a appliquée, ou une plus récente"
    )]
    Incompatible(String, &'static str),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The versions recorded as applied (none before the first migration).
async fn applied_versions(conn: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let manager = sea_orm_migration::SchemaManager::new(conn);
    if !manager.has_table("seaql_migrations").await? {
        return Ok(Vec::new());
    }
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "version"))
        .collect()
}

/// The compatibility recorded for `versions`: (version, compatible).
async fn recorded(conn: &DatabaseConnection) -> Result<Vec<(String, bool)>, DbErr> {
    let manager = sea_orm_migration::SchemaManager::new(conn);
    if !manager.has_table("schema_compatibility").await? {
        return Ok(Vec::new());
    }
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT version, compatible FROM schema_compatibility",
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String>("", "version")?,
                r.try_get::<bool>("", "compatible")?,
            ))
        })
        .collect()
}

/// The migrations this binary knows, in order.
fn known() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// Compares the schema with this binary: the migrations it knows that are
/// pending, and those applied that it does not know (each checked against
/// the compatibility recorded).
async fn compare(conn: &DatabaseConnection) -> Result<(Vec<String>, Vec<String>), SchemaError> {
    let applied = applied_versions(conn).await?;
    let known = known();
    let pending: Vec<String> = known
        .iter()
        .filter(|k| !applied.contains(k))
        .cloned()
        .collect();
    let mut newer: Vec<String> = applied.into_iter().filter(|a| !known.contains(a)).collect();
    newer.sort();
    if !newer.is_empty() {
        let recorded = recorded(conn).await?;
        for n in &newer {
            match recorded.iter().find(|(v, _)| v == n) {
                Some((_, true)) => {}
                Some((_, false)) => {
                    return Err(SchemaError::Incompatible(
                        n.clone(),
                        "déclarée incompatible",
                    ));
                }
                None => {
                    return Err(SchemaError::Incompatible(
                        n.clone(),
                        "sa compatibilité n'est pas enregistrée",
                    ));
                }
            }
        }
    }
    Ok((pending, newer))
}

async fn check_schema(conn: &DatabaseConnection) -> Result<SchemaState, SchemaError> {
    let (pending, newer) = compare(conn).await?;
    if !pending.is_empty() {
        return Err(SchemaError::Pending(pending));
    }
    Ok(SchemaState { applied: 0, newer })
}

/// Migrates, the lock held: refuses a newer incompatible schema, accepts a
/// newer compatible one as it is, else applies what is pending and records
/// the compatibility of every migration this binary knows.
async fn migrate_locked(conn: &DatabaseConnection) -> Result<SchemaState, SchemaError> {
    let (pending, newer) = compare(conn).await?;
    if !newer.is_empty() {
        if let Some(p) = pending.first() {
            // Between two releases' histories: nothing safe to do.
            return Err(SchemaError::Incompatible(
                p.clone(),
                "en attente alors que la base a des migrations plus récentes",
            ));
        }
        return Ok(SchemaState { applied: 0, newer });
    }
    Migrator::up(conn, None).await?;
    for k in known() {
        let compatible = sesame_migrations::is_compatible(&k);
        let stmt = sea_orm::sea_query::Query::insert()
            .into_table(sea_orm::sea_query::Alias::new("schema_compatibility"))
            .columns([
                sea_orm::sea_query::Alias::new("version"),
                sea_orm::sea_query::Alias::new("compatible"),
            ])
            .values_panic([k.into(), compatible.into()])
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(sea_orm::sea_query::Alias::new("version"))
                    .update_column(sea_orm::sea_query::Alias::new("compatible"))
                    .to_owned(),
            )
            .to_owned();
        conn.execute(&stmt).await?;
    }
    Ok(SchemaState {
        applied: pending.len(),
        newer,
    })
}

/// An exclusive lock on a file beside the SQLite database, held while
/// migrating (released when dropped).
fn sqlite_lock(url: &str) -> Result<Option<std::fs::File>, DbErr> {
    if sqlite_in_memory(url) {
        return Ok(None);
    }
    let path = sqlite_path(url);
    let lock = format!("{path}.migrate-lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|e| DbErr::Custom(format!("cannot open {lock}: {e}")))?;
    f.lock()
        .map_err(|e| DbErr::Custom(format!("cannot lock {lock}: {e}")))?;
    Ok(Some(f))
}

/// Whether an SQLite URL names no file: each connection to it opens a
/// database of its own.
fn sqlite_in_memory(url: &str) -> bool {
    let path = sqlite_path(url);
    path.is_empty() || path == ":memory:" || url.contains("mode=memory")
}

fn sqlite_path(url: &str) -> &str {
    url.trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default()
}

/// A pooled connection idle this long is pinged before it is handed out.
const PING_IF_IDLE: Duration = Duration::from_secs(5);

impl Database {
    /// Opens the database at `url`. An SQLite file is created when missing,
    /// in WAL mode with a busy timeout so that concurrent writers wait
    /// instead of failing.
    pub async fn connect(url: &str, opts: &DbOptions) -> Result<Self, DbErr> {
        let kind = DbKind::of_url(url)
            .ok_or_else(|| DbErr::Custom(format!("unsupported database URL scheme in {url:?}")))?;
        if kind == DbKind::Sqlite {
            create_sqlite_parent_dir(url)?;
        }
        let mut co = ConnectOptions::new(url.to_owned());
        // No idle timeout nor lifetime: sqlx then runs no maintenance task.
        // That task's reaping loop counts idle connections with an atomic
        // that can wrap below zero under churn, and was seen spinning a
        // runtime worker forever (a test hung at 100 % CPU, stack in
        // `spawn_maintenance_tasks`). Connections stay open until the pool
        // closes; a broken one is found when it is next acquired after a
        // pause (a ping then), or by the query that fails on it (it is then
        // closed, not returned to the pool).
        //
        // Performance: the ping of every acquire (sqlx's default) doubled
        // the round trips of each query: a network one to PostgreSQL, a
        // hop to the connection's thread on SQLite (issue 21). A connection
        // idle for less than `PING_IF_IDLE` was just used successfully.
        co.max_connections(opts.max_connections)
            .test_before_acquire_if_idle_for(PING_IF_IDLE)
            .min_connections(0)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_timeout(opts.connect_timeout)
            .acquire_timeout(opts.connect_timeout)
            .sqlx_logging(false);
        if kind == DbKind::Sqlite {
            co.map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        }
        // Two processes opening a new SQLite file together: the first one
        // switches it to WAL while the other waits (the migration lock).
        let guard = if kind == DbKind::Sqlite {
            sqlite_lock(url)?
        } else {
            None
        };
        let conn = sea_orm::Database::connect(co).await;
        drop(guard);
        let conn = conn?;
        let in_memory = kind == DbKind::Sqlite && sqlite_in_memory(url);
        Ok(Self {
            conn,
            direct: (!in_memory).then(|| {
                std::sync::Arc::new(crate::direct::Direct::new(url, kind, opts.connect_timeout))
            }),
            kind,
            url: url.to_owned(),
        })
    }

    /// Brings the schema to what this binary needs (`apply`: migrating
    /// under a lock that two processes starting together share), or checks
    /// that it is (not `apply`: read-only commands never migrate). A schema
    /// migrated further by a newer release is accepted when every migration
    /// this binary does not know was recorded as compatible, and refused
    /// naming the first that was not.
    pub async fn prepare_schema(&self, apply: bool) -> Result<SchemaState, SchemaError> {
        let url = self.url.as_str();
        if !apply {
            return check_schema(&self.conn).await;
        }
        match self.kind {
            DbKind::Postgres => {
                // Security: the lock lives on one dedicated connection, which
                // also runs the migrations, so that no second process
                // migrates at the same time (issue 18 §1).
                let lock = sea_orm::Database::connect({
                    let mut co = ConnectOptions::new(url.to_owned());
                    co.max_connections(1).min_connections(1).sqlx_logging(false);
                    co
                })
                .await?;
                lock.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                    .await?;
                let r = migrate_locked(&lock).await;
                let _ = lock
                    .execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                    .await;
                let _ = lock.close().await;
                r
            }
            DbKind::Sqlite => {
                let lock = sqlite_lock(url)?;
                let r = migrate_locked(&self.conn).await;
                drop(lock);
                r
            }
        }
    }

    /// Answers whether the database responds to a trivial query.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn
            .execute_raw(Statement::from_string(
                self.conn.get_database_backend(),
                "SELECT 1",
            ))
            .await
            .map(|_| ())
    }

    /// The connection pool, for the repository functions.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// How an import loads its new rows: `COPY` on PostgreSQL, multi-row
    /// INSERTs on SQLite.
    pub fn bulk(&self) -> crate::bulk::Bulk {
        match self.kind {
            DbKind::Postgres => {
                crate::bulk::Bulk::copy(self.conn.get_postgres_connection_pool().clone())
            }
            DbKind::Sqlite => crate::bulk::Bulk::inserts(),
        }
    }

    /// The engine behind this database.
    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// The rows of the read `st`: on a connection held outside the pool
    /// when one is free (no acquire, no ping on release: issue 21), else
    /// through the pool. Only for single-statement reads: a held connection
    /// that fails is closed and the statement runs again on the pool.
    pub async fn read(&self, st: Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        if let Some(d) = &self.direct
            && let Some(rows) = d.fetch_all(&st).await
        {
            return Ok(rows);
        }
        self.conn.query_all_raw(st).await
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), DbErr> {
        if let Some(d) = &self.direct {
            d.close();
        }
        self.conn.close().await
    }
}

fn create_sqlite_parent_dir(url: &str) -> Result<(), DbErr> {
    if sqlite_in_memory(url) {
        return Ok(());
    }
    let path = sqlite_path(url);
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            DbErr::Custom(format!("cannot create directory {}: {e}", parent.display()))
        })?;
    }
    Ok(())
}

/// Starts write transactions the way SQLite needs them.
///
/// SQLite's default `BEGIN` is deferred: a transaction that reads first
/// and writes later must upgrade its read lock, and in WAL mode that
/// upgrade fails at once with `SQLITE_BUSY` (the busy timeout is not
/// consulted) when another connection wrote in between. Under concurrent
/// requests that surfaced as a rare 500. `BEGIN IMMEDIATE` takes the write
/// lock first, waiting under the busy timeout like any single statement.
/// PostgreSQL ignores the mode. Plain `begin` is refused by clippy
/// (`clippy.toml`) so that no write transaction starts deferred.
#[async_trait::async_trait]
pub trait WriteTxn: sea_orm::TransactionTrait {
    /// Begins a transaction that may write (`BEGIN IMMEDIATE` on SQLite).
    async fn begin_write(&self) -> Result<Self::Transaction, DbErr>;
}

#[async_trait::async_trait]
impl<C: sea_orm::TransactionTrait + Sync> WriteTxn for C {
    #[allow(clippy::disallowed_methods)]
    async fn begin_write(&self) -> Result<Self::Transaction, DbErr> {
        self.begin_with_options(sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    }
}
