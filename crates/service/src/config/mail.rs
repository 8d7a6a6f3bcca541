//! `[mail]` and `[mail.smtp]`: how mail leaves.

use super::SecretKey;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How mail leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    /// Written as `.eml` files in `mail.outbox_dir`.
    Outbox,
    /// Sent to an SMTP server.
    Smtp,
}

/// SMTP transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// TLS from the first byte (port 465).
    Tls,
    /// STARTTLS, required (port 587).
    Starttls,
    /// No TLS: only for a relay on localhost.
    None,
}

/// `[mail.smtp]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// tls | starttls | none.
    pub tls: SmtpTls,
    /// User name, empty for none.
    pub username: String,
    /// Password (secret).
    pub password: Option<SecretKey>,
    /// File holding the password.
    pub password_file: Option<PathBuf>,
    /// With `tls` or `starttls`: a PEM file of certificate authorities
    /// trusted for the server's certificate besides the public ones (a
    /// private CA). Empty: the public authorities only.
    pub ca_file: PathBuf,
}

impl SmtpConfig {
    /// The certificates of `ca_file`, if one is set; why not when the file
    /// cannot be read or holds no PEM certificate.
    pub fn ca_pem(&self) -> Result<Option<Vec<u8>>, String> {
        super::read_ca_pem(&self.ca_file)
    }
}

/// `[mail]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// outbox | smtp.
    pub transport: MailTransport,
    /// Folder the outbox transport writes to. Empty: `outbox` in `server.data_dir`.
    pub outbox_dir: PathBuf,
    /// The From header.
    pub from: String,
    /// SMTP settings, when `transport = "smtp"`.
    pub smtp: SmtpConfig,
    /// Seconds between two looks at the outbox.
    pub poll_seconds: u64,
    /// Seconds one delivery attempt may take before it is abandoned and retried.
    pub send_timeout_secs: u64,
    /// Hours after which a mail still not delivered is marked abandoned.
    pub retry_budget_hours: u64,
}
