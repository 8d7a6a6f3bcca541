//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): with a
//! valid `id_token_hint` whose client registered the
//! `post_logout_redirect_uri`, the session ends and the browser goes back
//! there (with `state`); otherwise the user is asked to confirm, and stays
//! on Sésame.

use super::keys;
use crate::app::App;

/// Where to send the browser after logout, if the request earns it.
pub async fn post_logout_target(
    app: &App,
    id_token_hint: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> Result<Option<String>, keys::KeyError> {
    let (Some(hint), Some(target)) = (id_token_hint, post_logout_redirect_uri) else {
        return Ok(None);
    };
    let Some(claims) = keys::verify_own_jwt(app, hint).await? else {
        return Ok(None);
    };
    if claims["iss"] != super::discovery::issuer(app).as_str() {
        return Ok(None);
    }
    let aud = claims["aud"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| claims["aud"][0].as_str().map(str::to_owned))
        .unwrap_or_default();
    let registered = super::flow::client(app, &aud).is_some_and(|c| {
        c.post_logout_redirect_uris
            .iter()
            .any(|u| u.as_str() == target)
    });
    if !registered {
        return Ok(None);
    }
    let mut u = url::Url::parse(target).map_err(|e| keys::KeyError::Crypto(e.to_string()))?;
    if let Some(s) = state {
        u.query_pairs_mut().append_pair("state", s);
    }
    Ok(Some(u.to_string()))
}
