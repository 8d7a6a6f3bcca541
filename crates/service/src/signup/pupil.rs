//! Pupil account creation: prénom, date de naissance, Code Activation Élève.
//! The account is active at once; a notice is mailed.

use super::{
    Credentials, FieldErrors, IDENTIFIANT_TAKEN, NOT_IDENTIFIED, SignupError,
    check_against_schools, check_credentials, code_holder, date_words, hash_password,
    identifiant_taken, ip_throttled, match_code, parse_birth,
};
use crate::app::App;
use sesame_domain::{AccountKind, AccountState, ActivationCode, CodeKind, Message};
use sesame_store::WriteTxn;
use sesame_store::accounts::{self, NewAccount};
use sesame_store::outbox::{self, NewMail};

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
    /// Identifiant, password, email.
    #[serde(flatten)]
    pub credentials: Credentials,
}

/// Creates a pupil account from the form; returns the account id.
pub async fn create_pupil_account(app: &App, f: &PupilForm, ip: &str) -> Result<i32, SignupError> {
    if ip_throttled(app, ip).await? {
        return Err(SignupError::Throttled);
    }
    let mut errors = FieldErrors::new();
    let birth = parse_birth(&f.naissance);
    if f.prenom.trim().is_empty() {
        errors.insert("prenom", "erreur-prenom-eleve");
    }
    if birth.is_none() {
        errors.insert("naissance", "erreur-naissance");
    }
    let code = ActivationCode::parse(&f.code);
    if let Err(e) = &code {
        errors.insert(
            "code",
            Message::new("erreur-code-mal-saisi").with_message("raison", e.message()),
        );
    }
    let mut context = vec![f.prenom.clone()];
    if let Some(b) = birth {
        context.extend(date_words(b));
    }
    let id = check_credentials(app, &f.credentials, &context, &mut errors);
    // Every error of the form at once (issue 17): the code is looked up
    // even when the identifiant, password or address is wrong.
    let (Ok(code), Some(birth), false) = (code, birth, f.prenom.trim().is_empty()) else {
        return Err(SignupError::Invalid(errors));
    };

    let now = app.clock.now();
    let Some(m) = match_code(app, &code, CodeKind::Eleve, &f.prenom, birth, ip, now).await? else {
        errors.insert("code", NOT_IDENTIFIED);
        return Err(SignupError::Invalid(errors));
    };
    let purge = match code_holder(app, &m.info, now).await? {
        Ok(p) => p,
        Err(msg) => {
            errors.insert("code", msg);
            return Err(SignupError::Invalid(errors));
        }
    };
    if errors.get("password").is_none() {
        check_against_schools(app, &f.credentials, &context, &[&m.info.uai], &mut errors).await?;
    }
    // Security: whether an identifiant is taken is told only to someone
    // whose activation code was identified (no enumeration).
    if let Some(id) = &id
        && identifiant_taken(app, id).await?
    {
        errors.insert("identifiant", IDENTIFIANT_TAKEN);
    }
    let (Some(id), true) = (id, errors.is_empty()) else {
        return Err(SignupError::Invalid(errors));
    };
    let hash = hash_password(app, &f.credentials.password).await?;
    let txn = app.db.conn().begin_write().await?;
    if let Some(old) = purge {
        accounts::purge(&txn, old).await?;
    }
    let email = f.credentials.email.trim().to_owned();
    let display = f.credentials.identifiant.trim().to_owned();
    let account = match accounts::insert(
        &txn,
        NewAccount {
            identifiant: id.clone(),
            identifiant_display: display.clone(),
            password_hash: hash,
            email: Some(email.clone()),
            state: AccountState::Active,
            kind: AccountKind::Eleve,
            joint: false,
            language: f.credentials.language,
        },
        now,
    )
    .await
    {
        Ok(a) => a,
        Err(e) if accounts::is_unique_violation(&e) => {
            errors.insert("identifiant", IDENTIFIANT_TAKEN);
            return Err(SignupError::Invalid(errors));
        }
        Err(e) => return Err(e.into()),
    };
    accounts::link_pupil(&txn, account.id, m.pupil.id).await?;
    if !accounts::claim_code(&txn, m.info.id, account.id).await? {
        txn.rollback().await?;
        errors.insert("code", "erreur-code-a-servi-compte");
        return Err(SignupError::Invalid(errors));
    }
    let mail = crate::mail::pupil_account_created(&app.config, f.credentials.language, &display);
    outbox::enqueue(
        &txn,
        NewMail {
            account_id: Some(account.id),
            to: &email,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        },
        now,
    )
    .await?;
    accounts::audit(&txn, "account_created", Some(account.id), None, None, now).await?;
    txn.commit().await?;
    tracing::info!(account.id = account.id, "pupil account created");
    Ok(account.id)
}
