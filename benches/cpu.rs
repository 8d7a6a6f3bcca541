//! What each operation costs the server: a `sesame serve` process (the
//! binary of this build, or `SESAME_BIN`) with the sample school imported,
//! on SQLite then on PostgreSQL (in-process store), and on PostgreSQL with
//! Redis when `SESAME_BENCH_REDIS_URL` is set. For each cell, the server's
//! CPU milliseconds per operation (utime + stime of /proc/PID/stat: the
//! server's own cost, not the load generator's) and the operations per
//! second:
//!
//! - discovery and JWKS;
//! - `/oidc/userinfo` (scope `openid profile`: names, schools, classes,
//!   children) and CAS `/cas/p3/serviceValidate` (attributes `uid`, names,
//!   `uai`, `classes`, `children`, `children_qualified`), for a pupil and
//!   for a parent of two children;
//! - a full OIDC flow with an open SSO session: authorize → token
//!   (client_secret_basic, PKCE, RS256 ID token) → userinfo;
//! - refresh grants, each worker rotating its own token;
//! - password logins through the form (page, then POST), next to the raw
//!   argon2id rate of the machine (production parameters, every core)
//!   measured in the same run: the CPU a login spends besides its hash,
//!   and the logins per second as a share of the raw hash rate;
//! - the raw RS256 signing rate of Sésame's signer (aws-lc-rs) on every
//!   core, for the token cells.
//!
//! Run: `cargo bench --bench cpu` (`--profile dev` to reuse a debug build;
//! then `SESAME_BIN=target/release/sesame` measures the release server).
//! `SESAME_BENCH_REQUESTS` (default 4000 per cell; a tenth of it for flows,
//! refresh grants and logins) and `SESAME_BENCH_CONCURRENCY` (default 8)
//! tune it; `SESAME_BENCH_ONLY=sqlite|postgresql|redis` runs one world;
//! PostgreSQL from `SESAME_BENCH_DATABASE_URL` (default
//! postgres://postgres@127.0.0.1:5432/test, a fresh database is created in
//! it). Linux only (reads /proc).

mod common;

use base64::Engine;
use common::server::{self, SERVICE, World};
use common::{client, context_switches, cpu_ms, env_num, on_threads, stat_cpu_ms};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Server CPU milliseconds per operation and operations per second of
/// `work`, which performs `n` operations.
async fn timed(pid: u32, n: usize, work: impl Future<Output = ()>) -> (f64, f64) {
    callgrind(pid, "--zero", n);
    let (cpu0, switches0) = (cpu_ms(pid), context_switches(pid));
    let t0 = Instant::now();
    work.await;
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = (cpu_ms(pid) - cpu0) / n as f64;
    let switches = context_switches(pid).saturating_sub(switches0);
    *LAST_SWITCHES.lock().expect("lock") = Some(switches as f64 / n as f64);
    callgrind(pid, "--dump", n);
    (cpu, n as f64 / elapsed)
}

/// The server's context switches per operation in the cell just measured
/// (its threads' hand-overs: sqlx runs each SQLite connection on a thread
/// of its own), for [`line`]: the kernel's share, which neither the
/// instruction counts nor a user-space profile show.
static LAST_SWITCHES: std::sync::Mutex<Option<f64>> = std::sync::Mutex::new(None);

/// With `SESAME_BENCH_CALLGRIND` set, the server runs under valgrind's
/// callgrind (`SESAME_BIN` a wrapper: see docs/benchmarks.md): its
/// instruction counts are zeroed before a cell and dumped after it, and
/// the instructions per operation printed. Unlike CPU time, they do not
/// move with the machine's load or speed (but leave out the kernel).
fn callgrind(pid: u32, what: &str, n: usize) {
    let Some(dir) = std::env::var_os("SESAME_BENCH_CALLGRIND") else {
        return;
    };
    let ok = std::process::Command::new("callgrind_control")
        .args([what, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "callgrind_control {what} {pid}");
    if what != "--dump" {
        return;
    }
    // The newest dump of this process: `<file>.<pid>.<k>`.
    let newest = std::fs::read_dir(&dir)
        .expect("SESAME_BENCH_CALLGRIND: a folder")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains(&format!(".{pid}."))
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok());
    let total = newest
        .and_then(|e| std::fs::read_to_string(e.path()).ok())
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("summary: "))
                .and_then(|v| v.trim().parse::<f64>().ok())
        })
        .expect("a callgrind dump with a summary line");
    *LAST_INSTRUCTIONS.lock().expect("lock") = Some(total / n as f64);
}

/// The instructions per operation of the cell just measured, for [`line`].
static LAST_INSTRUCTIONS: std::sync::Mutex<Option<f64>> = std::sync::Mutex::new(None);

/// Runs `f(worker)` on `workers` tasks at once and waits for them all.
async fn all<F, Fut>(workers: usize, f: F)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let handles: Vec<_> = (0..workers).map(|i| tokio::spawn(f(i))).collect();
    for h in handles {
        h.await.expect("worker");
    }
}

/// GETs `url` `n` times over `workers` connections (with `bearer`, if
/// any); every answer must be a 200 containing `expect`.
async fn gets(workers: usize, n: usize, url: String, bearer: Option<String>, expect: &'static str) {
    let per = n / workers;
    all(workers, |_| {
        let (url, bearer) = (url.clone(), bearer.clone());
        async move {
            let c = client();
            for _ in 0..per {
                let mut r = c.get(&url);
                if let Some(b) = &bearer {
                    r = r.bearer_auth(b);
                }
                let r = r.send().await.expect("request");
                let status = r.status();
                let body = r.text().await.expect("body");
                assert!(
                    status == 200 && body.contains(expect),
                    "unexpected answer: {status} {body}"
                );
            }
        }
    })
    .await;
}

fn line(label: &str, what: &str, (cpu, rate): (f64, f64), n: usize) {
    let switches = LAST_SWITCHES
        .lock()
        .expect("lock")
        .take()
        .map_or(String::new(), |s| format!("  {s:.1} context switches/op"));
    println!("{label:<11} {what:<26} {cpu:>7.3} ms CPU/op  {rate:>7.0}/s  ({n} ops){switches}");
    if let Some(ir) = LAST_INSTRUCTIONS.lock().expect("lock").take() {
        println!("{label:<11} {what:<26} {ir:>9.0} instructions/op (callgrind)");
    }
}

/// Raw argon2id hashes per second with the production parameters (19 MiB,
/// t=2, p=1) on every core at once, and the CPU milliseconds of one hash.
fn argon2_rate(threads: usize) -> (f64, f64) {
    use argon2::{Algorithm, Argon2, Params, Version};
    let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default());
    let (n, elapsed) = on_threads(threads, Duration::from_secs(3), || {
        let mut out = [0u8; 32];
        a.hash_password_into(b"password", b"saltsaltsalt", &mut out)
            .expect("argon2");
    });
    (
        n as f64 / elapsed,
        elapsed * 1000.0 * threads as f64 / n.max(1) as f64,
    )
}

/// Raw RS256 (RSA 2048) signatures per second of Sésame's signer on every
/// core at once.
fn rs256_rate(threads: usize) -> f64 {
    let der = base64::engine::general_purpose::STANDARD
        .decode(include_str!("../crates/oidc/benches/rsa2048.pkcs8.b64").trim())
        .expect("key");
    let signer = sesame_oidc::jws::Signing::from_parts(
        "k",
        sesame_oidc::jws::Alg::Rs256,
        &der,
        r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
    )
    .expect("key");
    let message = b"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwczovL3Nlc2FtZS5leGFtcGxlIiwic3ViIjoicyJ9";
    let (n, elapsed) = on_threads(threads, Duration::from_secs(2), || {
        std::hint::black_box(signer.sign_bytes(message));
    });
    n as f64 / elapsed
}

async fn run(label: &str, world: &World, cores: usize) {
    server::prepare(world).await;
    let s = server::serve(world).await;
    let (pid, base) = (s.pid, s.base.clone());
    let n = env_num("SESAME_BENCH_REQUESTS", 4000) as usize;
    let few = (n / 10).max(1);
    let workers = env_num("SESAME_BENCH_CONCURRENCY", 8) as usize;
    let cells = std::env::var("SESAME_BENCH_CELLS").unwrap_or_default();
    let want = |c: &str| cells.is_empty() || cells.split(',').any(|w| w == c);

    for (what, path, expect) in [
        ("discovery", "/.well-known/openid-configuration", "issuer"),
        ("jwks", "/oidc/jwks", "keys"),
    ] {
        if !want("endpoints") {
            break;
        }
        let url = format!("{base}{path}");
        gets(workers, 200, url.clone(), None, expect).await;
        let cell = timed(pid, n, gets(workers, n, url, None, expect)).await;
        line(label, what, cell, n);
    }

    let service: String = url::form_urlencoded::byte_serialize(SERVICE.as_bytes()).collect();
    for (profil, who) in [("eleve", "camille.martin"), ("parent", "parent.martin")] {
        if !want("claims") {
            break;
        }
        let session = server::login(&base, profil, who).await;
        let token = server::access_token(&base, &session).await;
        let url = format!("{base}/oidc/userinfo");
        gets(workers, 200, url.clone(), Some(token.clone()), "given_name").await;
        let cell = timed(pid, n, gets(workers, n, url, Some(token), "given_name")).await;
        line(label, &format!("userinfo ({profil})"), cell, n);

        let c = client();
        let mut urls = Vec::with_capacity(n);
        for _ in 0..n {
            let r = c
                .get(format!("{base}/cas/login?service={service}"))
                .header("cookie", &session)
                .send()
                .await
                .expect("ticket");
            let loc = r.headers()["location"].to_str().expect("ascii").to_owned();
            let t = loc.split("ticket=").nth(1).unwrap_or_default().to_owned();
            urls.push(format!(
                "{base}/cas/p3/serviceValidate?ticket={t}&service={service}"
            ));
        }
        let queue = Arc::new(std::sync::Mutex::new(urls));
        let work = all(workers, |_| {
            let queue = queue.clone();
            async move {
                let c = client();
                loop {
                    let next = queue.lock().expect("lock").pop();
                    let Some(url) = next else { break };
                    let body = c.get(url).send().await.expect("validate");
                    let body = body.text().await.expect("body");
                    assert!(body.contains("ENTPersonStructRattach"), "{body}");
                }
            }
        });
        let cell = timed(pid, n, work).await;
        line(label, &format!("serviceValidate ({profil})"), cell, n);
    }
    let parent_session = server::login(&base, "parent", "parent.martin").await;

    // A full flow with an open session: authorize → token → userinfo.
    let per = (few / workers).max(1);
    if want("flow") {
        flow(label, pid, &base, &parent_session, workers, per).await;
    }
    if want("refresh") {
        refresh(label, pid, &base, &parent_session, workers, per).await;
    }
    if want("login") {
        logins(label, pid, &base, cores, few).await;
    }
}

async fn flow(label: &str, pid: u32, base: &str, parent_session: &str, workers: usize, per: usize) {
    let flows = per * workers;
    let work = all(workers, |_| {
        let (base, session) = (base.to_owned(), parent_session.to_owned());
        async move {
            let c = client();
            for _ in 0..per {
                let code = server::code(&c, &base, &session).await;
                let (at, _) = server::exchange(&c, &base, &code).await;
                let r = c
                    .get(format!("{base}/oidc/userinfo"))
                    .bearer_auth(at)
                    .send()
                    .await
                    .expect("userinfo");
                assert_eq!(r.status(), 200);
            }
        }
    });
    let cell = timed(pid, flows, work).await;
    line(label, "full OIDC flow (parent)", cell, flows);
}

/// Refresh grants: each worker rotates its own token.
async fn refresh(
    label: &str,
    pid: u32,
    base: &str,
    parent_session: &str,
    workers: usize,
    per: usize,
) {
    let flows = per * workers;
    let mut tokens = Vec::new();
    let c = client();
    for _ in 0..workers {
        let code = server::code(&c, base, parent_session).await;
        tokens.push(server::exchange(&c, base, &code).await.1);
    }
    let work = all(workers, |i| {
        let (base, mut rt) = (base.to_owned(), tokens[i].clone());
        async move {
            let c = client();
            for _ in 0..per {
                let v = server::token(
                    &c,
                    &base,
                    &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
                )
                .await;
                rt = v["refresh_token"]
                    .as_str()
                    .unwrap_or_else(|| panic!("refresh grant refused: {v}"))
                    .to_owned();
            }
        }
    });
    let cell = timed(pid, flows, work).await;
    line(label, "refresh grant", cell, flows);
}

/// Password logins, next to the raw argon2id rate of this run.
async fn logins(label: &str, pid: u32, base: &str, cores: usize, few: usize) {
    let (raw_rate, raw_hash_ms) = argon2_rate(cores);
    let login_workers = (3 * cores).min(server::LOGIN_ACCOUNTS);
    let per = (few / login_workers).max(1);
    let logins = per * login_workers;
    let work = all(login_workers, |i| {
        let base = base.to_owned();
        async move {
            for _ in 0..per {
                server::login(&base, "eleve", &format!("login.{i}")).await;
            }
        }
    });
    let hashing0 = hashing_cpu_ms(pid);
    let own0 = cpu_ms(std::process::id());
    let (cpu, rate) = timed(pid, logins, work).await;
    let hashing = (hashing_cpu_ms(pid) - hashing0) / logins as f64;
    let client = (cpu_ms(std::process::id()) - own0) / logins as f64;
    line(label, "password login", (cpu, rate), logins);
    println!(
        "{label:<11} {:<26} {:>7.3} ms CPU/op  (the server's argon2 threads; raw: {raw_hash_ms:.3} ms, {raw_rate:.0}/s on {cores} core(s))",
        "  its hash", hashing
    );
    let besides = cpu - hashing;
    println!(
        "{label:<11} {:<26} {:>7.3} ms CPU/op  (the load generator: {client:.3} ms)",
        "  besides the hash", besides
    );
    println!(
        "{label:<11} {:<26} {:>6.1} % of the raw rate measured; {:.1} % with the server alone on the cores (hash / (hash + besides))",
        "  logins/s",
        100.0 * rate / raw_rate,
        100.0 * hashing / (hashing + besides)
    );
}

/// The CPU milliseconds of the server's argon2 worker threads (named
/// `sesame-argon2-N`), from /proc/PID/task/*/stat.
fn hashing_cpu_ms(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
        .filter(|stat| stat.contains("(sesame-argon2-"))
        .map(|stat| stat_cpu_ms(&stat))
        .sum()
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let only = std::env::var("SESAME_BENCH_ONLY").unwrap_or_default();
    let wants = |w: &str| only.is_empty() || only == w;
    rt.block_on(async {
        println!(
            "Server CPU per operation (utime + stime of the server process), {cores} core(s); raw RS256 signing of Sésame's signer: {:.0}/s on every core",
            rs256_rate(cores)
        );
        if wants("sqlite") {
            let sqlite = World {
                dir: tempfile::tempdir().expect("dir"),
                database_url: String::new(),
                redis_url: String::new(),
            };
            run("SQLite", &sqlite, cores).await;
        }
        let redis = std::env::var("SESAME_BENCH_REDIS_URL").unwrap_or_default();
        let mut worlds = Vec::new();
        if wants("postgresql") {
            worlds.push(("PostgreSQL", String::new()));
        }
        if !redis.is_empty() && wants("redis") {
            worlds.push(("PG + Redis", redis));
        }
        for (i, (label, redis_url)) in worlds.into_iter().enumerate() {
            let name = format!("sesame_bench_cpu_{}_{i}", std::process::id());
            let Some(database_url) = common::fresh_pg(&name).await else {
                return;
            };
            let world = World {
                dir: tempfile::tempdir().expect("dir"),
                database_url,
                redis_url,
            };
            run(label, &world, cores).await;
            common::drop_pg(&name).await;
        }
    });
}
