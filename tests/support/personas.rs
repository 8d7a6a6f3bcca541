//! The people of the fixtures as the tests meet them, and what they do
//! with their browser: log in through the login form (`login_as`), log
//! out, use the account page.
//!
//! ```ignore
//! let browser = login_as(&s, &CAMILLE).await;            // a logged-in pupil
//! let r = log_in(&c, &s.url, &CAMILLE.with_password("Mauvais123"), &[]).await;
//! ```

use super::TestServer;
use super::fixtures::{NEW_PASSWORD, PASSWORD};
use super::http::{csrf_of, page, post};
use reqwest::{Client, Response};

/// A person with an account, as the login form asks for them.
#[derive(Debug, Clone, Copy)]
pub struct Persona<'a> {
    /// The profile chosen on the profile screen (`eleve`, `parent`…).
    pub profile: &'a str,
    /// The identifiant typed.
    pub identifiant: &'a str,
    /// The password typed.
    pub password: &'a str,
}

/// Camille MARTIN, a pupil with her account (`pupil_account`,
/// `sign_up_camille`).
pub const CAMILLE: Persona<'static> = Persona {
    profile: "eleve",
    identifiant: "camille.martin",
    password: PASSWORD,
};

/// Olivier MARTIN, parent of the MARTIN family, with his confirmed
/// personal account for Jean-Baptiste (`olivier`).
pub const OLIVIER: Persona<'static> = Persona {
    profile: "parent",
    identifiant: "olivier.martin",
    password: PASSWORD,
};

impl<'a> Persona<'a> {
    /// The same person typing another password.
    pub fn with_password(self, password: &'a str) -> Self {
        Self { password, ..self }
    }

    /// The same person typing their identifiant another way.
    pub fn with_identifiant(self, identifiant: &'a str) -> Self {
        Self {
            identifiant,
            ..self
        }
    }

    /// The login form's fields for this person, with the form's `csrf`
    /// token and `extra` fields.
    pub fn login_fields(&self, csrf: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut form = vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("profil".to_owned(), self.profile.to_owned()),
            ("identifiant".to_owned(), self.identifiant.to_owned()),
            ("password".to_owned(), self.password.to_owned()),
        ];
        form.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        form
    }
}

/// A new browser logged in at `s` as `who` (the login answers 303).
pub async fn login_as(s: &TestServer, who: &Persona<'_>) -> Client {
    let browser = TestServer::browser();
    let r = log_in(&browser, &s.url, who, &[]).await;
    assert_eq!(r.status(), 303, "{} logs in", who.identifiant);
    browser
}

/// The login form sequence at `base`: GET the form for `who`'s profile
/// (with `extra` in the query: `service`, `suite`…), take its CSRF token,
/// POST the credentials (and `extra`). Answers the POST's answer: 303 when
/// logged in, 200 with the form again when not.
pub async fn log_in(
    browser: &Client,
    base: &str,
    who: &Persona<'_>,
    extra: &[(&str, &str)],
) -> Response {
    let csrf = login_csrf(browser, base, who, extra).await;
    post_login(browser, base, who, &csrf, extra).await
}

/// Like [`log_in`]; answers (status, `Location`, body).
pub async fn log_in_answer(
    browser: &Client,
    base: &str,
    who: &Persona<'_>,
) -> (u16, String, String) {
    super::http::answer(log_in(browser, base, who, &[]).await).await
}

/// The login form for `who`'s profile at `base` (with `extra` in the
/// query): its HTML.
pub async fn login_page(
    browser: &Client,
    base: &str,
    who: &Persona<'_>,
    extra: &[(&str, &str)],
) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("profil", who.profile)
        .extend_pairs(extra.iter())
        .finish();
    let (status, html) = page(browser, &format!("{base}/connexion?{query}")).await;
    assert!(html.contains("name=\"csrf\""), "{status}: {html}");
    html
}

/// The first half of [`log_in`]: GETs the login form for `who`'s profile
/// (with `extra` in the query) and answers its CSRF token.
pub async fn login_csrf(
    browser: &Client,
    base: &str,
    who: &Persona<'_>,
    extra: &[(&str, &str)],
) -> String {
    csrf_of(&login_page(browser, base, who, extra).await)
}

/// The second half of [`log_in`]: POSTs `who`'s credentials with `csrf`
/// (and `extra`) to `base`'s login form.
pub async fn post_login(
    browser: &Client,
    base: &str,
    who: &Persona<'_>,
    csrf: &str,
    extra: &[(&str, &str)],
) -> Response {
    browser
        .post(format!("{base}/connexion"))
        .form(&who.login_fields(csrf, extra))
        .send()
        .await
        .expect("an answer to the login")
}

/// Logs the browser out with the home page's button.
pub async fn log_out(s: &TestServer, browser: &Client) {
    let (_, html) = page(browser, &format!("{}/", s.url)).await;
    let r = browser
        .post(format!("{}/deconnexion", s.url))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 200);
}

/// Posts one of the account page's forms (`action`) from a fresh copy of
/// the page; answers (status, `Location`, body).
pub async fn account_form(
    s: &TestServer,
    browser: &Client,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (status, html) = page(browser, &format!("{}/compte", s.url)).await;
    assert_eq!(status, 200, "{html}");
    let mut form = vec![("csrf".to_owned(), csrf_of(&html))];
    form.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    post(browser, &format!("{}{action}", s.url), &form).await
}

/// Changes the password of the browser's account from [`PASSWORD`] to
/// [`NEW_PASSWORD`] on the account page.
pub async fn change_password(s: &TestServer, browser: &Client) {
    let (status, _, html) = account_form(
        s,
        browser,
        "/compte/mot-de-passe",
        &[
            ("actuel", PASSWORD),
            ("nouveau", NEW_PASSWORD),
            ("nouveau2", NEW_PASSWORD),
        ],
    )
    .await;
    assert!(status == 303 || status == 200, "{status} {html}");
}

/// Posts a recovery form; answers (status, body), following the `303 See
/// Other` to the answer page.
pub async fn recover(s: &TestServer, path: &str, value: &str) -> (u16, String) {
    let c = TestServer::browser();
    let (_, html) = page(&c, &format!("{}{path}", s.url)).await;
    let form =
        [("csrf", csrf_of(&html)), ("valeur", value.to_owned())].map(|(k, v)| (k.to_owned(), v));
    let (status, location, body) = post(&c, &format!("{}{path}", s.url), &form).await;
    if status != 303 {
        return (status, body);
    }
    // POST-redirect-GET: the answer is a GET page, the same for all.
    assert_eq!(location, format!("{path}/envoye"));
    page(&c, &format!("{}{location}", s.url)).await
}
