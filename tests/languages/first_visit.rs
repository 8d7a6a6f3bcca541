//! The first-visit forms in English (issue 17, item 8): the pupil and the
//! parent sign-up pages, personal and joint, every message of a failed
//! submit (built as message keys by the services), the throttle, and the
//! created account's page.

use super::*;
use crate::support::MailSink;
use crate::support::fixtures::{Signup, code_of, martin_family};
use crate::support::http::post;

fn field(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pupil_sign_up_and_its_errors_speak_english() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |c| c.branding.academie = ACADEMIE.into()).await;
    let c = TestServer::browser();
    let url = format!("{}/premiere-visite/eleve", s.url);
    let (status, html) = html_of(&c, &url, Some("en")).await;
    assert_eq!(status, 200);
    assert_english_page(
        "pupil sign-up",
        &html,
        &[
            "<title>Creating the pupil account",
            "Create your pupil account",
            "* All fields marked with a star are required.",
            "Pupil Activation Code *",
            "Your password * (at least ",
            "Create my account",
        ],
    );

    // The markers find the French of the same page (the check can fail).
    let (_, french) = html_of(&c, &url, Some("fr")).await;
    let found: Vec<&str> = FRENCH_WORDS
        .into_iter()
        .filter(|w| readable(&french).contains(w))
        .collect();
    assert!(found.len() >= 10, "{found:?}");

    // Every error at once, each in English: a mistyped code (a message
    // in a message), a bad date, a bad identifiant, a weak password,
    // different addresses.
    let r = c
        .post(&url)
        .header("accept-language", "en")
        .form(&[
            field("csrf", &csrf_of(&html)),
            field("prenom", ""),
            field("naissance", "31/02"),
            field("code", "ABC"),
            field("identifiant", "a"),
            field("password", "abc"),
            field("password2", "abc"),
            field("email", "camille@example.org"),
            field("email2", "camille@example.com"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    assert_english_page(
        "failed pupil sign-up",
        &html,
        &[
            "<title>Error: Creating the pupil account",
            "The form contains 6 errors",
            "Enter the pupil&#39;s first name.",
            "Enter the date of birth as dd/mm/yyyy.",
            "The activation code is mistyped: an activation code has 13 characters.",
            "The username must have 3 to 64 characters",
            "The password must have at least ",
            "The two email addresses are not the same.",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_parent_sign_up_its_errors_and_its_created_page_speak_english() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |c| c.branding.academie = ACADEMIE.into()).await;
    let sink = MailSink::start(&env).await;
    let codes = martin_family(&env);
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    // The cookie of the switch: every page after it is English.
    let c = &s.client;
    c.get(format!("{}/langue?choix=en", s.url))
        .send()
        .await
        .expect("switch");
    let url = format!("{}/premiere-visite/parent", s.url);
    let (_, html) = html_of(c, &url, None).await;
    assert_english_page(
        "parent sign-up",
        &html,
        &[
            "<title>Creating the parent account (personal account)",
            "Create your parent account",
            "A <strong>personal account</strong> gives access to your own data only.",
            "Your children at school (one Parent Activation Code per child)",
            "Your Activation Codes",
            "First name of child 1",
            "placeholder=\"dd/mm/yyyy\"",
            "More than 3 children at school?…",
            "add a child",
            "Confirm your email address *",
        ],
    );

    // The joint account, through the switch button (a POST).
    let mut form = Signup::olivier(&jb).form(&csrf_of(&html), "joint");
    let (status, _, html) = post(c, &url, &form).await;
    assert_eq!(status, 200);
    assert_english_page(
        "joint sign-up",
        &html,
        &[
            "<title>Creating the parent account (joint account)",
            "A <strong>joint account</strong> gives access to the data of both legal guardians.",
            "Activation Code: You",
            "Other parent (optional)",
        ],
    );

    // Row errors (a message in a message), the table's error, the
    // credentials' errors, all in English.
    form = Signup {
        joint: true,
        rows: vec![
            ["Jean-Baptiste", "03/02/2011", "ABC", ""],
            ["", "01/01/2012", "", ""],
        ],
        identifiant: "olivier martin",
        password: "olivier",
        email: "pas-une-adresse",
    }
    .form(&csrf_of(&html), "creer");
    let (status, _, html) = post(c, &url, &form).await;
    assert_eq!(status, 422);
    assert_english_page(
        "failed parent sign-up",
        &html,
        &[
            "<title>Error: Creating the parent account (joint account)",
            "Row 1: your activation code is mistyped (an activation code has 13 characters).",
            "Row 2: enter the child&#39;s first name.",
            "The username must have 3 to 64 characters",
            "Enter a valid email address (e.g. firstname.lastname@example.com).",
        ],
    );

    // A child the codes do not identify.
    form = Signup {
        rows: vec![["Jean-Pierre", "03/02/2011", &jb, ""]],
        ..Signup::olivier(&jb)
    }
    .form(&csrf_of(&html), "creer");
    let (status, _, html) = post(c, &url, &form).await;
    assert_eq!(status, 422);
    assert_english_page(
        "unidentified child",
        &html,
        &["We could not identify the pupil with this information."],
    );

    // Created: the page after the 303, in English.
    let (_, form_page) = html_of(c, &url, None).await;
    let (status, location, _) = post(
        c,
        &url,
        &Signup::olivier(&jb).form(&csrf_of(&form_page), "creer"),
    )
    .await;
    assert_eq!(status, 303);
    let (status, html) = html_of(c, &format!("{}{location}", s.url), None).await;
    assert_eq!(status, 200);
    assert_english_page(
        "created parent account",
        &html,
        &[
            "Your account is created: confirm it",
            "A confirmation email has just been sent to olivier.martin@example.org.",
            "Go to the sign-in page",
        ],
    );
    // The confirmation link's pages.
    let link = crate::support::fixtures::confirmation_links(&sink.mails().await).remove(0);
    let (status, html) = html_of(c, &format!("{}{link}", s.url), None).await;
    assert_eq!(status, 200);
    assert_english_page(
        "confirmation link",
        &html,
        &[
            "Confirming your account",
            "To activate the account “olivier.martin”, click the button below.",
            "Confirm my account",
        ],
    );
    let (status, html) = html_of(c, &format!("{}/confirmation?code=nimporte", s.url), None).await;
    assert_eq!(status, 404, "{html}");
    assert_english_page("invalid link", &html, &["Link not valid", "Sign in"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sign_up_throttle_speaks_english() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    env.import_samples();
    let url = format!("{}/premiere-visite/eleve", s.url);
    let c = TestServer::browser();
    // Failed activations from one address until the throttle answers.
    let mut last = (0, String::new());
    for _ in 0..(sesame_service::signup::IP_FAILURES_PER_HOUR + 1) {
        let (_, html) = html_of(&c, &url, Some("en")).await;
        let r = c
            .post(&url)
            .header("accept-language", "en")
            .form(&[
                field("csrf", &csrf_of(&html)),
                field("prenom", "Camille"),
                field("naissance", "16/06/2013"),
                field("code", "0000000000000"),
                field("identifiant", "camille.martin"),
                field("password", "Hibou-Quartz-73"),
                field("password2", "Hibou-Quartz-73"),
                field("email", "camille@example.org"),
                field("email2", "camille@example.org"),
            ])
            .send()
            .await
            .expect("post");
        last = (r.status().as_u16(), r.text().await.expect("body"));
    }
    assert_eq!(last.0, 429, "{}", last.1);
    assert_english_page(
        "sign-up throttle",
        &last.1,
        &["Too many account creation attempts from your network. Please try again in an hour."],
    );
}
