//! Staff through the académie's directory: the round trip, its failures
//! (nothing created), a tampered ID token refused.

use super::*;

// Staff: the profile sends the browser to the académie's directory; back
// from it, Sésame opens its own session, and a CAS ticket carries the
// mapped identity with the chosen profile.
#[tokio::test(flavor = "multi_thread")]
async fn a_staff_profile_logs_in_through_the_upstream_provider() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;

    let service = "https%3A%2F%2Fapp.ent.fr%2Fcas%2F";
    let (r, visited) = follow(
        &browser,
        &format!(
            "{}/connexion?profil=personnel_education&service={service}",
            down.url
        ),
    )
    .await;
    assert!(
        visited
            .iter()
            .any(|u| u.starts_with(&format!("{}/oidc/authorize", up.url))),
        "{visited:?}"
    );
    let authorize = visited
        .iter()
        .find(|u| u.contains("/oidc/authorize"))
        .expect("authorize");
    for p in [
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "scope=openid",
    ] {
        assert!(authorize.contains(p), "{authorize}");
    }
    // Back to the CAS service with a ticket of the new session.
    let last = visited.last().expect("last");
    assert!(
        last.starts_with("https://app.ent.fr/cas/?ticket=ST-"),
        "{visited:?}"
    );
    drop(r);
    let ticket = last.split("ticket=").nth(1).expect("ticket");
    let xml = TestServer::browser()
        .get(format!(
            "{}/cas/p3/serviceValidate?ticket={ticket}&service={service}",
            down.url
        ))
        .send()
        .await
        .expect("validate")
        .text()
        .await
        .expect("body");
    assert!(xml.contains("<cas:user>olivier.martin</cas:user>"), "{xml}");
    assert!(
        xml.contains("<cas:profil>personnel_education</cas:profil>"),
        "{xml}"
    );
    assert!(xml.contains("<cas:sn>MARTIN</cas:sn>"), "{xml}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM federated_identities WHERE provider = 'academie'")
            .await,
        1
    );
    // Next time: the same account.
    let b2 = TestServer::browser();
    login_upstream(&up, &b2).await;
    let (r, _) = follow(
        &b2,
        &format!("{}/connexion?profil=personnel_education", down.url),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE kind = 'federe'")
            .await,
        1
    );
}

// Failures: a stopped provider, an error returned, a forged or replayed
// answer: a French page back to the profile choice, nothing created.
#[tokio::test(flavor = "multi_thread")]
async fn upstream_failures_show_a_page_and_create_nothing() {
    // A provider that does not answer.
    let dead = format!("http://127.0.0.1:{}", crate::support::free_port());
    let (listener, _) = bound().await;
    let (env, down) = downstream(listener, &dead, false).await;
    let browser = TestServer::browser();
    let (r, _) = follow(
        &browser,
        &format!("{}/connexion?profil=personnel_education", down.url),
    )
    .await;
    assert_eq!(r.status(), 502);
    let html = r.text().await.expect("body");
    // A sentence that begins with a capital letter.
    assert!(
        html.contains("L&#39;annuaire académique ne répond pas"),
        "{html}"
    );
    assert!(html.contains("href=\"/profil\""), "{html}");
    drop(down);
    drop(env);

    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    // The answer, caught before Sésame sees it.
    let (authorize, state) = start_staff_login(&browser, &down).await;
    let r = browser.get(&authorize).send().await.expect("authorize");
    let answer = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(
        answer.starts_with(&format!("{down_url}/amont/retour?")),
        "{answer}"
    );
    // A forged state.
    let forged = answer.replace(&state, "etat-forge");
    let r = browser.get(&forged).send().await.expect("forged");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("Demande expirée"));
    // Login CSRF: the answer opened in another browser (an attacker's
    // link) is refused, and does not spend the state of its owner.
    let other = TestServer::browser();
    let r = other.get(&answer).send().await.expect("other browser");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("Demande expirée"));
    let r = other
        .get(format!("{down_url}/compte"))
        .send()
        .await
        .expect("account");
    assert_eq!(r.status(), 303, "no session in the other browser");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
    // The real answer, then replayed.
    let r = browser.get(&answer).send().await.expect("answer");
    assert_eq!(r.status(), 303);
    let r = browser.get(&answer).send().await.expect("replay");
    assert_eq!(r.status(), 400, "a replayed answer is refused");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
    // The provider returns an error.
    let (_, state) = start_staff_login(&browser, &down).await;
    let r = browser
        .get(format!(
            "{down_url}/amont/retour?error=access_denied&state={state}"
        ))
        .send()
        .await
        .expect("error");
    let html = r.text().await.expect("body");
    assert!(html.contains("Connexion annulée"), "{html}");
    assert!(html.contains("href=\"/profil\""), "{html}");
}

// A tampered ID token (through a proxy in front of the upstream) is
// refused: a page back to the profile choice, no session, nothing created.
#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_id_token_is_refused() {
    let (listener, down_url) = bound().await;
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let proxy_url = format!(
        "http://localhost:{}",
        proxy.local_addr().expect("addr").port()
    );
    let real = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let real_port = real.local_addr().expect("addr").port();
    let (_uenv, up) = upstream_on(&down_url, real, &proxy_url).await;
    tampering_proxy(proxy, format!("http://127.0.0.1:{real_port}")).await;
    let (env, down) = downstream(listener, &proxy_url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (r, visited) = follow(
        &browser,
        &format!("{}/connexion?profil=personnel_education", down.url),
    )
    .await;
    assert!(
        visited
            .iter()
            .any(|u| u.starts_with(&format!("{proxy_url}/oidc/authorize"))),
        "{visited:?}"
    );
    assert_eq!(r.status(), 400);
    let html = r.text().await.expect("body");
    assert!(html.contains("pas pu être vérifiée"), "{html}");
    assert!(html.contains("href=\"/profil\""), "{html}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
    let r = browser
        .get(format!("{}/compte", down.url))
        .send()
        .await
        .expect("account");
    assert_eq!(r.status(), 303, "no session");
}
