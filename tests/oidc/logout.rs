//! The end of a session: RP-initiated logout (OpenID Connect RP-Initiated
//! Logout 1.0), back-channel logout (Back-Channel Logout 1.0) and a
//! password change, each revoking the tokens of the session.

use crate::support::http::{enc, receiver};
use crate::support::oidc::{
    TELESERVICE, authorize, authorize_code, code_in, exchange, exchange_as, jwks, payload, refresh,
    setup, setup_with, tokens, userinfo,
};
use crate::support::personas::change_password;
use crate::support::{CAMILLE, login_as};
use openidconnect::JsonWebKey;

// RP-initiated logout: only with a valid id_token_hint and a registered
// post_logout_redirect_uri does the browser go back to the client.
#[tokio::test(flavor = "multi_thread")]
async fn rp_initiated_logout_needs_a_valid_hint_and_a_registered_page() {
    let (_env, s, _clock) = setup().await;
    let (code, verifier, browser) = authorize_code(&s).await;
    let (_, body) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    let hint = body["id_token"].as_str().expect("id token").to_owned();
    let logout = |hint: String, target: &str| {
        let url = format!(
            "{}/oidc/logout?id_token_hint={}&post_logout_redirect_uri={}&state=bye",
            s.url,
            enc(&hint),
            enc(target)
        );
        let b = browser.clone();
        async move { b.get(url).send().await.expect("logout") }
    };
    let account_status = || {
        let url = format!("{}/compte", s.url);
        let b = browser.clone();
        async move { b.get(url).send().await.expect("get").status().as_u16() }
    };
    // An unregistered page, or a forged hint: a confirmation page, no redirect.
    let r = logout(hint.clone(), "https://evil.fr/").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.expect("body").contains("Se déconnecter"));
    let mut parts: Vec<&str> = hint.split('.').collect();
    let forged_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        br#"{"iss":"http://localhost","aud":"teleservice","sub":"x"}"#,
    );
    parts[1] = &forged_payload;
    let r = logout(parts.join("."), "https://app.exemple.fr/au-revoir").await;
    assert!(
        r.headers().get("location").is_none(),
        "a forged hint earns no redirect"
    );
    assert_eq!(account_status().await, 200, "still logged in");
    // The real thing.
    let r = logout(hint, "https://app.exemple.fr/au-revoir").await;
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        "https://app.exemple.fr/au-revoir?state=bye"
    );
    assert_eq!(account_status().await, 303, "the SSO session is over");
}

// Back-channel logout 1.0, and one SSO session for both protocols: a
// CAS logout sends the OpenID Connect client a signed logout token
// with the ID token's sid, and revokes the tokens of that session.
#[tokio::test(flavor = "multi_thread")]
async fn logging_out_sends_a_logout_token_and_revokes_the_session_tokens() {
    let (port, got) = receiver(false).await;
    let (_env, s, _clock) = setup_with(
        &[(
            "bcl",
            format!("backchannel_logout_uri = \"http://127.0.0.1:{port}/bcl\""),
        )],
        |_| {},
    )
    .await;
    let browser = login_as(&s, &CAMILLE).await;
    let (r, verifier) = authorize(&s.url, &browser, "bcl", "openid", "").await;
    let t = exchange_as(&s.url, "bcl", &code_in(&r), &verifier).await;
    let id = payload(t["id_token"].as_str().expect("id token"));
    let sid = id["sid"].as_str().expect("sid claim").to_owned();
    let at = t["access_token"].as_str().expect("at").to_owned();
    assert_eq!(userinfo(&s, &at).await.0, 200);
    // Another login's tokens are not touched.
    let other = login_as(&s, &CAMILLE).await;
    let (r, verifier) = authorize(&s.url, &other, "bcl", "openid", "").await;
    let other_tokens = exchange_as(&s.url, "bcl", &code_in(&r), &verifier).await;

    let r = browser
        .get(format!("{}/cas/logout", s.url))
        .send()
        .await
        .expect("logout");
    assert!(r.status().is_success() || r.status().is_redirection());
    // Revoked at once, before the logout token is even sent.
    assert_eq!(userinfo(&s, &at).await.0, 401, "the access token");
    let (status, body) = refresh(&s, t["refresh_token"].as_str().expect("rt")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let other_at = other_tokens["access_token"].as_str().expect("at");
    assert_eq!(
        userinfo(&s, other_at).await.0,
        200,
        "other sessions live on"
    );

    let mut body = String::new();
    for _ in 0..100 {
        if let Some(b) = got.lock().expect("lock").first() {
            body = b.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no logout token POSTed: {body:?}"));
    // Verified with the JWKS through the library's key type.
    let parts: Vec<&str> = token.split('.').collect();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[0])
            .expect("b64"),
    )
    .expect("header");
    assert_eq!(header["typ"], "logout+jwt");
    assert_eq!(header["alg"], "RS256");
    let set = jwks(&s).await;
    let key = set
        .keys()
        .iter()
        .find(|k| k.key_id().map(|k| k.as_str()) == header["kid"].as_str())
        .expect("kid published");
    let sig = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[2])
        .expect("b64");
    key.verify_signature(
        &openidconnect::core::CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &sig,
    )
    .expect("the logout token's signature verifies");
    let claims = payload(&token);
    assert_eq!(claims["iss"], "http://localhost");
    assert_eq!(claims["aud"], "bcl");
    assert_eq!(claims["sid"], sid.as_str());
    assert_eq!(claims["sub"], id["sub"]);
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none(), "a logout token has no nonce");
    assert_eq!(got.lock().expect("lock").len(), 1, "one token per client");
}

// OIDC-12: a password change ends every session and the refresh tokens
// they gave.
#[tokio::test(flavor = "multi_thread")]
async fn a_password_change_revokes_refresh_tokens() {
    let (_env, s, _clock) = setup().await;
    let (code, verifier, browser) = authorize_code(&s).await;
    let (_, t) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    let (status, _) = refresh(&s, t["refresh_token"].as_str().expect("rt")).await;
    assert_eq!(status, 200, "refresh works before");
    let t = tokens(&s).await;
    change_password(&s, &browser).await;
    let (status, body) = refresh(&s, t["refresh_token"].as_str().expect("rt")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        userinfo(&s, t["access_token"].as_str().expect("at"))
            .await
            .0,
        401
    );
}

// OIDC `sid` per client (issue 15, item 9): two clients of one browser
// session get different `sid` values, so that clients with pairwise
// subjects cannot join their users by `sid`; each client's logout token
// carries the `sid` its own ID token had, and each client's hint ends the
// browser's session.
#[tokio::test(flavor = "multi_thread")]
async fn each_client_gets_its_own_sid_and_its_own_logout_token() {
    let (port_a, got_a) = receiver(false).await;
    let (port_b, got_b) = receiver(false).await;
    let pairwise = "subject_type = \"pairwise\"";
    let (_env, s, _clock) = setup_with(
        &[
            (
                "bcla",
                format!("backchannel_logout_uri = \"http://127.0.0.1:{port_a}/bcl\"\n{pairwise}"),
            ),
            (
                "bclb",
                format!("backchannel_logout_uri = \"http://127.0.0.1:{port_b}/bcl\"\n{pairwise}"),
            ),
        ],
        |_| {},
    )
    .await;
    let browser = login_as(&s, &CAMILLE).await;
    let mut sids = Vec::new();
    for client in ["bcla", "bclb"] {
        let (r, verifier) = authorize(&s.url, &browser, client, "openid", "").await;
        let t = exchange_as(&s.url, client, &code_in(&r), &verifier).await;
        let id = payload(t["id_token"].as_str().expect("id token"));
        sids.push(id["sid"].as_str().expect("sid claim").to_owned());
        // A second code in the same session: the same sid for that client.
        let (r, verifier) = authorize(&s.url, &browser, client, "openid", "").await;
        let again = exchange_as(&s.url, client, &code_in(&r), &verifier).await;
        let again = payload(again["id_token"].as_str().expect("id token"));
        assert_eq!(again["sid"], sids.last().expect("sid").as_str());
    }
    assert_ne!(sids[0], sids[1], "one sid per client");
    assert!(sids.iter().all(|s| s.len() >= 32), "{sids:?}");

    let r = browser
        .get(format!("{}/cas/logout", s.url))
        .send()
        .await
        .expect("logout");
    assert!(r.status().is_success() || r.status().is_redirection());
    for (got, client, sid) in [(&got_a, "bcla", &sids[0]), (&got_b, "bclb", &sids[1])] {
        let mut body = String::new();
        for _ in 0..100 {
            if let Some(b) = got.lock().expect("lock").first() {
                body = b.clone();
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let token = url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "logout_token")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no logout token POSTed to {client}: {body:?}"));
        let claims = payload(&token);
        assert_eq!(claims["aud"], client);
        assert_eq!(claims["sid"], sid.as_str(), "{client}'s own sid");
    }
}

// The browser's session is recognised through either client's `sid`: a
// hint of the second client ends it and goes back to that client.
#[tokio::test(flavor = "multi_thread")]
async fn a_hint_with_the_clients_own_sid_ends_the_session() {
    let after = "https://app.exemple.fr/au-revoir";
    let (_env, s, _clock) = setup_with(
        &[(
            "other",
            format!("post_logout_redirect_uris = [\"{after}\"]"),
        )],
        |_| {},
    )
    .await;
    let browser = login_as(&s, &CAMILLE).await;
    let (r, verifier) = authorize(&s.url, &browser, "other", "openid", "").await;
    let t = exchange_as(&s.url, "other", &code_in(&r), &verifier).await;
    let hint = t["id_token"].as_str().expect("id token").to_owned();
    let r = browser
        .get(format!(
            "{}/oidc/logout?id_token_hint={}&post_logout_redirect_uri={}",
            s.url,
            enc(&hint),
            enc(after)
        ))
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 302, "the client's own sid names this session");
    assert_eq!(r.headers()["location"], after);
    let r = browser
        .get(format!("{}/compte", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303, "the SSO session is over");
}
