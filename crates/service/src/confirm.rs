//! Email confirmation of parent accounts (seed guide §1.2.2): a link valid
//! one week (a keyed hash at rest, single use), "renvoyer le courriel", and
//! the purge of accounts never confirmed, which frees their codes.

use crate::app::App;
use crate::session::new_token;
use sesame_domain::AccountState;
use sesame_store::outbox::{self, NewMail};
use sesame_store::tokens::{self, purpose};
use sesame_store::{ConnectionTrait, DbErr, Key, Ns, StoreError, Throttle, WriteTxn, accounts};
use std::time::Duration;
use time::OffsetDateTime;

/// Confirmation-mail resends allowed per account and hour.
pub const RESENDS_PER_HOUR: i64 = 3;

/// The end of an account's week to confirm.
pub fn deadline(app: &App, created_at: OffsetDateTime) -> OffsetDateTime {
    created_at + time::Duration::days(i64::from(app.config.accounts.confirmation_days))
}

/// Issues a confirmation link for pending account `a` (its language)
/// and queues its mail, in the caller's transaction. A new link supersedes
/// the previous one; the deadline stays the account's.
pub(crate) async fn issue(
    db: &impl ConnectionTrait,
    app: &App,
    a: &accounts::Account,
    email: &str,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    issue_mail(db, app, a, email, now, false).await
}

/// The confirmation link and its mail (or reminder), in the account's
/// language.
async fn issue_mail(
    db: &impl ConnectionTrait,
    app: &App,
    a: &accounts::Account,
    email: &str,
    now: OffsetDateTime,
    reminder: bool,
) -> Result<(), DbErr> {
    let (account_id, identifiant, lang) = (a.id, &a.identifiant_display, a.language());
    let token = new_token();
    let until = deadline(app, a.created_at);
    tokens::issue(
        db,
        account_id,
        purpose::CONFIRM,
        &app.keys.token_at_rest(&token),
        now,
        until,
    )
    .await?;
    let mail = if reminder {
        crate::mail::parent_confirmation_reminder(&app.config, lang, identifiant, &token, until)
    } else {
        crate::mail::parent_confirmation(&app.config, lang, identifiant, &token, until)
    };
    outbox::enqueue(
        db,
        NewMail {
            account_id: Some(account_id),
            to: email,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        },
        now,
    )
    .await
}

/// What a confirmation link is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// Usable; holds the account's identifiant for display.
    Valid(String),
    /// Its week is over (the account is, or will be, deleted).
    Expired,
    /// Already used, superseded, or unknown.
    Invalid,
}

async fn state_of(
    app: &App,
    token: &str,
) -> Result<(LinkState, Option<i32>, Option<i32>), StoreError> {
    let conn = app.db.conn();
    let Some(t) = tokens::find(conn, purpose::CONFIRM, &app.keys.token_hmacs(token)).await? else {
        return Ok((LinkState::Invalid, None, None));
    };
    let account = accounts::find(conn, t.account_id).await?;
    let now = app.clock.now();
    Ok(match account {
        Some(a)
            if a.state() == AccountState::Pending && t.used_at.is_none() && t.expires_at > now =>
        {
            (
                LinkState::Valid(a.identifiant_display),
                Some(t.id),
                Some(a.id),
            )
        }
        Some(a) if a.state() == AccountState::Pending && t.used_at.is_none() => {
            (LinkState::Expired, None, None)
        }
        _ if t.expires_at <= now => (LinkState::Expired, None, None),
        _ => (LinkState::Invalid, None, None),
    })
}

/// Tells what a link is worth, without using it (GET: mail scanners that
/// follow links must not confirm accounts).
pub async fn check(app: &App, token: &str) -> Result<LinkState, StoreError> {
    Ok(state_of(app, token).await?.0)
}

/// Uses a link: the account becomes active. Answers the link's state before
/// use; `Valid` means the account is now confirmed.
pub async fn confirm(app: &App, token: &str) -> Result<LinkState, StoreError> {
    let (state, ids) = match state_of(app, token).await? {
        (state, Some(t), Some(a)) => (state, (t, a)),
        (state, _, _) => return Ok(state),
    };
    let (token_id, account_id) = ids;
    let now = app.clock.now();
    let txn = app.db.conn().begin_write().await.map_err(StoreError::Db)?;
    if !tokens::spend(&txn, token_id, now).await?
        || !accounts::activate(&txn, account_id, now).await?
    {
        txn.rollback().await.map_err(StoreError::Db)?;
        return Ok(LinkState::Invalid);
    }
    accounts::audit(&txn, "account_confirmed", Some(account_id), None, None, now).await?;
    txn.commit().await.map_err(StoreError::Db)?;
    tracing::info!(account.id = account_id, "account confirmed");
    Ok(state)
}

fn resend_key(app: &App, ticket: &str) -> Key {
    Ns::ConfirmResend.key(app.keys.stable_hmac(ticket))
}

/// Confirmation mails sent again, per account and hour.
const RESENDS: Throttle = Throttle::per_hour(RESENDS_PER_HOUR);

/// A short-lived ticket allowing "renvoyer le courriel" for a pending
/// account whose password was just given (so that nobody else can make
/// Sésame mail its holder).
pub async fn resend_ticket(app: &App, account_id: i32) -> Result<String, StoreError> {
    let ticket = new_token();
    app.store
        .put(
            &resend_key(app, &ticket),
            account_id.to_string().as_bytes(),
            Duration::from_secs(30 * 60),
        )
        .await?;
    Ok(ticket)
}

/// Sends the confirmation mail again with a new link; answers whether it
/// did (unknown ticket, confirmed or expired account, or more than
/// [`RESENDS_PER_HOUR`] resends: no).
pub async fn resend(app: &App, ticket: &str) -> Result<bool, StoreError> {
    let Some(id) = app
        .store
        .take(&resend_key(app, ticket))
        .await?
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.parse::<i32>().ok())
    else {
        return Ok(false);
    };
    let now = app.clock.now();
    let Some(a) = accounts::find(app.db.conn(), id).await? else {
        return Ok(false);
    };
    if a.state() != AccountState::Pending || deadline(app, a.created_at) <= now {
        return Ok(false);
    }
    if !RESENDS
        .reserve(&app.store, &Ns::ConfirmResendCount.key(id))
        .await?
        .allowed()
    {
        return Ok(false);
    }
    let email = a.email.clone().unwrap_or_default();
    let txn = app.db.conn().begin_write().await.map_err(StoreError::Db)?;
    issue(&txn, app, &a, &email, now).await?;
    accounts::audit(&txn, "confirmation_resent", Some(a.id), None, None, now).await?;
    txn.commit().await.map_err(StoreError::Db)?;
    Ok(true)
}

/// Deletes the parent accounts not confirmed within their week and frees
/// their codes; returns how many. Each account goes in its own transaction.
pub async fn purge_expired(app: &App) -> Result<usize, StoreError> {
    let now = app.clock.now();
    let cutoff = now - time::Duration::days(i64::from(app.config.accounts.confirmation_days));
    let ids = accounts::expired_pending(app.db.conn(), cutoff).await?;
    for &id in &ids {
        let txn = app.db.conn().begin_write().await.map_err(StoreError::Db)?;
        accounts::purge(&txn, id).await?;
        accounts::audit(&txn, "account_purged", Some(id), None, None, now).await?;
        txn.commit().await.map_err(StoreError::Db)?;
        tracing::info!(account.id = id, "unconfirmed account purged");
    }
    Ok(ids.len())
}

/// Sends the confirmation reminders due: a pending parent account gets one
/// on each day of `accounts.confirmation_reminder_days` after its sign-up,
/// with a fresh link that supersedes the earlier ones (same deadline).
/// A run that comes late sends one reminder, not the ones it missed. Each
/// reminder is claimed by a conditional `UPDATE` in its own transaction, so
/// it goes out once whatever the number of nodes or parallel runs.
/// Returns how many were queued.
pub async fn send_reminders(app: &App) -> Result<usize, StoreError> {
    let mut days: Vec<i64> = app
        .config
        .accounts
        .confirmation_reminder_days
        .iter()
        .map(|d| i64::from(*d))
        .collect();
    days.sort_unstable();
    days.dedup();
    if days.is_empty() {
        return Ok(0);
    }
    let now = app.clock.now();
    let since = now - time::Duration::days(i64::from(app.config.accounts.confirmation_days));
    let mut sent = 0;
    for a in accounts::pending_since(app.db.conn(), since).await? {
        let age = now - a.created_at;
        let due = days
            .iter()
            .filter(|d| age >= time::Duration::days(**d))
            .count() as i32;
        if due <= a.confirmation_reminders || deadline(app, a.created_at) <= now {
            continue;
        }
        let Some(email) = a.email.as_deref() else {
            continue;
        };
        let txn = app.db.conn().begin_write().await.map_err(StoreError::Db)?;
        if !accounts::claim_reminder(&txn, a.id, due).await? {
            txn.rollback().await.map_err(StoreError::Db)?;
            continue;
        }
        issue_mail(&txn, app, &a, email, now, true).await?;
        accounts::audit(&txn, "confirmation_reminded", Some(a.id), None, None, now).await?;
        txn.commit().await.map_err(StoreError::Db)?;
        tracing::info!(
            account.id = a.id,
            reminder = due,
            "confirmation reminder queued"
        );
        sent += 1;
    }
    Ok(sent)
}
