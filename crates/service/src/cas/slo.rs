//! CAS single logout (CAS 3.0 §2.3.3): when a session ends, every
//! registered service that received a ticket in it is sent a SAML
//! `LogoutRequest` (form parameter `logoutRequest`), in the background:
//! a slow or dead service never delays the logout page. Requests go only
//! to the `logout_url` of the service's registry entry (no SSRF).

use crate::app::App;
use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use serde::{Deserialize, Serialize};
use sesame_store::EphemeralError;
use std::sync::Arc;
use std::time::Duration;

/// A ticket issued in a session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Issued {
    service_id: String,
    ticket: String,
}

fn key(sid: &str) -> String {
    format!("cas:slo:{sid}")
}

/// Seconds one logout request may take.
pub const TIMEOUT_SECS: u64 = 5;
/// Tickets remembered per session (the newest): a session that keeps
/// opening services does not grow without bound.
pub const MAX_REMEMBERED: usize = 50;

/// Remembers that a session gave a ticket to a service.
pub async fn remember(
    app: &App,
    sid: &str,
    service_id: &str,
    ticket: &str,
) -> Result<(), EphemeralError> {
    if sid.is_empty() {
        return Ok(());
    }
    let item = serde_json::to_vec(&Issued {
        service_id: service_id.to_owned(),
        ticket: ticket.to_owned(),
    })
    .unwrap_or_default();
    let ttl = Duration::from_secs(app.config.session.absolute_hours * 3600);
    app.store
        .push_capped(&key(sid), &item, MAX_REMEMBERED, ttl)
        .await
}

/// The SAML 2.0 `LogoutRequest` for a ticket.
pub fn logout_request(ticket: &str, now: time::OffsetDateTime) -> String {
    let id = format!("LR-{}", crate::session::new_token());
    let instant = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut w = Writer::new(Vec::new());
    let mut root = BytesStart::new("samlp:LogoutRequest");
    root.push_attribute(("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol"));
    root.push_attribute(("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion"));
    root.push_attribute(("ID", id.as_str()));
    root.push_attribute(("Version", "2.0"));
    root.push_attribute(("IssueInstant", instant.as_str()));
    let _ = w.write_event(Event::Start(root));
    for (name, text) in [
        ("saml:NameID", "@NOT_USED@"),
        ("samlp:SessionIndex", ticket),
    ] {
        let _ = w.write_event(Event::Start(BytesStart::new(name)));
        let _ = w.write_event(Event::Text(BytesText::new(text)));
        let _ = w.write_event(Event::End(BytesEnd::new(name)));
    }
    let _ = w.write_event(Event::End(BytesEnd::new("samlp:LogoutRequest")));
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

/// Sends, in the background, a logout request to every service that got a
/// ticket in the session `sid`.
pub fn single_logout(app: Arc<App>, sid: String) {
    if sid.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let issued: Vec<Issued> = match app.store.take_list(&key(&sid)).await {
            Ok(items) => items
                .iter()
                .filter_map(|i| serde_json::from_slice(i).ok())
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "single logout: the store did not answer");
                return;
            }
        };
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
        for i in issued {
            let Some(url) = app
                .config
                .services
                .iter()
                .find(|s| s.id == i.service_id)
                .and_then(|s| s.cas.as_ref())
                .and_then(|c| c.logout_url.clone())
            else {
                continue;
            };
            let body = logout_request(&i.ticket, app.clock.now());
            let client = client.clone();
            let service = i.service_id.clone();
            sends.push(tokio::spawn(async move {
                match client.post(url).form(&[("logoutRequest", body)]).send().await {
                    Ok(r) => tracing::info!(service.id = %service, status = r.status().as_u16(), "single logout sent"),
                    Err(e) => tracing::warn!(service.id = %service, error = %e, "single logout failed"),
                }
            }));
        }
        for s in sends {
            let _ = s.await;
        }
    });
}
