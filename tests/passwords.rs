//! The password policy through the pages that set a password (SECURITY.md
//! §1.1): the guessability estimate on top of the seed's rule.

use crate::support::fixtures::{Signup, olivier, pupil_code};
use crate::support::http::{page, post};
use crate::support::personas::{account_form, log_in_answer};
use crate::support::{MailSink, OLIVIER, PASSWORD, TestEnv, TestServer, UAI, csrf_of, samples};

/// The audit's weak passwords (one a line, `#` for comments).
const WEAK: &str = include_str!("../crates/domain/data/weak-passwords.txt");

/// The password field's error on a sign-up answer, if any.
fn password_error(html: &str) -> Option<&str> {
    let start = html.find("id=\"password-erreur\">")? + "id=\"password-erreur\">".len();
    let len = html[start..].find('<')?;
    Some(&html[start..start + len])
}

/// Posts a parent sign-up with this password from a fresh form page.
async fn sign_up_with(s: &TestServer, password: &str) -> (u16, String) {
    let url = format!("{}/premiere-visite/parent", s.url);
    let (_, html) = page(&s.client, &url).await;
    let form = Signup {
        joint: false,
        // No code: every error of the form comes at once (issue 17), and a
        // made-up code would be looked up, counting against the address's
        // activation attempts (ACT-04) over these 65 submits.
        rows: vec![["Ysaline", "14/03/2009", "", ""]],
        identifiant: "v.durand",
        password,
        email: "v.durand@example.org",
    };
    let (status, _, body) = post(&s.client, &url, &form.form(&csrf_of(&html), "creer")).await;
    (status, body)
}

// REST-04: the 62 (and more) weak passwords of the audit are all refused at
// sign-up with a plain French reason; AUTH-01's acceptances still hold.
#[tokio::test(flavor = "multi_thread")]
async fn weak_passwords_are_refused_at_sign_up_with_a_plain_reason() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let weak: Vec<&str> = WEAK
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(weak.len() >= 62, "the audit lists 62");
    for pw in weak {
        let (status, html) = sign_up_with(&s, pw).await;
        assert_eq!(status, 422, "{pw}");
        let reason = password_error(&html).unwrap_or_else(|| panic!("{pw} accepted: {html}"));
        assert!(reason.contains("trop courant"), "{pw}: {reason}");
    }
    for pw in ["Kq7mWz4p", "kq7mwz4!", "Hirondelle7"] {
        let (status, html) = sign_up_with(&s, pw).await;
        assert_eq!(status, 422, "the missing code is refused");
        assert_eq!(password_error(&html), None, "{pw}: {html}");
    }
}

// REST-04, AUTH-03: a new password is checked against the children's school
// and birth dates too, on the account page.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_password_is_not_built_on_a_childs_school_or_birth_year() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    import_as_goelands(&env);
    let me = TestServer::browser();
    assert_eq!(log_in_answer(&me, &s.url, &OLIVIER).await.0, 303);
    // Jean-Baptiste, born on 03/02/2011, at the Collège Les Goélands.
    for pw in ["Goelands-Vkz7", "Vkzqw-2011", "Vkzqw-03022011"] {
        let (status, _, html) = account_form(
            &s,
            &me,
            "/compte/mot-de-passe",
            &[("actuel", PASSWORD), ("nouveau", pw), ("nouveau2", pw)],
        )
        .await;
        assert_eq!(status, 422, "{pw}");
        assert!(
            html.contains("trop proche de vos données personnelles"),
            "{pw}: {html}"
        );
    }
}

/// Imports the sample school under the name `Collège Les Goélands`.
fn import_as_goelands(env: &TestEnv) {
    let p = env.write("in/ElevesSansAdresses.xml", samples::PUPILS);
    let g = env.write("in/ResponsablesAvecAdresses.xml", samples::GUARDIANS);
    let (p, g) = (p.to_str().expect("utf8"), g.to_str().expect("utf8"));
    env.sesame(&["import", p, g, "--school-name", "Collège Les Goélands"])
        .ok();
}

// REST-04, AUTH-03: at sign-up, once the activation code has named the
// school, a password built on the school's name is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_pupil_password_is_not_built_on_the_schools_name() {
    let env = TestEnv::new();
    import_as_goelands(&env);
    let out = env
        .sesame(&["codes", "generate", "--uai", UAI, "--out", "lettres"])
        .ok();
    let code = pupil_code(&out, "Camille MARTIN");
    let s = TestServer::spawn(&env, |_| {}).await;
    let url = format!("{}/premiere-visite/eleve", s.url);
    for (pw, status) in [("Goelands-Vkz7", 422), ("Kq7mWz4p", 303)] {
        let (_, html) = page(&s.client, &url).await;
        let form = [
            ("csrf", csrf_of(&html)),
            ("prenom", "Camille".into()),
            ("naissance", "16/06/2013".into()),
            ("code", code.clone()),
            ("identifiant", "camille.martin".into()),
            ("password", pw.into()),
            ("password2", pw.into()),
            ("email", "camille@example.org".into()),
            ("email2", "camille@example.org".into()),
        ]
        .map(|(k, v)| (k.to_owned(), v));
        let (got, _, html) = post(&s.client, &url, &form).await;
        assert_eq!(got, status, "{pw}: {html}");
        if status == 422 {
            let reason = password_error(&html).unwrap_or_else(|| panic!("{pw}: {html}"));
            assert!(reason.contains("trop proche"), "{pw}: {reason}");
        }
    }
}
