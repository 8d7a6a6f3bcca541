//! The command line itself: help, exit codes, migrations.

use crate::support::TestEnv;

#[test]
fn help_explains_every_subcommand() {
    let env = TestEnv::new();
    let out = env.sesame(&["--help"]).ok();
    for cmd in [
        "serve",
        "demo",
        "migrate",
        "check-config",
        "import",
        "codes",
        "letters",
        "secret",
    ] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(cmd)),
            "{cmd} missing from:\n{out}"
        );
    }
    let out = env.sesame(&["codes", "generate", "--help"]).ok();
    assert!(out.contains("only time they can be shown"), "{out}");
    let out = env.sesame(&["letters", "--help"]).ok();
    assert!(
        out.contains("shown only by the run that creates them"),
        "{out}"
    );
}

#[test]
fn bad_usage_exits_with_2() {
    let env = TestEnv::new();
    let err = env.sesame(&["frobnicate"]).fails_with(2);
    assert!(err.contains("frobnicate"), "{err}");
    let err = env.sesame(&["import"]).fails_with(2);
    assert!(err.contains("FILES"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_creates_the_schema_and_is_idempotent() {
    let env = TestEnv::new();
    let out = env.sesame(&["migrate"]).ok();
    assert!(out.contains("Migrations à jour"), "{out}");
    env.sesame(&["migrate"]).ok();
    for table in [
        "schools",
        "pupils",
        "guardians",
        "guardian_pupils",
        "activation_codes",
        "accounts",
        "account_guardians",
        "account_pupils",
        "mail_outbox",
        "audit_events",
    ] {
        assert_eq!(
            env.count(&format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    if !env.is_postgres() {
        let rows = env.rows("PRAGMA journal_mode").await;
        assert_eq!(rows[0][0].as_deref(), Some("wal"));
    }
}

#[test]
fn a_database_that_does_not_answer_exits_with_5() {
    let env = TestEnv::new();
    let port = crate::support::free_port();
    let err = env
        .sesame_with(
            &["migrate"],
            &[
                (
                    "SESAME__DATABASE__URL",
                    &format!("postgres://postgres@127.0.0.1:{port}/none"),
                ),
                ("SESAME__DATABASE__CONNECT_TIMEOUT_SECS", "2"),
            ],
        )
        .fails_with(5);
    assert!(err.contains("database"), "{err}");
}

// Issue 21 §8: `sesame secret --hash` prints a client secret and the
// argon2id hash that verifies it, ready for `client_secret_hash`.
#[test]
fn secret_hash_prints_a_client_secret_and_its_argon2id_hash() {
    use argon2::password_hash::PasswordVerifier;
    use argon2::password_hash::phc::PasswordHash;
    let env = TestEnv::new();
    let parse = |out: &str| {
        let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines.len(), 2, "{out}");
        let hash = lines[1]
            .strip_prefix("client_secret_hash = \"")
            .and_then(|h| h.strip_suffix('"'))
            .unwrap_or_else(|| panic!("a TOML line: {out}"));
        (lines[0].to_owned(), hash.to_owned())
    };
    let (secret, hash) = parse(&env.sesame(&["secret", "--hash"]).ok());
    assert_eq!(secret.len(), 43, "{secret}");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let phc = PasswordHash::new(&hash).expect("PHC string");
    let argon = argon2::Argon2::default();
    assert!(argon.verify_password(secret.as_bytes(), &phc).is_ok());
    assert!(argon.verify_password(b"another secret", &phc).is_err());
    let (again, other) = parse(&env.sesame(&["secret", "--hash"]).ok());
    assert_ne!((again, other), (secret, hash), "a new one each time");
}

#[test]
fn secret_prints_a_fresh_key_each_time() {
    let env = TestEnv::new();
    let a = env.sesame(&["secret"]).ok();
    let b = env.sesame(&["secret"]).ok();
    assert_ne!(a, b);
    assert_eq!(a.trim().len(), 43);
}

#[test]
fn demo_imports_the_sample_prints_codes_and_serves() {
    let env = TestEnv::new();
    // A free port may be taken by another test between its choice and the
    // demo's bind: the demo then exits at once, and is started again on
    // another port (at most three times).
    let mut ready = false;
    let mut child = None;
    let mut exits = Vec::new();
    let mut port = 0;
    for _ in 0..3 {
        port = crate::support::free_port();
        let mut c = env
            .command()
            .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let url = format!("http://127.0.0.1:{port}/readyz");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = c.try_wait() {
                exits.push(status);
                break;
            }
            let u = url.clone();
            let status = crate::support::block_on(async move {
                crate::support::TestServer::browser()
                    .get(&u)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            });
            if status == 200 {
                ready = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let exited = exits.len();
        child = Some(c);
        if ready || exited == 0 {
            break;
        }
    }
    let child = child.expect("a demo was started");
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        ready,
        "demo did not become ready (exits: {exits:?}):\n{stdout}"
    );
    assert!(stdout.contains("élèves : 7 créé(s)"), "{stdout}");
    assert_eq!(
        crate::support::fixtures::printed_codes(&stdout).len(),
        16,
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("http://127.0.0.1:{port}/")),
        "{stdout}"
    );
    assert!(
        env.path()
            .join("data/lettres/lettres-responsables-0999001W.pdf")
            .exists()
    );
}
