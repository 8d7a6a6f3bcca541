//! The authorization code grant (RFC 6749 §4.1.3): a single-use code,
//! for the client and redirect URI it was issued to, with its PKCE
//! verifier (RFC 7636 §4.6), from a session still alive.

use super::client_auth::check_client;
use super::error::TokenError;
use super::grants::{Family, Login, revoke_family, revoke_replayed};
use super::issue::{issue_tokens, live_account};
use super::request::TokenRequest;
use crate::app::App;
use crate::oidc::clients::client;
use crate::oidc::flow::{CodeGrant, hash_key};
use crate::session::new_token;
use sesame_oidc::lifetimes::{REFRESH_ABSOLUTE_SECONDS, TOKEN_SECONDS};
use sesame_store::Ns;
use std::time::Duration;

/// Redeems a code.
pub(super) async fn grant(app: &App, req: &TokenRequest) -> Result<serde_json::Value, TokenError> {
    check_client(app, req).await?;
    if req.code.is_empty() {
        return Err(TokenError::InvalidRequest);
    }
    let spent = hash_key(app, Ns::OidcCodeSpent, &req.code);
    let taken = app
        .store
        .take(&hash_key(app, Ns::OidcCode, &req.code))
        .await?
        .and_then(|v| serde_json::from_slice::<CodeGrant>(&v).ok());
    let code_hash = spent_code_hash(app, &req.code);
    let Some(grant) = taken else {
        // A code presented twice (RFC 9700 §4.5): what it issued is revoked,
        // found in the database (after a Redis flush too) or in the marker
        // of a release before migration 000023.
        if let Some(family) =
            sesame_store::refresh_tokens::spent_code_family(app.db.conn(), &code_hash).await?
        {
            tracing::warn!("authorization code reused: its family is revoked");
            revoke_family(app, &family).await?;
        }
        revoke_replayed(app, &spent).await?;
        return Err(TokenError::InvalidGrant);
    };
    let r = &grant.request;
    if r.client_id != req.client_id
        || r.redirect_uri != req.redirect_uri
        || app.clock.now().unix_timestamp() > grant.expires_at
    {
        return Err(TokenError::InvalidGrant);
    }
    sesame_oidc::pkce::verify(r.code_challenge.as_deref(), req.code_verifier.as_deref()).map_err(
        |e| {
            tracing::info!(client_id = %req.client_id, reason = %e, "PKCE verification failed");
            TokenError::InvalidGrant
        },
    )?;
    let family = Family {
        id: new_token(),
        client_id: r.client_id.clone(),
        scopes: r.scopes.clone(),
        auth_time: grant.auth_time,
        started: app.clock.now().unix_timestamp(),
        login: Login {
            account_id: grant.account_id,
            sid: grant.sid.clone(),
            generation: grant.generation,
            profile: grant.profile.clone(),
        },
    };
    // Security: a code outlives neither the session that gave it nor a
    // password change (REV-02), nor its account's activity.
    let account = live_account(app, &family, false).await?;
    // The database decides that a code is redeemed once: Redis may give it
    // again after a failover that lost its removal.
    let lifetime = match client(app, &r.client_id) {
        Some(c) if c.refresh_tokens => REFRESH_ABSOLUTE_SECONDS.unsigned_abs(),
        _ => TOKEN_SECONDS,
    };
    let until = app.clock.now() + Duration::from_secs(lifetime);
    if !sesame_store::refresh_tokens::spend_code(app.db.conn(), &code_hash, &family.id, until)
        .await?
    {
        if let Some(first) =
            sesame_store::refresh_tokens::spent_code_family(app.db.conn(), &code_hash).await?
        {
            tracing::warn!("authorization code redeemed again: its family is revoked");
            revoke_family(app, &first).await?;
        }
        return Err(TokenError::InvalidGrant);
    }
    // The marker the release before reads.
    app.store
        .put(
            &spent,
            family.id.as_bytes(),
            Duration::from_secs(REFRESH_ABSOLUTE_SECONDS.unsigned_abs()),
        )
        .await?;
    issue_tokens(app, &family, &account, r.nonce.as_deref(), None).await
}

/// The keyed hash a redeemed code is kept under in the database.
fn spent_code_hash(app: &App, code: &str) -> String {
    app.keys.stable_hmac(&format!("oidc-code:{code}"))
}
