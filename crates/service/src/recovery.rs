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
use sesame_domain::secret::new_temporary;
use sesame_store::outbox::{self, NewMail};
use sesame_store::tokens::{self, purpose};
use sesame_store::{Key, Ns, StoreError, Throttle, WriteTxn, accounts};
use std::sync::Arc;

/// Recovery mails per address and hour.
pub const PER_ADDRESS_PER_HOUR: i64 = 3;
/// Recovery mails per address and day.
pub const PER_ADDRESS_PER_DAY: i64 = 10;
/// Recovery requests per IP address and hour.
pub const PER_IP_PER_HOUR: i64 = 10;
/// Hours a temporary password lasts.
pub const TEMPORARY_HOURS: i64 = 24;

/// Counts one request against `throttle` under `key`; answers whether it
/// is within the limit.
async fn within(app: &App, throttle: Throttle, key: &Key) -> Result<bool, StoreError> {
    Ok(throttle.reserve(&app.store, key).await?.allowed())
}

async fn address_allowed(app: &App, address: &str) -> Result<bool, StoreError> {
    let a = app
        .keys
        .token_hmac(&format!("rec:{}", address.to_ascii_lowercase()));
    Ok(within(
        app,
        Throttle::per_hour(PER_ADDRESS_PER_HOUR),
        &Ns::RecoveryHour.key(&a),
    )
    .await?
        && within(
            app,
            Throttle::per_day(PER_ADDRESS_PER_DAY),
            &Ns::RecoveryDay.key(&a),
        )
        .await?)
}

async fn ip_allowed(app: &App, ip: &str) -> Result<bool, StoreError> {
    let k = Ns::RecoveryAddress.key(app.keys.pseudonym(ip));
    within(app, Throttle::per_hour(PER_IP_PER_HOUR), &k).await
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
    // One mail for every account of the address: in the language of the
    // first one found.
    let lang = found.first().map(|a| a.language()).unwrap_or_default();
    let mail = crate::mail::identifiants(&app.config, lang, &ids);
    let now = app.clock.now();
    let txn = app.db.conn().begin_write().await?;
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
            Some(&app.keys.pseudonym(ip)),
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
    let Some(id) = sesame_domain::Identifiant::parse(identifiant).ok() else {
        return Ok(());
    };
    // No temporary password for an account without one (created through
    // an upstream provider): it logs in there only.
    let Some(a) = accounts::find_by_identifiant(app.db.conn(), id.as_str())
        .await?
        .filter(|a| a.has_password())
    else {
        return Ok(());
    };
    let Some(to) = a.email.clone().filter(|_| a.is_active()) else {
        return Ok(());
    };
    if !address_allowed(app, &to).await? {
        tracing::warn!(account.id = a.id, "lost password: address over its limit");
        return Ok(());
    }
    mail_temporary_password(app, &a, &to, "temporary_password_sent", Some(ip), None).await
}

/// Issues a temporary password for account `a` (superseding an earlier
/// one), mails it to `to` and writes the audit event `kind`, in one
/// transaction. Logging in with it leads straight to choosing a new
/// password.
pub(crate) async fn mail_temporary_password(
    app: &App,
    a: &accounts::Account,
    to: &str,
    kind: &str,
    ip: Option<&str>,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    let temporary = new_temporary(&mut rand::rng());
    let hash = app
        .hasher
        .hash(&temporary)
        .await
        .map_err(|e| StoreError::Ephemeral(sesame_store::EphemeralError::from_text(e)))?;
    let now = app.clock.now();
    let mail = crate::mail::temporary_password(
        &app.config,
        a.language(),
        &a.identifiant_display,
        &temporary,
        TEMPORARY_HOURS,
    );
    let txn = app.db.conn().begin_write().await?;
    tokens::issue(
        &txn,
        a.id,
        purpose::TEMP_PASSWORD,
        // An argon2id string, not a keyed hash: no key id.
        &sesame_store::KeyedHash { kid: None, hash },
        now,
        now + time::Duration::hours(TEMPORARY_HOURS),
    )
    .await?;
    outbox::enqueue(
        &txn,
        NewMail {
            account_id: Some(a.id),
            to,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        },
        now,
    )
    .await?;
    let ip = ip.map(|ip| app.keys.pseudonym(ip));
    accounts::audit_detail(&txn, kind, Some(a.id), None, ip.as_deref(), detail, now).await?;
    txn.commit().await?;
    Ok(())
}
