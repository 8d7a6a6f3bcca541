//! The languages of the pages through HTTP (issue 17, item 8): French by
//! default, English from the footer's switch (a cookie), the OpenID
//! Connect `ui_locales`, or `Accept-Language`, in that order.

use crate::support::fixtures::now_clock;
use crate::support::http::{csrf_of, location};
use crate::support::layout::{ACADEMIE, assert_layout};
use crate::support::oidc::{authorize, setup};
use crate::support::{TestEnv, TestServer};
use reqwest::Client;

/// The French of the translated parts (layout, profile choice, login,
/// first-visit box, error pages): none may be left in an English page.
const FRENCH: [&str; 22] = [
    "Aller au contenu",
    "Connexion aux télé-services",
    "Informations légales",
    "Mentions légales",
    "Données personnelles",
    "Accessibilité",
    "d'authentification",
    "Vous souhaitez",
    "Mémoriser",
    "Valider",
    "Élève",
    "Profil choisi",
    "Changer de profil",
    "Identifiant",
    "Mot de passe",
    "oublié",
    "Se connecter",
    "Première visite",
    "créez votre compte",
    "Retour à l'accueil",
    "Trop de",
    "Page introuvable",
];

pub(crate) fn assert_english(what: &str, html: &str) {
    assert!(html.contains("<html lang=\"en\">"), "{what}: {html}");
    for f in FRENCH {
        assert!(!html.contains(f), "{what}: French left ({f}): {html}");
    }
    assert!(
        html.contains("Skip to content") && html.contains("Legal notice"),
        "{what}: {html}"
    );
    // The switch back, in French, marked as such.
    assert!(
        html.contains("lang=\"fr\" hreflang=\"fr\">Français</a>"),
        "{what}: {html}"
    );
}

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

/// French words and phrases none of the other pages may show in English
/// (their visible text, `aria-label`s and placeholders): the marker list
/// of the page families translated after the login.
const FRENCH_WORDS: [&str; 40] = [
    "Vous ",
    " vous ",
    "Votre ",
    " votre ",
    " vos ",
    "Ton ",
    " ton ",
    "Créer",
    "créer",
    "Prénom",
    "Retour",
    "Envoyer",
    "mot de passe",
    "Mot de passe",
    "Identifiant",
    "électronique",
    "Erreur",
    "Confirmer",
    "Supprimer",
    "Données",
    "Choisissez",
    "Indiquez",
    "Indique ",
    "Annuler",
    "Gérer",
    "Bonjour",
    "rattach",
    "courrier",
    "ourriel",
    "enfant",
    "Élève",
    " le ",
    " la ",
    " les ",
    " et ",
    " ou ",
    " une ",
    " est ",
    "n'est",
    "jj/mm",
];

/// What a person reads of a page: its text between the tags, and the
/// `aria-label`, `placeholder` and `title` texts; the académie's name and
/// the switch back to French taken out (they are French in every language).
pub(crate) fn readable(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open..open + close];
        for attr in ["aria-label=\"", "placeholder=\""] {
            if let Some(i) = tag.find(attr) {
                let v = &tag[i + attr.len()..];
                out.push_str(&v[..v.find('"').unwrap_or(v.len())]);
                out.push(' ');
            }
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    // The <title> is text too; the académie's name and « Français » are
    // French on purpose.
    out.replace(ACADEMIE, " ").replace("Français", " ")
}

/// `html` is an English page with no French left (both marker lists),
/// showing each of `phrases`.
pub(crate) fn assert_english_page(what: &str, html: &str, phrases: &[&str]) {
    assert_english(what, html);
    let text = readable(html);
    for f in FRENCH_WORDS {
        assert!(!text.contains(f), "{what}: French left ({f:?}) in: {text}");
    }
    for p in phrases {
        assert!(html.contains(p), "{what}: no {p:?} in: {html}");
    }
}
