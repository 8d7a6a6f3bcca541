//! PKCE (RFC 7636): the challenge method at /authorize, the verifier at
//! /token.

use super::{PkceError, check_request, is_well_formed_verifier, s256, verify};
use crate::error::ErrorCode;

/// RFC 7636 Appendix B.
const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// (case, challenge, verifier, outcome)
type VerifyRow<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Result<(), PkceError>,
);

/// (challenge, method, public client, outcome)
type MethodRow<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    bool,
    Result<(), ErrorCode>,
);

#[test]
fn s256_is_the_rfc_example() {
    assert_eq!(s256(RFC_VERIFIER), RFC_CHALLENGE);
}

#[test]
fn token_request_verifiers() {
    let long = "a".repeat(128);
    let too_long = "a".repeat(129);
    let short = "a".repeat(42);
    let c43 = "a".repeat(43);
    let (long_c, c43_c) = (s256(&long), s256(&c43));
    let table: &[VerifyRow<'_>] = &[
        ("no PKCE at all", None, None, Ok(())),
        (
            "RFC 7636 Appendix B",
            Some(RFC_CHALLENGE),
            Some(RFC_VERIFIER),
            Ok(()),
        ),
        ("43 characters", Some(&c43_c), Some(&c43), Ok(())),
        ("128 characters", Some(&long_c), Some(&long), Ok(())),
        (
            "verifier without challenge: downgrade",
            None,
            Some(RFC_VERIFIER),
            Err(PkceError::Downgrade),
        ),
        (
            "challenge without verifier",
            Some(RFC_CHALLENGE),
            None,
            Err(PkceError::Missing),
        ),
        (
            "wrong verifier",
            Some(RFC_CHALLENGE),
            Some(&c43),
            Err(PkceError::Mismatch),
        ),
        (
            "42 characters",
            Some(RFC_CHALLENGE),
            Some(&short),
            Err(PkceError::Malformed),
        ),
        (
            "129 characters",
            Some(&s256(&too_long)),
            Some(&too_long),
            Err(PkceError::Malformed),
        ),
        (
            "empty verifier",
            Some(RFC_CHALLENGE),
            Some(""),
            Err(PkceError::Malformed),
        ),
        (
            "a space",
            Some(RFC_CHALLENGE),
            Some(&format!("{} ", &RFC_VERIFIER[..43])),
            Err(PkceError::Malformed),
        ),
        (
            "a plus sign",
            Some(RFC_CHALLENGE),
            Some(&format!("{}+", &RFC_VERIFIER[..43])),
            Err(PkceError::Malformed),
        ),
        (
            "non-ASCII",
            Some(RFC_CHALLENGE),
            Some(&format!("{}é", &RFC_VERIFIER[..42])),
            Err(PkceError::Malformed),
        ),
        // `plain`: the verifier equal to the challenge is not S256.
        (
            "plain method",
            Some(RFC_VERIFIER),
            Some(RFC_VERIFIER),
            Err(PkceError::Mismatch),
        ),
        (
            "challenge case changed",
            Some(&RFC_CHALLENGE.to_lowercase()),
            Some(RFC_VERIFIER),
            Err(PkceError::Mismatch),
        ),
        (
            "challenge padded",
            Some(&format!("{RFC_CHALLENGE}=")),
            Some(RFC_VERIFIER),
            Err(PkceError::Mismatch),
        ),
        (
            "unreserved punctuation",
            Some(&s256(&format!("{}-._~", &c43[..40]))),
            Some(&format!("{}-._~", &c43[..40])),
            Ok(()),
        ),
    ];
    for (name, challenge, verifier, expected) in table {
        check_verify(name, *challenge, *verifier, *expected);
    }
}

fn check_verify(
    name: &str,
    challenge: Option<&str>,
    verifier: Option<&str>,
    expected: Result<(), PkceError>,
) {
    let got = verify(challenge, verifier);
    assert_eq!(got, expected, "{name}");
    if let Err(e) = got {
        assert_eq!(e.code(), ErrorCode::InvalidGrant, "{name}");
    }
}

#[test]
fn verifier_syntax() {
    let table: &[(&str, bool)] = &[
        (RFC_VERIFIER, true),
        (&"A".repeat(43), true),
        (&"z".repeat(128), true),
        (&"~".repeat(50), true),
        (&"9".repeat(60), true),
        (&"A".repeat(42), false),
        (&"z".repeat(129), false),
        ("", false),
        (&"/".repeat(50), false),
        (&"=".repeat(50), false),
        (&"%".repeat(50), false),
    ];
    for (v, expected) in table {
        assert_eq!(is_well_formed_verifier(v), *expected, "{v:?}");
    }
}

#[test]
fn authorization_request_methods() {
    use ErrorCode::InvalidRequest;
    let table: &[MethodRow<'_>] = &[
        (Some(RFC_CHALLENGE), Some("S256"), false, Ok(())),
        (Some(RFC_CHALLENGE), Some("S256"), true, Ok(())),
        (None, None, false, Ok(())),
        // A public client must use PKCE.
        (None, None, true, Err(InvalidRequest)),
        // `plain`, explicit or by default (§4.3), is refused.
        (
            Some(RFC_CHALLENGE),
            Some("plain"),
            false,
            Err(InvalidRequest),
        ),
        (
            Some(RFC_CHALLENGE),
            Some("plain"),
            true,
            Err(InvalidRequest),
        ),
        (Some(RFC_CHALLENGE), None, false, Err(InvalidRequest)),
        (Some(RFC_CHALLENGE), None, true, Err(InvalidRequest)),
        // Method names are case-sensitive.
        (
            Some(RFC_CHALLENGE),
            Some("s256"),
            false,
            Err(InvalidRequest),
        ),
        (
            Some(RFC_CHALLENGE),
            Some("SHA256"),
            false,
            Err(InvalidRequest),
        ),
        (Some(RFC_CHALLENGE), Some(""), false, Err(InvalidRequest)),
        // A method without a challenge.
        (None, Some("S256"), false, Err(InvalidRequest)),
        (None, Some("S256"), true, Err(InvalidRequest)),
        (None, Some("plain"), false, Err(InvalidRequest)),
        // The challenge's syntax is the verifier's business at /token.
        (Some("x"), Some("S256"), true, Ok(())),
    ];
    for (challenge, method, public, expected) in table {
        assert_eq!(
            check_request(*challenge, *method, *public),
            *expected,
            "challenge {challenge:?} method {method:?} public {public}"
        );
    }
}
