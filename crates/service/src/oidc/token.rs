//! The token side: `/token` authenticates the client, redeems a code
//! (PKCE S256) or rotates a refresh token, and answers an ID token signed
//! RS256, an opaque access token and a refresh token; `/userinfo`,
//! revocation (RFC 7009) and introspection (RFC 7662).

use super::flow::{CodeGrant, client, hash_key};
use super::keys;
use crate::app::App;
use crate::config::OidcClient;
use crate::session::new_token;
use base64::Engine;
use openidconnect::core::{
    CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AdditionalClaims, Audience, IdToken, IdTokenClaims, IssuerUrl, Nonce,
    StandardClaims, SubjectIdentifier,
};
use serde::{Deserialize, Serialize};
use sesame_store::{Ns, Throttle, Verdict};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The ID token's claims beyond the standard ones: `sid` (the SSO
/// session, for back-channel logout).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
}

impl AdditionalClaims for SessionClaims {}

type SesameIdToken = IdToken<
    SessionClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// Seconds an access token (and an ID token) lives.
pub const TOKEN_SECONDS: u64 = 3600;

/// A token request, as read from the form and the Authorization header.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// `grant_type`.
    pub grant_type: String,
    /// `code`.
    pub code: String,
    /// `redirect_uri`.
    pub redirect_uri: String,
    /// `code_verifier`.
    pub code_verifier: Option<String>,
    /// `refresh_token`.
    pub refresh_token: String,
    /// The client id (Basic or form).
    pub client_id: String,
    /// The client secret (Basic or form).
    pub client_secret: Option<String>,
    /// The caller's address: wrong secrets are counted per client and
    /// address, so that nobody can lock a client out (CONC-04).
    pub ip: String,
}

/// Why a token request is refused (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Malformed request.
    InvalidRequest,
    /// Client authentication failed (401).
    InvalidClient,
    /// Bad, used or expired code, wrong redirect URI or verifier.
    InvalidGrant,
    /// Not `authorization_code` or `refresh_token`.
    UnsupportedGrantType,
    /// A grant the client is not registered for.
    UnauthorizedClient,
    /// Something failed inside.
    ServerError,
}

impl TokenError {
    /// The error code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::ServerError => "server_error",
        }
    }
}

/// The stable, opaque subject of an account: never derived from names;
/// for a client with `subject_type = "pairwise"`, one of its own.
pub fn subject(app: &App, account_id: i32, client: Option<&OidcClient>) -> String {
    let input = match client {
        Some(c) if c.subject_type == "pairwise" => {
            format!("oidc-sub:{}:{account_id}", c.client_id)
        }
        _ => format!("oidc-sub:{account_id}"),
    };
    app.keys.token_hmac(&input)[..32].to_owned()
}

pub(super) fn sub_for(app: &App, account_id: i32, client_id: &str) -> String {
    subject(app, account_id, client(app, client_id))
}

pub(super) async fn check_client(app: &App, req: &TokenRequest) -> Result<(), TokenError> {
    let Some(c) = client(app, &req.client_id) else {
        return Err(TokenError::InvalidClient);
    };
    let Some(hash) = &c.client_secret_hash else {
        // A public client: no secret, PKCE instead.
        return match req.client_secret {
            None => Ok(()),
            Some(_) => Err(TokenError::InvalidClient),
        };
    };
    // Per-client throttle (OIDC-08), per address (CONC-04): after too many
    // wrong secrets in a minute from one address, that address is refused
    // without a check; the client's own servers, elsewhere, are not.
    // Security: the attempt is reserved before the (argon2id) check and
    // given back on success, so that parallel requests cannot pass it.
    let now_s = app.clock.now().unix_timestamp();
    let throttle = Throttle::per_minute(i64::from(app.config.oidc.client_failures_per_minute));
    let who = format!("{}:{}", c.client_id, crate::login::pseudonym(app, &req.ip));
    let (failures, verdict) = throttle
        .reserve_in_window(&app.store, Ns::OidcClientFailures, who, now_s)
        .await
        .map_err(server_error)?;
    if let Verdict::Refused { first, .. } = verdict {
        if first {
            tracing::warn!(client_id = %c.client_id, "too many wrong client secrets from one address: refused until the minute is over");
        }
        return Err(TokenError::InvalidClient);
    }
    let known = match &req.client_secret {
        // The secret verified last for this client, kept in memory as a
        // keyed hash: argon2id costs tens of milliseconds, too much for
        // every token request; a constant-time comparison does not.
        Some(secret) if app.client_secrets.knows(app, &c.client_id, hash, secret) => true,
        // argon2id verification compares in constant time.
        Some(secret) if app.hasher.verify(secret, Some(hash)).await => {
            app.client_secrets.remember(app, &c.client_id, hash, secret);
            true
        }
        _ => false,
    };
    if !known {
        return Err(TokenError::InvalidClient);
    }
    throttle
        .release(&app.store, &failures)
        .await
        .map_err(server_error)?;
    Ok(())
}

/// Client secrets verified by argon2id, per client: a keyed hash of the
/// secret and of the stored argon2 hash (a changed registration forgets
/// it). Per process, never stored.
#[derive(Debug, Default)]
pub struct SecretCache(std::sync::Mutex<std::collections::HashMap<String, String>>);

impl SecretCache {
    fn digest(app: &App, stored_hash: &str, secret: &str) -> String {
        app.keys
            .token_hmac(&format!("oidc-client-secret:{stored_hash}:{secret}"))
    }

    fn knows(&self, app: &App, client_id: &str, stored_hash: &str, secret: &str) -> bool {
        use subtle::ConstantTimeEq;
        let d = Self::digest(app, stored_hash, secret);
        self.0.lock().is_ok_and(|m| {
            m.get(client_id)
                .is_some_and(|known| bool::from(known.as_bytes().ct_eq(d.as_bytes())))
        })
    }

    fn remember(&self, app: &App, client_id: &str, stored_hash: &str, secret: &str) {
        let d = Self::digest(app, stored_hash, secret);
        if let Ok(mut m) = self.0.lock() {
            m.insert(client_id.to_owned(), d);
        }
    }
}

/// A failure inside: its cause logged once, the client answered
/// `server_error` without it.
pub(super) fn server_error(e: impl std::fmt::Display) -> TokenError {
    tracing::error!(error = %e, "token request failed inside");
    TokenError::ServerError
}

/// Seconds a refresh token may go unused (its idle lifetime).
pub const REFRESH_IDLE_SECONDS: u64 = 14 * 24 * 3600;
/// Seconds a refresh-token family lives at most after the login.
pub const REFRESH_ABSOLUTE_SECONDS: i64 = 90 * 24 * 3600;

/// The token endpoint: `authorization_code` and `refresh_token`.
pub async fn token(app: &App, req: &TokenRequest) -> Result<serde_json::Value, TokenError> {
    let r = token_inner(app, req).await;
    let result = match &r {
        Ok(_) => "issued",
        Err(e) => e.as_str(),
    };
    metrics::counter!("sesame_oidc_token_requests_total", "result" => result).increment(1);
    r
}

async fn token_inner(app: &App, req: &TokenRequest) -> Result<serde_json::Value, TokenError> {
    match req.grant_type.as_str() {
        "authorization_code" => code_grant(app, req).await,
        "refresh_token" => refresh_grant(app, req).await,
        "" => Err(TokenError::InvalidRequest),
        _ => Err(TokenError::UnsupportedGrantType),
    }
}

async fn code_grant(app: &App, req: &TokenRequest) -> Result<serde_json::Value, TokenError> {
    check_client(app, req).await?;
    if req.code.is_empty() {
        return Err(TokenError::InvalidRequest);
    }
    let spent = hash_key(app, Ns::OidcCodeSpent, &req.code);
    let taken = app
        .store
        .take(&hash_key(app, Ns::OidcCode, &req.code))
        .await
        .map_err(|_| TokenError::ServerError)?
        .and_then(|v| serde_json::from_slice::<CodeGrant>(&v).ok());
    let Some(grant) = taken else {
        // A code presented twice (RFC 9700 §4.5): what it issued is revoked.
        revoke_replayed(app, &spent).await?;
        return Err(TokenError::InvalidGrant);
    };
    let r = &grant.request;
    if r.client_id != req.client_id
        || r.redirect_uri != req.redirect_uri
        || app.clock.now().unix_timestamp() > grant.expires_at
    {
        return Err(TokenError::InvalidGrant);
    }
    // Security: a code outlives neither the session that gave it nor a
    // password change (REV-02).
    if !crate::session::alive(app, grant.account_id, &grant.sid, grant.generation)
        .await
        .map_err(server_error)?
    {
        return Err(TokenError::InvalidGrant);
    }
    // RFC 7636 §4.1: 43 to 128 unreserved characters.
    let well_formed = |v: &str| {
        (43..=128).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    };
    match (&r.code_challenge, req.code_verifier.as_deref()) {
        // A verifier for a code obtained without a challenge: a downgrade.
        (None, Some(_)) => return Err(TokenError::InvalidGrant),
        (Some(_), Some(v)) if !well_formed(v) => return Err(TokenError::InvalidGrant),
        _ => {}
    }
    if let Some(challenge) = &r.code_challenge {
        let verifier = req
            .code_verifier
            .as_deref()
            .ok_or(TokenError::InvalidGrant)?;
        let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        use subtle::ConstantTimeEq;
        if !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
            return Err(TokenError::InvalidGrant);
        }
    }
    let family = Family {
        id: new_token(),
        client_id: r.client_id.clone(),
        scopes: r.scopes.clone(),
        auth_time: grant.auth_time,
        started: app.clock.now().unix_timestamp(),
        login: Login {
            account_id: grant.account_id,
            sid: grant.sid.clone(),
            generation: grant.generation,
            profile: grant.profile.clone(),
        },
    };
    app.store
        .put(
            &spent,
            family.id.as_bytes(),
            Duration::from_secs(REFRESH_ABSOLUTE_SECONDS as u64),
        )
        .await
        .map_err(|_| TokenError::ServerError)?;
    issue_tokens(app, &family, r.nonce.as_deref()).await
}

/// What a refresh token (and the tokens issued from it) belongs to: one
/// login of one account at one client. Reusing a spent refresh token
/// revokes the whole family.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Family {
    pub(super) id: String,
    pub(super) client_id: String,
    pub(super) scopes: Vec<String>,
    pub(super) auth_time: i64,
    pub(super) started: i64,
    #[serde(flatten)]
    pub(super) login: Login,
}

/// The login tokens come from: the account, and what revokes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Login {
    pub(super) account_id: i32,
    /// The SSO session: logging out revokes its tokens.
    #[serde(default)]
    pub(super) sid: String,
    /// The account's session generation: a password change revokes them.
    #[serde(default)]
    pub(super) generation: i64,
    /// The profile chosen at login.
    #[serde(default)]
    pub(super) profile: String,
}

impl Login {
    /// Whether the family `family` of this login is revoked.
    async fn revoked(&self, app: &App, family: &str) -> Result<bool, sesame_store::StoreError> {
        Ok(family_revoked(app, family).await?
            || !crate::session::alive(app, self.account_id, &self.sid, self.generation).await?)
    }
}

impl Family {
    pub(super) async fn revoked(&self, app: &App) -> Result<bool, sesame_store::StoreError> {
        self.login.revoked(app, &self.id).await
    }
}

async fn family_revoked(app: &App, id: &str) -> Result<bool, sesame_store::EphemeralError> {
    Ok(app.store.get(&Ns::OidcRevoked.key(id)).await?.is_some())
}

/// A spent code or refresh token presented again: someone holds a copy, so
/// everything issued from it is revoked (RFC 9700 §4.5, §4.14).
async fn revoke_replayed(app: &App, spent_key: &sesame_store::Key) -> Result<(), TokenError> {
    let family = app
        .store
        .get(spent_key)
        .await
        .map_err(|_| TokenError::ServerError)?;
    if let Some(id) = family {
        tracing::warn!("refresh token or code reused: its family is revoked");
        revoke_family(app, &String::from_utf8_lossy(&id)).await?;
    }
    Ok(())
}

pub(super) async fn revoke_family(app: &App, id: &str) -> Result<(), TokenError> {
    app.store
        .put(
            &Ns::OidcRevoked.key(id),
            b"1",
            Duration::from_secs(REFRESH_ABSOLUTE_SECONDS as u64),
        )
        .await
        .map_err(|_| TokenError::ServerError)
}

async fn refresh_grant(app: &App, req: &TokenRequest) -> Result<serde_json::Value, TokenError> {
    check_client(app, req).await?;
    if !client(app, &req.client_id).is_some_and(|c| c.refresh_tokens) {
        return Err(TokenError::UnauthorizedClient);
    }
    if req.refresh_token.is_empty() {
        return Err(TokenError::InvalidRequest);
    }
    let key = hash_key(app, Ns::OidcRefreshToken, &req.refresh_token);
    let spent = hash_key(app, Ns::OidcRefreshSpent, &req.refresh_token);
    let taken = app
        .store
        .take(&key)
        .await
        .map_err(|_| TokenError::ServerError)?;
    let Some(family) = taken.and_then(|v| serde_json::from_slice::<Family>(&v).ok()) else {
        // A spent token presented again: someone holds a copy. Revoke all.
        revoke_replayed(app, &spent).await?;
        return Err(TokenError::InvalidGrant);
    };
    app.store
        .put(
            &spent,
            family.id.as_bytes(),
            Duration::from_secs(REFRESH_ABSOLUTE_SECONDS as u64),
        )
        .await
        .map_err(|_| TokenError::ServerError)?;
    if family.client_id != req.client_id
        || family.revoked(app).await.map_err(server_error)?
        || app.clock.now().unix_timestamp() - family.started > REFRESH_ABSOLUTE_SECONDS
    {
        return Err(TokenError::InvalidGrant);
    }
    issue_tokens(app, &family, None).await
}

/// An access token, a rotated refresh token and an ID token for a family.
async fn issue_tokens(
    app: &App,
    family: &Family,
    nonce: Option<&str>,
) -> Result<serde_json::Value, TokenError> {
    let account = sesame_store::accounts::find(app.db.conn(), family.login.account_id)
        .await
        .map_err(|_| TokenError::ServerError)?
        .filter(|a| a.is_active())
        .ok_or(TokenError::InvalidGrant)?;
    let access = new_token();
    let at = AccessGrant {
        client_id: family.client_id.clone(),
        scopes: family.scopes.clone(),
        family: family.id.clone(),
        exp: app.clock.now().unix_timestamp() + TOKEN_SECONDS as i64,
        login: family.login.clone(),
    };
    app.store
        .put(
            &hash_key(app, Ns::OidcAccessToken, &access),
            &serde_json::to_vec(&at).unwrap_or_default(),
            Duration::from_secs(TOKEN_SECONDS),
        )
        .await
        .map_err(|_| TokenError::ServerError)?;
    let c = client(app, &family.client_id).ok_or(TokenError::InvalidClient)?;
    let refresh = if c.refresh_tokens {
        let refresh = new_token();
        app.store
            .put(
                &hash_key(app, Ns::OidcRefreshToken, &refresh),
                &serde_json::to_vec(family).unwrap_or_default(),
                Duration::from_secs(REFRESH_IDLE_SECONDS),
            )
            .await
            .map_err(|_| TokenError::ServerError)?;
        Some(refresh)
    } else {
        None
    };
    let alg = keys::Alg::parse(&c.id_token_signed_response_alg).unwrap_or(keys::Alg::Rs256);
    let key = keys::signing_key(app, alg)
        .await
        .map_err(|_| TokenError::ServerError)?;
    let now = chrono::DateTime::from_timestamp(app.clock.now().unix_timestamp(), 0)
        .ok_or(TokenError::ServerError)?;
    let issuer =
        IssuerUrl::new(super::discovery::issuer(app)).map_err(|_| TokenError::ServerError)?;
    let mut claims = IdTokenClaims::new(
        issuer,
        vec![Audience::new(family.client_id.clone())],
        now + chrono::Duration::seconds(TOKEN_SECONDS as i64),
        now,
        StandardClaims::<CoreGenderClaim>::new(SubjectIdentifier::new(subject(
            app,
            account.id,
            Some(c),
        ))),
        SessionClaims {
            sid: (!family.login.sid.is_empty()).then(|| family.login.sid.clone()),
        },
    )
    .set_auth_time(chrono::DateTime::from_timestamp(family.auth_time, 0));
    if let Some(n) = nonce {
        claims = claims.set_nonce(Some(Nonce::new(n.to_owned())));
    }
    let id_token = SesameIdToken::new(
        claims,
        key.as_ref(),
        alg.jws(),
        Some(&AccessToken::new(access.clone())),
        None,
    )
    .map_err(|_| TokenError::ServerError)?;
    let mut out = serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": TOKEN_SECONDS,
        "scope": family.scopes.join(" "),
        "id_token": id_token.to_string(),
    });
    if let Some(rt) = refresh {
        out["refresh_token"] = rt.into();
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct AccessGrant {
    pub(super) client_id: String,
    pub(super) scopes: Vec<String>,
    pub(super) family: String,
    #[serde(default)]
    pub(super) exp: i64,
    #[serde(flatten)]
    pub(super) login: Login,
}

impl AccessGrant {
    pub(super) async fn revoked(&self, app: &App) -> Result<bool, sesame_store::StoreError> {
        self.login.revoked(app, &self.family).await
    }
}
