//! "Gérer son compte" (seed guide §1.2.1–1.2.2): the account's children,
//! password change, email change, attaching another child; and the new
//! password chosen after logging in with a temporary one.
//!
//! Every action that changes the account asks for the current password,
//! checked through the login throttle (AUTH-10, AUTH-13).

use crate::app::App;
use crate::login::{Checked, check_password};
use crate::session::{self, Session, new_token};
use crate::signup::{
    CODE_FAILURE_LIMIT, FieldErrors, NOT_IDENTIFIED, ip_throttled, match_code, parse_birth,
    valid_email,
};
use sesame_domain::{AccountKind, ActivationCode, CodeKind, normalize_first_name};
use sesame_store::outbox::{self, NewMail};
use sesame_store::tokens;
pub use sesame_store::tokens::purpose;
use sesame_store::{ConnectionTrait, DbErr, Ns, StoreError, Throttle, WriteTxn, accounts};

mod attach;
mod email;
mod identifiant;

pub use attach::{AttachForm, attach_child};
pub use email::{email_link_valid, request_email_change, use_email_link};
pub use identifiant::{IDENTIFIANT_CHOICES, IDENTIFIANT_TAKEN, choose_identifiant};

/// A child attached to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    /// The pupil's row (what « Ce n'est pas mon enfant » names).
    pub pupil_id: i32,
    /// First name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// School name.
    pub school: String,
}

/// The children attached to an account (both guardians' for a joint one).
pub async fn children(app: &App, account_id: i32) -> Result<Vec<Child>, StoreError> {
    Ok(
        accounts::children(app.db.conn(), account_id, app.clock.now().date())
            .await?
            .into_iter()
            .map(|(pupil_id, first_name, last_name, school)| Child {
                pupil_id,
                first_name,
                last_name,
                school,
            })
            .collect(),
    )
}

/// What the account page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Identifiant as typed at creation.
    pub identifiant: String,
    /// Current address, masked (`c***@exemple.fr`).
    pub email: String,
    /// `responsable` or `eleve`.
    pub kind: String,
    /// Attached children.
    pub children: Vec<Child>,
    /// National identity providers a parent may log in with: (id, name,
    /// whether this account is linked to it).
    pub upstreams: Vec<(String, String, bool)>,
    /// Whether the owner may still choose the identifiant (it was given
    /// by an upstream provider, and not chosen yet).
    pub may_choose_identifiant: bool,
}

/// Masks an address for display: the first character of the local part.
pub fn mask_email(addr: &str) -> String {
    match addr.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// The account page's contents.
pub async fn overview(app: &App, account_id: i32) -> Result<Option<Overview>, StoreError> {
    let Some(a) = accounts::find(app.db.conn(), account_id).await? else {
        return Ok(None);
    };
    let linked = sesame_store::federated::providers_of(app.db.conn(), account_id).await?;
    let upstreams = app
        .config
        .upstream
        .iter()
        .filter(|u| u.match_guardians && a.kind() == AccountKind::Responsable)
        .map(|u| (u.id.clone(), u.name.clone(), linked.contains(&u.id)))
        .collect();
    Ok(Some(Overview {
        may_choose_identifiant: a.may_choose_identifiant(),
        identifiant: a.identifiant_display,
        email: a.email.as_deref().map(mask_email).unwrap_or_default(),
        kind: a.kind,
        children: children(app, account_id).await?,
        upstreams,
    }))
}

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Some fields are wrong.
    #[error("invalid form")]
    Invalid(FieldErrors),
    /// Too many attempts from this address.
    #[error("throttled")]
    Throttled,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for ChangeError {
    fn from(e: DbErr) -> Self {
        Self::Store(StoreError::Db(e))
    }
}

impl From<crate::signup::SignupError> for ChangeError {
    fn from(e: crate::signup::SignupError) -> Self {
        match e {
            crate::signup::SignupError::Invalid(f) => Self::Invalid(f),
            crate::signup::SignupError::Throttled => Self::Throttled,
            crate::signup::SignupError::Store(s) => Self::Store(s),
        }
    }
}

const WRONG_CURRENT: &str = "erreur-mdp-actuel";

fn invalid(field: &str, message: impl Into<sesame_domain::Message>) -> ChangeError {
    let mut e = FieldErrors::new();
    e.insert(field, message);
    ChangeError::Invalid(e)
}

/// Checks the current password through the login throttle.
pub(crate) async fn reauthenticate(
    app: &App,
    s: &Session,
    current: &str,
    field: &str,
    ip: &str,
) -> Result<accounts::Account, ChangeError> {
    let Some(a) = accounts::find(app.db.conn(), s.account_id).await? else {
        return Err(invalid(field, WRONG_CURRENT));
    };
    match check_password(app, &a.identifiant, current, ip).await? {
        Checked::Password(a) => Ok(a),
        Checked::IpThrottled(_) => Err(ChangeError::Throttled),
        Checked::Temporary(..) | Checked::Failed => Err(invalid(field, WRONG_CURRENT)),
    }
}

async fn context_words(app: &App, a: &accounts::Account) -> Result<Vec<String>, StoreError> {
    let mut ctx = vec![a.identifiant.clone()];
    if let Some((local, _)) = a.email.as_deref().and_then(|e| e.split_once('@')) {
        ctx.push(local.to_owned());
    }
    // The children's first names, birth dates and schools (AUTH-03, REST-04).
    for (first_name, birth, school) in accounts::children_words(app.db.conn(), a.id).await? {
        ctx.push(first_name);
        ctx.extend(crate::signup::date_words(birth));
        ctx.push(school);
    }
    Ok(ctx)
}

async fn queue(
    db: &impl ConnectionTrait,
    account_id: i32,
    to: &str,
    mail: &crate::mail::Contents,
    now: time::OffsetDateTime,
) -> Result<(), DbErr> {
    outbox::enqueue(
        db,
        NewMail {
            account_id: Some(account_id),
            to,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        },
        now,
    )
    .await
}

/// Stores a new password, ends every session of the account, mails a
/// notice; returns the account's new session record for this browser.
async fn store_password(
    app: &App,
    a: &accounts::Account,
    s: &Session,
    new: &str,
    event: &str,
) -> Result<Session, ChangeError> {
    let hash = app
        .hasher
        .hash(new)
        .await
        .map_err(|e| StoreError::Ephemeral(sesame_store::EphemeralError::from_text(e)))?;
    let now = app.clock.now();
    let txn = app.db.conn().begin_write().await?;
    accounts::set_password(&txn, a.id, &hash, now).await?;
    tokens::spend_all(&txn, a.id, &[purpose::TEMP_PASSWORD], now).await?;
    sesame_store::campaigns::renewed(&txn, a.id, now).await?;
    if let Some(to) = &a.email {
        queue(
            &txn,
            a.id,
            to,
            &crate::mail::password_changed(&app.config, a.language(), &a.identifiant_display),
            now,
        )
        .await?;
    }
    accounts::audit(
        &txn,
        event,
        Some(a.id),
        Some(&app.keys.pseudonym(&a.identifiant)),
        None,
        now,
    )
    .await?;
    txn.commit().await?;
    session::end_all(app, a.id).await?;
    Ok(Session {
        auth_time: now.unix_timestamp(),
        must_change: None,
        ..s.clone()
    })
}

fn check_new(app: &App, new: &str, new2: &str, ctx: &[String]) -> Result<(), ChangeError> {
    if let Err(p) = app.policy.check(new, ctx) {
        return Err(invalid("nouveau", p.message()));
    }
    if new != new2 {
        return Err(invalid("nouveau2", "erreur-mdp-differents"));
    }
    Ok(())
}

/// Sets the language of the account's mails (its owner switched the
/// language of the pages while signed in).
pub async fn set_language(
    app: &App,
    account_id: i32,
    language: sesame_domain::Language,
) -> Result<(), StoreError> {
    accounts::set_language(app.db.conn(), account_id, language).await?;
    Ok(())
}

/// Changes the password (current one required). Every other session of the
/// account ends; returns this browser's new session record.
pub async fn change_password(
    app: &App,
    s: &Session,
    current: &str,
    new: &str,
    new2: &str,
    ip: &str,
) -> Result<Session, ChangeError> {
    // Every error of the form at once (issue 17): the new password is
    // checked even when the current one is wrong (it is the session's own
    // account: nothing is told to anyone else).
    let rule = match accounts::find(app.db.conn(), s.account_id).await? {
        Some(a) => check_new(app, new, new2, &context_words(app, &a).await?).err(),
        None => None,
    };
    let a = match reauthenticate(app, s, current, "actuel", ip).await {
        Ok(a) => a,
        Err(ChangeError::Invalid(mut errors)) => {
            if let Some(ChangeError::Invalid(more)) = rule {
                for (field, message) in more.iter() {
                    errors.insert(field, message.clone());
                }
            }
            return Err(ChangeError::Invalid(errors));
        }
        Err(e) => return Err(e),
    };
    if let Some(e) = rule {
        return Err(e);
    }
    store_password(app, &a, s, new, "password_changed").await
}

/// Sets the new password after a login with a temporary one: it must follow
/// the policy and differ from the temporary password.
pub async fn replace_temporary(
    app: &App,
    s: &Session,
    new: &str,
    new2: &str,
) -> Result<Session, ChangeError> {
    let Some(a) = accounts::find(app.db.conn(), s.account_id).await? else {
        return Err(invalid("nouveau", WRONG_CURRENT));
    };
    let same = sesame_domain::secret::as_temporary(new)
        .is_some_and(|t| Some(app.keys.stable_hmac(&t)) == s.must_change);
    if same {
        return Err(invalid("nouveau", "erreur-mdp-temporaire"));
    }
    let old = format!("{}{}", session::RENEWAL, app.keys.stable_hmac(new));
    if s.must_change.as_deref() == Some(old.as_str()) {
        return Err(invalid("nouveau", "erreur-mdp-ancien"));
    }
    check_new(app, new, new2, &context_words(app, &a).await?)?;
    store_password(app, &a, s, new, "password_reset").await
}
