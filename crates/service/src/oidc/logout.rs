//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): with a
//! valid `id_token_hint` whose client registered the
//! `post_logout_redirect_uri`, the session ends and the browser goes back
//! there (with `state`); otherwise the user is asked to confirm, and stays
//! on Sésame. A hint of another account or another session than the
//! browser's never ends the browser's session silently (REV-06).

use super::keys;
use crate::app::App;

/// The browser's current SSO session, as a logout request sees it.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    /// The session's public id (the ID tokens' `sid`).
    pub sid: &'a str,
    /// Its account.
    pub account_id: i32,
}

/// Where to send the browser after logout, if the request earns it: a
/// valid hint of ours, for the browser's current session if it has one,
/// and a page its client registered.
pub async fn post_logout_target(
    app: &App,
    id_token_hint: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
    current: Option<Current<'_>>,
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
    let Some(client) = super::flow::client(app, &aud) else {
        return Ok(None);
    };
    if !client
        .post_logout_redirect_uris
        .iter()
        .any(|u| u.as_str() == target)
    {
        return Ok(None);
    }
    // Security: the hint must name the browser's own session (its `sid`
    // when the token carries one) and account; another one only earns the
    // confirmation page (RP-Initiated Logout 1.0 §2).
    if let Some(cur) = current {
        let sub = super::token::subject(app, cur.account_id, Some(client));
        let same_account = claims["sub"].as_str() == Some(sub.as_str());
        let same_session = claims["sid"].as_str().is_none_or(|sid| sid == cur.sid);
        if !(same_account && same_session) {
            tracing::info!(client_id = %aud, "logout hint of another session: confirmation asked");
            return Ok(None);
        }
    }
    let mut u = url::Url::parse(target).map_err(|e| keys::KeyError::Crypto(e.to_string()))?;
    if let Some(s) = state {
        u.query_pairs_mut().append_pair("state", s);
    }
    Ok(Some(u.to_string()))
}
