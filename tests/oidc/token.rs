//! The token endpoint (RFC 6749 §3.2): codes bound to their client,
//! redirect URI, lifetime and PKCE challenge (RFC 7636 §4.6), a replayed
//! code (RFC 9700 §4.5), introspection (RFC 7662) and revocation
//! (RFC 7009).

use crate::support::fixtures::{CALLBACK, SECRET};
use crate::support::http::enc;
use crate::support::oidc::{
    TELESERVICE, authorize_code, authorize_raw, call, code_in, exchange, refresh, s256, setup,
    setup_with, token_request, tokens,
};
use crate::support::{CAMILLE, login_as};

// OIDC-05, -06: a code is bound to its client, redirect URI, lifetime
// and PKCE challenge; verifiers are checked for syntax; no downgrade.
#[tokio::test(flavor = "multi_thread")]
async fn codes_are_bound_and_pkce_is_strict() {
    let (_env, s, clock) = setup_with(
        &[
            ("autre", String::new()),
            ("sansrt", "refresh_tokens = false".into()),
        ],
        |_| {},
    )
    .await;
    let browser = login_as(&s, &CAMILLE).await;
    let good = "a-good-verifier-of-forty-three-characters-x";
    assert_eq!(good.len(), 43);
    let code_with = |client_id: &'static str, verifier: Option<String>| {
        let (s, b) = (&s, browser.clone());
        async move {
            let pkce = verifier
                .map(|v| format!("&code_challenge={}&code_challenge_method=S256", s256(&v)))
                .unwrap_or_default();
            let r = authorize_raw(
                s,
                &b,
                &format!(
                    "client_id={client_id}&redirect_uri={}&response_type=code&scope=openid&state=st{pkce}",
                    enc(CALLBACK)
                ),
            )
            .await;
            code_in(&r)
        }
    };
    let redeem = |client_id: &'static str,
                  code: String,
                  redirect: Option<&'static str>,
                  verifier: Option<String>| {
        let s = &s;
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code),
            ];
            if let Some(r) = redirect {
                form.push(("redirect_uri", r.to_owned()));
            }
            if let Some(v) = verifier {
                form.push(("code_verifier", v));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = token_request(s, client_id, &form).await;
            (status, body["error"].as_str().map(str::to_owned))
        }
    };
    let invalid_grant = (400, Some("invalid_grant".to_owned()));
    let g = || Some(good.to_owned());
    // Another client, another or no redirect URI.
    let c = code_with("teleservice", g()).await;
    assert_eq!(redeem("autre", c, Some(CALLBACK), g()).await, invalid_grant);
    let c = code_with("teleservice", g()).await;
    assert_eq!(
        redeem("teleservice", c, Some("https://app.exemple.fr/autre"), g()).await,
        invalid_grant
    );
    let c = code_with("teleservice", g()).await;
    assert_eq!(redeem("teleservice", c, None, g()).await, invalid_grant);
    // After 61 s.
    let c = code_with("teleservice", g()).await;
    clock.advance(time::Duration::seconds(61));
    assert_eq!(
        redeem("teleservice", c, Some(CALLBACK), g()).await,
        invalid_grant
    );
    let browser = login_as(&s, &CAMILLE).await;
    let _ = browser;
    // (c) challenge, no verifier; (d) wrong verifier; (e) downgrade.
    let c = code_with("teleservice", g()).await;
    assert_eq!(
        redeem("teleservice", c, Some(CALLBACK), None).await,
        invalid_grant
    );
    let c = code_with("teleservice", g()).await;
    assert_eq!(
        redeem(
            "teleservice",
            c,
            Some(CALLBACK),
            Some(good.replace('x', "y"))
        )
        .await,
        invalid_grant
    );
    let c = code_with("teleservice", None).await;
    assert_eq!(
        redeem("teleservice", c, Some(CALLBACK), g()).await,
        invalid_grant
    );
    // (f) 42 or 129 characters, or illegal ones, even when they match.
    for bad in [
        "x".repeat(42),
        "x".repeat(129),
        format!("{}!", "x".repeat(42)),
    ] {
        let c = code_with("teleservice", Some(bad.clone())).await;
        assert_eq!(
            redeem("teleservice", c, Some(CALLBACK), Some(bad.clone())).await,
            invalid_grant,
            "{bad}"
        );
    }
    // And the right one works (128 characters too).
    let long = "y".repeat(128);
    let c = code_with("teleservice", Some(long.clone())).await;
    assert_eq!(
        redeem("teleservice", c, Some(CALLBACK), Some(long)).await.0,
        200
    );
    // OIDC-07: a client without refresh tokens gets none, and may not
    // use the grant.
    let c = code_with("sansrt", g()).await;
    let (status, body) = token_request(
        &s,
        "sansrt",
        &[
            ("grant_type", "authorization_code"),
            ("code", &c),
            ("redirect_uri", CALLBACK),
            ("code_verifier", good),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.get("refresh_token").is_none(), "{body}");
    let (status, body) = token_request(
        &s,
        "sansrt",
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
}

// RFC 9700 §4.5: a code presented twice revokes the tokens it gave.
#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_code_revokes_what_it_issued() {
    let (_env, s, _clock) = setup().await;
    let (code, verifier, _) = authorize_code(&s).await;
    let (status, body) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    assert_eq!(status, 200);
    let at = body["access_token"].as_str().expect("at").to_owned();
    let me = ("teleservice", Some(SECRET));
    let active = |token: String| {
        let s = &s;
        async move {
            let (_, v) = call(s, "/oidc/introspect", me, &token).await;
            serde_json::from_str::<serde_json::Value>(&v).expect("JSON")["active"].clone()
        }
    };
    assert_eq!(active(at.clone()).await, true);
    let (status, _) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    assert_eq!(status, 400);
    assert_eq!(
        active(at).await,
        false,
        "the replay revoked the access token"
    );
    let (status, _) = refresh(&s, body["refresh_token"].as_str().expect("rt")).await;
    assert_eq!(status, 400, "and the refresh token");
}

// RFC 7009 and RFC 7662.
#[tokio::test(flavor = "multi_thread")]
async fn tokens_can_be_introspected_and_revoked_by_their_client_only() {
    let (_env, s, _clock) = setup().await;
    let t = tokens(&s).await;
    let (at, rt) = (
        t["access_token"].as_str().expect("at"),
        t["refresh_token"].as_str().expect("rt"),
    );
    let me = ("teleservice", Some(SECRET));
    let (status, body) = call(&s, "/oidc/introspect", me, at).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(v["active"], true);
    assert_eq!(v["client_id"], "teleservice");
    assert_eq!(v["scope"], "openid");
    let (status, _) = call(&s, "/oidc/introspect", ("teleservice", Some("wrong")), at).await;
    assert_eq!(status, 401);
    // RFC 7662 §2.1: a public client cannot authenticate, so it learns
    // nothing, not even whether the token is active.
    let (status, other) = call(&s, "/oidc/introspect", ("public", None), at).await;
    assert_eq!(status, 401, "{other}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&other).expect("JSON")["error"],
        "invalid_client",
        "another client learns nothing"
    );
    let (_, v) = call(&s, "/oidc/introspect", me, rt).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&v).expect("JSON")["token_type"],
        "refresh_token"
    );

    assert_eq!(call(&s, "/oidc/revoke", me, "unknown-token").await.0, 200);
    assert_eq!(call(&s, "/oidc/revoke", me, rt).await.0, 200);
    let (status, body) = refresh(&s, rt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (_, v) = call(&s, "/oidc/introspect", me, at).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&v).expect("JSON")["active"],
        false,
        "the family's access token too"
    );
}
