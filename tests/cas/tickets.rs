//! Service tickets (CAS 3.0 §2.1–2.6, §3.1): issued only to registered
//! services, validated once in every shape (CAS 1, 2, 3, JSON, SAML 1.1
//! of §4.2), bound to their service, expiring, and `renew`.

use super::*;

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
