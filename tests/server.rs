//! `sesame serve`: health, readiness, headers, error pages, graceful stop.

use crate::support::{TestEnv, TestServer, free_port};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn healthz_and_readyz_answer_when_everything_is_up() {
    let env = TestEnv::new();
    let server = TestServer::spawn(&env, |_| {}).await;
    let r = server.get("/healthz").await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    let r = server.get("/readyz").await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"status": "ready", "database": "ok", "store": "ok", "signing_keys": "ok"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_says_not_ready_when_redis_does_not_answer() {
    let env = TestEnv::new();
    let port = free_port();
    let server = TestServer::spawn(&env, |c| {
        c.redis.url = format!("redis://127.0.0.1:{port}/");
        c.redis.timeout_ms = 300;
    })
    .await;
    // A guard against a probe that hangs, not a speed target.
    let r = tokio::time::timeout(Duration::from_secs(60), server.get("/readyz"))
        .await
        .expect("/readyz hung on the Redis that does not answer");
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["store"], "unavailable");
    assert_eq!(body["database"], "ok");
    // The cause stays in the logs.
    assert!(!body.to_string().contains("127.0.0.1"), "{body}");
    // Liveness is unaffected.
    assert_eq!(server.get("/healthz").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_security_headers() {
    let env = TestEnv::new();
    let server = TestServer::spawn(&env, |_| {}).await;
    for path in ["/healthz", "/no/such/page"] {
        let r = server.get(path).await;
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .expect("csp")
            .to_str()
            .expect("ascii");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(h.get("x-content-type-options").expect("nosniff"), "nosniff");
        assert_eq!(h.get("x-frame-options").expect("xfo"), "DENY");
        assert_eq!(h.get("referrer-policy").expect("referrer"), "no-referrer");
        assert!(h.get("strict-transport-security").is_some());
        assert_eq!(h.get("cache-control").expect("cache"), "no-store");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_page_gets_a_french_page_without_internals() {
    let env = TestEnv::new();
    let server = TestServer::spawn(&env, |_| {}).await;
    let r = server.get("/cas/%ff%fe/../../etc/passwd").await;
    assert_eq!(r.status(), 404);
    let body = r.text().await.expect("text");
    assert!(
        body.contains("lang=\"fr\"") && body.contains("Page introuvable"),
        "{body}"
    );
    let big = "x".repeat(200 * 1024);
    let r = server
        .client
        .post(format!("{}/healthz", server.url))
        .body(big)
        .send()
        .await
        .expect("post");
    assert!(r.status().is_client_error(), "{}", r.status());
}

#[test]
fn serve_starts_migrates_and_stops_cleanly_on_sigterm() {
    let env = TestEnv::new();
    let port = free_port();
    let mut child = env
        .command()
        .args(["serve"])
        .env("SESAME__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("SESAME__SERVER__SHUTDOWN_GRACE_SECS", "5")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = format!("http://127.0.0.1:{port}/readyz");
    let ready = loop {
        let ok = crate::support::block_on({
            let url = url.clone();
            async move {
                crate::support::TestServer::browser()
                    .get(&url)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        });
        if ok == 200 {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(ready, "server did not become ready");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr"), &mut err).expect("read");
    assert!(err.contains("shutdown requested"), "{err}");
}
