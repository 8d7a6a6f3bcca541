//! Error codes: names, parsing, token-endpoint answers (RFC 6749 §4.1.2.1,
//! §5.2; OIDC Core §3.1.2.6).

use super::ErrorCode::{self, *};

/// (code, registered name, listed for the token endpoint, needs 401)
const TABLE: &[(ErrorCode, &str, bool, bool)] = &[
    (InvalidRequest, "invalid_request", true, false),
    (InvalidClient, "invalid_client", true, true),
    (InvalidGrant, "invalid_grant", true, false),
    (UnauthorizedClient, "unauthorized_client", true, false),
    (UnsupportedGrantType, "unsupported_grant_type", true, false),
    (AccessDenied, "access_denied", false, false),
    (
        UnsupportedResponseType,
        "unsupported_response_type",
        false,
        false,
    ),
    (InvalidScope, "invalid_scope", true, false),
    (ServerError, "server_error", true, false),
    (
        TemporarilyUnavailable,
        "temporarily_unavailable",
        false,
        false,
    ),
    (LoginRequired, "login_required", false, false),
    (ConsentRequired, "consent_required", false, false),
    (InteractionRequired, "interaction_required", false, false),
    (RequestNotSupported, "request_not_supported", false, false),
    (
        RequestUriNotSupported,
        "request_uri_not_supported",
        false,
        false,
    ),
];

fn check(code: ErrorCode, name: &str, token: bool, basic: bool) {
    assert_eq!(code.as_str(), name, "{code:?}");
    assert_eq!(code.to_string(), name, "{code:?} Display");
    assert_eq!(ErrorCode::parse(name), Some(code), "{name} parses");
    assert_eq!(
        code.is_token_error(),
        token,
        "{code:?} at the token endpoint"
    );
    assert_eq!(code.wants_authentication(), basic, "{code:?} 401");
    assert_eq!(
        serde_json::to_value(code).ok(),
        Some(serde_json::Value::from(name)),
        "{code:?} serialises as its name"
    );
    assert_eq!(
        code.body().to_string(),
        format!("{{\"error\":\"{name}\"}}"),
        "{code:?} body (RFC 6749 §5.2)"
    );
}

#[test]
fn every_code_has_its_registered_name_and_token_endpoint_answer() {
    for &(code, name, token, basic) in TABLE {
        check(code, name, token, basic);
    }
    assert_eq!(
        TABLE.len(),
        ErrorCode::ALL.len(),
        "the table covers every code"
    );
}

#[test]
fn only_exact_names_parse() {
    let table: &[(&str, Option<ErrorCode>)] = &[
        ("invalid_grant", Some(InvalidGrant)),
        ("server_error", Some(ServerError)),
        ("login_required", Some(LoginRequired)),
        // RFC 6749 §A.7: the codes are case-sensitive.
        ("Invalid_Grant", None),
        ("INVALID_CLIENT", None),
        ("invalid grant", None),
        (" invalid_grant", None),
        ("invalid_grant ", None),
        ("", None),
        ("invalid-grant", None),
        ("unsupported_token_type", None),
        ("error", None),
        ("invalid_request_uri", None),
        ("registration_not_supported", None),
        ("account_selection_required", None),
        ("temporarily_unavailable", Some(TemporarilyUnavailable)),
    ];
    for (name, expected) in table {
        assert_eq!(ErrorCode::parse(name), *expected, "{name:?}");
    }
}

#[test]
fn codes_are_distinct() {
    let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ErrorCode::ALL.len());
}
