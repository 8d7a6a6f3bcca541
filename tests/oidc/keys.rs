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

/// The `kid` of a token response's ID token.
fn kid_of(t: &serde_json::Value) -> String {
    let jwt = t["id_token"].as_str().expect("id token");
    let h = jwt.split('.').next().expect("header");
    let raw =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, h).expect("b64");
    serde_json::from_slice::<serde_json::Value>(&raw).expect("JSON")["kid"]
        .as_str()
        .expect("kid")
        .to_owned()
}

// Issue 18 §4: `sesame keys retire KID` removes a compromised key at once:
// unpublished (what it signed stops verifying), no longer signing (a new
// key signs at once, on every node within the key list's 10 s).
#[tokio::test(flavor = "multi_thread")]
async fn a_retired_key_is_gone_at_once_and_a_new_one_signs() {
    let (env, s, clock) = setup().await;
    let first = tokens(&s).await;
    let old = kid_of(&first);
    let out = env.sesame(&["keys", "retire", &old]).ok();
    assert!(
        out.contains(&format!("Clé {old} (RS256) retirée")) && out.contains("signe dès maintenant"),
        "{out}"
    );
    let kids: Vec<String> = jwks(&s)
        .await
        .keys()
        .iter()
        .filter_map(|k| k.key_id().map(|k| k.as_str().to_owned()))
        .collect();
    assert!(!kids.contains(&old), "unpublished at once: {kids:?}");
    assert_eq!(kids.len(), 1, "its replacement is published: {kids:?}");
    let (rp, _) = library_client(&s).await;
    let t: CoreIdToken = serde_json::from_value(first["id_token"].clone()).expect("id token");
    assert!(
        t.claims(&rp.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
            .is_err(),
        "what the retired key signed no longer verifies"
    );
    clock.advance(time::Duration::seconds(11));
    let next = tokens(&s).await;
    assert_eq!(kid_of(&next), kids[0], "the replacement signs");
    let (rp, _) = library_client(&s).await;
    let t: CoreIdToken = serde_json::from_value(next["id_token"].clone()).expect("id token");
    t.claims(&rp.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .expect("the new key's tokens verify");
    let again = env.sesame(&["keys", "retire", &old]).fails_with(4);
    assert!(again.contains("aucune clé publiée"), "{again}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'signing_key_retired'")
            .await,
        1
    );
}
