//! What releasing claims costs the server: a `sesame serve` process (the
//! binary of this build) on SQLite, then on PostgreSQL when it answers,
//! with the in-process store, and the sample school imported. Two
//! accounts: a pupil, and a parent linked to a guardian and two children.
//! For each, the server's CPU milliseconds (utime + stime of
//! /proc/PID/stat, not the client's) per `/oidc/userinfo` request (scope
//! `openid profile`: names, schools, classes, children) and per CAS
//! `/cas/p3/serviceValidate` (tickets issued beforehand; attributes
//! `uid`, names, `uai`, `classes`, `children`, `children_qualified`).
//!
//! Run: `cargo bench --bench claims` (`--profile dev` to reuse a debug
//! build: slower, but before/after comparisons hold). `SESAME_BENCH_REQUESTS`
//! (default 4000 per cell) and `SESAME_BENCH_CONCURRENCY` (default 8) tune
//! it; PostgreSQL from `SESAME_BENCH_DATABASE_URL` (default
//! postgres://postgres@127.0.0.1:5432/test, a fresh database is created in
//! it). Linux only (reads /proc).

mod common;

use common::{client, cpu_ms, csrf_of, env_num, free_port};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sesame_service::{App, Config, ConfigSource};
use sesame_store::entity::{guardian, pupil};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SERVICE: &str = "https://app.ent.fr/cas/";
const CALLBACK: &str = "https://rp.exemple.fr/cb";
const SECRET: &str = "bench-client-secret-2026";
const PASSWORD: &str = "Cheval-Agrafe-Lune-42";
const VERIFIER: &str = "bench-verifier-bench-verifier-bench-verifier-0123";

struct World {
    dir: tempfile::TempDir,
    /// Empty: SQLite in the data folder.
    database_url: String,
}

impl World {
    fn command(&self) -> Command {
        let bin =
            std::env::var("SESAME_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sesame").into());
        let mut c = Command::new(bin);
        c.current_dir(self.dir.path())
            .env("SESAME__SERVER__DATA_DIR", self.dir.path())
            .env(
                "SESAME__SERVER__SERVICES_DIR",
                self.dir.path().join("services"),
            )
            .env("SESAME__SERVER__ALLOW_INSECURE_HTTP", "true")
            // The tickets are all issued before they are validated.
            .env("SESAME__CAS__SERVICE_TICKET_SECONDS", "300")
            .env("SESAME__DATABASE__URL", &self.database_url)
            .env(
                "SESAME__SERVER__ADMIN_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env("RUST_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) {
        let out = self.command().args(args).output().expect("sesame");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    async fn app(&self) -> App {
        let mut base = Config::default();
        base.server.data_dir = self.dir.path().to_path_buf();
        base.server.services_dir = self.dir.path().join("services");
        base.server.public_url = "http://localhost/".parse().expect("url");
        base.server.allow_insecure_http = true;
        base.database.url.clone_from(&self.database_url);
        let config = Config::load(&ConfigSource {
            file: None,
            default_file: false,
            env: false,
            base: Some(base),
        })
        .expect("config");
        App::init(config).await.expect("app")
    }
}

async fn pupil_id(db: &impl ConnectionTrait, external: &str) -> i32 {
    pupil::Entity::find()
        .filter(pupil::Column::ExternalId.eq(external))
        .one(db)
        .await
        .expect("query")
        .expect("pupil")
        .id
}

/// The sample school, a pupil's and a parent's accounts, a CAS service
/// and an OIDC client.
async fn prepare(world: &World) {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/siecle");
    world.run(&["migrate"]);
    world.run(&[
        "import",
        samples
            .join("ElevesSansAdresses.xml")
            .to_str()
            .expect("utf8"),
        samples
            .join("ResponsablesAvecAdresses.xml")
            .to_str()
            .expect("utf8"),
    ]);
    let app = world.app().await;
    let db = app.db.conn();
    let hash = app.hasher.hash(PASSWORD).await.expect("hash");
    let now = app.clock.now();
    let account = |identifiant: &str, kind| sesame_store::accounts::NewAccount {
        identifiant: identifiant.into(),
        identifiant_display: identifiant.into(),
        password_hash: hash.clone(),
        email: Some(format!("{identifiant}@example.org")),
        state: sesame_domain::AccountState::Active,
        kind,
        joint: false,
        language: sesame_domain::Language::Fr,
    };
    let eleve = sesame_store::accounts::insert(
        db,
        account("camille.martin", sesame_domain::AccountKind::Eleve),
        now,
    )
    .await
    .expect("account");
    sesame_store::accounts::link_pupil(db, eleve.id, pupil_id(db, "9990101").await)
        .await
        .expect("link");
    let parent = sesame_store::accounts::insert(
        db,
        account("parent.martin", sesame_domain::AccountKind::Responsable),
        now,
    )
    .await
    .expect("account");
    for child in ["9990101", "9990102"] {
        sesame_store::accounts::link_pupil(db, parent.id, pupil_id(db, child).await)
            .await
            .expect("link");
    }
    let g = guardian::Entity::find()
        .filter(guardian::Column::ExternalId.eq("800201"))
        .one(db)
        .await
        .expect("query")
        .expect("guardian");
    sesame_store::accounts::link_guardian(db, parent.id, g.id)
        .await
        .expect("link");
    let secret = app.hasher.hash(SECRET).await.expect("hash");
    let services = world.dir.path().join("services");
    std::fs::create_dir_all(&services).expect("services");
    std::fs::write(
        services.join("ent.toml"),
        format!(
            "id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[attributes]\nidentifiant = \"uid\"\nprofile = \"ENTPersonProfils\"\nfirst_name = \"givenName\"\nlast_name = \"sn\"\nuai = \"ENTPersonStructRattach\"\nclasses = \"ENTEleveClasses\"\nchildren = \"ENTAuxEnsEnfants\"\nchildren_qualified = \"ENTEnfants\"\n[cas]\nservice_urls = [\"{SERVICE}\"]\n"
        ),
    )
    .expect("write");
    std::fs::write(
        services.join("rp.toml"),
        format!(
            "id = \"rp\"\nname = \"RP\"\nprotocol = \"oidc\"\n[oidc]\nclient_id = \"rp\"\nclient_secret_hash = \"{secret}\"\nredirect_uris = [\"{CALLBACK}\"]\n"
        ),
    )
    .expect("write");
}

fn cookies(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Logs in through the form; answers the session's cookies.
async fn login(base: &str, profil: &str, identifiant: &str) -> String {
    let c = client();
    let r = c
        .get(format!("{base}/connexion?profil={profil}"))
        .send()
        .await
        .expect("page");
    let jar = cookies(&r);
    let html = r.text().await.expect("body");
    let r = c
        .post(format!("{base}/connexion"))
        .header("cookie", jar)
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("profil", profil),
            ("identifiant", identifiant),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303, "login of {identifiant}");
    cookies(&r)
}

fn challenge() -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(VERIFIER.as_bytes()))
}

/// An access token with `openid profile` through authorize and token.
async fn access_token(base: &str, session: &str) -> String {
    let c = client();
    let r = c
        .get(format!(
            "{base}/oidc/authorize?client_id=rp&redirect_uri={}&response_type=code&scope=openid%20profile&state=s&nonce=n&code_challenge={}&code_challenge_method=S256",
            url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
            challenge()
        ))
        .header("cookie", session)
        .send()
        .await
        .expect("authorize");
    let loc = r.headers()["location"].to_str().expect("ascii").to_owned();
    let code = url::Url::parse(&loc)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let v: serde_json::Value = c
        .post(format!("{base}/oidc/token"))
        .basic_auth("rp", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    v["access_token"].as_str().expect("access token").to_owned()
}

/// Runs the `n` requests of `urls` (with `bearer`, if any) on the
/// configured concurrency; answers the server's CPU milliseconds per
/// request and the requests per second. Every answer must contain `expect`.
async fn measure(
    pid: u32,
    urls: Vec<String>,
    bearer: Option<String>,
    expect: &'static str,
) -> (f64, f64) {
    let n = urls.len();
    let concurrency = env_num("SESAME_BENCH_CONCURRENCY", 8) as usize;
    let queue = Arc::new(std::sync::Mutex::new(urls));
    let cpu0 = cpu_ms(pid);
    let t0 = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (queue, bearer) = (queue.clone(), bearer.clone());
        workers.push(tokio::spawn(async move {
            let c = client();
            loop {
                let Some(url) = queue.lock().expect("lock").pop() else {
                    break;
                };
                let mut r = c.get(url);
                if let Some(b) = &bearer {
                    r = r.bearer_auth(b);
                }
                let body = r.send().await.expect("request").text().await.expect("body");
                assert!(body.contains(expect), "unexpected answer: {body}");
            }
        }));
    }
    for w in workers {
        w.await.expect("worker");
    }
    let elapsed = t0.elapsed().as_secs_f64();
    ((cpu_ms(pid) - cpu0) / n as f64, n as f64 / elapsed)
}

async fn run(label: &str, world: &World) {
    prepare(world).await;
    let port = free_port();
    let mut server: Child = world
        .command()
        .arg("serve")
        .env("SESAME__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "SESAME__SERVER__PUBLIC_URL",
            format!("http://127.0.0.1:{port}/"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sesame serve");
    let pid = server.id();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..300 {
        if client()
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not start");
    let n = env_num("SESAME_BENCH_REQUESTS", 4000) as usize;
    let service: String = url::form_urlencoded::byte_serialize(SERVICE.as_bytes()).collect();
    for (profil, who) in [("eleve", "camille.martin"), ("parent", "parent.martin")] {
        let session = login(&base, profil, who).await;
        let token = access_token(&base, &session).await;
        // Warm-up.
        measure(
            pid,
            vec![format!("{base}/oidc/userinfo"); 200],
            Some(token.clone()),
            "given_name",
        )
        .await;
        let (cpu, rate) = measure(
            pid,
            vec![format!("{base}/oidc/userinfo"); n],
            Some(token),
            "given_name",
        )
        .await;
        println!(
            "{label:<10} {profil:<7} userinfo          {cpu:>6.3} ms CPU/request  {rate:>6.0}/s  ({n} requests)"
        );
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
        let (cpu, rate) = measure(pid, urls, None, "ENTPersonStructRattach").await;
        println!(
            "{label:<10} {profil:<7} serviceValidate   {cpu:>6.3} ms CPU/request  {rate:>6.0}/s  ({n} requests)"
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!(
            "Claims released per request, server CPU (utime + stime of the server process), {} core(s):",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        let sqlite = World {
            dir: tempfile::tempdir().expect("dir"),
            database_url: String::new(),
        };
        run("SQLite", &sqlite).await;
        let admin = std::env::var("SESAME_BENCH_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("sesame_bench_claims_{}", std::process::id());
        match sea_orm::Database::connect(&admin).await {
            Ok(db) => {
                db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create database");
            }
            Err(e) => {
                println!("PostgreSQL does not answer at {admin}: skipped ({e})");
                return;
            }
        }
        let base = admin
            .rsplit_once('/')
            .map_or(admin.clone(), |(b, _)| b.to_owned());
        let pg = World {
            dir: tempfile::tempdir().expect("dir"),
            database_url: format!("{base}/{name}"),
        };
        run("PostgreSQL", &pg).await;
        if let Ok(db) = sea_orm::Database::connect(&admin).await {
            let _ = db
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await;
        }
    });
}
