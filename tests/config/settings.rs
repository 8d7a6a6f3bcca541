//! Registered URLs, upstream providers, signing algorithms and secrets
//! read from files: refused at start-up naming the file and the key.

use crate::support::TestEnv;
use crate::support::fixtures::{KEY_A, KEY_B};

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
