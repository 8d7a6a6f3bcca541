//! The joined read of a release (userinfo, ticket validation): the
//! account's row and the identity behind it in one statement.

use super::{AccountKind, Identity, Row, fold, rows_query, with_upstream_claims};
use crate::entity::account;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{DbBackend, DbErr, FromQueryResult, Statement};

/// What a release needs of the account's row ([`account_with_identity`]):
/// the columns a userinfo answer or a ticket validation uses, not the
/// whole row (each value read costs an allocation on SQLite).
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Holder {
    /// The account's id.
    pub id: i32,
    /// The identifiant as released (`preferred_username`, CAS user).
    pub identifiant_display: String,
    /// Its address.
    pub email: Option<String>,
    /// Its state, as stored.
    pub state: String,
    /// Its kind, as stored.
    pub kind: String,
    /// When its address was confirmed by a link.
    pub confirmed_at: Option<time::OffsetDateTime>,
    /// What a password change or a « log out everywhere » increments.
    pub session_generation: i64,
}

impl Holder {
    /// As [`account::Model::is_active`].
    pub fn is_active(&self) -> bool {
        sesame_domain::AccountState::from_db(&self.state)
            == Some(sesame_domain::AccountState::Active)
    }

    /// As [`account::Model::kind`].
    pub fn kind(&self) -> AccountKind {
        AccountKind::from_db(&self.kind).unwrap_or(AccountKind::Federe)
    }
}

impl From<&account::Model> for Holder {
    fn from(a: &account::Model) -> Self {
        Self {
            id: a.id,
            identifiant_display: a.identifiant_display.clone(),
            email: a.email.clone(),
            state: a.state.clone(),
            kind: a.kind.clone(),
            confirmed_at: a.confirmed_at,
            session_generation: a.session_generation,
        }
    }
}

/// [`account_with_identity`]'s statement for `account_id`. No `ORDER BY`:
/// the few rows are sorted by the caller (SQLite would sort them through
/// a temporary B-tree at every request).
fn joined_query(account_id: i32) -> SelectStatement {
    let r = Alias::new("r");
    Query::select()
        .columns(
            [
                account::Column::Id,
                account::Column::IdentifiantDisplay,
                account::Column::Email,
                account::Column::State,
                account::Column::Kind,
                account::Column::ConfirmedAt,
                account::Column::SessionGeneration,
            ]
            .map(|c| (account::Entity, c)),
        )
        .columns(
            [
                "src",
                "k",
                "first_name",
                "last_name",
                "external_id",
                "class_code",
                "left_on",
                "uai",
            ]
            .map(|c| (r.clone(), Alias::new(c))),
        )
        .from(account::Entity)
        .join_subquery(
            JoinType::LeftJoin,
            rows_query(account_id, true),
            r,
            Expr::cust("1 = 1"),
        )
        .and_where(Expr::col((account::Entity, account::Column::Id)).eq(account_id))
        .to_owned()
}

/// [`account_with_identity`]'s SQL text for each backend, built once:
/// every value of the statement is the account's id.
pub(super) static JOINED: crate::by_id::ByIdSql = crate::by_id::ByIdSql::new();

pub(super) fn joined(backend: DbBackend) -> impl Fn(i32) -> Statement {
    move |id| backend.build(&joined_query(id))
}

/// An account and the identity behind it on `today`, in one statement
/// (the account's row joined to its links): what a userinfo request or a
/// ticket validation reads, so that each costs one round trip to the
/// database (two for an account of an upstream provider). `None` for an
/// unknown account.
pub async fn account_with_identity(
    db: &crate::Database,
    account_id: i32,
    today: time::Date,
) -> Result<Option<(Holder, Identity)>, DbErr> {
    // Performance: the statement's text is built once per backend; each
    // request only binds the id (issue 21).
    let backend = db.conn().get_database_backend();
    let st = JOINED.statement(backend, account_id, joined(backend));
    // On a connection held outside the pool (issue 21).
    let rows = db.read(st).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let account = Holder::from_query_result(first, "")?;
    let kind = account.kind();
    let mut links = Vec::with_capacity(rows.len());
    for row in &rows {
        let l = LinkRow::from_query_result(row, "")?;
        if let (Some(src), Some(k), Some(first_name), Some(last_name)) =
            (l.src, l.k, l.first_name, l.last_name)
        {
            // A pupil's account reads only its pupil, as [`identity`] does.
            if src != 0 && kind == AccountKind::Eleve {
                continue;
            }
            links.push((
                (src, k),
                Row {
                    src,
                    first_name,
                    last_name,
                    external_id: l.external_id,
                    class_code: l.class_code,
                    left_on: l.left_on,
                    uai: l.uai,
                },
            ));
        }
    }
    // [`identity`]'s order: pupils then guardians, each by id.
    links.sort_unstable_by_key(|(key, _)| *key);
    let links = links.into_iter().map(|(_, row)| row).collect();
    let id = with_upstream_claims(db.conn(), account_id, kind, fold(links, kind, today)).await?;
    Ok(Some((account, id)))
}

/// A row of [`account_with_identity`]'s join: all NULL for an account
/// without links.
#[derive(Debug, FromQueryResult)]
struct LinkRow {
    src: Option<i32>,
    k: Option<i32>,
    first_name: Option<String>,
    last_name: Option<String>,
    external_id: Option<String>,
    class_code: Option<String>,
    left_on: Option<time::Date>,
    uai: Option<String>,
}
