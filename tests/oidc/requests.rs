//! How requests reach the authorization and logout endpoints and how
//! their errors go back: POST as well as GET (OIDC Core §3.1.2.1,
//! RP-Initiated Logout 1.0 §2), errors POSTed for `form_post` (Form Post
//! Response Mode §2), `max_age=0` and `prompt=none` with another value
//! (OIDC Core §3.1.2.1).

use crate::support::fixtures::CALLBACK;
use crate::support::oidc::{TELESERVICE, authorize_code, exchange, s256, setup};
use crate::support::{CAMILLE, TestServer, login_as};

/// The pairs of an authorization request for `teleservice` with `extra`.
fn request(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let verifier = "a-good-verifier-of-forty-three-characters-x";
    let mut f: Vec<(String, String)> = [
        ("client_id", "teleservice"),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "st"),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    f.push(("code_challenge".into(), s256(verifier)));
    f.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    f
}

/// `pairs` with `scope` replaced.
fn with_scope(pairs: Vec<(String, String)>, scope: &str) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(k, v)| {
            if k == "scope" {
                (k, scope.to_owned())
            } else {
                (k, v)
            }
        })
        .collect()
}

fn query(pairs: &[(String, String)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.extend_pairs(pairs);
    q.finish()
}

// OIDC Core §3.1.2.1: "Authorization Servers MUST support the use of the
// HTTP GET and POST methods"; RP-Initiated Logout 1.0 §2: the same.
#[tokio::test(flavor = "multi_thread")]
async fn authorize_and_logout_answer_a_form_post() {
    let (_env, s, _clock) = setup().await;
    let browser = login_as(&s, &CAMILLE).await;
    let r = browser
        .post(format!("{}/oidc/authorize", s.url))
        .form(&request(&[]))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 302);
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(to.starts_with(CALLBACK) && to.contains("code="), "{to}");
    // The same checks: an error goes back, an unknown client is a page.
    let r = browser
        .post(format!("{}/oidc/authorize", s.url))
        .form(&with_scope(request(&[]), "openid phone"))
        .send()
        .await
        .expect("post");
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(to.contains("error=invalid_scope"), "{to}");
    let mut unknown = request(&[]);
    unknown[0].1 = "nobody".into();
    let r = browser
        .post(format!("{}/oidc/authorize", s.url))
        .form(&unknown)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);

    // Logout by POST: without a hint, the confirmation page; with one,
    // back to the client.
    let r = browser
        .post(format!("{}/oidc/logout", s.url))
        .form(&[("state", "bye")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("body").contains("Se déconnecter"));
    let (code, verifier, browser) = authorize_code(&s).await;
    let (_, body) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    let hint = body["id_token"].as_str().expect("id token");
    let r = browser
        .post(format!("{}/oidc/logout", s.url))
        .form(&[
            ("id_token_hint", hint),
            (
                "post_logout_redirect_uri",
                "https://app.exemple.fr/au-revoir",
            ),
            ("state", "bye"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        "https://app.exemple.fr/au-revoir?state=bye"
    );
}

// Form Post Response Mode §2: errors too are POSTed to the client.
#[tokio::test(flavor = "multi_thread")]
async fn form_post_applies_to_errors() {
    let (_env, s, _clock) = setup().await;
    let anonymous = TestServer::browser();
    let cases = [
        (
            request(&[("response_mode", "form_post"), ("prompt", "none")]),
            "login_required",
        ),
        (
            request(&[("response_mode", "form_post")])
                .into_iter()
                .map(|(k, v)| {
                    if k == "scope" {
                        (k, "profile".into())
                    } else {
                        (k, v)
                    }
                })
                .collect(),
            "invalid_scope",
        ),
    ];
    for (pairs, error) in cases {
        let r = anonymous
            .get(format!("{}/oidc/authorize?{}", s.url, query(&pairs)))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "{error}");
        assert!(r.headers().get("location").is_none());
        let html = r.text().await.expect("body");
        assert!(html.contains(&format!("action=\"{CALLBACK}\"")), "{html}");
        assert!(
            html.contains(&format!("name=\"error\" value=\"{error}\""))
                && html.contains("name=\"state\" value=\"st\"")
                && html.contains("name=\"iss\""),
            "{html}"
        );
    }
}

// OIDC Core §3.1.2.1: max_age=0 is prompt=login, even for a login of the
// same second; prompt=none with another value is invalid_request.
#[tokio::test(flavor = "multi_thread")]
async fn max_age_zero_demands_a_new_login_and_prompt_none_stands_alone() {
    let (_env, s, _clock) = setup().await;
    let browser = login_as(&s, &CAMILLE).await;
    let r = browser
        .get(format!(
            "{}/oidc/authorize?{}",
            s.url,
            query(&request(&[("max_age", "0")]))
        ))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303, "credentials asked again");
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(to.contains("suite=") && !to.contains("max_age"), "{to}");
    for prompt in ["none login", "consent none"] {
        let r = browser
            .get(format!(
                "{}/oidc/authorize?{}",
                s.url,
                query(&request(&[("prompt", prompt)]))
            ))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 302, "{prompt}");
        let to = r.headers()["location"].to_str().expect("ascii").to_owned();
        assert!(
            to.starts_with(CALLBACK) && to.contains("error=invalid_request"),
            "{prompt}: {to}"
        );
    }
}
