//! The ID token (OIDC Core §2, §3.1.3.6), signed with the client's
//! algorithm (RS256 unless it registered another); its claims and
//! signature are `sesame_oidc::claims`'s.

use super::error::TokenError;
use super::grants::Family;
use crate::app::App;
use crate::config::OidcClient;
use crate::oidc::clients::{client_sid, subject};
use crate::oidc::discovery::issuer;
use crate::oidc::keys;
use sesame_oidc::claims::IdTokenInput;
use sesame_oidc::lifetimes::TOKEN_SECONDS;

/// The ID token of `family` for client `c`, issued with `access_token`.
pub(super) async fn id_token(
    app: &App,
    c: &OidcClient,
    family: &Family,
    account_id: i32,
    access_token: &str,
    nonce: Option<&str>,
) -> Result<String, TokenError> {
    let alg = c.id_token_signed_response_alg;
    let key = keys::signing_key(app, alg).await?;
    let sid = client_sid(app, &family.login.sid, &family.client_id);
    let input = IdTokenInput {
        issuer: &issuer(app),
        client_id: &family.client_id,
        subject: &subject(app, account_id, Some(c)),
        sid: Some(sid.as_str()),
        auth_time: family.auth_time,
        nonce,
        now: app.clock.now(),
        lifetime_seconds: TOKEN_SECONDS as i64,
        access_token: Some(access_token),
    };
    Ok(sesame_oidc::claims::id_token(&input, &key)?)
}
