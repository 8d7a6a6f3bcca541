//! Sésame as an OpenID Connect relying party of upstream providers (staff
//! directories, a national identity for parents), with the `openidconnect`
//! crate's types: discovery document, JWKS, authorization URL with PKCE,
//! state and nonce, token response, ID-token verification. Requests go out
//! through Sésame's own HTTP client (5 s, no redirects).
//!
//! The state of a login in flight is kept in the shared store under a
//! keyed hash of `state`, single use, 10 minutes: a replayed or forged
//! answer finds nothing and creates nothing.

use crate::app::App;
use crate::config::Upstream;
use crate::session::{Session, new_token};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreProviderMetadata, CoreTokenResponse,
};
use openidconnect::{
    ClientId, ClientSecret, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl,
    Scope,
};
use serde::{Deserialize, Serialize};
use sesame_domain::name::normalize_first_name;
use sesame_store::federated::{self, Claims};
use sesame_store::{StoreError, TransactionTrait, accounts};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// Discovery documents (with their JWKS), per provider, for 10 minutes.
#[derive(Debug, Default)]
pub struct Cache(Mutex<HashMap<String, (Instant, Arc<CoreProviderMetadata>)>>);

const DISCOVERY_TTL: Duration = Duration::from_secs(600);
/// Seconds a login may stay at the provider.
pub const STATE_SECONDS: u64 = 600;

/// The provider `id`.
pub fn find<'a>(app: &'a App, id: &str) -> Option<&'a Upstream> {
    app.config.upstream.iter().find(|u| u.id == id)
}

/// The providers offered to a profile.
pub fn for_profile<'a>(app: &'a App, profile: &str) -> Vec<&'a Upstream> {
    app.config
        .upstream
        .iter()
        .filter(|u| u.profiles.iter().any(|p| p == profile))
        .collect()
}

/// Where every provider sends the browser back.
pub fn redirect_uri(app: &App) -> String {
    format!(
        "{}/amont/retour",
        app.config.server.public_url.as_str().trim_end_matches('/')
    )
}

fn http() -> Result<reqwest::Client, UpstreamError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
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

/// The provider's metadata with its keys, from the cache or fetched.
async fn metadata(app: &App, up: &Upstream) -> Result<Arc<CoreProviderMetadata>, UpstreamError> {
    if let Ok(c) = app.upstreams.0.lock()
        && let Some((at, m)) = c.get(&up.id)
        && at.elapsed() < DISCOVERY_TTL
    {
        return Ok(m.clone());
    }
    let client = http()?;
    let issuer = up.issuer.as_str().trim_end_matches('/');
    let meta: CoreProviderMetadata = get_json(
        &client,
        &format!("{issuer}/.well-known/openid-configuration"),
    )
    .await?;
    // OpenID Connect Discovery §4.3: the issuer must be the one asked.
    if meta.issuer().as_str().trim_end_matches('/') != issuer {
        return Err(UpstreamError::Invalid(format!(
            "the discovery document names issuer {} instead of {issuer}",
            meta.issuer().as_str()
        )));
    }
    let jwks: CoreJsonWebKeySet = get_json(&client, meta.jwks_uri().as_str()).await?;
    let meta = Arc::new(meta.set_jwks(jwks));
    if let Ok(mut c) = app.upstreams.0.lock() {
        c.insert(up.id.clone(), (Instant::now(), meta.clone()));
    }
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
}

fn state_key(app: &App, state: &str) -> String {
    format!("up:state:{}", app.keys.token_hmac(state))
}

/// Starts a login at provider `id` for `profile`; answers the URL to send
/// the browser to.
pub async fn start(
    app: &App,
    id: &str,
    profile: &str,
    resume: serde_json::Value,
    link_account: Option<i32>,
) -> Result<String, UpstreamError> {
    let up = find(app, id).ok_or(UpstreamError::Unknown)?;
    let meta = metadata(app, up).await?;
    let client = CoreClient::from_provider_metadata(
        (*meta).clone(),
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
pub async fn finish(app: &App, params: &[(String, String)]) -> Result<Returned, UpstreamError> {
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let state = get("state").unwrap_or_default();
    let pending: Pending = match app.store.take(&state_key(app, state)).await? {
        Some(v) => serde_json::from_slice(&v).map_err(|_| UpstreamError::Expired)?,
        None => return Err(UpstreamError::Expired),
    };
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
        (*meta).clone(),
        ClientId::new(up.client_id.clone()),
        Some(secret(up)),
    );
    let verified = id_token
        .claims(
            &client.id_token_verifier(),
            &Nonce::new(pending.nonce.clone()),
        )
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
    Ok(Returned {
        pending,
        subject,
        claims,
    })
}

/// The account name of a federated account: never typed at the login
/// page (its password never verifies).
fn internal_identifiant(up: &str, subject: &str) -> String {
    format!("{up}:{subject}").to_lowercase()
}

/// A federated account has no password: this never verifies.
const NO_PASSWORD: &str = "!federated";

fn session(account_id: i32, display: &str, kind: &str, profile: &str, now: i64) -> Session {
    Session {
        account_id,
        identifiant: display.to_owned(),
        kind: kind.to_owned(),
        profile: profile.to_owned(),
        auth_time: now,
        generation: 0,
        must_change: None,
        sid: String::new(),
    }
}

/// Links a new account to its provider's subject, and says so in the
/// audit log (in the creating transaction).
async fn link_created(
    txn: &impl sesame_store::ConnectionTrait,
    upstream: &str,
    subject: &str,
    account_id: i32,
    claims: &Claims,
    now: time::OffsetDateTime,
) -> Result<(), sesame_store::DbErr> {
    federated::link(txn, upstream, subject, account_id, claims, now).await?;
    accounts::audit(
        txn,
        "account_created_upstream",
        Some(account_id),
        None,
        None,
        now,
    )
    .await
}

/// The session of an active account linked to a provider.
async fn active_session(
    app: &App,
    account_id: i32,
    profile: &str,
) -> Result<Session, UpstreamError> {
    let a = accounts::find(app.db.conn(), account_id)
        .await?
        .filter(|a| a.state == "active")
        .ok_or_else(|| UpstreamError::Invalid("account not active".into()))?;
    Ok(session(
        a.id,
        &a.identifiant_display,
        &a.kind,
        profile,
        app.clock.now().unix_timestamp(),
    ))
}

/// A staff (or guest) login: the account linked to the provider's
/// subject, created the first time; answers the session to open.
pub async fn staff_session(app: &App, r: &Returned) -> Result<Session, UpstreamError> {
    let now = app.clock.now();
    let conn = app.db.conn();
    let up = &r.pending.upstream;
    let display = if r.claims.identifiant.is_empty() {
        r.subject.clone()
    } else {
        r.claims.identifiant.clone()
    };
    let account_id = match federated::account_of(conn, up, &r.subject).await? {
        Some(id) => {
            federated::touch(conn, up, &r.subject, &r.claims, now).await?;
            id
        }
        None => {
            let txn = conn.begin().await?;
            let a = accounts::insert(
                &txn,
                accounts::NewAccount {
                    identifiant: internal_identifiant(up, &r.subject),
                    identifiant_display: display.clone(),
                    password_hash: NO_PASSWORD.into(),
                    email: r.claims.email.clone(),
                    state: "active",
                    kind: "federe",
                    joint: false,
                },
                now,
            )
            .await?;
            link_created(&txn, up, &r.subject, a.id, &r.claims, now).await?;
            txn.commit().await?;
            a.id
        }
    };
    active_session(app, account_id, &r.pending.profile).await
}

/// What a parent's national identity leads to.
#[derive(Debug)]
pub enum ParentOutcome {
    /// Linked before: logged in.
    LoggedIn(Session),
    /// Exactly one guardian matches: confirm with a child (the ticket of
    /// the confirmation form).
    Confirm(String),
    /// No guardian of that name.
    NoMatch,
    /// Several guardians of that name (the codes path tells them apart).
    Several,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Candidate {
    upstream: String,
    subject: String,
    claims: Claims,
    guardians: Vec<i32>,
    profile: String,
    resume: serde_json::Value,
}

fn candidate_key(app: &App, ticket: &str) -> String {
    format!("up:candidate:{}", app.keys.token_hmac(ticket))
}

/// Attempts allowed at the confirmation form.
pub const CONFIRM_ATTEMPTS: i64 = 5;

/// A parent back from a national identity provider.
pub async fn parent(app: &App, r: &Returned) -> Result<ParentOutcome, UpstreamError> {
    let conn = app.db.conn();
    let now = app.clock.now();
    if let Some(id) = federated::account_of(conn, &r.pending.upstream, &r.subject).await? {
        federated::touch(conn, &r.pending.upstream, &r.subject, &r.claims, now).await?;
        return Ok(ParentOutcome::LoggedIn(
            active_session(app, id, &r.pending.profile).await?,
        ));
    }
    let (Some(first), Some(last)) = (&r.claims.first_name, &r.claims.last_name) else {
        return Ok(ParentOutcome::NoMatch);
    };
    let (first, last) = (normalize_first_name(first), normalize_first_name(last));
    // SIECLE keeps one record per school: same-name records of different
    // schools are one person; two in one school are two people.
    let matching: Vec<(i32, i32)> = federated::guardians(conn)
        .await?
        .into_iter()
        .filter(|(_, _, l, f)| normalize_first_name(l) == last && normalize_first_name(f) == first)
        .map(|(id, school, _, _)| (id, school))
        .collect();
    if matching.is_empty() {
        return Ok(ParentOutcome::NoMatch);
    }
    let mut schools = std::collections::HashSet::new();
    if !matching.iter().all(|(_, school)| schools.insert(*school)) {
        return Ok(ParentOutcome::Several);
    }
    let matching: Vec<i32> = matching.into_iter().map(|(id, _)| id).collect();
    let ticket = new_token();
    let c = Candidate {
        upstream: r.pending.upstream.clone(),
        subject: r.subject.clone(),
        claims: r.claims.clone(),
        guardians: matching,
        profile: r.pending.profile.clone(),
        resume: r.pending.resume.clone(),
    };
    app.store
        .put(
            &candidate_key(app, &ticket),
            &serde_json::to_vec(&c).unwrap_or_default(),
            Duration::from_secs(STATE_SECONDS),
        )
        .await?;
    Ok(ParentOutcome::Confirm(ticket))
}

/// The confirmation's result.
#[derive(Debug)]
pub enum Confirmed {
    /// The account is created (or was): the session to open and where to
    /// resume.
    Done(Session, serde_json::Value),
    /// Wrong child or code: try again (the same message whatever was wrong).
    Wrong,
    /// An account already holds this guardian's codes.
    AlreadyHasAccount,
}

/// Confirms a matched parent with one child's first name and birth date,
/// or an activation code; creates the account with every child of the
/// guardian, in one transaction.
pub async fn confirm_parent(
    app: &App,
    ticket: &str,
    prenom: &str,
    naissance: Option<time::Date>,
    code: Option<&sesame_domain::ActivationCode>,
) -> Result<Confirmed, UpstreamError> {
    let conn = app.db.conn();
    let now = app.clock.now();
    let key = candidate_key(app, ticket);
    let c: Candidate = match app.store.get(&key).await? {
        Some(v) => serde_json::from_slice(&v).map_err(|_| UpstreamError::Expired)?,
        None => return Err(UpstreamError::Expired),
    };
    let pupils = federated::pupils_of(conn, &c.guardians, now.date()).await?;
    let key_name = normalize_first_name(prenom);
    let mut ok = naissance.is_some_and(|date| {
        pupils
            .iter()
            .any(|(_, name, birth)| *name == key_name && *birth == date)
    });
    if let Some(code) = code
        && let Some(info) =
            sesame_store::codes::find_by_hmac(conn, &app.keys.code_hmac(code)).await?
        && info.guardian_id.is_some_and(|g| c.guardians.contains(&g))
        && info.revoked_at.is_none()
    {
        ok = true;
    }
    if !ok {
        let n = app
            .store
            .incr(&format!("{key}:fail"), Duration::from_secs(STATE_SECONDS))
            .await?;
        if n >= CONFIRM_ATTEMPTS {
            app.store.delete(&key).await?;
        }
        return Ok(Confirmed::Wrong);
    }
    let codes = federated::codes_of(conn, &c.guardians).await?;
    if codes.iter().any(|(_, used)| used.is_some()) {
        return Ok(Confirmed::AlreadyHasAccount);
    }
    let display = if c.claims.identifiant.is_empty() {
        format!(
            "{}.{}",
            c.claims.first_name.clone().unwrap_or_default(),
            c.claims.last_name.clone().unwrap_or_default()
        )
        .to_lowercase()
    } else {
        c.claims.identifiant.clone()
    };
    let txn = conn.begin().await?;
    let a = accounts::insert(
        &txn,
        accounts::NewAccount {
            identifiant: internal_identifiant(&c.upstream, &c.subject),
            identifiant_display: display,
            password_hash: NO_PASSWORD.into(),
            email: c.claims.email.clone(),
            state: "active",
            kind: "responsable",
            joint: false,
        },
        now,
    )
    .await?;
    for (p, _, _) in &pupils {
        accounts::link_pupil(&txn, a.id, *p).await?;
    }
    for g in &c.guardians {
        accounts::link_guardian(&txn, a.id, *g).await?;
    }
    for (code_id, _) in &codes {
        if !accounts::claim_code(&txn, *code_id, a.id).await? {
            txn.rollback().await?;
            return Ok(Confirmed::AlreadyHasAccount);
        }
    }
    link_created(&txn, &c.upstream, &c.subject, a.id, &c.claims, now).await?;
    txn.commit().await?;
    app.store.delete(&key).await?;
    tracing::info!(account.id = a.id, upstream = %c.upstream, children = pupils.len(), "parent account created from a national identity");
    Ok(Confirmed::Done(
        session(
            a.id,
            &a.identifiant_display,
            &a.kind,
            &c.profile,
            now.unix_timestamp(),
        ),
        c.resume,
    ))
}

/// Links an existing account to the provider's subject; false when that
/// subject is already linked to another account.
pub async fn link_account(app: &App, account_id: i32, r: &Returned) -> Result<bool, UpstreamError> {
    let conn = app.db.conn();
    match federated::account_of(conn, &r.pending.upstream, &r.subject).await? {
        Some(id) => Ok(id == account_id),
        None => {
            federated::link(
                conn,
                &r.pending.upstream,
                &r.subject,
                account_id,
                &r.claims,
                app.clock.now(),
            )
            .await?;
            Ok(true)
        }
    }
}
