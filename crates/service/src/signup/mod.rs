//! Account creation on first visit (seed guide §1.2): pupil accounts with a
//! Code Activation Élève, parent accounts (personal or joint) with one Code
//! Activation Responsable per child.
//!
//! Nothing is written until every field is valid; then the account, its
//! links, the codes' consumption, the mail and the audit event are written
//! in one transaction.

pub mod parent;
mod pupil;
pub mod sms;

pub use parent::{ChildRow, ParentForm, create_parent_account};
pub use pupil::{PupilForm, create_pupil_account};

use crate::app::App;
use sesame_domain::{
    AccountState, ActivationCode, CodeKind, Identifiant, Message, normalize_first_name,
};
use sesame_store::codes::{self, CodeInfo};
use sesame_store::entity::pupil::Model as Pupil;
use sesame_store::{Key, Ns, StoreError, Throttle, accounts, school_data};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Failed code attempts after which a code is revoked (SECURITY.md ACT-03).
pub const CODE_FAILURE_LIMIT: i32 = 5;
/// Failed activations per hour from one address before refusing (ACT-04).
pub const IP_FAILURES_PER_HOUR: i64 = 10;

/// Error messages by field name, shown beside each field: message keys
/// that the web layer writes in the page's language
/// (`sesame_domain::Message`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Message>);

impl FieldErrors {
    /// No errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a field's message (a key, or a key with its arguments).
    pub fn insert(&mut self, field: impl Into<String>, message: impl Into<Message>) {
        self.0.insert(field.into(), message.into());
    }

    /// A field's message.
    pub fn get(&self, field: &str) -> Option<&Message> {
        self.0.get(field)
    }

    /// Whether the form is valid.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every (field, message).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Message)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// Why an account was not created.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    /// Some fields are wrong.
    #[error("invalid form")]
    Invalid(FieldErrors),
    /// Too many failed attempts from this address.
    #[error("throttled")]
    Throttled,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sesame_store::DbErr> for SignupError {
    fn from(e: sesame_store::DbErr) -> Self {
        Self::Store(StoreError::Db(e))
    }
}

impl From<sesame_store::EphemeralError> for SignupError {
    fn from(e: sesame_store::EphemeralError) -> Self {
        Self::Store(StoreError::Ephemeral(e))
    }
}

/// Message for a child who could not be identified: never says which field.
pub const NOT_IDENTIFIED: &str = "erreur-eleve-non-identifie";

/// The identifiant, password and email fields every sign-up asks for.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Credentials {
    /// Chosen identifiant.
    #[serde(default)]
    pub identifiant: String,
    /// Password.
    #[serde(default)]
    pub password: String,
    /// Password again.
    #[serde(default)]
    pub password2: String,
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Email again.
    #[serde(default)]
    pub email2: String,
    /// The language of the page where the form was filled: the account's
    /// mails are written in it (never read from the form itself).
    #[serde(skip)]
    pub language: sesame_domain::Language,
}

impl Credentials {
    /// Forgets the passwords (a form shown again never holds them).
    pub fn clear_passwords(&mut self) {
        self.password.clear();
        self.password2.clear();
    }
}

/// A typed birth date, in any of the forms phones and keyboards type
/// (`sesame_domain::birth_date`).
pub fn parse_birth(s: &str) -> Option<time::Date> {
    sesame_domain::birth_date::parse(s)
}

/// `ddmmyyyy` and `yyyy` of a birth date: context words for the password.
pub(crate) fn date_words(d: time::Date) -> [String; 2] {
    [
        format!("{:02}{:02}{:04}", d.day(), u8::from(d.month()), d.year()),
        format!("{:04}", d.year()),
    ]
}

/// Whether typed text is an email address Sésame accepts
/// (`sesame_domain::Email`).
pub fn valid_email(s: &str) -> bool {
    sesame_domain::Email::parse(s).is_ok()
}

/// The words a new password must not be built on: `context` (children's
/// names and birth dates), the identifiant and the email local part.
fn password_context(f: &Credentials, context: &[String]) -> Vec<String> {
    let mut ctx = context.to_vec();
    ctx.push(f.identifiant.clone());
    if let Some((local, _)) = f.email.split_once('@') {
        ctx.push(local.to_owned());
    }
    ctx
}

/// Checks the password again once the codes have named the schools: it
/// must not be built on their names either (AUTH-03, REST-04).
pub(crate) async fn check_against_schools(
    app: &App,
    f: &Credentials,
    context: &[String],
    uais: &[&str],
    errors: &mut FieldErrors,
) -> Result<(), SignupError> {
    let mut ctx = password_context(f, context);
    for uai in uais {
        let Ok(uai) = sesame_domain::Uai::parse(uai) else {
            continue;
        };
        if let Some(school) = school_data::find_school(app.db.conn(), &uai).await? {
            ctx.push(school.name);
        }
    }
    if let Err(p) = app.policy.check(&f.password, &ctx) {
        errors.insert("password", p.message());
    }
    Ok(())
}

/// Checks the identifiant, password and email fields; returns the
/// normalised identifiant when it is well formed.
fn check_credentials(
    app: &App,
    f: &Credentials,
    context: &[String],
    errors: &mut FieldErrors,
) -> Option<String> {
    let id = Identifiant::parse(&f.identifiant).ok().map(String::from);
    if id.is_none() {
        errors.insert("identifiant", "erreur-identifiant-format");
    }
    let ctx = password_context(f, context);
    if let Err(p) = app.policy.check(&f.password, &ctx) {
        errors.insert("password", p.message());
    } else if f.password != f.password2 {
        errors.insert("password2", "erreur-mdp-differents");
    }
    if !valid_email(&f.email) {
        errors.insert("email", "erreur-courriel-invalide");
    } else if f.email.trim() != f.email2.trim() {
        errors.insert("email2", "erreur-courriels-differents");
    }
    id
}

/// The address-level throttle key for activation failures.
fn ip_key(app: &App, ip: &str) -> Key {
    Ns::ActivationAddress.key(app.keys.stable_hmac(ip))
}

/// Activation attempts per address (SECURITY.md §1.3).
pub const ACTIVATIONS_PER_ADDRESS: Throttle = Throttle::per_hour(IP_FAILURES_PER_HOUR);

pub(crate) async fn ip_throttled(app: &App, ip: &str) -> Result<bool, SignupError> {
    Ok(ACTIVATIONS_PER_ADDRESS
        .exhausted(&app.store, &ip_key(app, ip))
        .await?)
}

/// An id no row has (ids start at 1).
const NO_ROW: i32 = 0;

/// A code that opened its pupil.
#[derive(Debug, Clone)]
pub(crate) struct Matched {
    pub(crate) info: CodeInfo,
    pub(crate) pupil: Pupil,
}

/// Looks a code up and checks it against the typed first name and birth
/// date. A failure is counted against the code (revoked at the 5th) and
/// against the address, and answers `None` whatever went wrong (ACT-02).
pub(crate) async fn match_code(
    app: &App,
    code: &ActivationCode,
    kind: CodeKind,
    prenom: &str,
    birth: time::Date,
    ip: &str,
    now: OffsetDateTime,
) -> Result<Option<Matched>, SignupError> {
    // Security: every code checked takes one of the address's attempts
    // first, atomically (CONC-03): a form carrying 24 codes, or 40 forms at
    // once, cannot check more codes than the limit; a code that opens its
    // pupil gives its attempt back.
    let key = ip_key(app, ip);
    if !ACTIVATIONS_PER_ADDRESS
        .reserve(&app.store, &key)
        .await?
        .allowed()
    {
        return Err(SignupError::Throttled);
    }
    let conn = app.db.conn();
    let info = codes::find_by_hmac(conn, &app.keys.code_hmacs(code)).await?;
    let usable = info
        .as_ref()
        .filter(|i| i.kind == kind.as_str() && i.revoked_at.is_none() && i.expires_at > now);
    // Security: the same statements whether the code exists or not
    // (CONC-07): an unknown code looks a pupil up, and counts its failure,
    // on an id that names no row.
    let pupil = codes::pupil_for_code(conn, usable.map_or(NO_ROW, |i| i.pupil_id)).await?;
    let ok = pupil.as_ref().is_some_and(|p| {
        p.first_name_key == normalize_first_name(prenom)
            && p.birth_date == birth
            && p.left_on.is_none_or(|d| d > now.date())
    });
    match (info, pupil) {
        (Some(info), Some(pupil)) if ok => {
            ACTIVATIONS_PER_ADDRESS.release(&app.store, &key).await?;
            Ok(Some(Matched { info, pupil }))
        }
        (info, _) => {
            let id = info.as_ref().map_or(NO_ROW, |i| i.id);
            if accounts::code_failure(conn, id, CODE_FAILURE_LIMIT, now).await? {
                tracing::warn!(
                    code.id = id,
                    "activation code revoked after repeated failures"
                );
            }
            Ok(None)
        }
    }
}

/// Whether a code may be used by a new account. A code held by an active
/// account, or by a pending one still within its week, is not; a code held
/// by a pending account whose week is over is (that account is purged in
/// the creating transaction). Returns the account to purge, or the message.
async fn code_holder(
    app: &App,
    info: &CodeInfo,
    now: OffsetDateTime,
) -> Result<Result<Option<i32>, &'static str>, SignupError> {
    let Some(holder) = info.used_by_account_id else {
        return Ok(Ok(None));
    };
    let account = accounts::find(app.db.conn(), holder).await?;
    Ok(match account {
        Some(a)
            if a.state() == AccountState::Pending
                && crate::confirm::deadline(app, a.created_at) <= now =>
        {
            Ok(Some(a.id))
        }
        Some(a) if a.state() == AccountState::Pending => Err("erreur-code-compte-en-attente"),
        _ => Err("erreur-code-compte-existant"),
    })
}

async fn hash_password(app: &App, password: &str) -> Result<String, SignupError> {
    app.hasher.hash(password).await.map_err(|e| {
        SignupError::Store(StoreError::Ephemeral(
            sesame_store::EphemeralError::from_text(e),
        ))
    })
}

async fn identifiant_taken(app: &App, id: &str) -> Result<bool, SignupError> {
    Ok(accounts::find_by_identifiant(app.db.conn(), id)
        .await?
        .is_some())
}

const IDENTIFIANT_TAKEN: &str = "erreur-identifiant-utilise";
