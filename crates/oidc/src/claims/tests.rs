//! Subjects (OIDC Core §8), ID tokens (OIDC Core §2, §3.1.3.6) and logout
//! tokens (Back-Channel Logout 1.0 §2.4), signed with fixed keys.

use super::{
    IdTokenInput, LogoutInput, id_token, id_token_claims, logout_claims, logout_token, subject,
    subject_input,
};
use crate::jws::tests::key;
use crate::jws::{Alg, PublicKey, verify};
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[test]
fn subjects() {
    let table: &[(i32, Option<&str>, &str)] = &[
        (1, None, "oidc-sub:1"),
        (42, None, "oidc-sub:42"),
        (1, Some("rp"), "oidc-sub:rp:1"),
        (1, Some("other"), "oidc-sub:other:1"),
        (7, Some("a:b"), "oidc-sub:a:b:7"),
    ];
    for (account, pairwise, expected) in table {
        assert_eq!(subject_input(*account, *pairwise), *expected);
    }
    let hash = "0123456789abcdef".repeat(4);
    let table = [
        (hash.as_str(), "0123456789abcdef0123456789abcdef"),
        ("short", "short"),
        ("", ""),
    ];
    for (h, expected) in table {
        assert_eq!(subject(h), expected, "{h}");
    }
}

fn base<'a>() -> IdTokenInput<'a> {
    IdTokenInput {
        issuer: "https://sesame.example",
        client_id: "rp",
        subject: "s-1",
        sid: Some("sid-1"),
        auth_time: NOW - 30,
        nonce: Some("n-1"),
        now: now(),
        lifetime_seconds: 3600,
        access_token: Some("at-1"),
    }
}

/// The claims of a signed ID token, checked with the key's JWK.
fn signed_claims(input: &IdTokenInput<'_>, alg: Alg) -> Value {
    let (k, jwk) = key(alg);
    let jwt = id_token(input, &k).unwrap_or_else(|e| panic!("{e}"));
    let published = [PublicKey {
        kid: &k.kid,
        alg: alg.name(),
        jwk: &jwk,
    }];
    verify(&jwt, &published).unwrap_or_else(|| panic!("{alg:?} verifies"))
}

fn at_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d[..16])
}

#[test]
fn id_token_claims_by_input() {
    let full = json!({
        "iss": "https://sesame.example",
        "aud": ["rp"],
        "sub": "s-1",
        "iat": NOW,
        "exp": NOW + 3600,
        "auth_time": NOW - 30,
        "nonce": "n-1",
        "sid": "sid-1",
        "at_hash": at_hash("at-1"),
    });
    let without = |names: &[&str]| {
        let mut v = full.clone();
        if let Some(o) = v.as_object_mut() {
            for n in names {
                o.remove(*n);
            }
        }
        v
    };
    let with = |name: &str, value: Value| {
        let mut v = full.clone();
        v[name] = value;
        v
    };
    let b = base();
    let table: Vec<(&str, IdTokenInput<'_>, Value)> = vec![
        ("everything", b, full.clone()),
        (
            "no nonce",
            IdTokenInput { nonce: None, ..b },
            without(&["nonce"]),
        ),
        (
            "no session",
            IdTokenInput { sid: None, ..b },
            without(&["sid"]),
        ),
        (
            "an empty session",
            IdTokenInput { sid: Some(""), ..b },
            without(&["sid"]),
        ),
        (
            "no access token",
            IdTokenInput {
                access_token: None,
                ..b
            },
            without(&["at_hash"]),
        ),
        (
            "another access token",
            IdTokenInput {
                access_token: Some("at-2"),
                ..b
            },
            with("at_hash", json!(at_hash("at-2"))),
        ),
        (
            "another client",
            IdTokenInput {
                client_id: "spa",
                ..b
            },
            with("aud", json!(["spa"])),
        ),
        (
            "another subject",
            IdTokenInput {
                subject: "s-2",
                ..b
            },
            with("sub", json!("s-2")),
        ),
        (
            "an issuer with a path",
            IdTokenInput {
                issuer: "https://sesame.example/idp",
                ..b
            },
            with("iss", json!("https://sesame.example/idp")),
        ),
        (
            "a shorter lifetime",
            IdTokenInput {
                lifetime_seconds: 60,
                ..b
            },
            with("exp", json!(NOW + 60)),
        ),
        (
            "a login long ago",
            IdTokenInput { auth_time: 0, ..b },
            with("auth_time", json!(0)),
        ),
        (
            "a nonce with spaces",
            IdTokenInput {
                nonce: Some("a b"),
                ..b
            },
            with("nonce", json!("a b")),
        ),
        (
            "the bare minimum",
            IdTokenInput {
                nonce: None,
                sid: None,
                access_token: None,
                ..b
            },
            without(&["nonce", "sid", "at_hash"]),
        ),
    ];
    for (name, input, expected) in table {
        assert_eq!(signed_claims(&input, Alg::Rs256), expected, "{name}");
    }
}

#[test]
fn every_algorithm_signs_the_same_claims() {
    for alg in Alg::ALL {
        let c = signed_claims(&base(), alg);
        assert_eq!(c["sub"], "s-1", "{alg:?}");
        assert_eq!(c["exp"], NOW + 3600, "{alg:?}");
        assert!(c["at_hash"].is_string(), "{alg:?}");
    }
}

#[test]
fn bad_input_is_an_error() {
    let b = base();
    assert!(
        id_token_claims(&IdTokenInput {
            issuer: "not a url",
            ..b
        })
        .is_err()
    );
    assert!(
        id_token_claims(&IdTokenInput {
            lifetime_seconds: i64::MAX,
            ..b
        })
        .is_err()
    );
}

fn logout<'a>() -> LogoutInput<'a> {
    LogoutInput {
        issuer: "https://sesame.example",
        client_id: "rp",
        subject: "s-1",
        sid: "sid-1",
        now: now(),
        jti: "j-1",
    }
}

#[test]
fn logout_token_claims() {
    let event = json!({ "http://schemas.openid.net/event/backchannel-logout": {} });
    let l = logout();
    let table: Vec<(&str, LogoutInput<'_>, &str, Value)> = vec![
        ("iss", l, "/iss", json!("https://sesame.example")),
        ("aud", l, "/aud", json!("rp")),
        ("iat", l, "/iat", json!(NOW)),
        ("exp: two minutes", l, "/exp", json!(NOW + 120)),
        ("jti", l, "/jti", json!("j-1")),
        ("sub", l, "/sub", json!("s-1")),
        ("sid", l, "/sid", json!("sid-1")),
        ("events", l, "/events", event),
        (
            "another client",
            LogoutInput {
                client_id: "spa",
                ..l
            },
            "/aud",
            json!("spa"),
        ),
        (
            "another jti",
            LogoutInput { jti: "j-2", ..l },
            "/jti",
            json!("j-2"),
        ),
    ];
    for (name, input, pointer, expected) in table {
        assert_eq!(
            logout_claims(&input).pointer(pointer),
            Some(&expected),
            "{name}"
        );
    }
    // §2.4: a logout token never carries a nonce.
    assert!(logout_claims(&l).get("nonce").is_none());
    assert_eq!(logout_claims(&l).as_object().map(|o| o.len()), Some(8));
}

#[test]
fn logout_tokens_are_signed_and_typed() {
    for alg in Alg::ALL {
        let (k, jwk) = key(alg);
        let jwt = logout_token(&logout(), &k);
        let published = [PublicKey {
            kid: &k.kid,
            alg: alg.name(),
            jwk: &jwk,
        }];
        assert_eq!(
            verify(&jwt, &published),
            Some(logout_claims(&logout())),
            "{alg:?}"
        );
        let header = jwt.split('.').next().unwrap_or_default();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap_or_default();
        let header: Value = serde_json::from_slice(&header).unwrap_or_default();
        assert_eq!(header["typ"], "logout+jwt", "{alg:?}");
        assert_eq!(header["alg"], alg.name());
    }
}
