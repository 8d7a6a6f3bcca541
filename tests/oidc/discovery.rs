//! Discovery (OIDC Discovery 1.0 §4) and the JWKS (RFC 7517) read by the
//! `openidconnect` crate's own types (a relying-party library the project
//! did not write); signing keys encrypted at rest, kept across restarts
//! and rotated by `sesame keys rotate`.

use crate::support::fixtures::now_clock;
use crate::support::oidc::jwks;
use crate::support::{TestEnv, TestServer};
use openidconnect::core::{CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{JsonWebKey, JsonWebKeyId};

fn kids(set: &CoreJsonWebKeySet) -> Vec<String> {
    set.keys()
        .iter()
        .filter_map(|k| k.key_id().map(|id: &JsonWebKeyId| id.as_str().to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_and_jwks_are_read_by_an_openid_connect_library() {
    let env = TestEnv::new();
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    let r = s.get("/.well-known/openid-configuration").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body = r.text().await.expect("body");
    let meta: CoreProviderMetadata =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("metadata ({e}): {body}"));
    assert_eq!(meta.issuer().as_str(), "http://localhost");
    assert_eq!(meta.jwks_uri().as_str(), "http://localhost/oidc/jwks");
    assert_eq!(
        meta.authorization_endpoint().as_str(),
        "http://localhost/oidc/authorize"
    );
    let raw: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        raw["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        raw["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(raw["request_parameter_supported"], false);

    let set = jwks(&s).await;
    assert_eq!(set.keys().len(), 1);
    let key = &set.keys()[0];
    assert_eq!(serde_json::to_value(key).expect("jwk")["alg"], "RS256");
    assert_eq!(serde_json::to_value(key).expect("jwk")["kty"], "RSA");
    let kid = kids(&set)[0].clone();

    // Encrypted at rest: no PKCS#8 in the clear.
    let stored = env.rows("SELECT private_key FROM signing_keys").await;
    let private = stored[0][0].clone().unwrap_or_default();
    assert!(
        !private.starts_with("MII") && !private.contains("PRIVATE KEY"),
        "{private}"
    );
    // Kept across restarts.
    drop(s);
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    assert_eq!(kids(&jwks(&s).await), vec![kid.clone()]);

    // Rotation: the new key is published at once, the old one still signs.
    let out = env.sesame(&["keys", "rotate"]).ok();
    assert!(
        out.contains("Nouvelle clé") && out.contains("2 clé(s)."),
        "{out}"
    );
    let listed: Vec<&str> = out.lines().filter(|l| l.starts_with(&kid)).collect();
    assert!(
        listed[0].ends_with("oui\toui"),
        "the first key is published and still signs: {out}"
    );
    // Published on this node within the key list's 10 s (the JWKS is
    // served from memory).
    clock.advance(time::Duration::seconds(11));
    let after = kids(&jwks(&s).await);
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.contains(&kid));
}
