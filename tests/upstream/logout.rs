//! Logout towards the provider (issue 22 §3): a session opened through a
//! provider that publishes `end_session_endpoint` ends there too; one that
//! does not gets a page saying its session may still be open.

use super::*;

/// Logs `browser` in as staff through the directory of `down`; answers
/// the home page's logout form token and the page's CSP.
async fn staff_home(browser: &Client, down: &TestServer) -> (String, String) {
    let (r, visited) = follow(
        browser,
        &format!("{}/connexion?profil=personnel_education", down.url),
    )
    .await;
    assert_eq!(
        visited.last().map(String::as_str),
        Some(format!("{}/", down.url).as_str()),
        "{visited:?}"
    );
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let html = r.text().await.expect("body");
    assert!(html.contains("Se déconnecter"), "{html}");
    (csrf_of(&html), csp)
}

async fn log_out(browser: &Client, down: &TestServer, csrf: String) -> reqwest::Response {
    browser
        .post(format!("{}/deconnexion", down.url))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .expect("logout")
}

// The provider publishes end_session_endpoint: Sésame's logout sends the
// browser there with id_token_hint and the registered
// post_logout_redirect_uri; the provider's session ends, and the browser
// comes back to Sésame's « déconnecté » page. The next person at this
// computer must log in at the provider again.
#[tokio::test(flavor = "multi_thread")]
async fn logout_goes_on_to_the_provider_and_ends_its_session() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (_env, down) = downstream(listener, &up.url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (csrf, csp) = staff_home(&browser, &down).await;
    // The logout form may lead to the provider (form-action).
    let form_action = csp
        .split(';')
        .find(|d| d.trim().starts_with("form-action"))
        .expect("form-action");
    assert!(form_action.contains(&up.url), "{csp}");

    let r = log_out(&browser, &down, csrf).await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(to.starts_with(&format!("{}/oidc/logout?", up.url)), "{to}");
    let q: Vec<(String, String)> = url::Url::parse(&to)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(
        get("post_logout_redirect_uri").as_deref(),
        Some(format!("{down_url}/amont/deconnexion").as_str())
    );
    assert_eq!(get("client_id").as_deref(), Some("sesame-aval"));
    assert_eq!(get("id_token_hint").map(|t| t.split('.').count()), Some(3));
    let (r, visited) = follow(&browser, &to).await;
    assert_eq!(
        visited.last().map(String::as_str),
        Some(format!("{down_url}/amont/deconnexion").as_str()),
        "{visited:?}"
    );
    let html = r.text().await.expect("body");
    assert!(html.contains("Vous êtes déconnecté"), "{html}");
    // Logged out at Sésame…
    let r = browser
        .get(format!("{down_url}/compte"))
        .send()
        .await
        .expect("account");
    assert_eq!(r.status(), 303);
    // …and at the provider: a new login stops at its login form.
    let (r, visited) = follow(
        &browser,
        &format!("{}/connexion?profil=personnel_education", down.url),
    )
    .await;
    let last = visited.last().expect("last");
    assert!(last.starts_with(&up.url), "{visited:?}");
    let html = r.text().await.expect("body");
    assert!(html.contains("Choix du profil"), "{html}");
}

// A provider without end_session_endpoint (a proxy strips it from the
// discovery document): the logout page says plainly that the provider's
// session may still be open, and it is.
#[tokio::test(flavor = "multi_thread")]
async fn without_an_end_session_endpoint_the_page_says_the_provider_session_may_be_open() {
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
    let strip: crate::support::proxy::Rewrite = Arc::new(|path: &str, text: String| {
        if path != "/.well-known/openid-configuration" {
            return text;
        }
        let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&text) else {
            return text;
        };
        if let Some(o) = v.as_object_mut() {
            o.remove("end_session_endpoint");
        }
        v.to_string()
    });
    crate::support::proxy::start(
        proxy,
        vec![format!("http://127.0.0.1:{real_port}")],
        Some(strip),
    )
    .await;
    let (_env, down) = downstream(listener, &proxy_url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (csrf, _) = staff_home(&browser, &down).await;
    let r = log_out(&browser, &down, csrf).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(html.contains("peut-être encore ouverte"), "{html}");
    assert!(
        html.contains("chez l&#39;annuaire académique est peut-être encore ouverte"),
        "{html}"
    );
    assert!(!html.contains("de tous les télé-services"), "{html}");
    // Indeed: the next login goes straight through the provider.
    let (_, visited) = follow(
        &browser,
        &format!("{}/connexion?profil=personnel_education", down.url),
    )
    .await;
    assert_eq!(
        visited.last().map(String::as_str),
        Some(format!("{}/", down.url).as_str()),
        "{visited:?}"
    );
}
