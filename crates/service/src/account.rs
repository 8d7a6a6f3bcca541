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
use sesame_store::{ConnectionTrait, DbErr, Ns, StoreError, Throttle, TransactionTrait, accounts};

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

const WRONG_CURRENT: &str = "Mot de passe actuel incorrect.";

fn invalid(field: &str, message: &str) -> ChangeError {
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
    let txn = app.db.conn().begin().await?;
    accounts::set_password(&txn, a.id, &hash, now).await?;
    tokens::spend_all(&txn, a.id, &[purpose::TEMP_PASSWORD], now).await?;
    sesame_store::campaigns::renewed(&txn, a.id, now).await?;
    if let Some(to) = &a.email {
        queue(
            &txn,
            a.id,
            to,
            &crate::mail::password_changed(&app.config, &a.identifiant_display),
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
        return Err(invalid("nouveau", &p.to_string()));
    }
    if new != new2 {
        return Err(invalid(
            "nouveau2",
            "Les deux mots de passe ne sont pas identiques.",
        ));
    }
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
                    errors.insert(field, message);
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
        return Err(invalid(
            "nouveau",
            "Choisissez un mot de passe différent du mot de passe temporaire.",
        ));
    }
    let old = format!("{}{}", session::RENEWAL, app.keys.stable_hmac(new));
    if s.must_change.as_deref() == Some(old.as_str()) {
        return Err(invalid(
            "nouveau",
            "Choisissez un mot de passe différent de votre ancien mot de passe.",
        ));
    }
    check_new(app, new, new2, &context_words(app, &a).await?)?;
    store_password(app, &a, s, new, "password_reset").await
}

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
        return Err(invalid(
            "courriel",
            "Indiquez une adresse électronique valide (ex. prenom.nom@exemple.fr).",
        ));
    }
    if email != email2.trim() {
        return Err(invalid(
            "courriel2",
            "Les deux adresses électroniques ne sont pas identiques.",
        ));
    }
    let a = reauthenticate(app, s, current, "actuel_courriel", ip).await?;
    let now = app.clock.now();
    let until = now + time::Duration::hours(24);
    let (confirm, cancel) = (new_token(), new_token());
    let txn = app.db.conn().begin().await?;
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
        &app.keys.token_hmac(&confirm),
        Some(email),
        now,
        until,
    )
    .await?;
    tokens::issue_with(
        &txn,
        a.id,
        purpose::EMAIL_CANCEL,
        &app.keys.token_hmac(&cancel),
        Some(email),
        now,
        until,
    )
    .await?;
    queue(
        &txn,
        a.id,
        email,
        &crate::mail::email_change_confirm(&app.config, &a.identifiant_display, &confirm),
        now,
    )
    .await?;
    if let Some(old) = &a.email {
        queue(
            &txn,
            a.id,
            old,
            &crate::mail::email_change_notice(&app.config, &a.identifiant_display, &cancel),
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
    let txn = conn.begin().await?;
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
        return Err(invalid(
            "code",
            "Seul un compte responsable peut rattacher un enfant.",
        ));
    }
    if ip_throttled(app, ip).await? {
        return Err(ChangeError::Throttled);
    }
    let (Some(birth), Ok(code), false) = (
        parse_birth(&f.naissance),
        ActivationCode::parse(&f.code),
        f.prenom.trim().is_empty(),
    ) else {
        return Err(invalid(
            "code",
            "Indiquez le prénom, la date de naissance (jj/mm/aaaa) et le Code Activation Responsable figurant sur le courrier.",
        ));
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
        return Err(invalid(
            "code",
            "Ce code figure sur un courrier adressé à une autre personne : chaque responsable rattache ses enfants avec ses propres codes.",
        ));
    }
    // « Ce n'est pas mon enfant »: a child this account reported stays
    // away until the school puts the link back (`reports resolve --restore`).
    if sesame_store::reports::withheld(app.db.conn(), a.id, m.pupil.id).await? {
        return Err(invalid(
            "code",
            "Vous avez signalé que cet enfant n'est pas le vôtre : l'établissement doit d'abord traiter ce signalement.",
        ));
    }
    if accounts::has_pupil(app.db.conn(), a.id, m.pupil.id).await? {
        return Err(invalid(
            "code",
            "Cet enfant est déjà rattaché à votre compte.",
        ));
    }
    if m.info.used_by_account_id.is_some() {
        return Err(invalid("code", "Ce code d'activation a déjà servi."));
    }
    let txn = app.db.conn().begin().await?;
    if !accounts::claim_code(&txn, m.info.id, a.id).await? {
        txn.rollback().await?;
        return Err(invalid("code", "Ce code d'activation a déjà servi."));
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
            &crate::mail::child_attached(&app.config, &a.identifiant_display, &m.pupil.first_name),
            now,
        )
        .await?;
    }
    accounts::audit(&txn, "child_attached", Some(a.id), None, None, now).await?;
    txn.commit().await?;
    Ok(m.pupil.first_name)
}

/// Attempts at choosing an identifiant, per account and hour: a taken
/// name says so (as at sign-up), so the attempts are few.
pub const IDENTIFIANT_CHOICES: Throttle = Throttle::per_hour(5);

/// Why a chosen identifiant is refused because another account holds it.
pub const IDENTIFIANT_TAKEN: &str = "Cet identifiant est déjà pris : choisissez-en un autre.";

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
        return Err(invalid(
            "identifiant",
            "L'identifiant doit compter 3 à 64 caractères : lettres sans accent, chiffres, « . », « - » ou « _ ».",
        ));
    };
    let display = wanted.trim();
    if display == a.identifiant_display {
        return Err(invalid(
            "identifiant",
            "C'est déjà votre identifiant : indiquez celui que vous souhaitez.",
        ));
    }
    let now = app.clock.now();
    let txn = app.db.conn().begin().await?;
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
const ALREADY_CHOSEN: &str = "Votre identifiant ne peut plus être modifié : il a été choisi à la création du compte ou lors d'un changement précédent.";
