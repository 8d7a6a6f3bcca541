//! Text messages and first visits by text message (issue 20).
//!
//! The SMS outbox follows the mail outbox ([`crate::outbox`]): a row is
//! written in the transaction of the change that causes it, workers claim
//! due rows with a lease (a compare-and-set on `lease_until`; `FOR UPDATE
//! SKIP LOCKED` on PostgreSQL), and the outcome is recorded. The states are
//! the mail outbox's ([`crate::outbox::state`]). Once a message is sent or
//! given up, its text (which holds a one-time code) and its number are
//! erased in the same update; the number's pseudonym stays.
//!
//! A challenge is one first visit by text message in flight: keyed hashes
//! only (the browser's flow token, the number, the code), the guardians
//! the number opens, the attempts and the deadline.

use crate::entity::{
    activation_code, guardian, guardian_pupil, pupil, school, sms_challenge, sms_outbox,
};
use crate::outbox::state;
use crate::school_data::ts;
use sea_orm::sea_query::{Cond, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use sesame_domain::{ResponsibilityLevel, normalize_first_name};
use time::{Duration, OffsetDateTime};

/// A queued text message.
pub type Sms = sms_outbox::Model;
/// A first visit by text message in flight.
pub type Challenge = sms_challenge::Model;

/// Queues a text message (in the caller's transaction).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    to: &str,
    kind: &str,
    text: &str,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    let now = ts(now);
    sms_outbox::ActiveModel {
        recipient: Set(to.to_owned()),
        recipient_pseudonym: Set(None),
        text: Set(text.to_owned()),
        kind: Set(kind.to_owned()),
        state: Set(state::PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Claims up to `limit` due messages for `lease` (attempts already
/// counted), as [`crate::outbox::claim_due`] does for mails.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: OffsetDateTime,
    lease: Duration,
    limit: u64,
) -> Result<Vec<Sms>, DbErr> {
    let now = ts(now);
    if db.get_database_backend() == DbBackend::Postgres {
        let sql = "UPDATE sms_outbox SET lease_until = $1, attempts = attempts + 1 \
                   WHERE id IN (SELECT id FROM sms_outbox WHERE state = $2 AND next_attempt_at <= $3 \
                   AND (lease_until IS NULL OR lease_until < $3) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                   RETURNING *";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = Sms::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                (now + lease).into(),
                state::PENDING.into(),
                now.into(),
                limit.into(),
            ],
        ))
        .all(db)
        .await?;
        rows.sort_by_key(|m| m.id);
        return Ok(rows);
    }
    let free = Cond::any()
        .add(sms_outbox::Column::LeaseUntil.is_null())
        .add(sms_outbox::Column::LeaseUntil.lt(now));
    let due = sms_outbox::Entity::find()
        .filter(sms_outbox::Column::State.eq(state::PENDING))
        .filter(sms_outbox::Column::NextAttemptAt.lte(now))
        .filter(free.clone())
        .order_by_asc(sms_outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for m in due {
        let r = sms_outbox::Entity::update_many()
            .col_expr(sms_outbox::Column::LeaseUntil, Expr::value(now + lease))
            .col_expr(sms_outbox::Column::Attempts, Expr::value(m.attempts + 1))
            .filter(sms_outbox::Column::Id.eq(m.id))
            .filter(sms_outbox::Column::State.eq(state::PENDING))
            .filter(sms_outbox::Column::Attempts.eq(m.attempts))
            .filter(free.clone())
            .exec(db)
            .await?;
        if r.rows_affected == 1 {
            claimed.push(Sms {
                attempts: m.attempts + 1,
                lease_until: Some(now + lease),
                ..m
            });
        }
    }
    Ok(claimed)
}

fn erase(
    q: sea_orm::UpdateMany<sms_outbox::Entity>,
    pseudonym: &str,
) -> sea_orm::UpdateMany<sms_outbox::Entity> {
    // Security: a message sent or given up keeps no code and no number at
    // rest (REST-01).
    q.col_expr(sms_outbox::Column::Text, Expr::value(""))
        .col_expr(sms_outbox::Column::Recipient, Expr::value(""))
        .col_expr(
            sms_outbox::Column::RecipientPseudonym,
            Expr::value(pseudonym.to_owned()),
        )
}

/// Marks a message sent and erases it.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    id: i32,
    now: OffsetDateTime,
    pseudonym: &str,
) -> Result<(), DbErr> {
    erase(sms_outbox::Entity::update_many(), pseudonym)
        .col_expr(sms_outbox::Column::State, Expr::value(state::SENT))
        .col_expr(sms_outbox::Column::SentAt, Expr::value(ts(now)))
        .col_expr(
            sms_outbox::Column::LeaseUntil,
            Expr::value(Option::<OffsetDateTime>::None),
        )
        .col_expr(
            sms_outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(sms_outbox::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Records a failed attempt: `next` is when to retry, or `Err` to give up
/// with that final state, erasing the message.
pub async fn mark_attempt_failed(
    db: &impl ConnectionTrait,
    id: i32,
    error: &str,
    next: Result<OffsetDateTime, &'static str>,
    pseudonym: &str,
) -> Result<(), DbErr> {
    let q = sms_outbox::Entity::update_many()
        .col_expr(sms_outbox::Column::LastError, Expr::value(error.to_owned()))
        .col_expr(
            sms_outbox::Column::LeaseUntil,
            Expr::value(Option::<OffsetDateTime>::None),
        );
    let q = match next {
        Ok(at) => q.col_expr(sms_outbox::Column::NextAttemptAt, Expr::value(ts(at))),
        Err(final_state) => {
            erase(q, pseudonym).col_expr(sms_outbox::Column::State, Expr::value(final_state))
        }
    };
    q.filter(sms_outbox::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Messages in a state (all when `None`), newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    in_state: Option<&str>,
    limit: u64,
) -> Result<Vec<Sms>, DbErr> {
    let mut q = sms_outbox::Entity::find();
    if let Some(s) = in_state {
        q = q.filter(sms_outbox::Column::State.eq(s));
    }
    q.order_by_desc(sms_outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Makes one pending message (or every pending one) due now, whatever its
/// backoff said; answers how many. A message given up is erased (its code
/// is gone) and cannot be sent again: the parent asks for a new code.
pub async fn retry(
    db: &impl ConnectionTrait,
    id: Option<i32>,
    now: OffsetDateTime,
) -> Result<u64, DbErr> {
    let mut q = sms_outbox::Entity::update_many()
        .col_expr(sms_outbox::Column::NextAttemptAt, Expr::value(ts(now)))
        .col_expr(
            sms_outbox::Column::LeaseUntil,
            Expr::value(Option::<OffsetDateTime>::None),
        )
        .filter(sms_outbox::Column::State.eq(state::PENDING))
        .filter(sms_outbox::Column::Text.ne(""));
    if let Some(id) = id {
        q = q.filter(sms_outbox::Column::Id.eq(id));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// A guardian record a number opens, with its person's name.
#[derive(Debug, Clone, FromQueryResult)]
pub struct MobileHolder {
    /// The guardian record.
    pub id: i32,
    /// Family name.
    pub last_name: String,
    /// First name.
    pub first_name: String,
}

/// Every guardian record holding `mobile`, in any school.
pub async fn holders(db: &impl ConnectionTrait, mobile: &str) -> Result<Vec<MobileHolder>, DbErr> {
    guardian::Entity::find()
        .select_only()
        .columns([
            guardian::Column::Id,
            guardian::Column::LastName,
            guardian::Column::FirstName,
        ])
        .filter(guardian::Column::Mobile.eq(mobile))
        .order_by_asc(guardian::Column::Id)
        .into_model::<MobileHolder>()
        .all(db)
        .await
}

/// The guardian records a number may open: those holding it, when they
/// are all one person (SIECLE keeps one record per school; the same name
/// is taken as the same person, as the letters' codes are). A number held
/// by two persons opens nothing (issue 20 §1).
pub fn one_person(holders: &[MobileHolder]) -> Option<Vec<i32>> {
    let key = |h: &MobileHolder| {
        (
            normalize_first_name(&h.last_name),
            normalize_first_name(&h.first_name),
        )
    };
    let first = holders.first()?;
    holders
        .iter()
        .all(|h| key(h) == key(first))
        .then(|| holders.iter().map(|h| h.id).collect())
}

/// The pupils of which `guardians` are legal guardians and who have not
/// left by `today`.
pub async fn children_of(
    db: &impl ConnectionTrait,
    guardians: &[i32],
    today: time::Date,
) -> Result<Vec<pupil::Model>, DbErr> {
    let ids: Vec<i32> = guardian_pupil::Entity::find()
        .select_only()
        .column(guardian_pupil::Column::PupilId)
        .filter(guardian_pupil::Column::GuardianId.is_in(guardians.iter().copied()))
        .filter(guardian_pupil::Column::Level.eq(ResponsibilityLevel::Legal.as_i16()))
        .into_tuple::<i32>()
        .all(db)
        .await?;
    let mut pupils = pupil::Entity::find()
        .filter(pupil::Column::Id.is_in(ids))
        .order_by_asc(pupil::Column::Id)
        .all(db)
        .await?;
    pupils.retain(|p| p.left_on.is_none_or(|d| d > today));
    Ok(pupils)
}

/// A challenge to write.
#[derive(Debug, Clone)]
pub struct NewChallenge<'a> {
    /// Keyed hash of the browser's flow token.
    pub flow_hash: &'a str,
    /// Keyed hash of the number.
    pub mobile_hash: &'a str,
    /// Keyed hash of the code.
    pub code_hash: &'a str,
    /// The guardians it opens, if any.
    pub guardians: Option<&'a [i32]>,
    /// Its deadline.
    pub expires_at: OffsetDateTime,
}

/// Writes a challenge, replacing the browser's previous one, and deletes
/// the challenges past their deadline.
pub async fn start_challenge(
    db: &impl ConnectionTrait,
    c: NewChallenge<'_>,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    sms_challenge::Entity::delete_many()
        .filter(
            Cond::any()
                .add(sms_challenge::Column::FlowHash.eq(c.flow_hash))
                .add(sms_challenge::Column::ExpiresAt.lt(ts(now))),
        )
        .exec(db)
        .await?;
    let guardians = c
        .guardians
        .map(|g| g.iter().map(i32::to_string).collect::<Vec<_>>().join(","));
    sms_challenge::ActiveModel {
        flow_hash: Set(c.flow_hash.to_owned()),
        mobile_hash: Set(c.mobile_hash.to_owned()),
        code_hash: Set(c.code_hash.to_owned()),
        guardians: Set(guardians),
        attempts: Set(0),
        expires_at: Set(ts(c.expires_at)),
        verified_at: Set(None),
        child_at: Set(None),
        created_at: Set(ts(now)),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// The browser's challenge, if it has one still within its deadline.
pub async fn find_challenge(
    db: &impl ConnectionTrait,
    flow_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<Challenge>, DbErr> {
    sms_challenge::Entity::find()
        .filter(sms_challenge::Column::FlowHash.eq(flow_hash))
        .filter(sms_challenge::Column::ExpiresAt.gt(ts(now)))
        .one(db)
        .await
}

/// Takes one attempt of a challenge, atomically: answers whether one was
/// left (at most `limit`, however many requests race).
pub async fn take_attempt(db: &impl ConnectionTrait, id: i32, limit: i32) -> Result<bool, DbErr> {
    let r = sms_challenge::Entity::update_many()
        .col_expr(
            sms_challenge::Column::Attempts,
            Expr::col(sms_challenge::Column::Attempts).add(1),
        )
        .filter(sms_challenge::Column::Id.eq(id))
        .filter(sms_challenge::Column::Attempts.lt(limit))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Records that the code was right: the code's hash is erased, the
/// attempts start again for the child's check, and the deadline moves to
/// `until`.
pub async fn mark_verified(
    db: &impl ConnectionTrait,
    id: i32,
    now: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<(), DbErr> {
    sms_challenge::Entity::update_many()
        .col_expr(sms_challenge::Column::VerifiedAt, Expr::value(ts(now)))
        .col_expr(sms_challenge::Column::CodeHash, Expr::value(""))
        .col_expr(sms_challenge::Column::Attempts, Expr::value(0))
        .col_expr(sms_challenge::Column::ExpiresAt, Expr::value(ts(until)))
        .filter(sms_challenge::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Records that a child was named rightly.
pub async fn mark_child(
    db: &impl ConnectionTrait,
    id: i32,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    sms_challenge::Entity::update_many()
        .col_expr(sms_challenge::Column::ChildAt, Expr::value(ts(now)))
        .filter(sms_challenge::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Ends a challenge (used, or dead); answers whether it still existed, so
/// that two requests cannot both use it.
pub async fn end_challenge(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    let r = sms_challenge::Entity::delete_many()
        .filter(sms_challenge::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// The guardian ids of a challenge.
pub fn guardians_of(c: &Challenge) -> Vec<i32> {
    c.guardians
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Marks the guardians' unused activation codes as used by the account
/// created by text message, so that a letter received later cannot open a
/// second account for the same children; answers how many.
pub async fn claim_codes_of(
    db: &impl ConnectionTrait,
    guardians: &[i32],
    account_id: i32,
) -> Result<u64, DbErr> {
    let r = activation_code::Entity::update_many()
        .col_expr(
            activation_code::Column::UsedByAccountId,
            Expr::value(account_id),
        )
        .filter(activation_code::Column::GuardianId.is_in(guardians.iter().copied()))
        .filter(activation_code::Column::UsedByAccountId.is_null())
        .filter(activation_code::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// The UAIs of schools by id.
pub async fn school_uais(db: &impl ConnectionTrait, ids: &[i32]) -> Result<Vec<String>, DbErr> {
    school::Entity::find()
        .select_only()
        .column(school::Column::Uai)
        .filter(school::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<String>()
        .all(db)
        .await
}
