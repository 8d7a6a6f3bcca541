//! Password-renewal campaigns (issue 20 §4): after an identity theft, make
//! a whole population (one school or all, one kind or both) choose a new
//! password at its next login. Starting one marks the accounts, ends every
//! session, ticket, code and token they hold (their session generation
//! moves on) and queues a notice to each address; `status` counts who
//! renewed; `stop` unmarks those who have not. Audited with the operator.

use crate::app::App;
use sesame_domain::uai::Uai;
use sesame_store::StoreError;
use sesame_store::campaigns::{self as repo, Campaign, Notice, Scope, Started};

/// Why a campaign command was refused.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// Bad input, or nothing to do.
    #[error("{0}")]
    Refused(String),
    /// The database or the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sesame_store::DbErr> for CampaignError {
    fn from(e: sesame_store::DbErr) -> Self {
        Self::Store(e.into())
    }
}

/// Which accounts to mark, as typed on the command line.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `--school UAI` (`None`: `--all`).
    pub school: Option<String>,
    /// `--kind parent|eleve` (`None`: both).
    pub kind: Option<String>,
    /// `--reason`.
    pub reason: String,
}

/// Longest reason kept.
const REASON_MAX: usize = 200;

fn refused(m: impl Into<String>) -> CampaignError {
    CampaignError::Refused(m.into())
}

/// Starts a campaign. The marking is one transaction of set-based
/// statements; the shared store's copies of the generations are written
/// after it commits.
pub async fn start(app: &App, r: &Request, operator: &str) -> Result<Started, CampaignError> {
    let reason = r.reason.trim();
    if reason.is_empty() || reason.chars().count() > REASON_MAX {
        return Err(refused(format!(
            "--reason : indiquez le motif de la campagne (1 à {REASON_MAX} caractères)"
        )));
    }
    if reason.chars().any(char::is_control) {
        return Err(refused(
            "--reason : le motif contient un caractère de contrôle",
        ));
    }
    let kind = match r.kind.as_deref().map(str::trim) {
        None => None,
        Some("parent") | Some("responsable") => Some("responsable"),
        Some("eleve") | Some("élève") => Some("eleve"),
        Some(other) => {
            return Err(refused(format!(
                "--kind {} : attendu parent ou eleve",
                sesame_domain::text::terminal_safe(other)
            )));
        }
    };
    let uai = match &r.school {
        None => None,
        Some(text) => {
            let uai = Uai::parse(text).map_err(|e| refused(format!("--school : {e}")))?;
            if sesame_store::school_data::find_school(app.db.conn(), &uai)
                .await?
                .is_none()
            {
                return Err(refused(format!(
                    "--school {uai} : aucun établissement importé n'a ce numéro UAI"
                )));
            }
            Some(uai.to_string())
        }
    };
    let notices: Vec<_> = sesame_domain::Language::ALL
        .into_iter()
        .map(|l| (l, crate::mail::renewal_notice(&app.config, l)))
        .collect();
    let scope = Scope {
        uai: uai.as_deref(),
        kind,
    };
    let detail = format!(
        "portée : {} ; type : {} ; motif : {reason} ; {}",
        uai.as_deref().unwrap_or("tous les établissements"),
        kind.unwrap_or("tous"),
        crate::helpdesk::operator_detail(operator)
    );
    let (started, generations) = repo::start(
        app.db.conn(),
        &scope,
        reason,
        operator,
        &notices
            .iter()
            .map(|(l, n)| {
                (
                    *l,
                    Notice {
                        subject: &n.subject,
                        text: &n.text,
                        html: &n.html,
                    },
                )
            })
            .collect::<Vec<_>>(),
        &detail,
        app.clock.now(),
    )
    .await?;
    for (id, g) in generations {
        crate::session::publish_generation(app, id, g).await?;
    }
    tracing::info!(
        campaign = started.id,
        marked = started.marked,
        "password-renewal campaign started"
    );
    Ok(started)
}

/// Every campaign with its counts.
pub async fn status(app: &App) -> Result<Vec<Campaign>, CampaignError> {
    Ok(repo::list(app.db.conn()).await?)
}

/// Stops campaign `id`; answers how many accounts it unmarked.
pub async fn stop(app: &App, id: i32, operator: &str) -> Result<u64, CampaignError> {
    let detail = crate::helpdesk::operator_detail(operator);
    repo::stop(app.db.conn(), id, operator, &detail, app.clock.now())
        .await?
        .ok_or_else(|| refused(format!("aucune campagne n°{id} en cours")))
}
