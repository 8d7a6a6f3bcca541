//! The token endpoint's answers themselves (RFC 6749 §5.1, §5.2): JSON
//! for every refusal, never cached, and a store that does not answer told
//! apart from a refused request (503 with `Retry-After`).

use crate::support::fixtures::{SECRET, register_oidc_clients};
use crate::support::oidc::{authorize_code, setup};
use crate::support::{TestEnv, TestServer, free_port};

/// Asserts RFC 6749 §5.1's headers on a token endpoint answer.
fn assert_not_cached(r: &reqwest::Response) {
    let h = r.headers();
    assert_eq!(
        h.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    assert_eq!(
        h.get("pragma").map(|v| v.as_bytes()),
        Some(&b"no-cache"[..])
    );
}

// RFC 6749 §3.2, §5.2: a missing or non-form body is `invalid_request`
// in JSON (it was 415 in text); §5.1: no answer is cached.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_non_form_body_is_invalid_request_in_json() {
    let (_env, s, _clock) = setup().await;
    let url = format!("{}/oidc/token", s.url);
    let c = TestServer::browser();
    let bodies = [
        c.post(&url).basic_auth("teleservice", Some(SECRET)),
        c.post(&url)
            .basic_auth("teleservice", Some(SECRET))
            .header("content-type", "application/json")
            .body(r#"{"grant_type":"authorization_code"}"#),
        c.post(&url)
            .basic_auth("teleservice", Some(SECRET))
            .body("grant_type=authorization_code"),
    ];
    for req in bodies {
        let r = req.send().await.expect("post");
        assert_eq!(r.status(), 400);
        assert_not_cached(&r);
        assert_eq!(r.headers()["content-type"], "application/json");
        let v: serde_json::Value = r.json().await.expect("JSON");
        assert_eq!(v["error"], "invalid_request", "{v}");
    }
    // A refusal and a success are not cached either.
    let r = c
        .post(&url)
        .basic_auth("teleservice", Some(SECRET))
        .form(&[("grant_type", "authorization_code"), ("code", "nope")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    assert_not_cached(&r);
    let (code, verifier, _) = authorize_code(&s).await;
    let r = c
        .post(&url)
        .basic_auth("teleservice", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", crate::support::fixtures::CALLBACK),
            ("code_verifier", verifier.secret()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    assert_not_cached(&r);
}

// The error policy (crates/web/src/error.rs): a store that does not
// answer is 503 with `Retry-After`, in the protocol's JSON
// (`server_error`), and the cause stays in the logs.
#[tokio::test(flavor = "multi_thread")]
async fn an_unavailable_store_is_503_server_error_with_retry_after() {
    let env = TestEnv::new();
    register_oidc_clients(&env, &[]).await;
    let port = free_port();
    let s = TestServer::spawn(&env, |c| {
        c.redis.url = format!("redis://127.0.0.1:{port}/");
        c.redis.timeout_ms = 300;
    })
    .await;
    let r = TestServer::browser()
        .post(format!("{}/oidc/token", s.url))
        .basic_auth("teleservice", Some(SECRET))
        .form(&[("grant_type", "authorization_code"), ("code", "c")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    assert_not_cached(&r);
    let v: serde_json::Value = r.json().await.expect("JSON");
    assert_eq!(v["error"], "server_error", "{v}");
    assert!(!v.to_string().contains("127.0.0.1"), "{v}");
}

// RFC 7235 §2.1: the authorization scheme is case-insensitive. A client
// that writes `basic` at the token endpoint and `bearer` at userinfo is
// served like one that writes `Basic` and `Bearer`; a wrong scheme is not.
#[tokio::test(flavor = "multi_thread")]
async fn authorization_schemes_are_case_insensitive() {
    use base64::Engine;
    let (_env, s, _clock) = setup().await;
    let c = TestServer::browser();
    let (code, verifier, _) = authorize_code(&s).await;
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("teleservice:{SECRET}"));
    let r = c
        .post(format!("{}/oidc/token", s.url))
        .header("authorization", format!("basic {credentials}"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", crate::support::fixtures::CALLBACK),
            ("code_verifier", verifier.secret()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200, "lower-case `basic`");
    let v: serde_json::Value = r.json().await.expect("JSON");
    let access = v["access_token"].as_str().expect("access token").to_owned();
    for (scheme, status) in [
        ("bearer", 200),
        ("BEARER", 200),
        ("Bearer", 200),
        ("Token", 401),
    ] {
        let r = c
            .get(format!("{}/oidc/userinfo", s.url))
            .header("authorization", format!("{scheme} {access}"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), status, "{scheme}");
    }
}
