//! Signing keys rotated by `sesame keys rotate` (OIDC-09): published
//! first, signing a day later, old tokens verifying meanwhile.

use crate::support::oidc::{jwks, library_client, setup, tokens};
use openidconnect::JsonWebKey;
use openidconnect::Nonce;
use openidconnect::core::CoreIdToken;

// OIDC-09: after `sesame keys rotate`, the old key signs on for a day
// (the new one is published), then the new one signs and the old one
// stays published a day more, so tokens it signed still verify.
#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_key_signs_a_day_later_and_old_tokens_still_verify() {
    let (env, s, clock) = setup().await;
    let kid_of = |t: &serde_json::Value| {
        let jwt = t["id_token"].as_str().expect("id token");
        let h = jwt.split('.').next().expect("header");
        let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, h)
            .expect("b64");
        serde_json::from_slice::<serde_json::Value>(&raw).expect("JSON")["kid"]
            .as_str()
            .expect("kid")
            .to_owned()
    };
    let first = tokens(&s).await;
    let old = kid_of(&first);
    env.sesame(&["keys", "rotate"]).ok();
    assert_eq!(jwks(&s).await.keys().len(), 2, "published at once");
    assert_eq!(kid_of(&tokens(&s).await), old, "the old key still signs");
    clock.advance(time::Duration::hours(25));
    let second = tokens(&s).await;
    let new = kid_of(&second);
    assert_ne!(new, old, "the new key signs a day later");
    // The first token still verifies against the published keys.
    let (rp, _) = library_client(&s).await;
    let t: CoreIdToken = serde_json::from_value(first["id_token"].clone()).expect("id token");
    t.claims(&rp.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .expect("the old key is still published");
    clock.advance(time::Duration::hours(24));
    let set = jwks(&s).await;
    let kids: Vec<String> = set
        .keys()
        .iter()
        .filter_map(|k| k.key_id().map(|k| k.as_str().to_owned()))
        .collect();
    assert_eq!(
        kids,
        vec![new],
        "the old key is gone once its tokens have expired"
    );
}
