//! A `sesame serve` process for the benchmarks that read the server's own
//! CPU time: a temporary folder, SQLite or PostgreSQL, the in-process
//! store or Redis, the sample school imported, a pupil's and a parent's
//! accounts, a CAS service and an OIDC client.

use super::{client, csrf_of, free_port};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sesame_service::{App, Config, ConfigSource};
use sesame_store::entity::{guardian, pupil};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Accounts `login.0`… made for the login cells.
pub const LOGIN_ACCOUNTS: usize = 16;
pub const SERVICE: &str = "https://app.ent.fr/cas/";
pub const CALLBACK: &str = "https://rp.exemple.fr/cb";
pub const SECRET: &str = "bench-client-secret-2026";
pub const PASSWORD: &str = "Cheval-Agrafe-Lune-42";
pub const VERIFIER: &str = "bench-verifier-bench-verifier-bench-verifier-0123";

pub struct World {
    pub dir: tempfile::TempDir,
    /// Empty: SQLite in the data folder.
    pub database_url: String,
    /// Empty: the in-process store.
    pub redis_url: String,
}

impl World {
    pub fn command(&self) -> Command {
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
            .env("SESAME__REDIS__URL", &self.redis_url)
            .env(
                "SESAME__REDIS__KEY_PREFIX",
                format!("bench:{}:", std::process::id()),
            )
            .env(
                "SESAME__SERVER__ADMIN_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env("RUST_LOG", "warn");
        c
    }

    pub fn run(&self, args: &[&str]) {
        let out = self.command().args(args).output().expect("sesame");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub async fn app(&self) -> App {
        let mut base = Config::default();
        base.server.data_dir = self.dir.path().to_path_buf();
        base.server.services_dir = self.dir.path().join("services");
        base.server.public_url = "http://localhost/".parse().expect("url");
        base.server.allow_insecure_http = true;
        base.database.url.clone_from(&self.database_url);
        base.redis.url.clone_from(&self.redis_url);
        base.redis.key_prefix = format!("bench:{}:", std::process::id());
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
pub async fn prepare(world: &World) {
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
    // Accounts for the login cells: one per worker, since the attempts on
    // one identifiant run one at a time.
    for i in 0..LOGIN_ACCOUNTS {
        sesame_store::accounts::insert(
            db,
            account(&format!("login.{i}"), sesame_domain::AccountKind::Eleve),
            now,
        )
        .await
        .expect("account");
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

pub fn cookies(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Logs in through the form; answers the session's cookies.
pub async fn login(base: &str, profil: &str, identifiant: &str) -> String {
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

pub fn challenge() -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(VERIFIER.as_bytes()))
}

/// An authorization code for `openid profile` of the session's account
/// (the session is open: no page, a redirect with the code).
pub async fn code(c: &reqwest::Client, base: &str, session: &str) -> String {
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
    url::Url::parse(&loc)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code")
}

/// The token endpoint's answer to `form` (client_secret_basic).
pub async fn token(c: &reqwest::Client, base: &str, form: &[(&str, &str)]) -> serde_json::Value {
    let r = c
        .post(format!("{base}/oidc/token"))
        .basic_auth("rp", Some(SECRET))
        .form(form)
        .send()
        .await
        .expect("token");
    let body = r.text().await.expect("body");
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("token answer: {body}"))
}

/// A code exchanged: (access token, refresh token).
pub async fn exchange(c: &reqwest::Client, base: &str, code: &str) -> (String, String) {
    let v = token(
        c,
        base,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let field = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("no {k} in {v}"))
            .to_owned()
    };
    (field("access_token"), field("refresh_token"))
}

/// An access token with `openid profile` through authorize and token.
pub async fn access_token(base: &str, session: &str) -> String {
    let c = client();
    let code = code(&c, base, session).await;
    exchange(&c, base, &code).await.0
}

/// A running `sesame serve` of a world: killed when dropped.
pub struct Server {
    child: Child,
    /// Its process id (for /proc).
    pub pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sesame serve` on a free port and waits until it is ready.
pub async fn serve(world: &World) -> Server {
    let port = free_port();
    let child = world
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
    let server = Server {
        pid: child.id(),
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..300 {
        if client()
            .get(format!("{}/readyz", server.base))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}
