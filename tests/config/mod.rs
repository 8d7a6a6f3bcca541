//! Configuration: layers, validation messages, masking, production secrets (SES-12).

use crate::support::TestEnv;
use crate::support::fixtures::{KEY_A, KEY_B, KEY_C};

mod checks;
mod settings;

use checks::{Prod, check, production_config};

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
