//! `[sms]` and `[sms.http]`: the first visit by text message (issue 20) and
//! how text messages leave.

use super::{ConfigError, SecretKey};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How text messages leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsTransport {
    /// Written as `.txt` files in `sms.outbox_dir` (development, tests).
    #[default]
    Outbox,
    /// Posted to a provider's HTTP API.
    Http,
}

/// `[sms.http]`: a provider's HTTP API.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsHttpConfig {
    /// The URL messages are posted to.
    pub url: String,
    /// The header carrying the credentials (`Authorization` by default).
    pub auth_header_name: String,
    /// Its value (secret), e.g. `Bearer …` or `Basic …`.
    pub auth_header: Option<SecretKey>,
    /// A file holding that value.
    pub auth_header_file: Option<PathBuf>,
    /// The request body, with `{to}` (E.164 number) and `{text}`
    /// placeholders, escaped for `content_type` (JSON string content, or
    /// form encoding).
    pub body_template: String,
    /// The body's media type: `application/json` or
    /// `application/x-www-form-urlencoded`.
    pub content_type: String,
}

/// `[sms]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// Whether « Je n'ai pas reçu de courrier » is offered.
    pub enabled: bool,
    /// outbox | http.
    pub transport: SmsTransport,
    /// Folder the outbox transport writes to. Empty: `sms-outbox` in
    /// `server.data_dir`.
    pub outbox_dir: PathBuf,
    /// The provider's settings, when `transport = "http"`.
    pub http: SmsHttpConfig,
    /// Seconds between two looks at the outbox.
    pub poll_seconds: u64,
    /// Seconds one delivery attempt may take.
    pub send_timeout_secs: u64,
    /// Minutes after which a message still not delivered is abandoned (a
    /// code is valid 10 minutes: later is useless).
    pub retry_budget_minutes: u64,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            transport: SmsTransport::Outbox,
            outbox_dir: PathBuf::new(),
            http: SmsHttpConfig {
                auth_header_name: "Authorization".into(),
                content_type: "application/json".into(),
                ..SmsHttpConfig::default()
            },
            poll_seconds: 2,
            send_timeout_secs: 10,
            retry_budget_minutes: 10,
        }
    }
}

impl SmsConfig {
    /// The provider's settings make sense; the header's file is read.
    pub(super) fn check(&mut self, origin: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
        let err = |key: &str, reason: &str| ConfigError::at(&origin(key), key, reason);
        if !(1..=120).contains(&self.send_timeout_secs) {
            return Err(err(
                "sms.send_timeout_secs",
                "must be between 1 and 120 seconds",
            ));
        }
        if !(1..=60).contains(&self.retry_budget_minutes) {
            return Err(err(
                "sms.retry_budget_minutes",
                "must be between 1 and 60 minutes (a code lives 10 minutes)",
            ));
        }
        if self.poll_seconds == 0 {
            return Err(err("sms.poll_seconds", "must be at least 1 second"));
        }
        self.http.auth_header = super::secrets::resolve_file(
            self.http.auth_header.take(),
            &self.http.auth_header_file,
            "sms.http.auth_header",
            origin,
        )?;
        if self.transport != SmsTransport::Http {
            return Ok(());
        }
        let h = &self.http;
        match url::Url::parse(&h.url) {
            Ok(u) if matches!(u.scheme(), "https" | "http") => {}
            _ => {
                return Err(err(
                    "sms.http.url",
                    "required when sms.transport = \"http\": the provider's http(s) URL",
                ));
            }
        }
        if !h.body_template.contains("{to}") || !h.body_template.contains("{text}") {
            return Err(err(
                "sms.http.body_template",
                "must hold both placeholders {to} and {text}",
            ));
        }
        if !matches!(
            h.content_type.as_str(),
            "application/json" | "application/x-www-form-urlencoded"
        ) {
            return Err(err(
                "sms.http.content_type",
                "expected \"application/json\" or \"application/x-www-form-urlencoded\"",
            ));
        }
        if header_name(&h.auth_header_name).is_none() {
            return Err(err(
                "sms.http.auth_header_name",
                "not a valid HTTP header name",
            ));
        }
        if let Some(v) = &h.auth_header
            && v.expose().contains(['\r', '\n'])
        {
            return Err(err(
                "sms.http.auth_header",
                "must be one line (no CR or LF)",
            ));
        }
        Ok(())
    }
}

/// The header name, when it is one.
fn header_name(name: &str) -> Option<reqwest::header::HeaderName> {
    reqwest::header::HeaderName::from_bytes(name.as_bytes()).ok()
}
