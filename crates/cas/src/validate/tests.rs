//! The validation decision, one row per rule (CAS 3.0 §2.5–§2.7).

use super::*;
use crate::ticket::ServiceTicket;
use regex::Regex;

const NOW: i64 = 1_764_410_400;
const ST: &str = "ST-0123456789abcdef0123456789abcdef0123456789abcdef";
const PT: &str = "PT-0123456789abcdef0123456789abcdef0123456789abcdef";
const PGT: &str = "PGT-0123456789abcdef0123456789abcdef0123456789abcdef";
const APP: &str = "https://app.example/cas";
const CALLBACK: &str = "https://proxy.example/cb";

/// Everything the decision reads, in a form a row can change.
struct Fixture {
    ticket: &'static str,
    service: &'static str,
    renew: bool,
    pgt_url: Option<&'static str>,
    proxy_endpoint: bool,
    stored: Option<ServiceTicket>,
    session_alive: bool,
    account_active: bool,
    registered: bool,
    proxy_allowed: bool,
}

fn fixture() -> Fixture {
    Fixture {
        ticket: ST,
        service: APP,
        renew: false,
        pgt_url: None,
        proxy_endpoint: false,
        stored: Some(ServiceTicket {
            service: APP.into(),
            service_id: "app".into(),
            account_id: 1,
            profile: "parent".into(),
            auth_time: NOW - 60,
            from_new_login: true,
            expires_at: NOW + 10,
            proxies: Vec::new(),
            sid: "sid".into(),
            generation: 0,
        }),
        session_alive: true,
        account_active: true,
        registered: true,
        proxy_allowed: false,
    }
}

/// The outcome as a row writes it: `ok`, `callback <url>`, `unregistered`
/// or the failure code.
fn outcome(r: Result<Granting<'_>, Failure>) -> String {
    match r {
        Ok(Granting::None) => "ok".into(),
        Ok(Granting::Callback(u)) => format!("callback {u}"),
        Ok(Granting::Unregistered) => "unregistered".into(),
        Err(f) => f.code.as_str().into(),
    }
}

fn check(name: &str, change: fn(&mut Fixture), expected: &str) {
    let mut f = fixture();
    change(&mut f);
    let urls = [sesame_domain::RegisteredUrl::parse(CALLBACK).expect("URL")];
    let patterns = [Regex::new(r"^https://proxy\.example/cb/[0-9]+$").expect("pattern")];
    let rights = Rights {
        proxy_allowed: f.proxy_allowed,
        callbacks: Registration {
            urls: &urls,
            patterns: &patterns,
        },
    };
    let record = f.stored.as_ref().map(|ticket| Record {
        ticket,
        session_alive: f.session_alive,
        account_active: f.account_active,
        service: f.registered.then_some(rights),
    });
    let req = Request {
        ticket: f.ticket,
        service: f.service,
        renew: f.renew,
        pgt_url: f.pgt_url,
        proxy_endpoint: f.proxy_endpoint,
    };
    assert_eq!(
        outcome(decide(&req, record.as_ref(), NOW)),
        expected,
        "{name}"
    );
}

/// A row: what it checks, how it changes the fixture, the outcome.
type Row = (&'static str, fn(&mut Fixture), &'static str);

#[test]
fn validation_decision() {
    let rows: &[Row] = &[
        ("a fresh ticket for its service", |_| {}, "ok"),
        // §2.5.1: both parameters are required.
        ("no ticket", |f| f.ticket = "", "INVALID_REQUEST"),
        ("no service", |f| f.service = "", "INVALID_REQUEST"),
        // CAS-08: the syntax is checked before the store.
        (
            "not our syntax",
            |f| f.ticket = "ST-short",
            "INVALID_TICKET_SPEC",
        ),
        (
            "a proxy ticket at /serviceValidate",
            |f| f.ticket = PT,
            "INVALID_TICKET_SPEC",
        ),
        (
            "a PGT at /serviceValidate",
            |f| f.ticket = PGT,
            "INVALID_TICKET_SPEC",
        ),
        (
            "a proxy ticket at /proxyValidate",
            |f| {
                f.ticket = PT;
                f.proxy_endpoint = true;
            },
            "ok",
        ),
        (
            "a service ticket at /proxyValidate",
            |f| f.proxy_endpoint = true,
            "ok",
        ),
        // §3.1.1: single use and short-lived.
        (
            "unknown or already used",
            |f| f.stored = None,
            "INVALID_TICKET",
        ),
        (
            "expired at this second",
            |f| {
                if let Some(st) = &mut f.stored {
                    st.expires_at = NOW;
                }
            },
            "INVALID_TICKET",
        ),
        (
            "one second before expiry",
            |f| {
                if let Some(st) = &mut f.stored {
                    st.expires_at = NOW + 1;
                }
            },
            "ok",
        ),
        // REV-05: the session has ended.
        (
            "session ended",
            |f| f.session_alive = false,
            "INVALID_TICKET",
        ),
        (
            "session ended beats another service",
            |f| {
                f.session_alive = false;
                f.service = "https://other.example/";
            },
            "INVALID_TICKET",
        ),
        // §2.5.3: another service.
        (
            "another service",
            |f| f.service = "https://other.example/",
            "INVALID_SERVICE",
        ),
        (
            "the service with a slash more",
            |f| f.service = "https://app.example/cas/",
            "INVALID_SERVICE",
        ),
        // §2.5.1 renew.
        (
            "renew and a ticket from SSO",
            |f| {
                f.renew = true;
                if let Some(st) = &mut f.stored {
                    st.from_new_login = false;
                }
            },
            "INVALID_TICKET",
        ),
        (
            "renew and a ticket from a new login",
            |f| f.renew = true,
            "ok",
        ),
        (
            "account no longer active",
            |f| f.account_active = false,
            "INVALID_TICKET",
        ),
        (
            "service no longer registered",
            |f| f.registered = false,
            "INVALID_SERVICE",
        ),
        // §2.5.4 and REV-04: proxy-granting tickets.
        (
            "pgtUrl, service may not proxy",
            |f| f.pgt_url = Some(CALLBACK),
            "ok",
        ),
        (
            "pgtUrl registered, service may proxy",
            |f| {
                f.pgt_url = Some(CALLBACK);
                f.proxy_allowed = true;
            },
            "callback https://proxy.example/cb",
        ),
        (
            "pgtUrl matching a registered pattern",
            |f| {
                f.pgt_url = Some("https://proxy.example/cb/42");
                f.proxy_allowed = true;
            },
            "callback https://proxy.example/cb/42",
        ),
        (
            "pgtUrl not registered",
            |f| {
                f.pgt_url = Some("https://evil.example/cb");
                f.proxy_allowed = true;
            },
            "unregistered",
        ),
        (
            "no pgtUrl, service may proxy",
            |f| f.proxy_allowed = true,
            "ok",
        ),
    ];
    for (name, change, expected) in rows {
        check(name, *change, expected);
    }
}

fn check_proxy(pgt: &str, target: &str, registered: bool, alive: Option<bool>, expected: &str) {
    let req = ProxyRequest { pgt, target };
    let got = match decide_proxy(&req, registered, alive) {
        Ok(()) => "ok",
        Err(f) => f.code.as_str(),
    };
    assert_eq!(
        got, expected,
        "/proxy?pgt={pgt}&targetService={target} registered={registered} alive={alive:?}"
    );
}

#[test]
fn proxy_ticket_decision() {
    for (pgt, target, registered, alive, expected) in [
        (PGT, APP, true, Some(true), "ok"),
        ("", APP, true, Some(true), "INVALID_REQUEST"),
        (PGT, "", true, Some(true), "INVALID_REQUEST"),
        (ST, APP, true, Some(true), "INVALID_TICKET_SPEC"),
        ("PGT-short", APP, true, Some(true), "INVALID_TICKET_SPEC"),
        (PGT, APP, false, Some(true), "UNAUTHORIZED_SERVICE"),
        (PGT, APP, true, None, "INVALID_TICKET"),
        (PGT, APP, true, Some(false), "INVALID_TICKET"),
        // The syntax is judged before the target.
        (ST, APP, false, None, "INVALID_TICKET_SPEC"),
    ] {
        check_proxy(pgt, target, registered, alive, expected);
    }
}

fn check_callback(pgt_url: &str, loopback_ok: bool, expected: Result<(), &str>) {
    let got = callback_url(pgt_url, loopback_ok)
        .map(|_| ())
        .map_err(|f| f.description);
    assert_eq!(got, expected, "{pgt_url}");
}

#[test]
fn proxy_callback_urls() {
    let not_valid = Err("L'adresse de rappel du proxy n'est pas valable.");
    let not_https = Err("L'adresse de rappel du proxy doit être en https.");
    for (pgt_url, loopback_ok, expected) in [
        (CALLBACK, false, Ok(())),
        ("not a url", false, not_valid),
        ("/relative/cb", false, not_valid),
        ("http://proxy.example/cb", true, not_https),
        ("http://127.0.0.1:9/cb", true, Ok(())),
        ("http://127.0.0.1:9/cb", false, not_https),
    ] {
        check_callback(pgt_url, loopback_ok, expected);
    }
}

#[test]
fn codes_are_written_as_the_specification_spells_them() {
    for (code, expected) in [
        (FailureCode::InvalidRequest, "INVALID_REQUEST"),
        (FailureCode::InvalidTicketSpec, "INVALID_TICKET_SPEC"),
        (
            FailureCode::UnauthorizedServiceProxy,
            "UNAUTHORIZED_SERVICE_PROXY",
        ),
        (FailureCode::UnauthorizedService, "UNAUTHORIZED_SERVICE"),
        (FailureCode::InvalidProxyCallback, "INVALID_PROXY_CALLBACK"),
        (FailureCode::InvalidTicket, "INVALID_TICKET"),
        (FailureCode::InvalidService, "INVALID_SERVICE"),
        (FailureCode::InternalError, "INTERNAL_ERROR"),
    ] {
        assert_eq!(code.as_str(), expected);
    }
}
