//! The endpoints that take a token: userinfo (the claims of its scopes),
//! revocation (RFC 7009) and introspection (RFC 7662).

use super::flow::hash_key;
use super::token::{
    AccessGrant, Family, TokenError, TokenRequest, check_client, revoke_family, sub_for,
};
use crate::app::App;
use openidconnect::core::CoreGenderClaim;
use openidconnect::{
    EndUserEmail, EndUserFamilyName, EndUserGivenName, EndUserUsername, StandardClaims,
    SubjectIdentifier,
};
use sesame_domain::AccountKind;
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
    if at.revoked(app).await? {
        return Ok(None);
    }
    let Some(a) = sesame_store::accounts::find(app.db.conn(), at.login.account_id).await? else {
        return Ok(None);
    };
    let has = |s: &str| at.scopes.iter().any(|x| x == s);
    let mut claims = StandardClaims::<CoreGenderClaim>::new(SubjectIdentifier::new(sub_for(
        app,
        a.id,
        &at.client_id,
    )));
    let id = if has("profile") || has("sesame") || has("sesame.children") {
        Some(sesame_store::identity::identity(app.db.conn(), a.id, a.kind()).await?)
    } else {
        None
    };
    if let (true, Some(id)) = (has("profile"), &id) {
        claims = claims
            .set_given_name(
                id.first_name
                    .clone()
                    .map(|n| EndUserGivenName::new(n).into()),
            )
            .set_family_name(
                id.last_name
                    .clone()
                    .map(|n| EndUserFamilyName::new(n).into()),
            )
            .set_preferred_username(Some(EndUserUsername::new(a.identifiant_display.clone())));
    }
    if has("email") {
        claims = claims
            .set_email(a.email.clone().map(EndUserEmail::new))
            .set_email_verified(Some(
                a.confirmed_at.is_some() || a.kind() == AccountKind::Eleve,
            ));
    }
    let mut out = serde_json::to_value(&claims).unwrap_or_default();
    if let Some(id) = &id {
        if has("sesame") {
            out["sesame_profile"] = at.login.profile.clone().into();
            out["sesame_uai"] = id.uais.clone().into();
            out["sesame_classes"] = id.classes.clone().into();
        }
        // Only to clients that list the scope (OIDC-17); never names or
        // birth dates, the identifiers of the school export only.
        if has("sesame.children") {
            out["sesame_children"] = id.children.clone().into();
        }
    }
    Ok(Some(out))
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
/// of the calling client. Unknown tokens are not an error.
pub async fn revoke(app: &App, q: &TokenQuery) -> Result<(), TokenError> {
    authenticate(app, q).await?;
    let rt_key = hash_key(app, Ns::OidcRefreshToken, &q.token);
    if let Some(f) = app
        .store
        .get(&rt_key)
        .await
        .map_err(|_| TokenError::ServerError)?
        .and_then(|v| serde_json::from_slice::<Family>(&v).ok())
        && f.client_id == q.client_id
    {
        app.store
            .delete(&rt_key)
            .await
            .map_err(|_| TokenError::ServerError)?;
        revoke_family(app, &f.id).await?;
        return Ok(());
    }
    let at_key = hash_key(app, Ns::OidcAccessToken, &q.token);
    if let Some(at) = app
        .store
        .get(&at_key)
        .await
        .map_err(|_| TokenError::ServerError)?
        .and_then(|v| serde_json::from_slice::<AccessGrant>(&v).ok())
        && at.client_id == q.client_id
    {
        app.store
            .delete(&at_key)
            .await
            .map_err(|_| TokenError::ServerError)?;
    }
    Ok(())
}

/// RFC 7662: what a token of the calling client is; `{"active": false}`
/// for anything else.
pub async fn introspect(app: &App, q: &TokenQuery) -> Result<serde_json::Value, TokenError> {
    authenticate(app, q).await?;
    let inactive = serde_json::json!({ "active": false });
    let at = app
        .store
        .get(&hash_key(app, Ns::OidcAccessToken, &q.token))
        .await
        .map_err(|_| TokenError::ServerError)?
        .and_then(|v| serde_json::from_slice::<AccessGrant>(&v).ok());
    if let Some(at) = at.filter(|a| a.client_id == q.client_id) {
        if at.revoked(app).await.map_err(|_| TokenError::ServerError)? {
            return Ok(inactive);
        }
        return Ok(serde_json::json!({
            "active": true,
            "token_type": "Bearer",
            "client_id": at.client_id,
            "scope": at.scopes.join(" "),
            "sub": sub_for(app, at.login.account_id, &at.client_id),
            "exp": at.exp,
            "iss": super::discovery::issuer(app),
        }));
    }
    let rt = app
        .store
        .get(&hash_key(app, Ns::OidcRefreshToken, &q.token))
        .await
        .map_err(|_| TokenError::ServerError)?
        .and_then(|v| serde_json::from_slice::<Family>(&v).ok());
    if let Some(f) = rt.filter(|f| f.client_id == q.client_id) {
        if f.revoked(app).await.map_err(|_| TokenError::ServerError)? {
            return Ok(inactive);
        }
        return Ok(serde_json::json!({
            "active": true,
            "token_type": "refresh_token",
            "client_id": f.client_id,
            "scope": f.scopes.join(" "),
            "sub": sub_for(app, f.login.account_id, &f.client_id),
            "iss": super::discovery::issuer(app),
        }));
    }
    Ok(inactive)
}
