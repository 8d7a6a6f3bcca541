//! OpenID Connect benchmark, over HTTP on loopback (keep-alive, fixed
//! concurrency, load generator in the same process):
//!
//! 1. full code flows per second with an SSO session already open:
//!    `/oidc/authorize` → code → `/oidc/token` (client_secret_basic, PKCE
//!    S256, RS256 ID token) → `/oidc/userinfo`;
//! 2. token-endpoint exchanges per second alone (codes issued in-process
//!    beforehand);
//! 3. refresh grants per second, each worker rotating its own token;
//! 4. next to the raw RS256 (RSA 2048) signing rate of the machine:
//!    `openssl speed -multi N rsa2048` when openssl is installed, ring
//!    (which Sésame signs with) and rsa 0.10 (which makes the keys), on as
//!    many threads as cores.
//!
//! Run: `cargo bench --bench oidc`. `SESAME_BENCH_SECONDS` (default 10)
//! and `SESAME_BENCH_CONCURRENCY` (default 32) tune it; Redis from
//! `SESAME_BENCH_REDIS_URL` (skipped when it does not answer), reached
//! through Sentinel with `SESAME_BENCH_REDIS_SENTINELS` (HOST:PORT,…) and
//! `SESAME_BENCH_REDIS_MASTER_NAME`, or as a Cluster with
//! `SESAME_BENCH_REDIS_CLUSTER_NODES` (HOST:PORT,…).

mod common;

use base64::Engine;
use common::{env_num, percentile};
use sesame_service::App;
use sesame_service::config::{OidcClient, Protocol, ServiceDef};
use sesame_service::oidc::flow::{self, AuthRequest};
use sesame_service::session::{self, Session};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-client-secret-2026";
const CALLBACK: &str = "https://rp.exemple.fr/cb";
const VERIFIER: &str = "bench-verifier-bench-verifier-bench-verifier-0123";

async fn client(hasher: &sesame_service::password::Hasher) -> ServiceDef {
    let mut def = ServiceDef::demo(&"https://rp.exemple.fr/".parse().expect("url"));
    def.id = "rp".into();
    def.protocol = Protocol::Oidc;
    def.cas = None;
    def.oidc = Some(OidcClient {
        client_id: "rp".into(),
        client_secret_hash: Some(hasher.hash(SECRET).await.expect("hash")),
        redirect_uris: vec![CALLBACK.parse().expect("url")],
        post_logout_redirect_uris: Vec::new(),
        scopes: Vec::new(),
        backchannel_logout_uri: None,
        consent: false,
        id_token_signed_response_alg: sesame_service::oidc::keys::Alg::Rs256,
        subject_type: Default::default(),
        refresh_tokens: true,
    });
    def
}

fn challenge() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

async fn exchange(client: &reqwest::Client, base: &str, code: &str) -> Option<String> {
    let r = client
        .post(format!("{base}/oidc/token"))
        .basic_auth("rp", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .ok()?;
    let v: serde_json::Value = serde_json::from_str(&r.text().await.ok()?).ok()?;
    v["id_token"].as_str()?;
    v["access_token"].as_str().map(str::to_owned)
}

/// A code exchanged for its refresh token.
async fn refresh_token_of(client: &reqwest::Client, base: &str, code: &str) -> Option<String> {
    let r = client
        .post(format!("{base}/oidc/token"))
        .basic_auth("rp", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .ok()?;
    let status = r.status();
    let body = r.text().await.ok()?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    let rt = v["refresh_token"].as_str().map(str::to_owned);
    if rt.is_none() {
        eprintln!("exchange for a refresh token refused: {status} {body}");
    }
    rt
}

/// A refresh grant (RFC 6749 §6): the rotated refresh token.
async fn refresh(client: &reqwest::Client, base: &str, rt: &str) -> Option<String> {
    let r = client
        .post(format!("{base}/oidc/token"))
        .basic_auth("rp", Some(SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .await
        .ok()?;
    let status = r.status();
    let body = r.text().await.ok()?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    let next = v["refresh_token"].as_str().map(str::to_owned);
    if next.is_none() {
        eprintln!("refresh grant refused: {status} {body}");
    }
    next
}

async fn run(label: &str, redis: Option<&str>) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    // The production argon2 parameters hash the client secret.
    let hasher = sesame_service::password::Hasher::new(19 * 1024, 2, 1, 2).expect("hasher");
    let app: Arc<App> = common::app(dir.path(), redis, vec![client(&hasher).await]).await;
    let (_, token) = common::account_with_session(&app).await;
    sesame_service::oidc::keys::ensure(&app)
        .await
        .expect("keys");
    let base = common::serve(app.clone()).await;
    let seconds = env_num("SESAME_BENCH_SECONDS", 10);
    let concurrency = env_num("SESAME_BENCH_CONCURRENCY", 32);
    let authorize = format!(
        "{base}/oidc/authorize?client_id=rp&redirect_uri={}&response_type=code&scope=openid%20profile&state=s&nonce=n&code_challenge={}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
        challenge()
    );
    // One exchange first: the argon2 verification of the secret happens
    // once per process, as in production.
    let warm = reqwest::Client::new();
    let s = session::find(&app, &token)
        .await
        .expect("store")
        .expect("session");
    let code = code_for(&app, &s).await;
    exchange(&warm, &base, &code)
        .await
        .expect("warm-up exchange");

    // 1. Full flows.
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (base, authorize, token) = (base.clone(), authorize.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let (mut lat, mut failures) = (Vec::new(), 0u64);
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let code = client
                    .get(&authorize)
                    .header("cookie", format!("sesame={token}"))
                    .send()
                    .await
                    .ok()
                    .and_then(|r| {
                        let loc = r.headers().get("location")?.to_str().ok()?.to_owned();
                        url::Url::parse(&loc)
                            .ok()?
                            .query_pairs()
                            .find(|(k, _)| k == "code")
                            .map(|(_, v)| v.into_owned())
                    });
                let Some(code) = code else {
                    failures += 1;
                    continue;
                };
                let Some(at) = exchange(&client, &base, &code).await else {
                    failures += 1;
                    continue;
                };
                let ok = client
                    .get(format!("{base}/oidc/userinfo"))
                    .bearer_auth(at)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200);
                if ok {
                    lat.push(t0.elapsed());
                } else {
                    failures += 1;
                }
            }
            (lat, failures)
        }));
    }
    let (mut lat, mut failures) = (Vec::new(), 0);
    for w in workers {
        let (l, f) = w.await.expect("worker");
        lat.extend(l);
        failures += f;
    }
    lat.sort_unstable();
    println!(
        "{label:<28} full flow      {:>6.0} flows/s   p50 {:>6.2} ms p99 {:>6.2} ms  ({} flows, {failures} failures, concurrency {concurrency})",
        lat.len() as f64 / seconds as f64,
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.len(),
    );

    // 2. Token exchanges alone.
    let n = (seconds * 3_000) as usize;
    let mut codes = Vec::with_capacity(n);
    for _ in 0..n {
        codes.push(code_for(&app, &s).await);
    }
    let codes = Arc::new(std::sync::Mutex::new(codes));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (base, codes) = (base.clone(), codes.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let Some(code) = codes.lock().expect("lock").pop() else {
                    break;
                };
                let t0 = Instant::now();
                if exchange(&client, &base, &code).await.is_some() {
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
    let rate = lat.len() as f64 / elapsed;
    println!(
        "{label:<28} token endpoint {rate:>6.0} exchanges/s p50 {:>6.2} ms p99 {:>6.2} ms  ({} exchanges)",
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.len(),
    );

    // 3. Refresh grants: each worker rotates its own family's token (one
    // conditional UPDATE in the database, a new row, an access token in
    // the store, an ID token signed), for `seconds` after its first token.
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let base = base.clone();
        let code = code_for(&app, &s).await;
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut lat = Vec::new();
            let Some(mut rt) = refresh_token_of(&client, &base, &code).await else {
                return lat;
            };
            let deadline = Instant::now() + Duration::from_secs(seconds);
            while Instant::now() < deadline {
                let t0 = Instant::now();
                match refresh(&client, &base, &rt).await {
                    Some(next) => {
                        rt = next;
                        lat.push(t0.elapsed());
                    }
                    None => break,
                }
            }
            lat
        }));
    }
    let mut rlat = Vec::new();
    for w in workers {
        rlat.extend(w.await.expect("worker"));
    }
    let elapsed = seconds as f64;
    rlat.sort_unstable();
    println!(
        "{label:<28} refresh grants {:>6.0} grants/s    p50 {:>6.2} ms p99 {:>6.2} ms  ({} grants)",
        rlat.len() as f64 / elapsed,
        percentile(&rlat, 0.50),
        percentile(&rlat, 0.99),
        rlat.len(),
    );
    rate
}

async fn code_for(app: &App, s: &Session) -> String {
    let req = AuthRequest {
        client_id: "rp".into(),
        redirect_uri: CALLBACK.into(),
        scopes: vec!["openid".into(), "profile".into()],
        state: Some("s".into()),
        nonce: Some("n".into()),
        code_challenge: Some(challenge()),
        prompt: None,
        max_age: None,
        form_post: false,
    };
    let (to, _) = flow::issue_code(app, &req, s).await.expect("code");
    url::Url::parse(&to)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code")
}

/// Signatures per second of `sign` on `threads` threads for 3 s.
fn rate(threads: usize, sign: impl Fn() + Sync) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(3);
    let started = Instant::now();
    let total: u64 = std::thread::scope(|scope| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        sign();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}

/// RS256 signatures per second: (ring, which Sésame signs with; rsa 0.10,
/// which makes the keys).
fn rsa_rates(threads: usize) -> (f64, f64) {
    use rsa::pkcs8::EncodePrivateKey;
    use rsa::signature::Signer;
    let key = rsa::PrivateKey::new(&mut rand::rng(), 2048).expect("key");
    let der = key.to_pkcs8_der().expect("pkcs8");
    let pair = ring::signature::RsaKeyPair::from_pkcs8(der.as_bytes()).expect("ring key");
    let rng = ring::rand::SystemRandom::new();
    let ring_rate = rate(threads, || {
        let mut sig = vec![0u8; pair.public().modulus_len()];
        pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &rng,
            b"header.payload",
            &mut sig,
        )
        .expect("sign");
    });
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key);
    let rsa_rate = rate(threads, || {
        let _sig: rsa::pkcs1v15::Signature = signer.sign(b"header.payload");
    });
    (ring_rate, rsa_rate)
}

/// `openssl speed -multi N rsa2048`: RSA 2048 signatures per second.
fn openssl_rate(threads: usize) -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args([
            "speed",
            "-seconds",
            "3",
            "-multi",
            &threads.to_string(),
            "rsa2048",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 2048 bits 0.000698s 0.000021s 1432.7 47619.0" (sign/s, verify/s),
    // or "rsa  2048 bits ... sign/s" in the -multi summary.
    text.lines()
        .filter(|l| l.trim_start().starts_with("rsa") && l.contains("2048"))
        .filter_map(|l| {
            let nums: Vec<f64> = l
                .split_whitespace()
                .filter_map(|w| w.parse::<f64>().ok())
                .collect();
            // "2048", then the rates (the times end in "s"): sign/s is
            // the next-to-last.
            (nums.len() >= 3).then(|| nums[nums.len() - 2])
        })
        .next_back()
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("RS256 (RSA 2048) signing limit on {threads} core(s):");
    let (crate_rate, rsa_crate) = rsa_rates(threads);
    println!("  ring (what Sésame signs with)        {crate_rate:>8.0} signatures/s");
    println!("  rsa 0.10 (for comparison)            {rsa_crate:>8.0} signatures/s");
    let openssl = openssl_rate(threads);
    match openssl {
        Some(r) => println!("  openssl speed -multi {threads} rsa2048      {r:>8.0} signatures/s"),
        None => println!("  openssl speed: not available"),
    }
    rt.block_on(async {
        println!("OpenID Connect over HTTP on loopback:");
        let mut rates = vec![(
            "SQLite + in-process store",
            run("SQLite + in-process store", None).await,
        )];
        if let Some(redis) = common::redis() {
            rates.push(("SQLite + Redis", run("SQLite + Redis", Some(&redis)).await));
        }
        for (label, rate) in rates {
            println!(
                "{label:<28} token endpoint at {:>3.0} % of ring's signing limit{}",
                100.0 * rate / crate_rate,
                openssl
                    .map(|o| format!(", {:.0} % of openssl's", 100.0 * rate / o))
                    .unwrap_or_default()
            );
        }
    });
}
