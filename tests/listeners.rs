//! The listeners of `sesame serve`: `/metrics` on the administration
//! listener only (REST-07), and the limits on connections: a header-read
//! timeout and a cap on open connections (CONC-06).

use crate::support::TestEnv;
use crate::support::TestServer;
use crate::support::serve::Served;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// REST-07: `GET /metrics` on the public listener is a 404; the metrics are
// on the administration listener, which serves nothing else public.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_served_only_on_the_admin_listener() {
    let env = TestEnv::new();
    let s = Served::start(&env, &[]).await;
    let browser = TestServer::browser();
    let r = browser
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .expect("public /metrics");
    assert_eq!(r.status(), 404);
    let body = r.text().await.expect("body");
    assert!(!body.contains("sesame_"), "{body}");

    let r = browser
        .get(format!("{}/metrics", s.admin))
        .send()
        .await
        .expect("admin /metrics");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers().get("content-type").expect("type"),
        "text/plain; version=0.0.4"
    );
    let text = r.text().await.expect("body");
    for line in [
        "sesame_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}",
        "sesame_mail_queue{state=\"pending\"}",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    for (path, want) in [("/readyz", 200), ("/healthz", 200), ("/connexion", 404)] {
        let r = browser
            .get(format!("{}{path}", s.admin))
            .send()
            .await
            .expect("admin");
        assert_eq!(r.status(), want, "admin {path}");
    }
}

/// Opens a connection and sends the start of a request, never its end.
async fn stalled(addr: std::net::SocketAddr) -> TcpStream {
    let mut c = TcpStream::connect(addr).await.expect("connect");
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .expect("write");
    c
}

/// Whether the server closed `c` (EOF or reset) within `within`; whatever
/// it wrote before closing is read and dropped.
async fn closed_by_server(mut c: TcpStream, within: Duration) -> bool {
    let mut sink = Vec::new();
    tokio::time::timeout(within, c.read_to_end(&mut sink))
        .await
        .is_ok()
}

/// The status code of a whole `GET /healthz` on a new connection, or None
/// when the server closed it without an answer.
async fn healthz(addr: std::net::SocketAddr) -> Option<u16> {
    let mut c = TcpStream::connect(addr).await.ok()?;
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    status_of(&mut c).await
}

async fn status_of(c: &mut TcpStream) -> Option<u16> {
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), c.read_to_end(&mut buf))
        .await
        .ok()?
        .ok()?;
    let head = String::from_utf8_lossy(&buf);
    head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

// CONC-06: 1,000 connections that never finish their headers; a normal
// client is served meanwhile, and the server closes every stalled one once
// the header-read timeout is over.
#[tokio::test(flavor = "multi_thread")]
async fn stalled_connections_are_closed_after_the_header_read_timeout() {
    let env = TestEnv::new();
    let s = Served::start(&env, &[("SESAME__SERVER__HEADER_READ_TIMEOUT_SECS", "3")]).await;
    let mut slow = Vec::with_capacity(1000);
    for _ in 0..1000 {
        slow.push(stalled(s.addr).await);
    }
    // Accepted after the 1,000 (connections are accepted in order).
    assert_eq!(
        healthz(s.addr).await,
        Some(200),
        "a normal client is served"
    );
    let mut waiting = tokio::task::JoinSet::new();
    for c in slow {
        waiting.spawn(closed_by_server(c, Duration::from_secs(60)));
    }
    let mut closed = 0;
    while let Some(r) = waiting.join_next().await {
        closed += usize::from(r.expect("task"));
    }
    assert_eq!(closed, 1000, "stalled connections closed by the server");
    assert_eq!(healthz(s.addr).await, Some(200));
}

// CONC-06: beyond `server.max_connections`, connections are refused at
// once (503 or closed); the others stay usable; once they are gone, new
// clients are served again.
#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_cap_are_refused() {
    let env = TestEnv::new();
    let s = Served::start(
        &env,
        &[
            ("SESAME__SERVER__MAX_CONNECTIONS", "50"),
            ("SESAME__SERVER__HEADER_READ_TIMEOUT_SECS", "300"),
        ],
    )
    .await;
    let mut slow = Vec::with_capacity(100);
    for _ in 0..100 {
        slow.push(stalled(s.addr).await);
    }
    // Accepted after the 100, so beyond the cap: refused without waiting
    // for any timeout.
    assert_ne!(healthz(s.addr).await, Some(200), "beyond the cap");
    // Each stalled client now finishes its request: the ones the server
    // kept get their answer, the others were refused.
    let mut finishing = tokio::task::JoinSet::new();
    for mut c in slow {
        finishing.spawn(async move {
            if c.write_all(b"1\r\nConnection: close\r\n\r\n")
                .await
                .is_err()
            {
                return None;
            }
            status_of(&mut c).await
        });
    }
    let (mut kept, mut refused) = (0, 0);
    while let Some(r) = finishing.join_next().await {
        match r.expect("task") {
            Some(200) => kept += 1,
            _ => refused += 1,
        }
    }
    assert!(kept > 0 && kept <= 50, "kept {kept} connections (cap 50)");
    assert_eq!(kept + refused, 100);
    let mut served = false;
    for _ in 0..100 {
        if healthz(s.addr).await == Some(200) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "served again once the connections are closed");
}
