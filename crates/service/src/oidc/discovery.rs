//! The discovery document (`/.well-known/openid-configuration`) from the
//! configuration; the document itself is `sesame_oidc::discovery`'s.

use crate::app::App;
use sesame_oidc::discovery::DiscoveryError;

/// The issuer: the public URL without its trailing slash.
pub fn issuer(app: &App) -> String {
    sesame_oidc::discovery::issuer(app.config.server.public_url.as_str())
}

/// The scopes Sésame knows.
pub const SCOPES: &[&str] = sesame_oidc::scope::SCOPES;

/// The discovery document, JSON.
pub fn document(app: &App) -> Result<serde_json::Value, DiscoveryError> {
    let algs: Vec<sesame_oidc::Alg> = app.config.oidc.signing_algorithms.clone();
    sesame_oidc::discovery::document(&issuer(app), &algs)
}

/// [`document`] as served: serialised once per process (issue 21: it
/// depends on the configuration only).
pub fn body(app: &App) -> Result<std::sync::Arc<str>, DiscoveryError> {
    if let Some(b) = app.discovery.get() {
        return Ok(b.clone());
    }
    let b: std::sync::Arc<str> = document(app)?.to_string().into();
    Ok(app.discovery.get_or_init(|| b).clone())
}
