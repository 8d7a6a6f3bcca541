//! What every page owes a person, through HTTP (issue 17): after a failed
//! submit an error summary at the top (focused, `role="alert"`, the title
//! prefixed « Erreur : », one link per field, `aria-invalid` on the fields,
//! every error at once); mandatory fields marked `required`, the « *
//! obligatoires » note before the form, a skip link, one title per page
//! and state, the password rule of the configured policy; every error
//! status in the site's layout and branding; the first-visit text of each
//! profile.

use crate::support::fixtures::{
    Signup, code_of, martin_family, now_clock, olivier, pupil_account_with,
};
use crate::support::http::{page, post};
use crate::support::mail::temporary_in;
use crate::support::personas::{account_form, log_in_answer, login_as, recover};
use crate::support::{CAMILLE, MailSink, OLIVIER, TestEnv, TestServer, csrf_of};
use sesame_service::config::PasswordPolicyKind;
use std::collections::BTreeSet;

/// The text of the page's `<title>`.
fn title_of(html: &str) -> String {
    let start = html.find("<title>").expect("a title") + "<title>".len();
    let end = html[start..].find("</title>").expect("title end") + start;
    html[start..end].to_owned()
}

/// The error summary of a page: the targets of its links, in order.
fn summary_links(html: &str) -> Vec<String> {
    let Some(start) = html.find("class=\"resume-erreurs\"") else {
        return Vec::new();
    };
    let end = html[start..].find("</div>").expect("summary end") + start;
    html[start..end]
        .split("href=\"#")
        .skip(1)
        .map(|s| s.split('"').next().expect("target").to_owned())
        .collect()
}

/// The opening tag of the element with `id`.
fn tag_of<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = html[at..].find('>').expect("tag end") + at;
    &html[start..=end]
}

/// Asserts the summary of a failed submit: at the top of `<main>`, focused
/// and announced, in a title « Erreur : … », leading to `fields`, each of
/// them `aria-invalid`.
fn assert_summary(html: &str, fields: &[&str]) {
    assert!(
        title_of(html).starts_with("Erreur : "),
        "{}",
        title_of(html)
    );
    let summary = html.find("class=\"resume-erreurs\"").expect("a summary");
    let first_form = html.find("<form").unwrap_or(html.len());
    assert!(summary < first_form, "the summary comes before the forms");
    let tag = &html[html[..summary].rfind('<').expect("tag")..summary + 80];
    assert!(
        tag.contains("role=\"alert\"")
            && tag.contains("tabindex=\"-1\"")
            && tag.contains("autofocus"),
        "{tag}"
    );
    let links = summary_links(html);
    for f in fields {
        assert!(links.iter().any(|l| l == f), "#{f} in {links:?}");
        assert!(
            tag_of(html, f).contains("aria-invalid=\"true\""),
            "{}",
            tag_of(html, f)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_parent_signup_lists_every_error_at_the_top() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let s = TestServer::spawn(&env, |_| {}).await;
    let url = format!("{}/premiere-visite/parent", s.url);

    // Nothing in the table, a bad identifiant, a weak password, two
    // different addresses: four errors, all in one answer.
    let bad = Signup {
        joint: false,
        rows: vec![],
        identifiant: "x",
        password: "court",
        email: "olivier@example.org",
    };
    let (_, html) = page(&s.client, &url).await;
    let mut form = bad.form(&csrf_of(&html), "creer");
    form.retain(|(k, _)| k != "email2");
    form.push(("email2".into(), "autre@example.org".into()));
    let (status, _, html) = post(&s.client, &url, &form).await;
    assert_eq!(status, 422);
    assert_summary(&html, &["identifiant", "password", "email2"]);
    let links = summary_links(&html);
    assert_eq!(
        links,
        ["prenom_0", "identifiant", "password", "email2"],
        "in the order of the page"
    );
    assert!(title_of(&html).contains("compte personnel"));

    // A well-formed but wrong code and a weak password: the code is looked
    // up anyway, both errors come at once (joint account).
    let olivier = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let sophie = code_of(&codes, "Sophie MARTIN", "Jean-Baptiste");
    let wrong = Signup {
        joint: true,
        rows: vec![["Camille", "03/02/2011", &olivier, &sophie]],
        identifiant: "olivier.martin",
        password: "court",
        email: "olivier@example.org",
    };
    let (_, html) = page(&s.client, &format!("{url}?compte=joint")).await;
    assert!(
        title_of(&html).contains("compte joint"),
        "{}",
        title_of(&html)
    );
    let (status, _, html) = post(&s.client, &url, &wrong.form(&csrf_of(&html), "creer")).await;
    assert_eq!(status, 422);
    assert_summary(&html, &["password", "prenom_0"]);
    assert!(
        tag_of(&html, "code_0").contains("aria-invalid=\"true\""),
        "every field of the row"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_pupil_signup_and_login_have_their_summary() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let url = format!("{}/premiere-visite/eleve", s.url);
    let (_, html) = page(&s.client, &url).await;
    assert!(
        !html.contains("resume-erreurs"),
        "no summary before a submit"
    );
    let form: Vec<(String, String)> = [
        ("csrf", csrf_of(&html).as_str()),
        ("prenom", ""),
        ("naissance", "32/13/2013"),
        ("code", ""),
        ("identifiant", "camille.martin"),
        ("password", "Kq7mWz4p"),
        ("password2", "Kq7mWz4p"),
        ("email", "pas-une-adresse"),
        ("email2", "pas-une-adresse"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let (status, _, html) = post(&s.client, &url, &form).await;
    assert_eq!(status, 422);
    assert_summary(&html, &["prenom", "naissance", "code", "email"]);
    assert_eq!(summary_links(&html).len(), 4, "{html}");

    let (_, html) = page(&s.client, &format!("{}/connexion?profil=eleve", s.url)).await;
    let form: Vec<(String, String)> = [
        ("csrf", csrf_of(&html).as_str()),
        ("profil", "eleve"),
        ("identifiant", "personne"),
        ("password", "Mauvais123"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let (_, _, html) = post(&s.client, &format!("{}/connexion", s.url), &form).await;
    assert_summary(&html, &["identifiant"]);
    assert_eq!(
        title_of(&html).split(" – ").next(),
        Some("Erreur : Connexion (Élève)")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_account_page_shows_its_errors_at_the_top() {
    let env = TestEnv::new();
    let s = pupil_account_with(&env, now_clock(), 100, |_| {}).await;
    let browser = login_as(&s, &CAMILLE).await;
    let (_, html) = page(&browser, &format!("{}/compte", s.url)).await;
    assert_eq!(
        title_of(&html).split(" – ").next(),
        Some("Gérer son compte")
    );
    let (status, _, html) = account_form(
        &s,
        &browser,
        "/compte/mot-de-passe",
        &[
            ("actuel", "Mauvais123"),
            ("nouveau", "abc"),
            ("nouveau2", "abd"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert_summary(&html, &["actuel", "nouveau"]);
    let summary = html.find("resume-erreurs").expect("summary");
    assert!(
        summary < html.find("Vos informations").expect("first section"),
        "the errors come before the first section"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_mark_mandatory_fields_and_pages_have_a_skip_link_and_own_titles() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |c| {
        c.profiles.invite = sesame_service::config::ProfileSource::Local;
    })
    .await;
    let mut titles = BTreeSet::new();
    let paths = [
        "/profil",
        "/connexion?profil=parent",
        "/connexion?profil=eleve",
        "/connexion?profil=invite",
        "/premiere-visite/parent",
        "/premiere-visite/parent?compte=joint",
        "/premiere-visite/eleve",
        "/identifiant-oublie",
        "/mot-de-passe-oublie",
        "/accessibilite",
        "/mentions-legales",
        "/donnees-personnelles",
        "/aide",
    ];
    for path in paths {
        let (status, html) = page(&s.client, &format!("{}{path}", s.url)).await;
        assert_eq!(status, 200, "{path}");
        let skip = html.find("href=\"#contenu\">Aller au contenu</a>");
        assert!(
            skip.is_some_and(|i| i < html.find("<main").expect("main")),
            "{path}: the skip link comes first"
        );
        assert!(html.contains("<main id=\"contenu\""), "{path}");
        titles.insert(title_of(&html));
    }
    assert_eq!(titles.len(), paths.len(), "one title a page: {titles:?}");

    for (path, fields) in [
        (
            "/premiere-visite/parent",
            &[
                "prenom_0",
                "naissance_0",
                "code_0",
                "identifiant",
                "password",
                "password2",
                "email",
                "email2",
            ][..],
        ),
        (
            "/premiere-visite/eleve",
            &[
                "prenom",
                "naissance",
                "code",
                "identifiant",
                "password",
                "password2",
                "email",
                "email2",
            ][..],
        ),
    ] {
        let (_, html) = page(&s.client, &format!("{}{path}", s.url)).await;
        for f in fields {
            let tag = tag_of(&html, f);
            assert!(
                tag.contains(" required") && tag.contains("aria-required=\"true\""),
                "{path} {tag}"
            );
        }
        let note = html
            .find("* Tous les champs marqués d'une étoile sont obligatoires.")
            .expect("the note");
        assert!(
            note < html.find("<form").expect("form"),
            "{path}: note first"
        );
    }
    let (_, html) = page(&s.client, &format!("{}/premiere-visite/parent", s.url)).await;
    assert!(
        !tag_of(&html, "prenom_1").contains("required"),
        "the other rows are optional"
    );

    // The style sheet sizes the headings in their order.
    let (_, css) = page(&s.client, &format!("{}/static/sesame.css", s.url)).await;
    let size = |h: &str| -> f64 {
        let rule = css
            .lines()
            .find(|l| l.starts_with(&format!("{h} {{")))
            .unwrap_or_else(|| panic!("a rule for {h}"));
        let v = rule.split("font-size:").nth(1).expect("font-size");
        v.trim()
            .split("rem")
            .next()
            .expect("rem")
            .parse()
            .expect("number")
    };
    assert!(size("h1") > size("h2") && size("h2") > size("h3"), "{css}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_password_rule_is_stated_from_the_configured_policy() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    for path in ["/premiere-visite/parent", "/premiere-visite/eleve"] {
        let (_, html) = page(&s.client, &format!("{}{path}", s.url)).await;
        assert!(
            html.contains(
                "mot de passe * (8 caractères minimum, chiffres ET lettres obligatoires)"
            ),
            "{path}: the seed's rule"
        );
    }
    drop(s);

    let env = TestEnv::new();
    let s = pupil_account_with(&env, now_clock(), 100, |c| {
        c.password.policy = PasswordPolicyKind::Cnil;
        c.password.min_length = 8;
    })
    .await;
    let cnil = "8 caractères minimum, avec au moins 3 types de caractères";
    for path in ["/premiere-visite/parent", "/premiere-visite/eleve"] {
        let (_, html) = page(&s.client, &format!("{}{path}", s.url)).await;
        assert!(html.contains(cnil), "{path}: {html}");
        assert!(!html.contains("chiffres ET lettres"), "{path}");
    }
    let browser = login_as(&s, &CAMILLE).await;
    let (_, html) = page(&browser, &format!("{}/compte", s.url)).await;
    assert!(html.contains(cnil), "{html}");
    assert!(!html.contains("chiffres ET lettres"));

    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |c| c.password.min_length = 12).await;
    let (_, html) = page(&s.client, &format!("{}/premiere-visite/parent", s.url)).await;
    assert!(html.contains("(12 caractères minimum, chiffres ET lettres obligatoires)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_visit_text_fits_the_profile() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |c| {
        c.profiles.invite = sesame_service::config::ProfileSource::Local;
        c.profiles.personnel_education = sesame_service::config::ProfileSource::Local;
    })
    .await;
    let login = |p: &str| format!("{}/connexion?profil={p}", s.url);
    let (_, parent) = page(&s.client, &login("parent")).await;
    assert!(
        parent.contains("Vous êtes un Parent")
            && parent.contains("href=\"/premiere-visite/parent\"")
    );
    let (_, eleve) = page(&s.client, &login("eleve")).await;
    assert!(
        eleve.contains("Vous êtes un Élève") && eleve.contains("href=\"/premiere-visite/eleve\"")
    );
    for p in ["invite", "personnel_education"] {
        let (_, html) = page(&s.client, &login(p)).await;
        assert!(!html.contains("Vous êtes un Élève"), "{p}");
        assert!(
            !html.contains("/premiere-visite/"),
            "{p}: no account to create"
        );
        assert!(html.contains("vous n'avez pas de compte à créer"), "{p}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_new_password_page_shows_its_errors_at_the_top_with_the_rule() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |c| {
        c.password.policy = PasswordPolicyKind::Cnil;
    })
    .await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    let before = sink.mails().await.len();
    recover(&s, "/mot-de-passe-oublie", "olivier.martin").await;
    let temporary = temporary_in(&sink.wait(before + 1).await[before].2);
    let c = TestServer::browser();
    let (status, location, _) = log_in_answer(&c, &s.url, &OLIVIER.with_password(&temporary)).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/compte/nouveau-mot-de-passe")
    );

    let url = format!("{}/compte/nouveau-mot-de-passe", s.url);
    let (_, html) = page(&c, &url).await;
    assert!(
        html.contains(
            "Nouveau mot de passe * (8 caractères minimum, avec au moins 3 types de caractères"
        ),
        "{html}"
    );
    let form = [
        ("csrf", csrf_of(&html)),
        ("nouveau", "court1".to_owned()),
        ("nouveau2", "court1".to_owned()),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    let (status, _, html) = post(&c, &url, &form).await;
    assert_eq!(status, 422);
    assert_summary(&html, &["nouveau"]);
    assert_eq!(
        title_of(&html).split(" – ").next(),
        Some("Erreur : Choisissez un nouveau mot de passe")
    );
}
