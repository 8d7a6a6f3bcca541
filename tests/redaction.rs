//! REST-03: secrets stay out of what Sésame prints: `check-config`, the
//! production checks on keys, the debug logs of `sesame serve`.

use crate::support::TestEnv;

const GOOD_A: &str = "k3Jq9vL2xR7pT5wY8zB4nM6cF1hD0gSa-QeUo";
const GOOD_B: &str = "Zr8Wm2Qp5Lx9Vb3Nc7Ht1Jk4Gf6Dy0Se-AuIo";

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
    let f = env.write(
        "prod.toml",
        "[server]\nmode = \"production\"\npublic_url = \"https://sesame.example.org/\"\n",
    );
    let run = |token_key: &str| {
        env.sesame_with(
            &["--config", f.to_str().expect("utf8"), "check-config"],
            &[
                ("SESAME__SECRETS__CODE_HMAC_KEY", GOOD_A),
                ("SESAME__SECRETS__COOKIE_KEY", GOOD_B),
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
    run("Pf4Ks8Wd2Lm6Qz0Xr3Nv7Bj5Hc9Ty1Ga-EiOu").ok();
    let generated = env.sesame(&["secret"]).ok();
    run(generated.trim()).ok();
}

const SERVICE: &str = "https://app.ent.fr/cas/";

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Waits for the server at `url` to be ready.
async fn wait_ready(c: &reqwest::Client, url: &str) {
    for _ in 0..300 {
        if let Ok(r) = c.get(format!("{url}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{url}/readyz never answered 200");
}

/// Stops the child process when the test ends, even on failure.
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// REST-03 (c): with RUST_LOG=debug, a confirmation link's code, a CAS
// login, its ticket and its validation leave no secret in the logs of
// `sesame serve`: the request span shows the query with values masked.
#[tokio::test(flavor = "multi_thread")]
async fn debug_logs_show_no_ticket_code_or_token() {
    use crate::parents::{Signup, code_of, martin_family};
    use crate::support::{SmtpServer, csrf_of, free_port, link_in, parse_message};
    let env = TestEnv::new();
    let codes = martin_family(&env);
    env.write(
        "services/ent.toml",
        format!("id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[attributes]\nidentifiant = \"uid\"\n[cas]\nservice_urls = [\"{SERVICE}\"]\n"),
    );
    let smtp = SmtpServer::start().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = env.path().join("serve.log");
    let mut command = env.command();
    let child = command
        .arg("serve")
        .env("SESAME__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("SESAME__SERVER__PUBLIC_URL", format!("{base}/"))
        .env("SESAME__SERVER__ALLOW_INSECURE_HTTP", "true")
        .env("SESAME__SERVER__SERVICES_DIR", env.path().join("services"))
        .env("SESAME__PASSWORD__ARGON2_MEMORY_KIB", "8192")
        .env("SESAME__PASSWORD__ARGON2_ITERATIONS", "1")
        .env("SESAME__MAIL__TRANSPORT", "smtp")
        .env("SESAME__MAIL__SMTP__HOST", "127.0.0.1")
        .env("SESAME__MAIL__SMTP__PORT", smtp.port.to_string())
        .env("SESAME__MAIL__SMTP__TLS", "none")
        .env("RUST_LOG", "debug")
        .stdout(std::fs::File::create(env.path().join("serve.out")).expect("out"))
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("sesame serve");
    let serve = Serve(child);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    wait_ready(&browser, &base).await;

    // A parent signs up, and opens the mailed confirmation link.
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let form = Signup {
        joint: false,
        rows: vec![["Jean-Baptiste", "03/02/2011", &jb, ""]],
        identifiant: "olivier.martin",
        password: crate::account::PASSWORD,
        email: "olivier.martin@example.org",
    };
    let url = format!("{base}/premiere-visite/parent");
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
        .form(&form.form(&csrf_of(&html), "creer"))
        .send()
        .await
        .expect("sign-up");
    assert!(
        r.status().is_redirection() || r.status() == 200,
        "{}",
        r.status()
    );
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
    let html = browser
        .get(format!("{base}{link}"))
        .send()
        .await
        .expect("link")
        .text()
        .await
        .expect("body");
    let r = browser
        .post(format!("{base}/confirmation"))
        .form(&[("csrf", csrf_of(&html)), ("code", code.clone())])
        .send()
        .await
        .expect("confirm");
    assert!(r.status().is_success() || r.status().is_redirection());

    // CAS login, ticket, validation.
    let html = browser
        .get(format!("{base}/connexion?profil=parent"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("body");
    let r = browser
        .post(format!("{base}/connexion"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("profil", "parent"),
            ("identifiant", "olivier.martin"),
            ("password", crate::account::PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303);
    let r = browser
        .get(format!("{base}/cas/login?service={}", enc(SERVICE)))
        .send()
        .await
        .expect("cas login");
    let location = r.headers()["location"].to_str().expect("ascii").to_owned();
    let ticket = location.split("ticket=").nth(1).expect("ticket").to_owned();
    let body = browser
        .get(format!(
            "{base}/cas/p3/serviceValidate?ticket={ticket}&service={}",
            enc(SERVICE)
        ))
        .send()
        .await
        .expect("validate")
        .text()
        .await
        .expect("body");
    assert!(body.contains("cas:authenticationSuccess"), "{body}");
    drop(serve);

    let logs = std::fs::read_to_string(&log).expect("log")
        + &std::fs::read_to_string(env.path().join("serve.out")).expect("out");
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
