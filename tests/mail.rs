//! The mail worker against a real SMTP conversation that misbehaves
//! (SECURITY.md MAIL-01…05): refused connections, 421 then 250, 550, a
//! server that stalls, the retry budget, and two workers sharing one
//! database. Nothing is lost; every mail is delivered once.

use crate::support::fixtures::{
    Signup, code_of, confirmation_links, follow_link, martin_family, sign_up,
};
use crate::support::{
    MailSink, Smtp, SmtpServer, TestEnv, TestServer, TestTls, csrf_of, free_port, parse_message,
    worker_app,
};
use sesame_domain::FixedClock;
use sesame_service::App;
use sesame_service::mailer::{self, Mailer};
use sesame_store::outbox::{self, NewMail};
use std::sync::Arc;

fn smtp_on(port: u16) -> impl FnOnce(&mut sesame_service::Config) {
    move |c| {
        c.mail.transport = sesame_service::config::MailTransport::Smtp;
        c.mail.smtp.host = "127.0.0.1".into();
        c.mail.smtp.port = port;
        c.mail.smtp.tls = sesame_service::config::SmtpTls::None;
        c.mail.send_timeout_secs = 2;
    }
}

async fn queue(app: &App, n: usize) {
    for i in 0..n {
        enqueue(app, &format!("message {i}"), "Bonjour,\nun test.\n").await;
    }
}

/// Queues one mail to a parent.
async fn enqueue(app: &App, subject: &str, text: &str) {
    outbox::enqueue(
        app.db.conn(),
        NewMail {
            account_id: None,
            to: "parent@example.org",
            subject,
            text,
            html: "<p>Bonjour, un test.</p>",
        },
        app.clock.now(),
    )
    .await
    .expect("enqueue");
}

async fn states(env: &TestEnv) -> Vec<(String, String)> {
    env.rows("SELECT state, CAST(attempts AS TEXT) FROM mail_outbox ORDER BY id")
        .await
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            )
        })
        .collect()
}

// MAIL-01, MAIL-02 (temporary part)
#[tokio::test(flavor = "multi_thread")]
async fn refused_then_busy_then_accepted_delivers_once_with_backoff() {
    let env = TestEnv::new();
    let port = free_port();
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
    let app = worker_app(&env, clock.clone(), smtp_on(port)).await;
    let mailer = Mailer::new(&app.config).expect("mailer");
    queue(&app, 1).await;

    // Nobody listens: the mail waits.
    assert_eq!(mailer::run_once(&app, &mailer).await.expect("round"), 0);
    assert_eq!(states(&env).await, [("pending".into(), "1".into())]);
    assert_eq!(
        mailer::run_once(&app, &mailer).await.expect("round"),
        0,
        "not before its backoff"
    );
    assert_eq!(states(&env).await[0].1, "1");

    // The server comes up, busy (421) at first, then accepting.
    let smtp =
        SmtpServer::scripted_on(port, |n| if n == 0 { Smtp::Busy } else { Smtp::Accept }).await;
    clock.advance(time::Duration::seconds(61));
    assert_eq!(mailer::run_once(&app, &mailer).await.expect("round"), 0);
    assert_eq!(states(&env).await, [("pending".into(), "2".into())]);
    clock.advance(time::Duration::seconds(121));
    assert_eq!(mailer::run_once(&app, &mailer).await.expect("round"), 1);
    assert_eq!(states(&env).await, [("sent".into(), "3".into())]);
    assert_eq!(smtp.messages().len(), 1);
    clock.advance(time::Duration::hours(1));
    assert_eq!(
        mailer::run_once(&app, &mailer).await.expect("round"),
        0,
        "sent once"
    );
    assert_eq!(smtp.messages().len(), 1);
}

// MAIL-02 (permanent part), MAIL-03
#[tokio::test(flavor = "multi_thread")]
async fn a_550_fails_at_once_and_the_budget_abandons_the_rest_until_retried() {
    let env = TestEnv::new();
    let smtp = SmtpServer::scripted(|_| Smtp::Reject).await;
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
    let app = worker_app(&env, clock.clone(), smtp_on(smtp.port)).await;
    let mailer = Mailer::new(&app.config).expect("mailer");
    queue(&app, 1).await;
    assert_eq!(mailer::run_once(&app, &mailer).await.expect("round"), 0);
    assert_eq!(states(&env).await, [("failed".into(), "1".into())]);
    let list = env.sesame(&["mail", "list", "--state", "failed"]).ok();
    assert!(
        list.contains("550") && !list.contains("parent@example.org"),
        "{list}"
    );

    // Nobody listening for a day and more: abandoned and visible; its body
    // is erased (REST-01), so it cannot be queued again.
    let dead = free_port();
    let app = worker_app(&env, clock.clone(), smtp_on(dead)).await;
    let mailer = Mailer::new(&app.config).expect("mailer");
    env.rows("DELETE FROM mail_outbox").await;
    queue(&app, 1).await;
    for _ in 0..60 {
        mailer::run_once(&app, &mailer).await.expect("round");
        clock.advance(time::Duration::minutes(31));
    }
    assert_eq!(states(&env).await[0].0, "abandoned");
    let out = env.sesame(&["mail", "retry", "--all"]).ok();
    assert!(
        out.contains("0 courriel(s) remis en file d'attente.")
            && out.contains("la personne doit refaire sa demande"),
        "{out}"
    );
    assert_eq!(states(&env).await[0].0, "abandoned");
}

// MAIL-04
#[tokio::test(flavor = "multi_thread")]
async fn a_stalling_server_times_out_and_the_mail_waits() {
    let env = TestEnv::new();
    let smtp = SmtpServer::scripted(|_| Smtp::Stall).await;
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
    let app = worker_app(&env, clock, smtp_on(smtp.port)).await;
    let mailer = Mailer::new(&app.config).expect("mailer");
    queue(&app, 1).await;
    // A guard, not a speed target: without the SMTP timeout the round
    // would wait on the stalling server forever.
    let round = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        mailer::run_once(&app, &mailer),
    )
    .await
    .expect("the attempt was not cut short by the SMTP timeout");
    assert_eq!(round.expect("round"), 0);
    assert_eq!(states(&env).await, [("pending".into(), "1".into())]);
    let err = env.rows("SELECT last_error FROM mail_outbox").await;
    assert!(
        err[0][0].as_deref().unwrap_or("").contains("timed out"),
        "{err:?}"
    );
}

// MAIL-05: two nodes on one database; each mail delivered once.
#[tokio::test(flavor = "multi_thread")]
async fn two_workers_on_one_database_deliver_each_mail_once() {
    let env = TestEnv::new();
    let smtp = SmtpServer::start().await;
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
    let a = Arc::new(worker_app(&env, clock.clone(), smtp_on(smtp.port)).await);
    let b = Arc::new(worker_app(&env, clock, smtp_on(smtp.port)).await);
    queue(&a, 60).await;
    let node = |app: Arc<App>| {
        tokio::spawn(async move {
            let mailer = Mailer::new(&app.config).expect("mailer");
            let mut sent = 0;
            for _ in 0..20 {
                sent += mailer::run_once(&app, &mailer).await.expect("round");
            }
            sent
        })
    };
    let (x, y) = (node(a), node(b));
    let (x, y) = (x.await.expect("node a"), y.await.expect("node b"));
    assert_eq!(x + y, 60, "node a sent {x}, node b sent {y}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 60);
    let mut subjects: Vec<&str> = messages
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("Subject:")))
        .collect();
    subjects.sort_unstable();
    subjects.dedup();
    assert_eq!(subjects.len(), 60, "no mail twice");
}

/// What the outbox row of each mail keeps: (state, recipient, pseudonym,
/// subject, text, html, sent_at), oldest first.
async fn kept(env: &TestEnv) -> Vec<Vec<String>> {
    env.rows(
        "SELECT state, recipient, recipient_pseudonym, subject, text_body, html_body, \
         CAST(sent_at AS TEXT) FROM mail_outbox ORDER BY id",
    )
    .await
    .into_iter()
    .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
    .collect()
}

// REST-01: a mail carrying a link, delivered through SMTP, and a mail
// carrying a temporary password, abandoned: neither row keeps its body nor
// the address; the delivered link still works; support still finds both.
#[tokio::test(flavor = "multi_thread")]
async fn delivered_and_abandoned_mails_keep_no_body_nor_address() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let sink = MailSink::start(&env).await;
    let codes = martin_family(&env);
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let form = Signup::olivier(&jb);
    assert_eq!(sign_up(&s, &form).await.0, 200);
    assert!(kept(&env).await[0][4].contains("/confirmation?code="));
    let link = confirmation_links(&sink.mails().await).remove(0);
    let rows = kept(&env).await;
    let sent = &rows[0];
    assert_eq!(sent[0], "sent");
    assert_eq!(sent[1], "", "address erased");
    assert_eq!(sent[2].len(), 16, "a pseudonym instead: {sent:?}");
    assert!(sent[3].contains("confirmez"), "the subject stays: {sent:?}");
    assert_eq!(
        (sent[4].as_str(), sent[5].as_str()),
        ("", ""),
        "bodies erased"
    );
    assert!(!sent[6].is_empty(), "sent_at stays");
    // Delivered before the erasure: the link works.
    let (status, body) = follow_link(&s, &link).await;
    assert_eq!(status, 200);
    assert!(body.contains("Votre compte est confirmé"), "{body}");

    // A temporary password that never reaches the SMTP server.
    let browser = TestServer::browser();
    let url = format!("{}/mot-de-passe-oublie", s.url);
    let html = browser
        .get(&url)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let r = browser
        .post(&url)
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("valeur", "olivier.martin"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    for _ in 0..100 {
        if kept(&env).await.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        kept(&env).await[1][0],
        "pending",
        "the recovery mail is queued"
    );
    assert!(!kept(&env).await[1][4].is_empty());
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
    let dead = worker_app(&env, clock.clone(), smtp_on(free_port())).await;
    let mailer = Mailer::new(&dead.config).expect("mailer");
    for _ in 0..60 {
        mailer::run_once(&dead, &mailer).await.expect("round");
        clock.advance(time::Duration::minutes(31));
    }
    let rows = kept(&env).await;
    let abandoned = &rows[1];
    assert_eq!(abandoned[0], "abandoned");
    assert_eq!(abandoned[1], "");
    assert_eq!(abandoned[2], sent[2], "one pseudonym per address");
    assert_eq!((abandoned[4].as_str(), abandoned[5].as_str()), ("", ""));
    assert_eq!(
        env.count("SELECT COUNT(*) FROM mail_outbox WHERE last_error LIKE '%example.org%'")
            .await,
        0
    );

    // Support: both mails to the address, without the address.
    let list = env
        .sesame(&["mail", "list", "--to", "Olivier.Martin@example.org"])
        .ok();
    assert!(
        list.contains("2 courriel(s).") && list.contains(&sent[2]) && !list.contains("olivier"),
        "{list}"
    );
}

// Issue 18 §7: every mail has a Message-ID under the sender's domain and a
// Date; `sesame mail send --now` ignores the backoff.
#[tokio::test(flavor = "multi_thread")]
async fn mails_carry_message_id_and_date_and_send_now_skips_the_backoff() {
    let env = TestEnv::new();
    let port = free_port();
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
    let app = worker_app(&env, clock, smtp_on(port)).await;
    let mailer = Mailer::new(&app.config).expect("mailer");
    queue(&app, 2).await;
    // Nobody listens: both wait for their backoff.
    assert_eq!(mailer::run_once(&app, &mailer).await.expect("round"), 0);
    assert_eq!(states(&env).await[0], ("pending".into(), "1".into()));
    let smtp = SmtpServer::scripted_on(port, |_| Smtp::Accept).await;
    let smtp_env = [
        ("SESAME__MAIL__TRANSPORT", "smtp"),
        ("SESAME__MAIL__SMTP__HOST", "127.0.0.1"),
        ("SESAME__MAIL__SMTP__TLS", "none"),
    ];
    let port_s = port.to_string();
    let mut with_port = smtp_env.to_vec();
    with_port.push(("SESAME__MAIL__SMTP__PORT", &port_s));
    let out = env.sesame_with(&["mail", "send"], &with_port).ok();
    assert!(
        out.contains("0 courriel(s) envoyé(s)."),
        "backoff kept: {out}"
    );
    let out = env.sesame_with(&["mail", "send", "--now"], &with_port).ok();
    assert!(out.contains("2 courriel(s) envoyé(s)."), "{out}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2);
    let domain = app.config.mail.from.rsplit('@').next().expect("domain");
    let domain = domain.trim_end_matches('>');
    let mut ids = Vec::new();
    for m in &messages {
        let header = |name: &str| {
            m.lines()
                .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
                .unwrap_or_else(|| panic!("no {name} in {m}"))
                .to_owned()
        };
        let id = header("message-id");
        assert!(id.ends_with(&format!("@{domain}>")), "{id}");
        assert!(header("date").len() > "Date: ".len() + 10);
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 2, "one id per mail");
    let list = json_list(&env);
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    assert_eq!(list[0]["state"], "sent");
}

// The tests' mailbox reads a text part up to its MIME boundary: a line of
// the text that begins with `--` (a signature, or a 43-character link code
// that a quoted-printable soft line break cut before its `--`) is text.
// Reading up to any `--` once cut a confirmation link short in CI.
#[tokio::test(flavor = "multi_thread")]
async fn a_text_line_beginning_with_dashes_is_read_whole() {
    let env = TestEnv::new();
    let smtp = SmtpServer::start().await;
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
    let app = worker_app(&env, clock, smtp_on(smtp.port)).await;
    let code = "--xY_9-aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
    let texts = (60..80)
        .map(|pad| {
            format!(
                "Bonjour, élève.\n{}{code}\n-- \nL'équipe\n",
                "a".repeat(pad)
            )
        })
        .collect::<Vec<_>>();
    for (i, text) in texts.iter().enumerate() {
        enqueue(&app, &format!("message {i}"), text).await;
    }
    let mailer = Mailer::new(&app.config).expect("mailer");
    while mailer::run_once(&app, &mailer).await.expect("round") > 0 {}
    let mut read = smtp
        .messages()
        .iter()
        .map(|m| parse_message(m))
        .collect::<Vec<_>>();
    read.sort_by_key(|(_, subject, _)| subject[8..].parse::<usize>().expect("number"));
    let read = read
        .into_iter()
        .map(|(_, _, text)| text)
        .collect::<Vec<_>>();
    assert_eq!(read, texts);
}

fn json_list(env: &TestEnv) -> serde_json::Value {
    let out = env.sesame(&["mail", "list", "--json"]).ok();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

// Issue 18 §9: a relay whose certificate a private authority signs (Mailpit
// in the compose trial) is reached over STARTTLS with `mail.smtp.ca_file`;
// without it the certificate is refused, the mail stays pending and the
// error is logged.
#[tokio::test(flavor = "multi_thread")]
async fn starttls_to_a_private_authority_delivers_with_ca_file_only() {
    let env = TestEnv::new();
    let tls = TestTls::new();
    let smtp = SmtpServer::starttls(&tls).await;
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
    let app = worker_app(&env, clock, |_| {}).await;
    queue(&app, 1).await;
    let port = smtp.port.to_string();
    let ca = tls.ca.to_str().expect("utf8").to_owned();
    let mut vars = vec![
        ("SESAME__MAIL__TRANSPORT", "smtp"),
        ("SESAME__MAIL__SMTP__HOST", "127.0.0.1"),
        ("SESAME__MAIL__SMTP__PORT", port.as_str()),
        ("SESAME__MAIL__SMTP__TLS", "starttls"),
    ];
    let run = env.sesame_with(&["mail", "send", "--now"], &vars);
    let out = run.ok();
    assert!(out.contains("0 courriel(s) envoyé(s)."), "{out}");
    let err = run.stderr();
    assert!(
        err.contains("mail not sent") && err.to_lowercase().contains("certificate"),
        "the refusal is logged: {err}"
    );
    assert_eq!(states(&env).await, vec![("pending".into(), "1".into())]);
    assert!(smtp.messages().is_empty());

    vars.push(("SESAME__MAIL__SMTP__CA_FILE", ca.as_str()));
    let out = env.sesame_with(&["mail", "send", "--now"], &vars).ok();
    assert!(out.contains("1 courriel(s) envoyé(s)."), "{out}");
    assert_eq!(states(&env).await[0].0, "sent");
    let messages = smtp.messages();
    assert_eq!(
        messages.len(),
        1,
        "delivered once, over TLS (the sink requires it)"
    );
    assert!(messages[0].contains("message 0"), "{}", messages[0]);

    // A ca_file without TLS, or that is no certificate: refused, named.
    let mut plain = vars.clone();
    plain[3] = ("SESAME__MAIL__SMTP__TLS", "none");
    let err = env.sesame_with(&["check-config"], &plain).fails_with(3);
    assert!(err.contains("mail.smtp.ca_file"), "{err}");
    let bad = env.write("not-a-ca.pem", "hello");
    let mut bad_vars = vars.clone();
    bad_vars[4] = ("SESAME__MAIL__SMTP__CA_FILE", bad.to_str().expect("utf8"));
    let err = env.sesame_with(&["check-config"], &bad_vars).fails_with(3);
    assert!(err.contains("holds no PEM certificate"), "{err}");
}
