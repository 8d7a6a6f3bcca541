//! One identifiant, one person (issue 22 §1): the name an account of an
//! upstream provider releases (CAS user, `preferred_username`) is unique
//! across every kind of account, whichever comes first, through any
//! number of providers, and under concurrent creations.

use super::*;
use crate::support::fixtures::{Signup, code_of, sign_up};

async fn identifiants(env: &TestEnv) -> Vec<(String, String, String)> {
    env.rows("SELECT identifiant, identifiant_display, kind FROM accounts ORDER BY id")
        .await
        .into_iter()
        .map(|r| {
            let v = |i: usize| r[i].clone().unwrap_or_default();
            (v(0), v(1), v(2))
        })
        .collect()
}

// Local after federated: a staff member came through the directory as
// `olivier.martin`; a parent signing up locally cannot take that name, in
// any case.
#[tokio::test(flavor = "multi_thread")]
async fn a_local_sign_up_cannot_take_the_name_of_a_federated_account() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    assert_eq!(
        cas_user(&browser, &down, "academie").await,
        "olivier.martin"
    );

    let codes = martin_family(&env);
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    for name in ["olivier.martin", "Olivier.Martin"] {
        let form = Signup {
            identifiant: name,
            ..Signup::olivier(&jb)
        };
        let (status, html) = sign_up(&down, &form).await;
        assert_eq!(status, 422, "{html}");
        assert!(
            html.contains("Cet identifiant est déjà utilisé"),
            "{name}: {html}"
        );
    }
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
    // Another name is fine.
    let form = Signup {
        identifiant: "olivier.m",
        ..Signup::olivier(&jb)
    };
    assert_eq!(sign_up(&down, &form).await.0, 200);
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 2);
}

// Federated after local: Olivier's local parent account holds
// `olivier.martin`; the same name from the directory gets
// `olivier.martin2`, released as such, the same at every later login, and
// the local account keeps its name and its password login.
#[tokio::test(flavor = "multi_thread")]
async fn a_federated_name_held_by_a_local_account_gets_a_numbered_one() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &down, &sink).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    assert_eq!(
        cas_user(&browser, &down, "academie").await,
        "olivier.martin2"
    );
    // Stable: the next login releases the same name.
    let b2 = TestServer::browser();
    login_upstream(&up, &b2).await;
    assert_eq!(cas_user(&b2, &down, "academie").await, "olivier.martin2");
    assert_eq!(
        identifiants(&env).await,
        vec![
            (
                "olivier.martin".to_owned(),
                "olivier.martin".to_owned(),
                "responsable".to_owned()
            ),
            (
                "olivier.martin2".to_owned(),
                "olivier.martin2".to_owned(),
                "federe".to_owned()
            ),
        ]
    );
    // The local account still logs in with its password; the federated
    // one has none: its name at the login form is refused.
    let (status, _, _) = log_in_answer(&TestServer::browser(), &down.url, &OLIVIER).await;
    assert_eq!(status, 303);
    let federated = OLIVIER.with_identifiant("olivier.martin2");
    let (status, _, _) = log_in_answer(&TestServer::browser(), &down.url, &federated).await;
    assert_ne!(status, 303);
}

// Two providers, one person (the same subject at both): two accounts, two
// names, never the same user for two accounts.
#[tokio::test(flavor = "multi_thread")]
async fn one_person_through_two_providers_gets_two_distinct_names() {
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
    assert_eq!(
        cas_user(&browser, &down, "academie").await,
        "olivier.martin"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE kind = 'federe'")
            .await,
        2
    );
}

// Concurrent creations: 40 first logins at once through 40 providers (40
// identities suggesting the same name) make 40 accounts with 40 distinct
// names; 40 first logins at once of one identity make one account.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_first_logins_never_share_a_name() {
    const N: usize = 40;
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let ids: Vec<String> = (0..N).map(|i| format!("annuaire{i}")).collect();
    let (env, down) = downstream_with(listener, &up.url, false, &ids).await;
    let down = Arc::new(down);
    let mut browsers = Vec::new();
    for _ in 0..N {
        let b = TestServer::browser();
        login_upstream(&up, &b).await;
        browsers.push(b);
    }
    let mut tasks = Vec::new();
    for (b, id) in browsers.iter().zip(&ids) {
        let (b, id, down) = (b.clone(), id.clone(), down.clone());
        tasks.push(tokio::spawn(async move { cas_user(&b, &down, &id).await }));
    }
    let mut users = Vec::new();
    for t in tasks {
        users.push(t.await.expect("task"));
    }
    let distinct: std::collections::HashSet<&String> = users.iter().collect();
    assert_eq!(distinct.len(), N, "{users:?}");
    assert!(
        users.iter().all(|u| u.starts_with("olivier.martin")),
        "{users:?}"
    );
    assert!(users.iter().any(|u| u == "olivier.martin"), "{users:?}");
    let rows = identifiants(&env).await;
    assert_eq!(rows.len(), N);
    assert!(rows.iter().all(|(i, d, _)| i == d), "{rows:?}");

    // One identity, 40 times at once through the one provider it has not
    // used yet: one account.
    let mut tasks = Vec::new();
    for b in &browsers {
        let (b, down) = (b.clone(), down.clone());
        tasks.push(tokio::spawn(async move {
            cas_user(&b, &down, "academie").await
        }));
    }
    let mut users = Vec::new();
    for t in tasks {
        users.push(t.await.expect("task"));
    }
    let distinct: std::collections::HashSet<&String> = users.iter().collect();
    assert_eq!(distinct.len(), 1, "{users:?}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM federated_identities WHERE provider = 'academie'")
            .await,
        1
    );
    assert_eq!(identifiants(&env).await.len(), N + 1);
}
