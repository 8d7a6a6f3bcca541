//! Choosing one's identifiant (issue 22 §1): an account given its name by
//! an upstream provider (the provider's, or a numbered one when it was
//! taken) chooses its own once in « gérer son compte »; the name stays
//! unique across every kind of account, the attempts are throttled, and
//! the next CAS ticket carries the new name.

use super::*;
use crate::support::http::{page, post};

/// A CSRF token of the account page (the page must offer the choice).
async fn account_token(browser: &Client, down: &TestServer) -> String {
    let (status, html) = page(browser, &format!("{}/compte", down.url)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Choisir mon identifiant"), "{html}");
    csrf_of(&html)
}

/// Posts the choice of `name` with `token`; answers (status, location, body).
async fn choose(
    browser: &Client,
    down: &TestServer,
    token: &str,
    name: &str,
) -> (u16, String, String) {
    post(
        browser,
        &format!("{}/compte/identifiant", down.url),
        &[
            ("csrf".to_owned(), token.to_owned()),
            ("identifiant".to_owned(), name.to_owned()),
        ],
    )
    .await
}

// The change works once, needs the form's CSRF token, is audited, and the
// next CAS ticket carries the new name.
#[tokio::test(flavor = "multi_thread")]
async fn an_upstream_account_chooses_its_identifiant_once() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    assert_eq!(
        cas_user(&browser, &down, "academie").await,
        "olivier.martin"
    );

    // Without the token, or with a forged one: refused, nothing changes.
    for token in ["", "forge"] {
        let (status, _, html) = choose(&browser, &down, token, "prof.martin").await;
        assert_eq!(status, 403, "{html}");
    }
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE identifiant = 'olivier.martin'")
            .await,
        1
    );

    // A name that is no identifiant: the sign-up's rule, nothing used up.
    let token = account_token(&browser, &down).await;
    let (status, _, html) = choose(&browser, &down, &token, "prof martin").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("3 à 64 caractères"), "{html}");

    let token = account_token(&browser, &down).await;
    let (status, location, html) = choose(&browser, &down, &token, "Prof.Martin").await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/compte?fait=identifiant"),
        "{html}"
    );
    // The token served once.
    let (status, _, _) = choose(&browser, &down, &token, "autre.nom").await;
    assert_eq!(status, 403);

    let (_, html) = page(&browser, &format!("{}/compte?fait=identifiant", down.url)).await;
    assert!(html.contains("Votre identifiant a été modifié"), "{html}");
    assert!(html.contains("<strong>Prof.Martin</strong>"), "{html}");
    assert!(!html.contains("Choisir mon identifiant"), "{html}");

    // The next ticket carries the new name, as typed; the stored one is
    // normalised.
    assert_eq!(cas_user(&browser, &down, "academie").await, "Prof.Martin");
    assert_eq!(
        env.rows("SELECT identifiant, identifiant_display FROM accounts")
            .await,
        vec![vec![
            Some("prof.martin".to_owned()),
            Some("Prof.Martin".to_owned())
        ]]
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'identifiant_chosen'")
            .await,
        1
    );

    // Once: a second choice is refused, the name stays.
    let (_, html) = page(&browser, &format!("{}/compte", down.url)).await;
    let (status, _, html) = choose(&browser, &down, &csrf_of(&html), "encore.un").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("ne peut plus être modifié"), "{html}");
    assert_eq!(cas_user(&browser, &down, "academie").await, "Prof.Martin");
}

// A name another account holds (in any case) is refused with a clear
// message and does not use up the choice; the account's own name through
// another provider is someone else's too.
#[tokio::test(flavor = "multi_thread")]
async fn a_taken_identifiant_is_refused() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream_with(listener, &up.url, false, &["academie-bis".to_owned()]).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    assert_eq!(
        cas_user(&browser, &down, "academie").await,
        "olivier.martin"
    );
    assert_eq!(
        cas_user(&browser, &down, "academie-bis").await,
        "olivier.martin2"
    );
    // The browser's session is now the second account's.
    for name in ["olivier.martin", "Olivier.Martin"] {
        let token = account_token(&browser, &down).await;
        let (status, _, html) = choose(&browser, &down, &token, name).await;
        assert_eq!(status, 422, "{name}: {html}");
        assert!(html.contains("Cet identifiant est déjà pris"), "{html}");
    }
    let token = account_token(&browser, &down).await;
    let (status, _, html) = choose(&browser, &down, &token, "olivier.m").await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(cas_user(&browser, &down, "academie-bis").await, "olivier.m");
    assert_eq!(
        cas_user(&browser, &down, "academie").await,
        "olivier.martin"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'identifiant_chosen'")
            .await,
        1
    );
}

// 40 accounts choosing the same free name at once: exactly one gets it,
// the 39 others are told it is taken (the database's constraint decides).
#[tokio::test(flavor = "multi_thread")]
async fn forty_accounts_choosing_one_free_name_at_once_one_gets_it() {
    const N: usize = 40;
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let ids: Vec<String> = (0..N).map(|i| format!("annuaire{i}")).collect();
    let (env, down) = downstream_with(listener, &up.url, false, &ids).await;
    let down = Arc::new(down);
    let mut forms = Vec::new();
    for id in &ids {
        let b = TestServer::browser();
        login_upstream(&up, &b).await;
        cas_user(&b, &down, id).await;
        let token = account_token(&b, &down).await;
        forms.push((b, token));
    }
    let mut tasks = Vec::new();
    for (b, token) in forms {
        let down = down.clone();
        tasks.push(tokio::spawn(async move {
            choose(&b, &down, &token, "le.nom.libre").await
        }));
    }
    let (mut won, mut taken) = (0, 0);
    for t in tasks {
        let (status, _, html) = t.await.expect("task");
        match status {
            303 => won += 1,
            422 if html.contains("Cet identifiant est déjà pris") => taken += 1,
            _ => panic!("{status}: {html}"),
        }
    }
    assert_eq!((won, taken), (1, N - 1));
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE identifiant = 'le.nom.libre'")
            .await,
        1
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE identifiant_chosen_at IS NOT NULL")
            .await,
        1
    );
}

// 40 attempts of one account at once: the throttle lets exactly its limit
// through; past it, even a free name waits.
#[tokio::test(flavor = "multi_thread")]
async fn choosing_an_identifiant_is_throttled_under_forty_parallel_requests() {
    const N: usize = 40;
    let limit = sesame_service::account::IDENTIFIANT_CHOICES.limit as usize;
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    let down = Arc::new(down);
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    cas_user(&browser, &down, "academie").await;
    let mut tokens = Vec::new();
    for _ in 0..=N {
        tokens.push(account_token(&browser, &down).await);
    }
    let last = tokens.pop().expect("token");
    let mut tasks = Vec::new();
    for token in tokens {
        let (b, down) = (browser.clone(), down.clone());
        tasks.push(tokio::spawn(async move {
            choose(&b, &down, &token, "x").await.0
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let checked = statuses.iter().filter(|s| **s == 422).count();
    assert_eq!((checked, refused), (limit, N - limit), "{statuses:?}");
    let (status, _, _) = choose(&browser, &down, &last, "un.nom.libre").await;
    assert_eq!(status, 429);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE identifiant_chosen_at IS NOT NULL")
            .await,
        0
    );
}
