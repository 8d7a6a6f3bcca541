//! The mail worker: claims due rows of the outbox with a lease, sends them
//! through lettre (`.eml` files in the outbox folder by default, SMTP by
//! configuration), and records the outcome: sent; a temporary failure is
//! retried with exponential backoff (1, 2, 4… minutes, capped at 30) until
//! the retry budget runs out (abandoned); a permanent refusal (5xx) is
//! marked failed at once. Failures never reach the request that queued the
//! mail. A mail sent, failed or abandoned is erased from the outbox (its
//! bodies and address; REST-01): only its recipient's pseudonym
//! ([`recipient_pseudonym`]), subject, dates and state remain. With the
//! outbox transport the `.eml` file is the delivery itself (owner-only).

use crate::app::App;
use crate::config::{Config, MailTransport, SmtpTls};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sesame_store::outbox::{self, Mail, state};
use sesame_store::{Ns, StoreError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Mails claimed per round.
const BATCH: u64 = 20;

enum Transport {
    File(AsyncFileTransport<Tokio1Executor>, PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// A configured sender.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    timeout: Duration,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.transport {
            Transport::File(_, dir) => write!(f, "Mailer(outbox {})", dir.display()),
            Transport::Smtp(_) => f.write_str("Mailer(smtp)"),
        }
    }
}

/// Why one delivery failed.
#[derive(Debug)]
pub struct SendError {
    /// The server refused for good (5xx, bad address): do not retry.
    pub permanent: bool,
    /// What happened, for the administrator.
    pub text: String,
}

pub use crate::files::outbox_dir;

/// TLS towards the SMTP server: its certificate checked for `host` against
/// the public authorities (webpki roots), plus those of `ca_file` when set
/// (a private CA, such as a test relay's).
fn tls_parameters(s: &crate::config::SmtpConfig) -> Result<TlsParameters, String> {
    let mut b = TlsParameters::builder(s.host.clone());
    if let Some(pem) = s.ca_pem().map_err(|e| format!("mail.smtp.ca_file: {e}"))? {
        let ca = Certificate::from_pem(&pem).map_err(|e| {
            format!(
                "mail.smtp.ca_file: {}: not a PEM certificate bundle: {e}",
                s.ca_file.display()
            )
        })?;
        b = b.add_root_certificate(ca);
    }
    b.build_rustls().map_err(|e| format!("mail.smtp.host: {e}"))
}

impl Mailer {
    /// Builds the configured transport.
    pub fn new(config: &Config) -> Result<Self, String> {
        let from: Mailbox = config
            .mail
            .from
            .parse()
            .map_err(|e| format!("mail.from: {e}"))?;
        let timeout = Duration::from_secs(config.mail.send_timeout_secs);
        let transport = match config.mail.transport {
            MailTransport::Outbox => {
                let dir = outbox_dir(config);
                let mut b = std::fs::DirBuilder::new();
                b.recursive(true);
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
                b.create(&dir)
                    .map_err(|e| format!("mail outbox folder {}: {e}", dir.display()))?;
                Transport::File(AsyncFileTransport::new(&dir), dir)
            }
            MailTransport::Smtp => {
                let s = &config.mail.smtp;
                let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host);
                let builder = match s.tls {
                    SmtpTls::Tls => builder.tls(Tls::Wrapper(tls_parameters(s)?)),
                    SmtpTls::Starttls => builder.tls(Tls::Required(tls_parameters(s)?)),
                    SmtpTls::None => builder,
                };
                let mut builder = builder.port(s.port).timeout(Some(timeout));
                if !s.username.is_empty() {
                    let password = s.password.as_ref().map(|p| p.expose().to_owned());
                    builder = builder.credentials(Credentials::new(
                        s.username.clone(),
                        password.unwrap_or_default(),
                    ));
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Self {
            transport,
            from,
            timeout,
        })
    }

    fn message(&self, m: &Mail) -> Result<Message, SendError> {
        let permanent = |e: &dyn std::fmt::Display| SendError {
            permanent: true,
            text: e.to_string(),
        };
        // Addresses are parsed, never pasted into headers: CR/LF cannot
        // smuggle a header in (MAIL-07); the subject is encoded by lettre.
        let to: Mailbox = m.recipient.parse().map_err(|e| permanent(&e))?;
        // RFC 5322 §3.6.4: a unique id under the sender's domain (some
        // receivers score mails without one as spam), and §3.6.1: the date.
        let unique: u128 = rand::random();
        let message_id = format!("<{unique:032x}.{}@{}>", m.id, self.from.email.domain());
        Message::builder()
            .message_id(Some(message_id))
            .date_now()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.replace(['\r', '\n'], " "))
            .multipart(MultiPart::alternative_plain_html(
                m.text_body.clone(),
                m.html_body.clone(),
            ))
            .map_err(|e| permanent(&e))
    }

    /// Checks that the SMTP server answers: connects, greets it (EHLO,
    /// STARTTLS or TLS as configured) and quits; sends nothing. The
    /// outbox transport has nothing to reach.
    pub async fn check_connection(&self) -> Result<(), String> {
        match &self.transport {
            Transport::File(..) => Ok(()),
            Transport::Smtp(t) => {
                match tokio::time::timeout(self.timeout, t.test_connection()).await {
                    Ok(Ok(true)) => Ok(()),
                    Ok(Ok(false)) => Err("the server did not answer the greeting".into()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("no answer within {:?}", self.timeout)),
                }
            }
        }
    }

    /// Sends one mail.
    pub async fn send(&self, m: &Mail) -> Result<(), SendError> {
        let msg = self.message(m)?;
        let sent = tokio::time::timeout(self.timeout, async {
            match &self.transport {
                Transport::File(t, dir) => {
                    let id = t.send(msg).await.map_err(|e| SendError {
                        permanent: false,
                        text: e.to_string(),
                    })?;
                    // Security: the file is the mail, links included (REST-02).
                    crate::files::make_private(&dir.join(format!("{id}.eml"))).map_err(|e| {
                        SendError {
                            permanent: false,
                            text: format!("outbox file mode: {e}"),
                        }
                    })
                }
                Transport::Smtp(t) => t.send(msg).await.map(|_| ()).map_err(|e| SendError {
                    permanent: e.is_permanent(),
                    text: e.to_string(),
                }),
            }
        })
        .await;
        sent.unwrap_or_else(|_| {
            Err(SendError {
                permanent: false,
                text: "timed out".into(),
            })
        })
    }
}

/// The pseudonym an outbox row keeps of its recipient once erased: the
/// same keyed hash as the audit's, of the address in lower case, so that
/// support can find the mails sent to an address (`sesame mail list --to`).
pub fn recipient_pseudonym(app: &App, address: &str) -> String {
    app.keys
        .pseudonym(&format!("mail:{}", address.trim().to_lowercase()))
}

pub(crate) fn backoff(attempts: i32) -> time::Duration {
    let minutes = 1i64 << (attempts - 1).clamp(0, 5);
    time::Duration::minutes(minutes.min(30))
}

/// One round: claims due mails, sends them, records the outcomes; returns
/// how many were sent.
pub async fn run_once(app: &App, mailer: &Mailer) -> Result<usize, StoreError> {
    let now = app.clock.now();
    let lease = time::Duration::seconds(mailer.timeout.as_secs() as i64 * 2 + 30);
    let claimed = outbox::claim_due(app.db.conn(), now, lease, BATCH).await?;
    let budget = time::Duration::hours(app.config.mail.retry_budget_hours as i64);
    let mut sent = 0;
    for m in claimed {
        let pseudonym = recipient_pseudonym(app, &m.recipient);
        match mailer.send(&m).await {
            Ok(()) => {
                outbox::mark_sent(app.db.conn(), m.id, app.clock.now(), &pseudonym).await?;
                tracing::info!(mail.id = m.id, attempts = m.attempts, "mail sent");
                sent += 1;
            }
            Err(mut e) => {
                // Security: a server's refusal often quotes the address; the
                // row keeps the pseudonym instead.
                if !m.recipient.is_empty() {
                    e.text = e.text.replace(&m.recipient, &format!("<{pseudonym}>"));
                }
                let now = app.clock.now();
                let next = if e.permanent {
                    Err(state::FAILED)
                } else if now + backoff(m.attempts) > m.created_at + budget {
                    Err(state::ABANDONED)
                } else {
                    Ok(now + backoff(m.attempts))
                };
                match next {
                    Ok(_) => {
                        tracing::warn!(mail.id = m.id, attempts = m.attempts, error = %e.text, "mail not sent, will retry")
                    }
                    Err(s) => {
                        tracing::error!(mail.id = m.id, attempts = m.attempts, error = %e.text, state = s, "mail given up")
                    }
                }
                outbox::mark_attempt_failed(app.db.conn(), m.id, &e.text, next, &pseudonym).await?;
            }
        }
    }
    Ok(sent)
}

/// Runs the worker until the task is dropped: a round every
/// `mail.poll_seconds` (at once again when a round was full).
pub async fn run(app: Arc<App>, mailer: Mailer) {
    let pause = Duration::from_secs(app.config.mail.poll_seconds);
    loop {
        match run_once(&app, &mailer).await {
            Ok(n) if n as u64 >= BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "mail worker round failed"),
        }
        tokio::time::sleep(pause).await;
    }
}

/// Runs the periodic job ([`crate::periodic`]: confirmation reminders,
/// purge of unconfirmed accounts, audit retention), then the leavers' round
/// (`leavers::run`), every `accounts.purge_interval_minutes` until the task
/// is dropped.
/// With several nodes, one of them runs each round: the first to take the
/// round's lease in the shared store.
pub async fn run_purge(app: Arc<App>) {
    let pause = Duration::from_secs(app.config.accounts.purge_interval_minutes * 60);
    loop {
        let lease = app
            .store
            .put_if_absent(
                &Ns::Job.key("purge"),
                b"1",
                pause
                    .saturating_sub(Duration::from_secs(1))
                    .max(Duration::from_secs(1)),
            )
            .await;
        match lease {
            Ok(true) => {
                if let Err(e) = crate::periodic::run_once(&app).await {
                    tracing::warn!(error = %e, "periodic job round failed");
                }
                match crate::leavers::run(&app).await {
                    Ok(r) => tracing::debug!(round = %r, "leavers"),
                    Err(e) => tracing::warn!(error = %e, "leavers' round failed"),
                }
            }
            Ok(false) => tracing::debug!("purge: another node runs this round"),
            Err(e) => tracing::warn!(error = %e, "purge: the store did not answer"),
        }
        tokio::time::sleep(pause).await;
    }
}

/// Mails waiting, failed and abandoned (for the metrics).
pub async fn queue_depth(app: &App) -> Result<Vec<(String, i64)>, sesame_store::DbErr> {
    sesame_store::outbox::depth(app.db.conn()).await
}
