//! « Ce n'est pas mon enfant » (issue 16 §8): a parent who sees on the home
//! page a child that is not theirs reports it. The account↔pupil link is
//! suspended at once — through the path of a link removed by an import, so
//! the home page, the CAS children attribute and the OIDC
//! `sesame.children` claim no longer carry the child at the next page,
//! ticket or token — a report is stored, the school's contact
//! (`reports.contacts`, or `reports.default_contact`) gets a mail through
//! the outbox, and an audit event is written. An administrator closes the
//! report with `sesame reports resolve ID --restore | --remove`.

use crate::account::Child;
use crate::app::App;
use crate::session::Session;
use sesame_domain::{AccountKind, ReportState};
use sesame_store::outbox::{self, NewMail};
use sesame_store::reports::{self, Report};
use sesame_store::{Ns, StoreError, Throttle, WriteTxn, accounts};

/// Reports one account may make per day (the rest are refused with 429):
/// a family has few children, and each report mails a school.
pub const PER_ACCOUNT_PER_DAY: i64 = 10;

/// What a report answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded, or already recorded (a second click, a child not held):
    /// the same answer, so that nothing is learned from it.
    Done,
    /// Too many reports from this account today.
    Throttled {
        /// Seconds until the window ends.
        retry_after: Option<u64>,
    },
}

/// The child `pupil_id` as the account of session `s` holds it, for the
/// confirmation step; none when it does not hold it or is not a parent's.
pub async fn held_child(
    app: &App,
    s: &Session,
    pupil_id: i32,
) -> Result<Option<Child>, StoreError> {
    if s.kind != AccountKind::Responsable {
        return Ok(None);
    }
    Ok(crate::account::children(app, s.account_id)
        .await?
        .into_iter()
        .find(|c| c.pupil_id == pupil_id))
}

/// The account of session `s` reports that `pupil_id` is not its child.
/// The per-account limit is reserved first; then, in one transaction, the
/// link is removed (only by the call that finds it: parallel reports of
/// one child make one report and one mail), the report stored, the mail
/// queued and the audit events written.
pub async fn report(
    app: &App,
    s: &Session,
    pupil_id: i32,
    ip: &str,
) -> Result<Outcome, StoreError> {
    if s.kind != AccountKind::Responsable {
        return Ok(Outcome::Done);
    }
    let now = app.clock.now();
    // Security: reserved atomically before any work (SECURITY.md §1.2).
    let (_, verdict) = Throttle::per_day(PER_ACCOUNT_PER_DAY)
        .reserve_in_window(
            &app.store,
            Ns::ReportAccount,
            s.account_id,
            now.unix_timestamp(),
        )
        .await?;
    if let sesame_store::Verdict::Refused { retry_after, first } = verdict {
        if first {
            tracing::warn!(account.id = s.account_id, "child reports throttled");
        }
        return Ok(Outcome::Throttled { retry_after });
    }
    let txn = app.db.conn().begin_write().await?;
    let Some(r) = reports::open(&txn, s.account_id, pupil_id, now).await? else {
        txn.rollback().await?;
        return Ok(Outcome::Done);
    };
    accounts::audit_detail(
        &txn,
        "child_report_sent",
        Some(s.account_id),
        Some(&app.keys.pseudonym(&s.identifiant)),
        Some(&app.keys.pseudonym(ip)),
        Some(&format!("signalement n°{} ({})", r.id, r.uai)),
        now,
    )
    .await?;
    match app.config.reports.contact(&r.uai) {
        Some(to) => {
            let mail = crate::mail::child_reported(&app.config, &r);
            // Not tied to the account: the school's mail outlives it.
            outbox::enqueue(
                &txn,
                NewMail {
                    account_id: None,
                    to,
                    subject: &mail.subject,
                    text: &mail.text,
                    html: &mail.html,
                },
                now,
            )
            .await?;
        }
        None => tracing::warn!(
            report.id = r.id,
            uai = %r.uai,
            "no contact for this school's reports: set reports.contacts or reports.default_contact"
        ),
    }
    txn.commit().await?;
    tracing::info!(
        account.id = s.account_id,
        report.id = r.id,
        "child reported"
    );
    Ok(Outcome::Done)
}

/// The open reports, oldest first.
pub async fn open_reports(app: &App) -> Result<Vec<Report>, StoreError> {
    Ok(reports::list(app.db.conn(), ReportState::Open).await?)
}

/// How an administrator closes a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The child is the account's after all: the link is put back.
    Restore,
    /// The link stays removed; the account cannot take the child back
    /// with a code (an import never adds account links).
    Remove,
}

/// Why a report could not be closed.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// No report has this number.
    #[error("aucun signalement n°{0}")]
    Unknown(i32),
    /// It was closed already.
    #[error("le signalement n°{0} est déjà clos ({1})")]
    Closed(i32, ReportState),
    /// The account or the pupil is gone: there is nothing to put back.
    #[error(
        "le signalement n°{0} ne peut pas être rétabli : {1} n'existe plus (fermez-le avec --remove)"
    )]
    Gone(i32, &'static str),
    /// The database or the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sesame_store::DbErr> for ResolveError {
    fn from(e: sesame_store::DbErr) -> Self {
        Self::Store(e.into())
    }
}

/// Closes report `id` as `decision`, by the operator `by`; answers the
/// report as it was.
pub async fn resolve(
    app: &App,
    id: i32,
    decision: Decision,
    by: &str,
) -> Result<Report, ResolveError> {
    let now = app.clock.now();
    let txn = app.db.conn().begin_write().await?;
    let r = reports::find(&txn, id)
        .await?
        .ok_or(ResolveError::Unknown(id))?;
    if r.state != ReportState::Open {
        return Err(ResolveError::Closed(id, r.state));
    }
    let (state, kind) = match decision {
        Decision::Restore => {
            match reports::both_exist(&txn, r.account_id, r.pupil_id).await? {
                (false, _) => return Err(ResolveError::Gone(id, "le compte")),
                (_, false) => return Err(ResolveError::Gone(id, "l'élève")),
                _ => {}
            }
            (ReportState::Restored, "child_report_restored")
        }
        Decision::Remove => (ReportState::Removed, "child_report_removed"),
    };
    // Security: two resolutions at once close it once.
    if !reports::close(&txn, id, state, by, now).await? {
        return Err(ResolveError::Closed(id, ReportState::Open));
    }
    if decision == Decision::Restore {
        reports::relink(&txn, r.account_id, r.pupil_id).await?;
    }
    accounts::audit_detail(
        &txn,
        kind,
        Some(r.account_id),
        Some(by),
        None,
        Some(&format!(
            "signalement n°{id} : élève {} ({}) clos par {by}",
            r.pupil_external_id, r.uai
        )),
        now,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(report.id = id, decision = ?decision, "child report resolved");
    Ok(r)
}
