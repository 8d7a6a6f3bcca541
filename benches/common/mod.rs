//! What the HTTP benchmarks share: an `App` in a temporary folder, one
//! active account with an open SSO session, the router on loopback, and
//! latency percentiles.
#![allow(dead_code)]

pub mod server;
pub mod siecle;

use sesame_service::config::ServiceDef;
use sesame_service::session::{self, Session};
use sesame_service::{App, Config, ConfigSource};
use sesame_store::accounts::{self, NewAccount};
use std::sync::Arc;
use std::time::Duration;

pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An app on SQLite in `dir`, with the in-process store or Redis, and
/// these registered services.
pub async fn app(
    dir: &std::path::Path,
    redis: Option<&str>,
    services: Vec<ServiceDef>,
) -> Arc<App> {
    let mut base = Config::default();
    base.server.data_dir = dir.to_path_buf();
    base.server.services_dir = dir.join("services");
    base.server.public_url = "http://localhost/".parse().expect("url");
    base.server.allow_insecure_http = true;
    if let Some(r) = redis {
        base.redis.url = r.to_owned();
        base.redis.key_prefix = format!("bench:{}:", std::process::id());
        // Sentinel or Cluster instead of the one server (issue 19):
        // comma-separated HOST:PORT lists.
        let list = |k: &str| {
            std::env::var(k)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| v.split(',').map(str::to_owned).collect::<Vec<_>>())
        };
        if let Some(sentinels) = list("SESAME_BENCH_REDIS_SENTINELS") {
            base.redis.url.clear();
            base.redis.sentinels = sentinels;
            base.redis.master_name =
                std::env::var("SESAME_BENCH_REDIS_MASTER_NAME").unwrap_or_else(|_| "sesame".into());
        } else if let Some(nodes) = list("SESAME_BENCH_REDIS_CLUSTER_NODES") {
            base.redis.url.clear();
            base.redis.cluster_nodes = nodes;
        }
    }
    let mut config = Config::load(&ConfigSource {
        file: None,
        default_file: false,
        env: false,
        base: Some(base),
    })
    .expect("config");
    config.services.extend(services);
    Arc::new(App::init(config).await.expect("app"))
}

/// An active pupil account and an open SSO session: (account id, cookie).
pub async fn account_with_session(app: &App) -> (i32, String) {
    let now = app.clock.now();
    let account = accounts::insert(
        app.db.conn(),
        NewAccount {
            identifiant: "bench.user".into(),
            identifiant_display: "bench.user".into(),
            password_hash: "unused".into(),
            email: Some("bench@example.org".into()),
            state: sesame_domain::AccountState::Active,
            kind: sesame_domain::AccountKind::Eleve,
            joint: false,
            language: sesame_domain::Language::Fr,
        },
        now,
    )
    .await
    .expect("account");
    let token = session::open(
        app,
        &Session {
            account_id: account.id,
            identifiant: "bench.user".into(),
            kind: sesame_domain::AccountKind::Eleve,
            profile: "eleve".into(),
            auth_time: now.unix_timestamp(),
            generation: 0,
            must_change: None,
            sid: session::new_token(),
            upstream: None,
        },
    )
    .await
    .expect("session");
    (account.id, token)
}

/// Serves the router on a loopback port; answers its base URL.
pub async fn serve(app: Arc<App>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = sesame_web::router(app);
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    format!("http://{addr}")
}

pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The Redis URL of `SESAME_BENCH_REDIS_URL` (default the local one), if
/// it answers.
pub fn redis() -> Option<String> {
    let redis = std::env::var("SESAME_BENCH_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let answers = url::Url::parse(&redis)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port().unwrap_or(6379))))
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
        .is_some_and(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok());
    if !answers {
        println!("Redis does not answer at {redis}: skipped");
    }
    answers.then_some(redis)
}

/// A free loopback port (for a server a bench spawns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// An HTTP client that does not follow redirects (a bench reads them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The CSRF token of a form page (empty when there is none).
pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// The CPU time process `pid` used (user + system), in milliseconds, read
/// from `/proc/<pid>/stat`: the server's own cost, not the client's.
pub fn cpu_ms(pid: u32) -> f64 {
    stat_cpu_ms(&std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default())
}

/// The context switches (voluntary and not) of a process's live threads,
/// from `/proc/PID/task/*/status`: a thread that ended meanwhile takes its
/// own with it, so a count over a period is a lower bound.
pub fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// The CPU milliseconds (utime + stime) of a `/proc/…/stat` line, of a
/// process or of one of its threads (`/proc/PID/task/TID/stat`).
pub fn stat_cpu_ms(stat: &str) -> f64 {
    // The fields after the command name (which may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 here.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    ticks as f64 * 10.0 // USER_HZ is 100 on Linux
}

/// Runs `op` on `threads` threads at once for `for_`: (operations done in
/// all, seconds elapsed).
pub fn on_threads(threads: usize, for_: Duration, op: impl Fn() + Sync) -> (u64, f64) {
    let start = std::time::Instant::now();
    let total = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while start.elapsed() < for_ {
                        op();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    (total, start.elapsed().as_secs_f64())
}

/// A new database `name` on the PostgreSQL server of
/// `SESAME_BENCH_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/test):
/// its URL, or `None` (said) when the server does not answer. [`drop_pg`]
/// removes it.
pub async fn fresh_pg(name: &str) -> Option<String> {
    use sea_orm::ConnectionTrait;
    let admin = pg_admin();
    match sea_orm::Database::connect(&admin).await {
        Ok(db) => {
            db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
        }
        Err(e) => {
            println!("PostgreSQL does not answer at {admin}: skipped ({e})");
            return None;
        }
    }
    let base = admin
        .rsplit_once('/')
        .map_or(admin.clone(), |(b, _)| b.to_owned());
    Some(format!("{base}/{name}"))
}

/// Drops the database `name` made by [`fresh_pg`].
pub async fn drop_pg(name: &str) {
    use sea_orm::ConnectionTrait;
    if let Ok(db) = sea_orm::Database::connect(&pg_admin()).await {
        let _ = db
            .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await;
    }
}

fn pg_admin() -> String {
    std::env::var("SESAME_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}
