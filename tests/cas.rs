//! The CAS 3.0 server through HTTP, as a browser and as a service would
//! use it (SECURITY.md CAS-01…CAS-14).

use crate::support::cas::{
    login_for, parse_xml, proxy_setup, proxy_ticket, setup, ticket_of, validate, value,
};
use crate::support::fixtures::{CANTINE, ENT, now_clock, pupil_account};
use crate::support::http::{callback, enc, get, location, receiver};
use crate::support::{TestEnv, TestServer};
use reqwest::Client;

// CAS-11 (without single logout, which comes next)
#[tokio::test(flavor = "multi_thread")]
async fn logout_redirects_only_to_registered_services_and_ends_sso() {
    let (_env, s) = setup(now_clock()).await;
    let c = TestServer::browser();
    login_for(&s, &c, ENT, "").await;
    let r = get(
        &c,
        &format!(
            "{}/cas/logout?service={}&url={}",
            s.url,
            enc("https://evil.fr/"),
            enc("https://evil.fr/")
        ),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("location").is_none());
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Vous êtes déconnecté")
    );
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(ENT))).await;
    assert_eq!(r.status(), 303, "credentials asked again after logout");

    login_for(&s, &c, ENT, "").await;
    let r = get(
        &c,
        &format!("{}/cas/logout?service={}", s.url, enc(CANTINE)),
    )
    .await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (302, CANTINE.to_owned())
    );
}

// CAS-11: single logout reaches the services that got a ticket, in the
// background; a hanging service does not delay the logout page.
#[tokio::test(flavor = "multi_thread")]
async fn single_logout_posts_a_logout_request_to_each_service_of_the_session() {
    let (good, received) = receiver(false).await;
    let (bad, _) = receiver(true).await;
    let env = TestEnv::new();
    env.write(
        "services/ent.toml",
        format!("id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"{ENT}\"]\nlogout_url = \"http://127.0.0.1:{good}/slo\"\n"),
    );
    env.write(
        "services/cantine.toml",
        format!("id = \"cantine\"\nname = \"Cantine\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"{CANTINE}\"]\nlogout_url = \"http://127.0.0.1:{bad}/slo\"\n"),
    );
    let s = pupil_account(&env, now_clock(), 1000).await;
    let c = TestServer::browser();
    let ticket = login_for(&s, &c, ENT, "").await;
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(CANTINE))).await;
    assert_eq!(r.status(), 302);

    let started = std::time::Instant::now();
    let r = get(&c, &format!("{}/cas/logout", s.url)).await;
    assert_eq!(r.status(), 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the logout page does not wait"
    );
    let mut body = String::new();
    for _ in 0..60 {
        if let Some(b) = received.lock().expect("lock").first() {
            body = b.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let request = &form
        .iter()
        .find(|(k, _)| k == "logoutRequest")
        .expect("logoutRequest")
        .1;
    let x = parse_xml(request);
    assert_eq!(value(&x, "samlp:SessionIndex"), Some(ticket.as_str()));
    assert_eq!(value(&x, "samlp:LogoutRequest@Version"), Some("2.0"));
}

// CAS-10, and the proxy chain of CAS §2.5–2.7.
#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_gets_a_pgt_through_its_callback_and_proxy_tickets_for_other_services() {
    let (ok_port, calls) = callback(200).await;
    let (bad_port, _) = callback(404).await;
    let (_env, s) = proxy_setup().await;
    let c = TestServer::browser();
    let cb = format!("http://127.0.0.1:{ok_port}/pgt");

    // The proxying service validates with a callback: the PGT goes to the
    // callback, the IOU comes back in the validation.
    let t = login_for(&s, &c, ENT, "").await;
    let (_, xml) = validate(
        &s,
        "/cas/p3/serviceValidate",
        &t,
        ENT,
        &format!("&pgtUrl={}", enc(&cb)),
    )
    .await;
    let x = parse_xml(&xml);
    let iou = value(&x, "cas:proxyGrantingTicket")
        .expect("a PGTIOU")
        .to_owned();
    assert!(iou.starts_with("PGTIOU-"), "{xml}");
    let call = calls
        .lock()
        .expect("lock")
        .first()
        .cloned()
        .expect("the callback was called");
    let q: Vec<(String, String)> =
        url::form_urlencoded::parse(call.split_once('?').expect("query").1.as_bytes())
            .into_owned()
            .collect();
    let pgt = q
        .iter()
        .find(|(k, _)| k == "pgtId")
        .expect("pgtId")
        .1
        .clone();
    assert_eq!(
        q.iter()
            .find(|(k, _)| k == "pgtIou")
            .map(|(_, v)| v.as_str()),
        Some(iou.as_str())
    );

    // A proxy ticket for another registered service, validated there.
    let pt = proxy_ticket(&s, &pgt).await.expect("a proxy ticket");
    assert!(pt.starts_with("PT-"));
    let (_, xml) = validate(&s, "/cas/serviceValidate", &pt, CANTINE, "").await;
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_TICKET_SPEC"),
        "no proxy ticket on serviceValidate"
    );
    let pt = proxy_ticket(&s, &pgt).await.expect("pt");
    let (_, xml) = validate(&s, "/cas/proxyValidate", &pt, CANTINE, "").await;
    let x = parse_xml(&xml);
    assert_eq!(value(&x, "cas:user"), Some("camille.martin"));
    assert_eq!(value(&x, "cas:proxy"), Some(cb.as_str()));
    // Unknown target, bad PGT.
    let r = get(
        &c,
        &format!(
            "{}/cas/proxy?pgt={pgt}&targetService={}",
            s.url,
            enc("https://evil.fr/")
        ),
    )
    .await;
    assert_eq!(
        value(
            &parse_xml(&r.text().await.expect("body")),
            "cas:proxyFailure@code"
        ),
        Some("UNAUTHORIZED_SERVICE")
    );
    let r = get(
        &c,
        &format!(
            "{}/cas/proxy?pgt=PGT-{}&targetService={}",
            s.url,
            "0".repeat(48),
            enc(CANTINE)
        ),
    )
    .await;
    assert_eq!(
        value(
            &parse_xml(&r.text().await.expect("body")),
            "cas:proxyFailure@code"
        ),
        Some("INVALID_TICKET")
    );

    // A failing callback: no PGT, and the validation fails.
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(ENT))).await;
    let t = ticket_of(&location(&r), ENT);
    let bad = format!("http://127.0.0.1:{bad_port}/pgt");
    let (_, xml) = validate(
        &s,
        "/cas/serviceValidate",
        &t,
        ENT,
        &format!("&pgtUrl={}", enc(&bad)),
    )
    .await;
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_PROXY_CALLBACK")
    );
    // A service that may not proxy gets no PGTIOU, whatever it asks.
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(CANTINE))).await;
    let t = ticket_of(&location(&r), CANTINE);
    let (_, xml) = validate(
        &s,
        "/cas/serviceValidate",
        &t,
        CANTINE,
        &format!("&pgtUrl={}", enc(&cb)),
    )
    .await;
    let x = parse_xml(&xml);
    assert_eq!(value(&x, "cas:user"), Some("camille.martin"));
    assert!(value(&x, "cas:proxyGrantingTicket").is_none());
    assert_eq!(
        calls.lock().expect("lock").len(),
        1,
        "no callback for a service that may not proxy"
    );
}

// CAS-10: without the loopback switch, plain-http callbacks are refused.
#[tokio::test(flavor = "multi_thread")]
async fn plain_http_callbacks_are_refused_by_default() {
    let (port, calls) = callback(200).await;
    let env = TestEnv::new();
    env.write(
        "services/ent.toml",
        format!("id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[cas]\nservice_urls = [\"{ENT}\"]\nproxy_allowed = true\nproxy_callback_patterns = [\"^http://127\\\\.0\\\\.0\\\\.1:[0-9]+/pgt$\"]\n"),
    );
    let s = pupil_account(&env, now_clock(), 1000).await;
    let c = TestServer::browser();
    let t = login_for(&s, &c, ENT, "").await;
    let cb = format!("http://127.0.0.1:{port}/pgt");
    let (_, xml) = validate(
        &s,
        "/cas/serviceValidate",
        &t,
        ENT,
        &format!("&pgtUrl={}", enc(&cb)),
    )
    .await;
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_PROXY_CALLBACK")
    );
    assert!(calls.lock().expect("lock").is_empty());
}

// CAS-12, CAS-13, CAS-08 (issued tickets), AUTH-15
#[tokio::test(flavor = "multi_thread")]
async fn a_service_gets_a_ticket_and_validates_it_in_every_shape() {
    let (_env, s) = setup(now_clock()).await;
    let c = TestServer::browser();
    let ticket = login_for(&s, &c, ENT, "").await;
    assert!(ticket.starts_with("ST-") && ticket.len() == 51, "{ticket}");
    assert!(ticket[3..].bytes().all(|b| b.is_ascii_hexdigit()));

    let (status, xml) = validate(&s, "/cas/p3/serviceValidate", &ticket, ENT, "").await;
    assert_eq!(status, 200);
    let x = parse_xml(&xml);
    assert_eq!(value(&x, "cas:user"), Some("camille.martin"));
    assert_eq!(value(&x, "cas:isFromNewLogin"), Some("true"));
    assert_eq!(
        value(&x, "cas:longTermAuthenticationRequestTokenUsed"),
        Some("false")
    );
    assert!(value(&x, "cas:authenticationDate").is_some_and(|d| d.ends_with('Z')));
    assert_eq!(value(&x, "cas:sn"), Some("MARTIN"));
    assert_eq!(value(&x, "cas:ENTPersonStructRattach"), Some("0999001W"));
    assert!(value(&x, "cas:uid").is_some());
    assert!(
        !xml.contains("16/06/2013") && !xml.contains("2013-06-16"),
        "no birth date"
    );

    // SSO: the next service gets a ticket without credentials.
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(CANTINE))).await;
    assert_eq!(r.status(), 302);
    let t2 = ticket_of(&location(&r), CANTINE);
    let (_, json) = validate(&s, "/cas/p3/serviceValidate", &t2, CANTINE, "&format=JSON").await;
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let ok = &v["serviceResponse"]["authenticationSuccess"];
    assert_eq!(ok["user"], "camille.martin");
    assert_eq!(ok["attributes"]["isFromNewLogin"][0], "false");
    assert!(
        ok["attributes"].get("sn").is_none(),
        "this service is released no attributes: {json}"
    );

    // method=POST: a page that posts the ticket to the service, whose CSP
    // allows that one origin as a form target.
    let r = get(
        &c,
        &format!("{}/cas/login?service={}&method=POST", s.url, enc(ENT)),
    )
    .await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains("form-action https://app.ent.fr"), "{csp}");
    let html = r.text().await.expect("body");
    assert!(
        html.contains(&format!("action=\"{ENT}\"")) && html.contains("name=\"ticket\" value=\"ST-"),
        "{html}"
    );

    // CAS 2.0 XML: no attributes; CAS 1.0 text.
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(ENT))).await;
    let t3 = ticket_of(&location(&r), ENT);
    let (_, xml) = validate(&s, "/cas/serviceValidate", &t3, ENT, "").await;
    let x = parse_xml(&xml);
    assert_eq!(value(&x, "cas:user"), Some("camille.martin"));
    assert!(value(&x, "cas:sn").is_none());
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(ENT))).await;
    let t4 = ticket_of(&location(&r), ENT);
    assert_eq!(
        validate(&s, "/cas/validate", &t4, ENT, "").await.1,
        "yes\ncamille.martin\n"
    );
    assert_eq!(
        validate(&s, "/cas/validate", &t4, ENT, "").await.1,
        "no\n\n"
    );

    // Unsupported format and missing parameters: defined errors, not 500.
    let (status, xml) = validate(&s, "/cas/serviceValidate", &t4, ENT, "&format=YAML").await;
    assert_eq!(status, 200);
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_REQUEST")
    );
    let r = get(
        &c,
        &format!("{}/cas/serviceValidate?service={}", s.url, enc(ENT)),
    )
    .await;
    let xml = r.text().await.expect("body");
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_REQUEST")
    );
}

// CAS-01, CAS-02, CAS-07
#[tokio::test(flavor = "multi_thread")]
async fn unregistered_or_lookalike_services_get_no_ticket_and_no_redirect() {
    let (_env, s) = setup(now_clock()).await;
    let c = TestServer::browser();
    let hostile = [
        "https://evil.fr/",
        "https://app.ent.fr.evil.fr/cas/",
        "https://app.ent.fr@evil.fr/cas/",
        "https://evil.fr/?https://app.ent.fr/cas/",
        "https://app.ent.fr/cas/../evil",
        "https://app.ent.fr/cas/%2e%2e/evil",
        "//evil.fr",
        "https:\\\\evil.fr",
        "HTTPS://APP.ENT.FR/cas/",
        "http://app.ent.fr/cas/",
        "https://app.ent.fr/cas/\r\nLocation: https://evil.fr/",
        "https://teleservices.ac-exemple.fr/bourses/../../evil/",
        "https://teleservices.ac-exemple.fr.evil.fr/bourses/",
        "<script>alert(1)</script>",
    ];
    let check = |c: Client, extra: &'static str| {
        let url = s.url.clone();
        async move {
            for h in hostile {
                let r = get(&c, &format!("{url}/cas/login?service={}{extra}", enc(h))).await;
                assert_eq!(r.status(), 400, "{h}{extra}");
                assert!(r.headers().get("location").is_none(), "{h}");
                let body = r.text().await.expect("body");
                assert!(body.contains("Service non autorisé"), "{body}");
                assert!(!body.contains("<script>alert"), "escaped");
            }
        }
    };
    check(c.clone(), "").await;
    check(c.clone(), "&gateway=true").await;
    login_for(&s, &c, ENT, "").await;
    check(c.clone(), "").await;
    check(c.clone(), "&renew=true").await;
    // The registered pattern does match what it names.
    let r = get(
        &c,
        &format!(
            "{}/cas/login?service={}",
            s.url,
            enc("https://teleservices.ac-exemple.fr/bourses/")
        ),
    )
    .await;
    assert_eq!(r.status(), 302);
}

// CAS-03, CAS-08, CAS-09, CAS-06 (hostile ticket)
#[tokio::test(flavor = "multi_thread")]
async fn tickets_are_single_use_bound_to_their_service_and_checked_for_syntax() {
    let (_env, s) = setup(now_clock()).await;
    let c = TestServer::browser();
    let t = login_for(&s, &c, ENT, "").await;
    let (_, xml) = validate(&s, "/cas/serviceValidate", &t, ENT, "").await;
    assert_eq!(value(&parse_xml(&xml), "cas:user"), Some("camille.martin"));
    let (_, xml) = validate(&s, "/cas/serviceValidate", &t, ENT, "").await;
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_TICKET")
    );

    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(ENT))).await;
    let t = ticket_of(&location(&r), ENT);
    let (_, xml) = validate(&s, "/cas/serviceValidate", &t, CANTINE, "").await;
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_SERVICE")
    );
    let (_, xml) = validate(&s, "/cas/serviceValidate", &t, ENT, "").await;
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_TICKET"),
        "dead for the right service too"
    );

    let long = format!("ST-{}", "a".repeat(300));
    for bad in [
        "ST-1</cas:authenticationFailure><cas:authenticationSuccess><cas:user>admin</cas:user>",
        "ST-abc",
        "XX-0123456789abcdef0123456789abcdef",
        long.as_str(),
        "ST-0123456789abcdef0123456789abcdef_x",
    ] {
        let (status, xml) = validate(&s, "/cas/serviceValidate", bad, ENT, "").await;
        assert_eq!(status, 200);
        let x = parse_xml(&xml);
        assert_eq!(
            value(&x, "cas:authenticationFailure@code"),
            Some("INVALID_TICKET_SPEC"),
            "{bad}"
        );
        assert!(
            value(&x, "cas:user").is_none() && !xml.contains("admin"),
            "{xml}"
        );
    }
    // Repeated parameters: never "first wins".
    let r = get(
        &c,
        &format!(
            "{}/cas/serviceValidate?ticket=ST-a&ticket=ST-b&service={}",
            s.url,
            enc(ENT)
        ),
    )
    .await;
    assert_eq!(r.status(), 400);
    let xml = r.text().await.expect("body");
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_REQUEST")
    );
    let r = get(
        &c,
        &format!(
            "{}/cas/login?service={}&service={}",
            s.url,
            enc(ENT),
            enc(CANTINE)
        ),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
}

// CAS-04, CAS-05
#[tokio::test(flavor = "multi_thread")]
async fn tickets_expire_and_renew_demands_credentials() {
    let clock = now_clock();
    let (_env, s) = setup(clock.clone()).await;
    let c = TestServer::browser();
    let t = login_for(&s, &c, ENT, "").await;
    clock.advance(time::Duration::seconds(11));
    let (_, xml) = validate(&s, "/cas/serviceValidate", &t, ENT, "").await;
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_TICKET")
    );

    // An SSO ticket fails a renew validation.
    let r = get(&c, &format!("{}/cas/login?service={}", s.url, enc(ENT))).await;
    let sso = ticket_of(&location(&r), ENT);
    let (_, xml) = validate(&s, "/cas/serviceValidate", &sso, ENT, "&renew=true").await;
    assert_eq!(
        value(&parse_xml(&xml), "cas:authenticationFailure@code"),
        Some("INVALID_TICKET")
    );
    // renew with a session asks for credentials; renew wins over gateway.
    for extra in ["&renew=true", "&renew=true&gateway=true"] {
        let r = get(
            &c,
            &format!("{}/cas/login?service={}{extra}", s.url, enc(ENT)),
        )
        .await;
        assert_eq!(r.status(), 303, "{extra}");
        assert!(
            location(&r).starts_with("/profil?service=") && location(&r).contains("renew=true")
        );
    }
    let fresh = login_for(&s, &c, ENT, "&renew=true").await;
    let (_, xml) = validate(&s, "/cas/serviceValidate", &fresh, ENT, "&renew=true").await;
    assert_eq!(value(&parse_xml(&xml), "cas:user"), Some("camille.martin"));
    // gateway without a session: back to the service, without a ticket.
    let r = get(
        &TestServer::browser(),
        &format!("{}/cas/login?service={}&gateway=true", s.url, enc(ENT)),
    )
    .await;
    assert_eq!((r.status().as_u16(), location(&r)), (302, ENT.to_owned()));
}

// CAS-14: one ticket validated 50 times at once succeeds once.
#[tokio::test(flavor = "multi_thread")]
async fn one_ticket_validated_fifty_times_at_once_succeeds_once() {
    let (_env, s) = setup(now_clock()).await;
    let c = TestServer::browser();
    let t = login_for(&s, &c, ENT, "").await;
    let url = format!(
        "{}/cas/serviceValidate?ticket={t}&service={}",
        s.url,
        enc(ENT)
    );
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                get(&TestServer::browser(), &url)
                    .await
                    .text()
                    .await
                    .expect("body")
            })
        })
        .collect();
    let mut successes = 0;
    for t in tasks {
        let body = t.await.expect("join");
        if body.contains("cas:authenticationSuccess") {
            successes += 1;
        } else {
            assert!(body.contains("INVALID_TICKET"), "{body}");
        }
    }
    assert_eq!(successes, 1);
}

// CAS 3.0 §4.2: SAML 1.1 validation.
#[tokio::test(flavor = "multi_thread")]
async fn saml_validate_answers_a_saml_response_once() {
    let (_env, s) = setup(now_clock()).await;
    let c = TestServer::browser();
    let t = login_for(&s, &c, ENT, "").await;
    let soap = |ticket: &str| {
        format!(
            "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Header/><SOAP-ENV:Body><samlp:Request xmlns:samlp=\"urn:oasis:names:tc:SAML:1.0:protocol\" MajorVersion=\"1\" MinorVersion=\"1\" RequestID=\"_1\" IssueInstant=\"2026-11-29T10:00:00Z\"><samlp:AssertionArtifact>{ticket}</samlp:AssertionArtifact></samlp:Request></SOAP-ENV:Body></SOAP-ENV:Envelope>"
        )
    };
    let post = |body: String| {
        let c = c.clone();
        let url = format!("{}/cas/samlValidate?TARGET={}", s.url, enc(ENT));
        async move {
            c.post(url)
                .header("content-type", "text/xml")
                .body(body)
                .send()
                .await
                .expect("post")
                .text()
                .await
                .expect("body")
        }
    };
    let x = parse_xml(&post(soap(&t)).await);
    assert_eq!(value(&x, "StatusCode@Value"), Some("samlp:Success"));
    assert_eq!(value(&x, "NameIdentifier"), Some("camille.martin"));
    assert_eq!(value(&x, "Audience"), Some(ENT));
    assert!(
        x.iter()
            .any(|(k, v)| k == "Attribute@AttributeName" && v == "sn")
    );
    let x = parse_xml(&post(soap(&t)).await);
    assert_eq!(
        value(&x, "StatusCode@Value"),
        Some("samlp:Responder"),
        "single use"
    );
    let x = parse_xml(&post("<not xml".into()).await);
    assert_eq!(value(&x, "StatusCode@Value"), Some("samlp:Responder"));
    assert!(value(&x, "StatusMessage").is_some_and(|m| m.starts_with("INVALID_REQUEST")));
}
