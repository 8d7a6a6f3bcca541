//! The path end to end with the outbox transport, the unknown and the
//! shared number (same answer, nothing sent), and the code gone once used.

use super::*;
use crate::support::Persona;
use crate::support::personas::log_in_answer;

/// Runs the four forms for Anaïs with `code`; answers the last answer.
async fn finish(
    browser: &Client,
    base: &str,
    code: &str,
    identifiant: &str,
) -> (u16, String, String) {
    let (status, location, _) = type_code(browser, base, code).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/premiere-visite/sms/enfant")
    );
    let (status, location, body) = submit(
        browser,
        base,
        "/premiere-visite/sms/enfant",
        &[("prenom", "leon"), ("naissance", "21/12/2013")],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/premiere-visite/sms/compte"),
        "{body}"
    );
    submit(
        browser,
        base,
        "/premiere-visite/sms/compte",
        &[
            ("identifiant", identifiant),
            ("password", NEW_PASSWORD),
            ("password2", NEW_PASSWORD),
            ("email", "anais@example.org"),
            ("email2", "anais@example.org"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parent_without_a_letter_opens_an_active_account_with_all_her_children_by_sms() {
    let env = TestEnv::new();
    family(&env);
    let s = sms_server(&env, None).await;
    let (_, html) = page(&s.client, &format!("{}/premiere-visite/parent", s.url)).await;
    assert!(
        html.contains("href=\"/premiere-visite/sms\"")
            && html.contains("Je n'ai pas reçu de courrier"),
        "the parent first-visit page offers the path"
    );

    let (status, location, _) = ask_code(&s.client, &s.url, MOBILE).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/premiere-visite/sms/code")
    );
    // Queued in the same transaction, not sent yet; the listing never
    // shows the text.
    let list = env.sesame(&["sms", "list", "--json"]).ok();
    let rows: serde_json::Value = serde_json::from_str(&list).expect("json");
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(rows[0]["state"], "pending");
    assert_eq!(rows[0]["recipient"], "06 •• •• •• 78");
    assert_eq!(send(&env).trim(), "1 SMS envoyé(s).");
    let sent = delivered(&env);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, E164);
    let code = code_in(&sent[0].1);
    assert!(sent[0].1.contains("Valable 10 minutes"), "{}", sent[0].1);
    assert!(!list.contains(&code));
    // Security: sent, the row keeps neither the text nor the number.
    assert_eq!(
        env.count("SELECT COUNT(*) FROM sms_outbox WHERE text <> '' OR recipient <> ''")
            .await,
        0
    );
    let list = env.sesame(&["sms", "list"]).ok();
    assert!(
        list.contains("sent") && !list.contains(&code) && !list.contains(E164),
        "{list}"
    );

    let (status, location, _) = finish(&s.client, &s.url, &code, "anais.sms").await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/premiere-visite/sms/compte-cree")
    );
    let (status, html) = page(&s.client, &format!("{}{location}", s.url)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Votre compte est créé"), "{html}");

    // Active at once, with both children and the guardian record; the
    // flow is gone (code included), and so are the letters' codes' use.
    let state = env
        .rows("SELECT CAST(id AS TEXT), state FROM accounts WHERE identifiant = 'anais.sms'")
        .await;
    assert_eq!(state[0][1].as_deref(), Some("active"));
    let id = state[0][0].clone().expect("id");
    assert_eq!(
        env.count(&format!(
            "SELECT COUNT(*) FROM account_pupils WHERE account_id = {id}"
        ))
        .await,
        2
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM sms_challenges").await, 0);
    let anais = Persona {
        profile: "parent",
        identifiant: "anais.sms",
        password: NEW_PASSWORD,
    };
    let (status, _, _) = log_in_answer(&TestServer::browser(), &s.url, &anais).await;
    assert_eq!(status, 303, "she logs in");

    // The flow is spent: its pages lead back to the number.
    let r = crate::support::http::get(&s.client, &format!("{}/premiere-visite/sms/compte", s.url))
        .await;
    assert_eq!(r.status().as_u16(), 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_code_is_gone_from_the_database_once_used() {
    let env = TestEnv::new();
    family(&env);
    let s = sms_server(&env, None).await;
    ask_code(&s.client, &s.url, MOBILE).await;
    let held = env
        .rows("SELECT code_hash, mobile_hash FROM sms_challenges")
        .await;
    let hash = held[0][0].clone().expect("hash");
    assert_eq!(hash.len(), 64, "a keyed hash");
    let pending = env.rows("SELECT text FROM sms_outbox").await;
    let code = code_in(pending[0][0].as_deref().expect("text until sent"));
    assert!(!hash.contains(&code) && !held[0][1].clone().unwrap_or_default().contains("612345678"));
    send(&env);
    let (status, _, _) = type_code(&s.client, &s.url, &code).await;
    assert_eq!(status, 303);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM sms_challenges WHERE code_hash <> ''")
            .await,
        0,
        "the code's hash is erased once used"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM sms_outbox WHERE text <> ''")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_or_shared_number_gets_the_same_answer_and_nothing_is_sent() {
    let env = TestEnv::new();
    family(&env);
    let s = sms_server(&env, None).await;
    let mut answers = Vec::new();
    for number in [MOBILE, UNKNOWN, SHARED] {
        let browser = TestServer::browser();
        let (status, location, body) = ask_code(&browser, &s.url, number).await;
        let (_, code_page) = page(&browser, &format!("{}{location}", s.url)).await;
        let token = csrf_of(&code_page);
        answers.push((status, location, body, code_page.replace(&token, "")));
    }
    assert_eq!(answers[0], answers[1], "unknown number: the same answer");
    assert_eq!(answers[0], answers[2], "shared number: the same answer");
    assert_eq!(answers[0].0, 303);
    // Only the known number's message was queued.
    let rows = env.rows("SELECT recipient FROM sms_outbox").await;
    assert_eq!(rows, vec![vec![Some(E164.to_owned())]]);
    assert_eq!(send(&env).trim(), "1 SMS envoyé(s).");
    assert_eq!(delivered(&env).len(), 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM sms_challenges").await, 3);

    // No code opens an unknown number's flow, whatever is typed.
    let browser = TestServer::browser();
    ask_code(&browser, &s.url, UNKNOWN).await;
    let (status, _, body) = type_code(&browser, &s.url, "123456").await;
    assert_eq!(status, 422);
    assert!(body.contains("il vous reste 4 essai(s)"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_path_is_offered_only_when_enabled_and_every_form_has_csrf() {
    let env = TestEnv::new();
    family(&env);
    let off = TestServer::spawn(&env, |_| {}).await;
    let (_, html) = page(&off.client, &format!("{}/premiere-visite/parent", off.url)).await;
    assert!(!html.contains("/premiere-visite/sms"));
    let r =
        crate::support::http::get(&off.client, &format!("{}/premiere-visite/sms", off.url)).await;
    assert_eq!(r.status().as_u16(), 303);

    let s = sms_server(&env, None).await;
    let form = vec![("portable".to_owned(), MOBILE.to_owned())];
    let (status, _, _) = post(&s.client, &format!("{}/premiere-visite/sms", s.url), &form).await;
    assert_eq!(status, 403, "no CSRF token, no code");
    assert_eq!(env.count("SELECT COUNT(*) FROM sms_outbox").await, 0);
    // A bad number is named as such, what was typed kept.
    let (status, _, body) = ask_code(&s.client, &s.url, "02 99 00 00 00").await;
    assert_eq!(status, 422);
    assert!(
        body.contains("numéro de téléphone portable français") && body.contains("02 99 00 00 00")
    );
    for path in [
        "/premiere-visite/sms/code",
        "/premiere-visite/sms/enfant",
        "/premiere-visite/sms/compte",
    ] {
        let (status, _, _) = post(&s.client, &format!("{}{path}", s.url), &[]).await;
        assert_eq!(status, 403, "{path} refuses a form without its token");
    }
}
