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
    // Made by another process: published within the key list's 10 s.
    clock.advance(time::Duration::seconds(11));
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
    let out = env.sesame(&["keys", "retire", "--", &old]).ok();
    assert!(
        out.contains(&format!("Clé {old} (RS256) retirée")) && out.contains("signe dès maintenant"),
        "{out}"
    );
    // Retired by another process: unpublished within the key list's 10 s.
    clock.advance(time::Duration::seconds(11));
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
    let next = tokens(&s).await;
    assert_eq!(kid_of(&next), kids[0], "the replacement signs");
    let (rp, _) = library_client(&s).await;
    let t: CoreIdToken = serde_json::from_value(next["id_token"].clone()).expect("id token");
    t.claims(&rp.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .expect("the new key's tokens verify");
    let again = env.sesame(&["keys", "retire", "--", &old]).fails_with(4);
    assert!(again.contains("aucune clé publiée"), "{again}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'signing_key_retired'")
            .await,
        1
    );
}

/// GET the JWKS with an `If-None-Match` header: (status, ETag,
/// Cache-Control, body).
async fn jwks_if_none_match(
    s: &crate::support::TestServer,
    tag: Option<&str>,
) -> (u16, String, String, String) {
    let mut req = s.client.get(format!("{}/oidc/jwks", s.url));
    if let Some(tag) = tag {
        req = req.header("If-None-Match", tag);
    }
    let r = req.send().await.expect("jwks");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (etag, cache) = (header("etag"), header("cache-control"));
    let status = r.status().as_u16();
    (status, etag, cache, r.text().await.expect("body"))
}

// Issue 21 §3: the JWKS is served from bytes built when the keys change,
// with an ETag (304 for a client that has them) and a max-age; a
// rotation and a key leaving change the tag.
#[tokio::test(flavor = "multi_thread")]
async fn the_jwks_has_an_etag_answers_304_and_changes_with_the_keys() {
    let (env, s, clock) = setup().await;
    let (status, etag, cache, body) = jwks_if_none_match(&s, None).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
        "{etag}"
    );
    assert_eq!(cache, "public, max-age=300");
    assert!(body.contains("\"keys\""), "{body}");
    // The same bytes and tag again.
    assert_eq!(
        jwks_if_none_match(&s, None).await,
        (200, etag.clone(), cache.clone(), body.clone())
    );
    // The client has them: 304, no body, the same headers.
    for tag in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
        "*".into(),
    ] {
        let (status, e, c, b) = jwks_if_none_match(&s, Some(&tag)).await;
        assert_eq!(
            (status, e.as_str(), c.as_str(), b.as_str()),
            (304, etag.as_str(), cache.as_str(), ""),
            "{tag}"
        );
    }
    let (status, _, _, other) = jwks_if_none_match(&s, Some("\"not-this-one\"")).await;
    assert_eq!((status, other.as_str()), (200, body.as_str()));

    // A rotation (another process): a new tag within 10 s, two keys.
    env.sesame(&["keys", "rotate"]).ok();
    clock.advance(time::Duration::seconds(11));
    let (status, rotated, _, two) = jwks_if_none_match(&s, Some(&etag)).await;
    assert_eq!(status, 200, "the old tag no longer matches");
    assert_ne!(rotated, etag);
    assert_eq!(jwks(&s).await.keys().len(), 2, "{two}");
    // The old key leaves two days later: the tag changes again.
    clock.advance(time::Duration::hours(49));
    let (status, last, _, one) = jwks_if_none_match(&s, Some(&rotated)).await;
    assert_eq!(status, 200);
    assert_ne!(last, rotated);
    assert_eq!(jwks(&s).await.keys().len(), 1, "{one}");
    assert_eq!(jwks_if_none_match(&s, Some(&last)).await.0, 304);
}
