//! The language of an account's mails (issue 17, item 8): the language of
//! the page where the account was created, then the one its owner switches
//! to while signed in; French by default. Read as a mailbox receives them
//! (a real SMTP server and the application's mail worker).

use crate::support::fixtures::{Signup, code_of, follow_link, martin_family, olivier, sign_up};
use crate::support::http::{page, post};
use crate::support::personas::{change_password, recover};
use crate::support::{MailSink, OLIVIER, TestEnv, TestServer, link_in, login_as};
use reqwest::Client;

type Mail = (String, String, String);

/// Switches `browser`'s language with the footer's link.
async fn switch(s: &TestServer, browser: &Client, lang: &str) {
    let r = browser
        .get(format!("{}/langue?choix={lang}&retour=/", s.url))
        .send()
        .await
        .expect("switch");
    assert_eq!(r.status(), 303, "the switch goes back");
}

fn assert_english(m: &Mail, subject: &str) {
    assert!(m.1.ends_with(&format!(": {subject}")), "{m:?}");
    assert!(m.2.starts_with("Hello,\n"), "{m:?}");
    assert!(
        m.2.contains("This email is sent automatically") && !m.2.contains("Bonjour"),
        "{m:?}"
    );
}

fn assert_french(m: &Mail, subject: &str) {
    assert!(m.1.ends_with(&format!(" : {subject}")), "{m:?}");
    assert!(m.2.starts_with("Bonjour,\n"), "{m:?}");
    assert!(!m.2.contains("Hello"), "{m:?}");
}

async fn stored_language(env: &TestEnv) -> Option<String> {
    env.rows("SELECT language FROM accounts WHERE identifiant = 'olivier.martin'")
        .await
        .remove(0)
        .remove(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parent_who_signs_up_in_english_gets_english_mails() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    switch(&s, &s.client, "en").await;
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let (status, html) = sign_up(&s, &Signup::olivier(&jb)).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(stored_language(&env).await.as_deref(), Some("en"));

    let mails = sink.wait(1).await;
    assert_eq!(mails.len(), 1);
    assert_english(&mails[0], "confirm the creation of your account");
    assert!(mails[0].2.contains("Confirm my account:\n"), "{mails:?}");
    let link = link_in(&mails[0].2, "/confirmation");
    assert_eq!(follow_link(&s, &link).await.0, 200);

    // Lost password, asked from a French browser: the account's language.
    let (status, _) = recover(&s, "/mot-de-passe-oublie", OLIVIER.identifiant).await;
    assert_eq!(status, 200);
    let mails = sink.wait(2).await;
    assert_english(&mails[1], "your temporary password");
    assert!(mails[1].2.contains("valid for "), "{mails:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_french_parent_gets_french_mails_until_switching_language_signed_in() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    assert_eq!(stored_language(&env).await.as_deref(), Some("fr"));
    let mails = sink.mails().await;
    assert_french(&mails[0], "confirmez la création de votre compte");

    let (status, _) = recover(&s, "/mot-de-passe-oublie", OLIVIER.identifiant).await;
    assert_eq!(status, 200);
    assert_french(&sink.wait(2).await[1], "votre mot de passe temporaire");

    // Switching the pages' language while signed in switches the mails'.
    let browser = login_as(&s, &OLIVIER).await;
    switch(&s, &browser, "en").await;
    assert_eq!(stored_language(&env).await.as_deref(), Some("en"));
    change_password(&s, &browser).await;
    assert_english(&sink.wait(3).await[2], "your password has been changed");

    // Switching without being signed in changes no account.
    let anonymous = TestServer::browser();
    switch(&s, &anonymous, "fr").await;
    assert_eq!(stored_language(&env).await.as_deref(), Some("en"));

    switch(&s, &browser, "fr").await;
    assert_eq!(stored_language(&env).await.as_deref(), Some("fr"));
    let (status, _) = recover(&s, "/identifiant-oublie", "olivier.martin@example.org").await;
    assert_eq!(status, 200);
    assert_french(&sink.wait(4).await[3], "votre identifiant");
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_from_before_the_languages_get_french_mails() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    // A row written by the release before: no language.
    env.rows("UPDATE accounts SET language = NULL").await;
    let english = TestServer::browser();
    switch(&s, &english, "en").await;
    let (_, html) = page(&english, &format!("{}/mot-de-passe-oublie", s.url)).await;
    let form = [
        ("csrf".to_owned(), crate::support::csrf_of(&html)),
        ("valeur".to_owned(), OLIVIER.identifiant.to_owned()),
    ];
    let (status, _, _) = post(&english, &format!("{}/mot-de-passe-oublie", s.url), &form).await;
    assert_eq!(status, 303);
    assert_french(&sink.wait(2).await[1], "votre mot de passe temporaire");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_notice_is_in_its_account_language() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    let before = sink.mails().await.len();
    // English; then a language of a newer release, and none (an older
    // row): both French.
    let cases: [(&str, bool); 3] = [("'en'", true), ("'de'", false), ("NULL", false)];
    for (n, (stored, english)) in cases.into_iter().enumerate() {
        env.rows(&format!("UPDATE accounts SET language = {stored}"))
            .await;
        let id = (n + 1).to_string();
        env.sesame(&[
            "accounts",
            "campaign",
            "start",
            "--all",
            "--reason",
            "test",
            "--operator",
            "rssi",
        ])
        .ok();
        let mails = sink.wait(before + n + 1).await;
        assert_eq!(mails.len(), before + n + 1, "one notice: {mails:?}");
        let m = &mails[before + n];
        if english {
            assert_english(m, "choose a new password");
        } else {
            assert_french(m, "choisissez un nouveau mot de passe");
        }
        env.sesame(&["accounts", "campaign", "stop", &id, "--operator", "rssi"])
            .ok();
    }
}
