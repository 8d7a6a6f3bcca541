//! Logout (CAS 3.0 §2.3): redirects only to registered services, ends
//! the SSO session, and single logout to each service of the session.

use super::*;

// CAS-11 (without single logout, which comes next)
#[tokio::test(flavor = "multi_thread")]
async fn logout_redirects_only_to_registered_services_and_ends_sso() {
    let (_env, s) = setup(now_clock()).await;
    let c = TestServer::browser();
    login_for(&s, &c, ENT, "").await;
    let r = get(
        &c,
        &format!(
            "{}/cas/logout?service={}&url={}",
            s.url,
            enc("https://evil.fr/"),
            enc("https://evil.fr/")
        ),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("location").is_none());
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Vous êtes déconnecté")
    );
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(ENT))).await;
    assert_eq!(r.status(), 303, "credentials asked again after logout");

    login_for(&s, &c, ENT, "").await;
    let r = get(
        &c,
        &format!("{}/cas/logout?service={}", s.url, enc(CANTINE)),
    )
    .await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (302, CANTINE.to_owned())
    );
}

// CAS 2.0 §2.3.1, issue 15 §10: the `url` parameter is followed when it
// is a registered service URL, and ignored otherwise; `service` wins.
#[tokio::test(flavor = "multi_thread")]
async fn logout_follows_the_cas2_url_parameter_to_a_registered_service() {
    let (_env, s) = setup(now_clock()).await;
    let c = TestServer::browser();
    login_for(&s, &c, ENT, "").await;
    let r = get(&c, &format!("{}/cas/logout?url={}", s.url, enc(CANTINE))).await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (302, CANTINE.to_owned())
    );
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(ENT))).await;
    assert_eq!(r.status(), 303, "the SSO session ended");

    let r = get(
        &c,
        &format!(
            "{}/cas/logout?service={}&url={}",
            s.url,
            enc(ENT),
            enc(CANTINE)
        ),
    )
    .await;
    assert_eq!((r.status().as_u16(), location(&r)), (302, ENT.to_owned()));

    let r = get(
        &c,
        &format!(
            "{}/cas/logout?url={}",
            s.url,
            enc("https://cantine.exemple.fr.evil/")
        ),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("location").is_none());
}

// CAS-11: single logout reaches the services that got a ticket, in the
// background; a hanging service does not delay the logout page.
#[tokio::test(flavor = "multi_thread")]
async fn single_logout_posts_a_logout_request_to_each_service_of_the_session() {
    let (good, received) = receiver(false).await;
    let (bad, _) = receiver(true).await;
    let env = TestEnv::new();
    env.write(
        "services/ent.toml",
        format!("id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"{ENT}\"]\nlogout_url = \"http://127.0.0.1:{good}/slo\"\n"),
    );
    env.write(
        "services/cantine.toml",
        format!("id = \"cantine\"\nname = \"Cantine\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"{CANTINE}\"]\nlogout_url = \"http://127.0.0.1:{bad}/slo\"\n"),
    );
    let s = pupil_account(&env, now_clock(), 1000).await;
    let c = TestServer::browser();
    let ticket = login_for(&s, &c, ENT, "").await;
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(CANTINE))).await;
    assert_eq!(r.status(), 302);

    // A guard, not a speed target: the page must not wait on the service
    // that cannot be reached (its delivery is retried in the background).
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        get(&c, &format!("{}/cas/logout", s.url)),
    )
    .await
    .expect("the logout page waited on the unreachable service");
    assert_eq!(r.status(), 200);
    let mut body = String::new();
    for _ in 0..60 {
        if let Some(b) = received.lock().expect("lock").first() {
            body = b.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let request = &form
        .iter()
        .find(|(k, _)| k == "logoutRequest")
        .expect("logoutRequest")
        .1;
    let x = parse_xml(request);
    assert_eq!(value(&x, "samlp:SessionIndex"), Some(ticket.as_str()));
    assert_eq!(value(&x, "samlp:LogoutRequest@Version"), Some("2.0"));
}
