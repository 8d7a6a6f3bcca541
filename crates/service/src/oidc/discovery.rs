//! The discovery document (`/.well-known/openid-configuration`), built
//! with `openidconnect`'s provider metadata type.

use crate::app::App;
use openidconnect::core::{
    CoreClaimName, CoreClientAuthMethod, CoreGrantType, CoreProviderMetadata, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthUrl, EmptyAdditionalProviderMetadata, IssuerUrl, JsonWebKeySetUrl, ResponseTypes, Scope,
    TokenUrl, UserInfoUrl,
};

/// The issuer: the public URL without its trailing slash.
pub fn issuer(app: &App) -> String {
    app.config
        .server
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// The scopes Sésame knows.
pub const SCOPES: &[&str] = crate::config::OIDC_SCOPES;

/// The discovery document, JSON.
pub fn document(app: &App) -> Result<serde_json::Value, String> {
    let iss = issuer(app);
    let url = |path: &str| format!("{iss}/{path}");
    let metadata = CoreProviderMetadata::new(
        IssuerUrl::new(iss.clone()).map_err(|e| e.to_string())?,
        AuthUrl::new(url("oidc/authorize")).map_err(|e| e.to_string())?,
        JsonWebKeySetUrl::new(url("oidc/jwks")).map_err(|e| e.to_string())?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![
            CoreSubjectIdentifierType::Public,
            CoreSubjectIdentifierType::Pairwise,
        ],
        app.config
            .oidc
            .signing_algorithms
            .iter()
            .filter_map(|a| super::keys::Alg::parse(a))
            .map(super::keys::Alg::jws)
            .collect(),
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(
        TokenUrl::new(url("oidc/token")).map_err(|e| e.to_string())?,
    ))
    .set_userinfo_endpoint(Some(
        UserInfoUrl::new(url("oidc/userinfo")).map_err(|e| e.to_string())?,
    ))
    .set_scopes_supported(Some(
        SCOPES.iter().map(|s| Scope::new((*s).to_owned())).collect(),
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
        [
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
            "sesame_children",
        ]
        .iter()
        .map(|c| CoreClaimName::new((*c).to_owned()))
        .collect(),
    ))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false));
    let mut doc = serde_json::to_value(&metadata).map_err(|e| e.to_string())?;
    if let Some(o) = doc.as_object_mut() {
        o.insert(
            "code_challenge_methods_supported".into(),
            serde_json::json!(["S256"]),
        );
        o.insert(
            "authorization_response_iss_parameter_supported".into(),
            serde_json::json!(true),
        );
        o.insert(
            "backchannel_logout_supported".into(),
            serde_json::json!(true),
        );
        o.insert(
            "backchannel_logout_session_supported".into(),
            serde_json::json!(true),
        );
        o.insert(
            "prompt_values_supported".into(),
            serde_json::json!(["none", "login", "consent"]),
        );
        o.insert("ui_locales_supported".into(), serde_json::json!(["fr"]));
        for (name, path) in [
            ("end_session_endpoint", "oidc/logout"),
            ("revocation_endpoint", "oidc/revoke"),
            ("introspection_endpoint", "oidc/introspect"),
        ] {
            o.insert(name.into(), serde_json::json!(url(path)));
        }
        o.insert(
            "revocation_endpoint_auth_methods_supported".into(),
            serde_json::json!(["client_secret_basic", "client_secret_post"]),
        );
        o.insert(
            "introspection_endpoint_auth_methods_supported".into(),
            serde_json::json!(["client_secret_basic", "client_secret_post"]),
        );
    }
    Ok(doc)
}
