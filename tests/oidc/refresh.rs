//! Refresh tokens (RFC 6749 §6, RFC 9700 §4.14) kept in the database
//! (issue 19 §4): a restart of the ephemeral store (Redis flushed, or the
//! in-process store lost with its server) logs browsers out, but relying
//! parties' refresh tokens keep working, and revoked ones stay revoked.
//! Rotation and reuse detection hold under parallel requests and past
//! every lifetime.

use crate::support::fixtures::now_clock;
use crate::support::oidc::{
    TELESERVICE, authorize, authorize_code, call, exchange, refresh, setup, setup_with,
};
use crate::support::personas::change_password;
use crate::support::{CAMILLE, TestEnv, TestServer, log_out, login_as, worker_app};
use sesame_domain::FixedClock;
use sesame_service::oidc::token::{REFRESH_ABSOLUTE_SECONDS, REFRESH_IDLE_SECONDS};
use std::sync::Arc;

/// The store restarts empty: Redis loses this test's keys, and the server
/// starts again on the same database (which the in-process store does not
/// survive). Answers the new server.
async fn restart_store(env: &TestEnv, clock: &Arc<FixedClock>) -> TestServer {
    env.flush_store().await;
    TestServer::spawn_with_clock(env, clock.clone(), |c| {
        c.throttle.ip_failures_per_minute = 1000;
    })
    .await
}

/// A code flow for `teleservice` from Camille's browser: (refresh token,
/// browser).
async fn refresh_token(s: &TestServer) -> (String, reqwest::Client) {
    let (code, verifier, browser) = authorize_code(s).await;
    let (status, t) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    assert_eq!(status, 200, "{t}");
    let rt = t["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    (rt, browser)
}

/// The refresh grant succeeds; answers the new refresh token.
async fn rotates(s: &TestServer, rt: &str) -> String {
    let (status, body) = refresh(s, rt).await;
    assert_eq!(status, 200, "{body}");
    body["refresh_token"].as_str().expect("rotated").to_owned()
}

/// The refresh grant is refused with `invalid_grant`.
async fn refused(s: &TestServer, rt: &str, why: &str) {
    let (status, body) = refresh(s, rt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{why}: {body}"
    );
}

/// Whether introspection says the token is active.
async fn active(s: &TestServer, rt: &str) -> bool {
    let (status, body) = call(
        s,
        "/oidc/introspect",
        (TELESERVICE.id, Some(TELESERVICE.secret)),
        rt,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).expect("JSON")["active"] == true
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_token_outlives_a_store_restart_but_the_browser_session_does_not() {
    let (env, s, clock) = setup().await;
    let (rt, browser) = refresh_token(&s).await;
    let s = restart_store(&env, &clock).await;

    // The browser logs in again: its session lived in the store.
    let (r, _) = authorize(&s.url, &browser, "teleservice", "openid", "").await;
    let loc = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(!loc.contains("code="), "no session, no code: {loc}");
    // The relying party goes on.
    assert!(active(&s, &rt).await, "introspection after the restart");
    let rt2 = rotates(&s, &rt).await;
    // Rotation: the token is spent once used, and stays so after another
    // restart; presented again, it revokes its family (RFC 9700 §4.14.2).
    let s = restart_store(&env, &clock).await;
    refused(&s, &rt, "a spent token").await;
    refused(&s, &rt2, "its family is revoked").await;
}

// RFC 9700 §4.5: a code presented again revokes the family it started,
// even when the store was emptied in between (the marker lives in the
// database); the marker is a keyed hash, and goes with the family's
// lifetime.
#[tokio::test(flavor = "multi_thread")]
async fn a_code_replayed_after_a_store_restart_still_revokes_its_family() {
    let (env, s, clock) = setup().await;
    let (code, verifier, _browser) = authorize_code(&s).await;
    let (status, t) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    assert_eq!(status, 200, "{t}");
    let rt = t["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let s = restart_store(&env, &clock).await;
    assert!(
        active(&s, &rt).await,
        "the family lives on after the restart"
    );
    let (status, body) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    refused(&s, &rt, "the replayed code revoked its family").await;
    let rows = env.rows("SELECT code_hash FROM oidc_spent_codes").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows.iter().flatten().flatten().all(|v| !v.contains(&code)),
        "{rows:?}"
    );
    // Past the family's last possible use, the periodic job removes it.
    clock.advance(time::Duration::seconds(REFRESH_ABSOLUTE_SECONDS + 60));
    sesame_service::periodic::purge_refresh_tokens(s.app())
        .await
        .expect("purge");
    assert_eq!(env.count("SELECT COUNT(*) FROM oidc_spent_codes").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_token_is_stored_only_as_a_keyed_hash() {
    let (env, s, _clock) = setup().await;
    let (rt, _) = refresh_token(&s).await;
    let rows = env
        .rows("SELECT token_hash, family_id FROM oidc_refresh_tokens")
        .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows.iter().flatten().flatten().all(|v| !v.contains(&rt)),
        "{rows:?}"
    );
}

// REV-03, REV-05: what /oidc/revoke, a logout or a password change
// revoked stays revoked when the store restarts empty; the rest lives on.
#[tokio::test(flavor = "multi_thread")]
async fn revoked_refresh_tokens_stay_revoked_after_a_store_restart() {
    let (env, s, clock) = setup().await;
    let (by_client, _) = refresh_token(&s).await;
    let (by_logout, browser) = refresh_token(&s).await;
    let (kept, _) = refresh_token(&s).await;
    let (status, _) = call(
        &s,
        "/oidc/revoke",
        (TELESERVICE.id, Some(TELESERVICE.secret)),
        &by_client,
    )
    .await;
    assert_eq!(status, 200);
    log_out(&s, &browser).await;

    let s = restart_store(&env, &clock).await;
    for (rt, why) in [
        (&by_client, "revoked by its client"),
        (&by_logout, "its session logged out"),
    ] {
        assert!(!active(&s, rt).await, "{why}");
        refused(&s, rt, why).await;
    }
    let kept = rotates(&s, &kept).await;

    // A password change moves the account's generation on, in the
    // database: the restart does not bring the tokens back.
    let browser = login_as(&s, &CAMILLE).await;
    change_password(&s, &browser).await;
    let s = restart_store(&env, &clock).await;
    refused(&s, &kept, "the password changed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reused_refresh_token_revokes_its_family() {
    let (_env, s, _clock) = setup().await;
    let (rt1, _) = refresh_token(&s).await;
    let (other, _) = refresh_token(&s).await;
    let rt2 = rotates(&s, &rt1).await;
    refused(&s, &rt1, "reused").await;
    refused(&s, &rt2, "the family of a reused token").await;
    assert!(!active(&s, &rt2).await);
    rotates(&s, &other).await;
}

// Rotation is one conditional UPDATE: 40 uses of one token at once, one
// success; the others are replays, which revoke the family.
#[tokio::test(flavor = "multi_thread")]
async fn forty_parallel_refreshes_of_one_token_succeed_once() {
    // The client's per-address limit counts requests in flight until their
    // secret is verified: raised, so that it is rotation that is tested.
    let (_env, s, _clock) = setup_with(&[], |c| c.oidc.client_failures_per_minute = 100).await;
    let (rt, _) = refresh_token(&s).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let (url, rt) = (s.url.clone(), rt.clone());
        tasks.spawn(async move {
            let (status, body) = refresh(&TestServer::remote(&url), &rt).await;
            (status, body)
        });
    }
    let mut won = Vec::new();
    let mut lost = 0;
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            (200, body) => won.push(body["refresh_token"].as_str().expect("rt").to_owned()),
            (400, body) if body["error"] == "invalid_grant" => lost += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((won.len(), lost), (1, 39));
    refused(&s, &won[0], "the replays revoked the family").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_token_is_refused_past_its_idle_and_absolute_lifetimes() {
    let (env, s, clock) = setup().await;
    let idle = time::Duration::seconds(i64::try_from(REFRESH_IDLE_SECONDS).expect("idle"));
    let advance = |by: time::Duration| {
        clock.advance(by);
        env.advance_store(by.unsigned_abs())
    };

    // Idle: unused for its idle lifetime, refused.
    let (unused, _) = refresh_token(&s).await;
    let (mut rt, _) = refresh_token(&s).await;
    advance(idle - time::Duration::minutes(1)).await;
    rt = rotates(&s, &rt).await;
    advance(time::Duration::minutes(2)).await;
    refused(&s, &unused, "idle past its lifetime").await;

    // Absolute: used every 13 days, the family still ends 90 days after
    // the login.
    let mut age = idle + time::Duration::minutes(1);
    let step = time::Duration::days(13);
    while age + step < time::Duration::seconds(REFRESH_ABSOLUTE_SECONDS) {
        advance(step).await;
        age += step;
        rt = rotates(&s, &rt).await;
    }
    advance(time::Duration::seconds(REFRESH_ABSOLUTE_SECONDS) - age + time::Duration::minutes(1))
        .await;
    refused(&s, &rt, "past the family's absolute lifetime").await;

    // The periodic job deletes what can no longer be used: the row of
    // each family, however often it rotated.
    let rows = env.count("SELECT COUNT(*) FROM oidc_refresh_tokens").await;
    assert_eq!(rows, 2, "one row per family");
    let job = worker_app(&env, clock.clone(), |_| {}).await;
    let round = sesame_service::periodic::run_once(&job)
        .await
        .expect("round");
    assert_eq!(
        u64::try_from(rows).expect("rows"),
        round.refresh_tokens_deleted
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM oidc_refresh_tokens").await,
        0
    );
}

// A fresh login after the restart gets a new family, unrelated to the
// revoked ones.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_login_after_a_store_restart_gets_working_tokens() {
    let (env, _s, _) = setup().await;
    let clock = now_clock();
    let s = restart_store(&env, &clock).await;
    let (rt, _) = refresh_token(&s).await;
    rotates(&s, &rt).await;
}

// Issue 21 §7: a family keeps one row, however often it rotates; the row
// holds the current token's keyed hash only, and an older token of the
// family is still known as a reuse.
#[tokio::test(flavor = "multi_thread")]
async fn a_family_keeps_one_row_however_often_it_rotates() {
    let (env, s, _clock) = setup().await;
    let (first, _) = refresh_token(&s).await;
    let mut rt = first.clone();
    let mut older = Vec::new();
    for _ in 0..12 {
        older.push(rt.clone());
        rt = rotates(&s, &rt).await;
    }
    assert_eq!(
        env.count("SELECT COUNT(*) FROM oidc_refresh_tokens").await,
        1,
        "one row for the family after 12 rotations"
    );
    assert_eq!(
        env.count("SELECT MAX(rotation) FROM oidc_refresh_tokens")
            .await,
        12
    );
    let rows = env
        .rows("SELECT token_hash, family_id FROM oidc_refresh_tokens")
        .await;
    assert!(
        rows.iter()
            .flatten()
            .flatten()
            .all(|v| older.iter().chain([&rt]).all(|t| !v.contains(t.as_str()))),
        "no token in clear: {rows:?}"
    );
    assert!(active(&s, &rt).await, "the current token");
    assert!(!active(&s, &older[5]).await, "an older token");
    refused(&s, &older[5], "an older token of the family").await;
    refused(&s, &rt, "its family is revoked").await;
    assert!(!active(&s, &rt).await);
}

// A token of the release before migration 000026 (a row of its own, a bare
// secret) keeps working: rotated once into a family row; reused, it still
// revokes its family.
#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_token_of_the_release_before_still_rotates() {
    use sea_orm::ConnectionTrait;
    let (env, s, clock) = setup().await;
    let (issued, _) = refresh_token(&s).await;
    let app = worker_app(&env, clock.clone(), |_| {}).await;
    // The row as the release before wrote it: the keyed hash of a bare
    // secret, no rotation number.
    let legacy = "dGhlIHJlbGVhc2UgYmVmb3JlJ3MgcmVmcmVzaCB0b2tlbg";
    let hash = app.keys.stable_hmac(&format!("oidc-refresh:{legacy}"));
    app.db
        .conn()
        .execute_unprepared(&format!(
            "UPDATE oidc_refresh_tokens SET token_hash = '{hash}', rotation = NULL"
        ))
        .await
        .expect("update");
    refused(&s, &issued, "no row holds this token any more").await;
    let rt = rotates(&s, legacy).await;
    let rt = rotates(&s, &rt).await;
    assert_eq!(
        env.count("SELECT COUNT(*) FROM oidc_refresh_tokens WHERE rotation IS NOT NULL")
            .await,
        1,
        "the family got a row of its own"
    );
    refused(&s, legacy, "reused").await;
    refused(&s, &rt, "the family of a reused token").await;
}
