//! « Ce n'est pas mon enfant » (issue 16 §8): a parent reports from the
//! home page a child that is not theirs. The link is suspended at once
//! (page, CAS ticket, OIDC userinfo), the school's contact is mailed, an
//! audit event is written; `sesame reports list|resolve` closes the report
//! by restoring the link or keeping it removed.

use crate::school_year::{
    access_token, cas_attributes, claim, home, import, parent, register_ecole, register_ent,
    september, strings, values,
};
use crate::support::fixtures::{
    PASSWORD, UAI, code_of, generate_codes, guardian_codes, pupil_code, sign_up_camille,
};
use crate::support::http::{page, post};
use crate::support::oidc::userinfo;
use crate::support::personas::account_form;
use crate::support::samples::{GUARDIANS, PUPILS, text};
use crate::support::{OLIVIER, TestEnv, TestServer, login_as, outbox};

/// The school's contact in `[reports] contacts`.
const CONTACT: &str = "ce.0999001w@ac-test.fr";
/// The académie-wide `reports.default_contact`.
const DEFAULT: &str = "dsden@ac-test.fr";
/// Camille's and Jean-Baptiste's ids in the sample export.
const CAMILLE_ID: &str = "9990101";
const JB_ID: &str = "9990102";

/// The MARTIN school with Olivier's personal account holding both
/// children (and Camille's pupil account), the `ent` CAS service and the
/// `ecole` OIDC client; answers Olivier's codes too.
async fn olivier_with_two_children() -> (TestEnv, TestServer, Vec<(String, String, String)>) {
    let env = TestEnv::new();
    register_ent(&env);
    register_ecole(&env).await;
    env.import_samples();
    let printed = generate_codes(&env);
    let codes = guardian_codes(&printed);
    let s = TestServer::spawn(&env, |c| {
        c.reports.default_contact = DEFAULT.into();
        c.reports.contacts.insert(UAI.into(), CONTACT.into());
    })
    .await;
    sign_up_camille(
        &s.client,
        &s.url,
        &pupil_code(&printed, "Camille MARTIN"),
        PASSWORD,
    )
    .await;
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let ca = code_of(&codes, "Olivier MARTIN", "Camille");
    parent(
        &s,
        &env,
        &OLIVIER,
        "olivier.martin@example.org",
        vec![
            ["Jean-Baptiste", "03/02/2011", &jb, ""],
            ["Camille", "16/06/2013", &ca, ""],
        ],
    )
    .await;
    (env, s, codes)
}

/// The value of input `name` inside `html`.
fn input(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').expect("end")].to_owned()
}

/// The « Ce n'est pas mon enfant » form of the child `first_name` on a
/// home page: (csrf, eleve).
fn report_form(html: &str, first_name: &str) -> (String, String) {
    let li = html
        .split("<li>")
        .find(|li| li.starts_with(first_name))
        .unwrap_or_else(|| panic!("{first_name} on {html}"));
    assert!(
        li.contains("Ce n&#39;est pas mon enfant") || li.contains("Ce n'est pas mon enfant"),
        "{li}"
    );
    (input(li, "csrf"), input(li, "eleve"))
}

/// Reports `first_name` from `browser`'s home page, through the
/// confirmation step; answers the last page's (status, body).
async fn report(s: &TestServer, browser: &reqwest::Client, first_name: &str) -> (u16, String) {
    let (_, html) = page(browser, &format!("{}/", s.url)).await;
    let (csrf, eleve) = report_form(&html, first_name);
    let url = format!("{}/enfant/signaler", s.url);
    let (status, _, confirm) = post(
        browser,
        &url,
        &[("csrf".into(), csrf), ("eleve".into(), eleve.clone())],
    )
    .await;
    assert_eq!(status, 200, "{confirm}");
    assert!(confirm.contains("Confirmer : ce n"), "{confirm}");
    assert!(confirm.contains(first_name), "{confirm}");
    let (status, _, body) = post(
        browser,
        &url,
        &[
            ("csrf".into(), input(&confirm, "csrf")),
            ("eleve".into(), eleve),
            ("confirmer".into(), "oui".into()),
        ],
    )
    .await;
    (status, body)
}

async fn reports_in(env: &TestEnv, state: &str) -> i64 {
    env.count(&format!(
        "SELECT COUNT(*) FROM reports WHERE state = '{state}'"
    ))
    .await
}

async fn mails_to(env: &TestEnv, to: &str) -> Vec<(String, String, String)> {
    outbox(env)
        .await
        .into_iter()
        .filter(|(r, _, _)| r == to)
        .collect()
}

// Issue 16 §8: the link is suspended at once everywhere, the school's
// contact is mailed, `reports resolve --restore` brings the child back.
#[tokio::test(flavor = "multi_thread")]
async fn a_reported_child_leaves_page_ticket_and_token_until_restored() {
    let (env, s, _) = olivier_with_two_children().await;
    let before = access_token(&s, &OLIVIER).await;
    assert_eq!(
        values(&cas_attributes(&s, &OLIVIER).await, "ENTAuxEnsEnfants"),
        strings(&[CAMILLE_ID, JB_ID])
    );

    let browser = login_as(&s, &OLIVIER).await;
    // The confirmation step alone changes nothing.
    let (_, html) = page(&browser, &format!("{}/", s.url)).await;
    let (csrf, eleve) = report_form(&html, "Jean-Baptiste");
    let (status, _, _) = post(
        &browser,
        &format!("{}/enfant/signaler", s.url),
        &[("csrf".into(), csrf), ("eleve".into(), eleve)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(reports_in(&env, "open").await, 0);

    let (status, body) = report(&s, &browser, "Jean-Baptiste").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Signalement enregistré"), "{body}");

    // Gone from the page, a fresh ticket, the token issued before and a new one.
    let html = home(&s, &OLIVIER).await;
    assert!(
        !html.contains("Jean-Baptiste") && html.contains("Camille"),
        "{html}"
    );
    let a = cas_attributes(&s, &OLIVIER).await;
    assert_eq!(values(&a, "ENTAuxEnsEnfants"), strings(&[CAMILLE_ID]));
    let (status, info) = userinfo(&s, &before).await;
    assert_eq!(status, 200);
    assert_eq!(claim(&info, "sesame_children"), strings(&[CAMILLE_ID]));
    let (_, info) = userinfo(&s, &access_token(&s, &OLIVIER).await).await;
    assert_eq!(claim(&info, "sesame_children"), strings(&[CAMILLE_ID]));

    // The school's own contact is mailed, not the default one nor the parent.
    let mails = mails_to(&env, CONTACT).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].1.contains("signalement n°1"), "{}", mails[0].1);
    assert!(
        mails[0].2.contains("Jean-Baptiste") && mails[0].2.contains(JB_ID),
        "{}",
        mails[0].2
    );
    assert!(mails_to(&env, DEFAULT).await.is_empty());
    for kind in ["child_reported", "child_report_sent", "child_detached"] {
        assert_eq!(
            env.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE kind = '{kind}'"
            ))
            .await,
            1,
            "{kind}"
        );
    }

    // The administrator lists it and restores the link.
    let list = env.sesame(&["reports", "list", "--json"]).ok();
    let listed: serde_json::Value = serde_json::from_str(&list).expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(listed[0]["eleve"], JB_ID);
    assert_eq!(listed[0]["uai"], UAI);
    assert_eq!(listed[0]["identifiant"], "olivier.martin");
    let id = listed[0]["id"].to_string();
    let out = env
        .sesame(&["reports", "resolve", &id, "--restore", "--by", "m.dupont"])
        .ok();
    assert!(out.contains("de nouveau rattaché"), "{out}");
    assert!(
        env.sesame(&["reports", "list"])
            .ok()
            .contains("0 signalement(s)")
    );
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'child_report_restored' AND actor = 'm.dupont'"
        )
        .await,
        1
    );
    let html = home(&s, &OLIVIER).await;
    assert!(html.contains("Jean-Baptiste"), "{html}");
    let a = cas_attributes(&s, &OLIVIER).await;
    assert_eq!(
        values(&a, "ENTAuxEnsEnfants"),
        strings(&[CAMILLE_ID, JB_ID])
    );
    // Closed once: a second resolution is refused, naming why.
    let err = env
        .sesame(&["reports", "resolve", &id, "--remove", "--by", "m.dupont"])
        .fails_with(4);
    assert!(err.contains("déjà clos"), "{err}");
    let err = env
        .sesame(&["reports", "resolve", "999", "--remove", "--by", "m.dupont"])
        .fails_with(4);
    assert!(err.contains("aucun signalement n°999"), "{err}");
}

// `--remove`: the link stays removed after a later import, and the
// parent's code cannot attach the child again.
#[tokio::test(flavor = "multi_thread")]
async fn a_removed_report_keeps_the_child_away_after_an_import() {
    let (env, s, codes) = olivier_with_two_children().await;
    let browser = login_as(&s, &OLIVIER).await;
    assert_eq!(report(&s, &browser, "Camille").await.0, 200);
    let out = env
        .sesame(&["reports", "resolve", "1", "--remove", "--by", "m.dupont"])
        .ok();
    assert!(out.contains("reste détaché"), "{out}");
    assert_eq!(reports_in(&env, "removed").await, 1);

    // A later export, unchanged: the school data still links them.
    import(&env, &september(text(PUPILS)), &september(text(GUARDIANS)));
    let html = home(&s, &OLIVIER).await;
    assert!(!html.contains("Camille"), "{html}");
    let a = cas_attributes(&s, &OLIVIER).await;
    assert_eq!(values(&a, "ENTAuxEnsEnfants"), strings(&[JB_ID]));

    let code = code_of(&codes, "Olivier MARTIN", "Camille");
    let browser = login_as(&s, &OLIVIER).await;
    let (status, _, html) = account_form(
        &s,
        &browser,
        "/compte/enfant",
        &[
            ("actuel_enfant", PASSWORD),
            ("prenom", "Camille"),
            ("naissance", "16/06/2013"),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("signalé que cet enfant"), "{html}");
    assert!(!home(&s, &OLIVIER).await.contains("Camille"));
}

// CSRF: a report without its token, or with another form's, does nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_report_needs_its_own_form_token() {
    let (env, s, _) = olivier_with_two_children().await;
    let browser = login_as(&s, &OLIVIER).await;
    let (_, html) = page(&browser, &format!("{}/", s.url)).await;
    let (_, eleve) = report_form(&html, "Camille");
    let logout_token = {
        let at = html.find("action=\"/deconnexion\"").expect("logout form");
        input(&html[at..], "csrf")
    };
    for token in [String::new(), logout_token, "forged".to_owned()] {
        let (status, _, body) = post(
            &browser,
            &format!("{}/enfant/signaler", s.url),
            &[
                ("csrf".into(), token),
                ("eleve".into(), eleve.clone()),
                ("confirmer".into(), "oui".into()),
            ],
        )
        .await;
        assert_eq!(status, 403, "{body}");
    }
    assert_eq!(env.count("SELECT COUNT(*) FROM reports").await, 0);
    assert!(home(&s, &OLIVIER).await.contains("Camille"));
    assert!(mails_to(&env, CONTACT).await.is_empty());
}

// 40 parallel reports of one child: the per-account limit lets 10
// through, and of those one report, one mail.
#[tokio::test(flavor = "multi_thread")]
async fn forty_parallel_reports_of_one_child_make_one_report_and_one_mail() {
    let (env, s, _) = olivier_with_two_children().await;
    let browser = login_as(&s, &OLIVIER).await;
    let mut forms = Vec::new();
    for _ in 0..40 {
        let (_, html) = page(&browser, &format!("{}/", s.url)).await;
        forms.push(report_form(&html, "Camille"));
    }
    let url = format!("{}/enfant/signaler", s.url);
    let tasks: Vec<_> = forms
        .into_iter()
        .map(|(csrf, eleve)| {
            let (b, url) = (browser.clone(), url.clone());
            tokio::spawn(async move {
                let form = [
                    ("csrf".to_owned(), csrf),
                    ("eleve".to_owned(), eleve),
                    ("confirmer".to_owned(), "oui".to_owned()),
                ];
                post(&b, &url, &form).await.0
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((ok, throttled), (10, 30), "{statuses:?}");
    assert_eq!(env.count("SELECT COUNT(*) FROM reports").await, 1);
    assert_eq!(mails_to(&env, CONTACT).await.len(), 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'child_reported'")
            .await,
        1
    );
    assert!(!home(&s, &OLIVIER).await.contains("Camille"));
}

// check-config refuses a contact that is not one address, or a key that
// is not a UAI, naming the key.
#[test]
fn check_config_validates_report_contacts() {
    let env = TestEnv::new();
    let err = env
        .sesame_with(
            &["check-config"],
            &[(
                "SESAME__REPORTS__DEFAULT_CONTACT",
                "dsden@ac-test.fr, x@y.fr",
            )],
        )
        .fails_with(3);
    assert!(err.contains("reports.default_contact"), "{err}");
    for (uai, addr, key) in [
        (UAI, "pas une adresse", "reports.contacts.0999001W"),
        ("0999001A", CONTACT, "reports.contacts.0999001A"),
    ] {
        let f = env.write(
            "reports.toml",
            format!("[reports]\ncontacts = {{ \"{uai}\" = \"{addr}\" }}\n"),
        );
        let err = env
            .sesame(&["--config", f.to_str().expect("utf8"), "check-config"])
            .fails_with(3);
        assert!(err.contains(key), "{err}");
    }
    let f = env.write(
        "reports.toml",
        format!("[reports]\ndefault_contact = \"{DEFAULT}\"\ncontacts = {{ \"{UAI}\" = \"{CONTACT}\" }}\n"),
    );
    let out = env
        .sesame(&["--config", f.to_str().expect("utf8"), "check-config"])
        .ok();
    assert!(out.contains(CONTACT), "{out}");
}
