//! The helpdesk commands (issue 18 §5): find, show, resend-confirmation,
//! reset-password, disable, enable, unlock, each audited with the
//! operator's name; `codes verify` names the account; `--json` readings.

use crate::support::fixtures::{
    PASSWORD, Signup, code_of, confirmation_links, follow_link, martin_family,
    register_oidc_clients, sign_up, sign_up_camille,
};
use crate::support::mail::temporary_in;
use crate::support::oidc::{authorize, code_in, exchange_as, refresh};
use crate::support::{CAMILLE, MailSink, TestEnv, TestServer, login_as};

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn operator_events(env: &TestEnv, id: &str) -> serde_json::Value {
    json(&env.sesame(&["audit", "--account", id, "--json"]).ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pending_parent_is_found_shown_and_sent_a_fresh_link_that_supersedes_the_old() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    let codes = martin_family(&env);
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    assert_eq!(sign_up(&s, &Signup::olivier(&jb)).await.0, 200);
    let old = confirmation_links(&sink.mails().await).remove(0);

    // By name, by address, by identifiant; nothing for a stranger.
    for text in ["martin olivier", "OLIVIER.MARTIN@EXAMPLE", "olivier.mar"] {
        let found = json(&env.sesame(&["accounts", "find", text, "--json"]).ok());
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{text}: {found}");
        assert_eq!(found[0]["identifiant"], "olivier.martin");
        assert_eq!(found[0]["kind"], "responsable");
        assert_eq!(found[0]["state"], "pending");
    }
    let none = env.sesame(&["accounts", "find", "dupont"]).ok();
    assert!(none.contains("0 compte(s)."), "{none}");
    let err = env.sesame(&["accounts", "find", "%"]).fails_with(4);
    assert!(err.contains("deux caractères"), "{err}");
    let found = json(&env.sesame(&["accounts", "find", "oli_ier", "--json"]).ok());
    assert_eq!(found.as_array().map(Vec::len), Some(0), "_ is no wildcard");
    let id =
        json(&env.sesame(&["accounts", "find", "olivier", "--json"]).ok())[0]["id"].to_string();

    let card = json(&env.sesame(&["accounts", "show", &id, "--json"]).ok());
    assert_eq!(card["state"], "pending");
    assert_eq!(card["children"][0]["prenom"], "Jean-Baptiste");
    assert!(card["confirm_by"].is_string(), "{card}");
    assert!(card["last_login_at"].is_null(), "{card}");
    assert_eq!(card["pending_links"][0]["purpose"], "confirm", "{card}");
    let text = env.sesame(&["accounts", "show", &id]).ok();
    assert!(text.contains("état : pending"), "{text}");

    // The code used names the account.
    let verified = env.sesame(&["codes", "verify", &jb]).fails_with(4);
    assert!(verified.contains("déjà utilisé"), "{verified}");
    let out = env.sesame(&["codes", "verify", &jb]).stdout();
    assert!(
        out.contains(&format!("compte : n°{id} (olivier.martin)")),
        "{out}"
    );
    let v = json(&env.sesame(&["codes", "verify", &jb, "--json"]).stdout());
    assert_eq!(v["account"]["identifiant"], "olivier.martin", "{v}");
    assert_eq!(v["state"], "used");

    let out = env
        .sesame(&[
            "accounts",
            "resend-confirmation",
            &id,
            "--operator",
            "Mme Durand",
        ])
        .ok();
    assert!(out.contains("olivier.martin@example.org"), "{out}");
    let links = confirmation_links(&sink.mails().await);
    assert_eq!(links.len(), 2);
    let (status, body) = crate::support::http::page(&s.client, &format!("{}{old}", s.url)).await;
    assert_ne!(status, 200, "the old link is superseded: {body}");
    let (status, body) = follow_link(&s, &links[1]).await;
    assert_eq!(status, 200, "{body}");
    let err = env
        .sesame(&["accounts", "resend-confirmation", &id, "--operator", "x"])
        .fails_with(4);
    assert!(err.contains("n'attend pas de confirmation"), "{err}");

    let events = operator_events(&env, &id);
    assert!(
        events
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "confirmation_resent_by_operator"
                && e["detail"] == "opérateur : Mme Durand"),
        "{events}"
    );
    let by_identifiant = operator_events(&env, "olivier.martin");
    assert_eq!(by_identifiant, events);
    env.sesame(&["accounts", "show", "9999"]).fails_with(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn disable_ends_refresh_tokens_enable_restores_login_and_reset_mails_a_temporary_password() {
    let env = TestEnv::new();
    register_oidc_clients(&env, &[]).await;
    let code = crate::support::fixtures::camille_code(&env);
    let s = TestServer::spawn(&env, |_| {}).await;
    sign_up_camille(&s.client, &s.url, &code, PASSWORD).await;
    let browser = login_as(&s, &CAMILLE).await;
    let (r, verifier) = authorize(&s.url, &browser, "teleservice", "openid", "").await;
    let t = exchange_as(&s.url, "teleservice", &code_in(&r), &verifier).await;
    let rt = t["refresh_token"].as_str().expect("rt").to_owned();
    let id =
        json(&env.sesame(&["accounts", "find", "camille", "--json"]).ok())[0]["id"].to_string();
    let card = json(&env.sesame(&["accounts", "show", &id, "--json"]).ok());
    assert!(card["last_login_at"].is_string(), "{card}");

    let out = env
        .sesame_with(&["accounts", "disable", &id], &[("SUDO_USER", "agent.b")])
        .ok();
    assert!(out.contains("désactivé"), "{out}");
    let (status, body) = refresh(&s, &rt).await;
    assert_eq!(status, 400, "{body}");
    let err = env
        .sesame(&["accounts", "disable", &id, "--operator", "agent.b"])
        .fails_with(4);
    assert!(err.contains("n'est pas actif"), "{err}");
    let err = env
        .sesame_with(
            &["accounts", "enable", &id],
            &[("USER", ""), ("SUDO_USER", "")],
        )
        .fails_with(4);
    assert!(err.contains("--operator"), "no operator, no change: {err}");
    let events = operator_events(&env, &id);
    assert!(
        events
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "account_disabled" && e["detail"] == "opérateur : agent.b"),
        "{events}"
    );

    env.sesame(&["accounts", "enable", &id, "--operator", "agent.b"])
        .ok();
    login_as(&s, &CAMILLE).await;
    let (status, _) = refresh(&s, &rt).await;
    assert_eq!(status, 400, "what was revoked stays revoked");

    // Reset: a temporary password mailed; it opens a session once.
    let sink = MailSink::start(&env).await;
    env.rows("UPDATE accounts SET email = 'camille@example.org'")
        .await;
    env.sesame(&["accounts", "reset-password", &id, "--operator", "agent.b"])
        .ok();
    let mails = sink.mails().await;
    let temp = temporary_in(&mails.last().expect("a mail").2);
    assert_eq!(temp.len(), 16 + 3, "{temp}");
    assert!(
        operator_events(&env, &id)
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "temporary_password_sent_by_operator")
    );
    let err = env
        .sesame(&["accounts", "unlock", &id, "--operator", "\u{1b}[31m"])
        .fails_with(4);
    assert!(err.contains("--operator"), "{err}");
    env.sesame(&["accounts", "unlock", &id, "--operator", "agent.b"])
        .ok();
}

/// One login from a new browser; answers the status (303 = logged in).
async fn login_status(s: &TestServer, password: &str) -> u16 {
    let who = CAMILLE.with_password(password);
    crate::support::log_in(&TestServer::browser(), &s.url, &who, &[])
        .await
        .status()
        .as_u16()
}

// The login counters live in the shared store: the command reaches a
// running server's only through Redis, so this runs on PostgreSQL and
// Redis whatever the run (`TestEnv::shared`).
#[tokio::test(flavor = "multi_thread")]
async fn unlock_lifts_a_block_made_by_forty_parallel_wrong_passwords_and_is_audited() {
    let env = TestEnv::shared(None);
    let clock = crate::support::fixtures::now_clock();
    // A generous per-address limit: the account's counter is what is tested.
    let s = std::sync::Arc::new(crate::support::fixtures::pupil_account(&env, clock, 1000).await);
    let id =
        json(&env.sesame(&["accounts", "find", "camille", "--json"]).ok())[0]["id"].to_string();

    let attempts: Vec<_> = (0..40)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { login_status(&s, "Mauvais123").await })
        })
        .collect();
    for a in attempts {
        assert_eq!(
            a.await.expect("task"),
            200,
            "a wrong password never logs in"
        );
    }
    assert_eq!(login_status(&s, PASSWORD).await, 200, "blocked");
    let card = json(&env.sesame(&["accounts", "show", &id, "--json"]).ok());
    assert!(card["blocked_until"].is_string(), "{card}");
    assert!(card["login_failures"].as_i64() >= Some(10), "{card}");

    let out = env
        .sesame(&["accounts", "unlock", &id, "--operator", "Mme Durand"])
        .ok();
    assert!(out.contains("débloqué"), "{out}");
    let card = json(&env.sesame(&["accounts", "show", &id, "--json"]).ok());
    assert!(card["blocked_until"].is_null(), "{card}");
    assert_eq!(card["login_failures"], 0, "{card}");
    assert_eq!(
        login_status(&s, PASSWORD).await,
        303,
        "the right password logs in"
    );
    let events = operator_events(&env, &id);
    assert!(
        events.as_array().expect("events").iter().any(|e| {
            e["kind"] == "account_unlocked_by_operator" && e["detail"] == "opérateur : Mme Durand"
        }),
        "{events}"
    );
}
