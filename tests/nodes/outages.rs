//! Dependencies and nodes going away: Redis stopped and started again
//! empty, PostgreSQL restarted, a node killed, SIGTERM with requests in
//! flight.

use super::*;

// Redis down: quick 503 with Retry-After (never a node-local fallback),
// /readyz not ready; back by itself when Redis returns, empty: users log
// in again, no 500.
#[tokio::test(flavor = "multi_thread")]
async fn redis_stopped_and_started_again_empty() {
    let port = free_port();
    let redis = Redis::start(port);
    let url = format!("redis://127.0.0.1:{port}/");
    let (c, code) = Cluster::start(2, Some(&url)).await;
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    assert_eq!(login(&browser, &c.proxy, PASSWORD).await, 303);
    let t = ticket(&browser, c.url(0)).await;

    drop(redis);
    for n in 0..2 {
        let r = client()
            .get(format!("{}/readyz", c.url(n)))
            .send()
            .await
            .expect("an answer within 3 s");
        assert_eq!(r.status(), 503, "node {n} is not ready");
        assert!(r.headers().get("retry-after").is_some());
        let r = browser
            .get(format!("{}/compte", c.url(n)))
            .send()
            .await
            .expect("an answer within 3 s");
        assert_eq!(r.status(), 503, "/compte on node {n}");
        assert!(r.headers().get("retry-after").is_some());
        // The login form needs no store (stateless CSRF, CONC-05); its
        // submission does, and fails closed.
        let fresh = client();
        let csrf = login_csrf(&fresh, c.url(n), &CAMILLE, &[]).await;
        let r = post_login(&fresh, c.url(n), &CAMILLE, &csrf, &[]).await;
        assert_eq!(r.status(), 503, "login on node {n}");
        assert!(r.headers().get("retry-after").is_some());
        assert!(!validate(c.url(n), &t).await, "no ticket without the store");
    }

    let _redis = Redis::start(port);
    for n in 0..2 {
        wait_ready(c.url(n), 200).await;
    }
    // The store came back empty: the session is gone, log in again.
    assert_eq!(status(&browser, &format!("{}/compte", c.url(1))).await, 303);
    assert!(
        !validate(c.url(0), &t).await,
        "the ticket died with the store"
    );
    assert_eq!(login(&browser, &c.proxy, PASSWORD).await, 303);
    assert_eq!(status(&browser, &format!("{}/compte", c.proxy)).await, 200);
    assert_eq!(c.half_created().await, 0);
}

// A node killed mid-journey: the journey goes on through the others.
// SIGTERM: the node stops cleanly.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_node_does_not_stop_the_journey_and_sigterm_stops_cleanly() {
    let (mut c, code) = Cluster::start(3, None).await;
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    let csrf = login_csrf(&browser, &c.proxy, &CAMILLE, &[]).await;
    c.signal(1, "KILL");
    let r = post_login(&browser, &c.proxy, &CAMILLE, &csrf, &[]).await;
    assert_eq!(r.status(), 303, "the CSRF token and the login live on");
    for _ in 0..4 {
        assert_eq!(status(&browser, &format!("{}/compte", c.proxy)).await, 200);
    }
    let exit = c.signal(2, "TERM");
    assert!(exit.success(), "SIGTERM: a clean stop ({exit:?})");
    for _ in 0..3 {
        assert_eq!(status(&browser, &format!("{}/compte", c.proxy)).await, 200);
    }
    let t = ticket(&browser, &c.proxy.clone()).await;
    assert!(validate(c.url(0), &t).await);
    assert_eq!(c.half_created().await, 0);
}

// PostgreSQL restarted: 503 with Retry-After meanwhile (never a 500), the
// pools reconnect by themselves, and no account is half-written.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_restarted_gives_503_meanwhile_and_the_pools_reconnect() {
    let pg = Postgres::start();
    let (c, code) = Cluster::start_on(2, Some(&pg.url()), None).await;
    let browser = client();
    sign_up_camille(&browser, &c.proxy, &code, PASSWORD).await;
    assert_eq!(login(&browser, &c.proxy, PASSWORD).await, 303);
    // A validation reads the account on a connection held outside the pool
    // (issue 21); the restart breaks those: it must not cost an answer.
    for n in 0..2 {
        let t = ticket(&browser, c.url(n)).await;
        assert!(validate(c.url(n), &t).await, "node {n}");
    }

    pg.down();
    for n in 0..2 {
        let r = client()
            .get(format!("{}/readyz", c.url(n)))
            .send()
            .await
            .expect("an answer within 3 s");
        assert_eq!(r.status(), 503, "node {n}");
        assert!(r.headers().get("retry-after").is_some());
        // A page that reads the database: 503, not 500.
        let r = browser
            .get(format!("{}/compte", c.url(n)))
            .send()
            .await
            .expect("an answer within 3 s");
        assert_eq!(r.status(), 503, "/compte on node {n}");
        assert!(r.headers().get("retry-after").is_some());
    }
    // A login while the database is down: 503, and nothing written.
    let csrf = login_csrf(&browser, c.url(0), &CAMILLE, &[]).await;
    let r = post_login(&browser, c.url(1), &CAMILLE, &csrf, &[]).await;
    assert_eq!(r.status(), 503);

    pg.up();
    for n in 0..2 {
        wait_ready(c.url(n), 200).await;
    }
    for n in 0..2 {
        let t = ticket(&browser, c.url(n)).await;
        assert!(validate(c.url(n), &t).await, "validation on node {n}");
        assert_eq!(
            status(&browser, &format!("{}/compte", c.url(n))).await,
            200,
            "node {n}"
        );
    }
    assert_eq!(login(&client(), &c.proxy, PASSWORD).await, 303);
    assert_eq!(c.half_created().await, 0);
}

// SIGTERM drains: logins already received when the signal comes (each an
// argon2id hash at the production cost, one at a time, so that they queue)
// all get their answer; the node then exits 0 and is gone.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_the_requests_in_flight_finish() {
    let (mut c, _) = Cluster::start(0, None).await;
    c.extra_env = vec![
        ("SESAME__PASSWORD__ARGON2_MEMORY_KIB".into(), "19456".into()),
        ("SESAME__PASSWORD__ARGON2_ITERATIONS".into(), "2".into()),
        ("SESAME__PASSWORD__MAX_CONCURRENT_HASHES".into(), "1".into()),
        (
            "SESAME__THROTTLE__IP_FAILURES_PER_MINUTE".into(),
            "1000".into(),
        ),
    ];
    let node = c.spawn(0);
    c.nodes.push(node);
    let base = c.url(0).to_owned();
    wait_ready(&base, 200).await;
    // Forms first (each browser its CSRF token), then the logins at once:
    // unknown identifiants, each hashed all the same (no enumeration).
    let mut forms = Vec::new();
    for i in 0..40 {
        let b = client();
        let csrf = login_csrf(&b, &base, &CAMILLE, &[]).await;
        forms.push((b, csrf, format!("personne.{i}")));
    }
    let signalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut logins = Vec::new();
    for (b, csrf, who) in forms {
        let (url, signalled) = (format!("{base}/connexion"), signalled.clone());
        logins.push(tokio::spawn(async move {
            let r = b
                .post(url)
                .timeout(Duration::from_secs(30))
                .form(
                    &CAMILLE
                        .with_identifiant(&who)
                        .with_password("Mauvais-mot-2026")
                        .login_fields(&csrf, &[]),
                )
                .send()
                .await;
            let after = signalled.load(std::sync::atomic::Ordering::SeqCst);
            r.map(|r| (r.status().as_u16(), after))
        }));
    }
    // Long enough for every request to be accepted (and queued behind the
    // one hashing slot) on a loaded machine; far shorter than the 40
    // hashes take.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = c.nodes[0].child.as_ref().expect("running").id();
    signalled.store(true, std::sync::atomic::Ordering::SeqCst);
    let ok = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    let (mut after_signal, mut refused) = (0, 0);
    for l in logins {
        match l.await.expect("join") {
            Ok((status, after)) => {
                assert_eq!(status, 200, "a login in flight gets its (failed) answer");
                after_signal += usize::from(after);
            }
            // Not yet connected when the listener closed: never accepted.
            Err(e) if e.is_connect() => refused += 1,
            Err(e) => panic!("a request in flight was cut: {e}"),
        }
    }
    assert!(
        after_signal > 0,
        "requests in flight were answered after SIGTERM ({after_signal}; {refused} refused)"
    );
    let exit = c.nodes[0]
        .child
        .take()
        .expect("child")
        .wait()
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    assert!(
        client()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err(),
        "stopped"
    );
}
