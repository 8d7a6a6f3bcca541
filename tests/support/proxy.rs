//! A small HTTP reverse proxy for the tests: each request goes to the next
//! target in turn (round robin, no stickiness); a target that refuses the
//! connection is skipped, as a load balancer's passive check would. A
//! `rewrite` hook may alter a response body (tampering tests);
//! [`start_dropping`] passes every response header but one (a proxy that
//! loses a security header).

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Alters the body of the response to a path.
pub type Rewrite = Arc<dyn Fn(&str, String) -> String + Send + Sync>;

/// Which target answered each request, in order (node indexes).
pub type Log = Arc<std::sync::Mutex<Vec<usize>>>;

/// The response headers passed back.
#[derive(Clone, Copy)]
enum Pass {
    /// Location, Set-Cookie, Content-Type and Retry-After only.
    Essential,
    /// Every header but this one (and the framing headers).
    AllBut(&'static str),
}

/// Serves on `listener`, forwarding to `targets` (base URLs) in turn.
pub async fn start(
    listener: tokio::net::TcpListener,
    targets: Vec<String>,
    rewrite: Option<Rewrite>,
) -> Log {
    serve(listener, targets, rewrite, Pass::Essential).await
}

/// Serves on `listener`, forwarding to `target` and passing back every
/// response header except `dropped`.
pub async fn start_dropping(
    listener: tokio::net::TcpListener,
    target: String,
    dropped: &'static str,
) -> Log {
    serve(listener, vec![target], None, Pass::AllBut(dropped)).await
}

async fn serve(
    listener: tokio::net::TcpListener,
    targets: Vec<String>,
    rewrite: Option<Rewrite>,
    pass: Pass,
) -> Log {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let log: Log = Arc::default();
    let keep = log.clone();
    let targets = Arc::new(targets);
    let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (client, targets, next, rewrite, log) = (
            client.clone(),
            targets.clone(),
            next.clone(),
            rewrite.clone(),
            keep.clone(),
        );
        async move {
            let path = uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            for _ in 0..targets.len() {
                let i = next.fetch_add(1, Ordering::Relaxed) % targets.len();
                let mut req = client.request(
                    reqwest::Method::from_bytes(method.as_str().as_bytes()).expect("method"),
                    format!("{}{path}", targets[i]),
                );
                for name in ["cookie", "authorization", "content-type", "x-forwarded-for"] {
                    if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                        req = req.header(name, v);
                    }
                }
                let r = match req.body(body.to_vec()).send().await {
                    Ok(r) => r,
                    // A dead node: the next one.
                    Err(e) if e.is_connect() => continue,
                    Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
                };
                log.lock().expect("lock").push(i);
                let status = StatusCode::from_u16(r.status().as_u16()).expect("status");
                let mut out = HeaderMap::new();
                for (name, v) in r.headers() {
                    let keep = match pass {
                        Pass::Essential => {
                            ["location", "set-cookie", "content-type", "retry-after"]
                                .contains(&name.as_str())
                        }
                        Pass::AllBut(dropped) => {
                            ![dropped, "content-length", "transfer-encoding", "connection"]
                                .contains(&name.as_str())
                        }
                    };
                    if keep {
                        out.append(
                            HeaderName::from_bytes(name.as_str().as_bytes()).expect("name"),
                            HeaderValue::from_bytes(v.as_bytes()).expect("value"),
                        );
                    }
                }
                let text = r.text().await.unwrap_or_default();
                let text = match &rewrite {
                    Some(f) => f(uri.path(), text),
                    None => text,
                };
                return (status, out, text).into_response();
            }
            StatusCode::BAD_GATEWAY.into_response()
        }
    };
    let app = axum::Router::new().fallback(handler);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    log
}
