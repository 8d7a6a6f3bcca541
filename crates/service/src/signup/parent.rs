//! Parent account creation (seed guide §1.2.1): a personal or joint account,
//! one row per child with Prénom, Né(e) le, the code of "Vous" and, for a
//! joint account, the code of the "Autre responsable". The account waits for
//! email confirmation for a week.

use super::{
    Credentials, FieldErrors, IDENTIFIANT_TAKEN, Matched, NOT_IDENTIFIED, SignupError,
    check_against_schools, check_credentials, code_holder, date_words, hash_password,
    identifiant_taken, ip_throttled, match_code, parse_birth,
};
use crate::app::App;
use sesame_domain::{
    AccountKind, AccountState, ActivationCode, CodeKind, Message, normalize_first_name,
};
use sesame_store::WriteTxn;
use sesame_store::accounts::{self, NewAccount};
use sesame_store::codes::CodeInfo;
use std::collections::BTreeSet;

/// Rows shown at first (the seed's three).
pub const DEFAULT_ROWS: usize = 3;
/// Most rows a form may have ("ajoutez un enfant" stops there).
pub const MAX_ROWS: usize = 12;

/// One child's row, as typed.
#[derive(Debug, Clone, Default)]
pub struct ChildRow {
    /// Prénom.
    pub prenom: String,
    /// Né(e) le.
    pub naissance: String,
    /// The code on the letter addressed to "Vous".
    pub code: String,
    /// The code on the letter addressed to the other legal guardian (joint account).
    pub autre: String,
}

impl ChildRow {
    fn is_blank(&self) -> bool {
        [&self.prenom, &self.naissance, &self.code, &self.autre]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

/// The parent sign-up form, as typed.
#[derive(Debug, Clone)]
pub struct ParentForm {
    /// A joint account (both legal guardians) rather than a personal one.
    pub joint: bool,
    /// The children's rows.
    pub rows: Vec<ChildRow>,
    /// Identifiant, password, email.
    pub credentials: Credentials,
}

impl ParentForm {
    /// An empty form with the seed's three rows.
    pub fn new(joint: bool) -> Self {
        Self {
            joint,
            rows: vec![ChildRow::default(); DEFAULT_ROWS],
            credentials: Credentials::default(),
        }
    }

    /// Reads a submitted form: `compte` (`personnel` or `joint`), `lignes`,
    /// `prenom_N`, `naissance_N`, `code_N`, `autre_N` and the credentials.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let mut rows = get("lignes")
            .parse::<usize>()
            .unwrap_or(DEFAULT_ROWS)
            .clamp(1, MAX_ROWS);
        for (name, _) in pairs {
            if let Some((_, n)) = name.rsplit_once('_')
                && let Ok(n) = n.parse::<usize>()
                && n < MAX_ROWS
            {
                rows = rows.max(n + 1);
            }
        }
        let rows = (0..rows)
            .map(|i| ChildRow {
                prenom: get(&format!("prenom_{i}")),
                naissance: get(&format!("naissance_{i}")),
                code: get(&format!("code_{i}")),
                autre: get(&format!("autre_{i}")),
            })
            .collect();
        Self {
            joint: get("compte") == "joint",
            rows,
            credentials: Credentials {
                identifiant: get("identifiant"),
                password: get("password"),
                password2: get("password2"),
                email: get("email"),
                email2: get("email2"),
                language: sesame_domain::Language::default(),
            },
        }
    }

    /// Adds an empty row, up to [`MAX_ROWS`]; answers whether it did.
    pub fn add_row(&mut self) -> bool {
        let room = self.rows.len() < MAX_ROWS;
        if room {
            self.rows.push(ChildRow::default());
        }
        room
    }
}

/// A row that parsed.
struct Parsed {
    row: usize,
    prenom: String,
    birth: time::Date,
    code: ActivationCode,
    autre: Option<ActivationCode>,
}

/// A row whose codes opened its child.
struct RowMatch {
    row: usize,
    vous: Matched,
    autre: Option<Matched>,
}

fn row_key(i: usize) -> String {
    format!("enfant_{i}")
}

/// Whether two codes were mailed to the same person: the same guardian
/// record, or records of two schools with the same name (SIECLE keeps one
/// record per school).
fn same_person(a: &CodeInfo, b: &CodeInfo) -> bool {
    let name = |i: &CodeInfo| {
        (
            normalize_first_name(i.guardian_last_name.as_deref().unwrap_or_default()),
            normalize_first_name(i.guardian_first_name.as_deref().unwrap_or_default()),
        )
    };
    a.guardian_id == b.guardian_id || (a.uai != b.uai && name(a) == name(b))
}

fn parse_rows(f: &ParentForm, errors: &mut FieldErrors) -> Vec<Parsed> {
    let mut parsed = Vec::new();
    for (i, row) in f.rows.iter().enumerate() {
        if row.is_blank() {
            continue;
        }
        let n = i + 1;
        let birth = parse_birth(&row.naissance);
        let code = ActivationCode::parse(&row.code);
        let autre =
            (f.joint && !row.autre.trim().is_empty()).then(|| ActivationCode::parse(&row.autre));
        let msg = if row.prenom.trim().is_empty() {
            Message::new("erreur-ligne-prenom").with("ligne", n)
        } else if birth.is_none() {
            Message::new("erreur-ligne-naissance").with("ligne", n)
        } else if let Err(e) = &code {
            Message::new("erreur-ligne-code")
                .with("ligne", n)
                .with_message("raison", e.message())
        } else if let Some(Err(e)) = &autre {
            Message::new("erreur-ligne-code-autre")
                .with("ligne", n)
                .with_message("raison", e.message())
        } else {
            let (Some(birth), Ok(code)) = (birth, code) else {
                continue;
            };
            parsed.push(Parsed {
                row: i,
                prenom: row.prenom.clone(),
                birth,
                code,
                autre: autre.and_then(Result::ok),
            });
            continue;
        };
        errors.insert(row_key(i), msg);
    }
    if parsed.is_empty() && errors.is_empty() {
        errors.insert("enfants", "erreur-aucun-enfant");
    }
    parsed
}

/// The cross-row rules: one row per child, every "Vous" code of one person,
/// every other code of one other person.
fn check_people(f: &ParentForm, matches: &[RowMatch], errors: &mut FieldErrors) {
    let mut seen = BTreeSet::new();
    for m in matches {
        if !seen.insert(m.vous.pupil.id) {
            errors.insert(row_key(m.row), "erreur-enfant-en-double");
        }
    }
    let Some(first) = matches.first() else {
        return;
    };
    if !matches
        .iter()
        .all(|m| same_person(&first.vous.info, &m.vous.info))
    {
        errors.insert("enfants", "erreur-codes-vous-plusieurs");
    }
    let others: Vec<&CodeInfo> = matches
        .iter()
        .filter_map(|m| m.autre.as_ref().map(|a| &a.info))
        .collect();
    let consistent = others.iter().all(|o| {
        same_person(others[0], o) && !matches.iter().any(|m| same_person(&m.vous.info, o))
    });
    if !consistent {
        errors.insert("enfants", "erreur-codes-autre-incoherents");
    } else if f.joint && others.is_empty() {
        errors.insert("enfants", "erreur-joint-sans-autre");
    }
}

/// Creates a parent account, pending until its email is confirmed; returns
/// the account id.
pub async fn create_parent_account(
    app: &App,
    f: &ParentForm,
    ip: &str,
) -> Result<i32, SignupError> {
    if ip_throttled(app, ip).await? {
        return Err(SignupError::Throttled);
    }
    let mut errors = FieldErrors::new();
    let parsed = parse_rows(f, &mut errors);
    let mut context = Vec::new();
    for p in &parsed {
        context.push(p.prenom.clone());
        context.extend(date_words(p.birth));
    }
    let id = check_credentials(app, &f.credentials, &context, &mut errors);
    // Every error of the form at once (issue 17): the well-formed rows are
    // looked up even when another row or field is wrong.

    let now = app.clock.now();
    let mut matches = Vec::new();
    for p in parsed {
        let vous = match_code(
            app,
            &p.code,
            CodeKind::Responsable,
            &p.prenom,
            p.birth,
            ip,
            now,
        )
        .await?;
        let autre = match &p.autre {
            Some(c) => match_code(app, c, CodeKind::Responsable, &p.prenom, p.birth, ip, now)
                .await?
                .map(Some),
            None => Some(None),
        };
        match (vous, autre) {
            (Some(vous), Some(autre))
                if autre.as_ref().is_none_or(|a| {
                    a.pupil.id == vous.pupil.id && a.info.guardian_id != vous.info.guardian_id
                }) =>
            {
                matches.push(RowMatch {
                    row: p.row,
                    vous,
                    autre,
                });
            }
            _ => {
                errors.insert(row_key(p.row), NOT_IDENTIFIED);
            }
        }
    }
    if errors.iter().any(|(k, _)| k.starts_with("enfant")) {
        return Err(SignupError::Invalid(errors));
    }
    check_people(f, &matches, &mut errors);
    let mut purge = BTreeSet::new();
    for m in &matches {
        for info in std::iter::once(&m.vous.info).chain(m.autre.as_ref().map(|a| &a.info)) {
            match code_holder(app, info, now).await? {
                Ok(p) => purge.extend(p),
                Err(msg) => {
                    errors.insert(row_key(m.row), msg);
                }
            }
        }
    }
    if errors.get("password").is_none() {
        let uais: Vec<&str> = matches.iter().map(|m| m.vous.info.uai.as_str()).collect();
        check_against_schools(app, &f.credentials, &context, &uais, &mut errors).await?;
    }
    // Security: whether an identifiant is taken is told only to someone
    // whose activation codes were identified (no enumeration).
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
    for old in purge {
        accounts::purge(&txn, old).await?;
        accounts::audit(&txn, "account_purged", Some(old), None, None, now).await?;
    }
    let email = f.credentials.email.trim().to_owned();
    let display = f.credentials.identifiant.trim().to_owned();
    let account = match accounts::insert(
        &txn,
        NewAccount {
            identifiant: id,
            identifiant_display: display.clone(),
            password_hash: hash,
            email: Some(email.clone()),
            state: AccountState::Pending,
            kind: AccountKind::Responsable,
            joint: f.joint,
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
    let mut guardians = BTreeSet::new();
    for m in &matches {
        accounts::link_pupil(&txn, account.id, m.vous.pupil.id).await?;
        for info in std::iter::once(&m.vous.info).chain(m.autre.as_ref().map(|a| &a.info)) {
            guardians.extend(info.guardian_id);
            if !accounts::claim_code(&txn, info.id, account.id).await? {
                txn.rollback().await?;
                errors.insert(row_key(m.row), "erreur-code-vient-de-servir");
                return Err(SignupError::Invalid(errors));
            }
        }
    }
    for g in guardians {
        accounts::link_guardian(&txn, account.id, g).await?;
    }
    crate::confirm::issue(&txn, app, &account, &email, now).await?;
    accounts::audit(&txn, "account_created", Some(account.id), None, None, now).await?;
    txn.commit().await?;
    tracing::info!(
        account.id = account.id,
        joint = f.joint,
        "parent account created, pending confirmation"
    );
    Ok(account.id)
}
