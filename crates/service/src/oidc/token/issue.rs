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
use sesame_oidc::lifetimes::{REFRESH_ABSOLUTE_SECONDS, REFRESH_IDLE_SECONDS, TOKEN_SECONDS};
use sesame_oidc::refresh::RefreshToken;
use sesame_store::Ns;
use sesame_store::accounts::Account;
use std::time::Duration;
use time::OffsetDateTime;

/// The account of `family`'s login, when it is active and nothing revoked
/// what the login gave: the SSO session, a password change, and with
/// `family_mark` the family's revocation mark in the store (a grant that
/// has just checked the family's row in the database leaves it out). One
/// read of the account's row, whose session generation the check uses.
pub(super) async fn live_account(
    app: &App,
    family: &Family,
    family_mark: bool,
) -> Result<Account, TokenError> {
    let account = sesame_store::accounts::read(&app.db, family.login.account_id)
        .await?
        .filter(|a| a.is_active())
        .ok_or(TokenError::InvalidGrant)?;
    let current = account.session_generation;
    let revoked = if family_mark {
        family.login.revoked_at(app, &family.id, current).await?
    } else {
        !crate::session::alive_at(app, &family.login.sid, family.login.generation, current).await?
    };
    if revoked {
        return Err(TokenError::InvalidGrant);
    }
    Ok(account)
}

/// An access token, a refresh token and an ID token for a family whose
/// `account` ([`live_account`]) is still active. The refresh token is
/// `rotated` (already stored by the refresh grant) when given; else, when
/// the client may have one, a new family row is stored for it.
pub(super) async fn issue_tokens(
    app: &App,
    family: &Family,
    account: &Account,
    nonce: Option<&str>,
    rotated: Option<String>,
) -> Result<serde_json::Value, TokenError> {
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
    let refresh = match rotated {
        Some(rotated) => Some(rotated),
        None if c.refresh_tokens => {
            let refresh = RefreshToken::format(&family.id, 0, &new_token());
            store_refresh_token(app, family, &refresh).await?;
            Some(refresh)
        }
        None => None,
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

/// Until when a refresh token issued `now` in a family started at
/// `started` (Unix time) may be used: `REFRESH_IDLE_SECONDS`, never past
/// the family's absolute lifetime.
pub(super) fn refresh_expiry(now: OffsetDateTime, started: i64) -> OffsetDateTime {
    let started = OffsetDateTime::from_unix_timestamp(started).unwrap_or(now);
    let idle = now + refresh_idle();
    let absolute = started + time::Duration::seconds(REFRESH_ABSOLUTE_SECONDS);
    idle.min(absolute)
}

/// How long a refresh token may stay unused (`REFRESH_IDLE_SECONDS`).
pub(super) fn refresh_idle() -> time::Duration {
    time::Duration::seconds(i64::try_from(REFRESH_IDLE_SECONDS).unwrap_or(0))
}

/// Stores the row of a new family in the database with its first
/// refresh token (rotation 0), by keyed hash (it must outlive a restart of
/// the ephemeral store).
async fn store_refresh_token(app: &App, family: &Family, token: &str) -> Result<(), TokenError> {
    let now = app.clock.now();
    let started = OffsetDateTime::from_unix_timestamp(family.started).unwrap_or(now);
    let scopes = family.scopes.join(" ");
    let hash = refresh_hash(app, token);
    sesame_store::refresh_tokens::insert(
        app.db.conn(),
        &sesame_store::refresh_tokens::NewRefreshToken {
            token_hash: &hash,
            family_id: &family.id,
            client_id: &family.client_id,
            account_id: family.login.account_id,
            scopes: &scopes,
            sid: &family.login.sid,
            generation: family.login.generation,
            profile: &family.login.profile,
            auth_time: family.auth_time,
            family_started_at: started,
            issued_at: now,
            expires_at: refresh_expiry(now, family.started),
            rotation: 0,
        },
    )
    .await?;
    Ok(())
}

/// The keyed hash a refresh token is stored under (the stable key: a
/// rotation of the token keys must not end every family).
pub(in crate::oidc) fn refresh_hash(app: &App, token: &str) -> String {
    app.keys.stable_hmac(&format!("oidc-refresh:{token}"))
}
