//! Changing the address: a link to the new one, a notice with a cancel
//! link to the old one.

use super::*;

/// Asks to change the address: a link to the new one (the change happens
/// when it is opened), a notice with a cancel link to the old one.
pub async fn request_email_change(
    app: &App,
    s: &Session,
    current: &str,
    email: &str,
    email2: &str,
    ip: &str,
) -> Result<(), ChangeError> {
    let email = email.trim();
    if !valid_email(email) {
        return Err(invalid("courriel", "erreur-courriel-invalide"));
    }
    if email != email2.trim() {
        return Err(invalid("courriel2", "erreur-courriels-differents"));
    }
    let a = reauthenticate(app, s, current, "actuel_courriel", ip).await?;
    let now = app.clock.now();
    let until = now + time::Duration::hours(24);
    let (confirm, cancel) = (new_token(), new_token());
    let txn = app.db.conn().begin_write().await?;
    tokens::spend_all(
        &txn,
        a.id,
        &[purpose::EMAIL_CHANGE, purpose::EMAIL_CANCEL],
        now,
    )
    .await?;
    tokens::issue_with(
        &txn,
        a.id,
        purpose::EMAIL_CHANGE,
        &app.keys.token_at_rest(&confirm),
        Some(email),
        now,
        until,
    )
    .await?;
    tokens::issue_with(
        &txn,
        a.id,
        purpose::EMAIL_CANCEL,
        &app.keys.token_at_rest(&cancel),
        Some(email),
        now,
        until,
    )
    .await?;
    queue(
        &txn,
        a.id,
        email,
        &crate::mail::email_change_confirm(
            &app.config,
            a.language(),
            &a.identifiant_display,
            &confirm,
        ),
        now,
    )
    .await?;
    if let Some(old) = &a.email {
        queue(
            &txn,
            a.id,
            old,
            &crate::mail::email_change_notice(
                &app.config,
                a.language(),
                &a.identifiant_display,
                &cancel,
            ),
            now,
        )
        .await?;
    }
    accounts::audit(&txn, "email_change_requested", Some(a.id), None, None, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Whether an email-change (or cancel) link is usable; for the GET page.
pub async fn email_link_valid(app: &App, which: &str, token: &str) -> Result<bool, StoreError> {
    let t = tokens::find(app.db.conn(), which, &app.keys.token_hmacs(token)).await?;
    Ok(t.is_some_and(|t| t.used_at.is_none() && t.expires_at > app.clock.now()))
}

/// Uses an email-change link (`purpose::EMAIL_CHANGE`: the address changes)
/// or a cancel link (`purpose::EMAIL_CANCEL`: nothing changes); both spend
/// the pair. Answers whether the link was valid.
pub async fn use_email_link(app: &App, which: &str, token: &str) -> Result<bool, StoreError> {
    let conn = app.db.conn();
    let Some(t) = tokens::find(conn, which, &app.keys.token_hmacs(token)).await? else {
        return Ok(false);
    };
    let now = app.clock.now();
    let txn = conn.begin_write().await?;
    if !tokens::spend(&txn, t.id, now).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    tokens::spend_all(
        &txn,
        t.account_id,
        &[purpose::EMAIL_CHANGE, purpose::EMAIL_CANCEL],
        now,
    )
    .await?;
    let event = if which == purpose::EMAIL_CHANGE {
        accounts::set_email(
            &txn,
            t.account_id,
            t.payload.as_deref().unwrap_or_default(),
            now,
        )
        .await?;
        "email_changed"
    } else {
        "email_change_cancelled"
    };
    accounts::audit(&txn, event, Some(t.account_id), None, None, now).await?;
    txn.commit().await?;
    Ok(true)
}
