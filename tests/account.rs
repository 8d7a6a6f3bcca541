//! Account life through HTTP (seed guide §1.2, §1.4): "gérer son compte"
//! (password, address, another child), lost identifiant, lost password with
//! a temporary password.

use crate::support::fixtures::{
    NEW_PASSWORD, Signup, code_of, confirmation_links, follow_link, now_clock, olivier, sign_up,
};
use crate::support::http::{page, post};
use crate::support::mail::temporary_in;
use crate::support::personas::{account_form, log_in_answer, recover};
use crate::support::{MailSink, OLIVIER, PASSWORD, TestEnv, TestServer, csrf_of, link_in};
use std::time::Duration;

// REC-03, REC-05
#[tokio::test(flavor = "multi_thread")]
async fn lost_identifiant_mails_every_identifiant_of_the_address_and_answers_the_same_for_all() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    let codes = olivier(&env, &s, &sink).await;
    // A second account with the same address (the family's shared mailbox).
    let camille = code_of(&codes, "Sophie MARTIN", "Camille");
    let form = Signup {
        joint: false,
        rows: vec![["Camille", "16/06/2013", &camille, ""]],
        identifiant: "sophie.m",
        password: PASSWORD,
        email: "olivier.martin@example.org",
    };
    assert_eq!(sign_up(&s, &form).await.0, 200);
    let link = confirmation_links(&sink.mails().await).pop().expect("link");
    assert_eq!(follow_link(&s, &link).await.0, 200);
    let before = sink.mails().await.len();

    let known = recover(&s, "/identifiant-oublie", "OLIVIER.Martin@Example.org").await;
    let unknown = recover(&s, "/identifiant-oublie", "personne@example.org").await;
    let lookalike = recover(&s, "/identifiant-oublie", "ｏlivier.martin@example.org").await;
    assert_eq!(known.0, 200);
    assert_eq!(
        known, unknown,
        "same page whether the address is known or not"
    );
    assert_eq!(known, lookalike);
    assert!(
        known
            .1
            .contains("Si ces informations correspondent à un compte")
    );
    let mails = sink.wait(before + 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails_after = sink.mails().await;
    assert_eq!(
        mails_after.len(),
        before + 1,
        "one mail, for the known address only: {mails:?}"
    );
    let (to, subject, text) = mails_after.last().expect("mail").clone();
    assert_eq!(
        to, "olivier.martin@example.org",
        "to the stored address, not the typed one"
    );
    assert!(subject.contains("identifiant"), "{subject}");
    assert!(
        text.contains("olivier.martin") && text.contains("sophie.m"),
        "both identifiants in one mail: {text}"
    );
    assert!(!text.contains(PASSWORD));
}

// REC-04
#[tokio::test(flavor = "multi_thread")]
async fn a_temporary_password_is_single_use_superseded_forces_a_new_one_and_expires() {
    let env = TestEnv::new();
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    let sink = MailSink::with_clock(&env, clock.clone()).await;
    olivier(&env, &s, &sink).await;
    let before = sink.mails().await.len();

    let (status, body) = recover(&s, "/mot-de-passe-oublie", "Olivier.Martin").await;
    assert_eq!(status, 200);
    assert_eq!(
        (status, body),
        recover(&s, "/mot-de-passe-oublie", "personne.inconnue").await
    );
    let first = temporary_in(&sink.wait(before + 1).await[before].2);
    // The current password still works.
    let c = TestServer::browser();
    assert_eq!(log_in_answer(&c, &s.url, &OLIVIER).await.0, 303);
    // A second request supersedes the first.
    recover(&s, "/mot-de-passe-oublie", "olivier.martin").await;
    let second = temporary_in(&sink.wait(before + 2).await[before + 1].2);
    assert_ne!(first, second);
    assert_eq!(
        log_in_answer(
            &TestServer::browser(),
            &s.url,
            &OLIVIER.with_password(&first)
        )
        .await
        .0,
        200
    );

    // The temporary password leads straight to choosing a new one.
    let c = TestServer::browser();
    let (status, location, _) =
        log_in_answer(&c, &s.url, &OLIVIER.with_password(&second.to_lowercase())).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/compte/nouveau-mot-de-passe")
    );
    let r = c.get(format!("{}/", s.url)).send().await.expect("get");
    assert_eq!(
        r.headers()["location"],
        "/compte/nouveau-mot-de-passe",
        "nothing else first"
    );
    let (_, html) = page(&c, &format!("{}/compte/nouveau-mot-de-passe", s.url)).await;
    let try_new = |html: String, pw: String| {
        let c = c.clone();
        let url = format!("{}/compte/nouveau-mot-de-passe", s.url);
        async move {
            let form = [
                ("csrf", csrf_of(&html)),
                ("nouveau", pw.clone()),
                ("nouveau2", pw),
            ]
            .map(|(k, v)| (k.to_owned(), v));
            post(&c, &url, &form).await
        }
    };
    let (status, _, html) = try_new(html, second.clone()).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("différent du mot de passe temporaire"),
        "{html}"
    );
    let (status, _, html) = try_new(html, "azerty12".into()).await;
    assert_eq!(status, 422, "the policy applies");
    let (status, location, _) = try_new(html, NEW_PASSWORD.into()).await;
    assert_eq!((status, location.as_str()), (303, "/"));
    let (_, home) = page(&c, &format!("{}/", s.url)).await;
    assert!(home.contains("Bonjour olivier.martin"), "{home}");
    // Single use; the old password is gone, the new one works.
    assert_eq!(
        log_in_answer(
            &TestServer::browser(),
            &s.url,
            &OLIVIER.with_password(&second)
        )
        .await
        .0,
        200
    );
    assert_eq!(
        log_in_answer(&TestServer::browser(), &s.url, &OLIVIER)
            .await
            .0,
        200
    );
    assert_eq!(
        log_in_answer(
            &TestServer::browser(),
            &s.url,
            &OLIVIER.with_password(NEW_PASSWORD)
        )
        .await
        .0,
        303
    );

    // Expiry: after 24 h a temporary password fails and the password stands.
    let n = sink.mails().await.len();
    recover(&s, "/mot-de-passe-oublie", "olivier.martin").await;
    let third = temporary_in(&sink.wait(n + 1).await[n].2);
    clock.advance(time::Duration::hours(24) + time::Duration::seconds(1));
    assert_eq!(
        log_in_answer(
            &TestServer::browser(),
            &s.url,
            &OLIVIER.with_password(&third)
        )
        .await
        .0,
        200
    );
    assert_eq!(
        log_in_answer(
            &TestServer::browser(),
            &s.url,
            &OLIVIER.with_password(NEW_PASSWORD)
        )
        .await
        .0,
        303
    );
}

// AUTH-13, REC-07 (sessions part)
#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    let (me, other) = (TestServer::browser(), TestServer::browser());
    assert_eq!(log_in_answer(&me, &s.url, &OLIVIER).await.0, 303);
    assert_eq!(log_in_answer(&other, &s.url, &OLIVIER).await.0, 303);
    let failures = env
        .count("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_failed'")
        .await;

    let (status, _, html) = account_form(
        &s,
        &me,
        "/compte/mot-de-passe",
        &[
            ("actuel", "Mauvais123"),
            ("nouveau", NEW_PASSWORD),
            ("nouveau2", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Mot de passe actuel incorrect."), "{html}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_failed'")
            .await,
        failures + 1,
        "a wrong current password counts as a login failure"
    );
    let (status, _, html) = account_form(
        &s,
        &me,
        "/compte/mot-de-passe",
        &[
            ("actuel", PASSWORD),
            ("nouveau", "olivier2026"),
            ("nouveau2", "olivier2026"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("trop proche de vos données personnelles"),
        "{html}"
    );
    let (status, location, _) = account_form(
        &s,
        &me,
        "/compte/mot-de-passe",
        &[
            ("actuel", PASSWORD),
            ("nouveau", NEW_PASSWORD),
            ("nouveau2", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/compte?fait=mot-de-passe")
    );

    let (status, html) = page(&me, &format!("{}{location}", s.url)).await;
    assert_eq!(status, 200, "this browser stays logged in");
    assert!(html.contains("Votre mot de passe a été modifié"), "{html}");
    let r = other
        .get(format!("{}/compte", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303, "the other session ended");
    assert_eq!(
        log_in_answer(&TestServer::browser(), &s.url, &OLIVIER)
            .await
            .0,
        200
    );
    assert_eq!(
        log_in_answer(
            &TestServer::browser(),
            &s.url,
            &OLIVIER.with_password(NEW_PASSWORD)
        )
        .await
        .0,
        303
    );
    let mails = sink.mails().await;
    assert!(
        mails
            .iter()
            .any(|(to, subject, _)| to == "olivier.martin@example.org"
                && subject.contains("mot de passe a été modifié")),
        "{mails:?}"
    );

    // The audit trail names events, never identifiants, addresses or passwords.
    let all = env.sesame(&["audit"]).ok();
    for event in [
        "account_created",
        "account_confirmed",
        "login_succeeded",
        "login_failed",
        "password_changed",
    ] {
        assert!(all.contains(event), "{event} in {all}");
    }
    for secret in [
        "olivier.martin",
        "example.org",
        PASSWORD,
        NEW_PASSWORD,
        "127.0.0.1",
    ] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
    let changed = env
        .sesame(&[
            "audit",
            "--kind",
            "password_changed",
            "--since",
            "01/01/2020",
        ])
        .ok();
    assert!(changed.contains("1 événement(s)."), "{changed}");
    let err = env.sesame(&["audit", "--since", "hier"]).fails_with(4);
    assert!(err.contains("--since hier"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_address_counts_once_confirmed_and_the_old_one_can_cancel() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    let me = TestServer::browser();
    assert_eq!(log_in_answer(&me, &s.url, &OLIVIER).await.0, 303);
    let change = |to: &'static str| {
        let (s, me) = (&s, me.clone());
        async move {
            account_form(
                s,
                &me,
                "/compte/adresse",
                &[
                    ("courriel", to),
                    ("courriel2", to),
                    ("actuel_courriel", PASSWORD),
                ],
            )
            .await
        }
    };
    let (status, location, _) = change("o.martin@exemple.fr").await;
    assert_eq!((status, location.as_str()), (303, "/compte?fait=adresse"));
    let mails = sink.mails().await;
    let confirm = mails
        .iter()
        .find(|(to, _, _)| to == "o.martin@exemple.fr")
        .expect("to the new address");
    let notice = mails
        .iter()
        .rfind(|(to, s, _)| to == "olivier.martin@example.org" && s.contains("changement"))
        .expect("notice to the old one");
    assert!(notice.2.contains("/compte/courriel/annuler?code="));
    let stored = || async {
        env.rows("SELECT email FROM accounts").await[0][0]
            .clone()
            .unwrap_or_default()
    };
    assert_eq!(
        stored().await,
        "olivier.martin@example.org",
        "unchanged until confirmed"
    );
    let (status, body) = follow_link(&s, &link_in(&confirm.2, "/compte/courriel")).await;
    assert_eq!(status, 200);
    assert!(body.contains("Adresse confirmée"), "{body}");
    assert_eq!(stored().await, "o.martin@exemple.fr");

    // A second change, cancelled from the (now) old address.
    change("pirate@exemple.fr").await;
    let mails = sink.mails().await;
    let notice = mails
        .iter()
        .rfind(|(to, _, _)| to == "o.martin@exemple.fr")
        .expect("notice");
    let confirm = mails
        .iter()
        .rfind(|(to, _, _)| to == "pirate@exemple.fr")
        .expect("confirm");
    let (_, body) = follow_link(&s, &link_in(&notice.2, "/compte/courriel/annuler")).await;
    assert!(body.contains("Changement annulé"), "{body}");
    let link = link_in(&confirm.2, "/compte/courriel");
    assert_eq!(
        page(&s.client, &format!("{}{link}", s.url)).await.0,
        404,
        "the cancelled link is dead"
    );
    assert_eq!(stored().await, "o.martin@exemple.fr");
    let (status, _, html) = account_form(
        &s,
        &me,
        "/compte/adresse",
        &[
            ("courriel", "x@exemple.fr"),
            ("courriel2", "x@exemple.fr"),
            ("actuel_courriel", "Mauvais123"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Mot de passe actuel incorrect."));
}

// ACT-10
#[tokio::test(flavor = "multi_thread")]
async fn a_parent_attaches_another_child_with_its_own_code_and_the_password() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    let codes = olivier(&env, &s, &sink).await;
    let me = TestServer::browser();
    assert_eq!(log_in_answer(&me, &s.url, &OLIVIER).await.0, 303);
    let camille_o = code_of(&codes, "Olivier MARTIN", "Camille");
    let camille_s = code_of(&codes, "Sophie MARTIN", "Camille");
    let attach = |code: String, pw: &'static str| {
        let (s, me) = (&s, me.clone());
        async move {
            account_form(
                s,
                &me,
                "/compte/enfant",
                &[
                    ("prenom", "camille"),
                    ("naissance", "16/06/2013"),
                    ("code", &code),
                    ("actuel_enfant", pw),
                ],
            )
            .await
        }
    };
    let (status, _, html) = attach(camille_o.clone(), "Mauvais123").await;
    assert_eq!(status, 422);
    assert!(html.contains("Mot de passe actuel incorrect."));
    let (status, _, html) = attach(camille_s, PASSWORD).await;
    assert_eq!(status, 422);
    assert!(html.contains("adressé à une autre personne"), "{html}");
    let (status, location, _) = attach(camille_o.clone(), PASSWORD).await;
    assert_eq!((status, location.as_str()), (303, "/compte?fait=enfant"));
    let (_, html) = page(&me, &format!("{}/compte", s.url)).await;
    assert!(
        html.contains("Camille MARTIN") && html.contains("Jean-Baptiste MARTIN"),
        "{html}"
    );
    let (status, _, _) = attach(camille_o, PASSWORD).await;
    assert_eq!(status, 422, "the same child twice");
    assert_eq!(env.count("SELECT COUNT(*) FROM account_pupils").await, 2);
    assert!(
        sink.mails()
            .await
            .iter()
            .any(|(_, subject, _)| subject.contains("rattaché"))
    );
}

// REC-06: links in mails come from the configured public URL, never from
// the Host or X-Forwarded-Host headers of the request.
#[tokio::test(flavor = "multi_thread")]
async fn mailed_links_ignore_the_host_of_the_request() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    let before = sink.mails().await.len();
    let c = TestServer::browser();
    let (_, html) = page(&c, &format!("{}/mot-de-passe-oublie", s.url)).await;
    let r = c
        .post(format!("{}/mot-de-passe-oublie", s.url))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .form(&[
            ("csrf", csrf_of(&html)),
            ("valeur", "olivier.martin".to_owned()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let mails = sink.wait(before + 1).await;
    let text = &mails[before].2;
    assert!(text.contains("http://localhost/connexion"), "{text}");
    assert!(!text.contains("evil.example"), "{text}");
}

// Issue 22 §1: an account created with an activation code chose its
// identifiant at sign-up; « Choisir mon identifiant » is for the names an
// upstream provider gave (tests/upstream/rename.rs). The form is not
// offered, and a forged post changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_local_account_keeps_the_identifiant_it_chose_at_sign_up() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    let me = TestServer::browser();
    assert_eq!(log_in_answer(&me, &s.url, &OLIVIER).await.0, 303);
    let (_, html) = page(&me, &format!("{}/compte", s.url)).await;
    assert!(!html.contains("Choisir mon identifiant"), "{html}");
    let (status, _, html) = account_form(
        &s,
        &me,
        "/compte/identifiant",
        &[("identifiant", "o.martin")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("ne peut plus être modifié"), "{html}");
    assert_eq!(
        env.rows("SELECT identifiant FROM accounts").await,
        vec![vec![Some("olivier.martin".to_owned())]]
    );
}
