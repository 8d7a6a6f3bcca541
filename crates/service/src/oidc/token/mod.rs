//! The token endpoint (RFC 6749 §3.2, OIDC Core §3.1.3), split by job:
//!
//! - [`request`]: the request as read from the form and header;
//! - `client_auth`: client authentication (RFC 6749 §2.3.1);
//! - `code`: the authorization code grant, with PKCE (RFC 7636 §4.6);
//! - `refresh`: the refresh token grant, rotated (RFC 6749 §6), on the
//!   tokens kept in the database;
//! - `grants`: what tokens stand for, and their revocation;
//! - `issue`: the answer of both grants; `id_token`: the ID token;
//! - [`error`]: why a request is refused or failed, with its cause.
//!
//! Revocation (RFC 7009), introspection (RFC 7662) and userinfo are in
//! [`super::resource`].

mod client_auth;
mod code;
pub mod error;
mod grants;
mod id_token;
mod issue;
mod refresh;
pub mod request;

pub(in crate::oidc) use client_auth::check_client;
pub use error::TokenError;
pub(crate) use error::log_once;
pub(in crate::oidc) use grants::{AccessGrant, Family, revoke_family};
pub(in crate::oidc) use issue::refresh_hash;
pub(in crate::oidc) use refresh::older_family;
pub use request::TokenRequest;
pub use sesame_oidc::lifetimes::{REFRESH_ABSOLUTE_SECONDS, REFRESH_IDLE_SECONDS, TOKEN_SECONDS};

use crate::app::App;

/// The token endpoint: `authorization_code` and `refresh_token`. A failure
/// inside is logged here, once.
pub async fn token(app: &App, req: &TokenRequest) -> Result<serde_json::Value, TokenError> {
    let r = match req.grant_type.as_str() {
        "authorization_code" => code::grant(app, req).await,
        "refresh_token" => refresh::grant(app, req).await,
        "" => Err(TokenError::InvalidRequest),
        _ => Err(TokenError::UnsupportedGrantType),
    };
    let result = match &r {
        Ok(_) => "issued",
        Err(e) => e.code().as_str(),
    };
    metrics::counter!("sesame_oidc_token_requests_total", "result" => result).increment(1);
    log_once("token", r)
}
