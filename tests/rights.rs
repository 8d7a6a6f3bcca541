//! Each family's rights over its data (issue 16 §7, RGPD art. 15, 17, 20):
//! « Mes données » downloads everything held about the account; « Supprimer
//! mon compte » (password re-checked) deletes it, ends everything it was
//! given for good and frees its codes; `sesame accounts export|delete`.

use crate::support::fixtures::{
    PASSWORD, UAI, camille_code, now_clock, register_oidc_clients, sign_up_camille,
};
use crate::support::http::{csrf_of, page};
use crate::support::oidc::{authorize, code_in, exchange_as, refresh};
use crate::support::{CAMILLE, TestEnv, TestServer, log_in, login_as};
use sesame_domain::FixedClock;
use std::sync::Arc;

/// Camille's pupil account on a server with the test clock and the
/// `teleservice` client; answers her code too.
async fn camille() -> (TestEnv, TestServer, Arc<FixedClock>, String) {
    let env = TestEnv::new();
    register_oidc_clients(&env, &[]).await;
    let code = camille_code(&env);
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    sign_up_camille(&s.client, &s.url, &code, PASSWORD).await;
    (env, s, clock, code)
}

/// The deletion form posted by `browser` with `password`.
async fn delete_with(s: &TestServer, browser: &reqwest::Client, password: &str) -> (u16, String) {
    let (status, html) = page(browser, &format!("{}/compte/supprimer", s.url)).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Supprimer définitivement mon compte"),
        "{html}"
    );
    let r = browser
        .post(format!("{}/compte/supprimer", s.url))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("actuel_suppression", password),
        ])
        .send()
        .await
        .expect("post");
    if r.status() != 303 {
        return (r.status().as_u16(), r.text().await.expect("body"));
    }
    // POST-redirect-GET: the page after the deletion is a GET page.
    let to = crate::support::http::location(&r);
    assert_eq!(to, "/compte/supprime");
    page(browser, &format!("{}{to}", s.url)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_holder_downloads_everything_held_about_the_account() {
    let (_env, s, _clock, _) = camille().await;
    let browser = login_as(&s, &CAMILLE).await;
    let (_, account) = page(&browser, &format!("{}/compte", s.url)).await;
    assert!(
        account.contains("href=\"/compte/donnees\"") && account.contains("Supprimer mon compte"),
        "{account}"
    );
    let r = browser
        .get(format!("{}/compte/donnees", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment"),
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    let text = r.text().await.expect("body");
    for secret in ["argon2", "password", "hash", PASSWORD] {
        assert!(!text.contains(secret), "no {secret} in {text}");
    }
    let data: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(data["compte"]["identifiant"], "camille.martin");
    assert_eq!(data["compte"]["courriel"], "camille@example.org");
    assert_eq!(data["enfants"][0]["prenom"], "Camille");
    assert_eq!(data["enfants"][0]["date_naissance"], "2013-06-16");
    assert_eq!(data["enfants"][0]["etablissement"]["uai"], UAI);
    let events: Vec<&str> = data["evenements"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["evenement"].as_str().expect("kind"))
        .collect();
    assert!(events.contains(&"account_created"), "{events:?}");
    assert!(events.contains(&"login_succeeded"), "{events:?}");

    // Nobody else's: without a session, the home page, not data.
    let r = TestServer::browser()
        .get(format!("{}/compte/donnees", s.url))
        .send()
        .await
        .expect("get");
    assert!(r.status().is_redirection(), "{}", r.status());
}

// REV: a deleted account's refresh token stays refused past the session's
// lifetime and every store time to live; its code opens a new account.
#[tokio::test(flavor = "multi_thread")]
async fn deleting_the_account_checks_the_password_revokes_for_good_and_frees_the_code() {
    let (env, s, clock, code) = camille().await;
    let browser = login_as(&s, &CAMILLE).await;
    let (r, verifier) = authorize(&s.url, &browser, "teleservice", "openid", "").await;
    let t = exchange_as(&s.url, "teleservice", &code_in(&r), &verifier).await;
    let rt = t["refresh_token"].as_str().expect("rt").to_owned();
    let accounts = || env.count("SELECT COUNT(*) FROM accounts");

    // A wrong password deletes nothing and says so beside the field.
    let (status, html) = delete_with(&s, &browser, "pas-le-bon-1").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("actuel_suppression-erreur"), "{html}");
    assert_eq!(accounts().await, 1);
    // A forged form (no CSRF token) deletes nothing.
    let r = browser
        .post(format!("{}/compte/supprimer", s.url))
        .form(&[("actuel_suppression", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_ne!(r.status(), 200);
    assert_eq!(accounts().await, 1);

    let (status, html) = delete_with(&s, &browser, PASSWORD).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Votre compte a été supprimé"), "{html}");
    assert_eq!(accounts().await, 0);
    // Reloading shows the page again; another browser finds nothing there.
    let again = format!("{}/compte/supprime", s.url);
    let (status, html) = page(&browser, &again).await;
    assert!(status == 200 && html.contains("Votre compte a été supprimé"));
    let r = TestServer::browser().get(&again).send().await.expect("get");
    assert_eq!(r.status(), 303);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'account_deleted'")
            .await,
        1
    );
    let r = browser
        .get(format!("{}/compte", s.url))
        .send()
        .await
        .expect("get");
    assert!(r.status().is_redirection(), "logged out: {}", r.status());
    let refused = |body: &serde_json::Value| body["error"] == "invalid_grant";
    let (status, body) = refresh(&s, &rt).await;
    assert!(status == 400 && refused(&body), "{status} {body}");
    // Past the session's lifetime and the store's copy of the generation:
    // the refresh token itself would still live (14 days).
    let hours = sesame_service::Config::default().session.absolute_hours;
    let by = time::Duration::hours(i64::try_from(hours).expect("hours") + 2);
    clock.advance(by);
    env.advance_store(by.unsigned_abs()).await;
    let (status, body) = refresh(&s, &rt).await;
    assert!(
        status == 400 && refused(&body),
        "still refused: {status} {body}"
    );
    let again = log_in(&TestServer::browser(), &s.url, &CAMILLE, &[]).await;
    assert_eq!(again.status(), 200, "no such account any more");

    // The code is free again: Camille signs up anew and logs in.
    sign_up_camille(&TestServer::browser(), &s.url, &code, PASSWORD).await;
    login_as(&s, &CAMILLE).await;
}

// 40 deletions of one account at once: one deletes and records, none fails.
#[tokio::test(flavor = "multi_thread")]
async fn forty_deletions_at_once_delete_once() {
    let (env, s, _clock, _) = camille().await;
    let browser = login_as(&s, &CAMILLE).await;
    let (_, html) = page(&browser, &format!("{}/compte/supprimer", s.url)).await;
    let csrf = csrf_of(&html);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (b, url, csrf) = (browser.clone(), s.url.clone(), csrf.clone());
        tasks.push(tokio::spawn(async move {
            b.post(format!("{url}/compte/supprimer"))
                .form(&[("csrf", csrf.as_str()), ("actuel_suppression", PASSWORD)])
                .send()
                .await
                .expect("post")
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    assert!(
        statuses.iter().all(|s| *s < 500),
        "no failure: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "one deletion goes on to its page: {statuses:?}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'account_deleted'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_exports_and_deletes_an_account() {
    let (env, s, _clock, code) = camille().await;
    let id = env
        .count("SELECT CAST(MAX(id) AS BIGINT) FROM accounts")
        .await
        .to_string();
    let out = env.sesame(&["accounts", "export", &id]).ok();
    let data: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(data["compte"]["identifiant"], "camille.martin");
    let none = env.sesame(&["accounts", "delete", "999999", "--operator", "admin"]);
    assert_eq!(none.code(), 4);
    assert!(
        none.stderr().contains("aucun compte n°999999"),
        "{}",
        none.stderr()
    );
    let out = env
        .sesame(&["accounts", "delete", &id, "--operator", "admin"])
        .ok();
    assert!(
        out.contains("camille.martin") && out.contains("1 code(s) d'activation libéré(s)"),
        "{out}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'account_deleted_by_administrator'"
        )
        .await,
        1
    );
    sign_up_camille(&TestServer::browser(), &s.url, &code, PASSWORD).await;
}
