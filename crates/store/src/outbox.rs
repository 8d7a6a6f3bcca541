//! The mail outbox: mails are rows written in the transaction of the change
//! that causes them; workers claim due rows with a lease (a compare-and-set
//! on `lease_until`, so two nodes never hold the same row), send, then mark
//! them sent, retried later, failed or abandoned.
//!
//! Once a mail is sent, failed or abandoned, its row keeps no secret
//! (REST-01): the bodies (links, temporary passwords) and the address are
//! erased in the same update that records the outcome; what operations
//! need stays (the recipient's pseudonym, the subject, which names the kind
//! of mail and holds no secret, the dates, the state, the last error).

use crate::entity::mail_outbox;
use crate::school_data::ts;
use sea_orm::sea_query::{Cond, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use time::{Duration, OffsetDateTime};

/// A queued mail.
pub type Mail = mail_outbox::Model;

/// States of a row.
pub mod state {
    /// Waiting to be sent (or to be retried).
    pub const PENDING: &str = "pending";
    /// Accepted by the transport.
    pub const SENT: &str = "sent";
    /// Refused for good by the server (5xx).
    pub const FAILED: &str = "failed";
    /// Still not sent when the retry budget ran out.
    pub const ABANDONED: &str = "abandoned";
}

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    /// The account it is about, if any (purged with it).
    pub account_id: Option<i32>,
    /// Recipient address.
    pub to: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Plain-text part.
    pub text: &'a str,
    /// HTML part.
    pub html: &'a str,
}

/// Queues a mail (in the caller's transaction).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    m: NewMail<'_>,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    let now = ts(now);
    mail_outbox::ActiveModel {
        recipient: Set(m.to.to_owned()),
        subject: Set(m.subject.to_owned()),
        text_body: Set(m.text.to_owned()),
        html_body: Set(m.html.to_owned()),
        state: Set(state::PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        account_id: Set(m.account_id),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Claims up to `limit` due mails for `lease`; returns the claimed rows
/// (attempts already counted). PostgreSQL: `FOR UPDATE SKIP LOCKED`;
/// SQLite (one writer at a time): a compare-and-set per row.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: OffsetDateTime,
    lease: Duration,
    limit: u64,
) -> Result<Vec<Mail>, DbErr> {
    let now = ts(now);
    if db.get_database_backend() == DbBackend::Postgres {
        // One statement: rows another node is claiming are skipped, not
        // waited for.
        let sql = "UPDATE mail_outbox SET lease_until = $1, attempts = attempts + 1 \
                   WHERE id IN (SELECT id FROM mail_outbox WHERE state = $2 AND next_attempt_at <= $3 \
                   AND (lease_until IS NULL OR lease_until < $3) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                   RETURNING *";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = Mail::find_by_statement(Statement::from_sql_and_values(
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
        .add(mail_outbox::Column::LeaseUntil.is_null())
        .add(mail_outbox::Column::LeaseUntil.lt(now));
    let due = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::State.eq(state::PENDING))
        .filter(mail_outbox::Column::NextAttemptAt.lte(now))
        .filter(free.clone())
        .order_by_asc(mail_outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for m in due {
        // The row is ours only if nobody leased it since we read it.
        let r = mail_outbox::Entity::update_many()
            .col_expr(mail_outbox::Column::LeaseUntil, Expr::value(now + lease))
            .col_expr(mail_outbox::Column::Attempts, Expr::value(m.attempts + 1))
            .filter(mail_outbox::Column::Id.eq(m.id))
            .filter(mail_outbox::Column::State.eq(state::PENDING))
            .filter(mail_outbox::Column::Attempts.eq(m.attempts))
            .filter(free.clone())
            .exec(db)
            .await?;
        if r.rows_affected == 1 {
            claimed.push(Mail {
                attempts: m.attempts + 1,
                lease_until: Some(now + lease),
                ..m
            });
        }
    }
    Ok(claimed)
}

/// Makes every pending mail due at `now`, whatever its backoff said
/// (`sesame mail send --now`); answers how many were waiting.
pub async fn due_now(db: &impl ConnectionTrait, now: OffsetDateTime) -> Result<u64, DbErr> {
    let r = mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::NextAttemptAt, Expr::value(ts(now)))
        .filter(mail_outbox::Column::State.eq(state::PENDING))
        .filter(mail_outbox::Column::NextAttemptAt.gt(ts(now)))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Adds to `q` the erasure of a row's secrets: the bodies, and the address
/// replaced by its pseudonym.
fn erase(
    q: sea_orm::UpdateMany<mail_outbox::Entity>,
    pseudonym: &str,
) -> sea_orm::UpdateMany<mail_outbox::Entity> {
    // Security: a delivered or abandoned mail keeps no live link, no
    // temporary password and no address at rest (REST-01).
    q.col_expr(mail_outbox::Column::TextBody, Expr::value(""))
        .col_expr(mail_outbox::Column::HtmlBody, Expr::value(""))
        .col_expr(mail_outbox::Column::Recipient, Expr::value(""))
        .col_expr(
            mail_outbox::Column::RecipientPseudonym,
            Expr::value(pseudonym.to_owned()),
        )
}

/// Marks a mail sent and erases its secrets (`pseudonym`: the recipient's).
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    id: i32,
    now: OffsetDateTime,
    pseudonym: &str,
) -> Result<(), DbErr> {
    erase(mail_outbox::Entity::update_many(), pseudonym)
        .col_expr(mail_outbox::Column::State, Expr::value(state::SENT))
        .col_expr(mail_outbox::Column::SentAt, Expr::value(ts(now)))
        .col_expr(
            mail_outbox::Column::LeaseUntil,
            Expr::value(Option::<OffsetDateTime>::None),
        )
        .col_expr(
            mail_outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(mail_outbox::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Records a failed attempt: `next` is when to retry, or `Err` to give up
/// with that final state (failed or abandoned), erasing the mail's secrets
/// (`pseudonym`: the recipient's).
pub async fn mark_attempt_failed(
    db: &impl ConnectionTrait,
    id: i32,
    error: &str,
    next: Result<OffsetDateTime, &'static str>,
    pseudonym: &str,
) -> Result<(), DbErr> {
    let mut q = mail_outbox::Entity::update_many()
        .col_expr(
            mail_outbox::Column::LastError,
            Expr::value(error.to_owned()),
        )
        .col_expr(
            mail_outbox::Column::LeaseUntil,
            Expr::value(Option::<OffsetDateTime>::None),
        );
    q = match next {
        Ok(at) => q.col_expr(mail_outbox::Column::NextAttemptAt, Expr::value(ts(at))),
        Err(final_state) => {
            erase(q, pseudonym).col_expr(mail_outbox::Column::State, Expr::value(final_state))
        }
    };
    q.filter(mail_outbox::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Every mail in a state (all when `None`), newest first; only those to
/// one recipient when `to` is given: (its address, its pseudonym).
pub async fn list(
    db: &impl ConnectionTrait,
    in_state: Option<&str>,
    to: Option<(&str, &str)>,
    limit: u64,
) -> Result<Vec<Mail>, DbErr> {
    let mut q = mail_outbox::Entity::find();
    if let Some(s) = in_state {
        q = q.filter(mail_outbox::Column::State.eq(s));
    }
    if let Some((address, pseudonym)) = to {
        q = q.filter(
            Cond::any()
                .add(mail_outbox::Column::Recipient.eq(address))
                .add(mail_outbox::Column::RecipientPseudonym.eq(pseudonym)),
        );
    }
    q.order_by_desc(mail_outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Puts failed or abandoned mails back in the queue, due now; returns how
/// many (`id` = one mail, `None` = all of them). Only rows that still hold
/// their body can be sent again: since REST-01, a mail given up is erased,
/// so this concerns rows written before that.
pub async fn retry(
    db: &impl ConnectionTrait,
    id: Option<i32>,
    now: OffsetDateTime,
) -> Result<u64, DbErr> {
    let mut q = mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::State, Expr::value(state::PENDING))
        .col_expr(mail_outbox::Column::NextAttemptAt, Expr::value(ts(now)))
        .col_expr(mail_outbox::Column::Attempts, Expr::value(0))
        .col_expr(mail_outbox::Column::CreatedAt, Expr::value(ts(now)))
        .filter(mail_outbox::Column::State.is_in([state::FAILED, state::ABANDONED]))
        .filter(mail_outbox::Column::Recipient.ne(""))
        .filter(mail_outbox::Column::TextBody.ne(""));
    if let Some(id) = id {
        q = q.filter(mail_outbox::Column::Id.eq(id));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// How many mails are in each state (for the metrics).
pub async fn depth(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>, DbErr> {
    use sea_orm::PaginatorTrait;
    let mut out = Vec::new();
    for s in [state::PENDING, state::FAILED, state::ABANDONED] {
        let n = mail_outbox::Entity::find()
            .filter(mail_outbox::Column::State.eq(s))
            .count(db)
            .await?;
        out.push((s.to_owned(), i64::try_from(n).unwrap_or(i64::MAX)));
    }
    Ok(out)
}
