//! What both grants answer (RFC 6749 §5.1, OIDC Core §3.1.3.3): an opaque
//! access token, a rotated refresh token when the client may have one,
//! and an ID token.

use super::error::TokenError;
use super::grants::{AccessGrant, Family};
use super::id_token::id_token;
use crate::app::App;
use crate::oidc::clients::client;
use crate::oidc::flow::hash_key;
use crate::session::new_token;
use sesame_oidc::lifetimes::{REFRESH_IDLE_SECONDS, TOKEN_SECONDS};
use sesame_store::Ns;
use std::time::Duration;

/// An access token, a rotated refresh token and an ID token for a family
/// whose account is still active.
pub(super) async fn issue_tokens(
    app: &App,
    family: &Family,
    nonce: Option<&str>,
) -> Result<serde_json::Value, TokenError> {
    let account = sesame_store::accounts::find(app.db.conn(), family.login.account_id)
        .await?
        .filter(|a| a.is_active())
        .ok_or(TokenError::InvalidGrant)?;
    let access = new_token();
    let at = AccessGrant {
        client_id: family.client_id.clone(),
        scopes: family.scopes.clone(),
        family: family.id.clone(),
        exp: app.clock.now().unix_timestamp() + TOKEN_SECONDS as i64,
        login: family.login.clone(),
    };
    app.store
        .put(
            &hash_key(app, Ns::OidcAccessToken, &access),
            &serde_json::to_vec(&at).unwrap_or_default(),
            Duration::from_secs(TOKEN_SECONDS),
        )
        .await?;
    let c = client(app, &family.client_id).ok_or(TokenError::InvalidClient)?;
    let refresh = if c.refresh_tokens {
        let refresh = new_token();
        app.store
            .put(
                &hash_key(app, Ns::OidcRefreshToken, &refresh),
                &serde_json::to_vec(family).unwrap_or_default(),
                Duration::from_secs(REFRESH_IDLE_SECONDS),
            )
            .await?;
        Some(refresh)
    } else {
        None
    };
    let id_token = id_token(app, c, family, account.id, &access, nonce).await?;
    let mut out = serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": TOKEN_SECONDS,
        "scope": family.scopes.join(" "),
        "id_token": id_token,
    });
    if let Some(rt) = refresh {
        out["refresh_token"] = rt.into();
    }
    Ok(out)
}
