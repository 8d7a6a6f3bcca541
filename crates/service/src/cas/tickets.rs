//! Service, proxy and proxy-granting tickets in the shared store, under a
//! keyed hash, with their own expiry time read from the application clock
//! (the store's expiry only collects them). Their syntax and records are
//! [`sesame_cas::ticket`]'s.

use crate::app::App;
use rand::Rng;
use sesame_cas::ticket::{self, PROXY_GRANTING, PROXY_GRANTING_IOU, SERVICE};
use sesame_store::{EphemeralError, Key, Ns};
use std::time::Duration;

pub use sesame_cas::ticket::{ProxyGrantingTicket, ServiceTicket, well_formed};

fn key(app: &App, ticket: &str) -> Key {
    Ns::ServiceTicket.key(app.keys.stable_hmac(ticket))
}

fn random_ticket(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    ticket::from_bytes(prefix, &bytes)
}

/// Issues a service ticket.
pub async fn issue_service_ticket(app: &App, st: ServiceTicket) -> Result<String, EphemeralError> {
    metrics::counter!("sesame_cas_tickets_issued_total").increment(1);
    issue_ticket(app, SERVICE, st).await
}

fn pgt_key(app: &App, pgt: &str) -> Key {
    Ns::ProxyGrantingTicket.key(app.keys.stable_hmac(pgt))
}

/// Stores a proxy-granting ticket; returns (PGT, PGTIOU).
pub async fn issue_pgt(
    app: &App,
    pgt: &ProxyGrantingTicket,
) -> Result<(String, String), EphemeralError> {
    let id = random_ticket(PROXY_GRANTING);
    let iou = random_ticket(PROXY_GRANTING_IOU);
    let ttl = Duration::from_secs(app.config.session.absolute_hours * 3600);
    app.store
        .put(
            &pgt_key(app, &id),
            &serde_json::to_vec(pgt).unwrap_or_default(),
            ttl,
        )
        .await?;
    Ok((id, iou))
}

/// A proxy-granting ticket, if it exists (it is not consumed).
pub async fn find_pgt(app: &App, pgt: &str) -> Result<Option<ProxyGrantingTicket>, EphemeralError> {
    Ok(app
        .store
        .get(&pgt_key(app, pgt))
        .await?
        .and_then(|v| serde_json::from_slice(&v).ok()))
}

/// Forgets a proxy-granting ticket (its callback failed).
pub async fn drop_pgt(app: &App, pgt: &str) -> Result<(), EphemeralError> {
    app.store.delete(&pgt_key(app, pgt)).await
}

/// Issues a ticket with a prefix (`ST-` or `PT-`).
pub async fn issue_ticket(
    app: &App,
    prefix: &str,
    mut st: ServiceTicket,
) -> Result<String, EphemeralError> {
    let ticket = random_ticket(prefix);
    let ttl = app.config.cas.service_ticket_seconds;
    st.expires_at = app.clock.now().unix_timestamp() + i64::try_from(ttl).unwrap_or(10);
    let value = serde_json::to_vec(&st).unwrap_or_default();
    app.store
        .put(&key(app, &ticket), &value, Duration::from_secs(ttl + 5))
        .await?;
    Ok(ticket)
}

/// Takes a ticket out of the store (whatever happens next, it is spent).
pub async fn take(app: &App, ticket: &str) -> Result<Option<ServiceTicket>, EphemeralError> {
    Ok(app
        .store
        .take(&key(app, ticket))
        .await?
        .and_then(|v| serde_json::from_slice(&v).ok()))
}
