//! Wrong, expired and exhausted codes; a wrong child; the throttles, with
//! 40 parallel requests each.

use super::*;
use crate::support::fixtures::now_clock;

/// Asks a code for Anaïs in `browser` and delivers it; answers the code.
async fn code_for_anais(env: &TestEnv, browser: &Client, base: &str) -> String {
    let (status, _, _) = ask_code(browser, base, MOBILE).await;
    assert_eq!(status, 303);
    send(env);
    let sent = delivered(env);
    code_in(&sent.last().expect("a message").1)
}

fn other_than(code: &str) -> String {
    let n: u32 = code.parse().expect("digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_code_is_refused_and_the_fifth_ends_the_code() {
    let env = TestEnv::new();
    family(&env);
    let s = sms_server(&env, None).await;
    let code = code_for_anais(&env, &s.client, &s.url).await;
    let wrong = other_than(&code);
    for left in (1..=4).rev() {
        let (status, _, body) = type_code(&s.client, &s.url, &wrong).await;
        assert_eq!(status, 422);
        assert!(
            body.contains(&format!("il vous reste {left} essai(s)")),
            "{body}"
        );
        assert!(body.contains("aria-invalid=\"true\""));
    }
    let (status, _, body) = type_code(&s.client, &s.url, &wrong).await;
    assert_eq!(status, 410);
    assert!(body.contains("Trop d&#39;essais erronés"), "{body}");
    assert_eq!(env.count("SELECT COUNT(*) FROM sms_challenges").await, 0);
    // The right code no longer opens anything: the code page leads back
    // to the number.
    let r =
        crate::support::http::get(&s.client, &format!("{}/premiere-visite/sms/code", s.url)).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(crate::support::http::location(&r), "/premiere-visite/sms");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_expires_after_ten_minutes() {
    let env = TestEnv::new();
    family(&env);
    let clock = now_clock();
    let s = sms_server(&env, Some(clock.clone())).await;
    let code = code_for_anais(&env, &s.client, &s.url).await;
    // The code page, taken before the deadline, is posted after it.
    let url = format!("{}/premiere-visite/sms/code", s.url);
    let (_, html) = page(&s.client, &url).await;
    clock.advance(time::Duration::minutes(10) + time::Duration::seconds(1));
    env.advance_store(std::time::Duration::from_secs(601)).await;
    let form = vec![
        ("csrf".to_owned(), csrf_of(&html)),
        ("code".to_owned(), code.clone()),
    ];
    let (status, _, body) = post(&s.client, &url, &form).await;
    assert_eq!(status, 410, "{body}");
    assert!(
        body.contains("est plus valable (il est valable 10 minutes)"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_child_is_refused_and_five_end_the_flow() {
    let env = TestEnv::new();
    family(&env);
    let s = sms_server(&env, None).await;
    let code = code_for_anais(&env, &s.client, &s.url).await;
    assert_eq!(type_code(&s.client, &s.url, &code).await.0, 303);
    // Jules is not hers; Zoé's date is wrong.
    for (prenom, date) in [
        ("Jules", "05/05/2012"),
        ("Zoé", "15/03/2015"),
        ("Zoe", "14/03/2016"),
        ("Léon", "21/12/2012"),
    ] {
        let (status, _, body) = submit(
            &s.client,
            &s.url,
            "/premiere-visite/sms/enfant",
            &[("prenom", prenom), ("naissance", date)],
        )
        .await;
        assert_eq!(status, 422, "{prenom}");
        assert!(body.contains("avons pas trouvé d&#39;enfant"), "{body}");
        assert!(body.contains(&format!("value=\"{prenom}\"")), "kept");
    }
    let (status, _, _) = submit(
        &s.client,
        &s.url,
        "/premiere-visite/sms/enfant",
        &[("prenom", "Zoé"), ("naissance", "01/01/2000")],
    )
    .await;
    assert_eq!(status, 410);
    assert_eq!(env.count("SELECT COUNT(*) FROM sms_challenges").await, 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}

/// GETs `n` number forms in `browser`: their CSRF tokens.
async fn tokens(browser: &Client, base: &str, path: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let (_, html) = page(browser, &format!("{base}{path}")).await;
        out.push(csrf_of(&html));
    }
    out
}

/// POSTs one form per token, all at once; answers the statuses.
async fn parallel(browser: &Client, url: &str, forms: Vec<Vec<(String, String)>>) -> Vec<u16> {
    let tasks: Vec<_> = forms
        .into_iter()
        .map(|form| {
            let b = browser.clone();
            let url = url.to_owned();
            tokio::spawn(async move { post(&b, &url, &form).await.0 })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(
            tokio::time::timeout(std::time::Duration::from_secs(120), t)
                .await
                .expect("hang guard")
                .expect("task"),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn forty_parallel_requests_for_one_number_send_three_codes() {
    let env = TestEnv::new();
    family(&env);
    let s = sms_server(&env, None).await;
    let path = "/premiere-visite/sms";
    let forms = tokens(&s.client, &s.url, path, 40)
        .await
        .into_iter()
        .map(|t| {
            vec![
                ("csrf".to_owned(), t),
                ("portable".to_owned(), MOBILE.to_owned()),
            ]
        })
        .collect();
    let statuses = parallel(&s.client, &format!("{}{path}", s.url), forms).await;
    let passed = statuses.iter().filter(|s| **s == 303).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((passed, refused), (3, 37), "{statuses:?}");
    assert_eq!(env.count("SELECT COUNT(*) FROM sms_outbox").await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn forty_parallel_requests_from_one_address_pass_ten() {
    let env = TestEnv::new();
    family(&env);
    let s = sms_server(&env, None).await;
    let path = "/premiere-visite/sms";
    let forms = tokens(&s.client, &s.url, path, 40)
        .await
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            vec![
                ("csrf".to_owned(), t),
                ("portable".to_owned(), format!("07 00 00 00 {i:02}")),
            ]
        })
        .collect();
    let statuses = parallel(&s.client, &format!("{}{path}", s.url), forms).await;
    let passed = statuses.iter().filter(|s| **s == 303).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((passed, refused), (10, 30), "{statuses:?}");
    assert_eq!(env.count("SELECT COUNT(*) FROM sms_challenges").await, 10);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM sms_outbox").await,
        0,
        "unknown numbers"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn forty_parallel_guesses_check_at_most_five_codes() {
    let env = TestEnv::new();
    family(&env);
    let s = sms_server(&env, None).await;
    let code = code_for_anais(&env, &s.client, &s.url).await;
    let path = "/premiere-visite/sms/code";
    let forms = tokens(&s.client, &s.url, path, 40)
        .await
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let guess = format!(
                "{:06}",
                (code.parse::<u32>().expect("digits") + 1 + i as u32) % 1_000_000
            );
            vec![("csrf".to_owned(), t), ("code".to_owned(), guess)]
        })
        .collect();
    let statuses = parallel(&s.client, &format!("{}{path}", s.url), forms).await;
    let checked = statuses.iter().filter(|s| **s == 422).count();
    assert!(checked <= 5, "at most five codes checked: {statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 422 || *s == 410),
        "{statuses:?}"
    );
    // Five attempts spent: the right code no longer works.
    let url = format!("{}{path}", s.url);
    let r = crate::support::http::get(&s.client, &url).await;
    assert_eq!(r.status().as_u16(), 303, "the flow is over");
    assert_eq!(env.count("SELECT COUNT(*) FROM sms_challenges").await, 0);
}
