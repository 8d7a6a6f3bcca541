//! Choosing one's identifiant once, for an account whose name came from
//! an upstream provider (issue 22).

use super::*;

/// Attempts at choosing an identifiant, per account and hour: a taken
/// name says so (as at sign-up), so the attempts are few.
pub const IDENTIFIANT_CHOICES: Throttle = Throttle::per_hour(5);

/// Why a chosen identifiant is refused because another account holds it.
pub const IDENTIFIANT_TAKEN: &str = "erreur-identifiant-pris";

/// Gives the session's account the identifiant its owner chose. Only an
/// account whose identifiant was given (created through an upstream
/// provider: the provider's name, or a numbered one when it was taken)
/// may, and only once: a local account chose its own at sign-up, and
/// the services that know a person by this name should not see it
/// change again. Every attempt is counted first ([`IDENTIFIANT_CHOICES`],
/// per account); uniqueness across every kind of account is the
/// database's constraint, so that of parallel choices of one free name
/// exactly one succeeds. Answers the new name (as typed).
pub async fn choose_identifiant(
    app: &App,
    s: &Session,
    wanted: &str,
    ip: &str,
) -> Result<String, ChangeError> {
    let key = Ns::IdentifiantChoice.key(s.account_id);
    if !IDENTIFIANT_CHOICES
        .reserve(&app.store, &key)
        .await
        .map_err(StoreError::from)?
        .allowed()
    {
        return Err(ChangeError::Throttled);
    }
    let Some(a) = accounts::find(app.db.conn(), s.account_id).await? else {
        return Err(invalid("identifiant", ALREADY_CHOSEN));
    };
    if !a.may_choose_identifiant() {
        return Err(invalid("identifiant", ALREADY_CHOSEN));
    }
    let Ok(id) = sesame_domain::Identifiant::parse(wanted) else {
        return Err(invalid("identifiant", "erreur-identifiant-format"));
    };
    let display = wanted.trim();
    if display == a.identifiant_display {
        return Err(invalid("identifiant", "erreur-identifiant-identique"));
    }
    let now = app.clock.now();
    let txn = app.db.conn().begin_write().await?;
    match accounts::choose_identifiant(&txn, a.id, id.as_str(), display, now).await {
        Ok(true) => {}
        Ok(false) => {
            txn.rollback().await?;
            return Err(invalid("identifiant", ALREADY_CHOSEN));
        }
        Err(e) if accounts::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Err(invalid("identifiant", IDENTIFIANT_TAKEN));
        }
        Err(e) => return Err(e.into()),
    }
    accounts::audit_detail(
        &txn,
        "identifiant_chosen",
        Some(a.id),
        Some(&app.keys.pseudonym(&a.identifiant)),
        Some(&app.keys.pseudonym(ip)),
        Some(&app.keys.pseudonym(id.as_str())),
        now,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(account.id = a.id, "identifiant chosen by its owner");
    Ok(display.to_owned())
}

/// Why an account cannot choose its identifiant (any more).
const ALREADY_CHOSEN: &str = "erreur-identifiant-deja-choisi";
