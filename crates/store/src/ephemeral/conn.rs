//! The connection to Redis, whichever way it is deployed: one server (or a
//! primary the operators fail over by hand), a primary watched by Sentinel,
//! or a Cluster. Each is a [`redis::aio::ConnectionLike`], so that every
//! operation of the store is written once.
//!
//! - One server: the crate's connection manager, which reconnects by itself.
//! - Sentinel: the primary is asked of the sentinels when there is no
//!   connection; a connection that fails (the primary died, or was demoted
//!   and answers `READONLY`) is dropped, so that the next command asks the
//!   sentinels again and reaches the new primary. The command that failed
//!   is not retried: its request answers 503, and the client tries again.
//! - Cluster: the crate's cluster connection, which follows `MOVED` and
//!   refreshes its slot map after a failover by itself.

use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::SentinelClient;
use redis::{AsyncConnectionConfig, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How Redis is deployed (`redis.url`, `redis.sentinels` or
/// `redis.cluster_nodes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// One server, `redis://HOST:PORT/DB` or `rediss://…`.
    Url(String),
    /// A primary named `master_name`, found through the sentinels
    /// (`HOST:PORT` each).
    Sentinel {
        /// The sentinels' addresses.
        sentinels: Vec<String>,
        /// The name the sentinels monitor the primary under.
        master_name: String,
    },
    /// A Redis Cluster, found through any of these nodes (`HOST:PORT`).
    Cluster {
        /// Some of the cluster's nodes.
        nodes: Vec<String>,
    },
}

/// `HOST:PORT` as a `redis://` URL (or `rediss://` with `tls`).
fn node_url(addr: &str, tls: bool) -> String {
    if addr.contains("://") {
        addr.to_owned()
    } else if tls {
        format!("rediss://{addr}/")
    } else {
        format!("redis://{addr}/")
    }
}

/// A connection to Redis, cheap to clone (clones share it).
#[derive(Clone)]
pub(super) enum Conn {
    Single(ConnectionManager),
    Sentinel(Arc<SentinelConn>),
    Cluster(Arc<ClusterConn>),
}

impl Conn {
    pub(super) fn sentinel(
        sentinels: &[String],
        master_name: &str,
        timeout: Duration,
    ) -> Result<Self, RedisError> {
        let urls: Vec<String> = sentinels.iter().map(|s| node_url(s, false)).collect();
        let client = SentinelClient::build(
            urls,
            master_name,
            None,
            redis::sentinel::SentinelServerType::Master,
        )?;
        Ok(Self::Sentinel(Arc::new(SentinelConn {
            client: tokio::sync::Mutex::new(client),
            current: Mutex::new(None),
            config: AsyncConnectionConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout)),
            timeout,
        })))
    }

    pub(super) fn cluster(nodes: &[String], timeout: Duration) -> Result<Self, RedisError> {
        let urls: Vec<String> = nodes.iter().map(|s| node_url(s, false)).collect();
        let client = ClusterClient::builder(urls)
            .connection_timeout(timeout)
            .response_timeout(timeout)
            .retries(2)
            .max_retry_wait(200)
            .build()?;
        Ok(Self::Cluster(Arc::new(ClusterConn {
            client,
            current: tokio::sync::Mutex::new(None),
            timeout,
        })))
    }

    /// The cluster connection, for commands that go to every primary.
    pub(super) async fn cluster_connection(&self) -> Result<Option<ClusterConnection>, RedisError> {
        match self {
            Self::Cluster(c) => c.connection().await.map(Some),
            _ => Ok(None),
        }
    }
}

fn timed_out() -> RedisError {
    RedisError::from((ErrorKind::Io, "timed out connecting to Redis"))
}

/// A primary found through Sentinel.
pub(super) struct SentinelConn {
    client: tokio::sync::Mutex<SentinelClient>,
    /// The connection to the current primary, and its number (so that a
    /// failure drops only the connection it happened on).
    current: Mutex<Option<(u64, MultiplexedConnection)>>,
    config: AsyncConnectionConfig,
    timeout: Duration,
}

impl SentinelConn {
    fn cached(&self) -> Option<(u64, MultiplexedConnection)> {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn connection(&self) -> Result<(u64, MultiplexedConnection), RedisError> {
        if let Some(c) = self.cached() {
            return Ok(c);
        }
        let mut client = self.client.lock().await;
        // Another caller may have connected while this one waited.
        if let Some(c) = self.cached() {
            return Ok(c);
        }
        // Asking the sentinels, then connecting, each within the timeout.
        let conn = tokio::time::timeout(
            self.timeout * 2,
            client.get_async_connection_with_config(&self.config),
        )
        .await
        .map_err(|_| timed_out())??;
        let mut slot = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let n = slot.as_ref().map_or(0, |(n, _)| n + 1);
        *slot = Some((n, conn.clone()));
        Ok((n, conn))
    }

    /// Drops connection `n` after `e`, unless `e` is an answer of a healthy
    /// primary (a script's error, a wrong type).
    fn after_error(&self, n: u64, e: &RedisError) {
        let healthy = matches!(
            e.kind(),
            ErrorKind::Server(
                redis::ServerErrorKind::ResponseError | redis::ServerErrorKind::NoScript
            ) | ErrorKind::UnexpectedReturnType
        );
        if healthy {
            return;
        }
        let mut slot = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|(m, _)| *m == n) {
            tracing::warn!(error = %e, "redis primary lost: asking the sentinels again");
            *slot = None;
        }
    }
}

/// A Redis Cluster, connected on first use.
pub(super) struct ClusterConn {
    client: ClusterClient,
    current: tokio::sync::Mutex<Option<ClusterConnection>>,
    timeout: Duration,
}

impl ClusterConn {
    async fn connection(&self) -> Result<ClusterConnection, RedisError> {
        let mut slot = self.current.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let conn = tokio::time::timeout(self.timeout * 2, self.client.get_async_connection())
            .await
            .map_err(|_| timed_out())??;
        *slot = Some(conn.clone());
        Ok(conn)
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Sentinel(s) => Box::pin(async move {
                let (n, mut c) = s.connection().await?;
                let r = c.req_packed_command(cmd).await;
                if let Err(e) = &r {
                    s.after_error(n, e);
                }
                r
            }),
            Self::Cluster(k) => Box::pin(async move {
                let mut c = k.connection().await?;
                c.req_packed_command(cmd).await
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(cmd, offset, count),
            Self::Sentinel(s) => Box::pin(async move {
                let (n, mut c) = s.connection().await?;
                let r = c.req_packed_commands(cmd, offset, count).await;
                if let Err(e) = &r {
                    s.after_error(n, e);
                }
                r
            }),
            Self::Cluster(k) => Box::pin(async move {
                let mut c = k.connection().await?;
                c.req_packed_commands(cmd, offset, count).await
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Sentinel(_) | Self::Cluster(_) => 0,
        }
    }
}
