//! A provider that stops answering (issue 22 §4): the cached discovery
//! document does not send browsers to it; a login that starts checks
//! that it answers (a short timeout) and shows « indisponible » at once.

use super::*;
use std::time::Duration;

/// Starts a staff login in a fresh browser; answers the status and the
/// page. A guard of 60 s (far past the 5 s upstream timeout) turns a
/// login start that waits forever into a failure rather than a hung
/// suite: no speed is asserted.
async fn start_login(down: &TestServer) -> (u16, String) {
    tokio::time::timeout(Duration::from_secs(60), start_login_unguarded(down))
        .await
        .expect("the login start waited for the provider past its own timeout")
}

async fn start_login_unguarded(down: &TestServer) -> (u16, String) {
    let r = TestServer::browser()
        .get(format!(
            "{}/amont/academie?profil=personnel_education",
            down.url
        ))
        .send()
        .await
        .expect("start");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

// A provider that answered (its discovery document is cached) then
// stopped: the next login start shows the page, and every one after it.
#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_stops_answering_gets_the_page_at_once() {
    let (listener, down_url) = bound().await;
    let (uenv, up) = upstream(&down_url).await;
    let (_env, down) = downstream(listener, &up.url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (r, _) = follow(
        &browser,
        &format!("{}/amont/academie?profil=personnel_education", down.url),
    )
    .await;
    assert_eq!(r.status(), 200, "the provider answered: cached");
    drop(up);
    drop(uenv);
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..2 {
        let (status, html) = start_login(&down).await;
        assert_eq!(status, 502, "{html}");
        assert!(html.contains("Service de connexion indisponible"), "{html}");
        assert!(html.contains("href=\"/profil\""), "{html}");
    }
}

// A provider that accepts connections and never answers, before its
// discovery document was ever read: the page after the request timeout
// (5 s), no browser sent there.
#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_hangs_gets_the_page_after_the_timeout() {
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let issuer = format!(
        "http://127.0.0.1:{}",
        hanging.local_addr().expect("addr").port()
    );
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hanging.accept().await {
            held.push(socket);
        }
    });
    let (listener, _) = bound().await;
    let (env, down) = downstream(listener, &issuer, false).await;
    let (status, html) = start_login(&down).await;
    assert_eq!(status, 502, "{html}");
    assert!(html.contains("Service de connexion indisponible"), "{html}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}
