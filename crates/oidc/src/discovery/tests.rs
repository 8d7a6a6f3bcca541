//! The discovery document (OpenID Connect Discovery 1.0 §3): one row per
//! field a relying party reads.

use super::{claims_supported, document, issuer};
use crate::jws::Alg;
use serde_json::{Value, json};

const ISS: &str = "https://sesame.example/sub";

fn doc(algs: &[Alg]) -> Value {
    document(ISS, algs).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn fields() {
    let d = doc(&[Alg::Rs256]);
    let table: &[(&str, Value)] = &[
        ("/issuer", json!(ISS)),
        (
            "/authorization_endpoint",
            json!(format!("{ISS}/oidc/authorize")),
        ),
        ("/token_endpoint", json!(format!("{ISS}/oidc/token"))),
        ("/userinfo_endpoint", json!(format!("{ISS}/oidc/userinfo"))),
        ("/jwks_uri", json!(format!("{ISS}/oidc/jwks"))),
        ("/end_session_endpoint", json!(format!("{ISS}/oidc/logout"))),
        ("/revocation_endpoint", json!(format!("{ISS}/oidc/revoke"))),
        (
            "/introspection_endpoint",
            json!(format!("{ISS}/oidc/introspect")),
        ),
        ("/response_types_supported", json!(["code"])),
        ("/response_modes_supported", json!(["query", "form_post"])),
        ("/subject_types_supported", json!(["public", "pairwise"])),
        ("/id_token_signing_alg_values_supported", json!(["RS256"])),
        (
            "/grant_types_supported",
            json!(["authorization_code", "refresh_token"]),
        ),
        (
            "/token_endpoint_auth_methods_supported",
            json!(["client_secret_basic", "client_secret_post", "none"]),
        ),
        (
            "/revocation_endpoint_auth_methods_supported",
            json!(["client_secret_basic", "client_secret_post", "none"]),
        ),
        (
            "/introspection_endpoint_auth_methods_supported",
            json!(["client_secret_basic", "client_secret_post"]),
        ),
        (
            "/scopes_supported",
            json!(["openid", "profile", "email", "sesame", "sesame.children"]),
        ),
        ("/code_challenge_methods_supported", json!(["S256"])),
        (
            "/authorization_response_iss_parameter_supported",
            json!(true),
        ),
        ("/backchannel_logout_supported", json!(true)),
        ("/backchannel_logout_session_supported", json!(true)),
        (
            "/prompt_values_supported",
            json!(["none", "login", "consent"]),
        ),
        ("/ui_locales_supported", json!(["fr", "en"])),
        ("/request_parameter_supported", json!(false)),
        ("/request_uri_parameter_supported", json!(false)),
        (
            "/claims_supported",
            json!([
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "sid",
                "given_name",
                "family_name",
                "preferred_username",
                "email",
                "email_verified",
                "sesame_profile",
                "sesame_uai",
                "sesame_classes",
                "sesame_children"
            ]),
        ),
    ];
    for (pointer, expected) in table {
        assert_eq!(d.pointer(pointer), Some(expected), "{pointer}");
    }
    let fields = d.as_object().map(|o| o.len()).unwrap_or_default();
    assert_eq!(fields, table.len(), "no field beyond the table: {d}");
}

#[test]
fn signing_algorithms_follow_the_configuration() {
    let table: &[(&[Alg], Value)] = &[
        (&[Alg::Rs256], json!(["RS256"])),
        (&[Alg::Rs256, Alg::Es256], json!(["RS256", "ES256"])),
        (
            &[Alg::Rs256, Alg::Es256, Alg::EdDsa],
            json!(["RS256", "ES256", "EdDSA"]),
        ),
        (&[Alg::EdDsa, Alg::Rs256], json!(["EdDSA", "RS256"])),
    ];
    for (algs, expected) in table {
        assert_eq!(
            doc(algs).pointer("/id_token_signing_alg_values_supported"),
            Some(expected),
            "{algs:?}"
        );
    }
}

#[test]
fn issuer_of_a_public_url() {
    let table = [
        ("https://sesame.example/", "https://sesame.example"),
        ("https://sesame.example", "https://sesame.example"),
        ("https://sesame.example/sub/", "https://sesame.example/sub"),
        ("https://sesame.example//", "https://sesame.example"),
    ];
    for (url, expected) in table {
        assert_eq!(issuer(url), expected, "{url}");
    }
}

#[test]
fn a_bad_issuer_is_an_error() {
    assert!(document("not a url", &[Alg::Rs256]).is_err());
}

#[test]
fn every_claim_once() {
    let c = claims_supported();
    let mut sorted = c.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), c.len());
}
