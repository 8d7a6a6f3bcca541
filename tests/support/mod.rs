//! Test harness: a fresh database per test (an SQLite file, or a new
//! PostgreSQL database), a Redis key prefix per test, the `sesame` binary run
//! as a child process, and the server spawned in-process on a free port.

#![allow(dead_code)]

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod proxy;
pub mod samples;
pub mod serve;

/// The sample school's UAI.
pub const UAI: &str = "0999001W";

/// One test's world: a working directory, a database and a store prefix.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub database_url: String,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    pg_name: Option<String>,
    /// The PostgreSQL admin URL the database was created with.
    pg_admin: Option<String>,
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
            pg_name,
            pg_admin,
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
        c.env("RUST_LOG", "warn");
        c
    }

    /// Runs `sesame ARGS`.
    pub fn sesame(&self, args: &[&str]) -> Run {
        self.sesame_with(args, &[])
    }

    /// Runs `sesame ARGS` with extra environment variables.
    pub fn sesame_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
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
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
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

/// Activation codes printed by `sesame codes generate`.
pub fn printed_codes(stdout: &str) -> Vec<String> {
    stdout
        .split_whitespace()
        .filter(|w| w.len() == 15 && w.as_bytes()[4] == b'-' && w.as_bytes()[9] == b'-')
        .map(str::to_owned)
        .collect()
}

/// A server running in this process, on a free port.
pub struct TestServer {
    pub url: String,
    pub client: reqwest::Client,
    handle: tokio::task::JoinHandle<()>,
    /// The application served, when it runs in this process.
    app: Option<std::sync::Arc<sesame_service::App>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl TestServer {
    /// Starts the server on `env`'s database and store; `tweak` may change
    /// the configuration first.
    pub async fn spawn(env: &TestEnv, tweak: impl FnOnce(&mut sesame_service::Config)) -> Self {
        Self::spawn_with_clock(env, std::sync::Arc::new(sesame_domain::SystemClock), tweak).await
    }

    /// Like [`TestServer::spawn`], with a clock the test moves.
    pub async fn spawn_with_clock(
        env: &TestEnv,
        clock: std::sync::Arc<dyn sesame_domain::Clock>,
        tweak: impl FnOnce(&mut sesame_service::Config),
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        Self::spawn_on(env, listener, "127.0.0.1", clock, tweak).await
    }

    /// Like [`TestServer::spawn_with_clock`], on a listener bound
    /// beforehand (so that its URL is known before the configuration is
    /// written), reached as `http://{host}:{port}`.
    pub async fn spawn_on(
        env: &TestEnv,
        listener: tokio::net::TcpListener,
        host: &str,
        clock: std::sync::Arc<dyn sesame_domain::Clock>,
        tweak: impl FnOnce(&mut sesame_service::Config),
    ) -> Self {
        // SESAME_TEST_LOG=warn (an env filter) shows the servers' logs.
        if let Ok(filter) = std::env::var("SESAME_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let config = server_config(env, tweak);
        let app = sesame_service::App::init_with_clock(config, clock)
            .await
            .expect("app");
        let addr = listener.local_addr().expect("addr");
        let app = std::sync::Arc::new(app);
        let router = sesame_web::router(app.clone());
        let handle = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        let client = Self::browser();
        Self {
            url: format!("http://{host}:{}", addr.port()),
            client,
            handle,
            app: Some(app),
        }
    }

    /// The number of live entries in the server's ephemeral store (the
    /// in-process store's, or the Redis keys under the test's prefix).
    pub async fn store_entries(&self) -> usize {
        self.app
            .as_ref()
            .expect("a server in this process")
            .store
            .entry_count()
            .await
            .expect("store size")
    }

    /// A server started elsewhere (other processes behind a proxy), reached
    /// at `url` with a browser of its own.
    pub fn remote(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            client: Self::browser(),
            handle: tokio::spawn(async {}),
            app: None,
        }
    }

    /// A new browser: its own cookie jar, redirects not followed.
    pub fn browser() -> reqwest::Client {
        // The workspace builds reqwest without a bundled TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar)
            .build()
            .expect("client")
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request")
    }
}

/// The configuration the test servers run with, after `tweak`.
pub fn server_config(
    env: &TestEnv,
    tweak: impl FnOnce(&mut sesame_service::Config),
) -> sesame_service::Config {
    let mut base = sesame_service::Config::default();
    base.server.data_dir = env.path().join("data");
    base.database.url = env.database_url.clone();
    if let Some(r) = &env.redis_url {
        base.redis.url = r.clone();
        base.redis.key_prefix = env.redis_prefix.clone();
    }
    base.server.services_dir = env.path().join("services");
    base.server.public_url = "http://localhost/".parse().expect("url");
    base.server.allow_insecure_http = true;
    tweak(&mut base);
    sesame_service::Config::load(&sesame_service::ConfigSource {
        file: None,
        default_file: false,
        env: false,
        base: Some(base),
    })
    .expect("config")
}

/// The application itself (as a worker node runs it), on `env`'s database
/// and store, with a clock the test moves.
pub async fn worker_app(
    env: &TestEnv,
    clock: std::sync::Arc<dyn sesame_domain::Clock>,
    tweak: impl FnOnce(&mut sesame_service::Config),
) -> sesame_service::App {
    sesame_service::App::init_with_clock(server_config(env, tweak), clock)
        .await
        .expect("app")
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The CSRF token of the first form in a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("a form with a CSRF token");
    html[start..].split('"').next().expect("token").to_owned()
}

/// The unsent mails of the outbox as (recipient, subject, text body), oldest first.
pub async fn outbox(env: &TestEnv) -> Vec<(String, String, String)> {
    env.rows("SELECT recipient, subject, text_body FROM mail_outbox ORDER BY id")
        .await
        .into_iter()
        .map(|r| {
            let mut it = r.into_iter().map(Option::unwrap_or_default);
            (
                it.next().unwrap_or_default(),
                it.next().unwrap_or_default(),
                it.next().unwrap_or_default(),
            )
        })
        .collect()
}

/// The path and query of the first link to `path` in a text (a mail).
pub fn link_in(text: &str, path: &str) -> String {
    let start = text
        .find(&format!("{path}?code="))
        .unwrap_or_else(|| panic!("a {path} link in {text}"));
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .unwrap_or(rest.len());
    rest[..end].to_owned()
}

/// Decodes a quoted-printable body (soft line breaks and `=XX`).
pub fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && let Some(v) = joined
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How the test SMTP server treats one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Smtp {
    /// Accepts every message.
    Accept,
    /// Answers `421` at the greeting (a temporary failure) and closes.
    Busy,
    /// Refuses every recipient with `550` (a permanent failure).
    Reject,
    /// Accepts the connection and never says anything.
    Stall,
}

/// A real SMTP server for the tests: it speaks the protocol over TCP on
/// loopback and keeps every message it accepts.
pub struct SmtpServer {
    pub port: u16,
    pub received: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl SmtpServer {
    /// Starts the server on a free port.
    pub async fn start() -> Self {
        Self::scripted(|_| Smtp::Accept).await
    }

    /// Starts a server that treats the `n`th connection (from 0) as
    /// `script(n)` says.
    pub async fn scripted(script: impl Fn(usize) -> Smtp + Send + Sync + 'static) -> Self {
        Self::scripted_on(0, script).await
    }

    /// Like [`SmtpServer::scripted`], on a given port (0: any free one).
    pub async fn scripted_on(
        port: u16,
        script: impl Fn(usize) -> Smtp + Send + Sync + 'static,
    ) -> Self {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let script = std::sync::Arc::new(script);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = received.clone();
        let handle = tokio::spawn(async move {
            let mut n = 0;
            while let Ok((sock, _)) = listener.accept().await {
                let store = store.clone();
                let mode = script(n);
                n += 1;
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    match mode {
                        Smtp::Stall => {
                            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                            return;
                        }
                        Smtp::Busy => {
                            let _ = w.write_all(b"421 4.3.2 busy, try later\r\n").await;
                            return;
                        }
                        Smtp::Accept | Smtp::Reject => {}
                    }
                    let _ = w.write_all(b"220 test.local ESMTP\r\n").await;
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(d) = data.as_mut() {
                            if line == "." {
                                store.lock().expect("lock").push(std::mem::take(d));
                                data = None;
                                let _ = w.write_all(b"250 2.0.0 queued\r\n").await;
                            } else {
                                d.push_str(line.strip_prefix('.').unwrap_or(&line));
                                d.push_str("\r\n");
                            }
                            continue;
                        }
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-test.local\r\n250 8BITMIME\r\n",
                            "RCPT" if mode == Smtp::Reject => b"550 5.1.1 no such user\r\n",
                            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 2.0.0 ok\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                let _ = w.write_all(b"221 2.0.0 bye\r\n").await;
                                break;
                            }
                            _ => b"502 5.5.2 unknown\r\n",
                        };
                        let _ = w.write_all(reply).await;
                    }
                });
            }
        });
        Self {
            port,
            received,
            handle,
        }
    }

    /// The messages received so far.
    pub fn messages(&self) -> Vec<String> {
        self.received.lock().expect("lock").clone()
    }
}

/// Decodes an RFC 2047 header value (`=?utf-8?b?…?=` or `?q?` words).
pub fn decode_header(v: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    // Consecutive encoded words are one byte sequence (a character may be
    // split between two of them).
    let mut pending: Vec<u8> = Vec::new();
    for word in v.split_whitespace() {
        let parts: Vec<&str> = word.split('?').collect();
        if parts.len() == 5 && parts[0] == "=" && parts[4] == "=" {
            if pending.is_empty() && !out.is_empty() {
                out.push(' ');
            }
            if parts[2].eq_ignore_ascii_case("b") {
                pending.extend(
                    base64::engine::general_purpose::STANDARD
                        .decode(parts[3])
                        .unwrap_or_default(),
                );
            } else {
                pending.extend(decode_qp(&parts[3].replace('_', " ")).into_bytes());
            }
        } else {
            out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out
}

/// (To, Subject, plain-text part) of a raw message as received by SMTP.
pub fn parse_message(raw: &str) -> (String, String, String) {
    use base64::Engine;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    // Unfold continuation lines.
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
            .to_owned()
    };
    let to = header("To");
    let subject = decode_header(&header("Subject"));
    let start = body
        .find("Content-Type: text/plain")
        .expect("a text/plain part");
    let part = &body[start..];
    let (part_head, rest) = part.split_once("\r\n\r\n").unwrap_or((part, ""));
    let content = rest.split("\r\n--").next().unwrap_or_default();
    let text = if part_head.contains("base64") {
        let b64: String = content.split_whitespace().collect();
        String::from_utf8_lossy(
            &base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default(),
        )
        .into_owned()
    } else if part_head.contains("quoted-printable") {
        decode_qp(content)
    } else {
        content.to_owned()
    };
    (to, subject, text.replace("\r\n", "\n"))
}

/// A real SMTP server and a mail worker of the application sending to it:
/// tests read mails as a mailbox receives them.
pub struct MailSink {
    pub smtp: SmtpServer,
    app: sesame_service::App,
}

impl MailSink {
    /// Starts the SMTP server and a worker on `env`'s database.
    pub async fn start(env: &TestEnv) -> Self {
        Self::with_clock(env, std::sync::Arc::new(sesame_domain::SystemClock)).await
    }

    /// Like [`MailSink::start`], the worker on the test's clock.
    pub async fn with_clock(
        env: &TestEnv,
        clock: std::sync::Arc<dyn sesame_domain::Clock>,
    ) -> Self {
        let smtp = SmtpServer::start().await;
        let port = smtp.port;
        let app = worker_app(env, clock, |c| {
            c.mail.transport = sesame_service::config::MailTransport::Smtp;
            c.mail.smtp.host = "127.0.0.1".into();
            c.mail.smtp.port = port;
            c.mail.smtp.tls = sesame_service::config::SmtpTls::None;
        })
        .await;
        Self { smtp, app }
    }

    /// Delivers what is due, then answers every message received so far as
    /// (To, Subject, text), oldest first.
    pub async fn mails(&self) -> Vec<(String, String, String)> {
        let mailer = sesame_service::mailer::Mailer::new(&self.app.config).expect("mailer");
        while sesame_service::mailer::run_once(&self.app, &mailer)
            .await
            .expect("worker round")
            > 0
        {}
        self.smtp
            .messages()
            .iter()
            .map(|m| parse_message(m))
            .collect()
    }

    /// Waits until at least `n` messages were received.
    pub async fn wait(&self, n: usize) -> Vec<(String, String, String)> {
        for _ in 0..100 {
            let m = self.mails().await;
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the mailbox never held {n} mails: {:?}", self.mails().await);
    }
}

/// The Code Activation Élève `codes generate` printed for a pupil ("Prénom NOM").
pub fn pupil_code(stdout: &str, name: &str) -> String {
    stdout
        .lines()
        .find(|l| l.trim_start().starts_with(name) && l.contains("né(e) le"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no pupil code for {name} in {stdout}"))
        .to_owned()
}

/// Creates Camille MARTIN's pupil account (`camille.martin`, `password`)
/// through the pupil sign-up page of the server at `base`.
pub async fn sign_up_camille(c: &reqwest::Client, base: &str, code: &str, password: &str) {
    let html = c
        .get(format!("{base}/premiere-visite/eleve"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let r = c
        .post(format!("{base}/premiere-visite/eleve"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("prenom", "Camille"),
            ("naissance", "16/06/2013"),
            ("code", code),
            ("identifiant", "camille.martin"),
            ("password", password),
            ("password2", password),
            ("email", "camille@example.org"),
            ("email2", "camille@example.org"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200, "pupil sign-up");
}
