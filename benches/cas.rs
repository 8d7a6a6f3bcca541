//! CAS benchmark: service tickets issued (`/cas/login` with an SSO session)
//! and validated (`/cas/p3/serviceValidate`, attributes released) over HTTP
//! on loopback, by a Rust load generator in the same process (keep-alive
//! connections, fixed concurrency), with the in-process store and with
//! Redis. Reports cycles per second and p50/p99 latency of each request.
//!
//! Run: `cargo bench --bench cas` (Redis from `SESAME_BENCH_REDIS_URL`,
//! default redis://127.0.0.1:6379/; skipped when it does not answer;
//! through Sentinel or as a Cluster with `SESAME_BENCH_REDIS_SENTINELS` /
//! `SESAME_BENCH_REDIS_MASTER_NAME` or `SESAME_BENCH_REDIS_CLUSTER_NODES`).
//! `SESAME_BENCH_SECONDS` (default 10) and `SESAME_BENCH_CONCURRENCY`
//! (default 32) tune the run.

mod common;

use common::{env_num, percentile};
use sesame_service::cas::{self, ServiceTicket};
use sesame_service::config::ServiceDef;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SERVICE: &str = "https://app.ent.fr/cas/";

async fn run(label: &str, redis: Option<&str>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ent = ServiceDef::demo(&"https://app.ent.fr/".parse().expect("url"));
    ent.id = "ent".into();
    if let Some(c) = ent.cas.as_mut() {
        c.service_urls = vec![SERVICE.parse().expect("url")];
    }
    let app = common::app(dir.path(), redis, vec![ent]).await;
    let now = app.clock.now();
    let (account_id, token) = common::account_with_session(&app).await;
    // Warm the path once through the service API.
    let _ = cas::issue_service_ticket(
        &app,
        ServiceTicket {
            service: SERVICE.into(),
            service_id: "ent".into(),
            account_id,
            profile: "eleve".into(),
            auth_time: now.unix_timestamp(),
            from_new_login: false,
            expires_at: 0,
            proxies: Vec::new(),
            sid: String::new(),
            generation: 0,
        },
    )
    .await
    .expect("ticket");

    let base = common::serve(app.clone()).await;
    let service: String = url::form_urlencoded::byte_serialize(SERVICE.as_bytes()).collect();
    let seconds = env_num("SESAME_BENCH_SECONDS", 10);
    let concurrency = env_num("SESAME_BENCH_CONCURRENCY", 32);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (base, service, token) = (base.clone(), service.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let (mut login, mut validate, mut failures) = (Vec::new(), Vec::new(), 0u64);
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let r = client
                    .get(format!("{base}/cas/login?service={service}"))
                    .header("cookie", format!("sesame={token}"))
                    .send()
                    .await;
                let Some(location) = r.ok().and_then(|r| {
                    r.headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                }) else {
                    failures += 1;
                    continue;
                };
                login.push(t0.elapsed());
                let ticket = location
                    .split("ticket=")
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                let t1 = Instant::now();
                let ok = client
                    .get(format!(
                        "{base}/cas/p3/serviceValidate?ticket={ticket}&service={service}"
                    ))
                    .send()
                    .await
                    .ok();
                let body = match ok {
                    Some(r) => r.text().await.unwrap_or_default(),
                    None => String::new(),
                };
                if body.contains("cas:authenticationSuccess") {
                    validate.push(t1.elapsed());
                } else {
                    failures += 1;
                }
            }
            (login, validate, failures)
        }));
    }
    let (mut login, mut validate, mut failures) = (Vec::new(), Vec::new(), 0);
    let workers_done = workers;
    for w in workers_done {
        let (l, v, f) = w.await.expect("worker");
        login.extend(l);
        validate.extend(v);
        failures += f;
    }
    login.sort_unstable();
    validate.sort_unstable();
    let secs = seconds as f64;
    println!(
        "{label:<28} login+validate {:>6.0} cycles/s  validate p50 {:>6.2} ms p99 {:>6.2} ms  login p50 {:>6.2} ms p99 {:>6.2} ms  ({} validations, {failures} failures, concurrency {concurrency})",
        validate.len() as f64 / secs,
        percentile(&validate, 0.50),
        percentile(&validate, 0.99),
        percentile(&login, 0.50),
        percentile(&login, 0.99),
        validate.len(),
    );

    // Validations alone: tickets issued in-process beforehand, then only
    // `/cas/p3/serviceValidate` over HTTP (the figure a service sees).
    let n = (seconds * 10_000) as usize;
    let mut tickets = Vec::with_capacity(n);
    for _ in 0..n {
        let st = ServiceTicket {
            service: SERVICE.into(),
            service_id: "ent".into(),
            account_id,
            profile: "eleve".into(),
            auth_time: now.unix_timestamp(),
            from_new_login: false,
            expires_at: 0,
            proxies: Vec::new(),
            sid: String::new(),
            generation: 0,
        };
        tickets.push(cas::issue_service_ticket(&app, st).await.expect("ticket"));
    }
    let tickets = Arc::new(std::sync::Mutex::new(tickets));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds.min(8));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (base, service, tickets) = (base.clone(), service.clone(), tickets.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let Some(t) = tickets.lock().expect("lock").pop() else {
                    break;
                };
                let t0 = Instant::now();
                let body = match client
                    .get(format!(
                        "{base}/cas/p3/serviceValidate?ticket={t}&service={service}"
                    ))
                    .send()
                    .await
                {
                    Ok(r) => r.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                };
                if body.contains("cas:authenticationSuccess") {
                    lat.push(t0.elapsed());
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(w.await.expect("worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    println!(
        "{label:<28} validate only  {:>6.0} validations/s  p50 {:>6.2} ms p99 {:>6.2} ms  ({} validations)",
        lat.len() as f64 / elapsed,
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.len(),
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("CAS: /cas/login (SSO) + /cas/p3/serviceValidate over HTTP on loopback");
        run("SQLite + in-process store", None).await;
        if let Some(redis) = common::redis() {
            run("SQLite + Redis", Some(&redis)).await;
        }
    });
}
