//! Upstream providers (issue 8): a second Sésame instance, started by the
//! test, is the upstream OpenID Connect provider, so the whole round trip
//! is real: discovery, authorization with PKCE, state and nonce, code
//! exchange, ID-token verification by the `openidconnect` crate, userinfo.
//! The upstream answers as `localhost`, Sésame as `127.0.0.1`, so that one
//! browser keeps both sessions apart.

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
            "id = \"aval\"\nname = \"Sésame aval\"\nprotocol = \"oidc\"\n[oidc]\nclient_id = \"sesame-aval\"\nclient_secret_hash = \"{hash}\"\nredirect_uris = [\"{downstream}/amont/retour\"]\nscopes = [\"openid\", \"profile\", \"email\"]\n"
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
    let env = TestEnv::new();
    if with_data {
        martin_family(&env);
    }
    env.write(
        "services/ent.toml",
        "id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[attributes]\nprofile = \"profil\"\nlast_name = \"sn\"\nidentifiant = \"uid\"\n[cas]\nservice_urls = [\"https://app.ent.fr/cas/\"]\n",
    );
    let upstreams = providers(&env, issuer);
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

// Parents with a national identity: matched by name to one guardian,
// confirmed with a child, the account created with all the children; next
// time straight in. Wrong answers are refused with one message.
#[tokio::test(flavor = "multi_thread")]
async fn a_parent_is_matched_to_a_guardian_confirms_with_a_child_and_comes_back() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, true).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;

    let (r, _) = follow(&browser, &format!("{}/connexion?profil=parent", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(html.contains("Se connecter avec FranceConnect"), "{html}");
    let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(html.contains("Confirmez votre identité"), "{html}");
    assert!(html.contains("Olivier MARTIN"), "{html}");
    let ticket = html
        .split("name=\"ticket\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("ticket")
        .to_owned();
    let confirm = |html: String, prenom: &'static str, naissance: &'static str| {
        let (b, url, ticket) = (
            browser.clone(),
            format!("{}/amont/confirmation", down.url),
            ticket.clone(),
        );
        async move {
            b.post(url)
                .form(&[
                    ("csrf", csrf_of(&html)),
                    ("ticket", ticket),
                    ("prenom", prenom.to_owned()),
                    ("naissance", naissance.to_owned()),
                ])
                .send()
                .await
                .expect("confirm")
        }
    };
    let r = confirm(html, "Jean-Baptiste", "04/02/2011").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("ne correspondent à aucun de vos enfants"),
        "{html}"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts").await,
        0,
        "nothing created"
    );
    let r = confirm(html, "jean-baptiste", "03/02/2011").await;
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    // The home page lists the children of every school.
    let (r, _) = follow(&browser, &format!("{}/", down.url)).await;
    let home = r.text().await.expect("body");
    assert!(home.contains("Jean-Baptiste"), "{home}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE kind = 'responsable' AND state = 'active'")
            .await,
        1
    );
    let children = env.count("SELECT COUNT(*) FROM account_pupils").await;
    assert!(children >= 2, "all of the guardian's children: {children}");
    assert!(
        env.count("SELECT COUNT(*) FROM activation_codes WHERE used_by_account_id IS NOT NULL")
            .await
            >= 1,
        "the guardian's codes are taken by the account"
    );
    // Next time, straight in, no confirmation.
    let b2 = TestServer::browser();
    login_upstream(&up, &b2).await;
    let (r, visited) = follow(&b2, &format!("{}/amont/fc?profil=parent", down.url)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        visited.last().map(String::as_str),
        Some(format!("{}/", down.url).as_str())
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
}

// No guardian of that name: a clear page towards the activation codes.
#[tokio::test(flavor = "multi_thread")]
async fn a_parent_without_a_matching_guardian_is_sent_to_the_codes() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(html.contains("Nous ne vous avons pas trouvé"), "{html}");
    assert!(html.contains("/premiere-visite/parent"), "{html}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}

// "Gérer son compte": a parent with a local account links it to the
// national identity; next time that identity opens the same account.
#[tokio::test(flavor = "multi_thread")]
async fn a_local_parent_account_is_linked_from_the_account_page() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    // The school data comes with Olivier's local account.
    let (env, down) = downstream(listener, &up.url, false).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &down, &sink).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (status, _, _) = log_in_answer(&browser, &down.url, &OLIVIER).await;
    assert_eq!(status, 303);
    let (r, _) = follow(&browser, &format!("{}/compte", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Associer mon compte à FranceConnect"),
        "{html}"
    );
    let r = browser
        .post(format!("{}/compte/amont/fc", down.url))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .expect("link");
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    let (r, _) = follow(&browser, &to).await;
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Votre compte est associé à FranceConnect"),
        "{html}"
    );
    let (r, _) = follow(&browser, &format!("{}/compte", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Votre compte est associé à FranceConnect"),
        "{html}"
    );
    assert!(!html.contains("Associer mon compte"), "{html}");
    // Another browser, FranceConnect only: the same account.
    let b2 = TestServer::browser();
    login_upstream(&up, &b2).await;
    let (r, visited) = follow(&b2, &format!("{}/amont/fc?profil=parent", down.url)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        visited.last().map(String::as_str),
        Some(format!("{}/", down.url).as_str())
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
    let (r, _) = follow(&b2, &format!("{}/compte", down.url)).await;
    assert!(r.text().await.expect("body").contains("olivier.martin"));
}

// Two guardians of that name in one school: two people, so no match by
// name; the codes path tells them apart.
#[tokio::test(flavor = "multi_thread")]
async fn two_guardians_of_that_name_in_one_school_are_not_guessed_between() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    // The sample export, with a second Olivier MARTIN (another person).
    let g = crate::support::samples::GUARDIANS;
    let start = b"<PERSONNE PERSONNE_ID=\"800202\">";
    let from = g
        .windows(start.len())
        .position(|w| w == start)
        .expect("Olivier's record");
    let len = g[from..]
        .windows(b"</PERSONNE>".len())
        .position(|w| w == b"</PERSONNE>")
        .expect("end")
        + b"</PERSONNE>".len();
    // Olivier's record is ASCII.
    let twin: Vec<u8> = String::from_utf8(g[from..from + len].to_vec())
        .expect("ASCII")
        .replace("800202", "800299")
        .replace("olivier.martin@", "o.martin@")
        .into_bytes();
    let mut modified = g[..from + len].to_vec();
    modified.extend_from_slice(b"\n      ");
    modified.extend_from_slice(&twin);
    // Guardian of a pupil of the same school (records without a link are
    // not imported); the bytes stay ISO-8859-15.
    let rest = &g[from + len..];
    let tag = b"<RESPONSABLE_ELEVE>";
    let at = rest
        .windows(tag.len())
        .position(|w| w == tag)
        .expect("links");
    modified.extend_from_slice(&rest[..at]);
    modified.extend_from_slice(b"<RESPONSABLE_ELEVE>\n        <ELEVE_ID>9990107</ELEVE_ID>\n        <PERSONNE_ID>800299</PERSONNE_ID>\n        <NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE>\n        <CODE_PARENTE>20</CODE_PARENTE>\n      </RESPONSABLE_ELEVE>\n      ");
    modified.extend_from_slice(&rest[at..]);
    let p = env.write("in/ElevesSansAdresses.xml", crate::support::samples::PUPILS);
    let gpath = env.write("in/ResponsablesAvecAdresses.xml", modified);
    env.sesame(&[
        "import",
        p.to_str().expect("utf8"),
        gpath.to_str().expect("utf8"),
    ])
    .ok();
    assert_eq!(
        env.count("SELECT COUNT(*) FROM guardians WHERE first_name = 'Olivier'")
            .await,
        2
    );
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Plusieurs responsables légaux portent votre nom"),
        "{html}"
    );
    assert!(html.contains("/premiere-visite/parent"), "{html}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}

// The child confirmation stands a few guesses only: five per round trip,
// ten per upstream identity and day, then a page towards the codes.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_confirmations_are_limited_per_identity_and_day() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, true).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let confirm = |html: String, naissance: &'static str| {
        let (b, url) = (browser.clone(), format!("{}/amont/confirmation", down.url));
        async move {
            let ticket = html
                .split("name=\"ticket\" value=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("ticket")
                .to_owned();
            b.post(url)
                .form(&[
                    ("csrf", csrf_of(&html)),
                    ("ticket", ticket),
                    ("prenom", "Jean-Baptiste".to_owned()),
                    ("naissance", naissance.to_owned()),
                ])
                .send()
                .await
                .expect("confirm")
        }
    };
    for round in 0..2 {
        let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
        let mut html = r.text().await.expect("body");
        for attempt in 0..5 {
            let r = confirm(html.clone(), "01/01/2011").await;
            if attempt < 4 {
                assert_eq!(r.status(), 422, "round {round}, attempt {attempt}");
                html = r.text().await.expect("body");
            } else {
                assert!(r.status() == 422 || r.status() == 400);
            }
        }
    }
    // Even the right answer is refused now.
    let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
    let html = r.text().await.expect("body");
    let r = confirm(html, "03/02/2011").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    assert!(r.text().await.expect("body").contains("Trop de tentatives"));
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}

// Staff: the profile sends the browser to the académie's directory; back
// from it, Sésame opens its own session, and a CAS ticket carries the
// mapped identity with the chosen profile.
#[tokio::test(flavor = "multi_thread")]
async fn a_staff_profile_logs_in_through_the_upstream_provider() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;

    let service = "https%3A%2F%2Fapp.ent.fr%2Fcas%2F";
    let (r, visited) = follow(
        &browser,
        &format!(
            "{}/connexion?profil=personnel_education&service={service}",
            down.url
        ),
    )
    .await;
    assert!(
        visited
            .iter()
            .any(|u| u.starts_with(&format!("{}/oidc/authorize", up.url))),
        "{visited:?}"
    );
    let authorize = visited
        .iter()
        .find(|u| u.contains("/oidc/authorize"))
        .expect("authorize");
    for p in [
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "scope=openid",
    ] {
        assert!(authorize.contains(p), "{authorize}");
    }
    // Back to the CAS service with a ticket of the new session.
    let last = visited.last().expect("last");
    assert!(
        last.starts_with("https://app.ent.fr/cas/?ticket=ST-"),
        "{visited:?}"
    );
    drop(r);
    let ticket = last.split("ticket=").nth(1).expect("ticket");
    let xml = TestServer::browser()
        .get(format!(
            "{}/cas/p3/serviceValidate?ticket={ticket}&service={service}",
            down.url
        ))
        .send()
        .await
        .expect("validate")
        .text()
        .await
        .expect("body");
    assert!(xml.contains("<cas:user>olivier.martin</cas:user>"), "{xml}");
    assert!(
        xml.contains("<cas:profil>personnel_education</cas:profil>"),
        "{xml}"
    );
    assert!(xml.contains("<cas:sn>MARTIN</cas:sn>"), "{xml}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM federated_identities WHERE provider = 'academie'")
            .await,
        1
    );
    // Next time: the same account.
    let b2 = TestServer::browser();
    login_upstream(&up, &b2).await;
    let (r, _) = follow(
        &b2,
        &format!("{}/connexion?profil=personnel_education", down.url),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE kind = 'federe'")
            .await,
        1
    );
}

// Failures: a stopped provider, an error returned, a forged or replayed
// answer: a French page back to the profile choice, nothing created.
#[tokio::test(flavor = "multi_thread")]
async fn upstream_failures_show_a_page_and_create_nothing() {
    // A provider that does not answer.
    let dead = format!("http://127.0.0.1:{}", crate::support::free_port());
    let (listener, _) = bound().await;
    let (env, down) = downstream(listener, &dead, false).await;
    let browser = TestServer::browser();
    let (r, _) = follow(
        &browser,
        &format!("{}/connexion?profil=personnel_education", down.url),
    )
    .await;
    assert_eq!(r.status(), 502);
    let html = r.text().await.expect("body");
    assert!(html.contains("ne répond pas"), "{html}");
    assert!(html.contains("href=\"/profil\""), "{html}");
    drop(down);
    drop(env);

    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    // The answer, caught before Sésame sees it.
    let (authorize, state) = start_staff_login(&browser, &down).await;
    let r = browser.get(&authorize).send().await.expect("authorize");
    let answer = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(
        answer.starts_with(&format!("{down_url}/amont/retour?")),
        "{answer}"
    );
    // A forged state.
    let forged = answer.replace(&state, "etat-forge");
    let r = browser.get(&forged).send().await.expect("forged");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("Demande expirée"));
    // Login CSRF: the answer opened in another browser (an attacker's
    // link) is refused, and does not spend the state of its owner.
    let other = TestServer::browser();
    let r = other.get(&answer).send().await.expect("other browser");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("Demande expirée"));
    let r = other
        .get(format!("{down_url}/compte"))
        .send()
        .await
        .expect("account");
    assert_eq!(r.status(), 303, "no session in the other browser");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
    // The real answer, then replayed.
    let r = browser.get(&answer).send().await.expect("answer");
    assert_eq!(r.status(), 303);
    let r = browser.get(&answer).send().await.expect("replay");
    assert_eq!(r.status(), 400, "a replayed answer is refused");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
    // The provider returns an error.
    let (_, state) = start_staff_login(&browser, &down).await;
    let r = browser
        .get(format!(
            "{down_url}/amont/retour?error=access_denied&state={state}"
        ))
        .send()
        .await
        .expect("error");
    let html = r.text().await.expect("body");
    assert!(html.contains("Connexion annulée"), "{html}");
    assert!(html.contains("href=\"/profil\""), "{html}");
}

// A tampered ID token (through a proxy in front of the upstream) is
// refused: a page back to the profile choice, no session, nothing created.
#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_id_token_is_refused() {
    let (listener, down_url) = bound().await;
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let proxy_url = format!(
        "http://localhost:{}",
        proxy.local_addr().expect("addr").port()
    );
    let real = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let real_port = real.local_addr().expect("addr").port();
    let (_uenv, up) = upstream_on(&down_url, real, &proxy_url).await;
    tampering_proxy(proxy, format!("http://127.0.0.1:{real_port}")).await;
    let (env, down) = downstream(listener, &proxy_url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (r, visited) = follow(
        &browser,
        &format!("{}/connexion?profil=personnel_education", down.url),
    )
    .await;
    assert!(
        visited
            .iter()
            .any(|u| u.starts_with(&format!("{proxy_url}/oidc/authorize"))),
        "{visited:?}"
    );
    assert_eq!(r.status(), 400);
    let html = r.text().await.expect("body");
    assert!(html.contains("pas pu être vérifiée"), "{html}");
    assert!(html.contains("href=\"/profil\""), "{html}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
    let r = browser
        .get(format!("{}/compte", down.url))
        .send()
        .await
        .expect("account");
    assert_eq!(r.status(), 303, "no session");
}
