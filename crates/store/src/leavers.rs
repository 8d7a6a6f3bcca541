//! Accounts that follow the school's exports (issue 16): a removed
//! guardian↔pupil link or a pupil who left takes the child away from every
//! account holding it, at once; accounts left without a school tie are
//! stamped (`left_at`), disabled, then deleted by the periodic job.
//!
//! Attributes are read from `account_pupils` at each ticket, token and page
//! (`identity.rs`), so deleting a row is enough for the next ticket or token
//! not to carry the child. Every change writes an audit event; none sends a
//! mail (custody changes are sensitive).

use crate::entity::{
    account, account_guardian, account_pupil, activation_code, audit_event, pupil, school,
};
use crate::school_data::ts;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set,
};
use sesame_domain::{AccountKind, AccountState};
use std::collections::HashSet;
use time::{Date, OffsetDateTime};

/// Records an audit event with a detail (no pseudonyms: written by the
/// system, not by a person), for the changes this module makes.
pub async fn audit_detail(
    db: &impl ConnectionTrait,
    kind: &str,
    account_id: Option<i32>,
    detail: &str,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        at: Set(ts(now)),
        kind: Set(kind.to_owned()),
        account_id: Set(account_id),
        actor: Set(None),
        ip: Set(None),
        detail: Set(Some(detail.to_owned())),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Why a child left an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The guardian↔pupil link vanished from the export (or stopped being
    /// a legal guardian's).
    LinkRemoved,
    /// The pupil left the school (absent from a full export, or a
    /// `DATE_SORTIE` reached).
    PupilLeft,
    /// The account's holder reported that the child is not theirs (« Ce
    /// n'est pas mon enfant », `reports.rs`).
    Reported,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::LinkRemoved => "lien responsable-élève supprimé par l'import",
            Reason::PupilLeft => "élève sorti de l'établissement",
            Reason::Reported => "signalé par le responsable : « ce n'est pas mon enfant »",
        }
    }
}

/// `élève 9990101 (0999001W)`: how the audit names a pupil.
pub(crate) async fn pupil_label(db: &impl ConnectionTrait, pupil_id: i32) -> Result<String, DbErr> {
    let Some(p) = pupil::Entity::find_by_id(pupil_id).one(db).await? else {
        return Ok(format!("élève #{pupil_id}"));
    };
    let uai = school::Entity::find_by_id(p.school_id)
        .one(db)
        .await?
        .map(|s| s.uai)
        .unwrap_or_default();
    Ok(format!("élève {} ({uai})", p.external_id))
}

/// Deletes the link of `account_id` to `pupil_id`; answers whether there
/// was one. The first statement of the callers' transactions, so that
/// SQLite takes the write lock at once (no read lock to upgrade).
async fn unlink(db: &impl ConnectionTrait, account_id: i32, pupil_id: i32) -> Result<bool, DbErr> {
    let r = account_pupil::Entity::delete_many()
        .filter(account_pupil::Column::AccountId.eq(account_id))
        .filter(account_pupil::Column::PupilId.eq(pupil_id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// What follows a removed link: the audit event, and the stamp of an
/// account left with no child.
async fn detached(
    db: &impl ConnectionTrait,
    a: &account::Model,
    pupil_id: i32,
    reason: Reason,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    let detail = format!("{} : {}", pupil_label(db, pupil_id).await?, reason.as_str());
    audit_detail(db, "child_detached", Some(a.id), &detail, now).await?;
    mark_if_childless(db, a, now).await
}

/// Takes `pupil_id` away from the guardian accounts in `accounts` that
/// hold it; answers how many lost it.
async fn detach(
    db: &impl ConnectionTrait,
    accounts: &[account::Model],
    pupil_id: i32,
    reason: Reason,
    now: OffsetDateTime,
) -> Result<u64, DbErr> {
    let mut n = 0;
    for a in accounts {
        if !unlink(db, a.id, pupil_id).await? {
            continue;
        }
        n += 1;
        detached(db, a, pupil_id, reason, now).await?;
    }
    Ok(n)
}

/// A child reported as not theirs by the holder of `account_id`: the same
/// path as a link removed by an import (audit event, stamp of an account
/// left without child). Answers whether this call took the child away (so
/// that of several reports at once, one only goes on).
pub async fn detach_reported(
    db: &impl ConnectionTrait,
    account_id: i32,
    pupil_id: i32,
    now: OffsetDateTime,
) -> Result<bool, DbErr> {
    // Security: the conditional delete decides; of parallel reports, the
    // one that finds the link goes on.
    if !unlink(db, account_id, pupil_id).await? {
        return Ok(false);
    }
    if let Some(a) = account::Entity::find_by_id(account_id).one(db).await? {
        detached(db, &a, pupil_id, Reason::Reported, now).await?;
    }
    Ok(true)
}

/// Stamps a guardian account that has no child any more (`left_at`), once.
async fn mark_if_childless(
    db: &impl ConnectionTrait,
    a: &account::Model,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    if a.kind() != AccountKind::Responsable {
        return Ok(());
    }
    let left = account_pupil::Entity::find()
        .filter(account_pupil::Column::AccountId.eq(a.id))
        .count(db)
        .await?;
    if left > 0 {
        return Ok(());
    }
    let r = account::Entity::update_many()
        .col_expr(account::Column::LeftAt, Expr::value(ts(now)))
        .filter(account::Column::Id.eq(a.id))
        .filter(account::Column::LeftAt.is_null())
        .exec(db)
        .await?;
    if r.rows_affected == 1 {
        audit_detail(
            db,
            "account_without_child",
            Some(a.id),
            "plus aucun enfant rattaché : compte désactivé puis supprimé après les délais",
            now,
        )
        .await?;
    }
    Ok(())
}

/// The accounts of `kind` holding `pupil_id`.
async fn holders(
    db: &impl ConnectionTrait,
    pupil_id: i32,
    kind: AccountKind,
) -> Result<Vec<account::Model>, DbErr> {
    let ids = Query::select()
        .column(account_pupil::Column::AccountId)
        .from(account_pupil::Entity)
        .and_where(account_pupil::Column::PupilId.eq(pupil_id))
        .to_owned();
    account::Entity::find()
        .filter(account::Column::Id.in_subquery(ids))
        .filter(account::Column::Kind.eq(kind.as_str()))
        .all(db)
        .await
}

/// Guardian↔pupil links removed by an import: each account of that
/// guardian (personal or joint) loses the pupil. A joint account loses it
/// even when the other holder keeps the link, since both log in with it.
pub async fn links_removed(
    db: &impl ConnectionTrait,
    pairs: &[(i32, i32)],
    now: OffsetDateTime,
) -> Result<u64, DbErr> {
    let mut n = 0;
    for &(guardian_id, pupil_id) in pairs {
        let ids = Query::select()
            .column(account_guardian::Column::AccountId)
            .from(account_guardian::Entity)
            .and_where(account_guardian::Column::GuardianId.eq(guardian_id))
            .to_owned();
        let accounts = account::Entity::find()
            .filter(account::Column::Id.in_subquery(ids))
            .all(db)
            .await?;
        n += detach(db, &accounts, pupil_id, Reason::LinkRemoved, now).await?;
    }
    Ok(n)
}

/// Pupils who left: every guardian account loses them, and their own
/// account is stamped (`left_at`) so that the grace period starts.
pub async fn pupils_left(
    db: &impl ConnectionTrait,
    pupil_ids: &[i32],
    now: OffsetDateTime,
) -> Result<u64, DbErr> {
    let mut n = 0;
    for &pid in pupil_ids {
        let parents = holders(db, pid, AccountKind::Responsable).await?;
        n += detach(db, &parents, pid, Reason::PupilLeft, now).await?;
        for a in holders(db, pid, AccountKind::Eleve).await? {
            let r = account::Entity::update_many()
                .col_expr(account::Column::LeftAt, Expr::value(ts(now)))
                .filter(account::Column::Id.eq(a.id))
                .filter(account::Column::LeftAt.is_null())
                .exec(db)
                .await?;
            if r.rows_affected == 1 {
                let detail = pupil_label(db, pid).await?;
                audit_detail(db, "pupil_left", Some(a.id), &detail, now).await?;
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Pupils whose leaving date has come (`left_on <= today`) and whom an
/// account still holds as current: a `DATE_SORTIE` in the future when
/// imported, reached since. The periodic job hands them to [`pupils_left`].
pub async fn due_leavers(db: &impl ConnectionTrait, today: Date) -> Result<Vec<i32>, DbErr> {
    let held_by_parents = Query::select()
        .column(account_pupil::Column::PupilId)
        .from(account_pupil::Entity)
        .inner_join(
            account::Entity,
            Expr::col((account::Entity, account::Column::Id))
                .equals((account_pupil::Entity, account_pupil::Column::AccountId)),
        )
        .and_where(
            Expr::col((account::Entity, account::Column::Kind))
                .eq(AccountKind::Responsable.as_str()),
        )
        .to_owned();
    let pupils_not_stamped = Query::select()
        .column(account_pupil::Column::PupilId)
        .from(account_pupil::Entity)
        .inner_join(
            account::Entity,
            Expr::col((account::Entity, account::Column::Id))
                .equals((account_pupil::Entity, account_pupil::Column::AccountId)),
        )
        .and_where(
            Expr::col((account::Entity, account::Column::Kind)).eq(AccountKind::Eleve.as_str()),
        )
        .and_where(Expr::col((account::Entity, account::Column::LeftAt)).is_null())
        .to_owned();
    let mut ids: HashSet<i32> = HashSet::new();
    for q in [held_by_parents, pupils_not_stamped] {
        let found: Vec<i32> = pupil::Entity::find()
            .select_only()
            .column(pupil::Column::Id)
            .filter(pupil::Column::LeftOn.lte(today))
            .filter(pupil::Column::Id.in_subquery(q))
            .into_tuple::<i32>()
            .all(db)
            .await?;
        ids.extend(found);
    }
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Accounts stamped as leavers that hold a pupil at school again (a later
/// export without `DATE_SORTIE` for a pupil's account, a child attached
/// again to a guardian's): the stamp is cleared and a disabled account
/// opens again. Answers their ids.
pub async fn returned(db: &impl ConnectionTrait, today: Date) -> Result<Vec<i32>, DbErr> {
    let stamped = account::Entity::find()
        .filter(account::Column::LeftAt.is_not_null())
        .all(db)
        .await?;
    let mut out = Vec::new();
    for a in stamped {
        let pupils: Vec<Option<Date>> = pupil::Entity::find()
            .select_only()
            .column(pupil::Column::LeftOn)
            .filter(
                pupil::Column::Id.in_subquery(
                    Query::select()
                        .column(account_pupil::Column::PupilId)
                        .from(account_pupil::Entity)
                        .and_where(account_pupil::Column::AccountId.eq(a.id))
                        .to_owned(),
                ),
            )
            .into_tuple::<Option<Date>>()
            .all(db)
            .await?;
        if pupils.is_empty() || !pupils.iter().any(|d| d.is_none_or(|d| d > today)) {
            continue;
        }
        let mut upd = account::Entity::update_many()
            .col_expr(
                account::Column::LeftAt,
                Expr::value(Option::<OffsetDateTime>::None),
            )
            .col_expr(
                account::Column::DeletionNoticeAt,
                Expr::value(Option::<OffsetDateTime>::None),
            )
            .filter(account::Column::Id.eq(a.id));
        if a.state() == AccountState::Disabled {
            upd = upd.col_expr(
                account::Column::State,
                Expr::value(AccountState::Active.as_str()),
            );
        }
        upd.exec(db).await?;
        out.push(a.id);
    }
    Ok(out)
}

/// Active accounts stamped as leavers before `cutoff`: their grace period
/// is over.
pub async fn to_disable(
    db: &impl ConnectionTrait,
    cutoff: OffsetDateTime,
) -> Result<Vec<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::LeftAt.lte(ts(cutoff)))
        .filter(account::Column::State.eq(AccountState::Active.as_str()))
        .all(db)
        .await
}

/// Disables an account (only if still active); answers whether it did.
pub async fn disable(
    db: &impl ConnectionTrait,
    id: i32,
    now: OffsetDateTime,
) -> Result<bool, DbErr> {
    crate::accounts::switch_state(db, id, AccountState::Active, AccountState::Disabled, now).await
}

/// Guardian accounts stamped before `cutoff` that have not had their
/// deletion notice yet.
pub async fn to_notify(
    db: &impl ConnectionTrait,
    cutoff: OffsetDateTime,
) -> Result<Vec<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::Kind.eq(AccountKind::Responsable.as_str()))
        .filter(account::Column::LeftAt.lte(ts(cutoff)))
        .filter(account::Column::DeletionNoticeAt.is_null())
        .all(db)
        .await
}

/// Records that the deletion notice went out (only once); answers whether
/// this call recorded it.
pub async fn noticed(
    db: &impl ConnectionTrait,
    id: i32,
    now: OffsetDateTime,
) -> Result<bool, DbErr> {
    let r = account::Entity::update_many()
        .col_expr(account::Column::DeletionNoticeAt, Expr::value(ts(now)))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::DeletionNoticeAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Accounts stamped before `cutoff` whose retention is over: pupil
/// accounts, and guardian accounts noticed before `notice_cutoff`.
pub async fn to_delete(
    db: &impl ConnectionTrait,
    cutoff: OffsetDateTime,
    notice_cutoff: OffsetDateTime,
) -> Result<Vec<i32>, DbErr> {
    use sea_orm::Condition;
    account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .filter(account::Column::LeftAt.lte(ts(cutoff)))
        .filter(
            Condition::any()
                .add(account::Column::Kind.eq(AccountKind::Eleve.as_str()))
                .add(
                    Condition::all()
                        .add(account::Column::Kind.eq(AccountKind::Responsable.as_str()))
                        .add(account::Column::DeletionNoticeAt.lte(ts(notice_cutoff))),
                ),
        )
        .into_tuple::<i32>()
        .all(db)
        .await
}

/// Before a leaver's account is deleted (`accounts::purge`): its codes
/// stay spent (revoked), so that they cannot open a new account for a
/// child who is gone.
pub async fn revoke_codes(
    db: &impl ConnectionTrait,
    id: i32,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    activation_code::Entity::update_many()
        .col_expr(activation_code::Column::RevokedAt, Expr::value(ts(now)))
        .filter(activation_code::Column::UsedByAccountId.eq(id))
        .filter(activation_code::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map(|_| ())
}
