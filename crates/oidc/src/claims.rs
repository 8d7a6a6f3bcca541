//! What Sésame says of a user in a signed token: the subject (OIDC Core
//! §8), the ID token (OIDC Core §2, §3.1.3.6) and the logout token
//! (Back-Channel Logout 1.0 §2.4). Time, keys and fresh identifiers are
//! passed in.

use crate::jws::Signing;
use crate::lifetimes::LOGOUT_TOKEN_SECONDS;
use openidconnect::core::{
    CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AdditionalClaims, Audience, IdToken, IdTokenClaims, IssuerUrl, Nonce,
    StandardClaims, SubjectIdentifier,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How a client's subjects are made (OIDC Core §8).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum SubjectType {
    /// One `sub` per account, the same for every client (the default).
    #[default]
    Public,
    /// One `sub` per account and client (§8.1).
    Pairwise,
}

impl SubjectType {
    /// Its name in the configuration and the discovery document.
    pub fn name(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }
}

impl TryFrom<String> for SubjectType {
    type Error = String;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        match name.as_str() {
            "public" => Ok(Self::Public),
            "pairwise" => Ok(Self::Pairwise),
            _ => Err(format!("{name:?}: use \"public\" or \"pairwise\"")),
        }
    }
}

impl From<SubjectType> for String {
    fn from(s: SubjectType) -> String {
        s.name().to_owned()
    }
}

/// The input of an account's subject (OIDC Core §8): `public`, one for
/// every client; `pairwise`, one per client (§8.1). Never derived from
/// names; the service hashes it with its secret key.
pub fn subject_input(account_id: i32, pairwise_client: Option<&str>) -> String {
    match pairwise_client {
        Some(client_id) => format!("oidc-sub:{client_id}:{account_id}"),
        None => format!("oidc-sub:{account_id}"),
    }
}

/// The subject from the keyed hash of its [`subject_input`]: its first
/// 32 characters.
pub fn subject(keyed_hash: &str) -> String {
    keyed_hash.chars().take(32).collect()
}

/// The ID token's claims beyond the standard ones: `sid`, the SSO
/// session (Back-Channel Logout 1.0 §2.1, Front-Channel Logout 1.0 §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The session's public id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl AdditionalClaims for SessionClaims {}

/// An ID token as `openidconnect` types it.
pub type SesameIdToken = IdToken<
    SessionClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// What an ID token says.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenInput<'a> {
    /// `iss`: the issuer.
    pub issuer: &'a str,
    /// `aud`: the client.
    pub client_id: &'a str,
    /// `sub`.
    pub subject: &'a str,
    /// `sid`: the SSO session; none or empty leaves the claim out.
    pub sid: Option<&'a str>,
    /// `auth_time`, unix seconds.
    pub auth_time: i64,
    /// `nonce`, from the authorization request (OIDC Core §3.1.2.1).
    pub nonce: Option<&'a str>,
    /// `iat`.
    pub now: OffsetDateTime,
    /// Seconds from `iat` to `exp`.
    pub lifetime_seconds: i64,
    /// The access token issued with it, hashed into `at_hash` (OIDC Core
    /// §3.1.3.6).
    pub access_token: Option<&'a str>,
}

/// Why an ID token cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum IdTokenError {
    /// The issuer is not a URL.
    #[error("ID token issuer: {0}")]
    Issuer(#[from] openidconnect::url::ParseError),
    /// A time out of range.
    #[error("ID token: time {0} out of range")]
    Time(i64),
    /// Signing failed.
    #[error("ID token signature: {0}")]
    Signing(#[from] openidconnect::JsonWebTokenError),
}

fn datetime(unix: i64) -> Result<chrono::DateTime<chrono::Utc>, IdTokenError> {
    chrono::DateTime::from_timestamp(unix, 0).ok_or(IdTokenError::Time(unix))
}

/// The ID token's claims (OIDC Core §2).
pub fn id_token_claims(
    input: &IdTokenInput<'_>,
) -> Result<IdTokenClaims<SessionClaims, CoreGenderClaim>, IdTokenError> {
    let iat = input.now.unix_timestamp();
    let now = datetime(iat)?;
    let exp = datetime(
        iat.checked_add(input.lifetime_seconds)
            .ok_or(IdTokenError::Time(i64::MAX))?,
    )?;
    let claims = IdTokenClaims::new(
        IssuerUrl::new(input.issuer.to_owned())?,
        vec![Audience::new(input.client_id.to_owned())],
        exp,
        now,
        StandardClaims::<CoreGenderClaim>::new(SubjectIdentifier::new(input.subject.to_owned())),
        SessionClaims {
            sid: input.sid.filter(|s| !s.is_empty()).map(str::to_owned),
        },
    )
    .set_auth_time(chrono::DateTime::from_timestamp(input.auth_time, 0))
    .set_nonce(input.nonce.map(|n| Nonce::new(n.to_owned())));
    Ok(claims)
}

/// The ID token, signed with `key` (OIDC Core §3.1.3.7 step 6-7: the
/// client checks it against the published JWKS).
pub fn id_token(input: &IdTokenInput<'_>, key: &Signing) -> Result<String, IdTokenError> {
    let access = input.access_token.map(|a| AccessToken::new(a.to_owned()));
    let token = SesameIdToken::new(
        id_token_claims(input)?,
        key,
        key.alg.jws(),
        access.as_ref(),
        None,
    )?;
    Ok(token.to_string())
}

/// What a logout token says (Back-Channel Logout 1.0 §2.4).
#[derive(Debug, Clone, Copy)]
pub struct LogoutInput<'a> {
    /// `iss`.
    pub issuer: &'a str,
    /// `aud`: the client told.
    pub client_id: &'a str,
    /// `sub`, as that client knows the user.
    pub subject: &'a str,
    /// `sid`: the ended session.
    pub sid: &'a str,
    /// `iat`.
    pub now: OffsetDateTime,
    /// `jti`: a fresh identifier.
    pub jti: &'a str,
}

/// The logout token's claims: `iss`, `aud`, `iat`, `exp` (two minutes),
/// `jti`, `sub`, `sid` and the back-channel logout event; never a `nonce`
/// (§2.4).
pub fn logout_claims(input: &LogoutInput<'_>) -> serde_json::Value {
    let now = input.now.unix_timestamp();
    serde_json::json!({
        "iss": input.issuer,
        "aud": input.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECONDS,
        "jti": input.jti,
        "sub": input.subject,
        "sid": input.sid,
        "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
    })
}

/// The logout token, signed with `key`, typed `logout+jwt` (§2.4).
pub fn logout_token(input: &LogoutInput<'_>, key: &Signing) -> String {
    key.jwt(Some("logout+jwt"), &logout_claims(input))
}

#[cfg(test)]
mod tests;
