//! `check-config` in production: the mistakes it refuses and `--connect`
//! (issue 18 §6).

use crate::support::TestEnv;
use crate::support::fixtures::{KEY_A, KEY_B, KEY_C};

/// A production configuration: by default none of the mistakes
/// `check-config` looks for; each test case changes one value.
pub(super) struct Prod<'a> {
    portal_url: &'a str,
    academie: &'a str,
    from: &'a str,
    services_dir: Option<&'a str>,
    logo: Option<&'a str>,
    /// Extra TOML at the end (e.g. `[mail.smtp]`).
    tail: &'a str,
}

impl Default for Prod<'_> {
    fn default() -> Self {
        Self {
            portal_url: "https://ent.ac-exemple.fr/",
            academie: "Académie d'Exemple",
            from: "Sésame <ne-pas-repondre@ac-exemple.fr>",
            services_dir: None,
            logo: None,
            tail: "",
        }
    }
}

/// Writes `p` as a production configuration; answers the file and the
/// secrets' variables.
pub(super) fn production_config(
    env: &TestEnv,
    p: &Prod,
) -> (std::path::PathBuf, Vec<(String, String)>) {
    let services = env.path().join("services");
    std::fs::create_dir_all(&services).expect("mkdir");
    let logo = env.write("logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    let text = format!(
        "[server]\nmode = \"production\"\npublic_url = \"https://sesame.ac-exemple.fr/\"\nservices_dir = \"{}\"\n[branding]\nacademie = \"{}\"\nlogo = \"{}\"\nportal_url = \"{}\"\n[mail]\nfrom = \"{}\"\n{}",
        p.services_dir
            .map_or_else(|| services.display().to_string(), str::to_owned),
        p.academie,
        p.logo
            .map_or_else(|| logo.display().to_string(), str::to_owned),
        p.portal_url,
        p.from,
        p.tail,
    );
    let f = env.write("prod.toml", text);
    let vars = vec![
        (
            "SESAME__SECRETS__CODE_HMAC_KEY".to_owned(),
            KEY_A.to_owned(),
        ),
        ("SESAME__SECRETS__COOKIE_KEY".to_owned(), KEY_B.to_owned()),
        (
            "SESAME__SECRETS__TOKEN_HMAC_KEY".to_owned(),
            KEY_C.to_owned(),
        ),
    ];
    (f, vars)
}

pub(super) fn check(
    env: &TestEnv,
    f: &std::path::Path,
    vars: &[(String, String)],
) -> crate::support::Run {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.sesame_with(
        &["--config", f.to_str().expect("utf8"), "check-config"],
        &vars,
    )
}

// Issue 18 §6: in production, values left from the demonstration or the
// development defaults are refused, each naming its key; in development
// they are notes.
#[test]
fn check_config_refuses_production_mistakes() {
    let env = TestEnv::new();
    let (f, vars) = production_config(&env, &Prod::default());
    let out = check(&env, &f, &vars).ok();
    assert!(!out.contains("Not for production"), "{out}");

    let smtp_none = "transport = \"smtp\"\n[mail.smtp]\nhost = \"smtp.ac-exemple.fr\"\nport = 25\ntls = \"none\"\n";
    for (p, key, reason) in [
        (
            Prod {
                portal_url: "http://localhost:8080/",
                ..Prod::default()
            },
            "branding.portal_url",
            "printed on the activation letters",
        ),
        (
            Prod {
                portal_url: "https://127.0.0.1/ent/",
                ..Prod::default()
            },
            "branding.portal_url",
            "points to this machine",
        ),
        (
            Prod {
                academie: "Académie de démonstration",
                ..Prod::default()
            },
            "branding.academie",
            "demonstration",
        ),
        (
            Prod {
                from: "Sésame <ne-pas-repondre@localhost>",
                ..Prod::default()
            },
            "mail.from",
            "localhost",
        ),
        (
            Prod {
                services_dir: Some("/nonexistent/services"),
                ..Prod::default()
            },
            "server.services_dir",
            "/nonexistent/services",
        ),
        (
            Prod {
                logo: Some("/nonexistent/logo.svg"),
                ..Prod::default()
            },
            "branding.logo",
            "/nonexistent/logo.svg",
        ),
        (
            Prod {
                logo: Some(""),
                ..Prod::default()
            },
            "branding.logo",
            "no logo",
        ),
        (
            Prod {
                tail: smtp_none,
                ..Prod::default()
            },
            "mail.smtp.tls",
            "in clear",
        ),
    ] {
        let (f, vars) = production_config(&env, &p);
        let err = check(&env, &f, &vars).fails_with(3);
        assert!(
            err.contains(&format!("key `{key}`")) && err.contains(reason),
            "{key}: {err}"
        );
    }
    // No TLS towards a relay on this machine is fine.
    let (f, vars) = production_config(
        &env,
        &Prod {
            tail: &smtp_none.replace("smtp.ac-exemple.fr", "127.0.0.1"),
            ..Prod::default()
        },
    );
    check(&env, &f, &vars).ok();

    // Development: the defaults are notes, not errors.
    let out = env.sesame(&["check-config"]).ok();
    assert!(out.contains("Not for production"), "{out}");
    assert!(
        out.contains("key `branding.portal_url`") && out.contains("key `mail.from`"),
        "{out}"
    );
}

// Issue 18 §6: `--connect` checks that every dependency answers.
#[tokio::test(flavor = "multi_thread")]
async fn check_config_connect_reaches_every_dependency() {
    let env = std::sync::Arc::new(TestEnv::new());
    let smtp = crate::support::SmtpServer::start().await;
    let provider_env = TestEnv::new();
    let provider = crate::support::TestServer::spawn(&provider_env, |_| {}).await;
    let secret = env.write("amont.secret", "secret-amont");
    let closed = crate::support::free_port();
    let config = |issuer: &str| {
        format!(
            "[mail]\ntransport = \"smtp\"\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n[[upstream]]\nid = \"annuaire\"\nname = \"l'annuaire\"\nissuer = \"{issuer}\"\nclient_id = \"sesame\"\nclient_secret_file = \"{}\"\nprofiles = [\"invite\"]\n",
            smtp.port,
            secret.display()
        )
    };
    let run = |text: String, vars: Vec<(&'static str, String)>| {
        let env = env.clone();
        tokio::task::spawn_blocking(move || {
            let f = env.write("connect.toml", text);
            let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
            env.sesame_with(
                &[
                    "--config",
                    f.to_str().expect("utf8"),
                    "check-config",
                    "--connect",
                ],
                &vars,
            )
        })
    };
    let out = run(config(&provider.url), vec![]).await.expect("run").ok();
    assert!(out.contains("ok     database"), "{out}");
    assert!(out.contains("ok     smtp 127.0.0.1"), "{out}");
    assert!(out.contains("ok     upstream annuaire"), "{out}");
    if env.is_postgres() {
        assert!(out.contains("ok     redis"), "{out}");
    }

    // A provider that does not answer, Redis and SMTP nowhere: exit 5,
    // each named.
    let nowhere = format!("http://127.0.0.1:{closed}");
    let text = config(&nowhere).replace(
        &format!("port = {}", smtp.port),
        &format!("port = {closed}"),
    );
    let run2 = run(
        text,
        vec![("SESAME__REDIS__URL", format!("redis://127.0.0.1:{closed}/"))],
    )
    .await
    .expect("run");
    let err = run2.fails_with(5);
    let out = run2.stdout();
    for what in ["ÉCHEC  redis", "ÉCHEC  smtp", "ÉCHEC  upstream annuaire"] {
        assert!(
            err.contains(what) && out.contains(what),
            "{what}: {out}\n{err}"
        );
    }
    assert!(out.contains("ok     database"), "{out}");
}
