//! What a client may do: client authentication throttled per client
//! (RFC 6749 §2.3.1), CORS only for the clients' origins.

use crate::support::TestServer;
use crate::support::fixtures::olivier;
use crate::support::fixtures::services::register_oidc_clients;
use crate::support::fixtures::{CALLBACK, SECRET};
use crate::support::oidc::{authorize, code_in, exchange_as, userinfo};
use crate::support::oidc::{call, refresh, setup, setup_with, tokens};
use crate::support::{CAMILLE, MailSink, OLIVIER, TestEnv, login_as};

// OIDC-08: wrong secrets are counted per client; past the limit even
// the right secret is refused for a minute. Secrets in the query string
// are never read.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_client_secrets_throttle_that_client() {
    let (_env, s, _clock) = setup_with(&[], |c| c.oidc.client_failures_per_minute = 5).await;
    let t = tokens(&s).await;
    let rt = t["refresh_token"].as_str().expect("rt").to_owned();
    let r = TestServer::browser()
        .post(format!(
            "{}/oidc/token?client_id=teleservice&client_secret={SECRET}",
            s.url
        ))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401, "a secret in the query string is not read");
    for _ in 0..5 {
        let r = TestServer::browser()
            .post(format!("{}/oidc/token", s.url))
            .basic_auth("teleservice", Some("mauvais"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 401);
        assert!(r.headers().get("www-authenticate").is_some());
    }
    let (status, body) = refresh(&s, &rt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // The other clients are not affected (RFC 7009 §2.1: a public client
    // revokes with its `client_id`; RFC 7662 §2.1: it may not introspect).
    let (status, _) = call(&s, "/oidc/revoke", ("public", None), "x").await;
    assert_eq!(status, 200);
    let (status, _) = call(&s, "/oidc/introspect", ("public", None), "x").await;
    assert_eq!(status, 401, "introspection needs client authentication");
}

// OIDC-14: CORS only for the clients' origins, never on authorize.
#[tokio::test(flavor = "multi_thread")]
async fn cors_answers_registered_origins_only_and_never_on_authorize() {
    let (_env, s, _clock) = setup().await;
    let b = TestServer::browser();
    for path in ["/oidc/jwks", "/.well-known/openid-configuration"] {
        let r = b
            .get(format!("{}{path}", s.url))
            .header("origin", "https://evil.example")
            .send()
            .await
            .expect("get");
        assert!(r.headers().get("access-control-allow-origin").is_none());
        let r = b
            .get(format!("{}{path}", s.url))
            .header("origin", "https://app.exemple.fr")
            .send()
            .await
            .expect("get");
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "https://app.exemple.fr"
        );
    }
    let r = b
        .request(reqwest::Method::OPTIONS, format!("{}/oidc/token", s.url))
        .header("origin", "https://public.exemple.fr")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://public.exemple.fr"
    );
    let r = b
        .get(format!(
            "{}/oidc/authorize?client_id=teleservice&redirect_uri={}&response_type=code&scope=openid",
            s.url,
            url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
        ))
        .header("origin", "https://app.exemple.fr")
        .send()
        .await
        .expect("authorize");
    assert!(
        !r.headers()
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "no CORS on the authorization endpoint"
    );
}

// OIDC Core §5.1, issue 15 §4: `email_verified` is true only for an
// address confirmed by a link; a pupil's address was typed at sign-up and
// never confirmed.
#[tokio::test(flavor = "multi_thread")]
async fn a_pupils_unconfirmed_address_is_not_verified() {
    let (_env, s, _clock) = setup().await;
    let browser = login_as(&s, &CAMILLE).await;
    let (r, verifier) = authorize(&s.url, &browser, "teleservice", "openid email", "").await;
    let t = exchange_as(&s.url, "teleservice", &code_in(&r), &verifier).await;
    let (status, info) = userinfo(&s, t["access_token"].as_str().expect("at")).await;
    assert_eq!(status, 200, "{info}");
    assert!(info["email"].is_string(), "{info}");
    assert_eq!(info["email_verified"], false, "{info}");
}

// OIDC Core §5.1, issue 15 §4: a parent who followed the mailed
// confirmation link has a verified address.
#[tokio::test(flavor = "multi_thread")]
async fn a_parents_address_confirmed_by_a_link_is_verified() {
    let env = TestEnv::new();
    register_oidc_clients(&env, &[]).await;
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &s, &sink).await;
    let browser = login_as(&s, &OLIVIER).await;
    let (r, verifier) = authorize(&s.url, &browser, "teleservice", "openid email", "").await;
    let t = exchange_as(&s.url, "teleservice", &code_in(&r), &verifier).await;
    let (status, info) = userinfo(&s, t["access_token"].as_str().expect("at")).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["email"], "olivier.martin@example.org", "{info}");
    assert_eq!(info["email_verified"], true, "{info}");
}
