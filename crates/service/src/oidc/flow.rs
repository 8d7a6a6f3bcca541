//! The authorization endpoint: `/authorize` checks the request (the rules
//! are `sesame_oidc::authorize`'s) and, with a session, issues a
//! single-use code (60 s, in the shared store); consent is asked and
//! remembered here. The token side is in [`super::token`].

use super::clients::{self, client};
use super::keys::KeyError;
use crate::app::App;
use crate::session::{Session, new_token};
use serde::{Deserialize, Serialize};
pub use sesame_oidc::authorize::{Delivery, after_login};
pub use sesame_oidc::{AuthRequest, AuthorizeError, ErrorCode, PageError};
use sesame_store::{Key, Ns};
use std::time::Duration;

/// Seconds an authorization code lives.
pub const CODE_SECONDS: u64 = sesame_oidc::lifetimes::CODE_SECONDS;

/// Checks an authorization request's parameters against the registered
/// clients (the rules are `sesame_oidc::authorize::check`'s).
pub fn check(app: &App, params: &[(String, String)]) -> Result<AuthRequest, AuthorizeError> {
    sesame_oidc::authorize::check(params, |id| client(app, id).map(clients::rules))
}

/// An error redirect: `redirect_uri?error=…&state=…&iss=…` (RFC 6749
/// §4.1.2.1, RFC 9207).
pub fn error_location(
    app: &App,
    redirect_uri: &str,
    error: ErrorCode,
    state: Option<&str>,
) -> String {
    sesame_oidc::authorize::error_location(
        redirect_uri,
        &app.config.server.public_url,
        error,
        state,
        &super::discovery::issuer(app),
    )
}

/// How an error goes back to the client: POSTed for `form_post`,
/// otherwise redirected (Form Post Response Mode §2, RFC 6749 §4.1.2.1).
pub fn error_delivery(
    app: &App,
    redirect_uri: &str,
    error: ErrorCode,
    state: Option<&str>,
    form_post: bool,
) -> Delivery {
    sesame_oidc::authorize::error_delivery(
        redirect_uri,
        &app.config.server.public_url,
        error,
        state,
        &super::discovery::issuer(app),
        form_post,
    )
}

/// What a code stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CodeGrant {
    pub(super) request: AuthRequest,
    pub(super) account_id: i32,
    pub(super) auth_time: i64,
    /// The SSO session, for the `sid` claim and back-channel logout.
    pub(super) sid: String,
    /// The account's session generation at login.
    #[serde(default)]
    pub(super) generation: i64,
    /// The profile chosen at login.
    #[serde(default)]
    pub(super) profile: String,
    /// When the code expires (application clock, unix seconds); the store
    /// forgets it then too.
    #[serde(default)]
    pub(super) expires_at: i64,
}

pub(super) fn hash_key(app: &App, ns: Ns, token: &str) -> Key {
    ns.key(app.keys.stable_hmac(token))
}

/// The parameters of an authorization response: `code`, `state`, `iss`.
pub fn response_fields(app: &App, code: &str, state: Option<&str>) -> Vec<(String, String)> {
    sesame_oidc::authorize::response_fields(code, state, &super::discovery::issuer(app))
}

/// Issues a code for a checked request and a session; returns where to
/// send the browser (`redirect_uri?code=…&state=…&iss=…`) and the fields,
/// for `response_mode=form_post`.
pub async fn issue_code(
    app: &App,
    req: &AuthRequest,
    s: &Session,
) -> Result<(String, Vec<(String, String)>), KeyError> {
    let code = new_token();
    let grant = CodeGrant {
        request: req.clone(),
        account_id: s.account_id,
        auth_time: s.auth_time,
        sid: s.sid.clone(),
        generation: s.generation,
        profile: s.profile.clone(),
        expires_at: app.clock.now().unix_timestamp() + CODE_SECONDS as i64,
    };
    crate::slo::remember_oidc(app, &s.sid, &req.client_id, s.account_id)
        .await
        .map_err(sesame_store::StoreError::from)?;
    app.store
        .put(
            &hash_key(app, Ns::OidcCode, &code),
            &serde_json::to_vec(&grant).unwrap_or_default(),
            Duration::from_secs(CODE_SECONDS),
        )
        .await
        .map_err(sesame_store::StoreError::from)?;
    let fields = response_fields(app, &code, req.state.as_deref());
    let to = sesame_oidc::authorize::response_location(
        &req.redirect_uri,
        &app.config.server.public_url,
        &fields,
    );
    Ok((to, fields))
}

/// What each scope lets a client know, as the consent page says it.
pub fn scope_label(scope: &str) -> &'static str {
    sesame_oidc::scope::label(scope)
}

/// Whether the user must be asked before the client gets a code: the
/// client asks for consent and either `prompt=consent` was sent or the
/// scopes go beyond what was granted before.
pub async fn needs_consent(
    app: &App,
    req: &AuthRequest,
    account_id: i32,
) -> Result<bool, sesame_store::StoreError> {
    if !client(app, &req.client_id).is_some_and(|c| c.consent) {
        return Ok(false);
    }
    if req
        .prompt
        .as_deref()
        .is_some_and(|p| p.split(' ').any(|x| x == "consent"))
    {
        return Ok(true);
    }
    let granted =
        sesame_store::consents::granted(app.db.conn(), account_id, &req.client_id).await?;
    Ok(!granted.is_some_and(|g| req.scopes.iter().all(|s| g.contains(s))))
}

/// Seconds the consent page may wait for an answer.
pub const CONSENT_SECONDS: u64 = 600;

#[derive(Serialize, Deserialize)]
struct HeldRequest {
    request: AuthRequest,
    account_id: i32,
}

/// Keeps a request while the user decides; answers the ticket the
/// consent form carries.
pub async fn hold_for_consent(
    app: &App,
    req: &AuthRequest,
    account_id: i32,
) -> Result<String, sesame_store::StoreError> {
    let ticket = new_token();
    let held = HeldRequest {
        request: req.clone(),
        account_id,
    };
    app.store
        .put(
            &hash_key(app, Ns::OidcConsent, &ticket),
            &serde_json::to_vec(&held).unwrap_or_default(),
            Duration::from_secs(CONSENT_SECONDS),
        )
        .await?;
    Ok(ticket)
}

/// The user's answer: the held request (single use) if the ticket is
/// valid for this account; when allowed, the consent is remembered.
pub async fn decide(
    app: &App,
    ticket: &str,
    account_id: i32,
    allow: bool,
) -> Result<Option<AuthRequest>, sesame_store::StoreError> {
    let Some(held) = app
        .store
        .take(&hash_key(app, Ns::OidcConsent, ticket))
        .await?
        .and_then(|v| serde_json::from_slice::<HeldRequest>(&v).ok())
        .filter(|h| h.account_id == account_id)
    else {
        return Ok(None);
    };
    if allow {
        sesame_store::consents::grant(
            app.db.conn(),
            account_id,
            &held.request.client_id,
            &held.request.scopes,
            app.clock.now(),
        )
        .await?;
        tracing::info!(client_id = %held.request.client_id, account.id = account_id, "consent granted");
    }
    Ok(Some(held.request))
}
