//! Single logout across protocols: one SSO session, whichever protocol
//! ends it. Every CAS ticket and OpenID Connect code given in a session is
//! remembered under the session's public id (`sid`); when the session
//! ends, in the background (a slow or dead service never delays the
//! logout page):
//!
//! - each CAS service with a `logout_url` is POSTed a SAML
//!   `LogoutRequest` (CAS 3.0 §2.3.3);
//! - each OpenID Connect client with a `backchannel_logout_uri` is POSTed
//!   a signed logout token (OpenID Connect Back-Channel Logout 1.0).
//!
//! Requests go only to the URLs of the registry (no SSRF). The tokens an
//! OpenID Connect client got in that session (access and refresh) are
//! revoked at once, before anything is sent.

use crate::app::App;
use crate::cas::slo::{TIMEOUT_SECS, logout_request};
use serde::{Deserialize, Serialize};
use sesame_store::{EphemeralError, Key, Ns};
use std::sync::Arc;
use std::time::Duration;

/// What a session gave to whom.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Participant {
    /// A CAS service ticket.
    Cas { service_id: String, ticket: String },
    /// An OpenID Connect authorization code.
    Oidc { client_id: String, account_id: i32 },
}

fn key(sid: &str) -> Key {
    Ns::Slo.key(sid)
}

/// The marker of an ended session, which revokes the OpenID Connect
/// tokens obtained in it.
pub(crate) fn ended_key(sid: &str) -> Key {
    Ns::SloEnded.key(sid)
}

/// Things remembered per session (the newest): a session that keeps
/// opening services does not grow without bound.
pub const MAX_REMEMBERED: usize = 50;

async fn remember(app: &App, sid: &str, p: &Participant) -> Result<(), EphemeralError> {
    if sid.is_empty() {
        return Ok(());
    }
    let item = serde_json::to_vec(p).unwrap_or_default();
    let ttl = Duration::from_secs(app.config.session.absolute_hours * 3600);
    app.store
        .push_capped(&key(sid), &item, MAX_REMEMBERED, ttl)
        .await
}

/// Remembers that a session gave a ticket to a CAS service.
pub async fn remember_cas(
    app: &App,
    sid: &str,
    service_id: &str,
    ticket: &str,
) -> Result<(), EphemeralError> {
    let p = Participant::Cas {
        service_id: service_id.to_owned(),
        ticket: ticket.to_owned(),
    };
    remember(app, sid, &p).await
}

/// Remembers that a session gave a code to an OpenID Connect client.
pub async fn remember_oidc(
    app: &App,
    sid: &str,
    client_id: &str,
    account_id: i32,
) -> Result<(), EphemeralError> {
    let p = Participant::Oidc {
        client_id: client_id.to_owned(),
        account_id,
    };
    remember(app, sid, &p).await
}

/// Ends the session of cookie `token` (public id `sid`): the session is
/// closed and its OpenID Connect tokens revoked now; the services are told
/// in the background.
pub async fn end(app: Arc<App>, token: &str, sid: String) -> Result<(), EphemeralError> {
    crate::session::close(&app, token).await?;
    if sid.is_empty() {
        return Ok(());
    }
    let ttl = Duration::from_secs(crate::oidc::token::REFRESH_ABSOLUTE_SECONDS as u64);
    app.store.put(&ended_key(&sid), b"1", ttl).await?;
    tokio::spawn(notify(app, sid));
    Ok(())
}

/// The logout token for a client (Back-Channel Logout 1.0 §2.4).
pub async fn logout_token(
    app: &App,
    client: &crate::config::OidcClient,
    account_id: i32,
    sid: &str,
) -> Result<String, crate::oidc::keys::KeyError> {
    use crate::oidc::keys;
    let alg = keys::Alg::parse(&client.id_token_signed_response_alg).unwrap_or(keys::Alg::Rs256);
    let key = keys::signing_key(app, alg).await?;
    let now = app.clock.now().unix_timestamp();
    let claims = serde_json::json!({
        "iss": crate::oidc::discovery::issuer(app),
        "aud": client.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": crate::session::new_token(),
        "sub": crate::oidc::token::subject(app, account_id, Some(client)),
        "sid": sid,
        "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
    });
    Ok(key.jwt(Some("logout+jwt"), &claims))
}

async fn notify(app: Arc<App>, sid: String) {
    let mut participants: Vec<Participant> = match app.store.take_list(&key(&sid)).await {
        Ok(items) => items
            .iter()
            .filter_map(|i| serde_json::from_slice(i).ok())
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "single logout: the store did not answer");
            return;
        }
    };
    // One logout token per client, however many codes it got.
    let mut seen = std::collections::HashSet::new();
    participants.retain(|p| match p {
        Participant::Oidc { client_id, .. } => seen.insert(client_id.clone()),
        Participant::Cas { .. } => true,
    });
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(TIMEOUT_SECS))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "single logout: no HTTP client");
            return;
        }
    };
    let mut sends = Vec::new();
    for p in participants {
        let (service, url, form) = match p {
            Participant::Cas { service_id, ticket } => {
                let Some(url) = app
                    .config
                    .services
                    .iter()
                    .find(|s| s.id == service_id)
                    .and_then(|s| s.cas.as_ref())
                    .and_then(|c| c.logout_url.clone())
                else {
                    continue;
                };
                let body = logout_request(&ticket, app.clock.now());
                (service_id, url, ("logoutRequest", body))
            }
            Participant::Oidc {
                client_id,
                account_id,
            } => {
                let Some(c) = crate::oidc::flow::client(&app, &client_id) else {
                    continue;
                };
                let Some(url) = c.backchannel_logout_uri.clone() else {
                    continue;
                };
                match logout_token(&app, c, account_id, &sid).await {
                    Ok(t) => (client_id, url, ("logout_token", t)),
                    Err(e) => {
                        tracing::error!(error = %e, "back-channel logout: no logout token");
                        continue;
                    }
                }
            }
        };
        let client = client.clone();
        sends.push(tokio::spawn(async move {
            match client.post(url).form(&[form]).send().await {
                Ok(r) => {
                    tracing::info!(service.id = %service, status = r.status().as_u16(), "single logout sent")
                }
                Err(e) => tracing::warn!(service.id = %service, error = %e, "single logout failed"),
            }
        }));
    }
    for s in sends {
        let _ = s.await;
    }
}
