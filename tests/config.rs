//! Configuration: layers, validation messages, masking, production secrets (SES-12).

use crate::support::TestEnv;
use crate::support::fixtures::{KEY_A, KEY_B, KEY_C};

#[test]
fn check_config_prints_effective_values_with_secrets_masked() {
    let env = TestEnv::new();
    let out = env
        .sesame_with(
            &["check-config"],
            &[
                ("SESAME__SECRETS__COOKIE_KEY", KEY_A),
                (
                    "SESAME__DATABASE__URL",
                    "postgres://sesame:hunter2secret@db.example/sesame",
                ),
            ],
        )
        .ok();
    assert!(out.contains("Configuration is valid"), "{out}");
    assert!(
        out.contains("[server]") && out.contains("[database]") && out.contains("[secrets]"),
        "{out}"
    );
    assert!(out.contains("cookie_key = \"********\""), "{out}");
    assert!(!out.contains(KEY_A), "secret printed: {out}");
    assert!(
        !out.contains("hunter2secret"),
        "database password printed: {out}"
    );
    assert!(out.contains("db.example"), "{out}");
}

#[test]
fn the_shipped_configuration_files_are_valid() {
    let env = TestEnv::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dev = root.join("config/sesame.toml");
    let out = env
        .sesame(&["--config", dev.to_str().expect("utf8"), "check-config"])
        .ok();
    assert!(out.contains("validity_days = 92"), "{out}");

    // The production example, with its secret files provided.
    let secrets = env.path().join("secrets");
    std::fs::create_dir_all(&secrets).expect("mkdir");
    for (name, key) in [
        ("code_hmac_key", KEY_A),
        ("cookie_key", KEY_B),
        ("token_hmac_key", KEY_C),
        ("smtp", "smtp-password"),
    ] {
        std::fs::write(secrets.join(name), format!("{key}\n")).expect("write");
    }
    let prod = root.join("config/sesame.production.toml");
    let logo = env.write("logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    let file = |n: &str| secrets.join(n).display().to_string();
    let out = env
        .sesame_with(
            &["--config", prod.to_str().expect("utf8"), "check-config"],
            &[
                (
                    "SESAME__SECRETS__CODE_HMAC_KEY_FILE",
                    &file("code_hmac_key"),
                ),
                ("SESAME__SECRETS__COOKIE_KEY_FILE", &file("cookie_key")),
                (
                    "SESAME__SECRETS__TOKEN_HMAC_KEY_FILE",
                    &file("token_hmac_key"),
                ),
                ("SESAME__MAIL__SMTP__PASSWORD_FILE", &file("smtp")),
                (
                    "SESAME__SERVER__SERVICES_DIR",
                    root.join("config/services").to_str().expect("utf8"),
                ),
                // The example's logo is the académie's own file.
                ("SESAME__BRANDING__LOGO", logo.to_str().expect("utf8")),
            ],
        )
        .ok();
    assert!(out.contains("mode = \"production\""), "{out}");
    assert!(
        out.contains("ent-demo") && out.contains("teleservice-oidc"),
        "{out}"
    );
    assert!(
        !out.contains(KEY_B) && !out.contains("smtp-password"),
        "{out}"
    );
}

#[test]
fn an_unknown_key_is_refused_with_file_and_key() {
    let env = TestEnv::new();
    let f = env.write(
        "bad.toml",
        "[server]\nlisten = \"127.0.0.1:9000\"\nlisen = \"oops\"\n",
    );
    let err = env
        .sesame(&["--config", f.to_str().expect("utf8"), "check-config"])
        .fails_with(3);
    assert!(err.contains("bad.toml"), "{err}");
    assert!(err.contains("key `server.lisen`"), "{err}");
    assert!(!err.contains("lisen.lisen"), "key named twice: {err}");
    assert!(err.contains("unknown key"), "{err}");
}

#[test]
fn a_wrong_type_is_refused_with_file_key_and_reason() {
    let env = TestEnv::new();
    let f = env.write("bad.toml", "[codes]\nvalidity_days = \"three months\"\n");
    let err = env
        .sesame(&["--config", f.to_str().expect("utf8"), "check-config"])
        .fails_with(3);
    assert!(
        err.contains("bad.toml") && err.contains("codes.validity_days"),
        "{err}"
    );
    assert!(err.contains("invalid type"), "{err}");
}

#[test]
fn bad_urls_and_values_are_refused() {
    let env = TestEnv::new();
    for (toml, key, reason) in [
        (
            "[server]\npublic_url = \"not a url\"\n",
            "server.public_url",
            "",
        ),
        ("[server]\nlisten = \"localhost\"\n", "server.listen", ""),
        (
            "[codes]\nvalidity_days = 0\n",
            "codes.validity_days",
            "between 1 and 730",
        ),
        (
            "[mail]\ntransport = \"smtp\"\n",
            "mail.smtp.host",
            "required",
        ),
        ("[mail]\ntransport = \"pigeon\"\n", "mail.transport", ""),
        // CONC-05: a capacity so small that the store would evict all along.
        (
            "[redis]\nin_process_max_entries = 100\n",
            "redis.in_process_max_entries",
            "at least 10000",
        ),
    ] {
        let f = env.write("bad.toml", toml);
        let err = env
            .sesame(&["--config", f.to_str().expect("utf8"), "check-config"])
            .fails_with(3);
        assert!(err.contains("bad.toml"), "{toml}: {err}");
        assert!(err.contains(key), "{toml}: {err}");
        assert!(err.contains(reason), "{toml}: {err}");
    }
    let err = env
        .sesame_with(
            &["check-config"],
            &[("SESAME__REDIS__URL", "http://localhost:6379")],
        )
        .fails_with(3);
    assert!(
        err.contains("SESAME__REDIS__URL") && err.contains("redis.url") && err.contains("redis://"),
        "{err}"
    );
    let err = env
        .sesame_with(
            &["check-config"],
            &[("SESAME__DATABASE__URL", "mysql://root@localhost/sesame")],
        )
        .fails_with(3);
    assert!(
        err.contains("SESAME__DATABASE__URL")
            && err.contains("database.url")
            && err.contains("unsupported database URL"),
        "{err}"
    );
}

#[test]
fn environment_variables_override_the_file_and_are_named_in_errors() {
    let env = TestEnv::new();
    let f = env.write("ok.toml", "[codes]\nvalidity_days = 30\n");
    let out = env
        .sesame_with(
            &["--config", f.to_str().expect("utf8"), "check-config"],
            &[("SESAME__CODES__VALIDITY_DAYS", "45")],
        )
        .ok();
    assert!(out.contains("validity_days = 45"), "{out}");
    let err = env
        .sesame_with(
            &["--config", f.to_str().expect("utf8"), "check-config"],
            &[("SESAME__CODES__VALIDITY_DAYS", "999")],
        )
        .fails_with(3);
    assert!(
        err.contains("SESAME__CODES__VALIDITY_DAYS") || err.contains("environment"),
        "{err}"
    );
    assert!(err.contains("codes.validity_days"), "{err}");
}

#[test]
fn a_missing_config_file_is_an_error() {
    let env = TestEnv::new();
    let err = env
        .sesame(&["--config", "nowhere.toml", "check-config"])
        .fails_with(3);
    assert!(
        err.contains("nowhere.toml") && err.contains("not found"),
        "{err}"
    );
}

fn production(env: &TestEnv, secrets: &[(&str, &str)]) -> crate::support::Run {
    let (f, _) = production_config(env, &Prod::default());
    let mut vars: Vec<(String, String)> = Vec::new();
    for (k, v) in secrets {
        vars.push((
            format!("SESAME__SECRETS__{}", k.to_uppercase()),
            (*v).to_owned(),
        ));
    }
    check(env, &f, &vars)
}

// SES-12
#[test]
fn production_refuses_missing_sample_short_or_shared_secrets() {
    let env = TestEnv::new();
    let all = [
        ("code_hmac_key", KEY_A),
        ("cookie_key", KEY_B),
        ("token_hmac_key", KEY_C),
    ];
    production(&env, &all).ok();

    let err = production(&env, &all[..2]).fails_with(3);
    assert!(
        err.contains("secrets.token_hmac_key") && err.contains("missing"),
        "{err}"
    );

    let err = production(&env, &[all[0], all[1], ("token_hmac_key", "short-key")]).fails_with(3);
    assert!(
        err.contains("secrets.token_hmac_key") && err.contains("too short"),
        "{err}"
    );

    let err = production(
        &env,
        &[
            all[0],
            all[1],
            ("token_hmac_key", "change-me-change-me-change-me-change-me"),
        ],
    )
    .fails_with(3);
    assert!(
        err.contains("secrets.token_hmac_key") && err.contains("sample"),
        "{err}"
    );

    let err = production(&env, &[all[0], all[1], ("token_hmac_key", KEY_A)]).fails_with(3);
    assert!(
        err.contains("secrets.token_hmac_key") && err.contains("one key per purpose"),
        "{err}"
    );

    // Production also needs https.
    let f = env.write(
        "prod-http.toml",
        "[server]\nmode = \"production\"\npublic_url = \"http://sesame.example.org/\"\n",
    );
    let err = env
        .sesame(&["--config", f.to_str().expect("utf8"), "check-config"])
        .fails_with(3);
    assert!(
        err.contains("server.public_url") && err.contains("https"),
        "{err}"
    );
}

#[test]
fn secrets_are_read_from_files_but_not_twice() {
    let env = TestEnv::new();
    let file = env.write("code.key", format!("{KEY_A}\n"));
    let out = env
        .sesame_with(
            &["check-config"],
            &[(
                "SESAME__SECRETS__CODE_HMAC_KEY_FILE",
                file.to_str().expect("utf8"),
            )],
        )
        .ok();
    assert!(out.contains("code_hmac_key = \"********\""), "{out}");
    let err = env
        .sesame_with(
            &["check-config"],
            &[
                (
                    "SESAME__SECRETS__CODE_HMAC_KEY_FILE",
                    file.to_str().expect("utf8"),
                ),
                ("SESAME__SECRETS__CODE_HMAC_KEY", KEY_B),
            ],
        )
        .fails_with(3);
    assert!(err.contains("not both"), "{err}");
    let err = env
        .sesame_with(
            &["check-config"],
            &[("SESAME__SECRETS__CODE_HMAC_KEY_FILE", "/nonexistent/key")],
        )
        .fails_with(3);
    assert!(
        err.contains("secrets.code_hmac_key_file") && err.contains("/nonexistent/key"),
        "{err}"
    );
}

#[test]
fn a_bad_service_file_is_refused_with_its_name() {
    let env = TestEnv::new();
    env.write("services/a.toml", "id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"https://ent.example.org/\"]\n");
    let dir = env.path().join("services");
    let vars = [("SESAME__SERVER__SERVICES_DIR", dir.to_str().expect("utf8"))];
    let out = env.sesame_with(&["check-config"], &vars).ok();
    assert!(out.contains("1 registered service"), "{out}");

    env.write("services/b.toml", "id = \"ent\"\nname = \"Copie\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"https://x.example.org/\"]\n");
    let err = env.sesame_with(&["check-config"], &vars).fails_with(3);
    assert!(
        err.contains("b.toml") && err.contains("already used"),
        "{err}"
    );

    env.write("services/b.toml", "id = \"other\"\nname = \"Autre\"\nprotocol = \"cas\"\n[cas]\nservice_patterns = [\"https://.*\"]\n");
    let err = env.sesame_with(&["check-config"], &vars).fails_with(3);
    assert!(
        err.contains("b.toml") && err.contains("cas.service_patterns") && err.contains("anchored"),
        "{err}"
    );

    env.write(
        "services/b.toml",
        "id = \"other\"\nname = \"Autre\"\nprotocol = \"cas\"\ncolour = \"blue\"\n",
    );
    let err = env.sesame_with(&["check-config"], &vars).fails_with(3);
    assert!(err.contains("b.toml") && err.contains("colour"), "{err}");
}

// Issue 15 §3: a registered URL that parsing would change (no path, upper
// case, default port) never matches a request compared with the text as
// written: refused, with the file, the key and the text to write.
#[test]
fn a_registered_url_that_parsing_changes_is_refused_with_what_to_write() {
    let env = TestEnv::new();
    let dir = env.path().join("services");
    let vars = [("SESAME__SERVER__SERVICES_DIR", dir.to_str().expect("utf8"))];
    for (body, key, write) in [
        (
            "protocol = \"cas\"\n[cas]\nservice_urls = [\"https://ENT.example.fr\"]\n",
            "cas.service_urls",
            "write \"https://ent.example.fr/\" (with the path)",
        ),
        (
            "protocol = \"oidc\"\n[oidc]\nclient_id = \"c\"\nredirect_uris = [\"https://App.example.fr/cb\"]\n",
            "oidc.redirect_uris",
            "write \"https://app.example.fr/cb\"",
        ),
        (
            "protocol = \"oidc\"\n[oidc]\nclient_id = \"c\"\nredirect_uris = [\"https://app.example.fr/cb\"]\npost_logout_redirect_uris = [\"https://app.example.fr:443/bye\"]\n",
            "oidc.post_logout_redirect_uris",
            "write \"https://app.example.fr/bye\" (without the default port)",
        ),
    ] {
        env.write(
            "services/a.toml",
            format!("id = \"a\"\nname = \"A\"\n{body}"),
        );
        let err = env.sesame_with(&["check-config"], &vars).fails_with(3);
        assert!(
            err.contains("a.toml") && err.contains(&format!("key `{key}`")) && err.contains(write),
            "{err}"
        );
    }
    env.write(
        "services/a.toml",
        "id = \"a\"\nname = \"A\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"https://ent.example.fr/\"]\n",
    );
    env.sesame_with(&["check-config"], &vars).ok();
}

// Issue 8 §1, §4 and issue 6 §1: upstream providers and signing
// algorithms are checked at start-up, with the file and key named.
#[test]
fn bad_upstream_and_signing_settings_are_refused() {
    let env = TestEnv::new();
    let up = |extra: &str| {
        format!(
            "[[upstream]]\nid = \"fc\"\nname = \"FranceConnect\"\nissuer = \"https://fc.exemple.fr\"\nclient_id = \"sesame\"\n{extra}\n"
        )
    };
    for (toml, key, reason) in [
        (
            "[profiles]\ninvite = \"upstream\"\n".to_owned(),
            "profiles.invite",
            "exactly one [[upstream]]",
        ),
        (
            up("profiles = [\"personnel_education\"]"),
            "upstream[0].client_secret",
            "missing",
        ),
        (
            up("client_secret = \"s\"\nprofiles = [\"parent\"]"),
            "upstream[0].match_guardians",
            "match them to guardians",
        ),
        (
            up("client_secret = \"s\"\nprofiles = [\"eleve\"]"),
            "upstream[0].profiles",
            "cannot be delegated",
        ),
        (
            up("client_secret = \"s\"\nprofiles = [\"invite\"]\nscopes = [\"profile\"]"),
            "upstream[0].scopes",
            "openid",
        ),
        (
            "[oidc]\nsigning_algorithms = [\"ES256\"]\n".to_owned(),
            "oidc.signing_algorithms",
            "RS256",
        ),
        (
            "[oidc]\nsigning_algorithms = [\"RS256\", \"HS256\"]\n".to_owned(),
            "oidc.signing_algorithms",
            "unknown algorithm",
        ),
    ] {
        let f = env.write("bad.toml", &toml);
        let err = env
            .sesame(&["--config", f.to_str().expect("utf8"), "check-config"])
            .fails_with(3);
        assert!(err.contains("bad.toml"), "{toml}: {err}");
        assert!(err.contains(key), "{toml}: {err}");
        assert!(err.contains(reason), "{toml}: {err}");
    }
    // Guests through an upstream provider: valid, and the secret masked.
    let f = env.write(
        "ok.toml",
        format!(
            "[profiles]\ninvite = \"upstream\"\n{}",
            up("client_secret = \"tres-secret\"\nprofiles = [\"invite\"]")
        ),
    );
    let out = env
        .sesame(&["--config", f.to_str().expect("utf8"), "check-config"])
        .ok();
    assert!(
        out.contains("[[upstream]]") && !out.contains("tres-secret"),
        "{out}"
    );
}

// Issue 18 §6: a secret read from a file is refused naming the file.
#[test]
fn a_bad_secret_read_from_a_file_is_refused_naming_the_file() {
    let env = TestEnv::new();
    let short = env.write("token.key", "short-key\n");
    let f = env.write(
        "prod.toml",
        "[server]\nmode = \"production\"\npublic_url = \"https://sesame.example.org/\"\n",
    );
    let err = env
        .sesame_with(
            &["--config", f.to_str().expect("utf8"), "check-config"],
            &[
                ("SESAME__SECRETS__CODE_HMAC_KEY", KEY_A),
                ("SESAME__SECRETS__COOKIE_KEY", KEY_B),
                (
                    "SESAME__SECRETS__TOKEN_HMAC_KEY_FILE",
                    short.to_str().expect("utf8"),
                ),
            ],
        )
        .fails_with(3);
    assert!(
        err.contains("secrets.token_hmac_key")
            && err.contains("too short")
            && err.contains(short.to_str().expect("utf8"))
            && err.contains("SESAME__SECRETS__TOKEN_HMAC_KEY_FILE"),
        "{err}"
    );
}

/// A production configuration: by default none of the mistakes
/// `check-config` looks for; each test case changes one value.
struct Prod<'a> {
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
fn production_config(env: &TestEnv, p: &Prod) -> (std::path::PathBuf, Vec<(String, String)>) {
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

fn check(env: &TestEnv, f: &std::path::Path, vars: &[(String, String)]) -> crate::support::Run {
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
