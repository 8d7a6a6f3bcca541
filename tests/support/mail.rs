//! Mails as the tests read them: the outbox table, a real SMTP server on
//! loopback, and a mail worker of the application delivering to it.

use super::{TestEnv, worker_app};

/// The unsent mails of the outbox as (recipient, subject, text body), oldest first.
pub async fn outbox(env: &TestEnv) -> Vec<(String, String, String)> {
    env.rows("SELECT recipient, subject, text_body FROM mail_outbox ORDER BY id")
        .await
        .into_iter()
        .map(|r| {
            let mut it = r.into_iter().map(Option::unwrap_or_default);
            (
                it.next().unwrap_or_default(),
                it.next().unwrap_or_default(),
                it.next().unwrap_or_default(),
            )
        })
        .collect()
}

/// The path and query of the first link to `path` in a text (a mail).
pub fn link_in(text: &str, path: &str) -> String {
    let start = text
        .find(&format!("{path}?code="))
        .unwrap_or_else(|| panic!("a {path} link in {text}"));
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .unwrap_or(rest.len());
    rest[..end].to_owned()
}

/// Decodes a quoted-printable body (soft line breaks and `=XX`).
pub fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && let Some(v) = joined
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How the test SMTP server treats one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Smtp {
    /// Accepts every message.
    Accept,
    /// Answers `421` at the greeting (a temporary failure) and closes.
    Busy,
    /// Refuses every recipient with `550` (a permanent failure).
    Reject,
    /// Accepts the connection and never says anything.
    Stall,
}

/// A real SMTP server for the tests: it speaks the protocol over TCP on
/// loopback and keeps every message it accepts.
pub struct SmtpServer {
    /// The port it listens on (loopback).
    pub port: u16,
    /// The messages accepted, as received.
    pub received: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl SmtpServer {
    /// Starts the server on a free port.
    pub async fn start() -> Self {
        Self::scripted(|_| Smtp::Accept).await
    }

    /// Starts a server that treats the `n`th connection (from 0) as
    /// `script(n)` says.
    pub async fn scripted(script: impl Fn(usize) -> Smtp + Send + Sync + 'static) -> Self {
        Self::scripted_on(0, script).await
    }

    /// Like [`SmtpServer::scripted`], on a given port (0: any free one).
    pub async fn scripted_on(
        port: u16,
        script: impl Fn(usize) -> Smtp + Send + Sync + 'static,
    ) -> Self {
        Self::serve(port, None, script).await
    }

    /// A server that requires STARTTLS before any mail (as Mailpit with
    /// `MP_SMTP_REQUIRE_STARTTLS`), with the certificate chain and key of
    /// `tls` (PEM), and accepts every message sent over TLS.
    pub async fn starttls(tls: &TestTls) -> Self {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_file_iter(&tls.cert)
            .expect("cert file")
            .collect::<Result<Vec<_>, _>>()
            .expect("PEM certificates");
        let key = PrivateKeyDer::from_pem_file(&tls.key).expect("PEM key");
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate");
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        Self::serve(0, Some(acceptor), |_| Smtp::Accept).await
    }

    async fn serve(
        port: u16,
        tls: Option<tokio_rustls::TlsAcceptor>,
        script: impl Fn(usize) -> Smtp + Send + Sync + 'static,
    ) -> Self {
        use tokio::io::AsyncWriteExt;
        let script = std::sync::Arc::new(script);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = received.clone();
        let handle = tokio::spawn(async move {
            let mut n = 0;
            while let Ok((mut sock, _)) = listener.accept().await {
                let store = store.clone();
                let tls = tls.clone();
                let mode = script(n);
                n += 1;
                tokio::spawn(async move {
                    match mode {
                        Smtp::Stall => {
                            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                            return;
                        }
                        Smtp::Busy => {
                            let _ = sock.write_all(b"421 4.3.2 busy, try later\r\n").await;
                            return;
                        }
                        Smtp::Accept | Smtp::Reject => {}
                    }
                    let _ = sock.write_all(b"220 test.local ESMTP\r\n").await;
                    let Some(plain) = converse(sock, mode, &store, tls.is_some()).await else {
                        return;
                    };
                    // STARTTLS: the handshake, then the conversation again
                    // (from EHLO) over TLS.
                    if let Some(acceptor) = tls
                        && let Ok(secure) = acceptor.accept(plain).await
                    {
                        converse(secure, mode, &store, false).await;
                    }
                });
            }
        });
        Self {
            port,
            received,
            handle,
        }
    }

    /// The messages received so far.
    pub fn messages(&self) -> Vec<String> {
        self.received.lock().expect("lock").clone()
    }
}

/// Decodes an RFC 2047 header value (`=?utf-8?b?…?=` or `?q?` words).
pub fn decode_header(v: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    // Consecutive encoded words are one byte sequence (a character may be
    // split between two of them).
    let mut pending: Vec<u8> = Vec::new();
    for word in v.split_whitespace() {
        let parts: Vec<&str> = word.split('?').collect();
        if parts.len() == 5 && parts[0] == "=" && parts[4] == "=" {
            if pending.is_empty() && !out.is_empty() {
                out.push(' ');
            }
            if parts[2].eq_ignore_ascii_case("b") {
                pending.extend(
                    base64::engine::general_purpose::STANDARD
                        .decode(parts[3])
                        .unwrap_or_default(),
                );
            } else {
                pending.extend(decode_qp(&parts[3].replace('_', " ")).into_bytes());
            }
        } else {
            out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out
}

/// (To, Subject, plain-text part) of a raw message as received by SMTP.
pub fn parse_message(raw: &str) -> (String, String, String) {
    use base64::Engine;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    // Unfold continuation lines.
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
            .to_owned()
    };
    let to = header("To");
    let subject = decode_header(&header("Subject"));
    let start = body
        .find("Content-Type: text/plain")
        .expect("a text/plain part");
    let part = &body[start..];
    let (part_head, rest) = part.split_once("\r\n\r\n").unwrap_or((part, ""));
    // The part ends at a boundary line of its message: a line of the
    // (quoted-printable) text itself may begin with `--` (a random link
    // code cut by a soft line break), so any `--` will not do.
    let end = boundaries(raw)
        .filter_map(|b| rest.find(&format!("\r\n--{b}")))
        .min()
        .unwrap_or(rest.len());
    let content = &rest[..end];
    let text = if part_head.contains("base64") {
        let b64: String = content.split_whitespace().collect();
        String::from_utf8_lossy(
            &base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default(),
        )
        .into_owned()
    } else if part_head.contains("quoted-printable") {
        decode_qp(content)
    } else {
        content.to_owned()
    };
    (to, subject, text.replace("\r\n", "\n"))
}

/// The MIME boundaries a message declares (`boundary=` of its
/// multipart headers, quoted or not).
fn boundaries(raw: &str) -> impl Iterator<Item = &str> {
    raw.split("boundary=").skip(1).filter_map(|rest| {
        let rest = rest.strip_prefix('"').unwrap_or(rest);
        let end = rest.find(|c: char| c == '"' || c == ';' || c.is_whitespace())?;
        (end > 0).then(|| &rest[..end])
    })
}

/// A real SMTP server and a mail worker of the application sending to it:
/// tests read mails as a mailbox receives them.
pub struct MailSink {
    /// The SMTP server the worker delivers to.
    pub smtp: SmtpServer,
    app: sesame_service::App,
}

impl MailSink {
    /// Starts the SMTP server and a worker on `env`'s database.
    pub async fn start(env: &TestEnv) -> Self {
        Self::with_clock(env, std::sync::Arc::new(sesame_domain::SystemClock)).await
    }

    /// Like [`MailSink::start`], the worker on the test's clock.
    pub async fn with_clock(
        env: &TestEnv,
        clock: std::sync::Arc<dyn sesame_domain::Clock>,
    ) -> Self {
        let smtp = SmtpServer::start().await;
        let port = smtp.port;
        let app = worker_app(env, clock, |c| {
            c.mail.transport = sesame_service::config::MailTransport::Smtp;
            c.mail.smtp.host = "127.0.0.1".into();
            c.mail.smtp.port = port;
            c.mail.smtp.tls = sesame_service::config::SmtpTls::None;
        })
        .await;
        Self { smtp, app }
    }

    /// Delivers what is due, then answers every message received so far as
    /// (To, Subject, text), oldest first.
    pub async fn mails(&self) -> Vec<(String, String, String)> {
        let mailer = sesame_service::mailer::Mailer::new(&self.app.config).expect("mailer");
        while sesame_service::mailer::run_once(&self.app, &mailer)
            .await
            .expect("worker round")
            > 0
        {}
        self.smtp
            .messages()
            .iter()
            .map(|m| parse_message(m))
            .collect()
    }

    /// Waits until at least `n` messages were received.
    pub async fn wait(&self, n: usize) -> Vec<(String, String, String)> {
        for _ in 0..100 {
            let m = self.mails().await;
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the mailbox never held {n} mails: {:?}", self.mails().await);
    }
}

/// The temporary password in a mail.
pub fn temporary_in(text: &str) -> String {
    text.split(|c: char| c.is_whitespace())
        .find(|w| w.len() == 19 && w.as_bytes()[4] == b'-' && w.as_bytes()[14] == b'-')
        .unwrap_or_else(|| panic!("a temporary password in {text}"))
        .to_owned()
}

type Received = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// One SMTP conversation on `s`, the greeting said. With `offer_tls`,
/// STARTTLS is offered and required before MAIL; answers the stream when
/// the client asked for it (after the `220` to it), to go on over TLS.
async fn converse<S>(s: S, mode: Smtp, store: &Received, offer_tls: bool) -> Option<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut s = BufReader::new(s);
    let mut data: Option<String> = None;
    let mut buf = String::new();
    loop {
        buf.clear();
        match s.read_line(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let line = buf.trim_end_matches(['\r', '\n']);
        if let Some(d) = data.as_mut() {
            if line == "." {
                store.lock().expect("lock").push(std::mem::take(d));
                data = None;
                let _ = s.get_mut().write_all(b"250 2.0.0 queued\r\n").await;
            } else {
                d.push_str(line.strip_prefix('.').unwrap_or(line));
                d.push_str("\r\n");
            }
            continue;
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" if offer_tls => b"250-test.local\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
            "EHLO" => b"250-test.local\r\n250 8BITMIME\r\n",
            "STAR" if offer_tls => {
                let _ = s
                    .get_mut()
                    .write_all(b"220 2.0.0 ready to start TLS\r\n")
                    .await;
                return Some(s.into_inner());
            }
            "MAIL" | "RCPT" | "DATA" if offer_tls => {
                b"530 5.7.0 Must issue a STARTTLS command first\r\n"
            }
            "RCPT" if mode == Smtp::Reject => b"550 5.1.1 no such user\r\n",
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 2.0.0 ok\r\n",
            "DATA" => {
                data = Some(String::new());
                b"354 go ahead\r\n"
            }
            "QUIT" => {
                let _ = s.get_mut().write_all(b"221 2.0.0 bye\r\n").await;
                return None;
            }
            _ => b"502 5.5.2 unknown\r\n",
        };
        let _ = s.get_mut().write_all(reply).await;
    }
}

/// A throwaway certificate authority and a server certificate it signs for
/// 127.0.0.1, made by the `openssl` CLI in a temporary folder (PEM files).
pub struct TestTls {
    /// The authority's certificate (what a client trusts).
    pub ca: std::path::PathBuf,
    /// The server's certificate.
    pub cert: std::path::PathBuf,
    /// The server's private key.
    pub key: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl TestTls {
    /// Makes the authority and the certificate.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .current_dir(d)
                .args(args)
                .output()
                .expect("openssl (apt-get install openssl)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509", "-days", "2", "-subj", "/CN=Sesame test CA"];
        ca.extend(ec);
        ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
        openssl(&ca);
        let mut req = vec!["req", "-subj", "/CN=127.0.0.1"];
        req.extend(ec);
        req.extend(["-keyout", "server.key", "-out", "server.csr"]);
        openssl(&req);
        std::fs::write(d.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").expect("ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.pem",
        ]);
        Self {
            ca: d.join("ca.pem"),
            cert: d.join("server.pem"),
            key: d.join("server.key"),
            _dir: dir,
        }
    }
}
