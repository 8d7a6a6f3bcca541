//! What the tokens stand for: a family (one login of one account at one
//! client, its refresh tokens rotating, kept in the database), and an
//! access grant (in the ephemeral store); and their revocation (RFC 9700
//! §4.5, §4.14).

use super::error::TokenError;
use crate::app::App;
use serde::{Deserialize, Serialize};
use sesame_oidc::lifetimes::TOKEN_SECONDS;
use sesame_store::Ns;
use sesame_store::refresh_tokens::RefreshToken;
use std::time::Duration;

/// What a refresh token (and the tokens issued from it) belongs to: one
/// login of one account at one client. Reusing a spent refresh token
/// revokes the whole family.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(in crate::oidc) struct Family {
    pub(in crate::oidc) id: String,
    pub(in crate::oidc) client_id: String,
    pub(in crate::oidc) scopes: Vec<String>,
    pub(in crate::oidc) auth_time: i64,
    pub(in crate::oidc) started: i64,
    #[serde(flatten)]
    pub(in crate::oidc) login: Login,
}

/// The login tokens come from: the account, and what revokes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(in crate::oidc) struct Login {
    pub(in crate::oidc) account_id: i32,
    /// The SSO session: logging out revokes its tokens.
    #[serde(default)]
    pub(in crate::oidc) sid: String,
    /// The account's session generation: a password change revokes them.
    #[serde(default)]
    pub(in crate::oidc) generation: i64,
    /// The profile chosen at login.
    #[serde(default)]
    pub(in crate::oidc) profile: String,
}

impl Login {
    /// Whether the family `family` of this login is revoked.
    async fn revoked(&self, app: &App, family: &str) -> Result<bool, sesame_store::StoreError> {
        Ok(family_revoked(app, family).await?
            || !crate::session::alive(app, self.account_id, &self.sid, self.generation).await?)
    }

    /// [`Self::revoked`] for a caller holding the account's row, whose
    /// session generation is `current` (one store read fewer).
    pub(in crate::oidc) async fn revoked_at(
        &self,
        app: &App,
        family: &str,
        current: i64,
    ) -> Result<bool, sesame_store::StoreError> {
        Ok(family_revoked(app, family).await?
            || !crate::session::alive_at(app, &self.sid, self.generation, current).await?)
    }
}

impl Family {
    /// The family a stored refresh token belongs to.
    pub(in crate::oidc) fn of(t: &RefreshToken) -> Self {
        Self {
            id: t.family_id.clone(),
            client_id: t.client_id.clone(),
            scopes: t.scopes.split_whitespace().map(str::to_owned).collect(),
            auth_time: t.auth_time,
            started: t.family_started_at.unix_timestamp(),
            login: Login {
                account_id: t.account_id,
                sid: t.sid.clone(),
                generation: t.generation,
                profile: t.profile.clone(),
            },
        }
    }

    /// Whether the family was revoked, its session ended or its account's
    /// password changed.
    pub(in crate::oidc) async fn revoked(
        &self,
        app: &App,
    ) -> Result<bool, sesame_store::StoreError> {
        self.login.revoked(app, &self.id).await
    }
}

/// What an access token stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(in crate::oidc) struct AccessGrant {
    pub(in crate::oidc) client_id: String,
    pub(in crate::oidc) scopes: Vec<String>,
    pub(in crate::oidc) family: String,
    #[serde(default)]
    pub(in crate::oidc) exp: i64,
    #[serde(flatten)]
    pub(in crate::oidc) login: Login,
}

impl AccessGrant {
    /// Whether its family was revoked, its session ended or its account's
    /// password changed.
    pub(in crate::oidc) async fn revoked(
        &self,
        app: &App,
    ) -> Result<bool, sesame_store::StoreError> {
        self.login.revoked(app, &self.family).await
    }
}

async fn family_revoked(app: &App, id: &str) -> Result<bool, sesame_store::EphemeralError> {
    Ok(app.store.get(&Ns::OidcRevoked.key(id)).await?.is_some())
}

/// A spent code or refresh token presented again: someone holds a copy, so
/// everything issued from it is revoked (RFC 9700 §4.5, §4.14).
pub(super) async fn revoke_replayed(
    app: &App,
    spent_key: &sesame_store::Key,
) -> Result<(), TokenError> {
    let family = app.store.get(spent_key).await?;
    if let Some(id) = family {
        tracing::warn!("refresh token or code reused: its family is revoked");
        revoke_family(app, &String::from_utf8_lossy(&id)).await?;
    }
    Ok(())
}

/// Revokes a family: its refresh tokens in the database (for good), and
/// its access tokens, which live in the ephemeral store, by a marker there
/// for as long as an access token lives.
pub(in crate::oidc) async fn revoke_family(app: &App, id: &str) -> Result<(), TokenError> {
    sesame_store::refresh_tokens::revoke_family(app.db.conn(), id).await?;
    app.store
        .put(
            &Ns::OidcRevoked.key(id),
            b"1",
            Duration::from_secs(TOKEN_SECONDS),
        )
        .await?;
    Ok(())
}
