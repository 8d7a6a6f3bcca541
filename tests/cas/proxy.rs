//! The proxy chain (CAS 3.0 §2.5.4, §2.6, §2.7): a PGT through the
//! callback, proxy tickets for other services, plain-http callbacks.

use super::*;

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
