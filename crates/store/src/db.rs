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
#[derive(Debug, Clone)]
pub struct Database {
    conn: DatabaseConnection,
    kind: DbKind,
}

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
        co.max_connections(opts.max_connections)
            .min_connections(0)
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
        let conn = sea_orm::Database::connect(co).await?;
        Ok(Self { conn, kind })
    }

    /// Opens the database and applies pending migrations.
    pub async fn connect_and_migrate(url: &str, opts: &DbOptions) -> Result<Self, DbErr> {
        let db = Self::connect(url, opts).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Applies the migrations not yet applied; returns how many ran.
    pub async fn migrate(&self) -> Result<usize, DbErr> {
        let pending = Migrator::get_pending_migrations(&self.conn).await?.len();
        Migrator::up(&self.conn, None).await?;
        Ok(pending)
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

    /// The engine behind this database.
    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}

fn create_sqlite_parent_dir(url: &str) -> Result<(), DbErr> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            DbErr::Custom(format!("cannot create directory {}: {e}", parent.display()))
        })?;
    }
    Ok(())
}
