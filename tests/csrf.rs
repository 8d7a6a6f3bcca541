//! CSRF tokens through HTTP, as browsers and a flood of anonymous clients
//! see them: stateless (form pages store nothing), bound to the browser and
//! to the form, expiring on the application clock, spent once.

use crate::support::fixtures::now_clock;
use crate::support::http::page;
use crate::support::{PASSWORD, TestEnv, TestServer, csrf_of};
use reqwest::Client;

/// The pages that carry a form, as an anonymous visitor reaches them.
const FORM_PAGES: [&str; 8] = [
    "/",
    "/profil",
    "/connexion?profil=eleve",
    "/connexion?profil=parent",
    "/premiere-visite/eleve",
    "/premiere-visite/parent",
    "/mot-de-passe-oublie",
    "/identifiant-oublie",
];

async fn post(c: &Client, url: &str, form: &[(&str, &str)]) -> u16 {
    c.post(url)
        .form(form)
        .send()
        .await
        .expect("post")
        .status()
        .as_u16()
}

/// Chooses the pupil profile with `token`; answers the status (303 when
/// the token is accepted, 403 when refused).
async fn choose_profile(s: &TestServer, c: &Client, token: &str) -> u16 {
    post(
        c,
        &format!("{}/profil", s.url),
        &[("csrf", token), ("profil", "eleve")],
    )
    .await
}

// CONC-05
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn anonymous_gets_of_form_pages_leave_the_store_unchanged() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let before = s.store_entries().await;
    // 40 concurrent clients, 2,000 GETs: half keep their browser cookie,
    // half come back without any (a fresh browser id each time).
    let mut tasks = Vec::new();
    for t in 0..40usize {
        let base = s.url.clone();
        tasks.push(tokio::spawn(async move {
            let keep = TestServer::browser();
            let mut statuses = Vec::new();
            for i in 0..50usize {
                let c = if t % 2 == 0 {
                    keep.clone()
                } else {
                    TestServer::browser()
                };
                let path = FORM_PAGES[(t + i) % FORM_PAGES.len()];
                let (status, html) = page(&c, &format!("{base}{path}")).await;
                assert!(!csrf_of(&html).is_empty(), "{path}");
                statuses.push(status);
            }
            statuses
        }));
    }
    let mut n = 0;
    for t in tasks {
        for status in t.await.expect("join") {
            assert_eq!(status, 200);
            n += 1;
        }
    }
    assert_eq!(n, 2_000);
    assert_eq!(
        s.store_entries().await,
        before,
        "form pages must not store anything"
    );
}

// AUTH-14, CONC-05: a token names its form.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_for_one_form_is_refused_on_another() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    for other in [
        "/premiere-visite/eleve",
        "/connexion?profil=eleve",
        "/mot-de-passe-oublie",
    ] {
        let (_, html) = page(&s.client, &format!("{}{other}", s.url)).await;
        assert_eq!(
            choose_profile(&s, &s.client, &csrf_of(&html)).await,
            403,
            "the token of {other} on the profile choice"
        );
    }
    // The other way round: the profile choice's token on the login form.
    let (_, html) = page(&s.client, &format!("{}/profil", s.url)).await;
    let token = csrf_of(&html);
    let login = [
        ("csrf", token.as_str()),
        ("profil", "eleve"),
        ("identifiant", "personne"),
        ("password", PASSWORD),
    ];
    assert_eq!(
        post(&s.client, &format!("{}/connexion", s.url), &login).await,
        403
    );
    // Refused elsewhere, not spent: it still serves its own form.
    assert_eq!(choose_profile(&s, &s.client, &token).await, 303);
}

// AUTH-14, CONC-05: a form lives one hour of the application clock.
#[tokio::test(flavor = "multi_thread")]
async fn a_form_token_expires_after_an_hour_of_the_application_clock() {
    let env = TestEnv::new();
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    let (_, html) = page(&s.client, &format!("{}/profil", s.url)).await;
    let fresh = csrf_of(&html);
    let (_, html) = page(&s.client, &format!("{}/profil", s.url)).await;
    let old = csrf_of(&html);
    clock.advance(time::Duration::minutes(59));
    assert_eq!(choose_profile(&s, &s.client, &fresh).await, 303);
    clock.advance(time::Duration::minutes(2));
    assert_eq!(
        choose_profile(&s, &s.client, &old).await,
        403,
        "61 minutes after the page"
    );
    let (_, html) = page(&s.client, &format!("{}/profil", s.url)).await;
    assert_eq!(choose_profile(&s, &s.client, &csrf_of(&html)).await, 303);
}

// AUTH-14, CONC-05: bound to the browser, spent once (under 40 parallel
// POSTs), unforgeable.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_form_token_is_refused_from_another_browser_replayed_or_altered() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let (_, html) = page(&s.client, &format!("{}/profil", s.url)).await;
    let token = csrf_of(&html);

    // Another browser (its own id), and a browser without any.
    let other = TestServer::browser();
    page(&other, &format!("{}/profil", s.url)).await;
    assert_eq!(choose_profile(&s, &other, &token).await, 403);
    let bare = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    assert_eq!(choose_profile(&s, &bare, &token).await, 403);

    // One character changed anywhere (nonce, expiry or MAC).
    for at in [0, 30, token.len() - 2] {
        let mut altered = token.clone().into_bytes();
        altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("ascii");
        assert_eq!(choose_profile(&s, &s.client, &altered).await, 403, "{at}");
    }

    // 40 parallel submissions of one token: exactly one passes.
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (c, url, token) = (s.client.clone(), s.url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            post(
                &c,
                &format!("{url}/profil"),
                &[("csrf", &token), ("profil", "eleve")],
            )
            .await
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("join"));
    }
    statuses.sort_unstable();
    assert_eq!(statuses[0], 303);
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 39);
}
