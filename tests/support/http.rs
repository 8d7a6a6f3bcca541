//! HTTP as the tests speak it: pages and forms read and posted by a
//! browser, the parts of an answer they look at, and small endpoints that
//! stand for a service (a single-logout receiver, a proxy callback).

use reqwest::{Client, Response};
use std::sync::{Arc, Mutex};

/// The CSRF token of the first form in a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("a form with a CSRF token");
    html[start..].split('"').next().expect("token").to_owned()
}

/// URL-encodes a query value (`application/x-www-form-urlencoded`).
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// GETs `url` with `c`.
pub async fn get(c: &Client, url: &str) -> Response {
    c.get(url).send().await.expect("get")
}

/// GETs a page; answers (status, body).
pub async fn page(c: &Client, url: &str) -> (u16, String) {
    let r = get(c, url).await;
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// POSTs a form; answers (status, `Location`, body).
pub async fn post(c: &Client, url: &str, form: &[(String, String)]) -> (u16, String, String) {
    answer(c.post(url).form(form).send().await.expect("post")).await
}

/// The (status, `Location`, body) of an answer.
pub async fn answer(r: Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let location = location(&r);
    (status, location, r.text().await.expect("body"))
}

/// The `Location` header of an answer (empty without one).
pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default()
}

/// The query pairs of an absolute URL (a redirect's `Location`).
pub fn query_of(location: &str) -> Vec<(String, String)> {
    let u = url::Url::parse(location).expect("location");
    u.query_pairs().into_owned().collect()
}

/// The value of `k` among query pairs.
pub fn q<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// What a test endpoint kept of the requests it received.
pub type Kept = Arc<Mutex<Vec<String>>>;

/// An HTTP endpoint that keeps the bodies POSTed to it (or, `hang`, never
/// answers): a service's single-logout URL (CAS 3.0 §2.3.3, OpenID
/// Connect Back-Channel Logout 1.0 §2.5). Answers its port.
pub async fn receiver(hang: bool) -> (u16, Kept) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let got: Kept = Arc::default();
    let keep = got.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                if hang {
                    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                    return;
                }
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length: ")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= len {
                            keep.lock().expect("lock").push(body.to_owned());
                            break;
                        }
                    }
                }
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await;
            });
        }
    });
    (port, got)
}

/// A proxy callback endpoint (CAS 3.0 §2.5.4): keeps each request's path
/// and query and answers `status`. Answers its port.
pub async fn callback(status: u16) -> (u16, Kept) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let got: Kept = Arc::default();
    let keep = got.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                keep.lock().expect("lock").push(target);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    (port, got)
}
