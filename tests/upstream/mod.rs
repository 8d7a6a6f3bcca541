//! Upstream providers (issue 8): a second Sésame instance, started by the
//! test, is the upstream OpenID Connect provider, so the whole round trip
//! is real: discovery, authorization with PKCE, state and nonce, code
//! exchange, ID-token verification by the `openidconnect` crate, userinfo.
//! The upstream answers as `localhost`, Sésame as `127.0.0.1`, so that one
//! browser keeps both sessions apart.

mod audit;
mod availability;
mod languages;
mod logout;
mod names;
mod parents;
mod rename;
mod staff;

use crate::support::fixtures::{UPSTREAM_SECRET as SECRET, martin_family, olivier, secret_hash};
use crate::support::personas::log_in_answer;
use crate::support::{MailSink, OLIVIER, TestEnv, TestServer, csrf_of, log_in};
use reqwest::Client;
use sesame_domain::SystemClock;
use std::sync::Arc;

/// The upstream: a Sésame with Olivier MARTIN's parent account, where the
/// downstream at `downstream` is a registered client. Answers (its env,
/// the server).
async fn upstream(downstream: &str) -> (TestEnv, TestServer) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://localhost:{}",
        listener.local_addr().expect("addr").port()
    );
    upstream_on(downstream, listener, &url).await
}

/// Like [`upstream`], on `listener`, announcing itself as `public`.
async fn upstream_on(
    downstream: &str,
    listener: tokio::net::TcpListener,
    public: &str,
) -> (TestEnv, TestServer) {
    let env = TestEnv::new();
    let hash = secret_hash(SECRET).await;
    env.write(
        "services/aval.toml",
        format!(
            "id = \"aval\"\nname = \"Sésame aval\"\nprotocol = \"oidc\"\n[oidc]\nclient_id = \"sesame-aval\"\nclient_secret_hash = \"{hash}\"\nredirect_uris = [\"{downstream}/amont/retour\"]\npost_logout_redirect_uris = [\"{downstream}/amont/deconnexion\"]\nscopes = [\"openid\", \"profile\", \"email\"]\n"
        ),
    );
    let s = TestServer::spawn_on(&env, listener, "localhost", Arc::new(SystemClock), |c| {
        c.server.public_url = format!("{public}/").parse().expect("url");
    })
    .await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    (env, s)
}

/// The `[[upstream]]` entries of the downstream: the académie directory
/// for staff, and a national identity for parents, both at `issuer`.
fn providers(env: &TestEnv, issuer: &str) -> Vec<sesame_service::config::Upstream> {
    let secret = env.write("secret-amont", SECRET);
    let make = |id: &str, name: &str, profiles: &[&str], national: bool| {
        toml::from_str::<sesame_service::config::Upstream>(&format!(
            "id = \"{id}\"\nname = \"{name}\"\nissuer = \"{issuer}\"\nclient_id = \"sesame-aval\"\nclient_secret_file = \"{}\"\nprofiles = {profiles:?}\nmatch_guardians = {national}\n",
            secret.display()
        ))
        .expect("upstream")
    };
    vec![
        make(
            "academie",
            "l'annuaire académique",
            &["personnel_education"],
            false,
        ),
        make("fc", "FranceConnect", &["parent"], true),
    ]
}

/// The downstream Sésame (the one under test), with the school data when
/// `with_data`, a CAS service, and the providers at `issuer`.
async fn downstream(
    listener: tokio::net::TcpListener,
    issuer: &str,
    with_data: bool,
) -> (TestEnv, TestServer) {
    downstream_with(listener, issuer, with_data, &[]).await
}

/// Like [`downstream`], with more providers at `issuer` for the guests
/// (`invite`, a local profile that offers them): one per id of
/// `more_staff` (the same upstream client: the same subject through
/// several providers).
async fn downstream_with(
    listener: tokio::net::TcpListener,
    issuer: &str,
    with_data: bool,
    more_staff: &[String],
) -> (TestEnv, TestServer) {
    let env = TestEnv::new();
    if with_data {
        martin_family(&env);
    }
    env.write(
        "services/ent.toml",
        "id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[attributes]\nprofile = \"profil\"\nlast_name = \"sn\"\nidentifiant = \"uid\"\n[cas]\nservice_urls = [\"https://app.ent.fr/cas/\"]\n",
    );
    let mut upstreams = providers(&env, issuer);
    for id in more_staff {
        let mut p = upstreams[0].clone();
        p.id = id.clone();
        p.profiles = vec!["invite".to_owned()];
        upstreams.push(p);
    }
    let url = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().expect("addr").port()
    );
    let s = TestServer::spawn_on(&env, listener, "127.0.0.1", Arc::new(SystemClock), |c| {
        c.server.public_url = url.parse().expect("url");
        c.upstream = upstreams;
        c.profiles.personnel_education = sesame_service::config::ProfileSource::Upstream;
    })
    .await;
    (env, s)
}

async fn bound() -> (tokio::net::TcpListener, String) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://127.0.0.1:{}", l.local_addr().expect("addr").port());
    (l, url)
}

/// Follows redirects from `url` (absolute); answers the last response and
/// the URLs visited.
async fn follow(browser: &Client, url: &str) -> (reqwest::Response, Vec<String>) {
    let mut url = url::Url::parse(url).expect("url");
    let mut seen = vec![url.to_string()];
    for _ in 0..10 {
        let r = browser.get(url.clone()).send().await.expect("get");
        let Some(loc) = r.headers().get("location").and_then(|v| v.to_str().ok()) else {
            return (r, seen);
        };
        url = url.join(loc).expect("location");
        seen.push(url.to_string());
        // A service outside the test: the browser would leave here.
        if !matches!(url.host_str(), Some("127.0.0.1" | "localhost")) {
            return (r, seen);
        }
    }
    panic!("too many redirects: {seen:?}");
}

/// Logs the browser in at the upstream as Olivier MARTIN.
async fn login_upstream(up: &TestServer, browser: &Client) {
    let r = log_in(browser, &up.url, &OLIVIER, &[]).await;
    assert_eq!(r.status(), 303);
}

/// Starts a staff login at the downstream; answers the provider's
/// authorization URL and its `state`.
async fn start_staff_login(browser: &Client, down: &TestServer) -> (String, String) {
    let start = browser
        .get(format!(
            "{}/amont/academie?profil=personnel_education",
            down.url
        ))
        .send()
        .await
        .expect("start");
    let authorize = start.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let state = url::Url::parse(&authorize)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    (authorize, state)
}

/// A proxy in front of the upstream that alters the ID token of every
/// token response (the payload's `sub`; the signature is kept).
async fn tampering_proxy(listener: tokio::net::TcpListener, target: String) {
    let rewrite: crate::support::proxy::Rewrite = Arc::new(|path: &str, text: String| {
        if path != "/oidc/token" {
            return text;
        }
        let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&text) else {
            return text;
        };
        let Some(jwt) = v["id_token"].as_str().map(str::to_owned) else {
            return text;
        };
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&b64.decode(&parts[1]).expect("b64")).expect("JSON");
        claims["sub"] = "quelqu-un-d-autre".into();
        parts[1] = b64.encode(claims.to_string());
        v["id_token"] = parts.join(".").into();
        v.to_string()
    });
    crate::support::proxy::start(listener, vec![target], Some(rewrite)).await;
}

/// The CAS service the federated-name tests log in to.
const SERVICE: &str = "https%3A%2F%2Fapp.ent.fr%2Fcas%2F";

/// Logs `browser` in through provider `provider` of `down` (staff at
/// `academie`, guests at the others) for the CAS service; answers the CAS
/// user its ticket validates as.
async fn cas_user(browser: &Client, down: &TestServer, provider: &str) -> String {
    let profile = if provider == "academie" {
        "personnel_education"
    } else {
        "invite"
    };
    let (_, visited) = follow(
        browser,
        &format!(
            "{}/amont/{provider}?profil={profile}&service={SERVICE}",
            down.url
        ),
    )
    .await;
    let last = visited.last().expect("last");
    assert!(
        last.starts_with("https://app.ent.fr/cas/?ticket=ST-"),
        "{visited:?}"
    );
    let ticket = last.split("ticket=").nth(1).expect("ticket");
    let xml = TestServer::browser()
        .get(format!(
            "{}/cas/p3/serviceValidate?ticket={ticket}&service={SERVICE}",
            down.url
        ))
        .send()
        .await
        .expect("validate")
        .text()
        .await
        .expect("body");
    xml.split("<cas:user>")
        .nth(1)
        .and_then(|r| r.split("</cas:user>").next())
        .unwrap_or_else(|| panic!("no user: {xml}"))
        .to_owned()
}
