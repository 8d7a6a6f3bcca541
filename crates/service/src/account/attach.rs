//! Attaching another child with its activation codes (seed guide
//! §1.2.2).

use super::*;

/// The "attach a child" form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AttachForm {
    /// Current password (re-authentication, ACT-10).
    #[serde(default)]
    pub actuel_enfant: String,
    /// Prénom.
    #[serde(default)]
    pub prenom: String,
    /// Né(e) le.
    #[serde(default)]
    pub naissance: String,
    /// Code Activation Responsable.
    #[serde(default)]
    pub code: String,
}

/// Attaches another child to a parent account with that child's letter
/// code (same rules and throttles as account creation); mails a notice.
pub async fn attach_child(
    app: &App,
    s: &Session,
    f: &AttachForm,
    ip: &str,
) -> Result<String, ChangeError> {
    let a = reauthenticate(app, s, &f.actuel_enfant, "actuel_enfant", ip).await?;
    if a.kind() != AccountKind::Responsable {
        return Err(invalid("code", "erreur-rattacher-responsable"));
    }
    if ip_throttled(app, ip).await? {
        return Err(ChangeError::Throttled);
    }
    let (Some(birth), Ok(code), false) = (
        parse_birth(&f.naissance),
        ActivationCode::parse(&f.code),
        f.prenom.trim().is_empty(),
    ) else {
        return Err(invalid("code", "erreur-rattacher-champs"));
    };
    let now = app.clock.now();
    let Some(m) = match_code(app, &code, CodeKind::Responsable, &f.prenom, birth, ip, now).await?
    else {
        return Err(invalid("code", NOT_IDENTIFIED));
    };
    // The code must be addressed to a holder of the account: the same
    // guardian record, or one of the same name in another school.
    let holders = accounts::guardians(app.db.conn(), a.id).await?;
    let name = |l: &str, f: &str| (normalize_first_name(l), normalize_first_name(f));
    let mine = holders.iter().any(|(id, l, fst)| {
        Some(*id) == m.info.guardian_id
            || name(l, fst)
                == name(
                    m.info.guardian_last_name.as_deref().unwrap_or_default(),
                    m.info.guardian_first_name.as_deref().unwrap_or_default(),
                )
    });
    if !mine {
        accounts::code_failure(app.db.conn(), m.info.id, CODE_FAILURE_LIMIT, now).await?;
        return Err(invalid("code", "erreur-code-autre-personne"));
    }
    // « Ce n'est pas mon enfant »: a child this account reported stays
    // away until the school puts the link back (`reports resolve --restore`).
    if sesame_store::reports::withheld(app.db.conn(), a.id, m.pupil.id).await? {
        return Err(invalid("code", "erreur-enfant-signale"));
    }
    if accounts::has_pupil(app.db.conn(), a.id, m.pupil.id).await? {
        return Err(invalid("code", "erreur-enfant-deja-rattache"));
    }
    if m.info.used_by_account_id.is_some() {
        return Err(invalid("code", "erreur-code-a-servi"));
    }
    let txn = app.db.conn().begin_write().await?;
    if !accounts::claim_code(&txn, m.info.id, a.id).await? {
        txn.rollback().await?;
        return Err(invalid("code", "erreur-code-a-servi"));
    }
    accounts::link_pupil(&txn, a.id, m.pupil.id).await?;
    if let Some(g) = m.info.guardian_id
        && !holders.iter().any(|(id, _, _)| *id == g)
    {
        accounts::link_guardian(&txn, a.id, g).await?;
    }
    if let Some(to) = &a.email {
        queue(
            &txn,
            a.id,
            to,
            &crate::mail::child_attached(
                &app.config,
                a.language(),
                &a.identifiant_display,
                &m.pupil.first_name,
            ),
            now,
        )
        .await?;
    }
    accounts::audit(&txn, "child_attached", Some(a.id), None, None, now).await?;
    txn.commit().await?;
    Ok(m.pupil.first_name)
}
