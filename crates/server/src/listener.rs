//! One HTTP/1.1 listener: the accept loop with its limits (CONC-06), each
//! connection served by hyper, and the drain when the process stops.
//!
//! axum's own `serve` has neither a header-read timeout nor a cap on open
//! connections, so a client that never finishes its headers holds a
//! connection (and its task and buffers) for ever; this loop has both.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// What a listener allows its clients.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request's headers, or to start the next request on a
    /// kept-alive connection; the connection is closed after it.
    pub header_read_timeout: Duration,
    /// Connections open at once; the next ones are refused (503, closed).
    pub max_connections: usize,
}

/// The answer to a connection beyond the cap, written without waiting.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 5\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// Serves `router` on `listener` until `stop` changes, then stops accepting,
/// asks every open connection to finish its request in flight and close,
/// and returns when they all have. (The caller bounds the wait.)
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    name: &'static str,
    mut stop: watch::Receiver<bool>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    // Security: each connection holds a permit; a client cannot open more
    // than the cap, however slowly it sends (slowloris).
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather
                // than spin; a reset before accept is the peer's business.
                if e.kind() != std::io::ErrorKind::ConnectionAborted {
                    tracing::warn!(listener = name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            refuse(&stream, name);
            continue;
        };
        let router = router.clone();
        let http = http.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(req)
            });
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(listener = name, error = %e, "connection closed");
                    }
                    return;
                }
                _ = stop.changed() => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
    }
    drop(listener);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
}

/// Answers a connection beyond the cap with a 503 if the socket takes it at
/// once, and closes it.
fn refuse(stream: &TcpStream, name: &'static str) {
    metrics::counter!("sesame_http_connections_refused_total", "listener" => name).increment(1);
    let _ = stream.try_write(REFUSAL);
    tracing::debug!(
        listener = name,
        "connection refused: too many open connections"
    );
}
