//! Password login with throttling (SECURITY.md §1.2): per identifiant, a
//! counter updated atomically *before* the hash is computed, delays from the
//! 5th consecutive failure (1, 2, 4… minutes) and a 24 h block at the 10th
//! with an unlock link mailed to the holder;
//! per IP address, 429 beyond a rate of failures. Every refusal looks the
//! same to the client (AUTH-04).

use crate::app::App;
use crate::session::Session;
use sesame_domain::AccountState;
use sesame_store::outbox::{self, NewMail};
use sesame_store::tokens::{self, purpose};
use sesame_store::{Key, Ns, StoreError, Throttle, Verdict, WriteTxn, accounts};
use std::time::Duration;

/// How a login ended.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Authenticated.
    Success(Session),
    /// Right password, but the account (this id) awaits email confirmation.
    Pending(i32),
    /// Anything else: unknown identifiant, wrong password, delayed, blocked.
    Failed,
    /// Too many failures from this address: answer 429 with Retry-After.
    IpThrottled(u64),
}

/// Normalises an identifiant: trimmed, ASCII lower case. Others characters
/// make it invalid (AUTH-11: homoglyphs never name a distinct account).
pub fn normalize_identifiant(input: &str) -> Option<String> {
    sesame_domain::Identifiant::parse(input)
        .ok()
        .map(String::from)
}

/// The store keys of an identifiant's throttle: its failure counter and its
/// delay or block mark.
fn throttle_keys(app: &App, normalized: &str) -> (Key, Key) {
    let who = app.keys.pseudonym(normalized);
    (Ns::LoginFailures.key(&who), Ns::LoginLock.key(&who))
}

/// A delay or block, until a time of the application's clock (so that the
/// schedule can be tested with a fixed clock); the store's own expiry only
/// collects old marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Delay(i64),
    Block(i64),
}

impl Mark {
    fn parse(v: &[u8]) -> Option<Self> {
        let s = std::str::from_utf8(v).ok()?;
        let (kind, until) = s.split_once(':')?;
        let until = until.parse().ok()?;
        match kind {
            "delay" => Some(Self::Delay(until)),
            "block" => Some(Self::Block(until)),
            _ => None,
        }
    }

    fn until(self) -> i64 {
        match self {
            Self::Delay(u) | Self::Block(u) => u,
        }
    }
}

const DAY: i64 = 24 * 3600;

/// What checking an identifiant and a password gave. Every pathway that
/// takes a password (login, password change, attaching a child) goes
/// through [`check_password`], so one throttle protects them all.
#[derive(Debug)]
pub(crate) enum Checked {
    /// The account's password.
    Password(accounts::Account),
    /// The account's temporary password (now spent): a keyed hash of it,
    /// which the new password must differ from.
    Temporary(accounts::Account, String),
    /// Anything else, throttled and audited.
    Failed,
    /// Too many failures from this address.
    IpThrottled(u64),
}

/// Checks a password for an identifiant with the throttles of SECURITY.md
/// §1.2. Security: every limit is reserved atomically before any hash is
/// computed, so that parallel requests cannot pass it: the address's
/// attempt is counted first (CONC-01) and given back on success, and the
/// attempts on one identifiant run one at a time across nodes (CONC-02),
/// so that a delay set by one failure holds for the next attempt.
pub(crate) async fn check_password(
    app: &App,
    identifiant: &str,
    password: &str,
    ip: &str,
) -> Result<Checked, StoreError> {
    let t = &app.config.throttle;
    // One counter per address and minute of the application clock (a fixed
    // window); the store keeps it a while longer only to collect it.
    let now_s = app.clock.now().unix_timestamp();
    let per_address = Throttle::per_minute(t.ip_failures_per_minute);
    let (ip_key, verdict) = per_address
        .reserve_in_window(&app.store, Ns::LoginAddress, app.keys.pseudonym(ip), now_s)
        .await?;
    if let Verdict::Refused { retry_after, .. } = verdict {
        tracing::warn!(ip = %app.keys.pseudonym(ip), "login throttled for this address");
        return Ok(Checked::IpThrottled(retry_after.unwrap_or(60)));
    }
    // Unknown and invalid identifiants are counted too, under their text.
    let id = normalize_identifiant(identifiant)
        .unwrap_or_else(|| format!("invalid:{}", identifiant.trim().to_lowercase()));
    let lease = Ns::LoginBusy.key(app.keys.pseudonym(&id));
    let checked = if app.store.lease(&lease, LEASE_TTL, LEASE_WAIT).await? {
        let r = check_one(app, &id, password, ip).await;
        // The lease goes whatever happened (its TTL is the last resort).
        let released = app.store.delete(&lease).await;
        let r = r?;
        released?;
        r
    } else {
        // Attempts queue on this identifiant faster than they are
        // checked: refused without a check, like a wrong password.
        refused(app, &id, ip, true).await?;
        Checked::Failed
    };
    if matches!(checked, Checked::Password(_) | Checked::Temporary(..)) {
        per_address.release(&app.store, &ip_key).await?;
    }
    Ok(checked)
}

/// How long one attempt may hold its identifiant's lease.
const LEASE_TTL: Duration = Duration::from_secs(15);
/// How long an attempt waits for the one before it.
const LEASE_WAIT: Duration = Duration::from_secs(10);

/// Records a failed attempt: audited (`login_failed` when the password was
/// compared with the account's, `login_refused` when a delay or block
/// refused it unchecked) and logged with pseudonyms only.
async fn refused(app: &App, id: &str, ip: &str, unchecked: bool) -> Result<(), StoreError> {
    let who = app.keys.pseudonym(id);
    accounts::audit(
        app.db.conn(),
        if unchecked {
            "login_refused"
        } else {
            "login_failed"
        },
        None,
        Some(&who),
        Some(&app.keys.pseudonym(ip)),
        app.clock.now(),
    )
    .await?;
    tracing::info!(actor = %who, locked = unchecked, "password check failed");
    Ok(())
}

/// One attempt on identifiant `id` (normalised), under its lease.
async fn check_one(app: &App, id: &str, password: &str, ip: &str) -> Result<Checked, StoreError> {
    let t = &app.config.throttle;
    let (count_key, lock_key) = throttle_keys(app, id);
    let now = app.clock.now();
    let now_s = now.unix_timestamp();
    let mut mark = app
        .store
        .get(&lock_key)
        .await?
        .as_deref()
        .and_then(Mark::parse);
    if let Some(Mark::Block(until)) = mark
        && until <= now_s
    {
        // The 24 hours are over: the account starts afresh.
        app.store.delete(&lock_key).await?;
        app.store.delete(&count_key).await?;
        mark = None;
    }
    // Security: the counter moves before the password is checked, so that
    // parallel guesses cannot exceed the limit.
    let per_account = Throttle::new(t.account_block_after, Duration::from_secs(DAY as u64));
    let n = per_account.record(&app.store, &count_key).await?;
    let active = mark.filter(|m| m.until() > now_s);
    let blocked = matches!(active, Some(Mark::Block(_))) || n > per_account.limit;
    let locked = active.is_some() || blocked;
    let account = if locked {
        None
    } else {
        // An account without a password (created through an upstream
        // provider) answers like an unknown identifiant.
        accounts::find_by_identifiant(app.db.conn(), id)
            .await?
            .filter(|a| a.has_password())
    };
    // A typed temporary password is checked against the temporary one only:
    // one hash per attempt whatever happens.
    let temp = match (&account, sesame_domain::secret::as_temporary(password)) {
        (Some(a), Some(typed)) => {
            tokens::latest_unused(app.db.conn(), a.id, purpose::TEMP_PASSWORD, now)
                .await?
                .map(|t| (t, typed))
        }
        _ => None,
    };
    let phc = match &temp {
        Some((t, _)) => Some(t.token_hmac.as_str()),
        None => account.as_ref().map(|a| a.password_hash.as_str()),
    };
    let typed = temp.as_ref().map_or(password, |(_, typed)| typed.as_str());
    let ok = app.hasher.verify(typed, phc).await;
    match account {
        Some(a) if ok && !locked => {
            app.store.delete(&count_key).await?;
            app.store.delete(&lock_key).await?;
            if let Some((t, typed)) = temp {
                if !tokens::spend(app.db.conn(), t.id, now).await? {
                    return Ok(Checked::Failed);
                }
                return Ok(Checked::Temporary(a, app.keys.stable_hmac(&typed)));
            }
            if app.hasher.needs_rehash(&a.password_hash) {
                // The parameters rose since this hash was made: replace it
                // while the password is at hand.
                if let Ok(hash) = app.hasher.hash(password).await {
                    accounts::set_password_hash(app.db.conn(), a.id, &hash).await?;
                    tracing::info!(
                        account.id = a.id,
                        "password hash upgraded to the current argon2id parameters"
                    );
                }
            }
            Ok(Checked::Password(a))
        }
        _ => {
            // An attempt during a delay counts but does not extend it; the
            // block falls at the limit whatever the state.
            if !blocked && (!locked || n >= t.account_block_after) {
                fail(app, id, &lock_key, n, now).await?;
            }
            refused(app, id, ip, locked).await?;
            Ok(Checked::Failed)
        }
    }
}

/// Tries a login.
pub async fn login(
    app: &App,
    identifiant: &str,
    password: &str,
    ip: &str,
    profile: &str,
) -> Result<LoginOutcome, StoreError> {
    let outcome = login_inner(app, identifiant, password, ip, profile).await?;
    let label = match &outcome {
        LoginOutcome::Success(_) => "success",
        LoginOutcome::Pending(_) => "pending",
        LoginOutcome::Failed => "failed",
        LoginOutcome::IpThrottled(_) => "ip_throttled",
    };
    metrics::counter!("sesame_logins_total", "outcome" => label).increment(1);
    Ok(outcome)
}

async fn login_inner(
    app: &App,
    identifiant: &str,
    password: &str,
    ip: &str,
    profile: &str,
) -> Result<LoginOutcome, StoreError> {
    let (a, must_change) = match check_password(app, identifiant, password, ip).await? {
        // Security: an account a renewal campaign marked gets only the
        // new-password page, whatever else this login asked for.
        Checked::Password(a) if a.renewal_campaign_id.is_some() => {
            let old = format!(
                "{}{}",
                crate::session::RENEWAL,
                app.keys.stable_hmac(password)
            );
            (a, Some(old))
        }
        Checked::Password(a) => (a, None),
        Checked::Temporary(a, temp) => (a, Some(temp)),
        Checked::Failed => return Ok(LoginOutcome::Failed),
        Checked::IpThrottled(secs) => return Ok(LoginOutcome::IpThrottled(secs)),
    };
    if a.state() == AccountState::Pending {
        return Ok(LoginOutcome::Pending(a.id));
    }
    if !a.is_active() {
        return Ok(LoginOutcome::Failed);
    }
    let now = app.clock.now();
    accounts::touch_login(app.db.conn(), a.id, now).await?;
    accounts::audit(
        app.db.conn(),
        if a.renewal_campaign_id.is_some() {
            "login_renewal_required"
        } else if must_change.is_some() {
            "login_temporary_password"
        } else {
            "login_succeeded"
        },
        Some(a.id),
        Some(&app.keys.pseudonym(&a.identifiant)),
        Some(&app.keys.pseudonym(ip)),
        now,
    )
    .await?;
    tracing::info!(account.id = a.id, "login succeeded");
    Ok(LoginOutcome::Success(Session {
        account_id: a.id,
        kind: a.kind(),
        identifiant: a.identifiant_display,
        profile: profile.to_owned(),
        auth_time: now.unix_timestamp(),
        generation: 0,
        must_change,
        sid: crate::session::new_token(),
        upstream: None,
    }))
}

async fn fail(
    app: &App,
    id: &str,
    lock_key: &Key,
    n: i64,
    now: time::OffsetDateTime,
) -> Result<(), StoreError> {
    let t = &app.config.throttle;
    let now_s = now.unix_timestamp();
    if n >= t.account_block_after {
        tracing::warn!(actor = %app.keys.pseudonym(id), "account blocked after repeated failures");
        let v = format!("block:{}", now_s + DAY);
        app.store
            .put(lock_key, v.as_bytes(), Duration::from_secs(DAY as u64))
            .await?;
        if n == t.account_block_after {
            metrics::counter!("sesame_throttle_blocks_total").increment(1);
            notify_block(app, id, now).await?;
        }
        Ok(())
    } else if n >= t.account_delay_after {
        let secs = 60i64 << (n - t.account_delay_after).clamp(0, 10);
        let v = format!("delay:{}", now_s + secs);
        app.store
            .put(
                lock_key,
                v.as_bytes(),
                Duration::from_secs(secs as u64 + 60),
            )
            .await
            .map_err(Into::into)
    } else {
        Ok(())
    }
}

/// At the first block, mails the holder (if the identifiant is an account
/// with an address) a one-hour unlock link.
async fn notify_block(app: &App, id: &str, now: time::OffsetDateTime) -> Result<(), StoreError> {
    let conn = app.db.conn();
    let Some(a) = accounts::find_by_identifiant(conn, id)
        .await?
        .filter(|a| a.has_password())
    else {
        return Ok(());
    };
    let Some(email) = a.email.clone() else {
        return Ok(());
    };
    let token = crate::session::new_token();
    let txn = conn.begin_write().await?;
    tokens::issue(
        &txn,
        a.id,
        purpose::UNLOCK,
        &app.keys.token_at_rest(&token),
        now,
        now + time::Duration::hours(1),
    )
    .await?;
    let mail =
        crate::mail::account_blocked(&app.config, a.language(), &a.identifiant_display, &token);
    outbox::enqueue(
        &txn,
        NewMail {
            account_id: Some(a.id),
            to: &email,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        },
        now,
    )
    .await?;
    accounts::audit(&txn, "account_blocked", Some(a.id), None, None, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Where an identifiant stands in its login throttle (for the helpdesk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockState {
    /// Consecutive failures counted.
    pub failures: i64,
    /// Login refused until this time (Unix seconds) by a delay.
    pub delayed_until: Option<i64>,
    /// Login refused until this time (Unix seconds) by a block.
    pub blocked_until: Option<i64>,
}

/// Reads the throttle of a normalised identifiant.
pub async fn block_state(app: &App, identifiant: &str) -> Result<BlockState, StoreError> {
    let (count_key, lock_key) = throttle_keys(app, identifiant);
    let now_s = app.clock.now().unix_timestamp();
    let mark = app
        .store
        .get(&lock_key)
        .await?
        .as_deref()
        .and_then(Mark::parse)
        .filter(|m| m.until() > now_s);
    Ok(BlockState {
        failures: app.store.count(&count_key).await?,
        delayed_until: match mark {
            Some(Mark::Delay(u)) => Some(u),
            _ => None,
        },
        blocked_until: match mark {
            Some(Mark::Block(u)) => Some(u),
            _ => None,
        },
    })
}

/// Clears the delay or block and the failure counter of a normalised
/// identifiant: password login works again at once.
pub async fn clear_block(app: &App, identifiant: &str) -> Result<(), StoreError> {
    let (count_key, lock_key) = throttle_keys(app, identifiant);
    app.store.delete(&lock_key).await?;
    app.store.delete(&count_key).await?;
    Ok(())
}

/// Whether an unlock link is usable (GET shows a button; only POST uses it).
pub async fn unlock_link_valid(app: &App, token: &str) -> Result<bool, StoreError> {
    let t = tokens::find(app.db.conn(), purpose::UNLOCK, &app.keys.token_hmacs(token)).await?;
    Ok(t.is_some_and(|t| t.used_at.is_none() && t.expires_at > app.clock.now()))
}

/// Uses an unlock link: password login works again at once for its account.
/// Answers whether the link was valid.
pub async fn unlock(app: &App, token: &str) -> Result<bool, StoreError> {
    let conn = app.db.conn();
    let Some(t) = tokens::find(conn, purpose::UNLOCK, &app.keys.token_hmacs(token)).await? else {
        return Ok(false);
    };
    let now = app.clock.now();
    if !tokens::spend(conn, t.id, now).await? {
        return Ok(false);
    }
    let Some(a) = accounts::find(conn, t.account_id).await? else {
        return Ok(false);
    };
    clear_block(app, &a.identifiant).await?;
    accounts::audit(conn, "account_unlocked", Some(a.id), None, None, now).await?;
    tracing::info!(account.id = a.id, "account unlocked by mailed link");
    Ok(true)
}
