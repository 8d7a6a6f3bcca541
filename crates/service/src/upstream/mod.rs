//! Sésame as an OpenID Connect relying party of upstream providers (staff
//! directories, a national identity for parents), with the `openidconnect`
//! crate's types: discovery document, JWKS, authorization URL with PKCE,
//! state and nonce, token response, ID-token verification. Requests go out
//! through Sésame's own HTTP client (5 s, no redirects).
//!
//! The state of a login in flight is kept in the shared store under a
//! keyed hash of `state`, single use, 10 minutes: a replayed or forged
//! answer finds nothing and creates nothing.

mod accounts;
pub mod cache;

use cache::Discovered;

pub use accounts::{
    Confirmed, Greeting, ParentOutcome, candidate_resume, confirm_parent, display_name,
    link_account, parent, staff_session,
};

use crate::app::App;
use crate::config::Upstream;
use crate::session::{UpstreamLogin, new_token};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreProviderMetadata, CoreTokenResponse,
};
use openidconnect::{
    ClientId, ClientSecret, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl,
    Scope,
};
use serde::{Deserialize, Serialize};
use sesame_store::StoreError;
use sesame_store::federated::Claims;
use std::sync::Arc;
use std::time::Duration;

/// Why an upstream login failed; each is a French page with a way back.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No such provider.
    #[error("unknown upstream provider")]
    Unknown,
    /// The provider did not answer, or answered nonsense.
    #[error("upstream unreachable: {0}")]
    Unreachable(String),
    /// The provider returned an error (the user refused, or it failed).
    #[error("upstream returned an error: {0}")]
    Refused(String),
    /// The answer did not verify (signature, nonce, issuer, subject).
    #[error("upstream answer rejected: {0}")]
    Invalid(String),
    /// No login in flight for this answer: expired, replayed or forged.
    #[error("unknown or used state")]
    Expired,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sesame_store::EphemeralError> for UpstreamError {
    fn from(e: sesame_store::EphemeralError) -> Self {
        Self::Store(e.into())
    }
}

impl From<sesame_store::DbErr> for UpstreamError {
    fn from(e: sesame_store::DbErr) -> Self {
        Self::Store(e.into())
    }
}

/// A login in flight that does not read (written by another version): as
/// good as expired for the user; the cause is logged.
fn unreadable(e: serde_json::Error) -> UpstreamError {
    tracing::warn!(error = %e, "upstream login in flight unreadable: treated as expired");
    UpstreamError::Expired
}

/// Seconds a login may stay at the provider.
pub const STATE_SECONDS: u64 = 600;

/// The provider `id`.
pub fn find<'a>(app: &'a App, id: &str) -> Option<&'a Upstream> {
    app.config.upstream.iter().find(|u| u.id == id)
}

/// The providers offered to a profile.
pub fn for_profile(app: &App, profile: sesame_domain::Profile) -> Vec<&Upstream> {
    app.config
        .upstream
        .iter()
        .filter(|u| u.serves(profile))
        .collect()
}

/// Where every provider sends the browser back.
pub fn redirect_uri(app: &App) -> String {
    format!(
        "{}/amont/retour",
        app.config.server.public_url.as_str().trim_end_matches('/')
    )
}

/// How long a request to a provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the provider may take to answer when a login starts: a dead
/// provider gets the « indisponible » page at once rather than a browser
/// sent there (the cached discovery document does not say it is alive).
pub const REACHABILITY_TIMEOUT: Duration = Duration::from_secs(2);

fn http() -> Result<reqwest::Client, UpstreamError> {
    http_within(HTTP_TIMEOUT)
}

fn http_within(timeout: Duration) -> Result<reqwest::Client, UpstreamError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| UpstreamError::Unreachable(e.to_string()))
}

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
) -> Result<T, UpstreamError> {
    let r = client
        .get(url)
        .send()
        .await
        .map_err(|e| UpstreamError::Unreachable(format!("{url}: {e}")))?;
    if !r.status().is_success() {
        return Err(UpstreamError::Unreachable(format!("{url}: {}", r.status())));
    }
    let text = r
        .text()
        .await
        .map_err(|e| UpstreamError::Unreachable(format!("{url}: {e}")))?;
    serde_json::from_str(&text).map_err(|e| UpstreamError::Unreachable(format!("{url}: {e}")))
}

fn discovery_url(up: &Upstream) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        up.issuer.as_str().trim_end_matches('/')
    )
}

/// The provider's metadata with its keys, from the cache or fetched.
async fn metadata(app: &App, up: &Upstream) -> Result<Arc<Discovered>, UpstreamError> {
    if let Some(m) = app.upstreams.get(&up.id, app.clock.now()) {
        return Ok(m);
    }
    fetch_metadata(app, up, HTTP_TIMEOUT).await
}

/// The provider's metadata for a login that starts: fetched, or taken
/// from the cache once the provider has answered within
/// [`REACHABILITY_TIMEOUT`] (any answer but a server error); a provider
/// that does not is forgotten from the cache.
async fn metadata_if_reachable(app: &App, up: &Upstream) -> Result<Arc<Discovered>, UpstreamError> {
    // Not cached: fetching it is the check (with the usual timeout: the
    // document and its keys, maybe for many logins at once).
    let Some(m) = app.upstreams.get(&up.id, app.clock.now()) else {
        return fetch_metadata(app, up, HTTP_TIMEOUT).await;
    };
    let url = discovery_url(up);
    let answer = http_within(REACHABILITY_TIMEOUT)?.get(&url).send().await;
    match answer {
        Ok(r) if !r.status().is_server_error() => Ok(m),
        Ok(r) => {
            app.upstreams.forget(&up.id);
            Err(UpstreamError::Unreachable(format!("{url}: {}", r.status())))
        }
        Err(e) => {
            app.upstreams.forget(&up.id);
            Err(UpstreamError::Unreachable(format!("{url}: {e}")))
        }
    }
}

async fn fetch_metadata(
    app: &App,
    up: &Upstream,
    timeout: Duration,
) -> Result<Arc<Discovered>, UpstreamError> {
    let client = http_within(timeout)?;
    let issuer = up.issuer.as_str().trim_end_matches('/');
    let url = discovery_url(up);
    let doc: serde_json::Value = get_json(&client, &url).await?;
    let end_session = doc["end_session_endpoint"]
        .as_str()
        .filter(|u| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "https" | "http")))
        .map(str::to_owned);
    let meta: CoreProviderMetadata = serde_json::from_value(doc)
        .map_err(|e| UpstreamError::Unreachable(format!("{url}: {e}")))?;
    // OpenID Connect Discovery §4.3: the issuer must be the one asked.
    if meta.issuer().as_str().trim_end_matches('/') != issuer {
        return Err(UpstreamError::Invalid(format!(
            "the discovery document names issuer {} instead of {issuer}",
            meta.issuer().as_str()
        )));
    }
    let jwks: CoreJsonWebKeySet = get_json(&client, meta.jwks_uri().as_str()).await?;
    let meta = Arc::new(Discovered {
        meta: meta.set_jwks(jwks),
        end_session,
    });
    app.upstreams.keep(&up.id, app.clock.now(), meta.clone());
    Ok(meta)
}

fn secret(up: &Upstream) -> ClientSecret {
    ClientSecret::new(
        up.client_secret
            .as_ref()
            .map(|s| s.expose().to_owned())
            .unwrap_or_default(),
    )
}

/// A login in flight.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The provider.
    pub upstream: String,
    /// The profile chosen.
    pub profile: String,
    nonce: String,
    verifier: String,
    /// Where to go on afterwards (the web layer's CAS/OIDC context).
    pub resume: serde_json::Value,
    /// Set when an account is being linked to the provider.
    pub link_account: Option<i32>,
    /// A keyed hash of the browser's id: the answer is accepted from the
    /// browser that started the login only (no login CSRF).
    #[serde(default)]
    browser: String,
}

fn browser_key(app: &App, browser: &str) -> String {
    app.keys.stable_hmac(&format!("upstream-browser:{browser}"))
}

fn state_key(app: &App, state: &str) -> sesame_store::Key {
    sesame_store::Ns::UpstreamState.key(app.keys.stable_hmac(state))
}

/// Starts a login at provider `id` for `profile`; answers the URL to send
/// the browser to.
pub async fn start(
    app: &App,
    id: &str,
    profile: &str,
    browser: &str,
    resume: serde_json::Value,
    link_account: Option<i32>,
) -> Result<String, UpstreamError> {
    let up = find(app, id).ok_or(UpstreamError::Unknown)?;
    let meta = metadata_if_reachable(app, up).await?;
    let client = CoreClient::from_provider_metadata(
        meta.meta.clone(),
        ClientId::new(up.client_id.clone()),
        Some(secret(up)),
    )
    .set_redirect_uri(
        RedirectUrl::new(redirect_uri(app)).map_err(|e| UpstreamError::Invalid(e.to_string()))?,
    );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (state, nonce) = (new_token(), new_token());
    let (st, n) = (state.clone(), nonce.clone());
    let mut req = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(st),
            move || Nonce::new(n),
        )
        .set_pkce_challenge(challenge);
    for s in up.scopes.iter().filter(|s| *s != "openid") {
        req = req.add_scope(Scope::new(s.clone()));
    }
    let (url, _, _) = req.url();
    let pending = Pending {
        upstream: up.id.clone(),
        profile: profile.to_owned(),
        nonce,
        verifier: verifier.secret().clone(),
        resume,
        link_account,
        browser: browser_key(app, browser),
    };
    app.store
        .put(
            &state_key(app, &state),
            &serde_json::to_vec(&pending).unwrap_or_default(),
            Duration::from_secs(STATE_SECONDS),
        )
        .await?;
    Ok(url.to_string())
}

/// A verified identity back from a provider.
#[derive(Debug, Clone)]
pub struct Returned {
    /// The login in flight it answers.
    pub pending: Pending,
    /// The provider's subject.
    pub subject: String,
    /// The mapped claims.
    pub claims: Claims,
    /// How to log out at the provider afterwards.
    pub logout: UpstreamLogin,
}

fn claim_str(all: &serde_json::Value, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    match &all[name] {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
        // `openidconnect` serialises localized claims as `{"": "value"}`.
        serde_json::Value::Object(o) => o.values().find_map(|v| v.as_str()).map(str::to_owned),
        _ => None,
    }
}

fn claim_list(all: &serde_json::Value, name: &str) -> Vec<String> {
    if name.is_empty() {
        return Vec::new();
    }
    match &all[name] {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks the provider's answer (`/amont/retour?code&state` or `?error`):
/// the state is taken (single use), the code exchanged, the ID token
/// verified (signature, issuer, audience, expiry, nonce), userinfo read.
pub async fn finish(
    app: &App,
    params: &[(String, String)],
    browser: Option<&str>,
) -> Result<Returned, UpstreamError> {
    use subtle::ConstantTimeEq;
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let key = state_key(app, get("state").unwrap_or_default());
    // Another browser's answer (a login CSRF) is refused without spending
    // the state, which stays its owner's.
    let Some(v) = app.store.get(&key).await? else {
        return Err(UpstreamError::Expired);
    };
    let pending: Pending = serde_json::from_slice(&v).map_err(unreadable)?;
    let mine = browser.is_some_and(|b| {
        bool::from(
            browser_key(app, b)
                .as_bytes()
                .ct_eq(pending.browser.as_bytes()),
        )
    });
    if !mine {
        return Err(UpstreamError::Expired);
    }
    // Single use.
    if app.store.take(&key).await?.is_none() {
        return Err(UpstreamError::Expired);
    }
    if let Some(e) = get("error") {
        return Err(UpstreamError::Refused(e.chars().take(100).collect()));
    }
    let up = find(app, &pending.upstream).ok_or(UpstreamError::Unknown)?;
    let meta = metadata(app, up).await?;
    // RFC 9207: when the provider names itself, it must be this one.
    if let Some(iss) = get("iss")
        && iss.trim_end_matches('/') != meta.issuer().as_str().trim_end_matches('/')
    {
        return Err(UpstreamError::Invalid("iss of another provider".into()));
    }
    let code = get("code").ok_or_else(|| UpstreamError::Invalid("no code".into()))?;
    let token_url = meta
        .token_endpoint()
        .ok_or_else(|| UpstreamError::Unreachable("no token endpoint".into()))?
        .as_str()
        .to_owned();
    let http = http()?;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let r = http
        .post(&token_url)
        .basic_auth(enc(&up.client_id), Some(enc(secret(up).secret())))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri(app)),
            ("code_verifier", &pending.verifier),
        ])
        .send()
        .await
        .map_err(|e| UpstreamError::Unreachable(format!("{token_url}: {e}")))?;
    let status = r.status();
    let text = r
        .text()
        .await
        .map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
    if !status.is_success() {
        return Err(UpstreamError::Refused(format!("token endpoint {status}")));
    }
    let tokens: CoreTokenResponse =
        serde_json::from_str(&text).map_err(|e| UpstreamError::Invalid(e.to_string()))?;
    let id_token = tokens
        .extra_fields()
        .id_token()
        .ok_or_else(|| UpstreamError::Invalid("no ID token".into()))?;
    let client = CoreClient::from_provider_metadata(
        meta.meta.clone(),
        ClientId::new(up.client_id.clone()),
        Some(secret(up)),
    );
    // The ID token's times (`exp`, `iat`) are checked by the application
    // clock, like every other time; a time out of chrono's range fails
    // closed (every token expired).
    let clock = app.clock.clone();
    let verifier = client.id_token_verifier().set_time_fn(move || {
        chrono::DateTime::from_timestamp(clock.now().unix_timestamp(), 0)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
    });
    let verified = id_token
        .claims(&verifier, &Nonce::new(pending.nonce.clone()))
        .map_err(|e| UpstreamError::Invalid(e.to_string()))?;
    let subject = verified.subject().as_str().to_owned();
    let mut all = serde_json::to_value(verified).unwrap_or_default();
    if let Some(u) = meta.userinfo_endpoint() {
        let r = http
            .get(u.as_str())
            .bearer_auth(tokens.access_token().secret())
            .send()
            .await
            .map_err(|e| UpstreamError::Unreachable(format!("userinfo: {e}")))?;
        if !r.status().is_success() {
            return Err(UpstreamError::Unreachable(format!(
                "userinfo: {}",
                r.status()
            )));
        }
        let info: serde_json::Value = r
            .json()
            .await
            .map_err(|e| UpstreamError::Invalid(format!("userinfo: {e}")))?;
        if info["sub"].as_str() != Some(subject.as_str()) {
            return Err(UpstreamError::Invalid("userinfo of another subject".into()));
        }
        if let (Some(o), Some(i)) = (all.as_object_mut(), info.as_object()) {
            for (k, v) in i {
                o.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    let m = &up.claims;
    let claims = Claims {
        identifiant: claim_str(&all, &m.identifiant).unwrap_or_default(),
        first_name: claim_str(&all, &m.first_name),
        last_name: claim_str(&all, &m.last_name),
        email: claim_str(&all, &m.email),
        birth_date: claim_str(&all, &m.birth_date),
        uai: claim_list(&all, &m.uai),
        role: claim_str(&all, &m.role),
    };
    tracing::info!(upstream = %up.id, "upstream identity verified");
    let logout = UpstreamLogin {
        provider: up.id.clone(),
        id_token: id_token.to_string(),
        end_session: meta.end_session.clone(),
    };
    Ok(Returned {
        pending,
        subject,
        claims,
        logout,
    })
}

/// Where Sésame's registered `post_logout_redirect_uri` at every provider
/// leads: the page that says the logout is complete.
pub fn post_logout_redirect_uri(app: &App) -> String {
    format!(
        "{}/amont/deconnexion",
        app.config.server.public_url.as_str().trim_end_matches('/')
    )
}

/// The provider's logout URL for a session opened through it (OpenID
/// Connect RP-Initiated Logout 1.0: `id_token_hint`, `client_id`, and the
/// `post_logout_redirect_uri` registered there), when it publishes an
/// `end_session_endpoint`.
pub fn end_session_url(app: &App, login: &UpstreamLogin) -> Option<String> {
    let up = find(app, &login.provider)?;
    let mut u = url::Url::parse(login.end_session.as_deref()?).ok()?;
    u.query_pairs_mut()
        .append_pair("id_token_hint", &login.id_token)
        .append_pair("client_id", &up.client_id)
        .append_pair("post_logout_redirect_uri", &post_logout_redirect_uri(app));
    Some(u.to_string())
}
