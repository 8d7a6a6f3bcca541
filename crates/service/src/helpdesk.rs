//! The helpdesk: what a secretary's call needs (`sesame accounts find`,
//! `show`, `unlock`, `resend-confirmation`, `reset-password`, `disable`,
//! `enable`). Every change writes an audit event naming the operator.

use crate::app::App;
use serde::Serialize;
use sesame_domain::{AccountKind, AccountState};
use sesame_store::{StoreError, WriteTxn, accounts, helpdesk as repo};
use time::OffsetDateTime;

/// At most this many accounts answer a search.
pub const FIND_LIMIT: u64 = 50;

/// Why a helpdesk action was not done.
#[derive(Debug, thiserror::Error)]
pub enum HelpdeskError {
    /// No account has this id.
    #[error("aucun compte n°{0}")]
    NoAccount(i32),
    /// The account is not in a state where this action means anything.
    #[error("{0}")]
    Refused(String),
    /// The database or the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sesame_store::DbErr> for HelpdeskError {
    fn from(e: sesame_store::DbErr) -> Self {
        Self::Store(e.into())
    }
}

/// The audit detail that names the operator of a command.
pub fn operator_detail(operator: &str) -> String {
    format!("opérateur : {operator}")
}

/// Checks an operator's name: 1 to 64 characters, no control character.
pub fn parse_operator(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("--operator : le nom de l'opérateur est vide".into());
    }
    if name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err("--operator : 64 caractères au plus, sans caractère de contrôle".into());
    }
    Ok(name.to_owned())
}

/// One account found.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// Its id.
    pub id: i32,
    /// Its identifiant, as typed at creation.
    pub identifiant: String,
    /// Whose account it is.
    pub kind: AccountKind,
    /// Where it stands.
    pub state: AccountState,
}

/// The accounts whose identifiant, address, or holder's or child's name
/// contains every word of `text`.
pub async fn find(app: &App, text: &str) -> Result<Vec<Found>, HelpdeskError> {
    if text.trim().chars().count() < 2 {
        return Err(HelpdeskError::Refused(
            "tapez au moins deux caractères à chercher".into(),
        ));
    }
    Ok(repo::search(app.db.conn(), text, FIND_LIMIT)
        .await?
        .into_iter()
        .map(|a| Found {
            id: a.id,
            identifiant: a.identifiant_display.clone(),
            kind: a.kind(),
            state: a.state(),
        })
        .collect())
}

/// A child on an account's card.
#[derive(Debug, Clone, Serialize)]
pub struct CardChild {
    /// First name.
    pub prenom: String,
    /// Family name.
    pub nom: String,
    /// School name.
    pub etablissement: String,
}

/// A link mailed and not used yet.
#[derive(Debug, Clone, Serialize)]
pub struct CardLink {
    /// What it is for: confirm, unlock, temp_password, email_change,
    /// email_cancel.
    pub purpose: String,
    /// When it expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Everything `sesame accounts show` tells about an account.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    /// Its id.
    pub id: i32,
    /// Its identifiant, as typed at creation.
    pub identifiant: String,
    /// Whose account it is.
    pub kind: AccountKind,
    /// Where it stands.
    pub state: AccountState,
    /// Its address.
    pub email: Option<String>,
    /// Whether it logs in with a password (not through an upstream provider).
    pub has_password: bool,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Confirmed (parent accounts).
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirmed_at: Option<OffsetDateTime>,
    /// The end of its week to confirm, while it is pending.
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirm_by: Option<OffsetDateTime>,
    /// Last successful login.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
    /// Stamped as a leaver (its school data says it left).
    #[serde(with = "time::serde::rfc3339::option")]
    pub left_at: Option<OffsetDateTime>,
    /// Children still at school, with their schools.
    pub children: Vec<CardChild>,
    /// Consecutive login failures counted.
    pub login_failures: i64,
    /// Login delayed until.
    #[serde(with = "time::serde::rfc3339::option")]
    pub delayed_until: Option<OffsetDateTime>,
    /// Login blocked until.
    #[serde(with = "time::serde::rfc3339::option")]
    pub blocked_until: Option<OffsetDateTime>,
    /// Links mailed and still usable.
    pub pending_links: Vec<CardLink>,
}

fn at(unix: Option<i64>) -> Option<OffsetDateTime> {
    unix.and_then(|u| OffsetDateTime::from_unix_timestamp(u).ok())
}

/// The card of account `id`.
pub async fn show(app: &App, id: i32) -> Result<Card, HelpdeskError> {
    let conn = app.db.conn();
    let a = accounts::find(conn, id)
        .await?
        .ok_or(HelpdeskError::NoAccount(id))?;
    let now = app.clock.now();
    let block = crate::login::block_state(app, &a.identifiant).await?;
    let children = crate::account::children(app, id)
        .await?
        .into_iter()
        .map(|c| CardChild {
            prenom: c.first_name,
            nom: c.last_name,
            etablissement: c.school,
        })
        .collect();
    let pending_links = repo::pending_links(conn, id, now)
        .await?
        .into_iter()
        .map(|(purpose, expires_at)| CardLink {
            purpose,
            expires_at,
        })
        .collect();
    Ok(Card {
        id,
        identifiant: a.identifiant_display.clone(),
        kind: a.kind(),
        state: a.state(),
        email: a.email.clone(),
        has_password: a.has_password(),
        created_at: a.created_at,
        confirmed_at: a.confirmed_at,
        confirm_by: (a.state() == AccountState::Pending)
            .then(|| crate::confirm::deadline(app, a.created_at)),
        last_login_at: a.last_login_at,
        left_at: a.left_at,
        children,
        login_failures: block.failures,
        delayed_until: at(block.delayed_until),
        blocked_until: at(block.blocked_until),
        pending_links,
    })
}

async fn account(app: &App, id: i32) -> Result<accounts::Account, HelpdeskError> {
    accounts::find(app.db.conn(), id)
        .await?
        .ok_or(HelpdeskError::NoAccount(id))
}

async fn audit(app: &App, kind: &str, id: i32, operator: &str) -> Result<(), HelpdeskError> {
    accounts::audit_detail(
        app.db.conn(),
        kind,
        Some(id),
        None,
        None,
        Some(&operator_detail(operator)),
        app.clock.now(),
    )
    .await?;
    Ok(())
}

/// Clears the login delay or block of account `id` and its failure count.
pub async fn unlock(app: &App, id: i32, operator: &str) -> Result<(), HelpdeskError> {
    let a = account(app, id).await?;
    crate::login::clear_block(app, &a.identifiant).await?;
    audit(app, "account_unlocked_by_operator", id, operator).await?;
    tracing::info!(account.id = id, "account unlocked by an operator");
    Ok(())
}

/// Mails a pending parent account a fresh confirmation link; the old one
/// stops working. Answers the address it went to.
pub async fn resend_confirmation(
    app: &App,
    id: i32,
    operator: &str,
) -> Result<String, HelpdeskError> {
    let a = account(app, id).await?;
    let now = app.clock.now();
    if a.state() != AccountState::Pending {
        return Err(HelpdeskError::Refused(format!(
            "le compte n°{id} n'attend pas de confirmation (état : {})",
            a.state()
        )));
    }
    if crate::confirm::deadline(app, a.created_at) <= now {
        return Err(HelpdeskError::Refused(format!(
            "la semaine de confirmation du compte n°{id} est passée : il sera supprimé \
             (sesame accounts purge) et ses codes libérés pour une nouvelle inscription"
        )));
    }
    let Some(email) = a.email.clone() else {
        return Err(HelpdeskError::Refused(format!(
            "le compte n°{id} n'a pas d'adresse"
        )));
    };
    let txn = app.db.conn().begin_write().await?;
    crate::confirm::issue(&txn, app, &a, &email, now).await?;
    accounts::audit_detail(
        &txn,
        "confirmation_resent_by_operator",
        Some(id),
        None,
        None,
        Some(&operator_detail(operator)),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(email)
}

/// Mails an active account with a password a temporary password (24 h,
/// single use, superseding an earlier one); logging in with it leads
/// straight to choosing a new password. Answers the address it went to.
pub async fn reset_password(app: &App, id: i32, operator: &str) -> Result<String, HelpdeskError> {
    let a = account(app, id).await?;
    if !a.has_password() {
        return Err(HelpdeskError::Refused(format!(
            "le compte n°{id} se connecte par un fournisseur d'identité : il n'a pas de mot de passe"
        )));
    }
    if !a.is_active() {
        return Err(HelpdeskError::Refused(format!(
            "le compte n°{id} n'est pas actif (état : {})",
            a.state()
        )));
    }
    let Some(email) = a.email.clone() else {
        return Err(HelpdeskError::Refused(format!(
            "le compte n°{id} n'a pas d'adresse : délivrez de nouveaux codes \
             (sesame codes reissue) après l'avoir supprimé"
        )));
    };
    crate::recovery::mail_temporary_password(
        app,
        &a,
        &email,
        "temporary_password_sent_by_operator",
        None,
        Some(&operator_detail(operator)),
    )
    .await?;
    Ok(email)
}

/// Disables an active account: every session, ticket and token it was
/// given ends at once (refresh tokens included); no login until
/// [`enable`].
pub async fn disable(app: &App, id: i32, operator: &str) -> Result<(), HelpdeskError> {
    let a = account(app, id).await?;
    if a.state() != AccountState::Active {
        return Err(HelpdeskError::Refused(format!(
            "le compte n°{id} n'est pas actif (état : {})",
            a.state()
        )));
    }
    // First: should the disabling fail, nothing issued before lives on.
    crate::session::end_all(app, id).await?;
    let now = app.clock.now();
    let txn = app.db.conn().begin_write().await?;
    if !accounts::switch_state(&txn, id, AccountState::Active, AccountState::Disabled, now).await? {
        return Err(HelpdeskError::Refused(format!(
            "le compte n°{id} vient de changer d'état"
        )));
    }
    accounts::audit_detail(
        &txn,
        "account_disabled",
        Some(id),
        None,
        None,
        Some(&operator_detail(operator)),
        now,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(account.id = id, "account disabled by an operator");
    Ok(())
}

/// Enables a disabled account again. Answers whether the account is
/// stamped as a leaver (the periodic job will disable it again when its
/// grace period is over).
pub async fn enable(app: &App, id: i32, operator: &str) -> Result<bool, HelpdeskError> {
    let a = account(app, id).await?;
    let now = app.clock.now();
    let txn = app.db.conn().begin_write().await?;
    if !accounts::switch_state(&txn, id, AccountState::Disabled, AccountState::Active, now).await? {
        return Err(HelpdeskError::Refused(format!(
            "le compte n°{id} n'est pas désactivé (état : {})",
            a.state()
        )));
    }
    accounts::audit_detail(
        &txn,
        "account_enabled",
        Some(id),
        None,
        None,
        Some(&operator_detail(operator)),
        now,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(account.id = id, "account enabled by an operator");
    Ok(a.left_at.is_some())
}
