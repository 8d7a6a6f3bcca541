//! "Identifiant oublié ?" and "mot de passe oublié ?" (seed guide §1.4).
//!
//! Both answer the same page at once whatever the input: the work (lookup,
//! throttles, mail) runs in a background task, so neither the content nor
//! the timing of the answer tells whether an address or identifiant exists
//! (REC-03). Mails go only to the stored address (REC-05).
//!
//! The temporary password is 16 Crockford base32 characters (80 bits),
//! stored as an argon2id hash, single use, valid 24 h; the current password
//! keeps working until it is used; logging in with it leads straight to
//! choosing a new password (REC-04).

use crate::app::App;
use crate::login::{normalize_identifiant, pseudonym};
use rand::Rng;
use sesame_store::outbox::{self, NewMail};
use sesame_store::tokens::{self, purpose};
use sesame_store::{StoreError, TransactionTrait, accounts};
use std::sync::Arc;
use std::time::Duration;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Recovery mails per address and hour.
pub const PER_ADDRESS_PER_HOUR: i64 = 3;
/// Recovery mails per address and day.
pub const PER_ADDRESS_PER_DAY: i64 = 10;
/// Recovery requests per IP address and hour.
pub const PER_IP_PER_HOUR: i64 = 10;
/// Hours a temporary password lasts.
pub const TEMPORARY_HOURS: i64 = 24;

/// A new temporary password: `XXXX-XXXX-XXXX-XXXX`, 80 random bits.
fn new_temporary() -> String {
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let chars: Vec<char> = (0..16)
        .map(|i| CROCKFORD[((bits >> (75 - 5 * i)) & 31) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical form of a typed password when it has the shape of a
/// temporary one (case and spaces do not matter), else `None`.
pub fn as_temporary(typed: &str) -> Option<String> {
    let t: String = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let ok = t.len() == 19
        && t.bytes().enumerate().all(|(i, b)| {
            if i % 5 == 4 {
                b == b'-'
            } else {
                CROCKFORD.contains(&b)
            }
        });
    ok.then_some(t)
}

/// Counts one request against a throttle key; answers whether it is within
/// `limit` per `window`.
async fn within(app: &App, key: &str, limit: i64, window: Duration) -> Result<bool, StoreError> {
    Ok(app.store.incr(key, window).await? <= limit)
}

async fn address_allowed(app: &App, address: &str) -> Result<bool, StoreError> {
    let a = app
        .keys
        .token_hmac(&format!("rec:{}", address.to_ascii_lowercase()));
    Ok(within(
        app,
        &format!("thr:rec:h:{a}"),
        PER_ADDRESS_PER_HOUR,
        Duration::from_secs(3600),
    )
    .await?
        && within(
            app,
            &format!("thr:rec:d:{a}"),
            PER_ADDRESS_PER_DAY,
            Duration::from_secs(86400),
        )
        .await?)
}

async fn ip_allowed(app: &App, ip: &str) -> Result<bool, StoreError> {
    let k = format!("thr:rec:ip:{}", pseudonym(app, ip));
    within(app, &k, PER_IP_PER_HOUR, Duration::from_secs(3600)).await
}

fn in_background<F>(what: &'static str, work: F)
where
    F: std::future::Future<Output = Result<(), StoreError>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::warn!(error = %e, what, "recovery request failed");
        }
    });
}

/// "Identifiant oublié ?": queues, in the background, one mail listing every
/// identifiant of the active accounts bound to the address.
pub fn request_identifiants(app: Arc<App>, email: String, ip: String) {
    in_background("lost identifiant", async move {
        send_identifiants(&app, email.trim(), &ip).await
    });
}

async fn send_identifiants(app: &App, email: &str, ip: &str) -> Result<(), StoreError> {
    if !ip_allowed(app, ip).await? || !crate::signup::valid_email(email) {
        return Ok(());
    }
    let found = accounts::active_by_email(app.db.conn(), email).await?;
    let Some(to) = found.first().and_then(|a| a.email.clone()) else {
        return Ok(());
    };
    if !address_allowed(app, &to).await? {
        tracing::warn!("lost identifiant: address over its limit");
        return Ok(());
    }
    let ids: Vec<String> = found
        .iter()
        .map(|a| a.identifiant_display.clone())
        .collect();
    let mail = crate::mail::identifiants(&app.config, &ids);
    let now = app.clock.now();
    let txn = app.db.conn().begin().await?;
    outbox::enqueue(
        &txn,
        NewMail {
            account_id: None,
            to: &to,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        },
        now,
    )
    .await?;
    for a in &found {
        accounts::audit(
            &txn,
            "identifiant_sent",
            Some(a.id),
            None,
            Some(&pseudonym(app, ip)),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// "Mot de passe oublié ?": issues, in the background, a temporary password
/// mailed to the account's stored address (superseding an earlier one).
pub fn request_temporary_password(app: Arc<App>, identifiant: String, ip: String) {
    in_background("lost password", async move {
        send_temporary_password(&app, &identifiant, &ip).await
    });
}

async fn send_temporary_password(app: &App, identifiant: &str, ip: &str) -> Result<(), StoreError> {
    if !ip_allowed(app, ip).await? {
        return Ok(());
    }
    let Some(id) = normalize_identifiant(identifiant) else {
        return Ok(());
    };
    let Some(a) = accounts::find_by_identifiant(app.db.conn(), &id).await? else {
        return Ok(());
    };
    let Some(to) = a.email.clone().filter(|_| a.state == "active") else {
        return Ok(());
    };
    if !address_allowed(app, &to).await? {
        tracing::warn!(account.id = a.id, "lost password: address over its limit");
        return Ok(());
    }
    let temporary = new_temporary();
    let hash = app
        .hasher
        .hash(&temporary)
        .await
        .map_err(|e| StoreError::Ephemeral(sesame_store::EphemeralError::from_text(e)))?;
    let now = app.clock.now();
    let mail = crate::mail::temporary_password(
        &app.config,
        &a.identifiant_display,
        &temporary,
        TEMPORARY_HOURS,
    );
    let txn = app.db.conn().begin().await?;
    tokens::issue(
        &txn,
        a.id,
        purpose::TEMP_PASSWORD,
        &hash,
        now,
        now + time::Duration::hours(TEMPORARY_HOURS),
    )
    .await?;
    outbox::enqueue(
        &txn,
        NewMail {
            account_id: Some(a.id),
            to: &to,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        },
        now,
    )
    .await?;
    accounts::audit(
        &txn,
        "temporary_password_sent",
        Some(a.id),
        None,
        Some(&pseudonym(app, ip)),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_have_80_random_bits_in_a_recognisable_shape() {
        let a = new_temporary();
        let b = new_temporary();
        assert_ne!(a, b);
        assert_eq!(a.len(), 19);
        assert_eq!(as_temporary(&a.to_lowercase()), Some(a.clone()));
        assert_eq!(as_temporary(&format!(" {a} ")), Some(a));
        assert_eq!(as_temporary("Kq7mWz4p"), None);
        assert_eq!(
            as_temporary("ABCD-EFGH-IJKL-MNOP"),
            None,
            "I, L, O are not Crockford"
        );
    }
}
