//! Password login with throttling (SECURITY.md §1.2): per identifiant, a
//! counter updated atomically *before* the hash is computed, delays from the
//! 5th consecutive failure (1, 2, 4… minutes) and a 24 h block at the 10th;
//! per IP address, 429 beyond a rate of failures. Every refusal looks the
//! same to the client (AUTH-04).

use crate::app::App;
use crate::session::Session;
use sesame_store::accounts;
use sesame_store::{EphemeralError, StoreError};
use std::time::Duration;

/// How a login ended.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Authenticated.
    Success(Session),
    /// Right password, but the account awaits email confirmation.
    Pending,
    /// Anything else: unknown identifiant, wrong password, delayed, blocked.
    Failed,
    /// Too many failures from this address: answer 429 with Retry-After.
    IpThrottled(u64),
}

/// Normalises an identifiant: trimmed, ASCII lower case. Others characters
/// make it invalid (AUTH-11: homoglyphs never name a distinct account).
pub fn normalize_identifiant(input: &str) -> Option<String> {
    let t = input.trim();
    let ok = (3..=64).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    ok.then(|| t.to_ascii_lowercase())
}

fn pseudonym(app: &App, s: &str) -> String {
    app.keys.token_hmac(&format!("pseudonym:{s}"))[..16].to_owned()
}

/// Tries a login.
pub async fn login(
    app: &App,
    identifiant: &str,
    password: &str,
    ip: &str,
    profile: &str,
) -> Result<LoginOutcome, StoreError> {
    let t = &app.config.throttle;
    let ip_key = format!("thr:ip:{}", pseudonym(app, ip));
    let ip_failures = app.store.count(&ip_key).await?;
    if ip_failures >= t.ip_failures_per_minute {
        tracing::warn!(ip = %pseudonym(app, ip), "login throttled for this address");
        return Ok(LoginOutcome::IpThrottled(60));
    }
    // Unknown and invalid identifiants are counted too, under their text.
    let id = normalize_identifiant(identifiant)
        .unwrap_or_else(|| format!("invalid:{}", identifiant.trim().to_lowercase()));
    let who = pseudonym(app, &id);
    let count_key = format!("thr:acct:{who}");
    let lock_key = format!("thr:lock:{who}");
    // Security: the counter moves before the password is checked, so that
    // parallel guesses cannot exceed the limit.
    let n = app
        .store
        .incr(&count_key, Duration::from_secs(24 * 3600))
        .await?;
    let locked = app.store.get(&lock_key).await?.is_some() || n > t.account_block_after;
    let account = if locked {
        None
    } else {
        accounts::find_by_identifiant(app.db.conn(), &id).await?
    };
    let ok = app
        .hasher
        .verify(password, account.as_ref().map(|a| a.password_hash.as_str()))
        .await;
    let now = app.clock.now();
    match account {
        Some(a) if ok && !locked => {
            app.store.delete(&count_key).await?;
            if a.state == "pending" {
                return Ok(LoginOutcome::Pending);
            }
            if a.state != "active" {
                return Ok(LoginOutcome::Failed);
            }
            accounts::touch_login(app.db.conn(), a.id, now).await?;
            accounts::audit(
                app.db.conn(),
                "login_succeeded",
                Some(a.id),
                Some(&who),
                Some(&pseudonym(app, ip)),
                now,
            )
            .await?;
            tracing::info!(account.id = a.id, "login succeeded");
            Ok(LoginOutcome::Success(Session {
                account_id: a.id,
                identifiant: a.identifiant_display,
                kind: a.kind,
                profile: profile.to_owned(),
                auth_time: now.unix_timestamp(),
            }))
        }
        _ => {
            if !locked {
                fail(app, &lock_key, n).await?;
            }
            app.store.incr(&ip_key, Duration::from_secs(60)).await?;
            accounts::audit(
                app.db.conn(),
                "login_failed",
                None,
                Some(&who),
                Some(&pseudonym(app, ip)),
                now,
            )
            .await?;
            tracing::info!(actor = %who, locked, "login failed");
            Ok(LoginOutcome::Failed)
        }
    }
}

async fn fail(app: &App, lock_key: &str, n: i64) -> Result<(), EphemeralError> {
    let t = &app.config.throttle;
    if n >= t.account_block_after {
        tracing::warn!("account blocked after repeated failures");
        app.store
            .put(lock_key, b"block", Duration::from_secs(24 * 3600))
            .await
    } else if n >= t.account_delay_after {
        let minutes = 1u64 << (n - t.account_delay_after).clamp(0, 10);
        app.store
            .put(lock_key, b"delay", Duration::from_secs(60 * minutes))
            .await
    } else {
        Ok(())
    }
}
