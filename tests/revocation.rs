//! Revocation that lasts (SECURITY.md §2.9, REV-01 to REV-06): what a
//! logout or a password change revoked stays revoked for the whole
//! lifetime of anything issued before, with the clock (and every store
//! time to live) moved past the session's lifetime.

use crate::support::cas::{
    login_for, parse_xml, pgt_of, proxy_setup, proxy_ticket, validate, value,
};
use crate::support::fixtures::{AFTER_LOGOUT, ENT};
use crate::support::http::{callback, enc, get};
use crate::support::oidc::{self, TELESERVICE, authorize_code, call, exchange, refresh};
use crate::support::personas::change_password;
use crate::support::{CAMILLE, TestEnv, TestServer, log_out, login_as};
use sesame_domain::FixedClock;

/// Moves the application clock and the store's times to live together.
async fn advance(env: &TestEnv, clock: &FixedClock, by: time::Duration) {
    clock.advance(by);
    env.advance_store(by.unsigned_abs()).await;
}

// REV-01: a password change kills the refresh-token family for its whole
// lifetime, not only while the session generation is remembered.
#[tokio::test(flavor = "multi_thread")]
async fn a_password_change_kills_refresh_tokens_past_every_session_lifetime_and_ttl() {
    let (env, s, clock) = oidc::setup().await;
    let (code, verifier, browser) = authorize_code(&s).await;
    let (status, t) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    assert_eq!(status, 200, "{t}");
    let rt = t["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    change_password(&s, &browser).await;
    let (status, body) = refresh(&s, &rt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // Past the session's absolute lifetime and the hour after it: the
    // refresh token itself (14 days idle) would still be there.
    let hours = sesame_service::Config::default().session.absolute_hours;
    let by = time::Duration::hours(i64::try_from(hours).expect("hours") + 2);
    advance(&env, &clock, by).await;
    let (_, introspected) = call(
        &s,
        "/oidc/introspect",
        (TELESERVICE.id, Some(TELESERVICE.secret)),
        &rt,
    )
    .await;
    assert!(
        introspected.contains("\"active\":false"),
        "the family stays dead: {introspected}"
    );
    let (status, body) = refresh(&s, &rt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the refresh grant stays refused"
    );
}

/// A code from a logged-in browser, then `end` ends its session one way or
/// another: the code must not be redeemable.
async fn code_after(
    s: &TestServer,
    end: impl AsyncFnOnce(&TestServer, &reqwest::Client),
) -> (u16, serde_json::Value) {
    let (code, verifier, browser) = authorize_code(s).await;
    end(s, &browser).await;
    exchange(&s.url, TELESERVICE, &code, verifier.secret()).await
}

// REV-02: an authorization code issued before a logout (every path) or a
// password change is not redeemable after it.
#[tokio::test(flavor = "multi_thread")]
async fn a_code_issued_before_a_logout_or_a_password_change_is_not_redeemed() {
    let (_env, s, _clock) = oidc::setup().await;
    let refused = |r: (u16, serde_json::Value)| {
        assert_eq!(
            (r.0, r.1["error"].as_str()),
            (400, Some("invalid_grant")),
            "{}",
            r.1
        );
    };
    refused(code_after(&s, async |s, b| log_out(s, b).await).await);
    refused(
        code_after(&s, async |s, b| {
            let r = get(b, &format!("{}/cas/logout", s.url)).await;
            assert_eq!(r.status(), 200);
        })
        .await,
    );
    // Without any of them, the same steps do give tokens.
    let (code, verifier, _) = authorize_code(&s).await;
    let (status, body) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    assert_eq!(status, 200, "{body}");
    refused(code_after(&s, async |s, b| change_password(s, b).await).await);
}

// REV-03: a proxy-granting ticket belongs to the SSO session that produced
// it: a logout ends it, and so does a password change.
#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_granting_ticket_ends_with_its_session_or_a_password_change() {
    let (_env, s) = proxy_setup().await;
    let c = TestServer::browser();
    let pgt = pgt_of(&s, &c).await;
    assert!(
        proxy_ticket(&s, &pgt).await.is_ok(),
        "works while logged in"
    );
    let r = get(&c, &format!("{}/cas/logout", s.url)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        proxy_ticket(&s, &pgt).await,
        Err("INVALID_TICKET".into()),
        "no proxy ticket after the logout"
    );

    let c = TestServer::browser();
    let pgt = pgt_of(&s, &c).await;
    change_password(&s, &c).await;
    assert_eq!(
        proxy_ticket(&s, &pgt).await,
        Err("INVALID_TICKET".into()),
        "no proxy ticket after a password change"
    );
}

// REV-04: only the service's registered proxy callbacks receive a PGT;
// another URL (Sésame's own included) is not called, and the validation
// succeeds without a PGT.
#[tokio::test(flavor = "multi_thread")]
async fn a_pgt_url_the_service_did_not_register_is_never_called() {
    let (_env, s) = proxy_setup().await;
    let (port, calls) = callback(200).await;
    for target in [
        format!("http://127.0.0.1:{port}/ailleurs"),
        format!("{}/healthz", s.url),
    ] {
        let t = login_for(&s, &TestServer::browser(), ENT, "").await;
        let (status, xml) = validate(
            &s,
            "/cas/serviceValidate",
            &t,
            ENT,
            &format!("&pgtUrl={}", enc(&target)),
        )
        .await;
        let x = parse_xml(&xml);
        assert_eq!(status, 200);
        assert_eq!(value(&x, "cas:user"), Some("camille.martin"), "{xml}");
        assert!(
            value(&x, "cas:proxyGrantingTicket").is_none(),
            "no PGT for {target}: {xml}"
        );
    }
    assert!(calls.lock().expect("lock").is_empty(), "nobody called");
}

// REV-05: a service ticket of a session that has ended no longer validates.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_ticket_of_an_ended_session_does_not_validate() {
    let (_env, s) = proxy_setup().await;
    let c = TestServer::browser();
    let t = login_for(&s, &c, ENT, "").await;
    let r = get(&c, &format!("{}/cas/logout", s.url)).await;
    assert_eq!(r.status(), 200);
    let (_, xml) = validate(&s, "/cas/serviceValidate", &t, ENT, "").await;
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_TICKET"),
        "{xml}"
    );
    // A password change too.
    let c = TestServer::browser();
    let t = login_for(&s, &c, ENT, "").await;
    change_password(&s, &c).await;
    let (_, xml) = validate(&s, "/cas/serviceValidate", &t, ENT, "").await;
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_TICKET"),
        "{xml}"
    );
}

// REV-06: an RP-initiated logout whose id_token_hint names another session
// does not end the browser's session silently: it asks.
#[tokio::test(flavor = "multi_thread")]
async fn a_logout_hint_of_another_session_asks_for_confirmation() {
    let (_env, s, _clock) = oidc::setup().await;
    let (code, verifier, _first) = authorize_code(&s).await;
    let (_, body) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    let other_hint = body["id_token"].as_str().expect("id token").to_owned();
    let browser = login_as(&s, &CAMILLE).await;
    let r = browser
        .get(format!(
            "{}/oidc/logout?id_token_hint={}&post_logout_redirect_uri={}",
            s.url,
            enc(&other_hint),
            enc(AFTER_LOGOUT)
        ))
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 200, "no redirect");
    assert!(r.text().await.expect("body").contains("Se déconnecter"));
    let r = browser
        .get(format!("{}/compte", s.url))
        .send()
        .await
        .expect("account");
    assert_eq!(r.status(), 200, "the browser's own session goes on");
}
