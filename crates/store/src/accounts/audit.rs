//! The audit trail: events written with the changes they record, read
//! back for `sesame audit`, purged past `audit.retention_days`.

use super::*;

/// Records an audit event; `actor` and `ip` must already be pseudonymised.
pub async fn audit(
    db: &impl ConnectionTrait,
    kind: &str,
    account_id: Option<i32>,
    actor: Option<&str>,
    ip: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    audit_detail(db, kind, account_id, actor, ip, None, now).await
}

/// Writes an audit event with a detail (e.g. the upstream provider's id).
pub async fn audit_detail(
    db: &impl ConnectionTrait,
    kind: &str,
    account_id: Option<i32>,
    actor: Option<&str>,
    ip: Option<&str>,
    detail: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        at: Set(ts(now)),
        kind: Set(kind.to_owned()),
        account_id: Set(account_id),
        actor: Set(actor.map(str::to_owned)),
        ip: Set(ip.map(str::to_owned)),
        detail: Set(detail.map(str::to_owned)),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Records an audit event that names no account but says what was done
/// (an administrator's command); `detail` must hold no personal data in
/// clear.
pub async fn audit_action(
    db: &impl ConnectionTrait,
    kind: &str,
    detail: &str,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        at: Set(ts(now)),
        kind: Set(kind.to_owned()),
        account_id: Set(None),
        actor: Set(None),
        ip: Set(None),
        detail: Set(Some(detail.to_owned())),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Deletes the audit events older than `before`; returns how many.
pub async fn purge_audit(db: &impl ConnectionTrait, before: OffsetDateTime) -> Result<u64, DbErr> {
    let r = audit_event::Entity::delete_many()
        .filter(audit_event::Column::At.lt(ts(before)))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Audit events, newest first, filtered by kind, account and start time.
/// An account filter also takes the events that name no account but its
/// identifiant's pseudonym (`actor`: failed logins, blocks).
pub async fn audit_events(
    db: &impl ConnectionTrait,
    kind: Option<&str>,
    account: Option<(i32, Option<&str>)>,
    since: Option<OffsetDateTime>,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    use sea_orm::{Condition, QueryOrder, QuerySelect};
    let mut q = audit_event::Entity::find();
    if let Some(k) = kind {
        q = q.filter(audit_event::Column::Kind.eq(k));
    }
    if let Some((id, actor)) = account {
        let mut c = Condition::any().add(audit_event::Column::AccountId.eq(id));
        if let Some(actor) = actor {
            c = c.add(
                Condition::all()
                    .add(audit_event::Column::AccountId.is_null())
                    .add(audit_event::Column::Actor.eq(actor)),
            );
        }
        q = q.filter(c);
    }
    if let Some(t) = since {
        q = q.filter(audit_event::Column::At.gte(ts(t)));
    }
    q.order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
