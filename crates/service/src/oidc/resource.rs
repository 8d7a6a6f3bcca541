//! The endpoints that take a token: userinfo (the claims of its scopes),
//! revocation (RFC 7009) and introspection (RFC 7662).

use super::clients::{client, subject_for};
use super::flow::hash_key;
use super::token::{
    AccessGrant, Family, TokenError, TokenRequest, check_client, log_once, older_family,
    refresh_hash, revoke_family,
};
use crate::app::App;
use sesame_oidc::scope::{Identity, Person};
use sesame_store::Ns;

/// The userinfo endpoint: the claims of the token's scopes, or `None` for
/// an unknown or expired token.
pub async fn userinfo(
    app: &App,
    access_token: &str,
) -> Result<Option<serde_json::Value>, sesame_store::StoreError> {
    let Some(at) = app
        .store
        .get(&hash_key(app, Ns::OidcAccessToken, access_token))
        .await?
        .and_then(|v| serde_json::from_slice::<AccessGrant>(&v).ok())
    else {
        return Ok(None);
    };
    // A disabled account (a leaver's) answers nothing, even where the
    // store that would have ended its tokens is another process's. The
    // account and its claims come in one query, at each request, so that
    // they follow SIECLE.
    let Some((a, id)) = sesame_store::identity::account_with_identity(
        &app.db,
        at.login.account_id,
        app.clock.now().date(),
    )
    .await?
    .filter(|(a, _)| a.is_active()) else {
        return Ok(None);
    };
    // What revokes the token too: the account's row just read gives its
    // generation.
    if at
        .login
        .revoked_at(app, &at.family, a.session_generation)
        .await?
    {
        return Ok(None);
    }
    let identity = sesame_oidc::scope::needs_identity(&at.scopes).then_some(Identity {
        first_name: id.first_name,
        last_name: id.last_name,
        uais: id.uais,
        classes: id.classes,
        children: id.children,
    });
    let person = Person {
        sub: subject_for(app, a.id, &at.client_id),
        username: a.identifiant_display.clone(),
        email: a.email.clone(),
        // OIDC Core §5.1: true only for an address confirmed by a link
        // (`confirmed_at`); a pupil's address was typed, never confirmed.
        email_verified: a.confirmed_at.is_some(),
        profile: at.login.profile.clone(),
        identity,
    };
    Ok(Some(sesame_oidc::scope::userinfo(&at.scopes, &person)))
}

/// A client-authenticated request about a token (revocation, introspection).
#[derive(Debug, Clone, Default)]
pub struct TokenQuery {
    /// `token`.
    pub token: String,
    /// The client id (Basic or form).
    pub client_id: String,
    /// The client secret (Basic or form).
    pub client_secret: Option<String>,
    /// The caller's address (its failures are counted per address).
    pub ip: String,
}

async fn authenticate(app: &App, q: &TokenQuery) -> Result<(), TokenError> {
    check_client(
        app,
        &TokenRequest {
            client_id: q.client_id.clone(),
            client_secret: q.client_secret.clone(),
            ip: q.ip.clone(),
            ..TokenRequest::default()
        },
    )
    .await
}

/// RFC 7009: revokes an access token or (with its family) a refresh token
/// of the calling client. Unknown tokens are not an error. A failure
/// inside is logged here, once.
pub async fn revoke(app: &App, q: &TokenQuery) -> Result<(), TokenError> {
    log_once("revocation", revoke_inner(app, q).await)
}

async fn revoke_inner(app: &App, q: &TokenQuery) -> Result<(), TokenError> {
    authenticate(app, q).await?;
    // A refresh token (spent or not) revokes its whole family, for good:
    // the database keeps the mark past a restart of the ephemeral store.
    if let Some(t) =
        sesame_store::refresh_tokens::find(app.db.conn(), &refresh_hash(app, &q.token)).await?
        && t.client_id == q.client_id
    {
        revoke_family(app, &t.family_id).await?;
        return Ok(());
    }
    // An older token of a family: no row holds its hash any more.
    if let Some(family) = older_family(app, &q.token, &q.client_id).await? {
        revoke_family(app, &family).await?;
        return Ok(());
    }
    let at_key = hash_key(app, Ns::OidcAccessToken, &q.token);
    if let Some(at) = app
        .store
        .get(&at_key)
        .await?
        .and_then(|v| serde_json::from_slice::<AccessGrant>(&v).ok())
        && at.client_id == q.client_id
    {
        app.store.delete(&at_key).await?;
    }
    Ok(())
}

/// RFC 7662: what a token of the calling client is; `{"active": false}`
/// for anything else. A failure inside is logged here, once.
pub async fn introspect(app: &App, q: &TokenQuery) -> Result<serde_json::Value, TokenError> {
    log_once("introspection", introspect_inner(app, q).await)
}

async fn introspect_inner(app: &App, q: &TokenQuery) -> Result<serde_json::Value, TokenError> {
    // Security: RFC 7662 §2.1: the caller authenticates; a public client's
    // bare `client_id` proves nothing, so it may not introspect.
    if client(app, &q.client_id).is_none_or(|c| c.client_secret_hash.is_none()) {
        return Err(TokenError::InvalidClient);
    }
    authenticate(app, q).await?;
    let inactive = serde_json::json!({ "active": false });
    let at = app
        .store
        .get(&hash_key(app, Ns::OidcAccessToken, &q.token))
        .await?
        .and_then(|v| serde_json::from_slice::<AccessGrant>(&v).ok());
    if let Some(at) = at.filter(|a| a.client_id == q.client_id) {
        if at.revoked(app).await? {
            return Ok(inactive);
        }
        return Ok(serde_json::json!({
            "active": true,
            "token_type": "Bearer",
            "client_id": at.client_id,
            "scope": at.scopes.join(" "),
            "sub": subject_for(app, at.login.account_id, &at.client_id),
            "exp": at.exp,
            "iss": super::discovery::issuer(app),
        }));
    }
    let now = app.clock.now();
    let rt = sesame_store::refresh_tokens::find(app.db.conn(), &refresh_hash(app, &q.token))
        .await?
        .filter(|t| !t.spent && !t.revoked && t.expires_at > now)
        .map(|t| Family::of(&t));
    if let Some(f) = rt.filter(|f| f.client_id == q.client_id) {
        if f.revoked(app).await? {
            return Ok(inactive);
        }
        return Ok(serde_json::json!({
            "active": true,
            "token_type": "refresh_token",
            "client_id": f.client_id,
            "scope": f.scopes.join(" "),
            "sub": subject_for(app, f.login.account_id, &f.client_id),
            "iss": super::discovery::issuer(app),
        }));
    }
    Ok(inactive)
}
