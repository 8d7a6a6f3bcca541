//! The refresh token grant (RFC 6749 §6): single use, rotated at each
//! use; a spent token presented again revokes its family (RFC 9700
//! §4.14.2); a family lives at most 90 days after the login.
//!
//! Refresh tokens live in the database (`sesame_store::refresh_tokens`),
//! not in the ephemeral store: a Redis restart must not log every relying
//! party out, nor bring a revoked token back.

use super::client_auth::check_client;
use super::error::TokenError;
use super::grants::{Family, revoke_family};
use super::issue::{issue_tokens, refresh_hash};
use super::request::TokenRequest;
use crate::app::App;
use crate::oidc::clients::client;
use crate::oidc::flow::hash_key;
use sesame_oidc::lifetimes::REFRESH_ABSOLUTE_SECONDS;
use sesame_store::{Ns, refresh_tokens};

/// Rotates a refresh token.
pub(super) async fn grant(app: &App, req: &TokenRequest) -> Result<serde_json::Value, TokenError> {
    check_client(app, req).await?;
    if !client(app, &req.client_id).is_some_and(|c| c.refresh_tokens) {
        return Err(TokenError::UnauthorizedClient);
    }
    if req.refresh_token.is_empty() {
        return Err(TokenError::InvalidRequest);
    }
    let db = app.db.conn();
    let Some(row) = refresh_tokens::find(db, &refresh_hash(app, &req.refresh_token)).await? else {
        return legacy(app, req).await;
    };
    // Security: another client's token is refused and left as it is.
    if row.client_id != req.client_id || row.revoked {
        return Err(TokenError::InvalidGrant);
    }
    let now = app.clock.now();
    if row.expires_at <= now {
        return Err(TokenError::InvalidGrant);
    }
    // Security: one conditional UPDATE spends the token: of two uses, in
    // sequence or at once on several nodes, exactly one wins; the other is
    // a replay (someone holds a copy), which revokes the family.
    if row.spent || !refresh_tokens::spend(db, row.id, now).await? {
        tracing::warn!(client_id = %req.client_id, "refresh token reused: its family is revoked");
        revoke_family(app, &row.family_id).await?;
        return Err(TokenError::InvalidGrant);
    }
    let family = Family::of(&row);
    if family.revoked(app).await? {
        return Err(TokenError::InvalidGrant);
    }
    issue_tokens(app, &family, None).await
}

/// A refresh token issued by a release that kept them in the ephemeral
/// store (before migration 000018): taken once from there, it is rotated
/// into a token kept in the database, so that relying parties are not
/// logged out by the upgrade. Anything else is refused.
async fn legacy(app: &App, req: &TokenRequest) -> Result<serde_json::Value, TokenError> {
    let key = hash_key(app, Ns::OidcRefreshToken, &req.refresh_token);
    let Some(family) = app
        .store
        .take(&key)
        .await?
        .and_then(|v| serde_json::from_slice::<Family>(&v).ok())
    else {
        return Err(TokenError::InvalidGrant);
    };
    if family.client_id != req.client_id
        || family.revoked(app).await?
        || app.clock.now().unix_timestamp() - family.started > REFRESH_ABSOLUTE_SECONDS
    {
        return Err(TokenError::InvalidGrant);
    }
    issue_tokens(app, &family, None).await
}
