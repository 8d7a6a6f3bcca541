//! Login throttling through HTTP with a clock the test moves (SECURITY.md
//! §1.2): delays from the 5th failure, the block at the 10th with its
//! unlock mail, the end of the block after 24 hours, and the per-address
//! limit.

use crate::support::fixtures::{now_clock, pupil_account, pupil_account_with};
use crate::support::personas::login_csrf;
use crate::support::{CAMILLE, PASSWORD, TestEnv, TestServer, csrf_of, link_in, outbox};
use sesame_domain::FixedClock;
use std::sync::Arc;

/// One login attempt from a new browser, optionally through a proxy that
/// forwards for `client`; answers the response.
async fn post_login(s: &TestServer, id: &str, pw: &str, client: Option<&str>) -> reqwest::Response {
    let c = TestServer::browser();
    let who = CAMILLE.with_identifiant(id).with_password(pw);
    let Some(client) = client else {
        return crate::support::log_in(&c, &s.url, &who, &[]).await;
    };
    let csrf = login_csrf(&c, &s.url, &who, &[]).await;
    c.post(format!("{}/connexion", s.url))
        .header("x-forwarded-for", format!("6.6.6.6, {client}"))
        .form(&who.login_fields(&csrf, &[]))
        .send()
        .await
        .expect("post")
}

/// One login attempt; answers the status (303 = logged in).
async fn attempt(s: &TestServer, id: &str, pw: &str) -> u16 {
    let r = post_login(s, id, pw, None).await;
    let status = r.status().as_u16();
    if status == 200 {
        let body = r.text().await.expect("body");
        assert!(
            body.contains("Identifiant ou mot de passe incorrect."),
            "{body}"
        );
    }
    status
}

/// Ten consecutive failures, each after the previous delay has passed.
async fn ten_failures(s: &TestServer, clock: &FixedClock) {
    for n in 1..=10 {
        assert_eq!(attempt(s, "camille.martin", "Mauvais123").await, 200);
        if (5..10).contains(&n) {
            clock.advance(time::Duration::seconds((60 << (n - 5)) + 1));
        }
    }
}

async fn unlock_mails(env: &TestEnv) -> Vec<String> {
    outbox(env)
        .await
        .into_iter()
        .filter(|(_, subject, _)| subject.contains("bloquée"))
        .map(|(to, _, text)| {
            assert_eq!(to, "camille@example.org");
            link_in(&text, "/deblocage")
        })
        .collect()
}

// AUTH-05, AUTH-08 (the victim's side)
#[tokio::test(flavor = "multi_thread")]
async fn the_schedule_delays_from_the_fifth_failure_and_blocks_at_the_tenth_until_unlock_or_a_day()
{
    let env = TestEnv::new();
    let clock = now_clock();
    let s = pupil_account(&env, clock.clone(), 1000).await;

    for _ in 1..=4 {
        assert_eq!(attempt(&s, "camille.martin", "Mauvais123").await, 200);
    }
    assert_eq!(
        attempt(&s, "camille.martin", PASSWORD).await,
        303,
        "no delay before the 5th failure"
    );
    for _ in 1..=5 {
        assert_eq!(attempt(&s, "camille.martin", "Mauvais123").await, 200);
    }
    // Fifth failure: for one minute even the right password fails, generically.
    assert_eq!(attempt(&s, "camille.martin", PASSWORD).await, 200);
    clock.advance(time::Duration::seconds(61));
    assert_eq!(
        attempt(&s, "camille.martin", PASSWORD).await,
        303,
        "after the delay, and the counter resets"
    );

    ten_failures(&s, &clock).await;
    let links = unlock_mails(&env).await;
    assert_eq!(links.len(), 1, "the block mails an unlock link once");
    assert_eq!(
        attempt(&s, "camille.martin", PASSWORD).await,
        200,
        "blocked"
    );
    clock.advance(time::Duration::hours(1) - time::Duration::minutes(1));
    assert_eq!(
        attempt(&s, "camille.martin", PASSWORD).await,
        200,
        "still blocked"
    );
    assert_eq!(
        unlock_mails(&env).await.len(),
        1,
        "no new mail while blocked"
    );

    // The unlock link: GET shows a button, POST unlocks at once.
    let link = &links[0];
    let html = s.get(link).await.text().await.expect("body");
    assert!(html.contains("Débloquer mon compte"), "{html}");
    assert_eq!(
        attempt(&s, "camille.martin", PASSWORD).await,
        200,
        "a GET unlocks nothing"
    );
    let html = s.get(link).await.text().await.expect("body");
    let code = link.split("code=").nth(1).expect("code");
    let r = s
        .client
        .post(format!("{}/deblocage", s.url))
        .form(&[("csrf", csrf_of(&html).as_str()), ("code", code)])
        .send()
        .await
        .expect("post");
    assert!(r.text().await.expect("body").contains("Compte débloqué"));
    assert_eq!(attempt(&s, "camille.martin", PASSWORD).await, 303);
    assert_eq!(s.get(link).await.status(), 404, "single use");

    // Blocked again: without the link, 24 hours end the block.
    ten_failures(&s, &clock).await;
    assert_eq!(attempt(&s, "camille.martin", PASSWORD).await, 200);
    clock.advance(time::Duration::hours(23));
    assert_eq!(attempt(&s, "camille.martin", PASSWORD).await, 200);
    clock.advance(time::Duration::hours(1) + time::Duration::seconds(1));
    assert_eq!(attempt(&s, "camille.martin", PASSWORD).await, 303);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'account_blocked'")
            .await,
        2
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'account_unlocked'")
            .await,
        1
    );
}

// AUTH-09 (the limit part): beyond the per-address limit, 429 and no work.
#[tokio::test(flavor = "multi_thread")]
async fn one_address_spraying_identifiants_gets_429_with_retry_after() {
    let env = TestEnv::new();
    let clock = now_clock();
    let s = pupil_account(&env, clock, 3).await;
    for id in ["alice.a", "bruno.b", "chloe.c"] {
        assert_eq!(attempt(&s, id, "Mauvais123").await, 200);
    }
    let r = post_login(&s, "camille.martin", PASSWORD, None).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(
        (1..=60).contains(&retry),
        "until the minute is over: {retry}"
    );
    assert!(r.text().await.expect("body").contains("Trop de tentatives"));
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind LIKE 'login_%'")
            .await,
        3,
        "the refused attempt was not even evaluated"
    );
}

/// A login attempt said to come, through the proxy, from `client`.
async fn attempt_from(s: &TestServer, client: &str, id: &str) -> u16 {
    post_login(s, id, "Mauvais123", Some(client))
        .await
        .status()
        .as_u16()
}

// Behind a trusted reverse proxy, each client has its own limit (schools
// share a proxy; one spraying address must not lock the others out).
#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_the_limit_applies_per_forwarded_address() {
    // The limit counts per minute of the application clock: a fixed clock
    // keeps every attempt of the test in one minute.
    let clock = now_clock;
    let env = TestEnv::new();
    let s = TestServer::spawn_with_clock(&env, clock(), |c| {
        c.throttle.ip_failures_per_minute = 3;
        c.server.trusted_proxies = vec!["127.0.0.0/8".parse().expect("cidr")];
    })
    .await;
    for id in ["alice.a", "bruno.b", "chloe.c"] {
        assert_eq!(attempt_from(&s, "198.51.100.1", id).await, 200);
    }
    assert_eq!(attempt_from(&s, "198.51.100.1", "denis.d").await, 429);
    assert_eq!(
        attempt_from(&s, "198.51.100.2", "denis.d").await,
        200,
        "another client"
    );
    // Without the proxy trusted, the header is ignored: all share the peer.
    let env = TestEnv::new();
    let s = TestServer::spawn_with_clock(&env, clock(), |c| {
        c.throttle.ip_failures_per_minute = 3;
    })
    .await;
    for (client, id) in [
        ("198.51.100.1", "alice.a"),
        ("198.51.100.2", "bruno.b"),
        ("198.51.100.3", "chloe.c"),
    ] {
        assert_eq!(attempt_from(&s, client, id).await, 200);
    }
    assert_eq!(attempt_from(&s, "198.51.100.4", "denis.d").await, 429);
}

// AUTH-12: a hash made with weaker parameters is upgraded at the next login.
#[tokio::test(flavor = "multi_thread")]
async fn a_weaker_hash_is_upgraded_in_place_at_login() {
    let env = TestEnv::new();
    let clock = now_clock();
    let weak = pupil_account_with(&env, clock.clone(), 1000, |c| {
        c.password.argon2_memory_kib = 8192;
        c.password.argon2_iterations = 1;
    })
    .await;
    drop(weak);
    let stored = || async {
        env.rows("SELECT password_hash FROM accounts").await[0][0]
            .clone()
            .unwrap_or_default()
    };
    assert!(
        stored().await.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"),
        "{}",
        stored().await
    );
    let s = TestServer::spawn_with_clock(&env, clock, |_| {}).await;
    assert_eq!(attempt(&s, "camille.martin", PASSWORD).await, 303);
    let hash = stored().await;
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert_eq!(
        attempt(&s, "camille.martin", PASSWORD).await,
        303,
        "the new hash verifies"
    );
    assert_eq!(stored().await, hash, "and is not rewritten again");
}

// AUTH-11: case and space variants share the account and its counter;
// look-alike letters from other alphabets are another (invalid) name.
#[tokio::test(flavor = "multi_thread")]
async fn identifiant_variants_share_one_counter_and_lookalikes_name_nobody() {
    let env = TestEnv::new();
    let clock = now_clock();
    let s = pupil_account(&env, clock, 1000).await;
    assert_eq!(
        attempt(&s, " Camille.MARTIN ", PASSWORD).await,
        303,
        "case and spaces do not matter"
    );
    for id in [
        "CAMILLE.MARTIN",
        " camille.martin",
        "Camille.Martin ",
        "camille.MARTIN",
        "Camille.martin",
    ] {
        assert_eq!(attempt(&s, id, "Mauvais123").await, 200);
    }
    // Five failures under five spellings: one counter, now delaying.
    assert_eq!(
        attempt(&s, "camille.martin", PASSWORD).await,
        200,
        "the same counter"
    );
    for lookalike in ["ｃamille.martin", "саmille.martin"] {
        assert_eq!(
            attempt(&s, lookalike, PASSWORD).await,
            200,
            "{lookalike} is no account"
        );
    }
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
}

/// Runs `n` login attempts, `at_once` at a time; answers how many got each
/// status.
async fn in_parallel(
    s: &TestServer,
    n: usize,
    at_once: usize,
    attempt: impl Fn(usize) -> (String, String, Option<String>),
) -> std::collections::BTreeMap<u16, usize> {
    let gate = Arc::new(tokio::sync::Semaphore::new(at_once));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (id, pw, client) = attempt(i);
        let (url, gate) = (s.url.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("permit");
            let s = TestServer::remote(&url);
            post_login(&s, &id, &pw, client.as_deref())
                .await
                .status()
                .as_u16()
        });
    }
    let mut by_status = std::collections::BTreeMap::new();
    while let Some(status) = tasks.join_next().await {
        *by_status.entry(status.expect("task")).or_default() += 1;
    }
    by_status
}

// CONC-01: 400 wrong logins from one address, 40 at once: no more password
// checks than the address's limit; the rest refused (429) before any hash.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_wrong_logins_from_one_address_get_no_more_checks_than_the_limit() {
    let env = TestEnv::new();
    // The minute does not end during the test, however slow the machine.
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock, |c| {
        c.throttle.ip_failures_per_minute = 20;
        // 40 requests at once on a loaded test machine: Redis may answer
        // late, which is not what this test is about.
        c.redis.timeout_ms = 10_000;
    })
    .await;
    let by_status = in_parallel(&s, 400, 40, |i| {
        (format!("eleve.{i}"), "Mauvais123".into(), None)
    })
    .await;
    assert_eq!(by_status.values().sum::<usize>(), 400);
    assert!(
        by_status.get(&200).copied().unwrap_or(0) <= 20,
        "at most 20 checked: {by_status:?}"
    );
    assert!(
        by_status.get(&429).copied().unwrap_or(0) >= 380,
        "{by_status:?}"
    );
    assert!(
        env.count(
            "SELECT COUNT(*) FROM audit_events WHERE kind IN ('login_failed', 'login_refused')"
        )
        .await
            <= 20,
        "no attempt beyond the limit reached the accounts"
    );
}

// CONC-02: 12 attempts at once on one account from 12 addresses get no more
// guesses than the schedule allows (AUTH-05: four, then the fifth sets a
// delay); the others are refused unchecked.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_attempts_on_one_account_get_only_the_guesses_of_the_schedule() {
    let env = TestEnv::new();
    let clock = now_clock();
    let s = pupil_account_with(&env, clock, 1000, |c| {
        c.server.trusted_proxies = vec!["127.0.0.0/8".parse().expect("cidr")];
    })
    .await;
    let by_status = in_parallel(&s, 12, 12, |i| {
        (
            "camille.martin".into(),
            format!("Mauvais{i}x"),
            Some(format!("198.51.100.{}", i + 1)),
        )
    })
    .await;
    assert_eq!(by_status.get(&200), Some(&12), "{by_status:?}");
    let delay_after = sesame_service::Config::default()
        .throttle
        .account_delay_after;
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_failed'")
            .await,
        delay_after,
        "passwords compared"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_refused'")
            .await,
        12 - delay_after,
        "refused unchecked"
    );
    assert_eq!(
        attempt(&s, "camille.martin", PASSWORD).await,
        200,
        "the delay holds even for the right password"
    );
}
