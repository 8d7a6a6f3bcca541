//! One test's world: a working directory, a fresh database (an SQLite
//! file, or a new PostgreSQL database), a Redis key prefix, and the
//! `sesame` binary run as a child process on them.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::samples;

/// One test's world: a working directory, a database and a store prefix.
pub struct TestEnv {
    /// The working directory, removed with the world.
    pub dir: tempfile::TempDir,
    /// The database URL (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// The Redis URL, when the run uses Redis.
    pub redis_url: Option<String>,
    /// This test's key prefix in Redis.
    pub redis_prefix: String,
    /// Settings given to every command after the world's own (a Redis
    /// reached through Sentinel or as a Cluster instead of `redis_url`).
    pub extra_env: Vec<(String, String)>,
    pg_name: Option<String>,
    /// The PostgreSQL admin URL the database was created with.
    pg_admin: Option<String>,
    /// `sesame migrate` ran (once, before the first command that needs the
    /// schema: only `migrate` and `serve` migrate).
    migrated: std::sync::Once,
}

fn random_name() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "{:x}{:x}{}",
        nanos,
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// Runs a future on a fresh runtime on another thread (usable from sync
/// code, inside or outside a runtime).
pub fn block_on<F: std::future::Future + Send + 'static>(f: F) -> F::Output
where
    F::Output: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    })
    .join()
    .expect("thread")
}

impl TestEnv {
    /// A new, empty world.
    pub fn new() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self::build(
            var("SESAME_TEST_DATABASE_URL"),
            var("SESAME_TEST_REDIS_URL"),
        )
    }

    /// A world on PostgreSQL and Redis whatever the run (those of
    /// `SESAME_SHARED_*_URL`, else `SESAME_TEST_*_URL`, else the machine's),
    /// with `redis` instead when given: what several nodes share.
    pub fn shared(redis: Option<&str>) -> Self {
        Self::shared_on(None, redis)
    }

    /// Like [`TestEnv::shared`], on the PostgreSQL server `pg` (an admin
    /// URL) when given.
    pub fn shared_on(pg: Option<&str>, redis: Option<&str>) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self::build(
            Some(
                pg.map(str::to_owned)
                    .or_else(|| var("SESAME_SHARED_DATABASE_URL"))
                    .or_else(|| var("SESAME_TEST_DATABASE_URL"))
                    .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into()),
            ),
            Some(redis.map(str::to_owned).unwrap_or_else(|| {
                var("SESAME_SHARED_REDIS_URL")
                    .or_else(|| var("SESAME_TEST_REDIS_URL"))
                    .unwrap_or_else(|| "redis://127.0.0.1:6379/".into())
            })),
        )
    }

    fn build(pg_admin: Option<String>, redis_url: Option<String>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = format!("sesame_t_{}", random_name());
        let (database_url, pg_name) = match pg_admin.clone() {
            Some(admin) => {
                let admin2 = admin.clone();
                let n = name.clone();
                block_on(async move {
                    let db = Database::connect(&admin2)
                        .await
                        .expect("connect to PostgreSQL");
                    db.execute_unprepared(&format!("CREATE DATABASE {n}"))
                        .await
                        .expect("create database");
                });
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .unwrap_or(admin);
                (format!("{base}/{name}"), Some(name.clone()))
            }
            _ => (
                format!("sqlite://{}", dir.path().join("data/sesame.db").display()),
                None,
            ),
        };
        Self {
            dir,
            database_url,
            redis_url,
            redis_prefix: format!("t:{name}:"),
            extra_env: Vec::new(),
            pg_name,
            pg_admin,
            migrated: std::sync::Once::new(),
        }
    }

    /// Moves this test's ephemeral store `by` into the future, as a test
    /// moves the application clock: on Redis, every key of the test
    /// expires as it would have by then (the in-process store follows the
    /// application clock by itself).
    pub async fn advance_store(&self, by: std::time::Duration) {
        let Some(url) = &self.redis_url else {
            return;
        };
        let client = redis::Client::open(url.as_str()).expect("redis URL");
        let mut c = client
            .get_multiplexed_async_connection()
            .await
            .expect("redis");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.redis_prefix))
            .query_async(&mut c)
            .await
            .expect("KEYS");
        let by = i64::try_from(by.as_millis()).expect("duration");
        for k in keys {
            let left: i64 = redis::cmd("PTTL")
                .arg(&k)
                .query_async(&mut c)
                .await
                .expect("PTTL");
            if left < 0 {
                continue;
            }
            let cmd = if left <= by {
                redis::cmd("DEL").arg(&k).clone()
            } else {
                redis::cmd("PEXPIRE").arg(&k).arg(left - by).clone()
            };
            let _: i64 = cmd.query_async(&mut c).await.expect("expire");
        }
    }

    /// Empties this test's ephemeral store, as a Redis restart without
    /// persistence (or a `FLUSHDB`) would: on Redis, every key under the
    /// test's prefix is deleted (the other tests' keys are left alone); the
    /// in-process store empties when its server restarts
    /// ([`crate::support::TestServer::spawn_with_clock`] again on this
    /// world).
    pub async fn flush_store(&self) {
        let Some(url) = &self.redis_url else {
            return;
        };
        let client = redis::Client::open(url.as_str()).expect("redis URL");
        let mut c = client
            .get_multiplexed_async_connection()
            .await
            .expect("redis");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.redis_prefix))
            .query_async(&mut c)
            .await
            .expect("KEYS");
        for k in keys {
            let _: i64 = redis::cmd("DEL")
                .arg(&k)
                .query_async(&mut c)
                .await
                .expect("DEL");
        }
    }

    /// Whether this run uses PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.pg_name.is_some()
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file in the working directory and returns its path.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, bytes).expect("write");
        p
    }

    /// A `sesame` command with this world's database and store.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sesame"));
        c.current_dir(self.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("SESAME") {
                c.env_remove(k);
            }
        }
        c.env("SESAME__SERVER__DATA_DIR", self.path().join("data"));
        c.env("SESAME__DATABASE__URL", &self.database_url);
        // Every `serve` of a test gets its own administration port.
        c.env("SESAME__SERVER__ADMIN_LISTEN", "127.0.0.1:0");
        if let Some(r) = &self.redis_url {
            c.env("SESAME__REDIS__URL", r);
            c.env("SESAME__REDIS__KEY_PREFIX", &self.redis_prefix);
        }
        c.envs(self.extra_env.iter().map(|(k, v)| (k, v)));
        c.env("RUST_LOG", "warn");
        c
    }

    /// Runs `sesame ARGS`.
    pub fn sesame(&self, args: &[&str]) -> Run {
        self.sesame_with(args, &[])
    }

    /// Runs `sesame ARGS` with extra environment variables.
    pub fn sesame_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        // Like an administrator after an install: `sesame migrate` first,
        // once (its failures are the command's own to report).
        let needs_schema = !matches!(
            args.first().copied(),
            Some("migrate" | "serve" | "demo" | "check-config" | "secret" | "selftest")
        );
        if needs_schema {
            self.migrated.call_once(|| {
                let mut m = self.command();
                m.arg("migrate");
                for (k, v) in env {
                    m.env(k, v);
                }
                let _ = m.output();
            });
        }
        self.sesame_unmigrated(args, env)
    }

    /// Runs `sesame ARGS` with extra environment variables, without
    /// migrating first.
    pub fn sesame_unmigrated(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.command();
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        Run(c.output().expect("run sesame"))
    }

    /// Imports the two sample files.
    pub fn import_samples(&self) -> Run {
        let p = self.write("in/ElevesSansAdresses.xml", samples::PUPILS);
        let g = self.write("in/ResponsablesAvecAdresses.xml", samples::GUARDIANS);
        let r = self.sesame(&[
            "import",
            p.to_str().expect("utf8"),
            g.to_str().expect("utf8"),
        ]);
        r.ok();
        r
    }

    /// Opens the database, to check what was stored.
    pub async fn db(&self) -> DatabaseConnection {
        Database::connect(&self.database_url)
            .await
            .expect("connect")
    }

    /// Runs a query returning one integer.
    pub async fn count(&self, sql: &str) -> i64 {
        let db = self.db().await;
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .expect("query")
            .expect("one row");
        let n: i64 = row.try_get_by_index(0).expect("integer");
        close(db).await;
        n
    }

    /// Runs a query returning rows of text columns.
    pub async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let db = self.db().await;
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .expect("query");
        let out = rows
            .iter()
            .map(|r| {
                (0..)
                    .map_while(|i| r.try_get_by_index::<Option<String>>(i).ok())
                    .collect()
            })
            .collect();
        close(db).await;
        out
    }
}

/// Closes a test's connection. sqlx's `close` waits for its pool's
/// maintenance task, which was once seen spinning under a loaded suite:
/// never wait more than two seconds for it (dropping closes anyway).
async fn close(db: DatabaseConnection) {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), db.close()).await;
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if let (Some(name), Some(admin)) = (self.pg_name.clone(), self.pg_admin.clone()) {
            block_on(async move {
                if let Ok(db) = Database::connect(&admin).await {
                    let _ = db
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        }
    }
}

/// The outcome of a `sesame` run.
pub struct Run(pub Output);

impl Run {
    /// The exit code (-1 when killed by a signal).
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    /// What the run printed on stdout.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    /// What the run printed on stderr.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(
            self.code(),
            0,
            "sesame failed.\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self.stdout()
    }
    /// Asserts the exit code and returns stderr.
    #[track_caller]
    pub fn fails_with(&self, code: i32) -> String {
        assert_eq!(
            self.code(),
            code,
            "unexpected exit code.\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self.stderr()
    }
}
