//! A pending account: expiry and purge, the confirmation mail over SMTP,
//! one account for a code submitted at once, the guessing limit.

use super::*;

// ACT-06 (link side), ACT-08
#[tokio::test(flavor = "multi_thread")]
async fn an_unconfirmed_account_expires_after_a_week_and_its_codes_work_again() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let jb_o = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    let form = Signup {
        joint: false,
        rows: vec![["Jean-Baptiste", "03/02/2011", &jb_o, ""]],
        identifiant: "olivier.m",
        password: PASSWORD,
        email: "olivier.martin@example.org",
    };
    assert_eq!(sign_up(&s, &form).await.0, 200);
    let link = confirmation_links(&outbox(&env).await).remove(0);

    clock.advance(time::Duration::days(7) + time::Duration::seconds(1));
    let (status, html) = page(&s.client, &format!("{}{link}", s.url)).await;
    assert_eq!(status, 410);
    assert!(html.contains("Lien expiré"), "{html}");
    // The same codes create the account again; the old one is purged.
    let again = Signup {
        identifiant: "olivier.m2",
        ..form
    };
    let (status, body) = sign_up(&s, &again).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE identifiant = 'olivier.m2'")
            .await,
        1
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'account_purged'")
            .await,
        1
    );
    assert_eq!(
        confirmation_links(&outbox(&env).await).len(),
        1,
        "the old mail went with its account"
    );

    // The periodic purge (here its command) on an account created 8 days ago.
    let sophie = code_of(&codes, "Sophie MARTIN", "Camille");
    let old = Arc::new(FixedClock::new(
        time::OffsetDateTime::now_utc() - time::Duration::days(8),
    ));
    let past = TestServer::spawn_with_clock(&env, old, |_| {}).await;
    let form = Signup {
        joint: false,
        rows: vec![["Camille", "16/06/2013", &sophie, ""]],
        identifiant: "sophie.m",
        password: PASSWORD,
        email: "sophie.martin@example.org",
    };
    assert_eq!(sign_up(&past, &form).await.0, 200);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM activation_codes WHERE used_by_account_id IS NOT NULL")
            .await,
        2
    );
    let out = env.sesame(&["accounts", "purge"]).ok();
    assert!(
        out.contains("1 compte(s) non confirmé(s) supprimé(s)."),
        "{out}"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE identifiant = 'sophie.m'")
            .await,
        0
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM activation_codes WHERE used_by_account_id IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM account_pupils").await,
        1,
        "no orphan child link"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM mail_outbox WHERE recipient = 'sophie.martin@example.org'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_confirmation_mail_goes_through_a_real_smtp_conversation() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let ca_o = code_of(&codes, "Olivier MARTIN", "Camille");
    let smtp = SmtpServer::start().await;
    let s = TestServer::spawn(&env, |_| {}).await;
    let form = Signup {
        joint: false,
        rows: vec![["Camille", "16/06/2013", &ca_o, ""]],
        identifiant: "olivier.martin",
        password: PASSWORD,
        email: "olivier.martin@example.org",
    };
    assert_eq!(sign_up(&s, &form).await.0, 200);

    let port = smtp.port.to_string();
    let env2 = std::sync::Arc::new(env);
    let e = env2.clone();
    let out = tokio::task::spawn_blocking(move || {
        e.sesame_with(
            &["mail", "send"],
            &[
                ("SESAME__MAIL__TRANSPORT", "smtp"),
                ("SESAME__MAIL__SMTP__HOST", "127.0.0.1"),
                ("SESAME__MAIL__SMTP__PORT", &port),
                ("SESAME__MAIL__SMTP__TLS", "none"),
            ],
        )
        .ok()
    })
    .await
    .expect("join");
    assert!(out.contains("1 courriel(s) envoyé(s)."), "{out}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let raw = &messages[0];
    assert!(raw.contains("To: olivier.martin@example.org"), "{raw}");
    assert!(
        raw.contains("multipart/alternative") && raw.contains("text/html"),
        "{raw}"
    );
    let text = decode_qp(raw);
    let link = link_in(&text, "/confirmation");
    assert_eq!(
        env2.count("SELECT COUNT(*) FROM mail_outbox WHERE state = 'sent'")
            .await,
        1
    );

    let (status, body) = follow_link(&s, &link).await;
    assert_eq!(status, 200);
    assert!(body.contains("Votre compte est confirmé"), "{body}");
    let (status, location, _) = log_in_answer(&s.client, &s.url, &OLIVIER).await;
    assert_eq!((status, location.as_str()), (303, "/"));
}

// ACT-07: one code, three simultaneous sign-ups: exactly one account.
#[tokio::test(flavor = "multi_thread")]
async fn a_code_submitted_three_times_at_once_opens_exactly_one_account() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let code = code_of(&codes, "Sophie MARTIN", "Jean-Baptiste");
    let s = Arc::new(TestServer::spawn(&env, |_| {}).await);
    let url = format!("{}/premiere-visite/parent", s.url);
    let mut tasks = Vec::new();
    for i in 0..3 {
        let c = TestServer::browser();
        let (_, html) = page(&c, &url).await;
        let id = format!("sophie.{i}");
        let form = Signup {
            joint: false,
            rows: vec![["Jean-Baptiste", "03/02/2011", &code, ""]],
            identifiant: &id,
            password: PASSWORD,
            email: "sophie.martin@example.org",
        }
        .form(&csrf_of(&html), "creer");
        let url = url.clone();
        tasks.push(tokio::spawn(async move { post(&c, &url, &form).await }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        let (status, _, body) = t.await.expect("join");
        assert!(
            status == 303
                || body.contains("servi à créer un compte")
                || body.contains("utilisé pour créer un autre compte"),
            "{status}: {body}"
        );
        statuses.push(status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 422, 422]);
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM account_pupils").await, 1);
}

// ACT-04: one address failing activations is stopped after 10 per hour.
#[tokio::test(flavor = "multi_thread")]
async fn one_address_guessing_codes_is_stopped_after_ten_failures() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let good = code_of(&codes, "Olivier MARTIN", "Camille");
    let s = TestServer::spawn(&env, |_| {}).await;
    for i in 0..10 {
        let guess = format!("AAAA-BBBB-CCCC{}", i % 10);
        let form = Signup {
            joint: false,
            rows: vec![["Camille", "16/06/2013", &guess, ""]],
            identifiant: "devineur",
            password: PASSWORD,
            email: "x@example.org",
        };
        let (status, _) = sign_up(&s, &form).await;
        assert_eq!(status, 422, "guess {i}");
    }
    // The eleventh attempt is refused before any lookup, even with the right code.
    let form = Signup {
        joint: false,
        rows: vec![["Camille", "16/06/2013", &good, ""]],
        identifiant: "olivier.m",
        password: PASSWORD,
        email: "olivier.martin@example.org",
    };
    let (status, body) = sign_up(&s, &form).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("Trop de tentatives"));
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}
