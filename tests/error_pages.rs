//! The error pages through HTTP (issue 17): every error a browser can meet
//! (404, 405, 410, 413, 415, 422, 429) in the site's layout with the
//! configured branding; programs keep their own formats.

use crate::support::fixtures::now_clock;
use crate::support::http::page;
use crate::support::layout::{ACADEMIE, assert_layout};
use crate::support::{TestEnv, TestServer};

async fn answer(r: reqwest::Response) -> (u16, String, reqwest::header::HeaderMap, String) {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let kind = headers
        .get("content-type")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    (status, kind, headers, r.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_a_browser_meets_has_the_site_layout() {
    let env = TestEnv::new();
    // A fixed clock: the failed logins below must fall in one minute's
    // window of the address throttle, however slowly they run.
    let s = TestServer::spawn_with_clock(&env, now_clock(), |c| {
        c.branding.academie = ACADEMIE.into();
        c.throttle.ip_failures_per_minute = 1;
    })
    .await;
    let c = &s.client;
    let url = |p: &str| format!("{}{p}", s.url);

    let (status, kind, _, html) =
        answer(c.get(url("/nulle-part")).send().await.expect("get")).await;
    assert_eq!(status, 404);
    assert_layout("404", &kind, &html);
    assert!(html.contains("Page introuvable"));

    let (status, kind, headers, html) =
        answer(c.delete(url("/connexion")).send().await.expect("post")).await;
    assert_eq!(status, 405);
    assert_layout("405", &kind, &html);
    assert!(headers.contains_key("allow"), "the Allow header is kept");

    let big = "x".repeat(sesame_web::BODY_LIMIT + 10);
    let (status, kind, _, html) = answer(
        c.post(url("/connexion"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("identifiant={big}"))
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(status, 413);
    assert_layout("413", &kind, &html);
    assert!(html.contains("trop volumineuses"));

    let (status, kind, _, html) = answer(
        c.post(url("/connexion"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(status, 415);
    assert_layout("415", &kind, &html);
    assert!(html.contains("Formulaire illisible"));

    let (status, kind, _, html) = answer(
        c.post(url("/compte/mot-de-passe"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("csrf=a&csrf=b")
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(status, 422);
    assert_layout("422", &kind, &html);

    let (status, kind, _, html) = answer(
        c.get(url("/confirmation?code=inconnu"))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert!(status == 404 || status == 410, "{status}");
    assert_layout("unknown link", &kind, &html);

    // 429: two failed logins from one address.
    let mut last = (0, String::new(), String::new());
    for _ in 0..3 {
        let (_, html) = page(c, &url("/connexion?profil=eleve")).await;
        let csrf = crate::support::csrf_of(&html);
        let (status, kind, _, html) = answer(
            c.post(url("/connexion"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("profil", "eleve"),
                    ("identifiant", "personne"),
                    ("password", "Mauvais123"),
                ])
                .send()
                .await
                .expect("post"),
        )
        .await;
        last = (status, kind, html);
    }
    assert_eq!(last.0, 429);
    assert_layout("429", &last.1, &last.2);

    // Programs keep their own formats: CAS validation and OpenID Connect.
    let (status, kind, _, _) = answer(
        c.post(url("/oidc/token"))
            .form(&[("grant_type", "authorization_code")])
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert!(
        status >= 400 && kind.starts_with("application/json"),
        "{status} {kind}"
    );
}

// A store that does not answer: the 503 of WebError::Unavailable in the
// site's layout, with Retry-After; readiness keeps its JSON.
#[tokio::test(flavor = "multi_thread")]
async fn an_unavailable_store_gives_a_branded_503() {
    let env = TestEnv::new();
    let port = crate::support::free_port();
    let s = TestServer::spawn(&env, |c| {
        c.branding.academie = ACADEMIE.into();
        c.redis.url = format!("redis://127.0.0.1:{port}/");
        c.redis.timeout_ms = 300;
    })
    .await;
    // A login counts its attempt in the store first.
    let (_, form) = page(&s.client, &format!("{}/connexion?profil=eleve", s.url)).await;
    let csrf = crate::support::csrf_of(&form);
    let (status, kind, headers, html) = answer(
        s.client
            .post(format!("{}/connexion", s.url))
            .form(&[
                ("csrf", csrf.as_str()),
                ("profil", "eleve"),
                ("identifiant", "camille.martin"),
                ("password", "Mauvais123"),
            ])
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(status, 503, "{html}");
    assert_layout("503", &kind, &html);
    assert!(html.contains("momentanément indisponible"));
    assert!(!html.contains("127.0.0.1"), "no cause shown");
    assert!(headers.contains_key("retry-after"));
    assert!(headers.contains_key("content-security-policy"));

    let (status, kind, _, _) = answer(
        s.client
            .get(format!("{}/readyz", s.url))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(status, 503);
    assert!(kind.starts_with("application/json"), "{kind}");
}
