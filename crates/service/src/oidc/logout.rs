//! Logout. RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0):
//! with a valid `id_token_hint` whose client registered the
//! `post_logout_redirect_uri`, the session ends and the browser goes back
//! there (with `state`); otherwise the user is asked to confirm, and stays
//! on Sésame. A hint of another account or another session than the
//! browser's never ends the browser's session silently (REV-06).
//!
//! And the hooks of single logout ([`crate::slo`]): when a session ends,
//! its tokens are revoked ([`on_session_end`]) and each client that got a
//! code in it is sent a logout token ([`backchannel_notice`]).

use super::clients::{client, client_sid, subject};
use super::keys;
use crate::app::App;
use crate::slo::notice::Notice;
use sesame_oidc::claims::LogoutInput;
use sesame_oidc::lifetimes::REFRESH_ABSOLUTE_SECONDS;
use std::time::Duration;

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
    let Some(client) = client(app, &aud) else {
        return Ok(None);
    };
    let Some(registered) = client
        .post_logout_redirect_uris
        .iter()
        .find(|u| u.as_str() == target)
    else {
        return Ok(None);
    };
    // Security: the hint must name the browser's own session (its `sid`
    // when the token carries one) and account; another one only earns the
    // confirmation page (RP-Initiated Logout 1.0 §2).
    if let Some(cur) = current {
        let sub = subject(app, cur.account_id, Some(client));
        let same_account = claims["sub"].as_str() == Some(sub.as_str());
        let own_sid = client_sid(app, cur.sid, &client.client_id);
        let same_session = claims["sid"].as_str().is_none_or(|sid| sid == own_sid);
        if !(same_account && same_session) {
            tracing::info!(client_id = %aud, "logout hint of another session: confirmation asked");
            return Ok(None);
        }
    }
    let mut u = registered.url().clone();
    if let Some(s) = state {
        u.query_pairs_mut().append_pair("state", s);
    }
    Ok(Some(u.to_string()))
}

/// The single-logout hook run when the SSO session `sid` ends: the tokens
/// obtained in it are revoked now: its refresh tokens in the database (so
/// that a restart of the ephemeral store does not bring them back), the
/// rest by the session's end marker (for as long as any of them may live).
pub async fn on_session_end(app: &App, sid: &str) -> Result<(), sesame_store::StoreError> {
    sesame_store::refresh_tokens::revoke_session(app.db.conn(), sid).await?;
    let ttl = Duration::from_secs(REFRESH_ABSOLUTE_SECONDS.unsigned_abs());
    Ok(crate::session::mark_ended(app, sid, ttl).await?)
}

/// The logout token for a client (Back-Channel Logout 1.0 §2.4), with the
/// `sid` its ID tokens of SSO session `sid` carried.
pub async fn logout_token(
    app: &App,
    client: &crate::config::OidcClient,
    account_id: i32,
    sid: &str,
) -> Result<String, keys::KeyError> {
    let alg = client.id_token_signed_response_alg;
    let key = keys::signing_key(app, alg).await?;
    let input = LogoutInput {
        issuer: &super::discovery::issuer(app),
        client_id: &client.client_id,
        subject: &subject(app, account_id, Some(client)),
        sid: &client_sid(app, sid, &client.client_id),
        now: app.clock.now(),
        jti: &crate::session::new_token(),
    };
    Ok(sesame_oidc::claims::logout_token(&input, &key))
}

/// The single-logout hook for a client that got a code in the ended
/// session `sid`: its logout token, POSTed to its
/// `backchannel_logout_uri` (Back-Channel Logout 1.0 §2.5); none if it
/// registered none. A key that cannot sign is logged here.
pub async fn backchannel_notice(
    app: &App,
    client_id: &str,
    account_id: i32,
    sid: &str,
) -> Option<Notice> {
    let c = client(app, client_id)?;
    let url = c.backchannel_logout_uri.clone()?;
    match logout_token(app, c, account_id, sid).await {
        Ok(t) => Some(Notice {
            service: client_id.to_owned(),
            url,
            field: "logout_token",
            value: t,
        }),
        Err(e) => {
            tracing::error!(error = %e, client.id = %client_id, "back-channel logout: no logout token");
            None
        }
    }
}
