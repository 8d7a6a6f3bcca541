//! CAS as a browser and a service use it (CAS 3.0 §2): a login with a
//! service through the login form, ticket validation, the XML of the
//! answers, and the proxy chain (§2.5–2.7).

use super::fixtures::{CANTINE, ENT, now_clock, pupil_account, pupil_account_with};
use super::fixtures::{register_cas_proxy, register_cas_services};
use super::http::{callback, csrf_of, enc, get, location};
use super::personas::{CAMILLE, login_page, post_login};
use super::{TestEnv, TestServer};
use reqwest::Client;
use sesame_domain::FixedClock;
use std::sync::Arc;

/// A server with the services `ent` and `cantine` and Camille's pupil
/// account.
pub async fn setup(clock: Arc<FixedClock>) -> (TestEnv, TestServer) {
    let env = TestEnv::new();
    register_cas_services(&env);
    let s = pupil_account(&env, clock, 1000).await;
    (env, s)
}

/// Logs Camille in through `/cas/login?service=…` (CAS 3.0 §2.1) and the
/// login form; answers the ticket the service receives. `extra` is added
/// to the `/cas/login` query (`&renew=true`…).
pub async fn login_for(s: &TestServer, c: &Client, service: &str, extra: &str) -> String {
    let r = get(
        c,
        &format!("{}/cas/login?service={}{extra}", s.url, enc(service)),
    )
    .await;
    assert_eq!(r.status(), 303, "credentials are asked");
    let to = location(&r);
    assert!(to.starts_with("/profil?service="), "{to}");
    let mut fields = vec![("service", service)];
    if extra.contains("renew") {
        fields.push(("renew", "true"));
    }
    let html = login_page(c, &s.url, &CAMILLE, &fields).await;
    assert!(
        html.contains("name=\"service\""),
        "the login page carries the service: {html}"
    );
    let r = post_login(c, &s.url, &CAMILLE, &csrf_of(&html), &fields).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    ticket_of(&location(&r), service)
}

/// The ticket of a redirect to `service` (CAS 3.0 §2.2.4): added to its
/// query, before its fragment.
pub fn ticket_of(location: &str, service: &str) -> String {
    let (base, fragment) = match service.split_once('#') {
        Some((b, f)) => (b, format!("#{f}")),
        None => (service, String::new()),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let prefix = format!("{base}{sep}ticket=");
    assert!(
        location.starts_with(&prefix) && location.ends_with(&fragment),
        "{location}"
    );
    location[prefix.len()..location.len() - fragment.len()].to_owned()
}

/// Validates `ticket` for `service` at `path` (`/cas/serviceValidate`…,
/// CAS 3.0 §2.5), with `extra` added to the query; answers (status, body).
pub async fn validate(
    s: &TestServer,
    path: &str,
    ticket: &str,
    service: &str,
    extra: &str,
) -> (u16, String) {
    let r = get(
        &TestServer::browser(),
        &format!(
            "{}{path}?ticket={}&service={}{extra}",
            s.url,
            enc(ticket),
            enc(service)
        ),
    )
    .await;
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// Parses XML strictly (well-formedness), answering the text of every
/// element by name, e.g. ("cas:user", "camille.martin").
pub fn parse_xml(xml: &str) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(xml);
    r.config_mut().check_end_names = true;
    let mut out = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let flush = |stack: &[String], text: &mut String, out: &mut Vec<(String, String)>| {
        if let Some(top) = stack.last()
            && !text.trim().is_empty()
        {
            out.push((top.clone(), std::mem::take(text)));
        }
        text.clear();
    };
    loop {
        match r
            .read_event()
            .unwrap_or_else(|e| panic!("malformed XML ({e}): {xml}"))
        {
            ev @ (Event::Start(_) | Event::Empty(_)) => {
                let (e, empty) = match ev {
                    Event::Start(e) => (e, false),
                    Event::Empty(e) => (e, true),
                    _ => unreachable!("matched above"),
                };
                flush(&stack, &mut text, &mut out);
                let name: String = AsRef::<str>::as_ref(&e.name()).to_owned();
                for a in e.attributes() {
                    let a = a.expect("attribute");
                    out.push((
                        format!("{name}@{}", AsRef::<str>::as_ref(&a.key)),
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("value")
                            .into_owned(),
                    ));
                }
                if !empty {
                    stack.push(name);
                }
            }
            Event::Text(t) => text.push_str(&t.into_inner()),
            Event::GeneralRef(e) => text.push_str(match e.into_inner().as_ref() {
                "lt" => "<",
                "gt" => ">",
                "amp" => "&",
                "quot" => "\"",
                "apos" => "'",
                other => panic!("unexpected entity {other} in {xml}"),
            }),
            Event::End(_) => {
                flush(&stack, &mut text, &mut out);
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed elements in {xml}");
    out
}

/// The text (or `element@attribute` value) named `name` in parsed XML.
pub fn value<'a>(xml: &'a [(String, String)], name: &str) -> Option<&'a str> {
    xml.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A server with a proxying CAS service `ent` whose callbacks are
/// `http://127.0.0.1:*/pgt`, and the `cantine` service to proxy to.
pub async fn proxy_setup() -> (TestEnv, TestServer) {
    let env = TestEnv::new();
    register_cas_proxy(&env);
    let s = pupil_account_with(&env, now_clock(), 1000, |c| {
        c.cas.allow_http_callbacks_on_loopback = true;
    })
    .await;
    (env, s)
}

/// Logs `c` in to the ENT and validates with a callback (CAS 3.0 §2.5.4);
/// answers the PGT the callback received.
pub async fn pgt_of(s: &TestServer, c: &Client) -> String {
    let (port, calls) = callback(200).await;
    let t = login_for(s, c, ENT, "").await;
    let cb = format!("http://127.0.0.1:{port}/pgt");
    let (_, xml) = validate(
        s,
        "/cas/serviceValidate",
        &t,
        ENT,
        &format!("&pgtUrl={}", enc(&cb)),
    )
    .await;
    assert!(
        value(&parse_xml(&xml), "cas:proxyGrantingTicket").is_some(),
        "{xml}"
    );
    let call = calls
        .lock()
        .expect("lock")
        .first()
        .cloned()
        .expect("called");
    url::form_urlencoded::parse(call.split_once('?').expect("query").1.as_bytes())
        .find(|(k, _)| k == "pgtId")
        .expect("pgtId")
        .1
        .into_owned()
}

/// `/cas/proxy` with a PGT for the cantine (CAS 3.0 §2.7): the proxy
/// ticket or the failure code.
pub async fn proxy_ticket(s: &TestServer, pgt: &str) -> Result<String, String> {
    let r = get(
        &TestServer::browser(),
        &format!(
            "{}/cas/proxy?pgt={pgt}&targetService={}",
            s.url,
            enc(CANTINE)
        ),
    )
    .await;
    let x = parse_xml(&r.text().await.expect("body"));
    match value(&x, "cas:proxyTicket") {
        Some(pt) => Ok(pt.to_owned()),
        None => Err(value(&x, "cas:proxyFailure@code")
            .unwrap_or_default()
            .to_owned()),
    }
}
