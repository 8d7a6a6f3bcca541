//! Several nodes (issue 7): real `sesame serve` processes on one PostgreSQL
//! database and one Redis (the machine's, whatever the run), behind a
//! round-robin proxy of the harness without stickiness. Journeys whose
//! requests land on different nodes, tickets and codes crossing nodes, the
//! throttle counted once, logout everywhere, Redis stopped and restarted
//! empty, a node killed, SIGTERM; an invariant check after each.

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
        let env = TestEnv::shared_on(pg, redis);
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

// The parent journey's pupil equivalent, each request on another node;
// a ticket issued on one node and validated on another (once); an OpenID
// Connect code obtained on one node and redeemed on another; logout on one
// node ends the session on all.
#[tokio::test(flavor = "multi_thread")]
async fn every_request_may_land_on_another_node() {
    let (c, code) = Cluster::start(3, None).await;
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    assert_eq!(login(&browser, &c.proxy, PASSWORD).await, 303);
    assert_eq!(status(&browser, &format!("{}/compte", c.proxy)).await, 200);
    let used: std::collections::HashSet<usize> =
        c.log.lock().expect("lock").iter().copied().collect();
    assert_eq!(used.len(), 3, "the journey went through every node");
    for n in 0..3 {
        assert_eq!(
            status(&browser, &format!("{}/compte", c.url(n))).await,
            200,
            "node {n}"
        );
    }

    // CAS: issued on node 0, validated on node 1, then never again.
    let t = ticket(&browser, c.url(0)).await;
    assert!(validate(c.url(1), &t).await);
    assert!(!validate(c.url(2), &t).await, "single use across nodes");
    // Invariant: one ticket validated at once on every node, 30 times:
    // exactly one success.
    let t = ticket(&browser, c.url(2)).await;
    let mut tries = Vec::new();
    for i in 0..30 {
        let (base, t) = (c.url(i % 3).to_owned(), t.clone());
        tries.push(tokio::spawn(async move { validate(&base, &t).await }));
    }
    let mut ok = 0;
    for t in tries {
        ok += usize::from(t.await.expect("join"));
    }
    assert_eq!(
        ok, 1,
        "a ticket is validated once, whichever nodes are asked"
    );

    // OpenID Connect: code from node 1, redeemed at node 2, userinfo at 0.
    let (r, verifier) = authorize(c.url(1), &browser, "teleservice", "openid", "").await;
    let (redeemed, tokens) = exchange(c.url(2), TELESERVICE, &code_in(&r), &verifier).await;
    assert_eq!(redeemed, 200, "{tokens}");
    let at = tokens["access_token"].as_str().expect("at");
    let r = client()
        .get(format!("{}/oidc/userinfo", c.url(0)))
        .bearer_auth(at)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(r.status(), 200);

    // Logout on node 2 (the form read on node 0): over on every node, and
    // the session's OpenID Connect tokens with it.
    let html = browser
        .get(format!("{}/", c.url(0)))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("body");
    let r = browser
        .post(format!("{}/deconnexion", c.url(2)))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .expect("logout");
    assert!(r.status().is_redirection() || r.status().is_success());
    for n in 0..3 {
        assert_eq!(
            status(&browser, &format!("{}/compte", c.url(n))).await,
            303,
            "node {n}"
        );
    }
    let r = client()
        .get(format!("{}/oidc/userinfo", c.url(1)))
        .bearer_auth(at)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(r.status(), 401);
    assert_eq!(c.half_created().await, 0);
    assert_eq!(c.env.count("SELECT COUNT(*) FROM accounts").await, 1);
    assert_eq!(
        c.env.count("SELECT COUNT(*) FROM signing_keys").await,
        1,
        "three nodes started together made one signing key"
    );
}

// The parent journey of the seed guide, each request on another node:
// account creation with an activation code, the confirmation link, the
// first login, the home page with the child.
#[tokio::test(flavor = "multi_thread")]
async fn the_parent_journey_with_each_request_on_another_node() {
    use crate::support::fixtures::{
        Signup, code_of, confirmation_links, follow_link, guardian_codes, sign_up,
    };
    let (c, out) = Cluster::start_with_codes(3, None).await;
    let codes = guardian_codes(&out);
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let remote = TestServer::remote(&c.proxy);
    let form = Signup::olivier(&jb);
    let (status, html) = sign_up(&remote, &form).await;
    assert_eq!(status, 200, "{html}");
    let link = confirmation_links(&crate::support::outbox(&c.env).await).remove(0);
    assert_eq!(follow_link(&remote, &link).await.0, 200);
    let browser = TestServer::browser();
    assert_eq!(
        log_in(&browser, &remote.url, &OLIVIER, &[]).await.status(),
        303
    );
    let home = browser
        .get(format!("{}/", c.proxy))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("body");
    assert!(home.contains("Jean-Baptiste"), "{home}");
    let used: std::collections::HashSet<usize> =
        c.log.lock().expect("lock").iter().copied().collect();
    assert_eq!(used.len(), 3, "the journey went through every node");
    assert_eq!(c.half_created().await, 0);
    assert_eq!(
        c.env
            .count("SELECT COUNT(*) FROM accounts WHERE state = 'active'")
            .await,
        1
    );
}

// AUTH-05 across nodes: ten wrong passwords spread over three nodes block
// the account once (one block, one unlock mail), not once per node.
#[tokio::test(flavor = "multi_thread")]
async fn ten_wrong_passwords_over_three_nodes_block_the_account_once() {
    let (c, code) = Cluster::start(3, None).await;
    sign_up_camille(&client(), &c.proxy, &code, PASSWORD).await;
    for i in 0..10 {
        assert_eq!(
            login(&client(), c.url(i % 3), "Mauvais-mot-2026").await,
            200
        );
    }
    // Blocked everywhere, even with the right password.
    for n in 0..3 {
        let b = client();
        assert_eq!(login(&b, c.url(n), PASSWORD).await, 200, "node {n}");
        assert_eq!(status(&b, &format!("{}/compte", c.url(n))).await, 303);
    }
    assert_eq!(
        c.env
            .count("SELECT COUNT(*) FROM audit_events WHERE kind = 'account_blocked'")
            .await,
        1
    );
    assert_eq!(
        c.env
            .count("SELECT COUNT(*) FROM mail_outbox WHERE subject LIKE '%bloqu%'")
            .await,
        1,
        "one unlock mail"
    );
}

// /metrics: the counters a node keeps, in the Prometheus text format, on
// its administration listener (REST-07).
#[tokio::test(flavor = "multi_thread")]
async fn each_node_exposes_prometheus_metrics() {
    let (c, code) = Cluster::start(1, None).await;
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    assert_eq!(login(&browser, c.url(0), "Mauvais-mot-2026").await, 200);
    assert_eq!(login(&browser, c.url(0), PASSWORD).await, 303);
    let t = ticket(&browser, c.url(0)).await;
    assert!(validate(c.url(0), &t).await);
    let text = TestServer::browser()
        .get(format!("{}/metrics", c.nodes[0].admin))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    for line in [
        "sesame_logins_total{outcome=\"failed\"} 1",
        "sesame_logins_total{outcome=\"success\"} 1",
        "sesame_cas_tickets_issued_total 1",
        "sesame_cas_validations_total{result=\"success\"} 1",
        "sesame_mail_queue{state=\"pending\"}",
        "sesame_http_requests_total{status=\"200\"}",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
}

// Redis down: quick 503 with Retry-After (never a node-local fallback),
// /readyz not ready; back by itself when Redis returns, empty: users log
// in again, no 500.
#[tokio::test(flavor = "multi_thread")]
async fn redis_stopped_and_started_again_empty() {
    let port = free_port();
    let redis = Redis::start(port);
    let url = format!("redis://127.0.0.1:{port}/");
    let (c, code) = Cluster::start(2, Some(&url)).await;
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    assert_eq!(login(&browser, &c.proxy, PASSWORD).await, 303);
    let t = ticket(&browser, c.url(0)).await;

    drop(redis);
    for n in 0..2 {
        let r = client()
            .get(format!("{}/readyz", c.url(n)))
            .send()
            .await
            .expect("an answer within 3 s");
        assert_eq!(r.status(), 503, "node {n} is not ready");
        assert!(r.headers().get("retry-after").is_some());
        let r = browser
            .get(format!("{}/compte", c.url(n)))
            .send()
            .await
            .expect("an answer within 3 s");
        assert_eq!(r.status(), 503, "/compte on node {n}");
        assert!(r.headers().get("retry-after").is_some());
        // The login form needs no store (stateless CSRF, CONC-05); its
        // submission does, and fails closed.
        let fresh = client();
        let csrf = login_csrf(&fresh, c.url(n), &CAMILLE, &[]).await;
        let r = post_login(&fresh, c.url(n), &CAMILLE, &csrf, &[]).await;
        assert_eq!(r.status(), 503, "login on node {n}");
        assert!(r.headers().get("retry-after").is_some());
        assert!(!validate(c.url(n), &t).await, "no ticket without the store");
    }

    let _redis = Redis::start(port);
    for n in 0..2 {
        wait_ready(c.url(n), 200).await;
    }
    // The store came back empty: the session is gone, log in again.
    assert_eq!(status(&browser, &format!("{}/compte", c.url(1))).await, 303);
    assert!(
        !validate(c.url(0), &t).await,
        "the ticket died with the store"
    );
    assert_eq!(login(&browser, &c.proxy, PASSWORD).await, 303);
    assert_eq!(status(&browser, &format!("{}/compte", c.proxy)).await, 200);
    assert_eq!(c.half_created().await, 0);
}

// A node killed mid-journey: the journey goes on through the others.
// SIGTERM: the node stops cleanly.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_node_does_not_stop_the_journey_and_sigterm_stops_cleanly() {
    let (mut c, code) = Cluster::start(3, None).await;
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    let csrf = login_csrf(&browser, &c.proxy, &CAMILLE, &[]).await;
    c.signal(1, "KILL");
    let r = post_login(&browser, &c.proxy, &CAMILLE, &csrf, &[]).await;
    assert_eq!(r.status(), 303, "the CSRF token and the login live on");
    for _ in 0..4 {
        assert_eq!(status(&browser, &format!("{}/compte", c.proxy)).await, 200);
    }
    let exit = c.signal(2, "TERM");
    assert!(exit.success(), "SIGTERM: a clean stop ({exit:?})");
    for _ in 0..3 {
        assert_eq!(status(&browser, &format!("{}/compte", c.proxy)).await, 200);
    }
    let t = ticket(&browser, &c.proxy.clone()).await;
    assert!(validate(c.url(0), &t).await);
    assert_eq!(c.half_created().await, 0);
}

// PostgreSQL restarted: 503 with Retry-After meanwhile (never a 500), the
// pools reconnect by themselves, and no account is half-written.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_restarted_gives_503_meanwhile_and_the_pools_reconnect() {
    let pg = Postgres::start();
    let (c, code) = Cluster::start_on(2, Some(&pg.url()), None).await;
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    assert_eq!(login(&browser, &c.proxy, PASSWORD).await, 303);

    pg.down();
    for n in 0..2 {
        let r = client()
            .get(format!("{}/readyz", c.url(n)))
            .send()
            .await
            .expect("an answer within 3 s");
        assert_eq!(r.status(), 503, "node {n}");
        assert!(r.headers().get("retry-after").is_some());
        // A page that reads the database: 503, not 500.
        let r = browser
            .get(format!("{}/compte", c.url(n)))
            .send()
            .await
            .expect("an answer within 3 s");
        assert_eq!(r.status(), 503, "/compte on node {n}");
        assert!(r.headers().get("retry-after").is_some());
    }
    // A login while the database is down: 503, and nothing written.
    let csrf = login_csrf(&browser, c.url(0), &CAMILLE, &[]).await;
    let r = post_login(&browser, c.url(1), &CAMILLE, &csrf, &[]).await;
    assert_eq!(r.status(), 503);

    pg.up();
    for n in 0..2 {
        wait_ready(c.url(n), 200).await;
    }
    for n in 0..2 {
        assert_eq!(
            status(&browser, &format!("{}/compte", c.url(n))).await,
            200,
            "node {n}"
        );
    }
    assert_eq!(login(&client(), &c.proxy, PASSWORD).await, 303);
    assert_eq!(c.half_created().await, 0);
}

// SIGTERM drains: logins already received when the signal comes (each an
// argon2id hash at the production cost, one at a time, so that they queue)
// all get their answer; the node then exits 0 and is gone.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_the_requests_in_flight_finish() {
    let (mut c, _) = Cluster::start(0, None).await;
    c.extra_env = vec![
        ("SESAME__PASSWORD__ARGON2_MEMORY_KIB".into(), "19456".into()),
        ("SESAME__PASSWORD__ARGON2_ITERATIONS".into(), "2".into()),
        ("SESAME__PASSWORD__MAX_CONCURRENT_HASHES".into(), "1".into()),
        (
            "SESAME__THROTTLE__IP_FAILURES_PER_MINUTE".into(),
            "1000".into(),
        ),
    ];
    let node = c.spawn(0);
    c.nodes.push(node);
    let base = c.url(0).to_owned();
    wait_ready(&base, 200).await;
    // Forms first (each browser its CSRF token), then the logins at once:
    // unknown identifiants, each hashed all the same (no enumeration).
    let mut forms = Vec::new();
    for i in 0..40 {
        let b = client();
        let csrf = login_csrf(&b, &base, &CAMILLE, &[]).await;
        forms.push((b, csrf, format!("personne.{i}")));
    }
    let signalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut logins = Vec::new();
    for (b, csrf, who) in forms {
        let (url, signalled) = (format!("{base}/connexion"), signalled.clone());
        logins.push(tokio::spawn(async move {
            let r = b
                .post(url)
                .timeout(Duration::from_secs(30))
                .form(
                    &CAMILLE
                        .with_identifiant(&who)
                        .with_password("Mauvais-mot-2026")
                        .login_fields(&csrf, &[]),
                )
                .send()
                .await;
            let after = signalled.load(std::sync::atomic::Ordering::SeqCst);
            r.map(|r| (r.status().as_u16(), after))
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let pid = c.nodes[0].child.as_ref().expect("running").id();
    signalled.store(true, std::sync::atomic::Ordering::SeqCst);
    let ok = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    let (mut after_signal, mut refused) = (0, 0);
    for l in logins {
        match l.await.expect("join") {
            Ok((status, after)) => {
                assert_eq!(status, 200, "a login in flight gets its (failed) answer");
                after_signal += usize::from(after);
            }
            // Not yet connected when the listener closed: never accepted.
            Err(e) if e.is_connect() => refused += 1,
            Err(e) => panic!("a request in flight was cut: {e}"),
        }
    }
    assert!(
        after_signal > 0,
        "requests in flight were answered after SIGTERM ({after_signal}; {refused} refused)"
    );
    let exit = c.nodes[0]
        .child
        .take()
        .expect("child")
        .wait()
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    assert!(
        client()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err(),
        "stopped"
    );
}
