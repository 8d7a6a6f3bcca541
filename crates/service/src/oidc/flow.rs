//! The authorization endpoint: `/authorize` checks the request and, with a
//! session, issues a single-use code (60 s, in the shared store). The token
//! side is in [`super::token`].

use super::keys::KeyError;
use crate::app::App;
use crate::config::{OidcClient, Protocol};
use crate::session::{Session, new_token};
use serde::{Deserialize, Serialize};
use sesame_store::{Key, Ns};
use std::time::Duration;

/// Seconds an authorization code lives.
pub const CODE_SECONDS: u64 = 60;

/// A checked authorization request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    /// The client.
    pub client_id: String,
    /// The registered redirect URI it named.
    pub redirect_uri: String,
    /// Requested scopes (with `openid`).
    pub scopes: Vec<String>,
    /// `state`, echoed.
    pub state: Option<String>,
    /// `nonce`, put in the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// `prompt`.
    pub prompt: Option<String>,
    /// `max_age`: seconds since the last login beyond which the user logs in again.
    #[serde(default)]
    pub max_age: Option<i64>,
    /// `response_mode=form_post`: the answer is POSTed by the browser.
    #[serde(default)]
    pub form_post: bool,
}

/// Why an authorization request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Shown on a page, never redirected (unknown client, unregistered
    /// redirect URI, repeated parameter).
    Page(&'static str),
    /// Sent back to the client's redirect URI.
    Redirect {
        /// Where.
        redirect_uri: String,
        /// OAuth error code.
        error: &'static str,
        /// `state`, echoed.
        state: Option<String>,
    },
}

pub(crate) fn client<'a>(app: &'a App, client_id: &str) -> Option<&'a OidcClient> {
    app.config
        .services
        .iter()
        .filter(|s| s.protocol == Protocol::Oidc)
        .filter_map(|s| s.oidc.as_ref())
        .find(|c| c.client_id == client_id)
}

/// Checks an authorization request's parameters.
pub fn check(app: &App, params: &[(String, String)]) -> Result<AuthRequest, AuthorizeError> {
    let names = [
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "request",
        "request_uri",
        "max_age",
        "response_mode",
    ];
    if names
        .iter()
        .any(|n| params.iter().filter(|(k, _)| k == n).count() > 1)
    {
        return Err(AuthorizeError::Page(
            "Un paramètre est répété dans la demande.",
        ));
    }
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let client_id = get("client_id").unwrap_or_default();
    let Some(c) = client(app, &client_id) else {
        return Err(AuthorizeError::Page(
            "Ce service (client_id) n'est pas enregistré.",
        ));
    };
    let redirect_uri = get("redirect_uri").unwrap_or_default();
    if !c.redirect_uris.iter().any(|u| u.as_str() == redirect_uri) {
        return Err(AuthorizeError::Page(
            "L'adresse de retour (redirect_uri) n'est pas enregistrée pour ce service.",
        ));
    }
    let state = get("state");
    let back = |error: &'static str| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        error,
        state: state.clone(),
    };
    if get("request").is_some() {
        return Err(back("request_not_supported"));
    }
    if get("request_uri").is_some() {
        return Err(back("request_uri_not_supported"));
    }
    if get("response_type").as_deref() != Some("code") {
        return Err(back("unsupported_response_type"));
    }
    let scopes: Vec<String> = get("scope")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    // Children's data only to clients that list `sesame.children` (OIDC-17).
    let allowed = |s: &String| {
        super::discovery::SCOPES.contains(&s.as_str())
            && (s == "openid"
                || c.scopes.contains(s)
                || (c.scopes.is_empty() && s != "sesame.children"))
    };
    if !scopes.iter().any(|s| s == "openid") || !scopes.iter().all(allowed) {
        return Err(back("invalid_scope"));
    }
    let challenge = get("code_challenge");
    match (challenge.as_ref(), get("code_challenge_method").as_deref()) {
        (Some(_), Some("S256")) => {}
        // `plain` (explicit or by default) is refused: S256 only.
        (Some(_), _) | (None, Some(_)) => return Err(back("invalid_request")),
        (None, None) if c.client_secret_hash.is_none() => return Err(back("invalid_request")),
        (None, None) => {}
    }
    let max_age = match get("max_age") {
        None => None,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => return Err(back("invalid_request")),
        },
    };
    let form_post = match get("response_mode").as_deref() {
        None | Some("query") => false,
        Some("form_post") => true,
        Some(_) => return Err(back("invalid_request")),
    };
    Ok(AuthRequest {
        form_post,
        max_age,
        client_id,
        redirect_uri,
        scopes,
        state,
        nonce: get("nonce"),
        code_challenge: challenge,
        prompt: get("prompt"),
    })
}

/// An error redirect: `redirect_uri?error=…&state=…&iss=…`.
pub fn error_location(app: &App, redirect_uri: &str, error: &str, state: Option<&str>) -> String {
    let mut u =
        url::Url::parse(redirect_uri).unwrap_or_else(|_| app.config.server.public_url.clone());
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("error", error);
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &super::discovery::issuer(app));
    }
    u.to_string()
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
    ns.key(app.keys.token_hmac(token))
}

/// The parameters of an authorization response: `code`, `state`, `iss`.
pub fn response_fields(app: &App, code: &str, state: Option<&str>) -> Vec<(String, String)> {
    let mut f = vec![("code".to_owned(), code.to_owned())];
    if let Some(st) = state {
        f.push(("state".to_owned(), st.to_owned()));
    }
    f.push(("iss".to_owned(), super::discovery::issuer(app)));
    f
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
    let mut u =
        url::Url::parse(&req.redirect_uri).unwrap_or_else(|_| app.config.server.public_url.clone());
    u.query_pairs_mut().extend_pairs(fields.iter());
    Ok((u.to_string(), fields))
}

/// What each scope lets a client know, as the consent page says it.
pub fn scope_label(scope: &str) -> &'static str {
    match scope {
        "openid" => "vous reconnaître d'une visite à l'autre (un identifiant propre à ce service)",
        "profile" => "connaître vos nom, prénom et identifiant",
        "email" => "connaître votre adresse électronique",
        "sesame" => "connaître votre profil, vos établissements et vos classes",
        "sesame.children" => "connaître les identifiants scolaires de vos enfants",
        _ => "",
    }
}

/// The name of a client, as users see it.
pub fn client_name(app: &App, client_id: &str) -> String {
    app.config
        .services
        .iter()
        .find(|s| s.oidc.as_ref().is_some_and(|c| c.client_id == client_id))
        .map(|s| s.name.clone())
        .unwrap_or_default()
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
