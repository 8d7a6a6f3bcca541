//! File modes at rest (REST-02): under umask 022, a fresh start keeps the
//! data folder owner-only and its files unreadable by others; production
//! refuses to start on a wider mode, development narrows it and says so.

use crate::support::fixtures::{pupil_code, sign_up_camille};
use crate::support::{TestEnv, TestServer, UAI};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// `sesame ARGS` for `env`, run by a shell whose umask is 022.
fn under_umask_022(env: &TestEnv, args: &[&str]) -> Command {
    let base = env.command();
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(base.get_program())
        .args(args)
        .current_dir(env.path());
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect()
}

// REST-02
#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_start_under_umask_022_keeps_everything_owner_only() {
    let env = TestEnv::new();
    let out = under_umask_022(&env, &["migrate"])
        .output()
        .expect("migrate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.import_samples();
    let out = under_umask_022(
        &env,
        &["codes", "generate", "--uai", UAI, "--out", "lettres"],
    )
    .output()
    .expect("codes");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = pupil_code(&String::from_utf8_lossy(&out.stdout), "Camille MARTIN");

    let port = crate::support::free_port();
    let mut serve = under_umask_022(&env, &["serve"]);
    serve
        .env("SESAME__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "SESAME__SERVER__PUBLIC_URL",
            format!("http://127.0.0.1:{port}/"),
        )
        .env("SESAME__SERVER__ALLOW_INSECURE_HTTP", "true")
        .env("SESAME__MAIL__POLL_SECONDS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = serve.spawn().expect("serve");
    let base = format!("http://127.0.0.1:{port}");
    let browser = TestServer::browser();
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(r) = browser.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "serve never became ready");
    sign_up_camille(&browser, &base, &code, "Kq7mWz4p-2026").await;
    let outbox = env.path().join("data/outbox");
    let mut eml = Vec::new();
    for _ in 0..100 {
        eml = files(&outbox);
        if !eml.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!eml.is_empty(), "the mail was written");

    let data = env.path().join("data");
    let mut want = vec![
        (data.clone(), 0o700),
        (data.join("secrets"), 0o700),
        (outbox.clone(), 0o700),
    ];
    want.extend(files(&data.join("secrets")).into_iter().map(|f| (f, 0o600)));
    want.extend(eml.into_iter().map(|f| (f, 0o600)));
    want.extend(
        files(&env.path().join("lettres"))
            .into_iter()
            .map(|f| (f, 0o600)),
    );
    if !env.is_postgres() {
        for f in ["sesame.db", "sesame.db-wal", "sesame.db-shm"] {
            want.push((data.join(f), 0o600));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    for (path, m) in &want {
        assert_eq!(mode(path), *m, "{}", path.display());
    }
}

// REST-02: production refuses a file others can read, naming it and its
// mode; development narrows it and says so.
#[test]
fn production_refuses_a_file_readable_by_others_and_development_fixes_it() {
    let env = TestEnv::new();
    env.sesame(&["migrate"]).ok();
    let open = if env.is_postgres() {
        env.write("data/outbox/old.eml", "Subject: x\r\n\r\nlien\r\n")
    } else {
        env.path().join("data/sesame.db")
    };
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    // Keys of the production checks (long, distinct, not samples).
    let (a, b, c) = (
        "k3Jq9vL2xR7pT5wY8zB4nM6cF1hD0gSa-QeUo",
        "Zr8Wm2Qp5Lx9Vb3Nc7Ht1Jk4Gf6Dy0Se-AuIo",
        "Pf4Ks8Wd2Lm6Qz0Xr3Nv7Bj5Hc9Ty1Ga-EiOu",
    );
    let production = [
        ("SESAME__SERVER__MODE", "production"),
        ("SESAME__SERVER__PUBLIC_URL", "https://sesame.example.org/"),
        ("SESAME__SECRETS__CODE_HMAC_KEY", a),
        ("SESAME__SECRETS__COOKIE_KEY", b),
        ("SESAME__SECRETS__TOKEN_HMAC_KEY", c),
    ];
    let err = env.sesame_with(&["migrate"], &production).fails_with(3);
    assert!(
        err.contains(&open.display().to_string()) && err.contains("0644"),
        "{err}"
    );
    assert_eq!(mode(&open), 0o644, "production changes nothing");

    let run = env.sesame(&["migrate"]);
    run.ok();
    assert!(run.stderr().contains("narrowed"), "{}", run.stderr());
    assert_eq!(mode(&open), 0o600);
}
