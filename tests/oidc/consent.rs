//! Consent (issue 6 §5) and scopes (OIDC Core §5.4): asked once per
//! client and scope set, claims only for the scopes granted, pairwise
//! subjects (OIDC Core §8.1).

use crate::support::http::{q, query_of};
use crate::support::oidc::{authorize, code_in, exchange_as, payload, setup_with, userinfo};
use crate::support::{CAMILLE, csrf_of, login_as};

// Consent (issue 6 §5): asked once per client and scope set, then
// remembered; refused → access_denied to the client; prompt=consent
// asks again; prompt=none cannot ask → consent_required.
#[tokio::test(flavor = "multi_thread")]
async fn consent_is_asked_once_per_client_and_scope_set() {
    let (env, s, _clock) = setup_with(
        &[(
            "tiers",
            "consent = true\nscopes = [\"openid\", \"profile\", \"email\"]".into(),
        )],
        |_| {},
    )
    .await;
    let browser = login_as(&s, &CAMILLE).await;
    let consent_page = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 200, "a page, not a redirect");
        let html = r.text().await.expect("body");
        assert!(html.contains("Autoriser « Service tiers » ?"), "{html}");
        html
    };
    let decide = |html: String, decision: &'static str| {
        let b = browser.clone();
        let url = format!("{}/oidc/consentement", s.url);
        async move {
            let ticket = html
                .split("name=\"ticket\" value=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("ticket")
                .to_owned();
            b.post(url)
                .form(&[
                    ("csrf", csrf_of(&html)),
                    ("ticket", ticket),
                    ("decision", decision.to_owned()),
                ])
                .send()
                .await
                .expect("post")
        }
    };
    let (r, _) = authorize(&s.url, &browser, "tiers", "openid profile", "").await;
    let html = consent_page(r).await;
    assert!(html.contains("connaître vos nom, prénom et identifiant"));
    let r = decide(html.clone(), "refuser").await;
    assert_eq!(r.status(), 302);
    let back = query_of(r.headers()["location"].to_str().expect("ascii"));
    assert_eq!(q(&back, "error"), Some("access_denied"));
    assert_eq!(q(&back, "state"), Some("st"));
    assert_eq!(q(&back, "iss"), Some("http://localhost"));
    // The ticket is single use (posted with a fresh form's CSRF token).
    let (r, _) = authorize(&s.url, &browser, "tiers", "openid profile", "").await;
    let fresh = consent_page(r).await;
    let old_ticket = html
        .split("name=\"ticket\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("ticket");
    let r = decide(
        fresh.replace(
            fresh
                .split("name=\"ticket\" value=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("ticket"),
            old_ticket,
        ),
        "autoriser",
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("Demande expirée"));

    let (r, verifier) = authorize(&s.url, &browser, "tiers", "openid profile", "").await;
    let html = consent_page(r).await;
    let r = decide(html, "autoriser").await;
    assert_eq!(r.status(), 302);
    exchange_as(&s.url, "tiers", &code_in(&r), &verifier).await;
    assert_eq!(
        env.count("SELECT COUNT(*) FROM oidc_consents WHERE client_id = 'tiers'")
            .await,
        1
    );
    // Remembered: no page, even from another login of the same account.
    let (r, _) = authorize(&s.url, &login_as(&s, &CAMILLE).await, "tiers", "openid", "").await;
    assert_eq!(r.status(), 302);
    code_in(&r);
    // More scopes, or prompt=consent: asked again; prompt=none cannot.
    let (r, _) = authorize(&s.url, &browser, "tiers", "openid email", "").await;
    consent_page(r).await;
    let (r, _) = authorize(&s.url, &browser, "tiers", "openid", "&prompt=consent").await;
    consent_page(r).await;
    let (r, _) = authorize(&s.url, &browser, "tiers", "openid email", "&prompt=none").await;
    let back = query_of(r.headers()["location"].to_str().expect("ascii"));
    assert_eq!(q(&back, "error"), Some("consent_required"));
    // A first-party client (consent = false) never asks.
    let (r, _) = authorize(&s.url, &browser, "teleservice", "openid email", "").await;
    assert_eq!(r.status(), 302);
    code_in(&r);
}

// OIDC-17 and issue 6 §2-3: Sésame's scopes, children only to the
// clients that list them, pairwise subjects per client, stable.
#[tokio::test(flavor = "multi_thread")]
async fn scopes_release_only_what_they_name_and_pairwise_subjects_differ() {
    let (_env, s, _clock) = setup_with(
        &[
            (
                "ecole",
                "scopes = [\"openid\", \"profile\", \"sesame\", \"sesame.children\"]".into(),
            ),
            ("paire", "subject_type = \"pairwise\"".into()),
        ],
        |_| {},
    )
    .await;
    let browser = login_as(&s, &CAMILLE).await;
    let tokens_for = |id: &'static str, scope: &'static str| {
        let (s, b) = (&s, browser.clone());
        async move {
            let (r, v) = authorize(&s.url, &b, id, scope, "").await;
            exchange_as(&s.url, id, &code_in(&r), &v).await
        }
    };
    let t = tokens_for("ecole", "openid profile sesame sesame.children").await;
    let (_, info) = userinfo(&s, t["access_token"].as_str().expect("at")).await;
    assert_eq!(info["preferred_username"], "camille.martin");
    assert_eq!(info["sesame_profile"], "eleve");
    assert!(
        info["sesame_uai"].as_array().is_some_and(|a| !a.is_empty()),
        "{info}"
    );
    assert!(info.get("email").is_none(), "no email without the scope");
    // Without the scope in its registration, a client cannot have it.
    let (r, _) = authorize(&s.url, &browser, "paire", "openid sesame.children", "").await;
    let back = query_of(r.headers()["location"].to_str().expect("ascii"));
    assert_eq!(q(&back, "error"), Some("invalid_scope"));
    let t = tokens_for("paire", "openid sesame").await;
    let (_, info) = userinfo(&s, t["access_token"].as_str().expect("at")).await;
    assert!(info.get("sesame_children").is_none());
    assert!(info.get("given_name").is_none(), "no names without profile");

    let sub_of = |t: &serde_json::Value| {
        payload(t["id_token"].as_str().expect("id token"))["sub"]
            .as_str()
            .expect("sub")
            .to_owned()
    };
    let public = sub_of(&tokens_for("ecole", "openid").await);
    let public2 = sub_of(&tokens_for("teleservice", "openid").await);
    let pairwise = sub_of(&tokens_for("paire", "openid").await);
    assert_eq!(public, public2, "public: one subject for every client");
    assert_ne!(public, pairwise, "pairwise: the client's own");
    assert_eq!(
        pairwise,
        sub_of(&tokens_for("paire", "openid").await),
        "stable"
    );
    assert_eq!(info["sub"], pairwise.as_str(), "userinfo agrees");
}
