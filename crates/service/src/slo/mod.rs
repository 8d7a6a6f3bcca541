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
//!
//! Each protocol answers through its hooks, and this module knows nothing
//! of their internals: `crate::cas::slo::notice` and
//! `crate::oidc::logout::{on_session_end, backchannel_notice}`.

pub mod notice;

use crate::app::App;
use crate::cas::slo::TIMEOUT_SECS;
pub use notice::Notice;
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
pub async fn end(app: Arc<App>, token: &str, sid: String) -> Result<(), sesame_store::StoreError> {
    crate::session::close(&app, token).await?;
    if sid.is_empty() {
        return Ok(());
    }
    crate::oidc::logout::on_session_end(&app, &sid).await?;
    tokio::spawn(notify(app, sid));
    Ok(())
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
        let notice = match p {
            Participant::Cas { service_id, ticket } => {
                crate::cas::slo::notice(&app, &service_id, &ticket)
            }
            Participant::Oidc {
                client_id,
                account_id,
            } => crate::oidc::logout::backchannel_notice(&app, &client_id, account_id, &sid).await,
        };
        let Some(n) = notice else {
            continue;
        };
        let client = client.clone();
        sends.push(tokio::spawn(async move {
            let service = n.service;
            match client.post(n.url).form(&[(n.field, n.value)]).send().await {
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
