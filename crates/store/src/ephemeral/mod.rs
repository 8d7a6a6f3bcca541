//! The shared ephemeral store: short-lived values with a time to live
//! (SSO sessions, CAS tickets, OIDC codes, CSRF tokens, throttle counters).
//!
//! Two implementations behind one type: in-process (the embedded default,
//! one node only) and Redis (several nodes). Every operation that must be
//! atomic across nodes is one Redis command: `SET NX PX` to issue a value
//! once, `GETDEL` to redeem it once, `INCR` + `PEXPIRE NX` for counters.
//!
//! Security: when Redis does not answer, operations fail (fail closed); there
//! is no node-local fallback that could issue a ticket twice.

mod conn;
mod key;
mod memory;
mod throttle;

pub use conn::RedisTarget;
pub use key::{Key, Ns};
pub use memory::MemoryStore;
pub use throttle::{Throttle, Verdict};

use conn::Conn;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sesame_domain::{Clock, SystemClock};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The in-process store's default capacity, in entries.
pub const DEFAULT_MAX_ENTRIES: usize = 1_000_000;

/// A failure of the ephemeral store (Redis unreachable or erroring).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EphemeralError(String);

impl EphemeralError {
    /// An error from a message.
    pub fn from_text(s: impl Into<String>) -> Self {
        Self(s.into())
    }
}

impl From<redis::RedisError> for EphemeralError {
    fn from(e: redis::RedisError) -> Self {
        Self(format!("redis: {e}"))
    }
}

/// The ephemeral store.
#[derive(Clone)]
pub enum EphemeralStore {
    /// Values held in this process.
    Memory(Arc<MemoryStore>),
    /// Values held in Redis under a key prefix.
    Redis(RedisStore),
}

impl std::fmt::Debug for EphemeralStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Memory(_) => f.write_str("EphemeralStore::Memory"),
            Self::Redis(r) => write!(f, "EphemeralStore::Redis(prefix={:?})", r.prefix),
        }
    }
}

impl EphemeralStore {
    /// An in-process store on the machine's clock.
    pub fn memory() -> Self {
        Self::memory_with_clock(Arc::new(SystemClock))
    }

    /// An in-process store whose times to live run on `clock` (the
    /// application's), so that a test moving the clock moves past every
    /// TTL too.
    pub fn memory_with_clock(clock: Arc<dyn Clock>) -> Self {
        Self::memory_bounded(clock, DEFAULT_MAX_ENTRIES)
    }

    /// An in-process store on `clock` holding at most `max_entries`
    /// entries: when full, expired entries are swept, then those closest
    /// to expiry are evicted (with a warning in the log).
    pub fn memory_bounded(clock: Arc<dyn Clock>, max_entries: usize) -> Self {
        Self::Memory(Arc::new(MemoryStore {
            entries: Mutex::default(),
            clock,
            max_entries: max_entries.max(1),
        }))
    }

    /// A Redis store at `url`, every key prefixed with `prefix`. The
    /// connection is made lazily, so that a node starts (and reports not
    /// ready) while Redis is down, and reconnects by itself.
    ///
    /// A `rediss://` URL speaks TLS (rustls, on the process's ring
    /// provider); the server's certificate is checked against `ca_pem`
    /// (PEM certificates of a private authority) when given, else against
    /// the system's authorities.
    pub fn redis(
        url: &str,
        prefix: &str,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, EphemeralError> {
        Self::redis_at(&RedisTarget::Url(url.to_owned()), prefix, timeout, ca_pem)
    }

    /// A Redis store deployed as `target` (one server, Sentinel or
    /// Cluster), every key prefixed with `prefix`; connected lazily, like
    /// [`EphemeralStore::redis`]. `ca_pem` is for a `rediss://` URL.
    pub fn redis_at(
        target: &RedisTarget,
        prefix: &str,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, EphemeralError> {
        let conn = match target {
            RedisTarget::Url(url) => {
                let client = match ca_pem {
                    Some(pem) => redis::Client::build_with_tls(
                        url.as_str(),
                        redis::TlsCertificates {
                            client_tls: None,
                            root_cert: Some(pem.to_vec()),
                        },
                    )?,
                    None => redis::Client::open(url.as_str())?,
                };
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(500));
                Conn::Single(ConnectionManager::new_lazy_with_config(client, config)?)
            }
            RedisTarget::Sentinel {
                sentinels,
                master_name,
            } => Conn::sentinel(sentinels, master_name, timeout)?,
            RedisTarget::Cluster { nodes } => Conn::cluster(nodes, timeout)?,
        };
        Ok(Self::Redis(RedisStore {
            conn,
            prefix: prefix.to_owned(),
        }))
    }

    /// Answers whether the store responds.
    pub async fn ping(&self) -> Result<(), EphemeralError> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Redis(r) => {
                let mut c = r.conn.clone();
                let _: String = redis::cmd("PING").query_async(&mut c).await?;
                Ok(())
            }
        }
    }

    /// Whether the values are held in this process.
    pub fn is_in_process(&self) -> bool {
        matches!(self, Self::Memory(_))
    }

    /// The number of live entries: in-process, those not expired; on Redis,
    /// the keys under this store's prefix (`SCAN`, which walks the whole
    /// keyspace: for tests and diagnostics, not for a request path).
    pub async fn entry_count(&self) -> Result<usize, EphemeralError> {
        match self {
            Self::Memory(m) => Ok(m.live()),
            Self::Redis(r) => {
                let pattern = format!("{}*", glob_escape(&r.prefix));
                // SCAN may give a key twice: count each once.
                let mut seen = std::collections::HashSet::new();
                match r.conn.cluster_connection().await? {
                    // A cluster: each primary holds its own slots.
                    Some(mut cluster) => {
                        for (host, port) in cluster_primaries(&mut cluster).await? {
                            let route = redis::cluster_routing::RoutingInfo::SingleNode(
                                redis::cluster_routing::SingleNodeRoutingInfo::ByAddress {
                                    host,
                                    port,
                                },
                            );
                            let mut cursor: u64 = 0;
                            loop {
                                let mut scan = redis::cmd("SCAN");
                                scan.arg(cursor).arg("MATCH").arg(&pattern);
                                scan.arg("COUNT").arg(1000);
                                let v = cluster.route_command(scan, route.clone()).await?;
                                let (next, keys): (u64, Vec<Vec<u8>>) = redis::from_redis_value(v)
                                    .map_err(|e| EphemeralError(format!("redis: {e}")))?;
                                seen.extend(keys);
                                if next == 0 {
                                    break;
                                }
                                cursor = next;
                            }
                        }
                        Ok(seen.len())
                    }
                    None => {
                        let mut c = r.conn.clone();
                        let mut cursor: u64 = 0;
                        loop {
                            let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                                .arg(cursor)
                                .arg("MATCH")
                                .arg(&pattern)
                                .arg("COUNT")
                                .arg(1000)
                                .query_async(&mut c)
                                .await?;
                            seen.extend(keys);
                            if next == 0 {
                                return Ok(seen.len());
                            }
                            cursor = next;
                        }
                    }
                }
            }
        }
    }

    /// Stores `value` under `key` for `ttl` unless the key exists; answers
    /// whether it was stored.
    pub async fn put_if_absent(
        &self,
        key: &Key,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, EphemeralError> {
        let key = key.as_str();
        match self {
            Self::Memory(m) => Ok(m.put(key, value, ttl, true)),
            Self::Redis(r) => {
                let mut c = r.conn.clone();
                let set: Option<String> = redis::cmd("SET")
                    .arg(r.key(key))
                    .arg(value)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl_ms(ttl))
                    .query_async(&mut c)
                    .await?;
                Ok(set.is_some())
            }
        }
    }

    /// Stores `value` under `key` for `ttl`, replacing any value.
    pub async fn put(&self, key: &Key, value: &[u8], ttl: Duration) -> Result<(), EphemeralError> {
        let key = key.as_str();
        match self {
            Self::Memory(m) => {
                m.put(key, value, ttl, false);
                Ok(())
            }
            Self::Redis(r) => {
                let mut c = r.conn.clone();
                let _: () = redis::cmd("SET")
                    .arg(r.key(key))
                    .arg(value)
                    .arg("PX")
                    .arg(ttl_ms(ttl))
                    .query_async(&mut c)
                    .await?;
                Ok(())
            }
        }
    }

    /// Reads the value under `key`.
    pub async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, EphemeralError> {
        let key = key.as_str();
        match self {
            Self::Memory(m) => Ok(m.get(key, false)),
            Self::Redis(r) => {
                let mut c = r.conn.clone();
                Ok(redis::cmd("GET")
                    .arg(r.key(key))
                    .query_async(&mut c)
                    .await?)
            }
        }
    }

    /// Reads the value under `key` and, when there is one, gives it `ttl`
    /// more to live (`GETEX`): one round trip for a sliding expiry.
    pub async fn get_touch(
        &self,
        key: &Key,
        ttl: Duration,
    ) -> Result<Option<Vec<u8>>, EphemeralError> {
        let key = key.as_str();
        match self {
            Self::Memory(m) => Ok(m.get_touch(key, ttl)),
            Self::Redis(r) => {
                let mut c = r.conn.clone();
                Ok(redis::cmd("GETEX")
                    .arg(r.key(key))
                    .arg("PX")
                    .arg(ttl_ms(ttl))
                    .query_async(&mut c)
                    .await?)
            }
        }
    }

    /// Appends `value` to the list under `key`, keeping its newest `cap`
    /// items, the list expiring `ttl` after this push (one round trip). An
    /// item equal to `value` is removed first: the list holds distinct
    /// items (a session that opens one client a hundred times keeps the
    /// other services it opened).
    pub async fn push_capped(
        &self,
        key: &Key,
        value: &[u8],
        cap: usize,
        ttl: Duration,
    ) -> Result<(), EphemeralError> {
        let key = key.as_str();
        match self {
            Self::Memory(m) => {
                m.push_capped(key, value, cap, ttl);
                Ok(())
            }
            Self::Redis(r) => {
                let mut c = r.conn.clone();
                let keep = i64::try_from(cap).unwrap_or(i64::MAX);
                let _: () = redis::pipe()
                    .atomic()
                    .cmd("LREM")
                    .arg(r.key(key))
                    .arg(0)
                    .arg(value)
                    .ignore()
                    .cmd("RPUSH")
                    .arg(r.key(key))
                    .arg(value)
                    .ignore()
                    .cmd("LTRIM")
                    .arg(r.key(key))
                    .arg(-keep)
                    .arg(-1)
                    .ignore()
                    .cmd("PEXPIRE")
                    .arg(r.key(key))
                    .arg(ttl_ms(ttl))
                    .ignore()
                    .query_async(&mut c)
                    .await?;
                Ok(())
            }
        }
    }

    /// Removes and returns the list under `key`, oldest first, atomically.
    pub async fn take_list(&self, key: &Key) -> Result<Vec<Vec<u8>>, EphemeralError> {
        let key = key.as_str();
        match self {
            Self::Memory(m) => Ok(m.take_list(key)),
            Self::Redis(r) => {
                let mut c = r.conn.clone();
                let (items,): (Vec<Vec<u8>>,) = redis::pipe()
                    .atomic()
                    .cmd("LRANGE")
                    .arg(r.key(key))
                    .arg(0)
                    .arg(-1)
                    .cmd("DEL")
                    .arg(r.key(key))
                    .ignore()
                    .query_async(&mut c)
                    .await?;
                Ok(items)
            }
        }
    }

    /// Removes and returns the value under `key`, atomically: of several
    /// concurrent callers, one at most gets it.
    pub async fn take(&self, key: &Key) -> Result<Option<Vec<u8>>, EphemeralError> {
        let key = key.as_str();
        match self {
            Self::Memory(m) => Ok(m.get(key, true)),
            Self::Redis(r) => {
                let mut c = r.conn.clone();
                Ok(redis::cmd("GETDEL")
                    .arg(r.key(key))
                    .query_async(&mut c)
                    .await?)
            }
        }
    }

    /// Removes the value under `key`.
    pub async fn delete(&self, key: &Key) -> Result<(), EphemeralError> {
        self.take(key).await.map(|_| ())
    }

    /// Reads the counter under `key` (0 when absent).
    pub async fn count(&self, key: &Key) -> Result<i64, EphemeralError> {
        Ok(self
            .get(key)
            .await?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0))
    }

    /// Adds one to the counter under `key` and returns the new count. The
    /// counter expires `ttl` after its first increment.
    pub async fn incr(&self, key: &Key, ttl: Duration) -> Result<i64, EphemeralError> {
        let key = key.as_str();
        match self {
            Self::Memory(m) => Ok(m.incr(key, ttl)),
            Self::Redis(r) => {
                let mut c = r.conn.clone();
                let (n,): (i64,) = redis::pipe()
                    .atomic()
                    .cmd("INCR")
                    .arg(r.key(key))
                    .cmd("PEXPIRE")
                    .arg(r.key(key))
                    .arg(ttl_ms(ttl))
                    .arg("NX")
                    .ignore()
                    .query_async(&mut c)
                    .await?;
                Ok(n)
            }
        }
    }

    /// Takes one back from the counter under `key` (a reservation made by
    /// [`EphemeralStore::incr`] that turned out not to count), never below
    /// zero and never creating the counter; answers the new count.
    pub async fn decr(&self, key: &Key) -> Result<i64, EphemeralError> {
        let key = key.as_str();
        match self {
            Self::Memory(m) => Ok(m.decr(key)),
            Self::Redis(r) => {
                let mut c = r.conn.clone();
                let script = redis::Script::new(
                    "local n = tonumber(redis.call('GET', KEYS[1]) or '0') \
                     if n > 0 then return redis.call('DECR', KEYS[1]) end \
                     return 0",
                );
                Ok(script.key(r.key(key)).invoke_async(&mut c).await?)
            }
        }
    }

    /// Takes a lease on `key` for `ttl` if nobody holds it, waiting up to
    /// `wait` for it (polling); answers whether it was taken. Several
    /// nodes use it to serialise work on one thing (one account's login
    /// attempts); a holder that dies loses its lease when `ttl` is over.
    pub async fn lease(
        &self,
        key: &Key,
        ttl: Duration,
        wait: Duration,
    ) -> Result<bool, EphemeralError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut pause = Duration::from_millis(5);
        loop {
            if self.put_if_absent(key, b"1", ttl).await? {
                return Ok(true);
            }
            if tokio::time::Instant::now() + pause > deadline {
                return Ok(false);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

/// `s` with Redis glob characters escaped, to match it literally.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The primaries of a cluster (`CLUSTER NODES`: `id host:port@bus flags …`).
async fn cluster_primaries(
    c: &mut redis::cluster_async::ClusterConnection,
) -> Result<Vec<(String, u16)>, EphemeralError> {
    let text: String = redis::cmd("CLUSTER").arg("NODES").query_async(c).await?;
    let mut out = Vec::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (Some(_), Some(addr), Some(flags)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if !flags.split(',').any(|x| x == "master") || flags.contains("fail") {
            continue;
        }
        let addr = addr.split('@').next().unwrap_or(addr);
        if let Some((host, port)) = addr.rsplit_once(':')
            && let Ok(port) = port.parse()
        {
            out.push((host.to_owned(), port));
        }
    }
    Ok(out)
}

/// The Redis implementation: a shared connection and a key prefix.
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    prefix: String,
}

impl RedisStore {
    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }
}
