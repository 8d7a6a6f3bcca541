//! The refresh token grant (RFC 6749 §6): single use, rotated at each
//! use; a spent token presented again revokes its family (RFC 9700
//! §4.14.2); a family lives at most 90 days after the login.

use super::client_auth::check_client;
use super::error::TokenError;
use super::grants::{Family, revoke_replayed};
use super::issue::issue_tokens;
use super::request::TokenRequest;
use crate::app::App;
use crate::oidc::clients::client;
use crate::oidc::flow::hash_key;
use sesame_oidc::lifetimes::REFRESH_ABSOLUTE_SECONDS;
use sesame_store::Ns;
use std::time::Duration;

/// Rotates a refresh token.
pub(super) async fn grant(app: &App, req: &TokenRequest) -> Result<serde_json::Value, TokenError> {
    check_client(app, req).await?;
    if !client(app, &req.client_id).is_some_and(|c| c.refresh_tokens) {
        return Err(TokenError::UnauthorizedClient);
    }
    if req.refresh_token.is_empty() {
        return Err(TokenError::InvalidRequest);
    }
    let key = hash_key(app, Ns::OidcRefreshToken, &req.refresh_token);
    let spent = hash_key(app, Ns::OidcRefreshSpent, &req.refresh_token);
    let taken = app.store.take(&key).await?;
    let Some(family) = taken.and_then(|v| serde_json::from_slice::<Family>(&v).ok()) else {
        // A spent token presented again: someone holds a copy. Revoke all.
        revoke_replayed(app, &spent).await?;
        return Err(TokenError::InvalidGrant);
    };
    app.store
        .put(
            &spent,
            family.id.as_bytes(),
            Duration::from_secs(REFRESH_ABSOLUTE_SECONDS.unsigned_abs()),
        )
        .await?;
    if family.client_id != req.client_id
        || family.revoked(app).await?
        || app.clock.now().unix_timestamp() - family.started > REFRESH_ABSOLUTE_SECONDS
    {
        return Err(TokenError::InvalidGrant);
    }
    issue_tokens(app, &family, None).await
}
