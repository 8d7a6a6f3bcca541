//! Authorization requests (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): which are
//! accepted, which refused on a page, which sent back with which error.

use super::{AuthRequest, AuthorizeError, Client, check, error_location, response_fields};
use super::{Delivery, PageError, after_login, error_delivery, response_location};
use crate::error::ErrorCode;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Registry {
    uris: Vec<sesame_domain::RegisteredUrl>,
    none: Vec<String>,
    profile: Vec<String>,
    children: Vec<String>,
}

fn registry() -> Registry {
    let parse =
        |u: &str| sesame_domain::RegisteredUrl::parse(u).unwrap_or_else(|e| panic!("{u}: {e}"));
    Registry {
        uris: vec![
            parse("https://rp.example/cb"),
            parse("https://rp.example/cb?x=1"),
        ],
        none: Vec::new(),
        profile: vec!["profile".into()],
        children: vec!["sesame.children".into()],
    }
}

/// `rp`: confidential, every scope but the children's; `spa`: public,
/// `profile` only; `parents`: confidential, the children's scope.
fn find<'a>(r: &'a Registry) -> impl Fn(&str) -> Option<Client<'a>> {
    move |id: &str| match id {
        "rp" => Some(Client {
            redirect_uris: &r.uris,
            scopes: &r.none,
            public: false,
        }),
        "spa" => Some(Client {
            redirect_uris: &r.uris,
            scopes: &r.profile,
            public: true,
        }),
        "parents" => Some(Client {
            redirect_uris: &r.uris,
            scopes: &r.children,
            public: false,
        }),
        _ => None,
    }
}

/// The outcome, in short: `ok`, `page <error>` or `redirect <code> <state>`.
fn outcome(r: &Result<AuthRequest, AuthorizeError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(AuthorizeError::Page(p)) => format!("page {p:?}"),
        Err(AuthorizeError::Redirect {
            error,
            state,
            redirect_uri,
            form_post,
        }) => {
            assert!(
                redirect_uri.starts_with("https://rp.example/cb"),
                "{redirect_uri}"
            );
            let post = if *form_post { " form_post" } else { "" };
            format!("redirect {error} {}{post}", state.as_deref().unwrap_or("-"))
        }
    }
}

fn check_one(query: &str, expected: &str) {
    let r = registry();
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let got = check(&params, find(&r));
    assert_eq!(outcome(&got), expected, "{query}");
    if let Err(e) = &got {
        assert_eq!(
            e.redirectable(),
            expected.starts_with("redirect"),
            "{query}"
        );
    }
}

const OK: &str = "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid&state=st";

#[test]
fn authorization_requests() {
    let pkce = format!("&code_challenge={CHALLENGE}&code_challenge_method=S256");
    let spa = OK.replace("client_id=rp", "client_id=spa");
    let table: Vec<(String, &str)> = vec![
        (OK.into(), "ok"),
        (format!("{OK}{pkce}"), "ok"),
        (format!("{spa}{pkce}"), "ok"),
        (
            format!("{spa}&scope=openid+profile{pkce}").replacen("&scope=openid", "", 1),
            "ok",
        ),
        (
            format!("{OK}&nonce=n&prompt=login&max_age=0&response_mode=form_post"),
            "ok",
        ),
        (format!("{OK}&response_mode=query&max_age=3600"), "ok"),
        (
            OK.replace("scope=openid", "scope=openid+profile+email+sesame"),
            "ok",
        ),
        // Refused on a page: nothing is sent to an unchecked address.
        (format!("{OK}&state=again"), "page RepeatedParameter"),
        (format!("{OK}&client_id=rp"), "page RepeatedParameter"),
        (
            OK.replace("client_id=rp", "client_id=nobody"),
            "page UnknownClient",
        ),
        (OK.replace("client_id=rp&", ""), "page UnknownClient"),
        (OK.replace("cb&", "other&"), "page UnregisteredRedirectUri"),
        (
            OK.replace(
                "https%3A%2F%2Frp.example%2Fcb",
                "https%3A%2F%2Frp.example%2Fcb%2F",
            ),
            "page UnregisteredRedirectUri",
        ),
        (
            OK.replace(
                "https%3A%2F%2Frp.example%2Fcb",
                "https%3A%2F%2FRP.example%2Fcb",
            ),
            "page UnregisteredRedirectUri",
        ),
        (
            OK.replace("redirect_uri=https%3A%2F%2Frp.example%2Fcb&", ""),
            "page UnregisteredRedirectUri",
        ),
        // A repeated parameter is refused before the client is looked up.
        (
            OK.replace("client_id=rp", "client_id=nobody&scope=x"),
            "page RepeatedParameter",
        ),
        // Sent back to the client.
        (
            format!("{OK}&request=eyJ"),
            "redirect request_not_supported st",
        ),
        (
            format!("{OK}&request_uri=https%3A%2F%2Fx"),
            "redirect request_uri_not_supported st",
        ),
        (
            OK.replace("response_type=code", "response_type=token"),
            "redirect unsupported_response_type st",
        ),
        (
            OK.replace("response_type=code", "response_type=code+id_token"),
            "redirect unsupported_response_type st",
        ),
        (
            OK.replace("response_type=code&", ""),
            "redirect unsupported_response_type st",
        ),
        (
            OK.replace("scope=openid", "scope=profile"),
            "redirect invalid_scope st",
        ),
        (
            OK.replace("scope=openid", "scope=openid+phone"),
            "redirect invalid_scope st",
        ),
        (
            OK.replace("scope=openid", "scope=openid+sesame.children"),
            "redirect invalid_scope st",
        ),
        (OK.replace("&state=st", ""), "ok"),
        (
            OK.replace("scope=openid&state=st", "scope=phone"),
            "redirect invalid_scope -",
        ),
        (
            spa.replace("scope=openid", "scope=openid+email") + &pkce,
            "redirect invalid_scope st",
        ),
        (spa.clone(), "redirect invalid_request st"),
        (
            format!("{OK}&code_challenge={CHALLENGE}"),
            "redirect invalid_request st",
        ),
        (
            format!("{OK}&code_challenge={CHALLENGE}&code_challenge_method=plain"),
            "redirect invalid_request st",
        ),
        (
            format!("{OK}&code_challenge_method=S256"),
            "redirect invalid_request st",
        ),
        (format!("{OK}&max_age=-1"), "redirect invalid_request st"),
        (format!("{OK}&max_age=soon"), "redirect invalid_request st"),
        (
            format!("{OK}&response_mode=fragment"),
            "redirect invalid_request st",
        ),
        (
            format!("{OK}&response_mode=form_post.jwt"),
            "redirect invalid_request st",
        ),
        // Form Post Response Mode §2: an error goes back as asked.
        (
            format!("{OK}&response_mode=form_post").replace("scope=openid", "scope=profile"),
            "redirect invalid_scope st form_post",
        ),
        (
            format!("{OK}&response_mode=form_post&max_age=-1"),
            "redirect invalid_request st form_post",
        ),
        (
            format!("{OK}&response_mode=form_post&request=eyJ"),
            "redirect request_not_supported st form_post",
        ),
        // OIDC Core §3.1.2.1: `none` with any other prompt value.
        (format!("{OK}&prompt=none"), "ok"),
        (format!("{OK}&prompt=login+consent"), "ok"),
        (
            format!("{OK}&prompt=none+login"),
            "redirect invalid_request st",
        ),
        (
            format!("{OK}&prompt=consent+none"),
            "redirect invalid_request st",
        ),
        (
            format!("{OK}&prompt=none+select_account&response_mode=form_post"),
            "redirect invalid_request st form_post",
        ),
    ];
    for (query, expected) in &table {
        check_one(query, expected);
    }
}

/// OIDC Core §3.1.2.1: `prompt=login` and `max_age=0` demand a login made
/// for this request, even one of the same second; `max_age=n` accepts a
/// login at most n seconds old.
#[test]
fn when_a_session_answers_without_a_new_login() {
    let now = 1_000;
    // (extra query, auth_time, answered by the session)
    let table: Vec<(&str, i64, bool)> = vec![
        ("", 0, true),
        ("&prompt=login", now, false),
        ("&prompt=consent+login", now, false),
        ("&prompt=consent", now, true),
        ("&max_age=0", now, false),
        ("&max_age=0", now - 1, false),
        ("&max_age=1", now, true),
        ("&max_age=60", now - 60, true),
        ("&max_age=60", now - 61, false),
    ];
    let r = registry();
    for (extra, auth_time, answered) in table {
        let params: Vec<(String, String)> =
            url::form_urlencoded::parse(format!("{OK}{extra}").as_bytes())
                .into_owned()
                .collect();
        let req = check(&params, find(&r)).unwrap_or_else(|e| panic!("{extra}: {e:?}"));
        assert_eq!(req.session_satisfies(auth_time, now), answered, "{extra}");
        assert_eq!(
            req.demands_fresh_login(),
            extra.contains("login") || extra == "&max_age=0",
            "{extra}"
        );
        // Once the user has logged in, the resumed request is answered.
        let again =
            check(&after_login(&params), find(&r)).unwrap_or_else(|e| panic!("{extra}: {e:?}"));
        assert!(again.session_satisfies(now, now), "{extra}");
    }
}

/// Form Post Response Mode §2: an error is POSTed when the client asked
/// for `form_post`, redirected otherwise.
#[test]
fn how_an_error_is_delivered() {
    let fallback = url::Url::parse("https://sesame.example/").unwrap_or_else(|e| panic!("{e}"));
    let iss = "https://sesame.example";
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let table: Vec<(bool, Option<&str>, Delivery)> = vec![
        (
            false,
            Some("s"),
            Delivery::Redirect(
                "https://rp.example/cb?error=login_required&state=s&iss=https%3A%2F%2Fsesame.example"
                    .into(),
            ),
        ),
        (
            true,
            Some("s"),
            Delivery::FormPost(vec![
                pair("error", "login_required"),
                pair("state", "s"),
                pair("iss", iss),
            ]),
        ),
        (
            true,
            None,
            Delivery::FormPost(vec![pair("error", "login_required"), pair("iss", iss)]),
        ),
    ];
    for (form_post, state, expected) in table {
        let got = error_delivery(
            "https://rp.example/cb",
            &fallback,
            ErrorCode::LoginRequired,
            state,
            iss,
            form_post,
        );
        assert_eq!(got, expected, "{form_post} {state:?}");
    }
}

#[test]
fn the_parent_client_may_ask_for_the_children() {
    check_one(
        &OK.replace("client_id=rp", "client_id=parents")
            .replace("scope=openid", "scope=openid+sesame.children"),
        "ok",
    );
    check_one(
        &OK.replace("client_id=rp", "client_id=parents")
            .replace("scope=openid", "scope=openid+profile"),
        "redirect invalid_scope st",
    );
}

#[test]
fn an_accepted_request_keeps_what_the_client_sent() {
    let r = registry();
    let query = format!(
        "{OK}&scope=openid++profile&nonce=n1&prompt=consent&max_age=60&response_mode=form_post&code_challenge={CHALLENGE}&code_challenge_method=S256"
    )
    .replacen("&scope=openid", "", 1);
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let got = check(&params, find(&r));
    let expected = AuthRequest {
        client_id: "rp".into(),
        redirect_uri: "https://rp.example/cb".into(),
        scopes: vec!["openid".into(), "profile".into()],
        state: Some("st".into()),
        nonce: Some("n1".into()),
        code_challenge: Some(CHALLENGE.into()),
        prompt: Some("consent".into()),
        max_age: Some(60),
        form_post: true,
    };
    assert_eq!(got, Ok(expected));
}

#[test]
fn an_old_stored_request_still_reads() {
    // Stored before `max_age` and `form_post` existed.
    let old = r#"{"client_id":"rp","redirect_uri":"https://rp.example/cb","scopes":["openid"],"state":null,"nonce":null,"code_challenge":null,"prompt":null}"#;
    let r: Result<AuthRequest, _> = serde_json::from_str(old);
    assert!(r.is_ok_and(|r| r.max_age.is_none() && !r.form_post));
}

#[test]
fn page_errors_speak_french() {
    for p in [
        PageError::RepeatedParameter,
        PageError::UnknownClient,
        PageError::UnregisteredRedirectUri,
    ] {
        assert!(!p.text().is_empty());
        assert!(!AuthorizeError::Page(p).redirectable());
    }
}

#[test]
fn answers_to_the_client() {
    let fallback = url::Url::parse("https://sesame.example/").unwrap_or_else(|e| panic!("{e}"));
    let iss = "https://sesame.example";
    let table: Vec<(String, &str)> = vec![
        (
            error_location(
                "https://rp.example/cb",
                &fallback,
                ErrorCode::AccessDenied,
                Some("s 1"),
                iss,
            ),
            "https://rp.example/cb?error=access_denied&state=s+1&iss=https%3A%2F%2Fsesame.example",
        ),
        (
            error_location(
                "https://rp.example/cb?x=1",
                &fallback,
                ErrorCode::LoginRequired,
                None,
                iss,
            ),
            "https://rp.example/cb?x=1&error=login_required&iss=https%3A%2F%2Fsesame.example",
        ),
        (
            error_location("not a url", &fallback, ErrorCode::ServerError, None, iss),
            "https://sesame.example/?error=server_error&iss=https%3A%2F%2Fsesame.example",
        ),
        (
            response_location(
                "https://rp.example/cb",
                &fallback,
                &response_fields("c0de", Some("st"), iss),
            ),
            "https://rp.example/cb?code=c0de&state=st&iss=https%3A%2F%2Fsesame.example",
        ),
        (
            response_location(
                "https://rp.example/cb?x=1",
                &fallback,
                &response_fields("c", None, iss),
            ),
            "https://rp.example/cb?x=1&code=c&iss=https%3A%2F%2Fsesame.example",
        ),
    ];
    for (got, expected) in table {
        assert_eq!(got, expected);
    }
}
