//! Account creation on first visit. This version creates pupil accounts
//! (prénom, date de naissance, Code Activation Élève, then identifiant,
//! password and email); parent accounts come next.
//!
//! Nothing is written until every field is valid; then the account, its
//! link to the pupil, the code's consumption, the notice mail and the audit
//! event are written in one transaction.

use crate::app::App;
use crate::import::parse_date;
use crate::login::normalize_identifiant;
use sesame_domain::{ActivationCode, CodeKind, normalize_first_name};
use sesame_store::accounts::{self, NewAccount};
use sesame_store::{StoreError, TransactionTrait, codes};
use std::collections::BTreeMap;
use std::time::Duration;

/// Failed code attempts after which a code is revoked (SECURITY.md ACT-03).
pub const CODE_FAILURE_LIMIT: i32 = 5;
/// Failed activations per hour from one address before refusing.
pub const IP_FAILURES_PER_HOUR: i64 = 10;

/// The pupil sign-up form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PupilForm {
    /// Prénom.
    #[serde(default)]
    pub prenom: String,
    /// Date de naissance, `jj/mm/aaaa` (or `aaaa-mm-jj` from a date input).
    #[serde(default)]
    pub naissance: String,
    /// Code Activation Élève.
    #[serde(default)]
    pub code: String,
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
}

/// Error messages by field name, shown beside each field.
pub type FieldErrors = BTreeMap<&'static str, String>;

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
pub const NOT_IDENTIFIED: &str = "Nous n'avons pas pu identifier l'élève avec ces informations. Vérifiez le prénom, la date de naissance et le code figurant sur le courrier.";

fn parse_birth(s: &str) -> Option<time::Date> {
    let s = s.trim();
    if let Ok(d) = parse_date(s) {
        return Some(d);
    }
    time::Date::parse(
        s,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

fn valid_email(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s.contains(|c: char| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';')
        })
}

/// Checks the identifiant, password and email fields shared by every sign-up.
fn check_credentials(
    app: &App,
    f: &PupilForm,
    context: &[String],
    errors: &mut FieldErrors,
) -> Option<String> {
    let id = normalize_identifiant(&f.identifiant);
    if id.is_none() {
        errors.insert("identifiant", "L'identifiant doit compter 3 à 64 caractères : lettres sans accent, chiffres, « . », « - » ou « _ ».".into());
    }
    let mut ctx = context.to_vec();
    ctx.push(f.identifiant.clone());
    if let Some((local, _)) = f.email.split_once('@') {
        ctx.push(local.to_owned());
    }
    if let Err(p) = app.policy.check(&f.password, &ctx) {
        errors.insert("password", p.to_string());
    } else if f.password != f.password2 {
        errors.insert(
            "password2",
            "Les deux mots de passe ne sont pas identiques.".into(),
        );
    }
    if !valid_email(&f.email) {
        errors.insert(
            "email",
            "Indiquez une adresse électronique valide (ex. prenom.nom@exemple.fr).".into(),
        );
    } else if f.email.trim() != f.email2.trim() {
        errors.insert(
            "email2",
            "Les deux adresses électroniques ne sont pas identiques.".into(),
        );
    }
    id
}

/// Creates a pupil account from the form; returns the account id.
pub async fn create_pupil_account(app: &App, f: &PupilForm, ip: &str) -> Result<i32, SignupError> {
    let ip_key = format!("thr:act:ip:{}", app.keys.token_hmac(ip));
    let ip_failures = app.store.count(&ip_key).await?;
    if ip_failures >= IP_FAILURES_PER_HOUR {
        return Err(SignupError::Throttled);
    }
    let mut errors = FieldErrors::new();
    let birth = parse_birth(&f.naissance);
    if f.prenom.trim().is_empty() {
        errors.insert("prenom", "Indiquez le prénom de l'élève.".into());
    }
    if birth.is_none() {
        errors.insert(
            "naissance",
            "Indiquez la date de naissance au format jj/mm/aaaa.".into(),
        );
    }
    let code = ActivationCode::parse(&f.code);
    if let Err(e) = &code {
        errors.insert("code", format!("Le code d'activation est mal saisi : {e}."));
    }
    let mut context = vec![f.prenom.clone()];
    if let Some(b) = birth {
        context.push(format!(
            "{:02}{:02}{:04}",
            b.day(),
            u8::from(b.month()),
            b.year()
        ));
    }
    let id = check_credentials(app, f, &context, &mut errors);
    let (Ok(code), Some(birth), Some(id), true) = (code, birth, id, errors.is_empty()) else {
        return Err(SignupError::Invalid(errors));
    };

    let now = app.clock.now();
    let conn = app.db.conn();
    let info = codes::find_by_hmac(conn, &app.keys.code_hmac(&code)).await?;
    let pupil = match &info {
        Some(i)
            if i.kind == CodeKind::Eleve.as_str()
                && i.revoked_at.is_none()
                && i.expires_at > now =>
        {
            codes::pupil_for_code(conn, i.pupil_id).await?
        }
        _ => None,
    };
    let matches = pupil.as_ref().is_some_and(|p| {
        p.first_name_key == normalize_first_name(&f.prenom)
            && p.birth_date == birth
            && p.left_on.is_none_or(|d| d > now.date())
    });
    let Some(info) = info.clone().filter(|_| matches) else {
        if let Some(i) = &info {
            accounts::code_failure(conn, i.id, CODE_FAILURE_LIMIT, now).await?;
        }
        app.store.incr(&ip_key, Duration::from_secs(3600)).await?;
        errors.insert("code", NOT_IDENTIFIED.into());
        return Err(SignupError::Invalid(errors));
    };
    if info.used_by_account_id.is_some() {
        errors.insert("code", "Ce code d'activation a déjà servi à créer un compte. Connectez-vous avec votre identifiant, ou utilisez « identifiant oublié ? ».".into());
        return Err(SignupError::Invalid(errors));
    }
    if accounts::find_by_identifiant(conn, &id).await?.is_some() {
        errors.insert(
            "identifiant",
            "Cet identifiant est déjà utilisé : choisissez-en un autre.".into(),
        );
        return Err(SignupError::Invalid(errors));
    }
    let hash = app.hasher.hash(&f.password).await.map_err(|e| {
        SignupError::Store(StoreError::Ephemeral(
            sesame_store::EphemeralError::from_text(e),
        ))
    })?;
    let txn = conn.begin().await?;
    let email = f.email.trim().to_owned();
    let account = accounts::insert(
        &txn,
        NewAccount {
            identifiant: id.clone(),
            identifiant_display: f.identifiant.trim().to_owned(),
            password_hash: hash,
            email: Some(email.clone()),
            state: "active",
            kind: "eleve",
            joint: false,
        },
        now,
    )
    .await
    .map_err(|e| {
        // A concurrent sign-up took the identifiant between check and insert.
        tracing::info!(error = %e, "account insert refused");
        e
    })?;
    accounts::link_pupil(&txn, account.id, info.pupil_id).await?;
    if !accounts::claim_code(&txn, info.id, account.id).await? {
        txn.rollback().await?;
        errors.insert(
            "code",
            "Ce code d'activation a déjà servi à créer un compte.".into(),
        );
        return Err(SignupError::Invalid(errors));
    }
    let (subject, text, html) =
        crate::mail::pupil_account_created(&app.config, f.identifiant.trim());
    accounts::enqueue_mail(&txn, &email, &subject, &text, &html, now).await?;
    accounts::audit(&txn, "account_created", Some(account.id), None, None, now).await?;
    txn.commit().await?;
    tracing::info!(account.id = account.id, "pupil account created");
    Ok(account.id)
}
