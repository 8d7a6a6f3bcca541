//! The pages after the login in English (issue 17, item 8): home, account
//! management and its errors, account deletion, the new-password page,
//! the lost identifiant and password pages, logout, the notices, the
//! consent page.

use super::*;
use crate::support::fixtures::{NEW_PASSWORD, pupil_account};
use crate::support::http::post;
use crate::support::{CAMILLE, MailSink, PASSWORD, login_as};

fn field(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn home_and_account_pages_and_their_errors_speak_english() {
    let env = TestEnv::new();
    let s = pupil_account(&env, now_clock(), 1000).await;
    let c = login_as(&s, &CAMILLE).await;
    c.get(format!("{}/langue?choix=en", s.url))
        .send()
        .await
        .expect("switch");

    let (status, html) = html_of(&c, &format!("{}/", s.url), None).await;
    assert_eq!(status, 200);
    assert_english_page(
        "home",
        &html,
        &[
            "<title>Home",
            "Hello camille.martin",
            "You are signed in with the profile <strong>Pupil</strong>.",
            "Manage your account",
            "Sign out",
        ],
    );

    let url = format!("{}/compte", s.url);
    let (status, html) = html_of(&c, &url, None).await;
    assert_eq!(status, 200);
    assert_english_page(
        "account",
        &html,
        &[
            "<title>Manage your account",
            "Your details",
            "Username: <strong>camille.martin</strong>",
            "Change password",
            "New password * (at least ",
            "Change email address",
            "Your data",
            "Delete my account",
        ],
    );

    // A wrong current password and a weak new one: both errors, English.
    let (status, _, html) = post(
        &c,
        &format!("{url}/mot-de-passe"),
        &[
            field("csrf", &csrf_of(&html)),
            field("actuel", "Mauvais123"),
            field("nouveau", "abc"),
            field("nouveau2", "abc"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert_english_page(
        "failed password change",
        &html,
        &[
            "<title>Error: Manage your account",
            "The form contains 2 errors",
            "Incorrect current password.",
            "The password must have at least ",
        ],
    );
    // A bad new address.
    let (status, _, html) = post(
        &c,
        &format!("{url}/adresse"),
        &[
            field("csrf", &csrf_of(&html)),
            field("courriel", "pas-une-adresse"),
            field("courriel2", "pas-une-adresse"),
            field("actuel_courriel", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert_english_page(
        "failed address change",
        &html,
        &["Enter a valid email address (e.g. firstname.lastname@example.com)."],
    );
    // A changed password: the notice on the account page.
    let (status, location, _) = post(
        &c,
        &format!("{url}/mot-de-passe"),
        &[
            field("csrf", &csrf_of(&html)),
            field("actuel", PASSWORD),
            field("nouveau", NEW_PASSWORD),
            field("nouveau2", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = html_of(&c, &format!("{}{location}", s.url), None).await;
    assert_english_page(
        "changed password",
        &html,
        &["Your password has been changed. Your other sessions have been closed."],
    );

    // Deletion: the page, a failed submit, then the deleted page.
    let url = format!("{}/compte/supprimer", s.url);
    let (status, html) = html_of(&c, &url, None).await;
    assert_eq!(status, 200);
    assert_english_page(
        "delete account",
        &html,
        &[
            "Deletion is <strong>final</strong>",
            "Delete my account for good",
        ],
    );
    let (status, _, failed) = post(
        &c,
        &url,
        &[
            field("csrf", &csrf_of(&html)),
            field("decision", "supprimer"),
            field("actuel_suppression", "Mauvais123"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert_english_page(
        "failed deletion",
        &failed,
        &[
            "<title>Error: Delete my account",
            "Incorrect current password.",
        ],
    );
    let (status, location, _) = post(
        &c,
        &url,
        &[
            field("csrf", &csrf_of(&failed)),
            field("decision", "supprimer"),
            field("actuel_suppression", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = html_of(&c, &format!("{}{location}", s.url), None).await;
    assert_english_page("deleted", &html, &["Your account has been deleted"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn lost_credentials_logout_and_notices_speak_english() {
    let env = TestEnv::new();
    let s = pupil_account(&env, now_clock(), 1000).await;
    let _sink = MailSink::start(&env).await;
    let c = TestServer::browser();
    for (path, phrases) in [
        (
            "/identifiant-oublie",
            &["Forgotten username", "Email address", "Send"][..],
        ),
        (
            "/mot-de-passe-oublie",
            &["Forgotten password", "Username"][..],
        ),
    ] {
        let url = format!("{}{path}", s.url);
        let (status, html) = html_of(&c, &url, Some("en")).await;
        assert_eq!(status, 200);
        assert_english_page(path, &html, phrases);
        let r = c
            .post(&url)
            .header("accept-language", "en")
            .form(&[field("csrf", &csrf_of(&html)), field("valeur", "personne")])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 303);
        let (_, html) = html_of(&c, &format!("{}{}", s.url, location(&r)), Some("en")).await;
        assert_english_page(
            "recovery sent",
            &html,
            &["Request recorded", "Back to sign-in"],
        );
    }

    for (path, phrases) in [
        (
            "/accessibilite",
            &[
                "Accessibility statement",
                "Compliance status",
                "Means of redress",
            ][..],
        ),
        (
            "/mentions-legales",
            &[
                "Legal notice",
                "Publisher",
                "Publication director",
                "For any question:",
            ][..],
        ),
        (
            "/donnees-personnelles",
            &[
                "Personal data",
                "Data controller",
                "How long",
                "days after the letter is printed",
                "Your rights",
            ][..],
        ),
        (
            "/aide",
            &[
                "Help",
                "First visit",
                "Forgotten username or password",
                "Account blocked",
            ][..],
        ),
    ] {
        let (status, html) = html_of(&c, &format!("{}{path}", s.url), Some("en")).await;
        assert_eq!(status, 200);
        assert_english_page(path, &html, phrases);
    }

    // Logout: the page after it.
    let c = login_as(&s, &CAMILLE).await;
    let (_, home) = html_of(&c, &format!("{}/", s.url), Some("en")).await;
    let r = c
        .post(format!("{}/deconnexion", s.url))
        .header("accept-language", "en")
        .form(&[field("csrf", &csrf_of(&home))])
        .send()
        .await
        .expect("logout");
    let (status, html) = if r.status() == 303 {
        html_of(&c, &format!("{}{}", s.url, location(&r)), Some("en")).await
    } else {
        (r.status().as_u16(), r.text().await.expect("body"))
    };
    assert_eq!(status, 200, "{html}");
    assert_english_page(
        "logged out",
        &html,
        &["You are signed out", "Sign in again"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_consent_page_speaks_the_language_of_ui_locales() {
    let (_env, s, _clock) = crate::support::oidc::setup_with(
        &[(
            "tiers",
            "consent = true\nscopes = [\"openid\", \"profile\", \"email\"]".into(),
        )],
        |_| {},
    )
    .await;
    let browser = login_as(&s, &CAMILLE).await;
    let (r, _) = authorize(
        &s.url,
        &browser,
        "tiers",
        "openid profile email",
        "&ui_locales=en",
    )
    .await;
    assert_eq!(r.status(), 200, "a page, not a redirect");
    let html = r.text().await.expect("body");
    assert_english_page(
        "consent",
        &html,
        &[
            "<title>Authorise Service tiers",
            "Authorise “Service tiers”?",
            "This service asks to:",
            "know your last name, first name and username",
            "know your email address",
            "Your choice is remembered",
            ">Refuse</button>",
        ],
    );
}
