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
use sesame_store::{StoreError, WriteTxn};
use time::{Date, Duration, OffsetDateTime};

/// Why codes could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum CodesError {
    /// No school has this UAI.
    #[error("aucun établissement {0} : importez d'abord ses fichiers (sesame import)")]
    UnknownSchool(Uai),
    /// No guardian or pupil has this id in the school.
    #[error(
        "aucun {what} d'identifiant {id} dans l'établissement {uai} (l'identifiant est celui de l'export SIECLE, colonne eleve_id ou responsable des fichiers CSV)"
    )]
    UnknownPerson {
        /// « responsable » or « élève ».
        what: &'static str,
        /// The id given.
        id: String,
        /// The school.
        uai: Uai,
    },
    /// The person has nothing a code could open: no current child (or the
    /// pupil left), or every code already used by an account.
    #[error("rien à réémettre pour {what} {id} : {reason} ; aucun code n'a été révoqué")]
    NothingToReissue {
        /// « le responsable » or « l'élève ».
        what: &'static str,
        /// The id given.
        id: String,
        /// Why.
        reason: &'static str,
    },
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
    /// Codes revoked by `--regenerate` (or by a reissue).
    pub revoked: u64,
    /// (legal guardian, current pupil) pairs skipped: they hold a code
    /// already (valid, or used by an account).
    pub skipped_pairs: u64,
    /// Current pupils skipped for the same reason.
    pub skipped_pupils: u64,
    /// Last day of validity.
    pub valid_until: Date,
    /// Day of generation.
    pub generated_on: Date,
}

/// Generates codes for every (legal guardian, current pupil) pair and every
/// current pupil of the school that holds none (a valid one, or one used by
/// an account), and counts the ones skipped; with `regenerate`,
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
    let txn = app.db.conn().begin_write().await?;
    let school = school_data::find_school(&txn, uai)
        .await?
        .ok_or_else(|| CodesError::UnknownSchool(uai.clone()))?;
    let revoked = if regenerate {
        repo::revoke_unused(&txn, school.id, now).await?
    } else {
        0
    };
    let pairs = repo::guardian_pairs_without_code(&txn, school.id, None, today, now).await?;
    let pupils = repo::pupils_without_code(&txn, school.id, None, today, now).await?;
    let (all_pairs, all_pupils) = repo::current_counts(&txn, school.id, today).await?;
    let mut generated = issue_codes(app, &txn, school, pairs, pupils, revoked).await?;
    generated.skipped_pairs = all_pairs.saturating_sub(count_pairs(&generated));
    generated.skipped_pupils = all_pupils.saturating_sub(generated.pupils.len() as u64);
    deliver(&generated).map_err(CodesError::Delivery)?;
    txn.commit().await?;
    Ok(generated)
}

fn count_pairs(g: &GeneratedCodes) -> u64 {
    g.guardians.iter().map(|l| l.children.len() as u64).sum()
}

/// Whose codes `sesame codes reissue` replaces: the school's id for a
/// guardian or a pupil (ids are per school).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A guardian: every current legal child gets a new Code Activation
    /// Responsable, except the children whose code an account used.
    Guardian(String),
    /// A pupil: a new Code Activation Élève, unless an account used it.
    Pupil(String),
}

/// Revokes one person's unused codes and issues new ones for that person
/// only, handing the one letter to `deliver` before anything is committed;
/// writes a `codes_reissued` audit event. Nothing is revoked when nothing
/// would be issued.
pub async fn reissue(
    app: &App,
    uai: &Uai,
    holder: &Holder,
    deliver: impl FnOnce(&GeneratedCodes) -> Result<(), String>,
) -> Result<GeneratedCodes, CodesError> {
    let now = app.clock.now();
    let today = now.date();
    let txn = app.db.conn().begin_write().await?;
    let school = school_data::find_school(&txn, uai)
        .await?
        .ok_or_else(|| CodesError::UnknownSchool(uai.clone()))?;
    let (is_guardian, id, what, who) = match holder {
        Holder::Guardian(id) => (true, id, "responsable", "le responsable"),
        Holder::Pupil(id) => (false, id, "élève", "l'élève"),
    };
    let person = repo::find_person(&txn, school.id, is_guardian, id)
        .await?
        .ok_or_else(|| CodesError::UnknownPerson {
            what,
            id: id.clone(),
            uai: uai.clone(),
        })?;
    let revoked = repo::revoke_unused_of(&txn, person, now).await?;
    let (pairs, pupils) = match person {
        repo::Person::Guardian(g) => (
            repo::guardian_pairs_without_code(&txn, school.id, Some(g), today, now).await?,
            Vec::new(),
        ),
        repo::Person::Pupil(p) => (
            Vec::new(),
            repo::pupils_without_code(&txn, school.id, Some(p), today, now).await?,
        ),
    };
    if pairs.is_empty() && pupils.is_empty() {
        txn.rollback().await?;
        return Err(CodesError::NothingToReissue {
            what: who,
            id: id.clone(),
            reason: if is_guardian {
                "aucun enfant scolarisé dont il est responsable légal n'attend de code (codes déjà utilisés par un compte, ou aucun enfant présent)"
            } else {
                "son code a déjà servi à créer son compte, ou l'élève a quitté l'établissement"
            },
        });
    }
    let generated = issue_codes(app, &txn, school, pairs, pupils, revoked).await?;
    let detail = format!(
        "{uai} {what} {id} : {revoked} code(s) révoqué(s), {} émis",
        count_pairs(&generated) + generated.pupils.len() as u64
    );
    sesame_store::accounts::audit_action(&txn, "codes_reissued", &detail, now).await?;
    deliver(&generated).map_err(CodesError::Delivery)?;
    txn.commit().await?;
    tracing::info!(%uai, what, revoked, "codes reissued");
    Ok(generated)
}

/// Draws a code for each pair and pupil, stores their hashes in `txn`, and
/// answers the clear codes as letters.
async fn issue_codes(
    app: &App,
    txn: &impl sesame_store::ConnectionTrait,
    school: School,
    pairs: Vec<repo::GuardianPair>,
    pupils: Vec<repo::PupilNeed>,
    revoked: u64,
) -> Result<GeneratedCodes, CodesError> {
    let now = app.clock.now();
    let today = now.date();
    let expires_at = now + Duration::days(i64::from(app.config.codes.validity_days));
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
    repo::insert_codes(txn, &rows, now).await?;
    Ok(GeneratedCodes {
        school,
        guardians,
        pupils,
        revoked,
        skipped_pairs: 0,
        skipped_pupils: 0,
        valid_until: expires_at.date(),
        generated_on: today,
    })
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
    /// The account that used it: (id, identifiant), when it still exists.
    pub account: Option<(i32, String)>,
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
    let account = match info.used_by_account_id {
        Some(id) => sesame_store::accounts::find(app.db.conn(), id)
            .await?
            .map(|a| (a.id, a.identifiant_display)),
        None => None,
    };
    Ok(Some(CodeReport {
        account,
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
