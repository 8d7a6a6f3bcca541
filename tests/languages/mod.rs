//! The languages of the pages through HTTP (issue 17, item 8): French by
//! default, English from the footer's switch (a cookie), the OpenID
//! Connect `ui_locales`, or `Accept-Language`, in that order.

use crate::support::english::{FRENCH_WORDS, assert_english, assert_english_page, readable};
use crate::support::fixtures::now_clock;
use crate::support::http::{csrf_of, location};
use crate::support::layout::{ACADEMIE, assert_layout};
use crate::support::oidc::{authorize, setup};
use crate::support::{TestEnv, TestServer};
use reqwest::Client;

async fn html_of(c: &Client, url: &str, accept: Option<&str>) -> (u16, String) {
    let mut r = c.get(url);
    if let Some(a) = accept {
        r = r.header("accept-language", a);
    }
    let r = r.send().await.expect("get");
    (r.status().as_u16(), r.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread")]
async fn accept_language_chooses_english_and_french_stays_the_default() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |c| c.branding.academie = ACADEMIE.into()).await;
    let c = TestServer::browser();

    let (status, html) = html_of(&c, &format!("{}/", s.url), None).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Vous souhaitez vous connecter avec le profil :"));
    assert!(
        html.contains("lang=\"en\" hreflang=\"en\">English</a>"),
        "{html}"
    );

    let (status, html) = html_of(&c, &format!("{}/", s.url), Some("en-GB,en;q=0.9,fr;q=0.8")).await;
    assert_eq!(status, 200);
    assert_english("profile choice", &html);
    assert_layout("profile choice", "text/html", &html);
    assert!(html.contains("Sign in with the profile:"), "{html}");
    assert!(html.contains(">Pupil</label>") && html.contains(">Parent</label>"));
    assert!(html.contains("Remember my profile"));

    // The login page of each offered profile, and its first-visit box.
    for (profile, first) in [("eleve", "You are a Pupil"), ("parent", "You are a Parent")] {
        let (status, html) = html_of(
            &c,
            &format!("{}/connexion?profil={profile}", s.url),
            Some("en"),
        )
        .await;
        assert_eq!(status, 200);
        assert_english(profile, &html);
        assert!(html.contains(first), "{html}");
        assert!(html.contains("create your account"), "{html}");
        assert!(html.contains("forgotten your password?"), "{html}");
    }

    // French preferred over English: French.
    let (_, html) = html_of(&c, &format!("{}/", s.url), Some("fr;q=0.9, en;q=0.5")).await;
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_switch_is_remembered_in_a_cookie_that_beats_the_header() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let c = TestServer::browser();

    // The switch in the footer leads back to the page it was on.
    let (_, html) = html_of(&c, &format!("{}/profil", s.url), None).await;
    assert!(
        html.contains("href=\"/langue?choix=en&#38;retour=%2Fprofil\""),
        "{html}"
    );
    let r = c
        .get(format!("{}/langue?choix=en&retour=%2Fprofil", s.url))
        .header("accept-language", "fr")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/profil");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .find(|c| c.starts_with("sesame-langue=en"))
        .expect("language cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );

    // The cookie beats a French browser.
    let (_, html) = html_of(&c, &format!("{}/profil", s.url), Some("fr-FR,fr")).await;
    assert_english("after the switch", &html);

    // And back to French, over an English browser.
    let r = c
        .get(format!("{}/langue?choix=fr&retour=%2F", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303);
    let (_, html) = html_of(&c, &format!("{}/profil", s.url), Some("en")).await;
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Mémoriser mon profil"), "{html}");

    // The way back is a local path only.
    for evil in [
        "%2F%2Fevil.example%2F",
        "https%3A%2F%2Fevil.example%2F",
        "%2F%5Cevil.example",
    ] {
        let r = c
            .get(format!("{}/langue?choix=en&retour={evil}", s.url))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/", "{evil}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_language_gives_french() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let c = TestServer::browser();
    for accept in ["de-DE,de;q=0.9", "*", "xx;q=1, en;q=0", "not a header;;;"] {
        let (status, html) = html_of(&c, &format!("{}/profil", s.url), Some(accept)).await;
        assert_eq!(status, 200);
        assert!(html.contains("<html lang=\"fr\">"), "{accept}: {html}");
        assert!(html.contains("Mémoriser mon profil"), "{accept}");
    }
    // An unknown choice sets nothing.
    let r = c
        .get(format!("{}/langue?choix=de&retour=%2Fprofil", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303);
    assert!(r.headers().get("set-cookie").is_none());
    let (_, html) = html_of(&c, &format!("{}/profil?ui_locales=de", s.url), None).await;
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ui_locales_gives_the_english_login_through_to_its_errors() {
    let (_env, s, _clock) = setup().await;
    let c = TestServer::browser();
    let (r, _) = authorize(&s.url, &c, "teleservice", "openid", "&ui_locales=en%20fr").await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with("/profil?suite="), "{to}");

    // The profile choice and the login carry the authorization: English,
    // even for a browser that prefers French.
    let (status, html) = html_of(&c, &format!("{}{to}", s.url), Some("fr")).await;
    assert_eq!(status, 200);
    assert_english("profile choice of the authorization", &html);
    let login = format!(
        "{}/connexion?profil=eleve&{}",
        s.url,
        to.trim_start_matches("/profil?")
    );
    let (status, html) = html_of(&c, &login, Some("fr")).await;
    assert_eq!(status, 200);
    assert_english("login of the authorization", &html);
    assert!(
        html.contains("Enter your username and your password."),
        "{html}"
    );

    // A failed login (a POST: the authorization is in its body) stays in
    // English, its error too.
    let suite = url::form_urlencoded::parse(to.trim_start_matches("/profil?").as_bytes())
        .find(|(k, _)| k == "suite")
        .expect("suite")
        .1
        .into_owned();
    let r = c
        .post(format!("{}/connexion", s.url))
        .header("accept-language", "fr")
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("profil", "eleve"),
            ("identifiant", "personne"),
            ("password", "Mauvais123"),
            ("suite", suite.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert_english("failed login", &html);
    assert!(html.contains("Incorrect username or password."), "{html}");
    assert!(html.contains("<title>Error: Sign in (Pupil)"), "{html}");
    assert!(html.contains("The form contains one error"), "{html}");
    assert!(!html.contains("Identifiant ou mot de passe incorrect"));

    // The chosen language beats ui_locales.
    c.get(format!("{}/langue?choix=fr", s.url))
        .send()
        .await
        .expect("switch");
    let (_, html) = html_of(&c, &login, None).await;
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Entrez votre identifiant et votre mot de passe."));
}

#[tokio::test(flavor = "multi_thread")]
async fn error_pages_speak_english() {
    let env = TestEnv::new();
    // A fixed clock: the failed logins must fall in one throttle window.
    let s = TestServer::spawn_with_clock(&env, now_clock(), |c| {
        c.branding.academie = ACADEMIE.into();
        c.throttle.ip_failures_per_minute = 1;
    })
    .await;
    let c = TestServer::browser();
    let (status, html) = html_of(&c, &format!("{}/nulle-part", s.url), Some("en")).await;
    assert_eq!(status, 404);
    assert_english("404", &html);
    assert_layout("404", "text/html", &html);
    assert!(html.contains("<h1>Page not found</h1>") && html.contains("Back to the home page"));

    // 429: failed logins from one address.
    let mut last = (0, String::new());
    for _ in 0..3 {
        let (_, form) = html_of(&c, &format!("{}/connexion?profil=eleve", s.url), Some("en")).await;
        let r = c
            .post(format!("{}/connexion", s.url))
            .header("accept-language", "en")
            .form(&[
                ("csrf", csrf_of(&form).as_str()),
                ("profil", "eleve"),
                ("identifiant", "personne"),
                ("password", "Mauvais123"),
            ])
            .send()
            .await
            .expect("post");
        last = (r.status().as_u16(), r.text().await.expect("body"));
    }
    assert_eq!(last.0, 429);
    assert_english("429", &last.1);
    assert!(last.1.contains("Too many"), "{}", last.1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unavailable_store_gives_an_english_503() {
    let env = TestEnv::new();
    let port = crate::support::free_port();
    let s = TestServer::spawn(&env, |c| {
        c.redis.url = format!("redis://127.0.0.1:{port}/");
        c.redis.timeout_ms = 300;
    })
    .await;
    let c = TestServer::browser();
    let (_, form) = html_of(&c, &format!("{}/connexion?profil=eleve", s.url), Some("en")).await;
    let r = c
        .post(format!("{}/connexion", s.url))
        .header("accept-language", "en")
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("profil", "eleve"),
            ("identifiant", "camille.martin"),
            ("password", "Mauvais123"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 503);
    let html = r.text().await.expect("body");
    assert_english("503", &html);
    assert!(html.contains("temporarily unavailable"), "{html}");
    assert!(!html.contains("momentanément"), "{html}");
}

mod first_visit;
mod pages;
