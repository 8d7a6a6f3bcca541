//! Limits that hold under parallel requests (SECURITY.md §2.10): the
//! token endpoint's per-client limit, activation checks counted per code,
//! and activation work that does not tell existing codes from unknown ones.

use crate::support::fixtures::{CALLBACK, PASSWORD, SECRET, Signup, code_of, martin_family};
use crate::support::http::{page, post};
use crate::support::oidc::{authorize, code_in, exchange_as, setup_with, tokens};
use crate::support::{CAMILLE, TestEnv, TestServer, csrf_of, login_as};

/// A token request for `teleservice` with `secret`, said (through the
/// trusted proxy) to come from `client`; answers the status.
async fn token_from(url: &str, client: &str, secret: &str, form: &[(&str, &str)]) -> u16 {
    TestServer::browser()
        .post(format!("{url}/oidc/token"))
        .header("x-forwarded-for", client)
        .basic_auth("teleservice", Some(secret))
        .form(form)
        .send()
        .await
        .expect("post")
        .status()
        .as_u16()
}

/// A refresh grant (see [`token_from`]).
async fn refresh_from(s: &TestServer, client: &str, secret: &str, rt: &str) -> u16 {
    let form = [("grant_type", "refresh_token"), ("refresh_token", rt)];
    token_from(&s.url, client, secret, &form).await
}

/// A code exchange with the right secret (see [`token_from`]).
async fn exchange_from(url: &str, client: &str, code: &str, verifier: &str) -> u16 {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
    ];
    token_from(url, client, SECRET, &form).await
}

/// A server whose token endpoint refuses an address after 20 wrong
/// secrets in a minute, behind a trusted proxy on loopback.
async fn throttled() -> (TestEnv, TestServer) {
    let (env, s, _clock) = setup_with(&[], |c| {
        c.oidc.client_failures_per_minute = 20;
        c.server.trusted_proxies = vec!["127.0.0.0/8".parse().expect("cidr")];
    })
    .await;
    (env, s)
}

// CONC-04: nobody can lock a client out of the token endpoint: 40 wrong
// secrets at once for the client from one address slow that address only;
// the client's right secret from another address still works.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_secrets_from_one_address_do_not_lock_the_client_out() {
    let (_env, s) = throttled().await;
    let t = tokens(&s).await;
    let rt = t["refresh_token"].as_str().expect("rt").to_owned();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let (url, rt) = (s.url.clone(), rt.clone());
        tasks.spawn(async move {
            refresh_from(&TestServer::remote(&url), "203.0.113.66", "mauvais", &rt).await
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.expect("task"), 401);
    }
    assert_eq!(
        refresh_from(&s, "203.0.113.66", SECRET, &rt).await,
        401,
        "the guessing address is slowed, even with the right secret"
    );
    assert_eq!(
        refresh_from(&s, "198.51.100.7", SECRET, &rt).await,
        200,
        "the client's own server, elsewhere, is served"
    );
}

// Issue 19, CONC-04's other side: a relying party's server sending 40
// refresh grants at once with its right secret is served every time, and
// still is afterwards: requests in flight are not counted as wrong
// secrets (over Redis they were, until the limit refused the client for
// the rest of the minute).
#[tokio::test(flavor = "multi_thread")]
async fn parallel_grants_with_the_right_secret_do_not_lock_the_client_out() {
    let (_env, s) = throttled().await;
    let browser = login_as(&s, &CAMILLE).await;
    let mut rts = Vec::new();
    for _ in 0..41 {
        let (r, verifier) = authorize(&s.url, &browser, "teleservice", "openid", "&nonce=n").await;
        let t = exchange_as(&s.url, "teleservice", &code_in(&r), &verifier).await;
        rts.push(t["refresh_token"].as_str().expect("rt").to_owned());
    }
    let last = rts.pop().expect("rt");
    let mut tasks = tokio::task::JoinSet::new();
    for rt in rts {
        let url = s.url.clone();
        tasks.spawn(async move {
            refresh_from(&TestServer::remote(&url), "198.51.100.7", SECRET, &rt).await
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.expect("task"), 200, "a right secret is served");
    }
    assert_eq!(
        refresh_from(&s, "198.51.100.7", SECRET, &last).await,
        200,
        "the client is still served after its parallel requests"
    );
}

// The same just after a start, before the secret was ever verified: 40
// exchanges at once with the right secret from one address all pass (one
// argon2id verification at a time per client; the others find the secret
// remembered and count nothing), and a wrong secret is still refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_first_burst_of_right_secrets_does_not_lock_the_client_out() {
    let (_env, s) = throttled().await;
    let browser = login_as(&s, &CAMILLE).await;
    let mut codes = Vec::new();
    for _ in 0..41 {
        let (r, verifier) = authorize(&s.url, &browser, "teleservice", "openid", "&nonce=n").await;
        codes.push((code_in(&r), verifier));
    }
    let (last, last_verifier) = codes.pop().expect("code");
    let mut tasks = tokio::task::JoinSet::new();
    for (code, verifier) in codes {
        let url = s.url.clone();
        tasks.spawn(async move { exchange_from(&url, "198.51.100.9", &code, &verifier).await });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.expect("task"));
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        refresh_from(&s, "198.51.100.9", "not-the-secret", "x").await,
        401,
        "a wrong secret is refused"
    );
    assert_eq!(
        exchange_from(&s.url, "198.51.100.9", &last, &last_verifier).await,
        200,
        "the client is still served after its burst"
    );
}

// CONC-03: the per-address activation limit counts codes checked, not
// requests: 40 parent forms at once from one address, each carrying 24
// codes, check no more than ten codes in all.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_parent_forms_check_no_more_codes_than_the_address_limit() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let s = TestServer::spawn(&env, |_| {}).await;
    let pairs = [
        (
            "Camille",
            code_of(&codes, "Olivier MARTIN", "Camille"),
            code_of(&codes, "Sophie MARTIN", "Camille"),
        ),
        (
            "Jean-Baptiste",
            code_of(&codes, "Olivier MARTIN", "Jean-Baptiste"),
            code_of(&codes, "Sophie MARTIN", "Jean-Baptiste"),
        ),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let (url, pairs) = (s.url.clone(), pairs.clone());
        tasks.spawn(async move {
            // Twelve rows, two codes each, every birth date wrong.
            let rows: Vec<[&str; 4]> = (0..12)
                .map(|i| {
                    let (name, vous, autre) = &pairs[i % 2];
                    [*name, "01/01/2000", vous.as_str(), autre.as_str()]
                })
                .collect();
            let form = Signup {
                joint: true,
                rows,
                identifiant: "devineur",
                password: PASSWORD,
                email: "x@example.org",
            };
            let c = TestServer::browser();
            let page_url = format!("{url}/premiere-visite/parent");
            let (_, html) = page(&c, &page_url).await;
            let csrf = csrf_of(&html);
            post(&c, &page_url, &form.form(&csrf, "creer")).await.0
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.expect("task"));
    }
    assert!(
        statuses.iter().all(|s| *s == 422 || *s == 429),
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    let checked = env
        .count("SELECT COALESCE(SUM(failed_attempts), 0) FROM activation_codes")
        .await;
    assert!(
        checked <= 10,
        "{checked} codes checked, beyond the address's limit of ten"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}

// Issue 21 §1: 40 password logins at once through the login form all
// succeed: each waits for a worker of the fixed hashing pool (two here)
// and for the attempt before it on the same identifiant.
#[tokio::test(flavor = "multi_thread")]
async fn forty_parallel_password_logins_all_succeed_on_the_hashing_pool() {
    use crate::support::fixtures::{now_clock, pupil_account_with};
    use crate::support::{CAMILLE, log_in};
    let env = TestEnv::new();
    let s = pupil_account_with(&env, now_clock(), 1000, |c| {
        c.password.max_concurrent_hashes = 2;
        c.password.argon2_memory_kib = 8192;
        c.password.argon2_iterations = 1;
    })
    .await;
    let url = s.url.clone();
    let logins: Vec<_> = (0..40)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let browser = TestServer::browser();
                log_in(&browser, &url, &CAMILLE, &[])
                    .await
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for l in logins {
        statuses.push(l.await.expect("login"));
    }
    assert_eq!(statuses, vec![303; 40], "every login succeeds");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_succeeded'")
            .await,
        40
    );
}
