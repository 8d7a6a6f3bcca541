//! What the helpdesk commands read and change: accounts found by a piece of
//! their identifiant, address or holder's name, their pending links, and
//! their state switched by an operator.

use crate::entity::{account, account_guardian, account_pupil, account_token, guardian, pupil};
use crate::school_data::ts;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use sea_orm::{QueryOrder, QuerySelect};
use time::OffsetDateTime;

/// `LOWER(column) LIKE '%word%'`, the word's `%`, `_` and `\` escaped.
fn contains(col: impl sea_orm::sea_query::IntoColumnRef, word: &str) -> SimpleExpr {
    let escaped = word
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(col))).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// The accounts whose identifiant, address, or linked guardian's or pupil's
/// first or last name contains every word of `text` (case ignored), by id,
/// at most `limit`.
pub async fn search(
    db: &impl ConnectionTrait,
    text: &str,
    limit: u64,
) -> Result<Vec<account::Model>, DbErr> {
    let mut all = Condition::all();
    for word in text.split_whitespace() {
        let by_guardian = Query::select()
            .column((
                account_guardian::Entity,
                account_guardian::Column::AccountId,
            ))
            .from(account_guardian::Entity)
            .inner_join(
                guardian::Entity,
                Expr::col((guardian::Entity, guardian::Column::Id)).equals((
                    account_guardian::Entity,
                    account_guardian::Column::GuardianId,
                )),
            )
            .cond_where(
                Condition::any()
                    .add(contains(
                        (guardian::Entity, guardian::Column::FirstName),
                        word,
                    ))
                    .add(contains(
                        (guardian::Entity, guardian::Column::LastName),
                        word,
                    )),
            )
            .to_owned();
        let by_pupil = Query::select()
            .column((account_pupil::Entity, account_pupil::Column::AccountId))
            .from(account_pupil::Entity)
            .inner_join(
                pupil::Entity,
                Expr::col((pupil::Entity, pupil::Column::Id))
                    .equals((account_pupil::Entity, account_pupil::Column::PupilId)),
            )
            .cond_where(
                Condition::any()
                    .add(contains((pupil::Entity, pupil::Column::FirstName), word))
                    .add(contains((pupil::Entity, pupil::Column::LastName), word)),
            )
            .to_owned();
        all = all.add(
            Condition::any()
                .add(contains(
                    (account::Entity, account::Column::Identifiant),
                    word,
                ))
                .add(contains((account::Entity, account::Column::Email), word))
                .add(account::Column::Id.in_subquery(by_guardian))
                .add(account::Column::Id.in_subquery(by_pupil)),
        );
    }
    account::Entity::find()
        .filter(all)
        .order_by_asc(account::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// An account's links still usable: (purpose, expiry), newest first.
pub async fn pending_links(
    db: &impl ConnectionTrait,
    account_id: i32,
    now: OffsetDateTime,
) -> Result<Vec<(String, OffsetDateTime)>, DbErr> {
    Ok(account_token::Entity::find()
        .filter(account_token::Column::AccountId.eq(account_id))
        .filter(account_token::Column::UsedAt.is_null())
        .filter(account_token::Column::ExpiresAt.gt(ts(now)))
        .order_by_desc(account_token::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.purpose, t.expires_at))
        .collect())
}
