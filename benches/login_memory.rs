//! Memory under password logins: a `sesame serve` process on SQLite and
//! the in-process store, `SESAME_BENCH_CONCURRENCY` clients (default 6)
//! each logging in to its own account through the login form for
//! `SESAME_BENCH_SECONDS` (default 20), then idle for
//! `SESAME_BENCH_IDLE` seconds (default 30). Prints the logins per second,
//! the server's CPU milliseconds per login (from /proc/PID/stat, not the
//! client's), the raw argon2 rate of one core for comparison, and the
//! server's resident memory: peak (VmHWM) and while idling (VmRSS).
//!
//! Run: `cargo bench --bench login_memory` (or `cargo build --benches`
//! and run the binary); `SESAME_BIN` measures another `sesame` binary.
//! Linux only (reads /proc).

mod common;

use common::{cpu_ms, env_num, free_port};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Cheval-Agrafe-Lune-42";

/// A field of /proc/PID/status, in kB.
fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn spawn(bin: &str, dir: &std::path::Path, port: u16) -> Child {
    Command::new(bin)
        .arg("serve")
        .current_dir(dir)
        .env("SESAME__SERVER__DATA_DIR", dir)
        .env("SESAME__SERVER__SERVICES_DIR", dir.join("services"))
        .env("SESAME__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "SESAME__SERVER__ADMIN_LISTEN",
            format!("127.0.0.1:{}", free_port()),
        )
        .env(
            "SESAME__SERVER__PUBLIC_URL",
            format!("http://localhost:{port}/"),
        )
        .env("SESAME__SERVER__ALLOW_INSECURE_HTTP", "true")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sesame serve")
}

fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    html[start..].split('"').next().map(str::to_owned)
}

/// One login through the form, in a fresh browser: whether it answered 303.
async fn login(base: &str, identifiant: &str) -> bool {
    let Ok(c) = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    else {
        return false;
    };
    let Ok(r) = c.get(format!("{base}/connexion?profil=eleve")).send().await else {
        return false;
    };
    let Some(csrf) = csrf_of(&r.text().await.unwrap_or_default()) else {
        return false;
    };
    let form = [
        ("csrf", csrf.as_str()),
        ("profil", "eleve"),
        ("identifiant", identifiant),
        ("password", PASSWORD),
    ];
    c.post(format!("{base}/connexion"))
        .form(&form)
        .send()
        .await
        .is_ok_and(|r| r.status().as_u16() == 303)
}

/// Raw argon2id hashes per second on one core, with the default
/// parameters (19 MiB, t=2, p=1).
fn argon2_rate() -> f64 {
    use argon2::{Algorithm, Argon2, Params, Version};
    let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default());
    let mut out = [0u8; 32];
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(2) {
        a.hash_password_into(b"password", b"saltsaltsalt", &mut out)
            .expect("argon2");
        n += 1;
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let clients = env_num("SESAME_BENCH_CONCURRENCY", 6) as usize;
    let seconds = env_num("SESAME_BENCH_SECONDS", 20);
    let idle = env_num("SESAME_BENCH_IDLE", 30);
    let bin = std::env::var("SESAME_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sesame").into());
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("services")).expect("services");

    // The accounts, one a client, made by the application itself.
    {
        let app = common::app(dir.path(), None, vec![]).await;
        let hash = app.hasher.hash(PASSWORD).await.expect("hash");
        let now = app.clock.now();
        for i in 0..clients {
            sesame_store::accounts::insert(
                app.db.conn(),
                sesame_store::accounts::NewAccount {
                    identifiant: format!("bench.{i}"),
                    identifiant_display: format!("bench.{i}"),
                    password_hash: hash.clone(),
                    email: None,
                    state: sesame_domain::AccountState::Active,
                    kind: sesame_domain::AccountKind::Eleve,
                    joint: false,
                    language: sesame_domain::Language::Fr,
                },
                now,
            )
            .await
            .expect("account");
        }
    }

    let port = free_port();
    let mut server = spawn(&bin, dir.path(), port);
    let pid = server.id();
    let base = format!("http://127.0.0.1:{port}");
    let up = async {
        for _ in 0..200 {
            if reqwest::get(format!("{base}/")).await.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    assert!(up.await, "the server did not start");
    let rss_start = status_kb(pid, "VmRSS");
    let cpu_start = cpu_ms(pid);

    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let peak_sampled = Arc::new(AtomicU64::new(0));
    let sampling = {
        let peak = peak_sampled.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(status_kb(pid, "VmRSS"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let (base, ok, failed) = (base.clone(), ok.clone(), failed.clone());
            tokio::spawn(async move {
                let who = format!("bench.{i}");
                while Instant::now() < deadline {
                    if login(&base, &who).await {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_ms(pid) - cpu_start;
    let rss_end = status_kb(pid, "VmRSS");
    let logins = ok.load(Ordering::Relaxed);
    println!(
        "server: {bin}\n{clients} clients, {seconds} s: {logins} logins ({} failed), {:.1} per second, {:.1} ms of server CPU per login",
        failed.load(Ordering::Relaxed),
        logins as f64 / elapsed,
        cpu / logins.max(1) as f64,
    );
    println!(
        "RSS: {:.1} MB at start, {:.1} MB at the end of the load, peak {:.1} MB (VmHWM; sampled {:.1} MB)",
        mb(rss_start),
        mb(rss_end),
        mb(status_kb(pid, "VmHWM")),
        mb(peak_sampled.load(Ordering::Relaxed)),
    );
    let mut waited = 0;
    for at in [5, 10, 20, 30, 60] {
        if at > idle {
            break;
        }
        tokio::time::sleep(Duration::from_secs(at - waited)).await;
        waited = at;
        println!(
            "RSS after {at} s idle: {:.1} MB",
            mb(status_kb(pid, "VmRSS"))
        );
    }
    sampling.abort();
    let _ = server.kill();
    let _ = server.wait();
    println!(
        "raw argon2id (m=19 MiB, t=2, p=1) on one core of this machine: {:.1} hashes per second",
        argon2_rate()
    );
}
