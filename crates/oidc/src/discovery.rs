//! The discovery document (OpenID Connect Discovery 1.0 §3), built with
//! `openidconnect`'s provider metadata type from the issuer and the
//! signing algorithms.

use crate::jws::Alg;
use crate::scope;
use openidconnect::core::{
    CoreClaimName, CoreClientAuthMethod, CoreGrantType, CoreProviderMetadata, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthUrl, EmptyAdditionalProviderMetadata, IssuerUrl, JsonWebKeySetUrl, ResponseTypes, Scope,
    TokenUrl, UserInfoUrl,
};

/// The claims of an ID token (OIDC Core §2), before those of the scopes.
pub const ID_TOKEN_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "sid",
];

/// The issuer of a public URL: the URL without its trailing slash
/// (Discovery §3 compares issuers as strings).
pub fn issuer(public_url: &str) -> String {
    public_url.trim_end_matches('/').to_owned()
}

/// Why the document cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// An endpoint URL does not parse (the issuer is not a URL).
    #[error("discovery document: {0}")]
    Url(#[from] openidconnect::url::ParseError),
    /// The metadata does not serialise.
    #[error("discovery document: {0}")]
    Json(#[from] serde_json::Error),
}

/// Every claim Sésame may release: the ID token's, then the scopes', once.
pub fn claims_supported() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = ID_TOKEN_CLAIMS.to_vec();
    for c in scope::SCOPES.iter().flat_map(|s| scope::claims_of(s)) {
        if !out.contains(c) {
            out.push(c);
        }
    }
    out
}

/// The discovery document of `issuer`, whose ID tokens may be signed with
/// `algs`.
pub fn document(issuer: &str, algs: &[Alg]) -> Result<serde_json::Value, DiscoveryError> {
    let url = |path: &str| format!("{issuer}/{path}");
    let metadata = CoreProviderMetadata::new(
        IssuerUrl::new(issuer.to_owned())?,
        AuthUrl::new(url("oidc/authorize"))?,
        JsonWebKeySetUrl::new(url("oidc/jwks"))?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![
            CoreSubjectIdentifierType::Public,
            CoreSubjectIdentifierType::Pairwise,
        ],
        algs.iter().map(|a| a.jws()).collect(),
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(TokenUrl::new(url("oidc/token"))?))
    .set_userinfo_endpoint(Some(UserInfoUrl::new(url("oidc/userinfo"))?))
    .set_scopes_supported(Some(
        scope::SCOPES
            .iter()
            .map(|s| Scope::new((*s).to_owned()))
            .collect(),
    ))
    .set_response_modes_supported(Some(vec![
        CoreResponseMode::Query,
        CoreResponseMode::FormPost,
    ]))
    .set_grant_types_supported(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::RefreshToken,
    ]))
    .set_token_endpoint_auth_methods_supported(Some(vec![
        CoreClientAuthMethod::ClientSecretBasic,
        CoreClientAuthMethod::ClientSecretPost,
        CoreClientAuthMethod::None,
    ]))
    .set_claims_supported(Some(
        claims_supported()
            .into_iter()
            .map(|c| CoreClaimName::new(c.to_owned()))
            .collect(),
    ))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false));
    let mut doc = serde_json::to_value(&metadata)?;
    if let Some(o) = doc.as_object_mut() {
        // RFC 7636 §6.2 (registered in RFC 8414 §2).
        o.insert(
            "code_challenge_methods_supported".into(),
            serde_json::json!(["S256"]),
        );
        // RFC 9207 §3.
        o.insert(
            "authorization_response_iss_parameter_supported".into(),
            serde_json::json!(true),
        );
        // Back-Channel Logout 1.0 §2.1.
        o.insert(
            "backchannel_logout_supported".into(),
            serde_json::json!(true),
        );
        o.insert(
            "backchannel_logout_session_supported".into(),
            serde_json::json!(true),
        );
        // The `prompt` values of OIDC Core §3.1.2.1 (metadata of Initiating
        // User Registration via OpenID Connect 1.0 §4.1).
        o.insert(
            "prompt_values_supported".into(),
            serde_json::json!(["none", "login", "consent"]),
        );
        // The languages of the pages (sesame-web's `locales/`).
        o.insert(
            "ui_locales_supported".into(),
            serde_json::json!(["fr", "en"]),
        );
        // RP-Initiated Logout 1.0 §2.1, RFC 7009, RFC 7662 (RFC 8414 §2).
        for (name, path) in [
            ("end_session_endpoint", "oidc/logout"),
            ("revocation_endpoint", "oidc/revoke"),
            ("introspection_endpoint", "oidc/introspect"),
        ] {
            o.insert(name.into(), serde_json::json!(url(path)));
        }
        // RFC 7009 §2.1: a public client revokes its own tokens with its
        // `client_id` alone; RFC 7662 §2.1: introspection always needs a
        // client that authenticates.
        o.insert(
            "revocation_endpoint_auth_methods_supported".into(),
            serde_json::json!(["client_secret_basic", "client_secret_post", "none"]),
        );
        o.insert(
            "introspection_endpoint_auth_methods_supported".into(),
            serde_json::json!(["client_secret_basic", "client_secret_post"]),
        );
    }
    Ok(doc)
}

#[cfg(test)]
mod tests;
