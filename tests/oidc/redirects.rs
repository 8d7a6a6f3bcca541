//! Redirect URIs and error responses of the authorization endpoint
//! (RFC 6749 §3.1.2 and §4.1.2.1, RFC 9207, RFC 9700 §4.1): only the
//! registered URI, errors carrying `state` and `iss`.

use crate::support::fixtures::CALLBACK;
use crate::support::http::{enc, q, query_of};
use crate::support::oidc::{authorize_raw, setup, token_request, userinfo};
use crate::support::{CAMILLE, PASSWORD, TestServer, login_as};
use openidconnect::PkceCodeChallenge;

// OIDC-02: only the byte-exact registered URI; anything else is an
// error page, never a redirect.
#[tokio::test(flavor = "multi_thread")]
async fn redirect_uri_lookalikes_get_a_page_never_a_redirect() {
    let (_env, s, _clock) = setup().await;
    let browser = login_as(&s, &CAMILLE).await;
    for uri in [
        "https://APP.exemple.fr/callback",
        "https://app.exemple.fr/Callback",
        "https://app.exemple.fr/callback/",
        "https://app.exemple.fr/x/../callback",
        "https://app.exemple.fr/%2E%2E/callback",
        "https://app.exemple.fr/callback%252F",
        "https://app.exemple.fr/callback?x=1",
        "https://app.exemple.fr/callback#fragment",
        "file:///etc/passwd",
        "https://app.exemple.fr@evil.fr/callback",
        "https://evil.fr@app.exemple.fr/callback",
        "https://app.exemple.fr:8443/callback",
        "http://app.exemple.fr/callback",
        "http://127.0.0.1:9999/callback",
    ] {
        let r = authorize_raw(
            &s,
            &browser,
            &format!(
                "client_id=teleservice&response_type=code&scope=openid&state=st&redirect_uri={}",
                enc(uri)
            ),
        )
        .await;
        assert_eq!(r.status(), 400, "{uri}");
        assert!(r.headers().get("location").is_none(), "{uri}");
    }
    // Missing: no default even with one registered URI.
    let r = authorize_raw(
        &s,
        &browser,
        "client_id=teleservice&response_type=code&scope=openid",
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
}

// OIDC-03, -07, -10, -13: errors go to the registered URI with state
// and iss; state is echoed byte for byte; only the code flow and the
// two grants exist; bearer tokens only in the header.
#[tokio::test(flavor = "multi_thread")]
async fn errors_carry_state_and_iss_and_state_is_echoed_exactly() {
    let (_env, s, _clock) = setup().await;
    let browser = login_as(&s, &CAMILLE).await;
    let state = "a&b=c%d+e é€ 💡 /?#";
    let base = format!(
        "client_id=teleservice&redirect_uri={}&state={}",
        enc(CALLBACK),
        enc(state)
    );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let r = authorize_raw(
        &s,
        &browser,
        &format!(
            "{base}&response_type=code&scope=openid&code_challenge={}&code_challenge_method=S256",
            challenge.as_str()
        ),
    )
    .await;
    let back = query_of(r.headers()["location"].to_str().expect("ascii"));
    assert_eq!(q(&back, "state"), Some(state), "byte-exact");
    let code = q(&back, "code").expect("code").to_owned();
    for (extra, error) in [
        ("&response_type=code&scope=openid%20admin", "invalid_scope"),
        ("&response_type=code&scope=profile", "invalid_scope"),
        (
            "&response_type=token&scope=openid",
            "unsupported_response_type",
        ),
        (
            "&response_type=id_token%20token&scope=openid",
            "unsupported_response_type",
        ),
        (
            "&response_type=code%20token&scope=openid",
            "unsupported_response_type",
        ),
        (
            "&response_type=code&scope=openid&request_uri=https%3A%2F%2Fx",
            "request_uri_not_supported",
        ),
    ] {
        let r = authorize_raw(&s, &browser, &format!("{base}{extra}")).await;
        assert_eq!(r.status(), 302, "{extra}");
        let loc = r.headers()["location"].to_str().expect("ascii").to_owned();
        assert!(loc.starts_with(CALLBACK), "{loc}");
        let back = query_of(&loc);
        assert_eq!(q(&back, "error"), Some(error), "{extra}");
        assert_eq!(q(&back, "state"), Some(state), "{extra}");
        assert_eq!(q(&back, "iss"), Some("http://localhost"), "{extra}");
    }
    // Unknown parameters are ignored.
    let r = authorize_raw(
        &s,
        &browser,
        &format!(
            "{base}&response_type=code&scope=openid&code_challenge={}&code_challenge_method=S256&foo=bar",
            challenge.as_str()
        ),
    )
    .await;
    assert!(
        q(
            &query_of(r.headers()["location"].to_str().expect("ascii")),
            "code"
        )
        .is_some()
    );

    let (status, body) = token_request(
        &s,
        "teleservice",
        &[
            ("grant_type", "password"),
            ("username", "camille.martin"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, body) = token_request(
        &s,
        "teleservice",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier.secret()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().expect("at");
    let r = TestServer::browser()
        .get(format!("{}/oidc/userinfo?access_token={at}", s.url))
        .send()
        .await
        .expect("userinfo");
    assert_eq!(r.status(), 401, "no token in the query string");
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .expect("ascii")
            .contains("invalid_token")
    );
    assert_eq!(userinfo(&s, at).await.0, 200);
}
