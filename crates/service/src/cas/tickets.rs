//! Service tickets: `ST-` and 48 hex digits (192 random bits), kept in the
//! shared store under a keyed hash, with their own expiry time read from
//! the application clock (the store's expiry only collects them).

use crate::app::App;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sesame_store::{EphemeralError, Key, Ns};
use std::time::Duration;

/// Shortest and longest ticket accepted (CAS §3.7: up to 256).
pub const TICKET_LEN: std::ops::RangeInclusive<usize> = 32..=256;

/// What a service ticket stands for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServiceTicket {
    /// The service URL as requested at login.
    pub service: String,
    /// The registered service's id.
    pub service_id: String,
    /// The account.
    pub account_id: i32,
    /// The profile chosen at login.
    pub profile: String,
    /// Login time, unix seconds.
    pub auth_time: i64,
    /// Issued right after the user typed credentials (not from SSO).
    pub from_new_login: bool,
    /// Expiry, unix seconds of the application clock.
    pub expires_at: i64,
    /// For a proxy ticket: the proxies it went through, the nearest first.
    #[serde(default)]
    pub proxies: Vec<String>,
    /// The SSO session that gave it (its public id): once that session
    /// ends, the ticket no longer validates (REV-05).
    #[serde(default)]
    pub sid: String,
    /// The account's session generation when it was given: a password
    /// change ends it too.
    #[serde(default)]
    pub generation: i64,
}

/// A proxy-granting ticket: a service allowed to proxy may obtain proxy
/// tickets for other registered services in the user's name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProxyGrantingTicket {
    /// The account.
    pub account_id: i32,
    /// The profile chosen at login.
    pub profile: String,
    /// Login time, unix seconds.
    pub auth_time: i64,
    /// The proxy chain, the holder's callback first.
    pub proxies: Vec<String>,
    /// The SSO session it belongs to: every logout path ends it (REV-03).
    #[serde(default)]
    pub sid: String,
    /// The account's session generation: a password change ends it.
    #[serde(default)]
    pub generation: i64,
}

fn key(app: &App, ticket: &str) -> Key {
    Ns::ServiceTicket.key(app.keys.token_hmac(ticket))
}

/// Whether a ticket has the syntax of one of ours: a known prefix, 32–256
/// characters of `[A-Za-z0-9-]` (CAS-08). Checked before any lookup.
pub fn well_formed(ticket: &str, prefixes: &[&str]) -> bool {
    TICKET_LEN.contains(&ticket.len())
        && prefixes.iter().any(|p| ticket.starts_with(p))
        && ticket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn random_ticket(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// Issues a service ticket.
pub async fn issue_service_ticket(app: &App, st: ServiceTicket) -> Result<String, EphemeralError> {
    metrics::counter!("sesame_cas_tickets_issued_total").increment(1);
    issue_ticket(app, "ST-", st).await
}

fn pgt_key(app: &App, pgt: &str) -> Key {
    Ns::ProxyGrantingTicket.key(app.keys.token_hmac(pgt))
}

/// Stores a proxy-granting ticket; returns (PGT, PGTIOU).
pub async fn issue_pgt(
    app: &App,
    pgt: &ProxyGrantingTicket,
) -> Result<(String, String), EphemeralError> {
    let id = random_ticket("PGT-");
    let iou = random_ticket("PGTIOU-");
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
