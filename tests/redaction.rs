//! REST-03: secrets stay out of what Sésame prints: `check-config`, the
//! production checks on keys, the debug logs of `sesame serve`.

use crate::support::fixtures::{
    ENT as SERVICE, KEY_A, KEY_B, KEY_C, Signup, code_of, follow_link, martin_family, register_ent,
    sign_up,
};
use crate::support::http::{enc, get, location, page};
use crate::support::serve::Served;
use crate::support::{OLIVIER, SmtpServer, TestEnv, TestServer, link_in, log_in, parse_message};

// REST-03 (a): a password in the database URL's query is masked like the
// userinfo's.
#[test]
fn check_config_masks_passwords_in_the_database_url_query() {
    let env = TestEnv::new();
    for url in [
        "postgres://sesame@db.example/sesame?password=hunter2secret&sslmode=require",
        "postgres://sesame@db.example/sesame?sslmode=verify-full&sslpassword=hunter2secret",
        "postgres://sesame:hunter2secret@db.example/sesame?PASSWORD=hunter2secret",
    ] {
        let out = env
            .sesame_with(&["check-config"], &[("SESAME__DATABASE__URL", url)])
            .ok();
        assert!(!out.contains("hunter2secret"), "password printed: {out}");
        assert!(
            out.contains("db.example") && out.contains("********"),
            "{out}"
        );
        assert!(
            out.contains("sslmode=") || out.contains("@db.example"),
            "{out}"
        );
    }
}

// REST-03 (b): production refuses keys that are long enough but
// predictable, naming the key and the reason.
#[test]
fn production_refuses_low_entropy_secrets() {
    let env = TestEnv::new();
    // A production configuration with nothing else `check-config` refuses
    // (tests/config.rs): only the keys vary.
    let logo = env.write("logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    std::fs::create_dir_all(env.path().join("services")).expect("mkdir");
    let f = env.write(
        "prod.toml",
        format!(
            "[server]\nmode = \"production\"\npublic_url = \"https://sesame.example.org/\"\nservices_dir = \"{}\"\n[branding]\nacademie = \"Académie d'Exemple\"\nlogo = \"{}\"\nportal_url = \"https://ent.example.org/\"\n[mail]\nfrom = \"ne-pas-repondre@example.org\"\n",
            env.path().join("services").display(),
            logo.display()
        ),
    );
    let run = |token_key: &str| {
        env.sesame_with(
            &["--config", f.to_str().expect("utf8"), "check-config"],
            &[
                ("SESAME__SECRETS__CODE_HMAC_KEY", KEY_A),
                ("SESAME__SECRETS__COOKIE_KEY", KEY_B),
                ("SESAME__SECRETS__TOKEN_HMAC_KEY", token_key),
            ],
        )
    };
    for (key, reason) in [
        (
            "0123456789abcdef0123456789abcdef0123456789abcdef",
            "low entropy",
        ),
        ("0123456789abcdefghijklmnopqrstuvwxyzABCDEF", "sequential"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "distinct"),
        ("abcabcabcabcabcabcabcabcabcabcabcabcabcabc", "low entropy"),
        (
            "Kq7mWz4pX2RtKq7mWz4pX2RtKq7mWz4pX2RtKq7mWz4pX2Rt",
            "repeated",
        ),
        ("zyxwvutsrqponmlkjihgfedcba9876543210ZYXWVU", "sequential"),
    ] {
        let err = run(key).fails_with(3);
        assert!(
            err.contains("secrets.token_hmac_key") && err.contains(reason),
            "{key}: {err}"
        );
        assert!(!err.contains(key), "the key itself is printed: {err}");
    }
    run(KEY_C).ok();
    let generated = env.sesame(&["secret"]).ok();
    run(generated.trim()).ok();
}

// REST-03 (c): with RUST_LOG=debug, a confirmation link's code, a CAS
// login, its ticket and its validation leave no secret in the logs of
// `sesame serve`: the request span shows the query with values masked.
#[tokio::test(flavor = "multi_thread")]
async fn debug_logs_show_no_ticket_code_or_token() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    register_ent(&env);
    let smtp = SmtpServer::start().await;
    let smtp_port = smtp.port.to_string();
    let services = env.path().join("services");
    let served = Served::start(
        &env,
        &[
            (
                "SESAME__SERVER__SERVICES_DIR",
                services.to_str().expect("utf8"),
            ),
            ("SESAME__PASSWORD__ARGON2_MEMORY_KIB", "8192"),
            ("SESAME__PASSWORD__ARGON2_ITERATIONS", "1"),
            ("SESAME__MAIL__TRANSPORT", "smtp"),
            ("SESAME__MAIL__SMTP__HOST", "127.0.0.1"),
            ("SESAME__MAIL__SMTP__PORT", &smtp_port),
            ("SESAME__MAIL__SMTP__TLS", "none"),
            ("RUST_LOG", "debug"),
        ],
    )
    .await;
    let base = served.url.clone();
    let remote = TestServer::remote(&base);

    // A parent signs up, and opens the mailed confirmation link.
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let (status, body) = sign_up(&remote, &Signup::olivier(&jb)).await;
    assert_eq!(status, 200, "{body}");
    let mut text = None;
    for _ in 0..300 {
        if let Some(m) = smtp.messages().first() {
            text = Some(parse_message(m).2);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let link = link_in(&text.expect("a confirmation mail"), "/confirmation");
    let code = link.split("code=").nth(1).expect("code").to_owned();
    assert_eq!(follow_link(&remote, &link).await.0, 200);

    // CAS login, ticket, validation.
    let browser = TestServer::browser();
    let r = log_in(&browser, &base, &OLIVIER, &[]).await;
    assert_eq!(r.status(), 303);
    let r = get(
        &browser,
        &format!("{base}/cas/login?service={}", enc(SERVICE)),
    )
    .await;
    let ticket = location(&r)
        .split("ticket=")
        .nth(1)
        .expect("ticket")
        .to_owned();
    let (_, body) = page(
        &browser,
        &format!(
            "{base}/cas/p3/serviceValidate?ticket={ticket}&service={}",
            enc(SERVICE)
        ),
    )
    .await;
    assert!(body.contains("cas:authenticationSuccess"), "{body}");
    drop(served);

    let logs = std::fs::read_to_string(env.path().join("serve.log")).expect("log");
    for (what, secret) in [("ticket", &ticket), ("confirmation code", &code)] {
        assert!(
            !logs.contains(secret.as_str()),
            "{what} {secret} in the logs"
        );
    }
    assert!(
        logs.contains("serviceValidate?ticket=[masqué]"),
        "the debug request lines are there, masked: {logs}"
    );
}
