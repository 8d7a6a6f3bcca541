//! The authorization endpoint (OIDC Core §3.1.2, RFC 6749 §4.1.1): the
//! checks of a request and where its errors go (RFC 6749 §4.1.2.1,
//! RFC 9207), the login it asks for first, `max_age`, `login_hint` and
//! `response_mode=form_post`.

use crate::support::fixtures::CALLBACK;
use crate::support::http::{q, query_of};
use crate::support::oidc::{TELESERVICE, authorize, exchange, library_client, local, setup};
use crate::support::personas::{login_page, post_login};
use crate::support::{CAMILLE, TestServer, csrf_of, login_as};
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge};

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_refused_as_rfc_9700_asks() {
    let (_env, s, _clock) = setup().await;
    let (rp, _) = library_client(&s).await;
    let browser = login_as(&s, &CAMILLE).await;
    let authorize = |extra: &str| {
        let url = format!(
            "{}/oidc/authorize?response_type=code&scope=openid&state=xyz{extra}",
            s.url
        );
        let b = browser.clone();
        async move { b.get(url).send().await.expect("authorize") }
    };
    // Unregistered redirect URI: a page, never a redirect.
    let r = authorize("&client_id=teleservice&redirect_uri=https%3A%2F%2Fevil.fr%2Fcb").await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    let r =
        authorize("&client_id=inconnu&redirect_uri=https%3A%2F%2Fapp.exemple.fr%2Fcallback").await;
    assert_eq!(r.status(), 400);
    // A public client needs PKCE S256; plain is refused.
    for extra in [
        "",
        "&code_challenge=abc&code_challenge_method=plain",
        "&code_challenge=abc",
    ] {
        let r = authorize(&format!(
            "&client_id=public&redirect_uri=https%3A%2F%2Fpublic.exemple.fr%2Fcb{extra}"
        ))
        .await;
        assert_eq!(r.status(), 302, "{extra}");
        let back = query_of(r.headers()["location"].to_str().expect("ascii"));
        assert_eq!(q(&back, "error"), Some("invalid_request"), "{extra}");
        assert_eq!(q(&back, "state"), Some("xyz"));
    }
    let r = authorize(
        "&client_id=teleservice&redirect_uri=https%3A%2F%2Fapp.exemple.fr%2Fcallback&request=eyJ",
    )
    .await;
    assert_eq!(
        q(
            &query_of(r.headers()["location"].to_str().expect("ascii")),
            "error"
        ),
        Some("request_not_supported")
    );
    // prompt=none without a session.
    let r = TestServer::browser()
        .get(format!("{}/oidc/authorize?response_type=code&scope=openid&client_id=teleservice&redirect_uri=https%3A%2F%2Fapp.exemple.fr%2Fcallback&prompt=none", s.url))
        .send()
        .await
        .expect("authorize");
    assert_eq!(
        q(
            &query_of(r.headers()["location"].to_str().expect("ascii")),
            "error"
        ),
        Some("login_required")
    );

    // Wrong PKCE verifier, wrong secret.
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, _, _) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let code_of = |r: reqwest::Response| {
        q(
            &query_of(r.headers()["location"].to_str().expect("ascii")),
            "code",
        )
        .expect("code")
        .to_owned()
    };
    let code = code_of(
        browser
            .get(format!("{}{}", s.url, local(&auth_url)))
            .send()
            .await
            .expect("authorize"),
    );
    let (status, body) = exchange(
        &s.url,
        TELESERVICE,
        &code,
        "a-verifier-that-is-not-the-right-one-at-all-000",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let code = code_of(
        browser
            .get(format!("{}{}", s.url, local(&auth_url)))
            .send()
            .await
            .expect("authorize"),
    );
    let (status, body) = exchange(
        &s.url,
        TELESERVICE.with_secret("not-the-secret"),
        &code,
        "x",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

// Without a session the login page comes first, then the flow resumes.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_session_the_login_page_comes_first() {
    let (_env, s, _clock) = setup().await;
    let c = TestServer::browser();
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let url = format!(
        "{}/oidc/authorize?response_type=code&scope=openid&client_id=teleservice&redirect_uri={}&state=s1&code_challenge={}&code_challenge_method=S256",
        s.url,
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
        challenge.as_str()
    );
    let r = c.get(&url).send().await.expect("authorize");
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(to.starts_with("/profil?suite="), "{to}");
    let suite = to.trim_start_matches("/profil?");
    let suite: String = url::form_urlencoded::parse(suite.as_bytes())
        .next()
        .expect("suite")
        .1
        .into_owned();
    let fields = [("suite", suite.as_str())];
    let html = login_page(&c, &s.url, &CAMILLE, &fields).await;
    assert!(html.contains("name=\"suite\""), "{html}");
    let r = post_login(&c, &s.url, &CAMILLE, &csrf_of(&html), &fields).await;
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(back.starts_with("/oidc/authorize?"), "{back}");
    let r = c
        .get(format!("{}{back}", s.url))
        .send()
        .await
        .expect("authorize");
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(
        loc.starts_with(CALLBACK) && loc.contains("code=") && loc.contains("state=s1"),
        "{loc}"
    );
}

// max_age: an older login asks for the password again, then resumes.
#[tokio::test(flavor = "multi_thread")]
async fn max_age_asks_for_the_password_again_after_that_long() {
    let (_env, s, clock) = setup().await;
    let browser = login_as(&s, &CAMILLE).await;
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let url = format!(
        "{}/oidc/authorize?response_type=code&scope=openid&client_id=teleservice&redirect_uri={}&code_challenge={}&code_challenge_method=S256&max_age=300",
        s.url,
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
        challenge.as_str()
    );
    let r = browser.get(&url).send().await.expect("authorize");
    assert_eq!(r.status(), 302, "a fresh login satisfies max_age");
    clock.advance(time::Duration::seconds(301));
    let r = browser.get(&url).send().await.expect("authorize");
    assert_eq!(r.status(), 303, "credentials asked again");
    assert!(
        r.headers()["location"]
            .to_str()
            .expect("ascii")
            .contains("suite=")
    );
    let r = browser
        .get(url.replace("max_age=300", "max_age=abc"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(r.status(), 302);
    assert!(
        r.headers()["location"]
            .to_str()
            .expect("ascii")
            .contains("error=invalid_request")
    );
}

// response_mode=form_post: a page that posts code, state and iss.
#[tokio::test(flavor = "multi_thread")]
async fn form_post_answers_a_page_that_posts_the_code() {
    let (_env, s, _clock) = setup().await;
    let browser = login_as(&s, &CAMILLE).await;
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let url = format!(
        "{}/oidc/authorize?response_type=code&scope=openid&client_id=teleservice&redirect_uri={}&code_challenge={}&code_challenge_method=S256&state=st&response_mode=form_post",
        s.url,
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
        challenge.as_str()
    );
    let r = browser.get(&url).send().await.expect("authorize");
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains("form-action https://app.exemple.fr"), "{csp}");
    let html = r.text().await.expect("body");
    assert!(html.contains(&format!("action=\"{CALLBACK}\"")), "{html}");
    assert!(
        html.contains("name=\"code\"")
            && html.contains("name=\"state\" value=\"st\"")
            && html.contains("name=\"iss\""),
        "{html}"
    );
    let r = browser
        .get(url.replace("form_post", "fragment"))
        .send()
        .await
        .expect("authorize");
    assert!(
        r.headers()["location"]
            .to_str()
            .expect("ascii")
            .contains("error=invalid_request")
    );
}

// login_hint pre-fills the identifiant on the login page.
#[tokio::test(flavor = "multi_thread")]
async fn login_hint_prefills_the_identifiant() {
    let (_env, s, _clock) = setup().await;
    let b = TestServer::browser();
    let (r, _) = authorize(
        &s.url,
        &b,
        "teleservice",
        "openid",
        "&login_hint=camille.martin&ui_locales=fr",
    )
    .await;
    // No session: the profile choice, whose links carry the request on.
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    let query = to.split_once('?').expect("query").1;
    let html = b
        .get(format!("{}/connexion?profil=eleve&{query}", s.url))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("body");
    assert!(html.contains(r#"value="camille.martin""#), "{html}");
}
