//! Audit retention (issue 16 §9): events older than `audit.retention_days`
//! are deleted by the periodic job and by `sesame accounts purge`, with the
//! application clock moved.

use crate::support::fixtures::{camille_code, sign_up_camille};
use crate::support::{CAMILLE, PASSWORD, TestEnv, TestServer, log_in, worker_app};
use sesame_domain::FixedClock;
use sesame_service::periodic;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

async fn failed_login(s: &TestServer) {
    let r = log_in(&s.client, &s.url, &CAMILLE.with_password("Mauvais123"), &[]).await;
    assert_ne!(r.status().as_u16(), 303, "a wrong password fails");
}

async fn kinds(env: &TestEnv) -> Vec<String> {
    env.rows("SELECT kind FROM audit_events ORDER BY id")
        .await
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_periodic_job_deletes_audit_events_past_their_retention() {
    let env = TestEnv::new();
    let code = camille_code(&env);
    let clock = Arc::new(FixedClock::new(OffsetDateTime::now_utc()));
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    sign_up_camille(&s.client, &s.url, &code, PASSWORD).await; // day 0
    clock.advance(Duration::days(200));
    failed_login(&s).await; // day 200
    assert_eq!(kinds(&env).await, ["account_created", "login_failed"]);
    let job = worker_app(&env, clock.clone(), |_| {}).await;

    // Day 365: nothing is older than 365 days yet.
    clock.advance(Duration::days(165) - Duration::minutes(1));
    assert_eq!(
        periodic::run_once(&job)
            .await
            .expect("round")
            .audit_events_deleted,
        0
    );
    // Day 365 and a bit: the creation goes, the failed login stays.
    clock.advance(Duration::minutes(2));
    assert_eq!(
        periodic::run_once(&job)
            .await
            .expect("round")
            .audit_events_deleted,
        1
    );
    assert_eq!(kinds(&env).await, ["login_failed"]);
    assert_eq!(
        periodic::run_once(&job)
            .await
            .expect("round")
            .audit_events_deleted,
        0
    );
    // A shorter retention, configured: the failed login (165 days old) goes too.
    let short = worker_app(&env, clock.clone(), |c| c.audit.retention_days = 100).await;
    assert_eq!(
        periodic::run_once(&short)
            .await
            .expect("round")
            .audit_events_deleted,
        1
    );
    assert!(kinds(&env).await.is_empty());
    // The account itself is untouched.
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_purge_deletes_audit_events_past_their_retention() {
    let env = TestEnv::new();
    let code = camille_code(&env);
    let clock = Arc::new(FixedClock::new(
        OffsetDateTime::now_utc() - Duration::days(366),
    ));
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    sign_up_camille(&s.client, &s.url, &code, PASSWORD).await; // 366 days ago
    clock.advance(Duration::days(2));
    failed_login(&s).await; // 364 days ago
    clock.advance(Duration::days(344));
    failed_login(&s).await; // 20 days ago

    let out = env.sesame(&["accounts", "purge"]).ok();
    assert!(
        out.contains("1 événement(s) d'audit de plus de 365 jours supprimé(s)."),
        "{out}"
    );
    assert_eq!(kinds(&env).await, ["login_failed", "login_failed"]);
    let out = env
        .sesame_with(
            &["accounts", "purge"],
            &[("SESAME__AUDIT__RETENTION_DAYS", "30")],
        )
        .ok();
    assert!(
        out.contains("1 événement(s) d'audit de plus de 30 jours supprimé(s)."),
        "{out}"
    );
    assert_eq!(kinds(&env).await, ["login_failed"]);

    let err = env
        .sesame_with(&["check-config"], &[("SESAME__AUDIT__RETENTION_DAYS", "0")])
        .fails_with(3);
    assert!(err.contains("audit.retention_days"), "{err}");
}
