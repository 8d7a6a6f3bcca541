//! The checks of an authorization request (RFC 6749 §4.1.1, OIDC Core
//! §3.1.2.1-2) and the answers sent back to the client (RFC 6749
//! §4.1.2, §4.1.2.1, RFC 9207).
//!
//! An error that cannot be trusted to the redirect URI (unknown client,
//! unregistered redirect URI, repeated parameter) is shown to the user
//! (RFC 6749 §4.1.2.1 first paragraph); the others go back to the client.

use crate::error::ErrorCode;
use crate::pkce;
use crate::scope;
use serde::{Deserialize, Serialize};

/// A checked authorization request. Stored with the code it earns: its
/// serialised form must stay readable across versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// What the checks need to know of a registered client.
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    /// Its registered redirect URIs, compared as strings (RFC 9700 §4.1.3).
    pub redirect_uris: &'a [sesame_domain::RegisteredUrl],
    /// The scopes it lists (none: every scope but the children's).
    pub scopes: &'a [String],
    /// Whether it has no secret (then it must use PKCE).
    pub public: bool,
}

/// An error shown to the user, never redirected (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// A parameter appears twice (RFC 6749 §3.1).
    RepeatedParameter,
    /// No client has this `client_id`.
    UnknownClient,
    /// The `redirect_uri` is not one the client registered.
    UnregisteredRedirectUri,
}

impl PageError {
    /// What the page says, in French.
    pub fn text(self) -> &'static str {
        match self {
            Self::RepeatedParameter => "Un paramètre est répété dans la demande.",
            Self::UnknownClient => "Ce service (client_id) n'est pas enregistré.",
            Self::UnregisteredRedirectUri => {
                "L'adresse de retour (redirect_uri) n'est pas enregistrée pour ce service."
            }
        }
    }
}

/// Why an authorization request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Shown on a page, never redirected.
    Page(PageError),
    /// Sent back to the client's redirect URI.
    Redirect {
        /// Where (a registered redirect URI).
        redirect_uri: String,
        /// The error code.
        error: ErrorCode,
        /// `state`, echoed.
        state: Option<String>,
        /// Whether it is POSTed by the browser (`response_mode=form_post`)
        /// rather than added to the redirect URI's query.
        form_post: bool,
    },
}

impl AuthorizeError {
    /// Whether the error may go back to the client's redirect URI.
    pub fn redirectable(&self) -> bool {
        matches!(self, Self::Redirect { .. })
    }
}

/// The parameters that may appear once only.
const SINGLE: [&str; 13] = [
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

/// Checks an authorization request's parameters, with `find` giving the
/// registered client of a `client_id`.
pub fn check<'a>(
    params: &[(String, String)],
    find: impl FnOnce(&str) -> Option<Client<'a>>,
) -> Result<AuthRequest, AuthorizeError> {
    // RFC 6749 §3.1: "Request and response parameters MUST NOT be
    // included more than once."
    if SINGLE
        .iter()
        .any(|n| params.iter().filter(|(k, _)| k == n).count() > 1)
    {
        return Err(AuthorizeError::Page(PageError::RepeatedParameter));
    }
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let client_id = get("client_id").unwrap_or_default();
    let Some(c) = find(&client_id) else {
        return Err(AuthorizeError::Page(PageError::UnknownClient));
    };
    // Security: exact string comparison with a registered URI (RFC 9700
    // §4.1.3); before it, nothing may be redirected.
    let redirect_uri = get("redirect_uri").unwrap_or_default();
    if !c.redirect_uris.iter().any(|u| u.as_str() == redirect_uri) {
        return Err(AuthorizeError::Page(PageError::UnregisteredRedirectUri));
    }
    let state = get("state");
    // Form Post Response Mode §2: errors too go back as the client asked,
    // once the redirect URI is trusted (an unknown mode: the default).
    let asked_form_post = get("response_mode").as_deref() == Some("form_post");
    let back = |error: ErrorCode| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        error,
        state: state.clone(),
        form_post: asked_form_post,
    };
    // OIDC Core §6: request objects are not supported.
    if get("request").is_some() {
        return Err(back(ErrorCode::RequestNotSupported));
    }
    if get("request_uri").is_some() {
        return Err(back(ErrorCode::RequestUriNotSupported));
    }
    if get("response_type").as_deref() != Some("code") {
        return Err(back(ErrorCode::UnsupportedResponseType));
    }
    let scopes: Vec<String> = get("scope")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    // OIDC Core §3.1.2.1: `openid` is required.
    if !scopes.iter().any(|s| s == "openid") || !scopes.iter().all(|s| scope::allowed(s, c.scopes))
    {
        return Err(back(ErrorCode::InvalidScope));
    }
    let challenge = get("code_challenge");
    let method = get("code_challenge_method");
    pkce::check_request(challenge.as_deref(), method.as_deref(), c.public).map_err(back)?;
    // OIDC Core §3.1.2.1: a non-negative number of seconds.
    let max_age = match get("max_age") {
        None => None,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => return Err(back(ErrorCode::InvalidRequest)),
        },
    };
    // OAuth 2.0 Multiple Response Type Encoding Practices, Form Post
    // Response Mode.
    let form_post = match get("response_mode").as_deref() {
        None | Some("query") => false,
        Some("form_post") => true,
        Some(_) => return Err(back(ErrorCode::InvalidRequest)),
    };
    // OIDC Core §3.1.2.1: "If this parameter contains none with any other
    // value, an error is returned."
    let prompt = get("prompt");
    let prompts: Vec<&str> = prompt.as_deref().unwrap_or("").split_whitespace().collect();
    if prompts.contains(&"none") && prompts.iter().any(|p| *p != "none") {
        return Err(back(ErrorCode::InvalidRequest));
    }
    Ok(AuthRequest {
        form_post,
        max_age,
        client_id,
        redirect_uri,
        scopes,
        state,
        nonce: get("nonce"),
        code_challenge: challenge,
        prompt,
    })
}

impl AuthRequest {
    /// Whether `prompt` lists `value` (OIDC Core §3.1.2.1: space-separated).
    pub fn prompts(&self, value: &str) -> bool {
        self.prompt
            .as_deref()
            .is_some_and(|p| p.split_whitespace().any(|v| v == value))
    }

    /// Whether credentials must be typed again whatever the session:
    /// `prompt=login`, or `max_age=0` (OIDC Core §3.1.2.1: `max_age=0` is
    /// "equivalent to prompt=login").
    pub fn demands_fresh_login(&self) -> bool {
        self.prompts("login") || self.max_age == Some(0)
    }

    /// Whether a session logged in at `auth_time` answers the request at
    /// `now` (unix seconds) without a new login (OIDC Core §3.1.2.1
    /// `max_age`, `prompt=login`).
    pub fn session_satisfies(&self, auth_time: i64, now: i64) -> bool {
        !self.demands_fresh_login() && self.max_age.is_none_or(|m| now - auth_time <= m)
    }
}

/// The parameters of an authorization request to resume once the user has
/// just logged in: without the demands that login satisfied (`prompt`,
/// `max_age`), so that it is not asked for again.
pub fn after_login(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .filter(|(k, _)| k != "prompt" && k != "max_age")
        .cloned()
        .collect()
}

/// How an authorization response (code or error) reaches the client
/// (RFC 6749 §4.1.2, Form Post Response Mode §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A redirect to this location (`response_mode=query`).
    Redirect(String),
    /// A page that POSTs these fields to the redirect URI
    /// (`response_mode=form_post`).
    FormPost(Vec<(String, String)>),
}

/// The parameters of an error response (RFC 6749 §4.1.2.1, RFC 9207):
/// `error`, `state` when one was sent, `iss`.
pub fn error_fields(error: ErrorCode, state: Option<&str>, issuer: &str) -> Vec<(String, String)> {
    let mut f = vec![("error".to_owned(), error.as_str().to_owned())];
    if let Some(st) = state {
        f.push(("state".to_owned(), st.to_owned()));
    }
    f.push(("iss".to_owned(), issuer.to_owned()));
    f
}

/// How an error goes back to the client: POSTed when it asked for
/// `form_post` (Form Post Response Mode §2 applies to every response),
/// otherwise in the redirect URI's query ([`error_location`]).
pub fn error_delivery(
    redirect_uri: &str,
    fallback: &url::Url,
    error: ErrorCode,
    state: Option<&str>,
    issuer: &str,
    form_post: bool,
) -> Delivery {
    if form_post {
        return Delivery::FormPost(error_fields(error, state, issuer));
    }
    Delivery::Redirect(error_location(redirect_uri, fallback, error, state, issuer))
}

/// Where an error goes back to (RFC 6749 §4.1.2.1, RFC 9207):
/// `redirect_uri?error=…&state=…&iss=…`; `fallback` when the redirect URI
/// does not parse.
pub fn error_location(
    redirect_uri: &str,
    fallback: &url::Url,
    error: ErrorCode,
    state: Option<&str>,
    issuer: &str,
) -> String {
    let mut u = url::Url::parse(redirect_uri).unwrap_or_else(|_| fallback.clone());
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("error", error.as_str());
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", issuer);
    }
    u.to_string()
}

/// The parameters of a successful authorization response (RFC 6749
/// §4.1.2, RFC 9207): `code`, `state` when one was sent, `iss`.
pub fn response_fields(code: &str, state: Option<&str>, issuer: &str) -> Vec<(String, String)> {
    let mut f = vec![("code".to_owned(), code.to_owned())];
    if let Some(st) = state {
        f.push(("state".to_owned(), st.to_owned()));
    }
    f.push(("iss".to_owned(), issuer.to_owned()));
    f
}

/// Where a successful response goes with `response_mode=query`: the
/// redirect URI with the response fields added to its query; `fallback`
/// when it does not parse.
pub fn response_location(
    redirect_uri: &str,
    fallback: &url::Url,
    fields: &[(String, String)],
) -> String {
    let mut u = url::Url::parse(redirect_uri).unwrap_or_else(|_| fallback.clone());
    u.query_pairs_mut().extend_pairs(fields.iter());
    u.to_string()
}

#[cfg(test)]
mod tests;
