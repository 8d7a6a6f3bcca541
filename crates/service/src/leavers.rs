//! Leavers (issue 16 §2): the accounts of pupils who left, and guardian
//! accounts left with no child, are disabled after
//! `accounts.leaver_grace_days` and deleted after `accounts.retention_days`,
//! counted from the day Sésame saw the departure (`accounts.left_at`). A
//! guardian gets a notice mail `accounts.deletion_notice_days` before the
//! deletion, and the account is never deleted before that notice has been
//! queued for that long. Run by the periodic job (`mailer::run_purge`) and
//! by `sesame accounts purge`.

use crate::app::App;
use sesame_store::outbox::{self, NewMail};
use sesame_store::{StoreError, WriteTxn};
use sesame_store::{held, leavers};
use time::Duration;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Accounts that lost a pupil whose leaving date has come since the
    /// import, or were stamped as a leaver's.
    pub left: u64,
    /// Pupil accounts whose pupil is at school again (stamp cleared).
    pub returned: u64,
    /// Accounts disabled (grace period over).
    pub disabled: u64,
    /// Deletion notices queued.
    pub notified: u64,
    /// Accounts deleted (retention over).
    pub deleted: u64,
}

impl std::fmt::Display for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Comptes d'élèves sortis ou de responsables sans enfant : {} départ(s) constaté(s), {} retour(s), {} désactivé(s), {} avis de suppression envoyé(s), {} supprimé(s).",
            self.left, self.returned, self.disabled, self.notified, self.deleted
        )
    }
}

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

/// Runs one round: departures whose date has come, returns, disabling,
/// notices, deletions. Each account changes in its own transaction.
pub async fn run(app: &App) -> Result<Round, StoreError> {
    let cfg = &app.config.accounts;
    let now = app.clock.now();
    let today = now.date();
    let db = app.db.conn();
    let mut round = Round::default();

    // A DATE_SORTIE that was in the future at the import has come.
    for pid in leavers::due_leavers(db, today).await? {
        let txn = db.begin_write().await?;
        round.left += leavers::pupils_left(&txn, &[pid], now).await?;
        txn.commit().await?;
    }
    for id in leavers::returned(db, today).await? {
        leavers::audit_detail(
            db,
            "leaver_returned",
            Some(id),
            "élève de nouveau inscrit : compte conservé",
            now,
        )
        .await?;
        round.returned += 1;
    }

    for a in leavers::to_disable(db, now - days(cfg.leaver_grace_days)).await? {
        // Every session, ticket and token issued before is dead (REV-01),
        // first: should the disabling fail, the next round does it again.
        crate::session::end_all(app, a.id).await?;
        let txn = db.begin_write().await?;
        if leavers::disable(&txn, a.id, now).await? {
            leavers::audit_detail(
                &txn,
                "account_disabled",
                Some(a.id),
                &format!(
                    "sorti depuis plus de {} jour(s) (accounts.leaver_grace_days)",
                    cfg.leaver_grace_days
                ),
                now,
            )
            .await?;
            round.disabled += 1;
        }
        txn.commit().await?;
        tracing::info!(account.id = a.id, "leaver's account disabled");
    }

    let notice_at = now - days(cfg.retention_days - cfg.deletion_notice_days);
    for a in leavers::to_notify(db, notice_at).await? {
        let txn = db.begin_write().await?;
        if leavers::noticed(&txn, a.id, now).await? {
            let deletion = a.left_at.unwrap_or(now) + days(cfg.retention_days);
            // Never sooner than the notice period from now.
            let deletion = deletion.max(now + days(cfg.deletion_notice_days));
            if let Some(to) = a.email.as_deref() {
                let mail = crate::mail::account_deletion_notice(
                    &app.config,
                    a.language(),
                    &a.identifiant_display,
                    deletion.date(),
                );
                // Not tied to the account: the notice outlives it.
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
            leavers::audit_detail(
                &txn,
                "account_deletion_notice",
                Some(a.id),
                &format!(
                    "suppression prévue le {}",
                    crate::mail::french_date(deletion.date())
                ),
                now,
            )
            .await?;
            round.notified += 1;
        }
        txn.commit().await?;
    }

    let ids = leavers::to_delete(
        db,
        now - days(cfg.retention_days),
        now - days(cfg.deletion_notice_days),
    )
    .await?;
    for id in ids {
        let txn = db.begin_write().await?;
        leavers::revoke_codes(&txn, id, now).await?;
        // Every row that names it, provider links and consents included.
        if !held::delete(&txn, id).await? {
            continue;
        }
        leavers::audit_detail(
            &txn,
            "leaver_account_deleted",
            Some(id),
            &format!(
                "sorti depuis plus de {} jour(s) (accounts.retention_days)",
                cfg.retention_days
            ),
            now,
        )
        .await?;
        txn.commit().await?;
        round.deleted += 1;
        tracing::info!(account.id = id, "leaver's account deleted");
    }
    Ok(round)
}
