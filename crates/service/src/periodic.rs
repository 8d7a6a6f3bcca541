//! The periodic job of `sesame serve` (every
//! `accounts.purge_interval_minutes`, one node per round): confirmation
//! reminders, the purge of unconfirmed accounts, the audit retention and
//! the purge of expired refresh tokens.
//! Each step is safe to run twice at once (conditional `UPDATE`s and
//! deletes), so a round run by two nodes or by a command in parallel sends
//! nothing twice.

use crate::app::App;
use sesame_store::{StoreError, accounts};

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Confirmation reminders queued.
    pub reminded: usize,
    /// Unconfirmed accounts deleted.
    pub purged: usize,
    /// Audit events past `audit.retention_days` deleted.
    pub audit_events_deleted: u64,
    /// Expired OpenID Connect refresh tokens deleted.
    pub refresh_tokens_deleted: u64,
}

/// Deletes the refresh tokens that expired (spent, revoked or not: none
/// can be used any more); returns how many.
pub async fn purge_refresh_tokens(app: &App) -> Result<u64, StoreError> {
    let n = sesame_store::refresh_tokens::purge_expired(app.db.conn(), app.clock.now()).await?;
    let codes =
        sesame_store::refresh_tokens::purge_spent_codes(app.db.conn(), app.clock.now()).await?;
    if codes > 0 {
        tracing::info!(codes, "spent authorization-code markers deleted");
    }
    if n > 0 {
        tracing::info!(tokens = n, "expired refresh tokens deleted");
    }
    Ok(n)
}

/// Deletes the audit events older than `audit.retention_days`; returns how
/// many.
pub async fn purge_audit(app: &App) -> Result<u64, StoreError> {
    let before = app.clock.now() - time::Duration::days(i64::from(app.config.audit.retention_days));
    let n = accounts::purge_audit(app.db.conn(), before).await?;
    if n > 0 {
        tracing::info!(events = n, "audit events past their retention deleted");
    }
    Ok(n)
}

/// One round of the job. Every step runs even when an earlier one failed;
/// the first error is answered.
pub async fn run_once(app: &App) -> Result<Round, StoreError> {
    let mut round = Round::default();
    let mut first_error = None;
    match crate::confirm::send_reminders(app).await {
        Ok(n) => round.reminded = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match crate::confirm::purge_expired(app).await {
        Ok(n) => round.purged = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match purge_audit(app).await {
        Ok(n) => round.audit_events_deleted = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match purge_refresh_tokens(app).await {
        Ok(n) => round.refresh_tokens_deleted = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(round),
    }
}
