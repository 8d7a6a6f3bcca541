//! `sesame codes`: generating activation codes for a school, and looking one
//! up for the helpdesk.
//!
//! Only the keyed hash of a code is stored, so a code can be shown only in
//! the run that creates it: generation hands the codes to a delivery step
//! (the letters) before the transaction commits, and if delivery fails
//! nothing is stored.

use crate::app::App;
use sesame_domain::{ActivationCode, CodeKind, Uai};
use sesame_store::codes::{self as repo, NewCode};
use sesame_store::school_data::{self, School};
use sesame_store::{StoreError, TransactionTrait};
use time::{Date, Duration, OffsetDateTime};

/// Why codes could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum CodesError {
    /// No school has this UAI.
    #[error("aucun établissement {0} : importez d'abord ses fichiers (sesame import)")]
    UnknownSchool(Uai),
    /// The letters could not be written; no code was stored.
    #[error("les courriers n'ont pas pu être écrits, aucun code n'a été enregistré : {0}")]
    Delivery(String),
    /// The database failed; no code was stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sesame_store::DbErr> for CodesError {
    fn from(e: sesame_store::DbErr) -> Self {
        Self::Store(StoreError::Db(e))
    }
}

/// One child on a guardian's letter.
#[derive(Debug, Clone)]
pub struct ChildCode {
    /// First name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Birth date.
    pub birth_date: Date,
    /// Class.
    pub class: Option<String>,
    /// The code, printed form.
    pub code: String,
}

/// One guardian's letter.
#[derive(Debug, Clone)]
pub struct GuardianLetter {
    /// The school's id for the guardian.
    pub external_id: String,
    /// Civility.
    pub civility: Option<String>,
    /// Family name.
    pub last_name: String,
    /// First name.
    pub first_name: String,
    /// Email.
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// The children and their codes.
    pub children: Vec<ChildCode>,
}

/// One pupil's letter.
#[derive(Debug, Clone)]
pub struct PupilLetter {
    /// The school's id for the pupil.
    pub external_id: String,
    /// The pupil and code.
    pub child: ChildCode,
}

/// The codes of one run, in clear, for delivery.
#[derive(Debug, Clone)]
pub struct GeneratedCodes {
    /// The school.
    pub school: School,
    /// Letters to guardians (Codes Activation Responsable).
    pub guardians: Vec<GuardianLetter>,
    /// Letters to pupils (Codes Activation Élève).
    pub pupils: Vec<PupilLetter>,
    /// Codes revoked by `--regenerate`.
    pub revoked: u64,
    /// Last day of validity.
    pub valid_until: Date,
    /// Day of generation.
    pub generated_on: Date,
}

/// Generates codes for every (legal guardian, current pupil) pair and every
/// current pupil of the school that lacks a valid one; with `regenerate`,
/// first revokes every unused code so that all are replaced. `deliver`
/// receives the clear codes (to write the letters) before anything is
/// committed.
pub async fn generate(
    app: &App,
    uai: &Uai,
    regenerate: bool,
    deliver: impl FnOnce(&GeneratedCodes) -> Result<(), String>,
) -> Result<GeneratedCodes, CodesError> {
    let now = app.clock.now();
    let today = now.date();
    let expires_at = now + Duration::days(i64::from(app.config.codes.validity_days));
    let txn = app.db.conn().begin().await?;
    let school = school_data::find_school(&txn, uai)
        .await?
        .ok_or_else(|| CodesError::UnknownSchool(uai.clone()))?;
    let revoked = if regenerate {
        repo::revoke_unused(&txn, school.id, now).await?
    } else {
        0
    };
    let pairs = repo::guardian_pairs_without_code(&txn, school.id, today, now).await?;
    let pupils = repo::pupils_without_code(&txn, school.id, today, now).await?;

    let mut rng = rand::rng();
    let mut rows = Vec::with_capacity(pairs.len() + pupils.len());
    let mut issue = |kind: CodeKind, pupil_id: i32, guardian_id: Option<i32>| {
        let code = ActivationCode::generate(&mut rng);
        rows.push(NewCode {
            kind,
            pupil_id,
            guardian_id,
            hmac: app.keys.code_hmac(&code),
            expires_at,
        });
        code.display()
    };
    let mut guardians: Vec<GuardianLetter> = Vec::new();
    for p in pairs {
        let code = issue(CodeKind::Responsable, p.pupil_id, Some(p.guardian_id));
        let child = ChildCode {
            first_name: p.pupil_first_name,
            last_name: p.pupil_last_name,
            birth_date: p.birth_date,
            class: p.class_code,
            code,
        };
        match guardians.last_mut() {
            Some(g) if g.external_id == p.guardian_external_id => g.children.push(child),
            _ => guardians.push(GuardianLetter {
                external_id: p.guardian_external_id,
                civility: p.civility,
                last_name: p.guardian_last_name,
                first_name: p.guardian_first_name,
                email: p.email,
                address: p.address,
                children: vec![child],
            }),
        }
    }
    let pupils: Vec<PupilLetter> = pupils
        .into_iter()
        .map(|p| {
            let code = issue(CodeKind::Eleve, p.pupil_id, None);
            PupilLetter {
                external_id: p.external_id,
                child: ChildCode {
                    first_name: p.first_name,
                    last_name: p.last_name,
                    birth_date: p.birth_date,
                    class: p.class_code,
                    code,
                },
            }
        })
        .collect();
    repo::insert_codes(&txn, &rows, now).await?;
    let generated = GeneratedCodes {
        school,
        guardians,
        pupils,
        revoked,
        valid_until: expires_at.date(),
        generated_on: today,
    };
    deliver(&generated).map_err(CodesError::Delivery)?;
    txn.commit().await?;
    Ok(generated)
}

/// The state of a code, for the helpdesk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeState {
    /// Can be used.
    Valid,
    /// Used by an account.
    Used,
    /// Replaced or withdrawn.
    Revoked,
    /// Past its validity.
    Expired,
}

/// What `sesame codes verify` tells.
#[derive(Debug, Clone)]
pub struct CodeReport {
    /// CAR or CAE.
    pub kind: CodeKind,
    /// School UAI.
    pub uai: String,
    /// Pupil name.
    pub pupil: String,
    /// Guardian name, for a CAR.
    pub guardian: Option<String>,
    /// State.
    pub state: CodeState,
    /// End of validity.
    pub expires_at: OffsetDateTime,
}

/// Looks a typed code up. `Ok(None)` when no such code exists.
pub async fn verify(app: &App, typed: &ActivationCode) -> Result<Option<CodeReport>, StoreError> {
    let Some(info) = repo::find_by_hmac(app.db.conn(), &app.keys.code_hmacs(typed)).await? else {
        return Ok(None);
    };
    let state = if info.used_by_account_id.is_some() {
        CodeState::Used
    } else if info.revoked_at.is_some() {
        CodeState::Revoked
    } else if info.expires_at <= app.clock.now() {
        CodeState::Expired
    } else {
        CodeState::Valid
    };
    Ok(Some(CodeReport {
        kind: CodeKind::from_db(&info.kind).unwrap_or(CodeKind::Responsable),
        uai: info.uai,
        pupil: format!("{} {}", info.pupil_first_name, info.pupil_last_name),
        guardian: info
            .guardian_first_name
            .map(|f| format!("{f} {}", info.guardian_last_name.unwrap_or_default())),
        state,
        expires_at: info.expires_at,
    }))
}
