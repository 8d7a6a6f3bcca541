//! « Ce n'est pas mon enfant » (issue 16 §8): the reports of parents who see
//! a child that is not theirs. Opening one takes the child away from the
//! account through the path an import's removed link takes
//! ([`leavers::detach_reported`]), in the caller's transaction; closing one
//! puts the link back (`restored`) or keeps it removed (`removed`).
//!
//! Security: a report is opened only by the call that actually deleted the
//! `account_pupils` row (a conditional delete), so that parallel reports of
//! one child make one report and one mail.

use crate::entity::{account, account_pupil, pupil, report, school};
use crate::leavers;
use crate::school_data::ts;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use sesame_domain::{AccountState, ReportState};
use time::OffsetDateTime;

/// A report with what an administrator and the school need to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The report's number.
    pub id: i32,
    /// Where it stands.
    pub state: ReportState,
    /// When the parent reported.
    pub created_at: OffsetDateTime,
    /// When it was closed, and by whom.
    pub resolved: Option<(OffsetDateTime, String)>,
    /// The reporting account's id.
    pub account_id: i32,
    /// Its identifiant as typed at creation (none once the account is gone).
    pub identifiant: Option<String>,
    /// The child's row.
    pub pupil_id: i32,
    /// The child's id in the school's export (SIECLE `ELEVE_ID`).
    pub pupil_external_id: String,
    /// First name and family name of the child (empty once the pupil is
    /// gone from the school data).
    pub pupil_name: (String, String),
    /// The child's class.
    pub class: Option<String>,
    /// The school's UAI (kept on the report).
    pub uai: String,
    /// The school's name.
    pub school_name: String,
}

async fn complete(db: &impl ConnectionTrait, r: report::Model) -> Result<Report, DbErr> {
    let a = account::Entity::find_by_id(r.account_id).one(db).await?;
    let p = pupil::Entity::find_by_id(r.pupil_id).one(db).await?;
    let school_name = match &p {
        Some(p) => school::Entity::find_by_id(p.school_id)
            .one(db)
            .await?
            .map(|s| s.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(Report {
        id: r.id,
        state: ReportState::from_db(&r.state).unwrap_or(ReportState::Open),
        created_at: r.created_at,
        resolved: r.resolved_at.zip(r.resolved_by),
        account_id: r.account_id,
        identifiant: a.map(|a| a.identifiant_display),
        pupil_id: r.pupil_id,
        pupil_external_id: p
            .as_ref()
            .map(|p| p.external_id.clone())
            .unwrap_or_default(),
        pupil_name: p
            .as_ref()
            .map(|p| (p.first_name.clone(), p.last_name.clone()))
            .unwrap_or_default(),
        class: p.and_then(|p| p.class_code),
        uai: r.uai,
        school_name,
    })
}

/// Opens a report: takes `pupil_id` away from `account_id` and records the
/// report, in the caller's transaction. None when the account does not
/// hold that child (any more): another report of it came first, or it was
/// never its own.
pub async fn open(
    db: &impl ConnectionTrait,
    account_id: i32,
    pupil_id: i32,
    now: OffsetDateTime,
) -> Result<Option<Report>, DbErr> {
    if !leavers::detach_reported(db, account_id, pupil_id, now).await? {
        return Ok(None);
    }
    let uai = match pupil::Entity::find_by_id(pupil_id).one(db).await? {
        Some(p) => school::Entity::find_by_id(p.school_id)
            .one(db)
            .await?
            .map(|s| s.uai)
            .unwrap_or_default(),
        None => String::new(),
    };
    let row = report::ActiveModel {
        account_id: Set(account_id),
        pupil_id: Set(pupil_id),
        uai: Set(uai),
        created_at: Set(ts(now)),
        state: Set(ReportState::Open.as_str().to_owned()),
        resolved_at: Set(None),
        resolved_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let detail = format!(
        "signalement n°{} : {}",
        row.id,
        leavers::pupil_label(db, pupil_id).await?
    );
    leavers::audit_detail(db, "child_reported", Some(account_id), &detail, now).await?;
    complete(db, row).await.map(Some)
}

/// The reports in `state`, oldest first.
pub async fn list(db: &impl ConnectionTrait, state: ReportState) -> Result<Vec<Report>, DbErr> {
    let rows = report::Entity::find()
        .filter(report::Column::State.eq(state.as_str()))
        .order_by_asc(report::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(complete(db, r).await?);
    }
    Ok(out)
}

/// Report `id`, if there is one.
pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<Option<Report>, DbErr> {
    match report::Entity::find_by_id(id).one(db).await? {
        Some(r) => complete(db, r).await.map(Some),
        None => Ok(None),
    }
}

/// Whether account `account_id` reported `pupil_id` and the school has not
/// put the link back: an open or removed report. Such a child cannot be
/// attached again with a code.
pub async fn withheld(
    db: &impl ConnectionTrait,
    account_id: i32,
    pupil_id: i32,
) -> Result<bool, DbErr> {
    let n = report::Entity::find()
        .filter(report::Column::AccountId.eq(account_id))
        .filter(report::Column::PupilId.eq(pupil_id))
        .filter(
            report::Column::State
                .is_in([ReportState::Open.as_str(), ReportState::Removed.as_str()]),
        )
        .count(db)
        .await?;
    Ok(n > 0)
}

/// Closes report `id` as `state` (only if still open); answers whether
/// this call closed it.
pub async fn close(
    db: &impl ConnectionTrait,
    id: i32,
    state: ReportState,
    by: &str,
    now: OffsetDateTime,
) -> Result<bool, DbErr> {
    let r = report::Entity::update_many()
        .col_expr(report::Column::State, Expr::value(state.as_str()))
        .col_expr(report::Column::ResolvedAt, Expr::value(ts(now)))
        .col_expr(report::Column::ResolvedBy, Expr::value(by.to_owned()))
        .filter(report::Column::Id.eq(id))
        .filter(report::Column::State.eq(ReportState::Open.as_str()))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Puts the child of a report back on the account: the link, and the
/// account's leaver stamp cleared (a disabled account opens again), as
/// when an export attaches a child again. The caller checked that both
/// still exist.
pub async fn relink(
    db: &impl ConnectionTrait,
    account_id: i32,
    pupil_id: i32,
) -> Result<(), DbErr> {
    let held = account_pupil::Entity::find()
        .filter(account_pupil::Column::AccountId.eq(account_id))
        .filter(account_pupil::Column::PupilId.eq(pupil_id))
        .count(db)
        .await?;
    if held == 0 {
        crate::accounts::link_pupil(db, account_id, pupil_id).await?;
    }
    if let Some(a) = account::Entity::find_by_id(account_id).one(db).await?
        && a.left_at.is_some()
    {
        let mut upd = account::Entity::update_many()
            .col_expr(
                account::Column::LeftAt,
                Expr::value(Option::<OffsetDateTime>::None),
            )
            .col_expr(
                account::Column::DeletionNoticeAt,
                Expr::value(Option::<OffsetDateTime>::None),
            )
            .filter(account::Column::Id.eq(account_id));
        if a.state() == AccountState::Disabled {
            upd = upd.col_expr(
                account::Column::State,
                Expr::value(AccountState::Active.as_str()),
            );
        }
        upd.exec(db).await?;
    }
    Ok(())
}

/// Whether the account and the pupil of a report both still exist (a link
/// can be put back).
pub async fn both_exist(
    db: &impl ConnectionTrait,
    account_id: i32,
    pupil_id: i32,
) -> Result<(bool, bool), DbErr> {
    Ok((
        account::Entity::find_by_id(account_id)
            .one(db)
            .await?
            .is_some(),
        pupil::Entity::find_by_id(pupil_id).one(db).await?.is_some(),
    ))
}
