//! The public pages through HTTP, as a browser: profile choice, CSRF, pupil
//! account creation, login with throttling, session, logout.

use crate::support::fixtures::camille_code;
use crate::support::http::{location, page};
use crate::support::{CAMILLE, PASSWORD, TestEnv, TestServer, csrf_of, log_in};
use reqwest::Client;

async fn post(c: &Client, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(url).form(form).send().await.expect("post")
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_profile_choice_lists_enabled_profiles_and_can_be_remembered() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let (status, html) = page(&s.client, &format!("{}/", s.url)).await;
    assert_eq!(status, 200);
    assert!(html.contains("lang=\"fr\""), "{html}");
    assert!(
        html.contains("Vous souhaitez vous connecter avec le profil :"),
        "{html}"
    );
    assert!(
        html.contains(">Élève</label>") && html.contains(">Parent</label>"),
        "{html}"
    );
    assert!(
        !html.contains("Invité"),
        "disabled profiles are not offered"
    );
    assert!(html.contains("Mémoriser mon profil"));

    let r = post(
        &s.client,
        &format!("{}/profil", s.url),
        &[
            ("csrf", &csrf_of(&html)),
            ("profil", "parent"),
            ("memoriser", "1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/connexion?profil=parent");
    let cookie = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("sesame-profil=parent"))
        .expect("profile cookie");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Max-Age="),
        "{cookie}"
    );

    // Next visit: straight to the login page of the remembered profile.
    let r = s
        .client
        .get(format!("{}/", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/connexion?profil=parent");
    let (_, html) = page(&s.client, &format!("{}/connexion?profil=parent", s.url)).await;
    assert!(
        html.contains("Profil choisi : <strong>Parent</strong>"),
        "{html}"
    );
    assert!(
        html.contains("Changer de profil")
            && html.contains("identifiant oublié ?")
            && html.contains("mot de passe oublié ?")
    );
    assert!(
        html.contains("Code Activation Responsable (1 par enfant)"),
        "{html}"
    );
    // "Changer de profil" shows the choice again.
    let (status, html) = page(&s.client, &format!("{}/profil", s.url)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Vous souhaitez vous connecter avec le profil :"));
}

// AUTH-14
#[tokio::test(flavor = "multi_thread")]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let url = format!("{}/profil", s.url);
    let r = post(&s.client, &url, &[("profil", "eleve")]).await;
    assert_eq!(r.status(), 403);
    // A token issued to another browser.
    let other = TestServer::browser();
    let (_, html) = page(&other, &format!("{}/", s.url)).await;
    let foreign = csrf_of(&html);
    let (_, _) = page(&s.client, &format!("{}/", s.url)).await;
    let r = post(&s.client, &url, &[("csrf", &foreign), ("profil", "eleve")]).await;
    assert_eq!(r.status(), 403);
    // A token used twice.
    let (_, html) = page(&s.client, &format!("{}/", s.url)).await;
    let token = csrf_of(&html);
    assert_eq!(
        post(&s.client, &url, &[("csrf", &token), ("profil", "eleve")])
            .await
            .status(),
        303
    );
    assert_eq!(
        post(&s.client, &url, &[("csrf", &token), ("profil", "eleve")])
            .await
            .status(),
        403
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cookies_are_host_prefixed_and_secure_outside_the_development_switch() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |c| {
        c.server.allow_insecure_http = false;
    })
    .await;
    let r = s
        .client
        .get(format!("{}/", s.url))
        .send()
        .await
        .expect("get");
    let cookie = set_cookies(&r).into_iter().next().expect("browser cookie");
    assert!(cookie.starts_with("__Host-sesame-b="), "{cookie}");
    assert!(
        cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain="), "{cookie}");
}

struct Pupil {
    code: String,
}

async fn pupil_fixture(env: &TestEnv) -> Pupil {
    Pupil {
        code: camille_code(env),
    }
}

fn signup_form<'a>(
    csrf: &'a str,
    code: &'a str,
    prenom: &'a str,
    naissance: &'a str,
    password: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("prenom", prenom),
        ("naissance", naissance),
        ("code", code),
        ("identifiant", "Camille.Martin"),
        ("password", password),
        ("password2", password),
        ("email", "camille@example.org"),
        ("email2", "camille@example.org"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pupil_creates_an_account_with_the_code_and_logs_in() {
    let env = TestEnv::new();
    let pupil = pupil_fixture(&env).await;
    let s = TestServer::spawn(&env, |_| {}).await;
    let url = format!("{}/premiere-visite/eleve", s.url);

    // Every field checked; values kept (never passwords); errors beside fields.
    let (_, html) = page(&s.client, &url).await;
    let mut form = signup_form("", &pupil.code, "camille", "16/06/2013", PASSWORD);
    let token = csrf_of(&html);
    form[0].1 = &token;
    form[6].1 = "Kq7mWz4q";
    form[8].1 = "autre@example.org";
    let r = post(&s.client, &url, &form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Les deux mots de passe ne sont pas identiques."),
        "{html}"
    );
    assert!(
        html.contains("Les deux adresses électroniques ne sont pas identiques."),
        "{html}"
    );
    assert!(
        html.contains("aria-describedby=\"password2-erreur\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"Camille.Martin\"") && !html.contains(PASSWORD),
        "{html}"
    );

    // A weak password, and one built on the child's first name.
    for (pw, msg) in [
        ("azerty123", "trop courant"),
        ("Camille2013", "trop proche de vos données personnelles"),
        ("court1", "au moins 8 caractères"),
    ] {
        let (_, html) = page(&s.client, &url).await;
        let token = csrf_of(&html);
        let r = post(
            &s.client,
            &url,
            &signup_form(&token, &pupil.code, "camille", "16/06/2013", pw),
        )
        .await;
        let html = r.text().await.expect("body");
        assert!(html.contains(msg), "{pw}: {html}");
    }

    // A wrong birth date: the pupil is not identified, no field named.
    let (_, html) = page(&s.client, &url).await;
    let token = csrf_of(&html);
    let r = post(
        &s.client,
        &url,
        &signup_form(&token, &pupil.code, "Camille", "17/06/2013", PASSWORD),
    )
    .await;
    let html = r.text().await.expect("body");
    assert!(html.contains("pas pu identifier"), "{html}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);

    // The right answers, typed loosely (case, accents, code in lower case).
    let (_, html) = page(&s.client, &url).await;
    let token = csrf_of(&html);
    let loose = pupil.code.to_lowercase().replace('-', " ");
    let r = post(
        &s.client,
        &url,
        &signup_form(&token, &loose, "CAMILLE", "16/06/2013", PASSWORD),
    )
    .await;
    // POST-redirect-GET: the account's page is a GET, which a reload
    // shows again without posting.
    assert_eq!(r.status(), 303);
    let created = format!("{}{}", s.url, crate::support::http::location(&r));
    assert!(
        created.ends_with("/premiere-visite/eleve/compte-cree"),
        "{created}"
    );
    for _ in 0..2 {
        let (status, html) = page(&s.client, &created).await;
        assert_eq!(status, 200);
        assert!(html.contains("Ton compte a été créé"), "{html}");
    }
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts WHERE identifiant = 'camille.martin' AND kind = 'eleve' AND state = 'active'").await, 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM account_pupils").await, 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM activation_codes WHERE used_by_account_id IS NOT NULL")
            .await,
        1
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM mail_outbox WHERE recipient = 'camille@example.org' AND state = 'pending'").await, 1);
    // The production argon2id parameters (AUTH-12).
    let hash = env.rows("SELECT password_hash FROM accounts").await[0][0]
        .clone()
        .expect("hash");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );

    // The code cannot serve twice.
    let (_, html) = page(&s.client, &url).await;
    let token = csrf_of(&html);
    let mut again = signup_form(&token, &pupil.code, "Camille", "16/06/2013", PASSWORD);
    again[4].1 = "camille2";
    let html = post(&s.client, &url, &again)
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("a déjà servi à créer un compte"), "{html}");

    // Login, with the identifiant in another case; a new session cookie.
    let r = log_in(
        &s.client,
        &s.url,
        &CAMILLE.with_identifiant(" CAMILLE.martin "),
        &[],
    )
    .await;
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let cookie = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("sesame="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let (_, html) = page(&s.client, &format!("{}/", s.url)).await;
    assert!(
        html.contains("Bonjour Camille.Martin") && html.contains("Élève"),
        "{html}"
    );

    // Logout ends the session.
    let token = csrf_of(&html);
    let r = post(
        &s.client,
        &format!("{}/deconnexion", s.url),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Vous êtes déconnecté")
    );
    let (_, html) = page(&s.client, &format!("{}/", s.url)).await;
    assert!(!html.contains("Bonjour"), "{html}");
}

// AUTH-04, AUTH-05 (the delay part; the clock is real here)
#[tokio::test(flavor = "multi_thread")]
async fn login_failures_look_the_same_and_the_fifth_one_delays_even_the_right_password() {
    let env = TestEnv::new();
    let pupil = pupil_fixture(&env).await;
    let s = TestServer::spawn(&env, |_| {}).await;
    let url = format!("{}/premiere-visite/eleve", s.url);
    let (_, html) = page(&s.client, &url).await;
    let token = csrf_of(&html);
    assert_eq!(
        post(
            &s.client,
            &url,
            &signup_form(&token, &pupil.code, "Camille", "16/06/2013", PASSWORD)
        )
        .await
        .status(),
        303
    );

    let attempt = |id: &'static str, pw: &'static str| {
        let (c, base) = (s.client.clone(), s.url.clone());
        async move {
            let who = CAMILLE.with_identifiant(id).with_password(pw);
            let r = log_in(&c, &base, &who, &[]).await;
            let status = r.status().as_u16();
            let body = r.text().await.expect("body");
            (status, body.replace(&csrf_of(&body), ""))
        }
    };
    let unknown = attempt("personne.inconnue", PASSWORD).await;
    let wrong = attempt("camille.martin", "Mauvais123").await;
    assert_eq!(unknown.0, 200);
    assert!(unknown.1.contains("Identifiant ou mot de passe incorrect."));
    let strip = |b: &str, id: &str| b.replace(id, "");
    assert_eq!(
        strip(&unknown.1, "personne.inconnue"),
        strip(&wrong.1, "camille.martin"),
        "same page for every failure"
    );

    for _ in 0..4 {
        attempt("camille.martin", "Mauvais123").await;
    }
    // Fifth failure reached: the right password is refused, generically.
    let (status, body) = attempt("camille.martin", PASSWORD).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Identifiant ou mot de passe incorrect."),
        "{body}"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_failed'")
            .await,
        6,
        "six passwords compared"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_refused'")
            .await,
        1,
        "the one during the delay refused unchecked"
    );
}

// ACT-03
#[tokio::test(flavor = "multi_thread")]
async fn a_code_is_revoked_after_five_failed_attempts() {
    let env = TestEnv::new();
    let pupil = pupil_fixture(&env).await;
    let s = TestServer::spawn(&env, |_| {}).await;
    let url = format!("{}/premiere-visite/eleve", s.url);
    for _ in 0..5 {
        let (_, html) = page(&s.client, &url).await;
        let token = csrf_of(&html);
        post(
            &s.client,
            &url,
            &signup_form(&token, &pupil.code, "Camille", "01/01/2013", PASSWORD),
        )
        .await;
    }
    let (_, html) = page(&s.client, &url).await;
    let token = csrf_of(&html);
    let html = post(
        &s.client,
        &url,
        &signup_form(&token, &pupil.code, "Camille", "16/06/2013", PASSWORD),
    )
    .await
    .text()
    .await
    .expect("body");
    assert!(html.contains("pas pu identifier"), "{html}");
    let err = env.sesame(&["codes", "verify", &pupil.code]).fails_with(4);
    assert!(err.contains("révoqué"), "{err}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_academie_logo_comes_from_config_or_is_built_in() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let (_, html) = page(&s.client, &format!("{}/", s.url)).await;
    assert!(html.contains("src=\"/logo\""), "{html}");
    let r = s.get("/logo").await;
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.expect("body").starts_with("<svg"));

    let png = b"\x89PNG\r\n\x1a\nnot really a picture".to_vec();
    let path = env.write("logo-academie.png", &png);
    let s = TestServer::spawn(&env, |c| c.branding.logo = path).await;
    let r = s.get("/logo").await;
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.expect("body").to_vec(), png);
}

// SES (CSP): `form-action` is 'self' everywhere, plus, on the pages whose
// form leads on to a service, that registered service's origin only
// (browsers apply form-action to the redirects after a submission; the
// Chromium journeys depend on it).
#[tokio::test(flavor = "multi_thread")]
async fn form_action_allows_the_registered_service_a_login_resumes_and_nothing_else() {
    let env = TestEnv::new();
    env.write(
        "services/ent.toml",
        "id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"https://app.ent.fr/cas/\"]\n",
    );
    let s = TestServer::spawn(&env, |_| {}).await;
    let csp = |path: &'static str| {
        let url = format!("{}{path}", s.url);
        async move {
            TestServer::browser()
                .get(url)
                .send()
                .await
                .expect("get")
                .headers()["content-security-policy"]
                .to_str()
                .expect("ascii")
                .to_owned()
        }
    };
    let plain = csp("/connexion?profil=eleve").await;
    assert!(plain.contains("form-action 'self';"), "{plain}");
    for path in [
        "/connexion?profil=eleve&service=https%3A%2F%2Fapp.ent.fr%2Fcas%2F",
        "/profil?service=https%3A%2F%2Fapp.ent.fr%2Fcas%2F",
    ] {
        let p = csp(path).await;
        assert!(
            p.contains("form-action 'self' https://app.ent.fr;"),
            "{path}: {p}"
        );
        assert!(p.contains("default-src 'none'") && p.contains("frame-ancestors 'none'"));
    }
    // An unregistered look-alike earns nothing.
    let p = csp("/connexion?profil=eleve&service=https%3A%2F%2Fapp.ent.fr.evil.com%2Fcas%2F").await;
    assert!(p.contains("form-action 'self';"), "{p}");
}
