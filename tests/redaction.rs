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
