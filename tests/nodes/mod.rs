//! Several nodes (issue 7): real `sesame serve` processes on one PostgreSQL
//! database and one Redis (the machine's, whatever the run), behind a
//! round-robin proxy of the harness without stickiness. Journeys whose
//! requests land on different nodes, tickets and codes crossing nodes, the
//! throttle counted once, logout everywhere, Redis stopped and restarted
//! empty, a node killed, SIGTERM; an invariant check after each.

mod journeys;
mod outages;
mod redis_cluster;
mod redis_procs;
mod sentinel;

use crate::support::fixtures::{
    ENT as SERVICE, PASSWORD, generate_codes, pupil_code, register_ent, register_oidc_clients,
    sign_up_camille,
};
use crate::support::http::enc;
use crate::support::oidc::{TELESERVICE, authorize, code_in, exchange};
use crate::support::personas::{login_csrf, post_login};
use crate::support::{CAMILLE, OLIVIER, TestEnv, TestServer, csrf_of, free_port, log_in};
use reqwest::Client;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

struct Node {
    child: Option<Child>,
    url: String,
    /// The administration listener (`/metrics`).
    admin: String,
}

struct Cluster {
    env: TestEnv,
    nodes: Vec<Node>,
    proxy: String,
    log: crate::support::proxy::Log,
    /// Environment variables given to nodes started from now on.
    extra_env: Vec<(String, String)>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            if let Some(c) = n.child.as_mut() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// A client with no cookie jar of its own and short timeouts: every
/// answer must come back within 3 s (a dependency down means a quick 503).
fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(3))
        .build()
        .expect("client")
}

async fn wait_ready(url: &str, want: u16) {
    let c = client();
    for _ in 0..150 {
        if let Ok(r) = c.get(format!("{url}/readyz")).send().await
            && r.status().as_u16() == want
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url}/readyz never answered {want}");
}

impl Cluster {
    /// `n` nodes on a fresh database and key prefix, with Camille's pupil
    /// code generated; Redis at `redis` (default: the machine's).
    async fn start(n: usize, redis: Option<&str>) -> (Self, String) {
        Self::start_on(n, None, redis).await
    }

    /// Like [`Cluster::start`], on the PostgreSQL server `pg` (its admin
    /// URL) when given.
    async fn start_on(n: usize, pg: Option<&str>, redis: Option<&str>) -> (Self, String) {
        let (c, out) = Self::start_with_codes_on(n, pg, redis).await;
        (c, pupil_code(&out, "Camille MARTIN"))
    }

    /// Like [`Cluster::start`]; answers the `codes generate` output.
    async fn start_with_codes(n: usize, redis: Option<&str>) -> (Self, String) {
        Self::start_with_codes_on(n, None, redis).await
    }

    async fn start_with_codes_on(
        n: usize,
        pg: Option<&str>,
        redis: Option<&str>,
    ) -> (Self, String) {
        Self::start_in(TestEnv::shared_on(pg, redis), n).await
    }

    /// `n` nodes on `env` (its database and Redis settings); answers the
    /// `codes generate` output.
    async fn start_in(env: TestEnv, n: usize) -> (Self, String) {
        env.import_samples();
        let out = generate_codes(&env);
        register_ent(&env);
        register_oidc_clients(&env, &[]).await;
        let proxy = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let proxy_url = format!(
            "http://127.0.0.1:{}",
            proxy.local_addr().expect("addr").port()
        );
        let mut cluster = Self {
            env,
            nodes: Vec::new(),
            proxy: proxy_url.clone(),
            log: Default::default(),
            extra_env: Vec::new(),
        };
        for i in 0..n {
            let node = cluster.spawn(i);
            cluster.nodes.push(node);
        }
        for node in &cluster.nodes {
            wait_ready(&node.url, 200).await;
        }
        cluster.log = crate::support::proxy::start(
            proxy,
            cluster.nodes.iter().map(|n| n.url.clone()).collect(),
            None,
        )
        .await;
        (cluster, out)
    }

    fn spawn(&self, i: usize) -> Node {
        let (port, admin_port) = (free_port(), free_port());
        let log = std::fs::File::create(self.env.path().join(format!("node{i}.log"))).expect("log");
        let mut command = self.env.command();
        command.arg("serve");
        let child = command
            .env("SESAME__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "SESAME__SERVER__ADMIN_LISTEN",
                format!("127.0.0.1:{admin_port}"),
            )
            .env("SESAME__SERVER__PUBLIC_URL", format!("{}/", self.proxy))
            .env("SESAME__SERVER__ALLOW_INSECURE_HTTP", "true")
            .env(
                "SESAME__SERVER__SERVICES_DIR",
                self.env.path().join("services"),
            )
            .env("SESAME__SERVER__SHUTDOWN_GRACE_SECS", "5")
            // Mails stay in the outbox where the tests read their links: a
            // delivered mail is erased (REST-01). One round at start only.
            .env("SESAME__MAIL__POLL_SECONDS", "3600")
            .env("SESAME__DATABASE__CONNECT_TIMEOUT_SECS", "1")
            .env("SESAME__PASSWORD__ARGON2_MEMORY_KIB", "8192")
            .env("SESAME__PASSWORD__ARGON2_ITERATIONS", "1")
            .env("RUST_LOG", "info")
            .envs(self.extra_env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("sesame serve");
        Node {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            admin: format!("http://127.0.0.1:{admin_port}"),
        }
    }

    fn url(&self, i: usize) -> &str {
        &self.nodes[i].url
    }

    /// Stops node `i` with a signal (`KILL` or `TERM`); answers its exit.
    fn signal(&mut self, i: usize, sig: &str) -> std::process::ExitStatus {
        let mut child = self.nodes[i].child.take().expect("running");
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
        child.wait().expect("wait")
    }

    /// Accounts whose activation code is not marked used, or the reverse:
    /// a half-created account (must be none).
    async fn half_created(&self) -> i64 {
        self.env
            .count("SELECT COUNT(*) FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM activation_codes c WHERE c.used_by_account_id = a.id)")
            .await
            + self
                .env
                .count("SELECT COUNT(*) FROM activation_codes c WHERE c.used_by_account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = c.used_by_account_id)")
                .await
    }
}

/// Logs `browser` in as Camille, typing `password`, through `base`;
/// answers the status.
async fn login(browser: &Client, base: &str, password: &str) -> u16 {
    log_in(browser, base, &CAMILLE.with_password(password), &[])
        .await
        .status()
        .as_u16()
}

async fn status(browser: &Client, url: &str) -> u16 {
    browser
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .status()
        .as_u16()
}

/// A service ticket for Camille's session from node `base`.
async fn ticket(browser: &Client, base: &str) -> String {
    let r = browser
        .get(format!("{base}/cas/login?service={}", enc(SERVICE)))
        .send()
        .await
        .expect("cas login");
    let loc = r.headers()["location"].to_str().expect("ascii").to_owned();
    loc.split("ticket=").nth(1).expect("ticket").to_owned()
}

async fn validate(base: &str, ticket: &str) -> bool {
    client()
        .get(format!(
            "{base}/cas/p3/serviceValidate?ticket={ticket}&service={}",
            enc(SERVICE)
        ))
        .send()
        .await
        .expect("validate")
        .text()
        .await
        .expect("body")
        .contains("cas:authenticationSuccess")
}

/// A `redis-server` of the test's own, empty, on `port`; stopped when
/// dropped.
struct Redis {
    child: Child,
    /// Its working folder, removed with it.
    _dir: tempfile::TempDir,
}

impl Redis {
    fn start(port: u16) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.path().to_str().expect("utf8"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server; .ci/run installs it)");
        let r = Self { child, _dir: dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return r;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on {port}");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PostgreSQL server of the test's own (initdb as `postgres`, trust on
/// loopback), which the test stops and starts; stopped when dropped.
struct Postgres {
    dir: tempfile::TempDir,
    port: u16,
}

fn pg_bin(name: &str) -> std::path::PathBuf {
    let mut versions: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL binaries (apt-get install postgresql)")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("a PostgreSQL version")
        .join("bin")
        .join(name)
}

impl Postgres {
    fn as_postgres(args: &[&str]) -> std::process::Output {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .args(args)
            .output()
            .expect("runuser")
    }

    fn start() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("mkdir");
        Command::new("chown")
            .args([
                "-R",
                "postgres:postgres",
                dir.path().to_str().expect("utf8"),
            ])
            .status()
            .expect("chown");
        let out = Self::as_postgres(&[
            pg_bin("initdb").to_str().expect("utf8"),
            "-D",
            data.to_str().expect("utf8"),
            "-A",
            "trust",
            "-U",
            "postgres",
        ]);
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pg = Self {
            dir,
            port: free_port(),
        };
        pg.up();
        pg
    }

    fn ctl(&self, action: &[&str]) {
        let data = self.dir.path().join("data");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("pg.log");
        let mut args = vec![
            pg_bin("pg_ctl").to_str().expect("utf8").to_owned(),
            "-D".into(),
            data.to_str().expect("utf8").into(),
            "-o".into(),
            opts,
            "-l".into(),
            log.to_str().expect("utf8").into(),
            "-w".into(),
        ];
        args.extend(action.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = Self::as_postgres(&args);
        assert!(
            out.status.success(),
            "pg_ctl {action:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn up(&self) {
        self.ctl(&["start"]);
    }

    fn down(&self) {
        self.ctl(&["stop", "-m", "fast"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = Self::as_postgres(&[
            pg_bin("pg_ctl").to_str().expect("utf8"),
            "-D",
            data.to_str().expect("utf8"),
            "stop",
            "-m",
            "immediate",
        ]);
    }
}
