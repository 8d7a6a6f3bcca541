//! The refresh token grant (RFC 6749 §6): single use, rotated at each
//! use; a spent token presented again revokes its family (RFC 9700
//! §4.14.2); a family lives at most 90 days after the login.
//!
//! Refresh tokens live in the database (`sesame_store::refresh_tokens`),
//! not in the ephemeral store: a Redis restart must not log every relying
//! party out, nor bring a revoked token back. A family keeps one row, its
//! current token's keyed hash and rotation number; a token names its
//! family and rotation (`sesame_oidc::refresh`), so that an older one is
//! known as a reuse without a row per spent token.

use super::client_auth::check_client;
use super::error::TokenError;
use super::grants::{Family, revoke_family};
use super::issue::{issue_tokens, live_account, refresh_expiry, refresh_hash, refresh_idle};
use super::request::TokenRequest;
use crate::app::App;
use crate::oidc::clients::client;
use crate::oidc::flow::hash_key;
use crate::session::new_token;
use sesame_oidc::lifetimes::REFRESH_ABSOLUTE_SECONDS;
use sesame_oidc::refresh::RefreshToken;
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
    let presented = refresh_hash(app, &req.refresh_token);
    if let Some(served) = rotate_at_once(app, req, &presented).await? {
        return Ok(served);
    }
    let Some(row) = refresh_tokens::find(db, &presented).await? else {
        return older_or_legacy(app, req).await;
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
    let family = Family::of(&row);
    let (won, next) = match row.rotation {
        // A family row: its current token is replaced by the next one.
        Some(current) => {
            let rotation = current.saturating_add(1);
            let next = RefreshToken::format(&row.family_id, rotation, &new_token());
            let next_hash = refresh_hash(app, &next);
            let r = refresh_tokens::Rotation {
                presented_hash: &presented,
                next_hash: &next_hash,
                rotation,
                issued_at: now,
                expires_at: refresh_expiry(now, family.started),
            };
            let won = !row.spent && refresh_tokens::rotate(db, row.id, &r).await?;
            (won, Some(next))
        }
        // A row of one token (the release before): spent, and the family
        // gets a row of its own with the next token.
        None => (
            !row.spent && refresh_tokens::spend(db, row.id, now).await?,
            None,
        ),
    };
    if !won {
        tracing::warn!(client_id = %req.client_id, "refresh token reused: its family is revoked");
        revoke_family(app, &row.family_id).await?;
        return Err(TokenError::InvalidGrant);
    }
    // The conditional UPDATE above checked the family's revocation, in
    // the database, atomically: the mark a concurrent replay sets after
    // it must not take the win back (of 40 uses at once, exactly one is
    // served; the replays revoke what it was given).
    let account = live_account(app, &family, false).await?;
    issue_tokens(app, &family, &account, None, next).await
}

/// The common case in one statement (issue 21): the token presented is
/// its family's current one, the client's, usable, in a family that is
/// not in its last idle period: rotated by one `UPDATE … RETURNING`, which
/// is also the spending, atomic like [`refresh_tokens::rotate`]. `None`
/// when it did not apply, and nothing was changed: [`grant`] then reads
/// the row and tells why (a reuse, another client's token…).
async fn rotate_at_once(
    app: &App,
    req: &TokenRequest,
    presented: &str,
) -> Result<Option<serde_json::Value>, TokenError> {
    let Some(t) = RefreshToken::parse(&req.refresh_token) else {
        return Ok(None);
    };
    let now = app.clock.now();
    let rotation = t.rotation.saturating_add(1);
    let next = RefreshToken::format(t.family, rotation, &new_token());
    let next_hash = refresh_hash(app, &next);
    let idle = refresh_idle();
    // A family started after this instant (rounded up past the second the
    // database keeps) lives past `now + idle`: the next token's expiry
    // needs no clamping.
    let started_after =
        now + idle - time::Duration::seconds(REFRESH_ABSOLUTE_SECONDS) + time::Duration::SECOND;
    let r = refresh_tokens::Rotation {
        presented_hash: presented,
        next_hash: &next_hash,
        rotation,
        issued_at: now,
        expires_at: now + idle,
    };
    let Some(row) =
        refresh_tokens::rotate_presented(app.db.conn(), &req.client_id, started_after, &r).await?
    else {
        return Ok(None);
    };
    // As in [`grant`]: the UPDATE checked the family's revocation.
    let family = Family::of(&row);
    let account = live_account(app, &family, false).await?;
    Ok(Some(
        issue_tokens(app, &family, &account, None, Some(next)).await?,
    ))
}

/// A token whose hash no row holds: an older token of a family (a reuse,
/// which revokes the family), a token of the ephemeral store's days, or
/// nothing Sésame issued.
async fn older_or_legacy(app: &App, req: &TokenRequest) -> Result<serde_json::Value, TokenError> {
    if RefreshToken::parse(&req.refresh_token).is_some() {
        if let Some(family) = older_family(app, &req.refresh_token, &req.client_id).await? {
            tracing::warn!(client_id = %req.client_id, "refresh token reused: its family is revoked");
            revoke_family(app, &family).await?;
        }
        return Err(TokenError::InvalidGrant);
    }
    legacy(app, req).await
}

/// The family of which `token` is an older, already rotated token, when
/// that family is `client_id`'s.
pub(in crate::oidc) async fn older_family(
    app: &App,
    token: &str,
    client_id: &str,
) -> Result<Option<String>, TokenError> {
    let Some(t) = RefreshToken::parse(token) else {
        return Ok(None);
    };
    // Security: only a holder of one of the family's tokens knows its id
    // (256 random bits); an earlier rotation number is a token already
    // used: someone holds a copy (RFC 9700 §4.14.2). Another client's
    // family is left as it is.
    Ok(refresh_tokens::find_family(app.db.conn(), t.family)
        .await?
        .filter(|row| {
            row.client_id == client_id && row.rotation.is_some_and(|current| t.rotation < current)
        })
        .map(|row| row.family_id))
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
        || app.clock.now().unix_timestamp() - family.started > REFRESH_ABSOLUTE_SECONDS
    {
        return Err(TokenError::InvalidGrant);
    }
    let account = live_account(app, &family, true).await?;
    issue_tokens(app, &family, &account, None, None).await
}
