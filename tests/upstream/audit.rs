//! Audit and last login for upstream logins (issue 22 §2): every login
//! through a provider, every wrong child confirmation and the daily block
//! write an audit event; `accounts.last_login_at` is set.

use super::*;

/// Posts the child confirmation of the form page `html`.
async fn confirm(
    browser: &Client,
    down: &TestServer,
    html: &str,
    naissance: &str,
) -> reqwest::Response {
    let ticket = html
        .split("name=\"ticket\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("ticket")
        .to_owned();
    browser
        .post(format!("{}/amont/confirmation", down.url))
        .form(&[
            ("csrf", csrf_of(html)),
            ("ticket", ticket),
            ("prenom", "Jean-Baptiste".to_owned()),
            ("naissance", naissance.to_owned()),
        ])
        .send()
        .await
        .expect("confirm")
}

/// The confirmation page of a new round trip through FranceConnect.
async fn confirmation_page(browser: &Client, down: &TestServer) -> String {
    let (r, _) = follow(browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(html.contains("Confirmez votre identité"), "{html}");
    html
}

async fn events(env: &TestEnv, kind: &str) -> i64 {
    env.count(&format!(
        "SELECT COUNT(*) FROM audit_events WHERE kind = '{kind}'"
    ))
    .await
}

// Staff: each login through the directory is audited with the provider,
// and recorded as the account's last login.
#[tokio::test(flavor = "multi_thread")]
async fn staff_logins_through_a_provider_are_audited_and_recorded() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    for round in 1..=2 {
        let browser = TestServer::browser();
        login_upstream(&up, &browser).await;
        let (r, _) = follow(
            &browser,
            &format!("{}/amont/academie?profil=personnel_education", down.url),
        )
        .await;
        assert_eq!(r.status(), 200);
        assert_eq!(events(&env, "login_upstream").await, round);
    }
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'login_upstream' AND detail = 'academie' AND account_id IS NOT NULL AND ip IS NOT NULL"
        )
        .await,
        2
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE last_login_at IS NOT NULL")
            .await,
        1
    );
}

// Parents: a wrong confirmation is audited (against the upstream identity,
// no account yet); the right one creates the account and audits the
// login; the next login through the provider too; last login set.
#[tokio::test(flavor = "multi_thread")]
async fn parent_confirmations_and_logins_are_audited() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, true).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let html = confirmation_page(&browser, &down).await;
    let r = confirm(&browser, &down, &html, "01/01/2011").await;
    assert_eq!(r.status(), 422);
    assert_eq!(events(&env, "upstream_confirm_failed").await, 1);
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'upstream_confirm_failed' AND account_id IS NULL AND actor IS NOT NULL AND detail = 'fc'"
        )
        .await,
        1
    );
    assert_eq!(events(&env, "login_upstream").await, 0);
    let html = r.text().await.expect("body");
    let r = confirm(&browser, &down, &html, "03/02/2011").await;
    assert_eq!(r.status(), 303);
    assert_eq!(events(&env, "account_created_upstream").await, 1);
    assert_eq!(events(&env, "login_upstream").await, 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE last_login_at IS NOT NULL")
            .await,
        1
    );
    let b2 = TestServer::browser();
    login_upstream(&up, &b2).await;
    let (r, _) = follow(&b2, &format!("{}/amont/fc?profil=parent", down.url)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(events(&env, "login_upstream").await, 2);
    assert_eq!(events(&env, "upstream_confirm_blocked").await, 0);
}

// The daily limit under 40 parallel wrong confirmations (one per round
// trip): exactly ten are checked (nine answered « wrong », the tenth with
// the block), the others refused unchecked (429); ten failures and one
// block audited.
#[tokio::test(flavor = "multi_thread")]
async fn the_daily_block_holds_under_parallel_guesses_and_is_audited() {
    const N: usize = 40;
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, true).await;
    let down = Arc::new(down);
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let mut pages = Vec::new();
    for _ in 0..N {
        pages.push(confirmation_page(&browser, &down).await);
    }
    let mut tasks = Vec::new();
    for html in pages {
        let (b, down) = (browser.clone(), down.clone());
        tasks.push(tokio::spawn(async move {
            confirm(&b, &down, &html, "01/01/2011")
                .await
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let wrong = statuses.iter().filter(|s| **s == 422).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((wrong, refused), (9, N - 9), "{statuses:?}");
    assert_eq!(events(&env, "upstream_confirm_failed").await, 10);
    assert_eq!(events(&env, "upstream_confirm_blocked").await, 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}
