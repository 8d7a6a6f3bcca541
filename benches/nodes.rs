//! Several nodes: logins, CAS validations and OpenID Connect flows per
//! second with 1, 2 and 3 `sesame serve` processes (the release binary) on
//! one PostgreSQL database and one Redis, the load spread over the nodes
//! by the client in turn (no proxy, which would take CPU of its own).
//!
//! Run: `cargo bench --bench nodes`. PostgreSQL from
//! `SESAME_BENCH_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/test,
//! a fresh database is created in it), Redis from `SESAME_BENCH_REDIS_URL`
//! (default redis://127.0.0.1:6379/). `SESAME_BENCH_SECONDS` (default 5) and
//! `SESAME_BENCH_CONCURRENCY` (default 32) tune it. Logins use the
//! production argon2id parameters.

mod common;

use common::{client, csrf_of, env_num, free_port, percentile};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SERVICE: &str = "https://app.ent.fr/cas/";
const CALLBACK: &str = "https://rp.exemple.fr/cb";
const SECRET: &str = "bench-client-secret-2026";
const PASSWORD: &str = "Hirondelle7";
const VERIFIER: &str = "bench-verifier-bench-verifier-bench-verifier-0123";

struct World {
    dir: tempfile::TempDir,
    database_url: String,
    redis_url: String,
    prefix: String,
}

impl World {
    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sesame"));
        c.current_dir(self.dir.path())
            .env("SESAME__SERVER__DATA_DIR", self.dir.path().join("data"))
            .env(
                "SESAME__SERVER__SERVICES_DIR",
                self.dir.path().join("services"),
            )
            .env("SESAME__SERVER__ALLOW_INSECURE_HTTP", "true")
            .env("SESAME__DATABASE__URL", &self.database_url)
            .env("SESAME__REDIS__URL", &self.redis_url)
            .env("SESAME__REDIS__KEY_PREFIX", &self.prefix)
            .env("SESAME__THROTTLE__IP_FAILURES_PER_MINUTE", "1000000")
            .env("SESAME__SERVER__ADMIN_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().expect("sesame");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn node(&self, port: u16) -> Child {
        self.command()
            .arg("serve")
            .env("SESAME__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "SESAME__SERVER__PUBLIC_URL",
                format!("http://127.0.0.1:{port}/"),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sesame serve")
    }
}

/// The session cookie (`name=value`) of a response.
fn cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_owned))
        .collect()
}

/// One login: the page (CSRF), then the password. Answers the cookies of
/// the new session.
async fn login(c: &reqwest::Client, base: &str) -> Option<String> {
    let r = c
        .get(format!("{base}/connexion?profil=eleve"))
        .send()
        .await
        .ok()?;
    let jar = cookies(&r).join("; ");
    let html = r.text().await.ok()?;
    let r = c
        .post(format!("{base}/connexion"))
        .header("cookie", jar)
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("profil", "eleve"),
            ("identifiant", "camille.martin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .ok()?;
    (r.status() == 303).then(|| cookies(&r).join("; "))
}

fn challenge() -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(VERIFIER.as_bytes()))
}

/// Runs `f` on `concurrency` workers for the configured time; answers
/// (operations per second, sorted latencies).
async fn measure<F, Fut>(f: F) -> (f64, Vec<Duration>)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let seconds = env_num("SESAME_BENCH_SECONDS", 5);
    let concurrency = env_num("SESAME_BENCH_CONCURRENCY", 32) as usize;
    let f = Arc::new(f);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (f, counter) = (f.clone(), counter.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let t0 = Instant::now();
                if f(i).await {
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
    lat.sort_unstable();
    (lat.len() as f64 / started.elapsed().as_secs_f64(), lat)
}

async fn run(world: &World, n: usize) {
    let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
    let mut children: Vec<Child> = ports.iter().map(|p| world.node(*p)).collect();
    let bases: Arc<Vec<String>> = Arc::new(
        ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect(),
    );
    for b in bases.iter() {
        let c = client();
        for _ in 0..200 {
            if c.get(format!("{b}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Logins (argon2id, production parameters).
    let (logins, lat) = measure({
        let bases = bases.clone();
        move |i| {
            let bases = bases.clone();
            async move { login(&client(), &bases[i % bases.len()]).await.is_some() }
        }
    })
    .await;
    println!(
        "{n} node(s)  logins            {logins:>7.0}/s  p50 {:>6.1} ms p99 {:>6.1} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );

    // CAS validations: tickets issued beforehand on the nodes in turn.
    let session = login(&client(), &bases[0]).await.expect("login");
    let service: String = url::form_urlencoded::byte_serialize(SERVICE.as_bytes()).collect();
    let count = env_num("SESAME_BENCH_SECONDS", 5) as usize * 6_000;
    let tickets = Arc::new(std::sync::Mutex::new(Vec::with_capacity(count)));
    {
        let mut issued = Vec::new();
        let c = client();
        for i in 0..count {
            let r = c
                .get(format!("{}/cas/login?service={service}", bases[i % n]))
                .header("cookie", &session)
                .send()
                .await
                .expect("ticket");
            let loc = r.headers()["location"].to_str().expect("ascii").to_owned();
            issued.push(loc.split("ticket=").nth(1).unwrap_or_default().to_owned());
        }
        *tickets.lock().expect("lock") = issued;
    }
    let (validations, lat) = measure({
        let (bases, tickets, service) = (bases.clone(), tickets.clone(), service.clone());
        let c = client();
        move |i| {
            let (bases, tickets, service, c) =
                (bases.clone(), tickets.clone(), service.clone(), c.clone());
            async move {
                let Some(t) = tickets.lock().expect("lock").pop() else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    return false;
                };
                let url = format!(
                    "{}/cas/p3/serviceValidate?ticket={t}&service={service}",
                    bases[(i + 1) % bases.len()]
                );
                match c.get(url).send().await {
                    Ok(r) => r
                        .text()
                        .await
                        .is_ok_and(|b| b.contains("authenticationSuccess")),
                    Err(_) => false,
                }
            }
        }
    })
    .await;
    println!(
        "{n} node(s)  CAS validations   {validations:>7.0}/s  p50 {:>6.1} ms p99 {:>6.1} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );

    // OpenID Connect flows: authorize on one node, token on the next,
    // userinfo on the one after.
    let authorize = format!(
        "/oidc/authorize?client_id=rp&redirect_uri={}&response_type=code&scope=openid&state=s&nonce=n&code_challenge={}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
        challenge()
    );
    let (flows, lat) = measure({
        let (bases, session) = (bases.clone(), session.clone());
        let c = client();
        move |i| {
            let (bases, session, authorize, c) =
                (bases.clone(), session.clone(), authorize.clone(), c.clone());
            async move {
                let at = |k: usize| bases[(i + k) % bases.len()].clone();
                let Ok(r) = c
                    .get(format!("{}{authorize}", at(0)))
                    .header("cookie", &session)
                    .send()
                    .await
                else {
                    return false;
                };
                let Some(code) = r
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url::Url::parse(l).ok())
                    .and_then(|u| {
                        u.query_pairs()
                            .find(|(k, _)| k == "code")
                            .map(|(_, v)| v.into_owned())
                    })
                else {
                    return false;
                };
                let Ok(r) = c
                    .post(format!("{}/oidc/token", at(1)))
                    .basic_auth("rp", Some(SECRET))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", CALLBACK),
                        ("code_verifier", VERIFIER),
                    ])
                    .send()
                    .await
                else {
                    return false;
                };
                let Ok(v) = r.json::<serde_json::Value>().await else {
                    return false;
                };
                let Some(token) = v["access_token"].as_str() else {
                    return false;
                };
                c.get(format!("{}/oidc/userinfo", at(2)))
                    .bearer_auth(token)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        }
    })
    .await;
    println!(
        "{n} node(s)  OIDC flows        {flows:>7.0}/s  p50 {:>6.1} ms p99 {:>6.1} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let Some(redis_url) = common::redis() else {
            return;
        };
        let name = format!("sesame_bench_{}", std::process::id());
        let Some(database_url) = common::fresh_pg(&name).await else {
            return;
        };
        let dir = tempfile::tempdir().expect("dir");
        let world = World {
            database_url,
            redis_url,
            prefix: format!("bench:{name}:"),
            dir,
        };
        // The sample school, Camille's account, a CAS service and an OIDC client.
        let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/siecle");
        world.run(&[
            "import",
            samples.join("ElevesSansAdresses.xml").to_str().expect("utf8"),
            samples.join("ResponsablesAvecAdresses.xml").to_str().expect("utf8"),
        ]);
        let out = world.run(&["codes", "generate", "--uai", "0999001W", "--out", "lettres"]);
        let code = out
            .lines()
            .find(|l| l.contains("Camille MARTIN"))
            .and_then(|l| l.split_whitespace().find(|w| w.matches('-').count() >= 2))
            .expect("Camille's code")
            .to_owned();
        let hash = sesame_service::password::Hasher::new(19 * 1024, 2, 1, 2)
            .expect("hasher")
            .hash(SECRET)
            .await
            .expect("hash");
        let services = world.dir.path().join("services");
        std::fs::create_dir_all(&services).expect("services");
        std::fs::write(
            services.join("ent.toml"),
            format!("id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[attributes]\nidentifiant = \"uid\"\n[cas]\nservice_urls = [\"{SERVICE}\"]\n"),
        )
        .expect("write");
        std::fs::write(
            services.join("rp.toml"),
            format!("id = \"rp\"\nname = \"RP\"\nprotocol = \"oidc\"\n[oidc]\nclient_id = \"rp\"\nclient_secret_hash = \"{hash}\"\nredirect_uris = [\"{CALLBACK}\"]\n"),
        )
        .expect("write");
        let port = free_port();
        let mut first = world.node(port);
        let base = format!("http://127.0.0.1:{port}");
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client");
        for _ in 0..200 {
            if c.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let html = c
            .get(format!("{base}/premiere-visite/eleve"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body");
        let r = c
            .post(format!("{base}/premiere-visite/eleve"))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("prenom", "Camille"),
                ("naissance", "16/06/2013"),
                ("code", code.as_str()),
                ("identifiant", "camille.martin"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
                ("email", "camille@example.org"),
                ("email2", "camille@example.org"),
            ])
            .send()
            .await
            .expect("sign-up");
        assert_eq!(r.status(), 303, "sign-up");
        let _ = first.kill();
        let _ = first.wait();

        println!(
            "Several nodes on {} core(s): PostgreSQL + Redis, load spread by the client",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        for n in 1..=3 {
            run(&world, n).await;
        }
        common::drop_pg(&name).await;
    });
}
