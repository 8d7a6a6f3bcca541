//! Accounts, their links, and the rows written with them (outbox, audit).

use crate::entity::{
    account, account_guardian, account_pupil, account_token, activation_code, audit_event,
    mail_outbox,
};
use crate::school_data::ts;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use sesame_domain::{AccountKind, AccountState};
use time::OffsetDateTime;

mod audit;

pub use audit::{audit, audit_action, audit_detail, audit_events, purge_audit};

/// An account as stored.
pub type Account = account::Model;

/// Finds an account by its normalised identifiant.
pub async fn find_by_identifiant(
    db: &impl ConnectionTrait,
    identifiant: &str,
) -> Result<Option<Account>, DbErr> {
    account::Entity::find()
        .filter(account::Column::Identifiant.eq(identifiant))
        .one(db)
        .await
}

pub use crate::entity::account::NO_PASSWORD;

/// The identifiants in use that start with `base` (a superset: `_` is a
/// wildcard of `LIKE`), to choose a free one.
pub async fn identifiants_starting_with(
    db: &impl ConnectionTrait,
    base: &str,
) -> Result<std::collections::HashSet<String>, DbErr> {
    Ok(account::Entity::find()
        .filter(account::Column::Identifiant.starts_with(base))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.identifiant)
        .collect())
}

/// Finds an account by id.
pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<Option<Account>, DbErr> {
    account::Entity::find_by_id(id).one(db).await
}

/// [`find`] on a connection held outside the pool ([`crate::Database::read`]),
/// for the hot paths (a token grant).
pub async fn read(db: &crate::Database, id: i32) -> Result<Option<Account>, DbErr> {
    use sea_orm::{FromQueryResult, QueryTrait};
    static SQL: crate::by_id::ByIdSql = crate::by_id::ByIdSql::new();
    let backend = db.conn().get_database_backend();
    // No `LIMIT 1` (a value besides the id: the text would be built at
    // each call): the primary key gives one row at most.
    let st = SQL.statement(backend, id, |id| {
        account::Entity::find_by_id(id).build(backend)
    });
    db.read(st)
        .await?
        .first()
        .map(|row| Account::from_query_result(row, ""))
        .transpose()
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Normalised (lower-case) identifiant.
    pub identifiant: String,
    /// As typed.
    pub identifiant_display: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Email address.
    pub email: Option<String>,
    /// Awaiting email confirmation, or active.
    pub state: AccountState,
    /// Whose account it is.
    pub kind: AccountKind,
    /// Joint parent account.
    pub joint: bool,
    /// The language of its mails: the page's where it was created.
    pub language: sesame_domain::Language,
}

/// Inserts an account; returns it.
pub async fn insert(
    db: &impl ConnectionTrait,
    a: NewAccount,
    now: OffsetDateTime,
) -> Result<Account, DbErr> {
    let now = ts(now);
    account::ActiveModel {
        identifiant: Set(a.identifiant),
        identifiant_display: Set(a.identifiant_display),
        password_hash: Set(a.password_hash),
        email: Set(a.email),
        state: Set(a.state.as_str().to_owned()),
        kind: Set(a.kind.as_str().to_owned()),
        joint: Set(a.joint),
        must_change_password: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        // `confirmed_at` records an address confirmed by a link (activation
        // or email change), never a creation: OIDC `email_verified`.
        confirmed_at: Set(None),
        last_login_at: Set(None),
        session_generation: Set(0),
        left_at: Set(None),
        deletion_notice_at: Set(None),
        confirmation_reminders: Set(0),
        identifiant_chosen_at: Set(None),
        renewal_campaign_id: Set(None),
        language: Set(Some(a.language.code().to_owned())),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Sets the language of an account's mails.
pub async fn set_language(
    db: &impl ConnectionTrait,
    id: i32,
    language: sesame_domain::Language,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(
            account::Column::Language,
            Expr::value(language.code().to_owned()),
        )
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Links an account to a pupil.
pub async fn link_pupil(
    db: &impl ConnectionTrait,
    account_id: i32,
    pupil_id: i32,
) -> Result<(), DbErr> {
    account_pupil::ActiveModel {
        account_id: Set(account_id),
        pupil_id: Set(pupil_id),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Records a successful login.
pub async fn touch_login(
    db: &impl ConnectionTrait,
    id: i32,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::LastLoginAt, Expr::value(ts(now)))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Marks a code as used by an account, only if it is still free; answers
/// whether it was (so that two concurrent sign-ups cannot both use it).
pub async fn claim_code(
    db: &impl ConnectionTrait,
    code_id: i32,
    account_id: i32,
) -> Result<bool, DbErr> {
    let r = activation_code::Entity::update_many()
        .col_expr(
            activation_code::Column::UsedByAccountId,
            Expr::value(account_id),
        )
        .filter(activation_code::Column::Id.eq(code_id))
        .filter(activation_code::Column::UsedByAccountId.is_null())
        .filter(activation_code::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Counts a failed attempt against a code and revokes it at `limit`
/// failures; answers whether it is now revoked.
pub async fn code_failure(
    db: &impl ConnectionTrait,
    code_id: i32,
    limit: i32,
    now: OffsetDateTime,
) -> Result<bool, DbErr> {
    activation_code::Entity::update_many()
        .col_expr(
            activation_code::Column::FailedAttempts,
            Expr::col(activation_code::Column::FailedAttempts).add(1),
        )
        .filter(activation_code::Column::Id.eq(code_id))
        .exec(db)
        .await?;
    let r = activation_code::Entity::update_many()
        .col_expr(activation_code::Column::RevokedAt, Expr::value(ts(now)))
        .filter(activation_code::Column::Id.eq(code_id))
        .filter(activation_code::Column::FailedAttempts.gte(limit))
        .filter(activation_code::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Links an account to a guardian record (a parent account's own, or the
/// other holder's for a joint account).
pub async fn link_guardian(
    db: &impl ConnectionTrait,
    account_id: i32,
    guardian_id: i32,
) -> Result<(), DbErr> {
    account_guardian::ActiveModel {
        account_id: Set(account_id),
        guardian_id: Set(guardian_id),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Turns a pending account active; answers whether it was pending.
pub async fn activate(
    db: &impl ConnectionTrait,
    id: i32,
    now: OffsetDateTime,
) -> Result<bool, DbErr> {
    let now = ts(now);
    let r = account::Entity::update_many()
        .col_expr(
            account::Column::State,
            Expr::value(AccountState::Active.as_str()),
        )
        .col_expr(account::Column::ConfirmedAt, Expr::value(now))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::State.eq(AccountState::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Pending accounts created before `cutoff`: their week to confirm is over.
pub async fn expired_pending(
    db: &impl ConnectionTrait,
    cutoff: OffsetDateTime,
) -> Result<Vec<i32>, DbErr> {
    Ok(account::Entity::find()
        .filter(account::Column::State.eq(AccountState::Pending.as_str()))
        .filter(account::Column::CreatedAt.lt(ts(cutoff)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect())
}

/// The pending accounts created at or after `since` (still within their
/// time to confirm).
pub async fn pending_since(
    db: &impl ConnectionTrait,
    since: OffsetDateTime,
) -> Result<Vec<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::State.eq(AccountState::Pending.as_str()))
        .filter(account::Column::CreatedAt.gte(ts(since)))
        .all(db)
        .await
}

/// Claims confirmation reminder number `n` of a pending account: answers
/// true for the one caller that moves the count below `n` up to it (a
/// conditional `UPDATE`, so two nodes or parallel runs never both send it).
pub async fn claim_reminder(db: &impl ConnectionTrait, id: i32, n: i32) -> Result<bool, DbErr> {
    let r = account::Entity::update_many()
        .col_expr(account::Column::ConfirmationReminders, Expr::value(n))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::State.eq(AccountState::Pending.as_str()))
        .filter(account::Column::ConfirmationReminders.lt(n))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Deletes an account that was never confirmed, with its links, tokens and
/// unsent mail, and frees its activation codes (SECURITY.md ACT-08).
/// Answers whether the account row was there to delete (false when a
/// concurrent deletion came first).
pub async fn purge(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    activation_code::Entity::update_many()
        .col_expr(
            activation_code::Column::UsedByAccountId,
            Expr::value(Option::<i32>::None),
        )
        .filter(activation_code::Column::UsedByAccountId.eq(id))
        .exec(db)
        .await?;
    account_pupil::Entity::delete_many()
        .filter(account_pupil::Column::AccountId.eq(id))
        .exec(db)
        .await?;
    account_guardian::Entity::delete_many()
        .filter(account_guardian::Column::AccountId.eq(id))
        .exec(db)
        .await?;
    account_token::Entity::delete_many()
        .filter(account_token::Column::AccountId.eq(id))
        .exec(db)
        .await?;
    mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::AccountId.eq(id))
        .exec(db)
        .await?;
    Ok(account::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The pupils linked to an account, each with its school's name; with
/// `current_on`, only those still at school that day.
async fn pupils_with_school(
    db: &impl ConnectionTrait,
    account_id: i32,
    current_on: Option<time::Date>,
) -> Result<Vec<(crate::entity::pupil::Model, String)>, DbErr> {
    use crate::entity::{pupil, school};
    let links = account_pupil::Entity::find()
        .filter(account_pupil::Column::AccountId.eq(account_id))
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(links.len());
    for l in links {
        if let Some(p) = pupil::Entity::find_by_id(l.pupil_id).one(db).await? {
            if let (Some(today), Some(left)) = (current_on, p.left_on)
                && left <= today
            {
                continue;
            }
            let school = school::Entity::find_by_id(p.school_id)
                .one(db)
                .await?
                .map(|s| s.name)
                .unwrap_or_default();
            out.push((p, school));
        }
    }
    Ok(out)
}

/// The pupils linked to an account and still at school on `today`, with
/// their school: (pupil row id, first name, last name, school name).
pub async fn children(
    db: &impl ConnectionTrait,
    account_id: i32,
    today: time::Date,
) -> Result<Vec<(i32, String, String, String)>, DbErr> {
    Ok(pupils_with_school(db, account_id, Some(today))
        .await?
        .into_iter()
        .map(|(p, school)| (p.id, p.first_name, p.last_name, school))
        .collect())
}

/// The words of an account's children that its password must not be built
/// on: first names, birth dates and school names.
pub async fn children_words(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Vec<(String, time::Date, String)>, DbErr> {
    Ok(pupils_with_school(db, account_id, None)
        .await?
        .into_iter()
        .map(|(p, school)| (p.first_name, p.birth_date, school))
        .collect())
}

/// Whether an insert failed on a unique constraint (an identifiant taken by
/// a concurrent sign-up between check and insert).
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Gives an account the identifiant its owner chose (`identifiant`
/// normalised, `display` as typed), once: only while the account may
/// still choose ([`Account::may_choose_identifiant`]), checked in the
/// same conditional `UPDATE`, so that of parallel changes one at most
/// succeeds. Answers whether the row changed; a name another account
/// holds fails on the unique constraint ([`is_unique_violation`]).
pub async fn choose_identifiant(
    db: &impl ConnectionTrait,
    id: i32,
    identifiant: &str,
    display: &str,
    now: OffsetDateTime,
) -> Result<bool, DbErr> {
    let r = account::Entity::update_many()
        .col_expr(
            account::Column::Identifiant,
            Expr::value(identifiant.to_owned()),
        )
        .col_expr(
            account::Column::IdentifiantDisplay,
            Expr::value(display.to_owned()),
        )
        .col_expr(account::Column::IdentifiantChosenAt, Expr::value(ts(now)))
        .col_expr(account::Column::UpdatedAt, Expr::value(ts(now)))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::PasswordHash.eq(NO_PASSWORD))
        .filter(account::Column::IdentifiantChosenAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Sets an account's password hash (and clears "must change").
pub async fn set_password(
    db: &impl ConnectionTrait,
    id: i32,
    hash: &str,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash.to_owned()))
        .col_expr(account::Column::MustChangePassword, Expr::value(false))
        .col_expr(account::Column::UpdatedAt, Expr::value(ts(now)))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Sets an account's email address, confirmed by the link its owner
/// followed (`confirmed_at`, hence OIDC `email_verified`).
pub async fn set_email(
    db: &impl ConnectionTrait,
    id: i32,
    email: &str,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::Email, Expr::value(email.to_owned()))
        .col_expr(account::Column::ConfirmedAt, Expr::value(ts(now)))
        .col_expr(account::Column::UpdatedAt, Expr::value(ts(now)))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Active accounts whose address is `email` (compared in ASCII lower case:
/// Unicode look-alikes match nothing).
pub async fn active_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Vec<Account>, DbErr> {
    use sea_orm::sea_query::Func;
    account::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(account::Column::Email)))
                .eq(email.to_ascii_lowercase()),
        )
        .filter(account::Column::State.eq(AccountState::Active.as_str()))
        .all(db)
        .await
}

/// The guardian records an account is linked with: (id, last name, first name).
pub async fn guardians(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Vec<(i32, String, String)>, DbErr> {
    use crate::entity::guardian;
    let links = account_guardian::Entity::find()
        .filter(account_guardian::Column::AccountId.eq(account_id))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for l in links {
        if let Some(g) = guardian::Entity::find_by_id(l.guardian_id).one(db).await? {
            out.push((g.id, g.last_name, g.first_name));
        }
    }
    Ok(out)
}

/// Whether an account is linked to a pupil.
pub async fn has_pupil(
    db: &impl ConnectionTrait,
    account_id: i32,
    pupil_id: i32,
) -> Result<bool, DbErr> {
    Ok(account_pupil::Entity::find()
        .filter(account_pupil::Column::AccountId.eq(account_id))
        .filter(account_pupil::Column::PupilId.eq(pupil_id))
        .one(db)
        .await?
        .is_some())
}

/// Replaces an account's password hash by a stronger one of the same
/// password (nothing else changes).
pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    id: i32,
    hash: &str,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash.to_owned()))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Moves an account's session generation on: every session, ticket, code
/// and token issued before carries the old one and is dead from now on,
/// for its whole lifetime (REV-01). Answers the new generation.
pub async fn next_session_generation(db: &impl ConnectionTrait, id: i32) -> Result<i64, DbErr> {
    account::Entity::update_many()
        .col_expr(
            account::Column::SessionGeneration,
            Expr::col(account::Column::SessionGeneration).add(1),
        )
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    use sea_orm::QuerySelect;
    Ok(account::Entity::find_by_id(id)
        .select_only()
        .column(account::Column::SessionGeneration)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0))
}

/// An account's session generation (`None` for an unknown account).
pub async fn session_generation(db: &crate::Database, id: i32) -> Result<Option<i64>, DbErr> {
    use sea_orm::{QuerySelect, QueryTrait};
    static SQL: crate::by_id::ByIdSql = crate::by_id::ByIdSql::new();
    let backend = db.conn().get_database_backend();
    let st = SQL.statement(backend, id, |id| {
        account::Entity::find_by_id(id)
            .select_only()
            .column(account::Column::SessionGeneration)
            .build(backend)
    });
    // On a connection held outside the pool: read at each authorization.
    db.read(st)
        .await?
        .first()
        .map(|row| row.try_get::<i64>("", "session_generation"))
        .transpose()
}

/// Moves account `id` from state `from` to `to`; answers whether it did
/// (a conditional `UPDATE`: two operators at once change it once).
pub async fn switch_state(
    db: &impl ConnectionTrait,
    id: i32,
    from: AccountState,
    to: AccountState,
    now: OffsetDateTime,
) -> Result<bool, DbErr> {
    let r = account::Entity::update_many()
        .col_expr(account::Column::State, Expr::value(to.as_str()))
        .col_expr(account::Column::UpdatedAt, Expr::value(ts(now)))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::State.eq(from.as_str()))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}
