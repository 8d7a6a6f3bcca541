//! A few connections held outside the pool for the hottest reads (a
//! userinfo request, a ticket validation, a token grant's account).
//!
//! Performance (issue 21): a statement through sqlx's pool pays an acquire
//! and, when the connection goes back, a ping (sqlx tests every returned
//! connection: a round trip to PostgreSQL, a hop to the connection's
//! thread on SQLite): a third of a userinfo request's CPU. A connection
//! held here goes back only after a statement that completed, so it needs
//! no test; one dropped mid-statement (a cancelled request) or that failed
//! is closed, never reused. A connection idle for a while is pinged first,
//! as the pool does.
//!
//! Only reads come here: when no held connection is free, or when one
//! fails, the statement runs again through the pool, whose answer (rows
//! or error) is the one given: an outage looks the same as without them.

use crate::db::DbKind;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, Connection};
use sea_orm::{QueryResult, Statement};
use sea_query_sqlx::SqlxValues;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How many connections are held (besides the pool's).
const HELD: usize = 4;

/// A held connection idle this long is pinged before it is used again
/// (the pool's rule, `db::PING_IF_IDLE`).
const PING_IF_IDLE: Duration = Duration::from_secs(5);

/// After a failed connection, how long the held connections are not tried
/// (the pool answers meanwhile): an outage must not cost each request a
/// connection attempt more.
const BACKOFF: Duration = Duration::from_secs(5);

enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Conn {
    async fn fetch_all(&mut self, st: &Statement) -> Result<Vec<QueryResult>, sqlx::Error> {
        let values = SqlxValues(st.values.clone().unwrap_or(sea_orm::Values(Vec::new())));
        let sql = sqlx::AssertSqlSafe(st.sql.as_str());
        Ok(match self {
            Conn::Sqlite(c) => sqlx::query_with(sql, values)
                .fetch_all(c)
                .await?
                .into_iter()
                .map(QueryResult::from)
                .collect(),
            Conn::Postgres(c) => sqlx::query_with(sql, values)
                .fetch_all(c)
                .await?
                .into_iter()
                .map(QueryResult::from)
                .collect(),
        })
    }

    async fn ping(&mut self) -> Result<(), sqlx::Error> {
        match self {
            Conn::Sqlite(c) => c.ping().await,
            Conn::Postgres(c) => c.ping().await,
        }
    }
}

/// The held connections of one database.
pub(crate) struct Direct {
    url: String,
    kind: DbKind,
    connect_timeout: Duration,
    idle: Mutex<Vec<(Conn, Instant)>>,
    /// Held connections that exist (idle or in use).
    open: AtomicUsize,
    /// Until when no connection is attempted.
    backoff: Mutex<Option<Instant>>,
}

/// A held connection in use, counted in `open` until it goes back to the
/// idle list; dropped otherwise (a failure, a cancelled request): closed
/// and no longer counted.
struct Lease<'a> {
    direct: &'a Direct,
    conn: Option<Conn>,
    counted: bool,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if self.counted {
            self.direct.open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Lease<'_> {
    fn give_back(mut self) {
        if let Some(c) = self.conn.take() {
            self.counted = false;
            lock(&self.direct.idle).push((c, Instant::now()));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Direct {
    pub(crate) fn new(url: &str, kind: DbKind, connect_timeout: Duration) -> Self {
        Self {
            url: url.to_owned(),
            kind,
            connect_timeout,
            idle: Mutex::new(Vec::with_capacity(HELD)),
            open: AtomicUsize::new(0),
            backoff: Mutex::new(None),
        }
    }

    /// The rows of the read `st` on a held connection, or `None` when none
    /// is free or it failed (the caller then asks the pool).
    pub(crate) async fn fetch_all(&self, st: &Statement) -> Option<Vec<QueryResult>> {
        let mut lease = self.lease().await?;
        let conn = lease.conn.as_mut()?;
        match conn.fetch_all(st).await {
            Ok(rows) => {
                lease.give_back();
                Some(rows)
            }
            // Dropped with the lease: closed, not reused.
            Err(_) => None,
        }
    }

    /// Closes the idle held connections (when the database closes).
    pub(crate) fn close(&self) {
        let n = {
            let mut idle = lock(&self.idle);
            let n = idle.len();
            idle.clear();
            n
        };
        self.open.fetch_sub(n, Ordering::AcqRel);
    }

    async fn lease(&self) -> Option<Lease<'_>> {
        loop {
            let Some((conn, since)) = lock(&self.idle).pop() else {
                break;
            };
            let mut lease = Lease {
                direct: self,
                conn: Some(conn),
                counted: true,
            };
            if since.elapsed() < PING_IF_IDLE {
                return Some(lease);
            }
            if let Some(c) = lease.conn.as_mut()
                && c.ping().await.is_ok()
            {
                return Some(lease);
            }
        }
        if lock(&self.backoff).is_some_and(|until| Instant::now() < until) {
            return None;
        }
        // A new one, within the limit.
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < HELD).then_some(n + 1)
            })
            .ok()?;
        let mut lease = Lease {
            direct: self,
            conn: None,
            counted: true,
        };
        match tokio::time::timeout(self.connect_timeout, self.connect()).await {
            Ok(Ok(c)) => {
                lease.conn = Some(c);
                Some(lease)
            }
            _ => {
                *lock(&self.backoff) = Some(Instant::now() + BACKOFF);
                None
            }
        }
    }

    async fn connect(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self.kind {
            DbKind::Sqlite => Conn::Sqlite(
                SqliteConnection::connect_with(
                    &SqliteConnectOptions::from_str(&self.url)?
                        .busy_timeout(Duration::from_secs(10))
                        .foreign_keys(true),
                )
                .await?,
            ),
            DbKind::Postgres => Conn::Postgres(
                PgConnection::connect_with(&PgConnectOptions::from_str(&self.url)?).await?,
            ),
        })
    }
}
