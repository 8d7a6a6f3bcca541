//! Journeys whose requests land on any node: tickets, codes and logout
//! crossing nodes, the throttle counted once, metrics on every node.

use super::*;

// The parent journey's pupil equivalent, each request on another node;
// a ticket issued on one node and validated on another (once); an OpenID
// Connect code obtained on one node and redeemed on another; logout on one
// node ends the session on all.
#[tokio::test(flavor = "multi_thread")]
async fn every_request_may_land_on_another_node() {
    let (c, code) = Cluster::start(3, None).await;
    crossing_journey(&c, &code).await;
}

/// The journey of [`every_request_may_land_on_another_node`] on `c`
/// (three nodes), whatever its Redis (one server, or a Cluster).
pub(super) async fn crossing_journey(c: &Cluster, code: &str) {
    let browser = client();
    sign_up_camille(&browser, &c.proxy, code, PASSWORD).await;
    assert_eq!(login(&browser, &c.proxy, PASSWORD).await, 303);
    assert_eq!(status(&browser, &format!("{}/compte", c.proxy)).await, 200);
    let used: std::collections::HashSet<usize> =
        c.log.lock().expect("lock").iter().copied().collect();
    assert_eq!(used.len(), 3, "the journey went through every node");
    for n in 0..3 {
        assert_eq!(
            status(&browser, &format!("{}/compte", c.url(n))).await,
            200,
            "node {n}"
        );
    }

    // CAS: issued on node 0, validated on node 1, then never again.
    let t = ticket(&browser, c.url(0)).await;
    assert!(validate(c.url(1), &t).await);
    assert!(!validate(c.url(2), &t).await, "single use across nodes");
    // Invariant: one ticket validated at once on every node, 30 times:
    // exactly one success.
    let t = ticket(&browser, c.url(2)).await;
    let mut tries = Vec::new();
    for i in 0..30 {
        let (base, t) = (c.url(i % 3).to_owned(), t.clone());
        tries.push(tokio::spawn(async move { validate(&base, &t).await }));
    }
    let mut ok = 0;
    for t in tries {
        ok += usize::from(t.await.expect("join"));
    }
    assert_eq!(
        ok, 1,
        "a ticket is validated once, whichever nodes are asked"
    );

    // OpenID Connect: code from node 1, redeemed at node 2, userinfo at 0.
    let (r, verifier) = authorize(c.url(1), &browser, "teleservice", "openid", "").await;
    let (redeemed, tokens) = exchange(c.url(2), TELESERVICE, &code_in(&r), &verifier).await;
    assert_eq!(redeemed, 200, "{tokens}");
    let at = tokens["access_token"].as_str().expect("at");
    let r = client()
        .get(format!("{}/oidc/userinfo", c.url(0)))
        .bearer_auth(at)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(r.status(), 200);

    // Logout on node 2 (the form read on node 0): over on every node, and
    // the session's OpenID Connect tokens with it.
    let html = browser
        .get(format!("{}/", c.url(0)))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("body");
    let r = browser
        .post(format!("{}/deconnexion", c.url(2)))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .expect("logout");
    assert!(r.status().is_redirection() || r.status().is_success());
    for n in 0..3 {
        assert_eq!(
            status(&browser, &format!("{}/compte", c.url(n))).await,
            303,
            "node {n}"
        );
    }
    let r = client()
        .get(format!("{}/oidc/userinfo", c.url(1)))
        .bearer_auth(at)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(r.status(), 401);
    assert_eq!(c.half_created().await, 0);
    assert_eq!(c.env.count("SELECT COUNT(*) FROM accounts").await, 1);
    assert_eq!(
        c.env.count("SELECT COUNT(*) FROM signing_keys").await,
        1,
        "three nodes started together made one signing key"
    );
}

// The parent journey of the seed guide, each request on another node:
// account creation with an activation code, the confirmation link, the
// first login, the home page with the child.
#[tokio::test(flavor = "multi_thread")]
async fn the_parent_journey_with_each_request_on_another_node() {
    use crate::support::fixtures::{
        Signup, code_of, confirmation_links, follow_link, guardian_codes, sign_up,
    };
    let (c, out) = Cluster::start_with_codes(3, None).await;
    let codes = guardian_codes(&out);
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let remote = TestServer::remote(&c.proxy);
    let form = Signup::olivier(&jb);
    let (status, html) = sign_up(&remote, &form).await;
    assert_eq!(status, 200, "{html}");
    let link = confirmation_links(&crate::support::outbox(&c.env).await).remove(0);
    assert_eq!(follow_link(&remote, &link).await.0, 200);
    let browser = TestServer::browser();
    assert_eq!(
        log_in(&browser, &remote.url, &OLIVIER, &[]).await.status(),
        303
    );
    let home = browser
        .get(format!("{}/", c.proxy))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("body");
    assert!(home.contains("Jean-Baptiste"), "{home}");
    let used: std::collections::HashSet<usize> =
        c.log.lock().expect("lock").iter().copied().collect();
    assert_eq!(used.len(), 3, "the journey went through every node");
    assert_eq!(c.half_created().await, 0);
    assert_eq!(
        c.env
            .count("SELECT COUNT(*) FROM accounts WHERE state = 'active'")
            .await,
        1
    );
}

// AUTH-05 across nodes: ten wrong passwords spread over three nodes block
// the account once (one block, one unlock mail), not once per node.
#[tokio::test(flavor = "multi_thread")]
async fn ten_wrong_passwords_over_three_nodes_block_the_account_once() {
    let (c, code) = Cluster::start(3, None).await;
    sign_up_camille(&client(), &c.proxy, &code, PASSWORD).await;
    for i in 0..10 {
        assert_eq!(
            login(&client(), c.url(i % 3), "Mauvais-mot-2026").await,
            200
        );
    }
    // Blocked everywhere, even with the right password.
    for n in 0..3 {
        let b = client();
        assert_eq!(login(&b, c.url(n), PASSWORD).await, 200, "node {n}");
        assert_eq!(status(&b, &format!("{}/compte", c.url(n))).await, 303);
    }
    assert_eq!(
        c.env
            .count("SELECT COUNT(*) FROM audit_events WHERE kind = 'account_blocked'")
            .await,
        1
    );
    assert_eq!(
        c.env
            .count("SELECT COUNT(*) FROM mail_outbox WHERE subject LIKE '%bloqu%'")
            .await,
        1,
        "one unlock mail"
    );
}

// /metrics: the counters a node keeps, in the Prometheus text format, on
// its administration listener (REST-07).
#[tokio::test(flavor = "multi_thread")]
async fn each_node_exposes_prometheus_metrics() {
    let (c, code) = Cluster::start(1, None).await;
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    assert_eq!(login(&browser, c.url(0), "Mauvais-mot-2026").await, 200);
    assert_eq!(login(&browser, c.url(0), PASSWORD).await, 303);
    let t = ticket(&browser, c.url(0)).await;
    assert!(validate(c.url(0), &t).await);
    let text = TestServer::browser()
        .get(format!("{}/metrics", c.nodes[0].admin))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    for line in [
        "sesame_logins_total{outcome=\"failed\"} 1",
        "sesame_logins_total{outcome=\"success\"} 1",
        "sesame_cas_tickets_issued_total 1",
        "sesame_cas_validations_total{result=\"success\"} 1",
        "sesame_mail_queue{state=\"pending\"}",
        "method=\"GET\",status=\"200\"}",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
}
