//! Password-renewal campaigns: marking a population at once, counting who
//! renewed, unmarking. Every change is a few set-based statements, whatever
//! the number of accounts (tens of thousands for `--all`): no query per
//! account.

use crate::WriteTxn;
use crate::entity::account::NO_PASSWORD;
use crate::outbox::state as mail_state;
use crate::school_data::ts;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, Statement, Value,
};
use time::OffsetDateTime;

/// Which accounts a campaign marks: the active accounts with a password of
/// their own, of one school (`uai`) or all, of one kind or both.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// One school's UAI (accounts linked to one of its pupils), or `None`
    /// for every school.
    pub uai: Option<&'a str>,
    /// `responsable` or `eleve`, or `None` for both.
    pub kind: Option<&'a str>,
}

/// The notice mailed to each marked account with an address.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// Subject.
    pub subject: &'a str,
    /// Plain-text part.
    pub text: &'a str,
    /// HTML part.
    pub html: &'a str,
}

/// What starting a campaign did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    /// The campaign's number.
    pub id: i32,
    /// Accounts marked.
    pub marked: u64,
    /// Notices queued (marked accounts with an address).
    pub mailed: u64,
}

/// One campaign and its counts.
#[derive(Debug, Clone, FromQueryResult, serde::Serialize)]
pub struct Campaign {
    /// Number.
    pub id: i32,
    /// Why (as the operator wrote it).
    pub reason: String,
    /// `all` or a UAI.
    pub scope: String,
    /// `responsable`, `eleve`, or none (both).
    pub kind: Option<String>,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it stopped, if it did.
    #[serde(with = "time::serde::rfc3339::option")]
    pub stopped_at: Option<OffsetDateTime>,
    /// Who started it.
    pub operator: String,
    /// Who stopped it.
    pub stopped_by: Option<String>,
    /// Accounts marked.
    pub marked: i64,
    /// Accounts that chose a new password since.
    pub renewed: i64,
    /// Accounts still marked (to renew at their next login).
    pub pending: i64,
}

/// A statement with `?` placeholders, numbered for PostgreSQL.
fn stmt(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    if backend != DbBackend::Postgres {
        return Statement::from_sql_and_values(backend, sql, values);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    Statement::from_sql_and_values(backend, out, values)
}

async fn exec(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    Ok(db.execute_raw(stmt(db, sql, values)).await?.rows_affected())
}

#[derive(FromQueryResult)]
struct Id {
    id: i32,
}

#[derive(FromQueryResult)]
struct Generation {
    id: i32,
    session_generation: i64,
}

/// Starts a campaign in one transaction: records it, marks the matching
/// accounts (moving their session generation on, which ends every session
/// and token they hold), queues a notice to each one with an address (in
/// its language: one statement per language of `notices`) and
/// writes an audit event per account and one for the campaign. Answers
/// what it did and the accounts' new generations (for the caller to
/// publish to the shared store's copies).
#[allow(clippy::too_many_arguments)]
pub async fn start(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    reason: &str,
    operator: &str,
    notices: &[(sesame_domain::Language, Notice<'_>)],
    audit_detail: &str,
    now: OffsetDateTime,
) -> Result<(Started, Vec<(i32, i64)>), DbErr> {
    let now = ts(now);
    let txn = db.begin_write().await?;
    let scope_text = scope.uai.unwrap_or("all");
    let id = Id::find_by_statement(stmt(
        &txn,
        "INSERT INTO renewal_campaigns (reason, scope, kind, started_at, operator) \
         VALUES (?, ?, ?, ?, ?) RETURNING id",
        vec![
            reason.into(),
            scope_text.into(),
            scope.kind.map(str::to_owned).into(),
            now.into(),
            operator.into(),
        ],
    ))
    .one(&txn)
    .await?
    .ok_or_else(|| DbErr::RecordNotInserted)?
    .id;
    let mut sql = String::from(
        "INSERT INTO renewal_campaign_accounts (campaign_id, account_id) \
         SELECT ?, a.id FROM accounts a \
         WHERE a.state = ? AND a.password_hash <> ? AND a.kind IN (?, ?)",
    );
    let (k1, k2) = match scope.kind {
        Some(k) => (k, k),
        None => ("responsable", "eleve"),
    };
    let mut values: Vec<Value> = vec![
        id.into(),
        "active".into(),
        NO_PASSWORD.into(),
        k1.into(),
        k2.into(),
    ];
    if let Some(uai) = scope.uai {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM account_pupils ap \
             JOIN pupils p ON p.id = ap.pupil_id \
             JOIN schools s ON s.id = p.school_id \
             WHERE ap.account_id = a.id AND s.uai = ?)",
        );
        values.push(uai.into());
    }
    let marked = exec(&txn, &sql, values).await?;
    exec(
        &txn,
        "UPDATE accounts SET renewal_campaign_id = ?, \
         session_generation = session_generation + 1, updated_at = ? \
         WHERE id IN (SELECT account_id FROM renewal_campaign_accounts WHERE campaign_id = ?)",
        vec![id.into(), now.into(), id.into()],
    )
    .await?;
    let mut mailed = 0;
    for (lang, notice) in notices {
        // French also for the accounts without a language, or with one
        // this version does not know.
        let others: Vec<&str> = notices
            .iter()
            .map(|(l, _)| l.code())
            .filter(|c| *c != sesame_domain::Language::default().code())
            .collect();
        let (which, mut values): (String, Vec<Value>) =
            if *lang == sesame_domain::Language::default() {
                let marks = vec!["?"; others.len()].join(", ");
                let which = if others.is_empty() {
                    String::new()
                } else {
                    format!(" AND (language IS NULL OR language NOT IN ({marks}))")
                };
                (which, others.iter().map(|c| (*c).into()).collect())
            } else {
                (" AND language = ?".into(), vec![lang.code().into()])
            };
        let mut all: Vec<Value> = vec![
            notice.subject.into(),
            notice.text.into(),
            notice.html.into(),
            mail_state::PENDING.into(),
            now.into(),
            now.into(),
            id.into(),
        ];
        all.append(&mut values);
        mailed += exec(
            &txn,
            &format!(
                "INSERT INTO mail_outbox (recipient, subject, text_body, html_body, state, \
                 attempts, next_attempt_at, created_at, account_id) \
                 SELECT email, ?, ?, ?, ?, 0, ?, ?, id FROM accounts \
                 WHERE renewal_campaign_id = ? AND email IS NOT NULL{which}"
            ),
            all,
        )
        .await?;
    }
    let detail = format!("campagne n°{id} ; {audit_detail}");
    exec(
        &txn,
        "INSERT INTO audit_events (at, kind, account_id, detail) \
         SELECT ?, ?, account_id, ? FROM renewal_campaign_accounts WHERE campaign_id = ?",
        vec![
            now.into(),
            "password_renewal_required".into(),
            detail.clone().into(),
            id.into(),
        ],
    )
    .await?;
    crate::accounts::audit_action(
        &txn,
        "renewal_campaign_started",
        &format!("{detail} ; {marked} compte(s)"),
        now,
    )
    .await?;
    let generations = Generation::find_by_statement(stmt(
        &txn,
        "SELECT id, session_generation FROM accounts WHERE renewal_campaign_id = ?",
        vec![id.into()],
    ))
    .all(&txn)
    .await?
    .into_iter()
    .map(|g| (g.id, g.session_generation))
    .collect();
    txn.commit().await?;
    Ok((Started { id, marked, mailed }, generations))
}

/// Every campaign with its counts, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Campaign>, DbErr> {
    Campaign::find_by_statement(stmt(
        db,
        "SELECT c.id, c.reason, c.scope, c.kind, c.started_at, c.stopped_at, c.operator, \
         c.stopped_by, \
         (SELECT COUNT(*) FROM renewal_campaign_accounts ca WHERE ca.campaign_id = c.id) AS marked, \
         (SELECT COUNT(*) FROM renewal_campaign_accounts ca WHERE ca.campaign_id = c.id \
           AND ca.renewed_at IS NOT NULL) AS renewed, \
         (SELECT COUNT(*) FROM accounts a WHERE a.renewal_campaign_id = c.id) AS pending \
         FROM renewal_campaigns c ORDER BY c.id",
        vec![],
    ))
    .all(db)
    .await
}

/// Stops campaign `id`: the accounts it marked that have not renewed are
/// unmarked (their next login is an ordinary one). Answers how many were
/// unmarked, or `None` when there is no such running campaign.
pub async fn stop(
    db: &DatabaseConnection,
    id: i32,
    operator: &str,
    audit_detail: &str,
    now: OffsetDateTime,
) -> Result<Option<u64>, DbErr> {
    let now = ts(now);
    let txn = db.begin_write().await?;
    let n = exec(
        &txn,
        "UPDATE renewal_campaigns SET stopped_at = ?, stopped_by = ? \
         WHERE id = ? AND stopped_at IS NULL",
        vec![now.into(), operator.into(), id.into()],
    )
    .await?;
    if n != 1 {
        return Ok(None);
    }
    let detail = format!("campagne n°{id} ; {audit_detail}");
    exec(
        &txn,
        "INSERT INTO audit_events (at, kind, account_id, detail) \
         SELECT ?, ?, id, ? FROM accounts WHERE renewal_campaign_id = ?",
        vec![
            now.into(),
            "password_renewal_cancelled".into(),
            detail.clone().into(),
            id.into(),
        ],
    )
    .await?;
    let unmarked = exec(
        &txn,
        "UPDATE accounts SET renewal_campaign_id = NULL, updated_at = ? \
         WHERE renewal_campaign_id = ?",
        vec![now.into(), id.into()],
    )
    .await?;
    crate::accounts::audit_action(
        &txn,
        "renewal_campaign_stopped",
        &format!("{detail} ; {unmarked} compte(s) non renouvelé(s) libéré(s)"),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Some(unmarked))
}

/// Records that account `id` chose a new password (in the caller's
/// transaction): it leaves its campaign, counted as renewed.
pub async fn renewed(db: &impl ConnectionTrait, id: i32, now: OffsetDateTime) -> Result<(), DbErr> {
    let now = ts(now);
    exec(
        db,
        "UPDATE renewal_campaign_accounts SET renewed_at = ? \
         WHERE account_id = ? AND renewed_at IS NULL \
         AND campaign_id = (SELECT renewal_campaign_id FROM accounts WHERE id = ?)",
        vec![now.into(), id.into(), id.into()],
    )
    .await?;
    exec(
        db,
        "UPDATE accounts SET renewal_campaign_id = NULL WHERE id = ? \
         AND renewal_campaign_id IS NOT NULL",
        vec![id.into()],
    )
    .await?;
    Ok(())
}
