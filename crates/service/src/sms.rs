//! Text messages: their wording and the worker that delivers them, like
//! the mail worker ([`crate::mailer`]): it claims due rows of the SMS
//! outbox with a lease, hands them to the configured transport (`.txt`
//! files in the outbox folder by default; a provider's HTTP API by
//! configuration) and records the outcome; a temporary failure is retried
//! with the mail worker's backoff until `sms.retry_budget_minutes` runs
//! out (abandoned), a refusal (HTTP 4xx other than 408 and 429) is marked
//! failed at once. Once sent or given up, the row is erased (text and
//! number): only the number's pseudonym, the kind, dates and state stay.
//!
//! Security: the text holds a one-time code; it is never logged, and a
//! provider's answer is logged only as its status.

use crate::app::App;
use crate::config::{Config, SmsTransport};
use sesame_store::StoreError;
use sesame_store::outbox::state;
use sesame_store::sms::{self, Sms};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Messages claimed per round.
const BATCH: u64 = 20;

/// The kind of a one-time code message (`sms_outbox.kind`).
pub const KIND_CODE: &str = "code";

/// The text carrying a one-time code: short (one 160-character GSM
/// segment), the code first so that phones offer to fill it in.
pub fn code_text(config: &Config, code: &str) -> String {
    format!(
        "{code} est votre code pour créer votre compte des télé-services ({}). Valable 10 minutes. Ne le communiquez à personne.",
        config.branding.academie
    )
}

/// Where the outbox transport writes.
pub fn outbox_dir(config: &Config) -> PathBuf {
    if config.sms.outbox_dir.as_os_str().is_empty() {
        config.server.data_dir.join("sms-outbox")
    } else {
        config.sms.outbox_dir.clone()
    }
}

enum Transport {
    Outbox(PathBuf),
    Http(reqwest::Client),
}

/// A configured sender of text messages.
pub struct Sender {
    transport: Transport,
    timeout: Duration,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.transport {
            Transport::Outbox(dir) => write!(f, "Sender(outbox {})", dir.display()),
            Transport::Http(_) => f.write_str("Sender(http)"),
        }
    }
}

/// Why one delivery failed.
#[derive(Debug)]
struct SendError {
    permanent: bool,
    text: String,
}

fn temporary(text: impl Into<String>) -> SendError {
    SendError {
        permanent: false,
        text: text.into(),
    }
}

/// `{to}` and `{text}` put into the body template, escaped for its media
/// type, so that a value never changes the body's structure.
pub fn render_body(template: &str, content_type: &str, to: &str, text: &str) -> String {
    let escape = |v: &str| -> String {
        if content_type == "application/x-www-form-urlencoded" {
            url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
        } else {
            let quoted = serde_json::Value::String(v.to_owned()).to_string();
            quoted[1..quoted.len() - 1].to_owned()
        }
    };
    // One pass, so that a value holding `{text}` is not expanded again.
    let mut out = String::with_capacity(template.len() + text.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("{to}") {
            out.push_str(&escape(to));
            rest = t;
        } else if let Some(t) = tail.strip_prefix("{text}") {
            out.push_str(&escape(text));
            rest = t;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

impl Sender {
    /// Builds the configured transport.
    pub fn new(config: &Config) -> Result<Self, String> {
        let timeout = Duration::from_secs(config.sms.send_timeout_secs);
        let transport = match config.sms.transport {
            SmsTransport::Outbox => {
                let dir = outbox_dir(config);
                let mut b = std::fs::DirBuilder::new();
                b.recursive(true);
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
                b.create(&dir)
                    .map_err(|e| format!("sms outbox folder {}: {e}", dir.display()))?;
                Transport::Outbox(dir)
            }
            SmsTransport::Http => Transport::Http(
                reqwest::Client::builder()
                    .timeout(timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| format!("sms.http: {e}"))?,
            ),
        };
        Ok(Self { transport, timeout })
    }

    async fn send(&self, config: &Config, m: &Sms) -> Result<(), SendError> {
        match &self.transport {
            Transport::Outbox(dir) => {
                let unique: u64 = rand::random();
                let path = dir.join(format!("{}-{unique:016x}.txt", m.id));
                let body = format!("To: {}\n\n{}\n", m.recipient, m.text);
                tokio::fs::write(&path, body)
                    .await
                    .map_err(|e| temporary(format!("outbox file: {e}")))?;
                // Security: the file is the message, code included (REST-02).
                crate::files::make_private(&path)
                    .map_err(|e| temporary(format!("outbox file mode: {e}")))
            }
            Transport::Http(client) => {
                let h = &config.sms.http;
                let body = render_body(&h.body_template, &h.content_type, &m.recipient, &m.text);
                let mut req = client
                    .post(&h.url)
                    .header(reqwest::header::CONTENT_TYPE, h.content_type.as_str())
                    .body(body);
                if let Some(v) = &h.auth_header {
                    req = req.header(h.auth_header_name.as_str(), v.expose());
                }
                let r = tokio::time::timeout(self.timeout, req.send())
                    .await
                    .map_err(|_| temporary("timed out"))?
                    // Security: reqwest's error names the URL, never the body.
                    .map_err(|e| temporary(e.without_url().to_string()))?;
                let status = r.status();
                if status.is_success() {
                    return Ok(());
                }
                let permanent = status.is_client_error()
                    && status != reqwest::StatusCode::REQUEST_TIMEOUT
                    && status != reqwest::StatusCode::TOO_MANY_REQUESTS;
                Err(SendError {
                    permanent,
                    text: format!("provider answered {status}"),
                })
            }
        }
    }
}

/// The pseudonym an erased row keeps of its number.
pub fn recipient_pseudonym(app: &App, number: &str) -> String {
    app.keys.pseudonym(&format!("sms:{number}"))
}

/// One round: claims due messages, sends them, records the outcomes;
/// returns how many were sent.
pub async fn run_once(app: &App, sender: &Sender) -> Result<usize, StoreError> {
    let now = app.clock.now();
    let lease = time::Duration::seconds(sender.timeout.as_secs() as i64 * 2 + 30);
    let claimed = sms::claim_due(app.db.conn(), now, lease, BATCH).await?;
    let budget = time::Duration::minutes(app.config.sms.retry_budget_minutes as i64);
    let mut sent = 0;
    for m in claimed {
        let pseudonym = recipient_pseudonym(app, &m.recipient);
        match sender.send(&app.config, &m).await {
            Ok(()) => {
                sms::mark_sent(app.db.conn(), m.id, app.clock.now(), &pseudonym).await?;
                tracing::info!(sms.id = m.id, attempts = m.attempts, "text message sent");
                sent += 1;
            }
            Err(e) => {
                let now = app.clock.now();
                let wait = crate::mailer::backoff(m.attempts);
                let next = if e.permanent {
                    Err(state::FAILED)
                } else if now + wait > m.created_at + budget {
                    Err(state::ABANDONED)
                } else {
                    Ok(now + wait)
                };
                tracing::warn!(sms.id = m.id, attempts = m.attempts, error = %e.text, given_up = next.is_err(), "text message not sent");
                sms::mark_attempt_failed(app.db.conn(), m.id, &e.text, next, &pseudonym).await?;
            }
        }
    }
    Ok(sent)
}

/// Runs the worker until the task is dropped: a round every
/// `sms.poll_seconds` (at once again when a round was full).
pub async fn run(app: Arc<App>, sender: Sender) {
    let pause = Duration::from_secs(app.config.sms.poll_seconds);
    loop {
        match run_once(&app, &sender).await {
            Ok(n) if n as u64 >= BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sms worker round failed"),
        }
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_template_escapes_each_value_for_its_media_type() {
        let json = "application/json";
        let form = "application/x-www-form-urlencoded";
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            (
                r#"{"to":"{to}","message":"{text}"}"#,
                json,
                "+33612345678",
                "123456 est \"votre\" code\n{to}",
                r#"{"to":"+33612345678","message":"123456 est \"votre\" code\n{to}"}"#,
            ),
            (
                "to={to}&text={text}&from=SESAME",
                form,
                "+33612345678",
                "123 é&x=1",
                "to=%2B33612345678&text=123+%C3%A9%26x%3D1&from=SESAME",
            ),
            (
                r#"{"a":{"b":"{to}"},"{x}":1}"#,
                json,
                "+33700000000",
                "",
                r#"{"a":{"b":"+33700000000"},"{x}":1}"#,
            ),
        ];
        for (template, ct, to, text, want) in cases {
            assert_eq!(render_body(template, ct, to, text), *want, "{template}");
        }
    }
}
