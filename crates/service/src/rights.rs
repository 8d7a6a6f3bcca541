//! Each family's rights over its data (RGPD art. 15, 17 and 20, issue 16
//! §7): « Mes données » (everything held about the account, as JSON) and
//! « Supprimer mon compte » (password re-checked), with the administrator's
//! equivalents `sesame accounts export|delete ID`.

use crate::account::ChangeError;
use crate::app::App;
use crate::session::{self, Session};
use serde_json::{Value, json};
use sesame_store::{StoreError, WriteTxn, accounts, held};
use time::format_description::well_known::Rfc3339;

fn when(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn day(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Everything held about account `id`, as the holder downloads it; none if
/// there is no such account. Secrets (password hash, codes, tokens) are
/// never part of it; audit events keep their kind and date.
pub async fn export(app: &App, id: i32) -> Result<Option<Value>, StoreError> {
    let Some(h) = held::held(app.db.conn(), id).await? else {
        return Ok(None);
    };
    let a = &h.account;
    let children: Vec<Value> = h
        .pupils
        .iter()
        .map(|(p, s)| {
            json!({
                "prenom": p.first_name,
                "nom": p.last_name,
                "date_naissance": day(p.birth_date),
                "classe": p.class_code,
                "parti_le": p.left_on.map(day),
                "etablissement": s.as_ref().map(|s| json!({"uai": s.uai, "nom": s.name})),
            })
        })
        .collect();
    let guardians: Vec<Value> = h
        .guardians
        .iter()
        .map(|g| {
            json!({
                "civilite": g.civility,
                "nom": g.last_name,
                "prenom": g.first_name,
                "courriel_connu_de_l_etablissement": g.email,
                "adresse_postale": g.address,
            })
        })
        .collect();
    Ok(Some(json!({
        "exporte_le": when(app.clock.now()),
        "compte": {
            "identifiant": a.identifiant_display,
            "type": a.kind,
            "etat": a.state,
            "compte_commun": a.joint,
            "courriel": a.email,
            "cree_le": when(a.created_at),
            "confirme_le": a.confirmed_at.map(when),
            "derniere_connexion": a.last_login_at.map(when),
        },
        "enfants": children,
        "responsables": guardians,
        "fournisseurs_d_identite": h.federated.iter().map(|f| json!({
            "fournisseur": f.provider,
            "associe_le": when(f.created_at),
            "derniere_connexion": when(f.last_login_at),
        })).collect::<Vec<_>>(),
        "services_autorises": h.consents.iter().map(|c| json!({
            "service": c.client_id,
            "donnees": c.scopes,
            "autorise_le": when(c.granted_at),
        })).collect::<Vec<_>>(),
        "evenements": h.events.iter().map(|e| json!({
            "date": when(e.at),
            "evenement": e.kind,
        })).collect::<Vec<_>>(),
    })))
}

/// Who asked for a deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum By {
    /// The account's holder, from « gérer son compte ».
    Holder,
    /// An administrator, from the command line, named in the audit event.
    Administrator {
        /// The operator's name (`--operator`).
        operator: String,
    },
}

/// What a deletion removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    /// The identifiant the account had.
    pub identifiant: String,
    /// How many activation codes were freed for a new sign-up.
    pub codes_freed: u64,
}

/// Deletes account `id` at once: every row that names it goes in one
/// transaction, its codes are freed, an audit event stays; every session,
/// ticket and token it was given stops working. None if there is no such
/// account.
pub async fn delete(app: &App, id: i32, by: By) -> Result<Option<Deleted>, StoreError> {
    let now = app.clock.now();
    if accounts::find(app.db.conn(), id).await?.is_none() {
        return Ok(None);
    }
    // Every session ends, and what the sessions gave dies with the
    // generation (REV-01); once the row is gone the account has none.
    session::end_all(app, id).await?;
    let txn = app.db.conn().begin_write().await?;
    let Some(a) = accounts::find(&txn, id).await? else {
        return Ok(None);
    };
    let codes_freed = sesame_store::codes::used_by(&txn, id).await?;
    // Security: two deletions at once delete and record once; the second
    // finds nothing left (its transaction is rolled back).
    if !held::delete(&txn, id).await? {
        return Ok(None);
    }
    let (kind, detail) = match &by {
        By::Holder => ("account_deleted", None),
        By::Administrator { operator } => (
            "account_deleted_by_administrator",
            Some(crate::helpdesk::operator_detail(operator)),
        ),
    };
    accounts::audit_detail(
        &txn,
        kind,
        Some(id),
        Some(&app.keys.pseudonym(&a.identifiant)),
        None,
        detail.as_deref(),
        now,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(account.id = id, by = ?by, "account deleted");
    Ok(Some(Deleted {
        identifiant: a.identifiant_display,
        codes_freed,
    }))
}

/// « Supprimer mon compte »: the current password is checked (through the
/// login throttle) before the account of session `s` is deleted.
pub async fn delete_own(
    app: &App,
    s: &Session,
    current: &str,
    ip: &str,
) -> Result<(), ChangeError> {
    crate::account::reauthenticate(app, s, current, "actuel_suppression", ip).await?;
    delete(app, s.account_id, By::Holder).await?;
    Ok(())
}
