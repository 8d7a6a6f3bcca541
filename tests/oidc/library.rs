//! The code flow as the `openidconnect` crate's relying party completes
//! it (OIDC Core §3.1, RFC 7636, RFC 9207), with userinfo (OIDC Core §5.3)
//! and refresh rotation (RFC 9700 §4.14.2); and ES256 and EdDSA ID tokens
//! the library verifies.

use crate::support::http::{q, query_of};
use crate::support::oidc::{
    TELESERVICE, authorize, code_in, exchange, exchange_as, jwks, library_client,
    library_client_as, local, payload, refresh, setup, setup_with,
};
use crate::support::{CAMILLE, TestServer, login_as};
use openidconnect::core::{CoreAuthenticationFlow, CoreIdToken};
use openidconnect::{AccessToken, AccessTokenHash, CsrfToken, Nonce, PkceCodeChallenge, Scope};

// OIDC code flow with PKCE and nonce, verified by the openidconnect
// crate's relying-party side; then the RFC 9700 negative cases.
#[tokio::test(flavor = "multi_thread")]
async fn a_relying_party_library_completes_the_code_flow() {
    let (_env, s, _clock) = setup().await;
    let (rp, meta) = library_client(&s).await;
    let browser = login_as(&s, &CAMILLE).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let r = browser
        .get(format!("{}{}", s.url, local(&auth_url)))
        .send()
        .await
        .expect("authorize");
    assert_eq!(r.status(), 302);
    let back = query_of(r.headers()["location"].to_str().expect("ascii"));
    assert_eq!(q(&back, "state"), Some(state.secret().as_str()));
    assert_eq!(q(&back, "iss"), Some(meta.issuer().as_str()), "RFC 9207");
    let code = q(&back, "code").expect("code").to_owned();

    let (status, body) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    assert_eq!(status, 200, "{body}");
    let id_token: CoreIdToken = serde_json::from_value(body["id_token"].clone()).expect("id token");
    let claims = id_token
        .claims(&rp.id_token_verifier(), &nonce)
        .expect("signature, iss, aud, exp and nonce verify");
    let access = AccessToken::new(
        body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
    );
    let expected = AccessTokenHash::from_token(
        &access,
        id_token.signing_alg().expect("alg"),
        id_token.signing_key(&rp.id_token_verifier()).expect("key"),
    )
    .expect("hash");
    assert_eq!(claims.access_token_hash(), Some(&expected), "at_hash");
    assert!(claims.auth_time().is_some());
    let sub = claims.subject().as_str().to_owned();
    assert!(!sub.contains("camille"), "the subject is opaque");

    let info: serde_json::Value = serde_json::from_str(
        &TestServer::browser()
            .get(format!("{}/oidc/userinfo", s.url))
            .bearer_auth(access.secret())
            .send()
            .await
            .expect("userinfo")
            .text()
            .await
            .expect("body"),
    )
    .expect("JSON");
    assert_eq!(info["sub"], sub.as_str());
    assert_eq!(info["given_name"], "Camille");
    assert_eq!(info["email"], "camille@example.org");
    let r = TestServer::browser()
        .get(format!("{}/oidc/userinfo", s.url))
        .bearer_auth("nope")
        .send()
        .await
        .expect("userinfo");
    assert_eq!(r.status(), 401);

    let rt1 = body["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();

    // Refresh: rotation, then reuse of the spent token revokes the family.
    let (status, r2) = refresh(&s, &rt1).await;
    assert_eq!(status, 200, "{r2}");
    let rt2 = r2["refresh_token"].as_str().expect("rotated").to_owned();
    assert_ne!(rt1, rt2);
    let id2: CoreIdToken = serde_json::from_value(r2["id_token"].clone()).expect("id token");
    let c2 = id2
        .claims(&rp.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .expect("the refreshed ID token verifies");
    assert_eq!(c2.subject().as_str(), sub);
    let at2 = r2["access_token"].as_str().expect("access").to_owned();
    let userinfo_status = |token: String| {
        let url = format!("{}/oidc/userinfo", s.url);
        async move {
            TestServer::browser()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("userinfo")
                .status()
                .as_u16()
        }
    };
    assert_eq!(userinfo_status(at2.clone()).await, 200);
    let (status, reuse) = refresh(&s, &rt1).await;
    assert_eq!(
        (status, reuse["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, after) = refresh(&s, &rt2).await;
    assert_eq!(
        (status, after["error"].as_str()),
        (400, Some("invalid_grant")),
        "the family is revoked"
    );
    assert_eq!(userinfo_status(at2).await, 401, "and its access tokens");

    // The code is single use; presenting it again revokes what it issued.
    let (status, again) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

// Issue 6 §1: ES256 and EdDSA as options, verified by the library.
#[tokio::test(flavor = "multi_thread")]
async fn es256_and_eddsa_id_tokens_verify_with_the_library() {
    let (_env, s, _clock) = setup_with(
        &[
            ("es", "id_token_signed_response_alg = \"ES256\"".into()),
            ("ed", "id_token_signed_response_alg = \"EdDSA\"".into()),
        ],
        |c| c.oidc.signing_algorithms = sesame_service::oidc::keys::Alg::ALL.to_vec(),
    )
    .await;
    let meta: serde_json::Value = serde_json::from_str(
        &s.get("/.well-known/openid-configuration")
            .await
            .text()
            .await
            .expect("body"),
    )
    .expect("JSON");
    assert_eq!(
        meta["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256", "EdDSA"])
    );
    let set = jwks(&s).await;
    assert_eq!(set.keys().len(), 3);
    let browser = login_as(&s, &CAMILLE).await;
    for (id, alg) in [
        (
            "es",
            openidconnect::core::CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        ),
        ("ed", openidconnect::core::CoreJwsSigningAlgorithm::EdDsa),
    ] {
        let (r, verifier) = authorize(&s.url, &browser, id, "openid", "&nonce=n-0S6").await;
        let t = exchange_as(&s.url, id, &code_in(&r), &verifier).await;
        let (rp, _) = library_client_as(&s, id).await;
        let token: CoreIdToken = serde_json::from_value(t["id_token"].clone()).expect("id token");
        assert_eq!(token.signing_alg().expect("alg"), &alg);
        let verifier = rp.id_token_verifier().set_allowed_algs(vec![alg.clone()]);
        let claims = token
            .claims(&verifier, &Nonce::new("n-0S6".into()))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(claims.audiences()[0].as_str(), id);
        // A tampered payload does not verify.
        let mut parts: Vec<String> = t["id_token"]
            .as_str()
            .expect("jwt")
            .split('.')
            .map(str::to_owned)
            .collect();
        let mut p = payload(t["id_token"].as_str().expect("jwt"));
        p["sub"] = "quelqu-un-d-autre".into();
        parts[1] = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            p.to_string(),
        );
        let forged: CoreIdToken =
            serde_json::from_value(serde_json::json!(parts.join("."))).expect("parse");
        assert!(
            forged
                .claims(&verifier, &Nonce::new("n-0S6".into()))
                .is_err()
        );
    }
}
